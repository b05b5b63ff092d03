"""JSON Schema (normalized, see ir.py) to zod *nodes* for Express and Koa.

This module decides what to validate and how: body fields are never coerced;
parameters and form fields (which arrive as text) are parsed by the runtime
helpers of the generated `http.ts` (`asNumber`, `asBoolean`, `asArray`,
`splitOn`) before validation, exactly as the spec's types say, and anything
that does not parse stays text so that validation fails loudly.
`templates/_macros/typescript.j2` (`zod`) spells the nodes as zod 4 code.
"""

from __future__ import annotations

from typing import Any

from senior_backend.common.openapi import ref_name
from senior_backend.scaffold.examples import PROTO_NAMES
from senior_backend.scaffold.forms import is_file, json_parts
from senior_backend.scaffold.tstypes import UNKNOWN, Node

_NUMBER_CHECKS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
# The keywords that constrain a value of each type (checked as that type when the type is implied).
_KEYWORD_KINDS = {
    "string": ("minLength", "maxLength", "pattern", "format"),
    "integer": _NUMBER_CHECKS,
    "number": _NUMBER_CHECKS,
    "array": ("minItems", "maxItems", "uniqueItems", "items", "prefixItems"),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse(parser: str, inner: Node) -> Node:
    return {"kind": "parse", "parser": parser, "delimiter": None, "inner": inner}


# A file part of a multipart body (`filePart` of http.ts: what the Express and Koa parsers hand over).
FILE: Node = {"kind": "file"}


def _fold_union(items: list[Node]) -> Node:
    return items[0] if len(items) == 1 else {"kind": "union", "items": items}


class ZodBuilder:
    """Builds zod nodes; `$ref`s become references to the `<Type>Schema` constants."""

    def __init__(self, type_names: dict[str, str], schemas: dict[str, Any] | None = None) -> None:
        self.type_names = type_names
        self.schemas = schemas or {}
        self._inlining: list[str] = []

    def param(self, schema: dict[str, Any], delimiter: str | None, deep_object: bool = False) -> Node:
        """A parameter: text parsed per its schema; an array split on `delimiter` or taken as repeated;
        a `deepObject` one is an object whose properties arrive as text (`filter[minAge]=3`)."""
        if deep_object:
            return self._text_fields(schema, files=False, bounds=True)
        node = self.node(schema, coerce=True, request=True)
        if delimiter is None or not (node["kind"] == "parse" and node["parser"] == "array"):
            return node
        return {"kind": "parse", "parser": "split", "delimiter": delimiter, "inner": node}

    def node(self, schema: Any, coerce: bool = False, request: bool = False) -> Node:
        if not isinstance(schema, dict) or not schema:
            return UNKNOWN
        if "$ref" in schema:
            target = ref_name(schema["$ref"])
            name = self.type_names.get(target)
            ref: Node = {"kind": "ref", "name": name} if name else UNKNOWN
            if coerce and target in self.schemas and target not in self._inlining:
                # Text is parsed by the shape of the schema it must become (the named schema's
                # constant validates typed values and parses nothing): a scalar is parsed before
                # the constant checks it, anything holding scalars to parse is inlined.
                self._inlining.append(target)
                try:
                    inline = self.node(self.schemas[target], coerce, request)
                finally:
                    self._inlining.pop()
                if not _parses(inline):
                    return ref
                if inline["kind"] == "parse" and inline["parser"] in ("number", "boolean"):
                    return _parse(inline["parser"], ref)
                return inline
            return ref
        if "const" in schema:
            return self._coerced(
                {"kind": "literal", "value": schema["const"]}, schema, [schema["const"]], coerce
            )
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            values = schema["enum"]
            if all(isinstance(value, str) for value in values):
                inner: Node = {"kind": "enum", "values": values}
            else:
                inner = _fold_union([{"kind": "literal", "value": value} for value in values])
            return self._coerced(inner, schema, values, coerce)
        parts: list[Node] = []
        if "allOf" in schema:
            subs = [self.node(sub, coerce, request) for sub in schema["allOf"]] or [UNKNOWN]
            parts.append(subs[0] if len(subs) == 1 else {"kind": "intersection", "items": subs})
        for key in ("oneOf", "anyOf"):
            if key in schema:
                union = _fold_union([self.node(sub, coerce, request) for sub in schema[key]] or [UNKNOWN])
                if key == "oneOf" and not coerce and union["kind"] == "union":
                    # exactly one member may match (JSON Schema `oneOf`), as Ajv checks it on Fastify.
                    # Text (parameters, form fields) is ambiguous before it is parsed ("5" is both a
                    # number and a string), so there any member matching is enough.
                    union = {**union, "exclusive": True}
                parts.append(union)
        typed = self._typed(schema, coerce, request)
        if typed is not UNKNOWN or not parts:
            parts.append(typed)
        result = parts[0] if len(parts) == 1 else {"kind": "intersection", "items": parts}
        if "not" in schema:
            result = {"kind": "not", "inner": result, "excluded": self.node(schema["not"], coerce, request)}
        return result

    def _implied_kinds(self, schema: Any, depth: int) -> set[str]:
        """The types a schema's value may take, from its `type` or else its `allOf` members (refs followed)."""
        if not isinstance(schema, dict) or depth > 8:
            return set()
        if isinstance(schema.get("$ref"), str):
            return self._implied_kinds(self.schemas.get(ref_name(schema["$ref"])), depth + 1)
        kinds = _kinds(schema)
        for member in schema.get("allOf") or [] if not kinds else []:
            kinds = self._implied_kinds(member, depth + 1)
            if kinds:
                break
        return kinds

    def _coerced(self, inner: Node, schema: dict[str, Any], values: list[Any], coerce: bool) -> Node:
        if not coerce:
            return inner
        kinds = _kinds(schema)
        if kinds & {"integer", "number"} or any(_is_number(value) for value in values):
            return _parse("number", inner)
        if "boolean" in kinds or any(isinstance(value, bool) for value in values):
            return _parse("boolean", inner)
        return inner

    def _typed(self, schema: dict[str, Any], coerce: bool, request: bool) -> Node:
        kinds = sorted(_kinds(schema))
        if not kinds and "allOf" in schema:
            # `{allOf: [{$ref: Name}], maxLength: 5}` (a 3.1 `$ref` with siblings): the keywords of the
            # member's type apply, so they are checked as that type
            implied = self._implied_kinds(schema, 0) & _KEYWORD_KINDS.keys()
            kinds = sorted(kind for kind in implied if any(key in schema for key in _KEYWORD_KINDS[kind]))
        if not kinds:
            return UNKNOWN
        nodes = [self._single(schema, kind, coerce, request) for kind in kinds if kind != "null"]
        if not nodes:
            return {"kind": "null"}
        result = _fold_union(nodes)
        return {"kind": "nullable", "inner": result} if "null" in kinds else result

    def _single(self, schema: dict[str, Any], kind: str, coerce: bool, request: bool) -> Node:
        if kind == "string":
            if schema.get("format") == "binary":
                return UNKNOWN
            return {
                "kind": "string",
                "format": str(schema.get("format")),
                "min": schema.get("minLength") if isinstance(schema.get("minLength"), int) else None,
                "max": schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None,
                "pattern": schema.get("pattern") if isinstance(schema.get("pattern"), str) else None,
            }
        if kind in ("integer", "number"):
            checks = [(key, schema[key]) for key in _NUMBER_CHECKS if _is_number(schema.get(key))]
            node: Node = {"kind": "number", "checks": checks, "integer": kind == "integer"}
            return _parse("number", node) if coerce else node
        if kind == "boolean":
            return _parse("boolean", {"kind": "boolean"}) if coerce else {"kind": "boolean"}
        if kind == "array" and isinstance(schema.get("prefixItems"), list):
            return self._tuple(schema, coerce, request)
        if kind == "array":
            node = {
                "kind": "array",
                "item": self.node(schema.get("items"), coerce, request),
                "min": schema.get("minItems") if isinstance(schema.get("minItems"), int) else None,
                "max": schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None,
                "unique": schema.get("uniqueItems") is True,
            }
            return _parse("array", node) if coerce else node
        if kind == "object":
            return self._object(schema, request)
        return UNKNOWN

    def _tuple(self, schema: dict[str, Any], coerce: bool, request: bool) -> Node:
        """`prefixItems` (3.1): a tuple; items past `minItems` may be absent, further items are `items`
        (none when `items: false`, any when no `items`)."""
        least = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
        prefix = [self.node(sub, coerce, request) for sub in schema["prefixItems"]]
        items = [item if i < least else {"kind": "optional", "inner": item} for i, item in enumerate(prefix)]
        rest = schema.get("items", True)
        node: Node = {
            "kind": "tuple",
            "items": items,
            "rest": None if rest is False or rest == {"not": {}} else self.node(rest, coerce, request),
            "min": least if least > len(prefix) else None,
            "max": schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None,
            "unique": schema.get("uniqueItems") is True,
        }
        return _parse("array", node) if coerce else node

    def _object(
        self, schema: dict[str, Any], request: bool, coerce_fields: bool = False, files: bool = False
    ) -> Node:
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        as_json = set(json_parts(schema, self.schemas)) if files else set()
        fields = []
        for name, sub in props.items():
            if files and is_file(sub):
                value = FILE
            elif name in as_json:
                value = _parse("json", self.node(sub, False, request))
            elif files and isinstance(sub, dict) and is_file(sub.get("items")):
                value = _parse(
                    "array", {"kind": "array", "item": FILE, "min": None, "max": None, "unique": False}
                )
            else:
                value = self.node(sub, coerce_fields, request)
            read_only = isinstance(sub, dict) and sub.get("readOnly") is True
            if name not in required or (request and read_only):
                value = {"kind": "optional", "inner": value}
            fields.append({"name": name, "node": value})
        extra = schema.get("additionalProperties")
        mode, catchall = "loose", None
        if extra is False:
            mode = "strict"
        elif isinstance(extra, dict) and extra and not coerce_fields:
            mode, catchall = "catchall", self.node(extra, False, request)
        bounds = [
            {"kind": key, "limit": schema[key]}
            for key in ("minProperties", "maxProperties")
            if isinstance(schema.get(key), int)
        ]
        node = {"kind": "object", "fields": fields, "mode": mode, "catchall": catchall, "bounds": bounds}
        # zod reads `value.constructor`, which an object inherits: such fields are read from own keys only
        return _parse("own", node) if PROTO_NAMES & set(props) else node

    def form(self, schema: dict[str, Any], files: bool = False) -> Node:
        """A form body (urlencoded or multipart): top-level fields arrive as text and are parsed;
        with `files` (multipart), file properties must be file parts."""
        return self._text_fields(schema, files, bounds=False)

    def _text_fields(self, schema: dict[str, Any], files: bool, bounds: bool) -> Node:
        """An object (a `$ref` followed) whose fields arrive as text and are parsed; `bounds` keeps its
        min/maxProperties."""
        target = ref_name(schema["$ref"]) if isinstance(schema.get("$ref"), str) else None
        if target in self.schemas and target not in self._inlining:
            self._inlining.append(target)
            try:
                return self._text_fields(self.schemas[target], files, bounds)
            finally:
                self._inlining.pop()
        if "$ref" in schema or schema.get("type") not in ("object", None):
            return self.node(schema)
        if not bounds:
            schema = {**schema, "minProperties": None, "maxProperties": None}
        return self._object(schema, True, coerce_fields=True, files=files)

    def params(self, fields: list[tuple[str, Node, bool, tuple[bool, Any]]]) -> Node:
        """The object of one parameter location: (name, node, required, (has default, default)) each;
        unknown names allowed. An absent optional parameter with a default takes it, as Ajv's
        `useDefaults` gives it on Fastify."""
        return {
            "kind": "object",
            "fields": [
                {
                    "name": name,
                    "node": node
                    if required
                    else {"kind": "default", "inner": node, "value": default[1]}
                    if default[0]
                    else {"kind": "optional", "inner": node},
                }
                for name, node, required, default in fields
            ],
            "mode": "loose",
            "catchall": None,
            "bounds": [],
        }


def _parses(node: Any) -> bool:
    """Whether a zod node parses text anywhere inside."""
    if isinstance(node, dict):
        return node.get("kind") == "parse" or any(_parses(value) for value in node.values())
    if isinstance(node, list):
        return any(_parses(item) for item in node)
    return False


def _kinds(schema: dict[str, Any]) -> set[str]:
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return {str(kind) for kind in kinds}
    if isinstance(kinds, str):
        return {kinds}
    if "properties" in schema or "additionalProperties" in schema:
        return {"object"}
    if "items" in schema:
        return {"array"}
    return set()
