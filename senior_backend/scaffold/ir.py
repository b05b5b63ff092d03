"""The API model: what the renderers read, built once from a loaded OpenAPI document.

Schemas are normalized to one JSON Schema dialect (2020-12 style: `nullable`
becomes a `null` type, boolean `exclusiveMinimum` becomes numeric, vendor
keys are dropped) so that every renderer handles 3.0, 3.1 and upgraded
Swagger 2.0 alike. Named schemas stay `$ref`s (`#/components/schemas/Name`),
which keeps recursive schemas finite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.common.errors import BadInput
from senior_backend.common.openapi import OpenAPIDocument, pointer
from senior_backend.scaffold.discriminator import tag_unions
from senior_backend.scaffold.keywords import COUNTS, Report, keyword_problem, pattern_problem
from senior_backend.scaffold.naming import NameTable, file_stem, identifier
from senior_backend.scaffold.readonly import (
    READ_SUFFIX,
    SUFFIX,
    needing_response_variants,
    needing_variants,
    request_view,
    response_view,
)
from senior_backend.scaffold.security import Security, read_schemes

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON_MEDIA = re.compile(r"^application/(.+\+)?json(;.*)?$")
FORM_MEDIA = "application/x-www-form-urlencoded"
MULTIPART_MEDIA = "multipart/form-data"
TEXT_MEDIA = re.compile(r"^text/plain(;.*)?$")  # handed over as a string, validated by its schema
TS_GLOBAL_TYPES = {
    "Array",
    "Record",
    "Promise",
    "Object",
    "String",
    "Number",
    "Boolean",
    "Date",
    "Readonly",
    "Partial",
    "Symbol",
    "Function",
    "Map",
    "Set",
    "BigInt",
    "Uint8Array",
    "Buffer",
    "Blob",
    "File",
    "JSON",
    "Math",
    "Error",
    "RegExp",
    "Iterable",
    "Pick",
    "Omit",
    "Required",
    "Exclude",
    "Extract",
    "NonNullable",
    "ReturnType",
}
# Names of the generated helpers that share a module with generated type or schema names.
HELPER_NAMES = {"RequestSchemas", "FieldError", "Result", "Checked", "RawRequest"}
# Every TypeScript name derived from one claimed name: a schema's type and its zod constant
# (`XSchema`); an operation's request/response types and its schemas constant (`XSchemas`).
SCHEMA_SUFFIXES = ("", "Schema")
OPERATION_SUFFIXES = ("", "Request", "Response", "Schemas")
WINDOWS_DEVICE_NAMES = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}
_DROP = {"discriminator", "xml", "externalDocs", "deprecated", "nullable", "example", "examples"}
# Beside a 3.1 `$ref`: flags kept on the reference itself, and annotations that change nothing for a validator.
_REF_FLAGS = ("readOnly", "writeOnly")
_REF_IGNORED = {*_REF_FLAGS, *_DROP, "description", "title", "$comment"}
_SUBSCHEMA_LISTS = ("allOf", "oneOf", "anyOf", "prefixItems")
_SUBSCHEMA = ("items", "not", "additionalProperties", "contains", "propertyNames")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
# The range of OpenAPI's integer formats, enforced as bounds so that every validator checks them.
# int64's ends are the doubles nearest inside +-2^63: JavaScript reads 2^63 - 1 (and 2^63) as 2^63, out of range.
INTEGER_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63) + 1024, 2**63 - 1024)}


@dataclass
class Parameter:
    """One path, query, header or cookie parameter."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    key: str  # identifier used for path params in framework route syntax
    delimiter: str | None = None  # how an array arrives in one value (",", " ", "|"), None when repeated
    deep_object: bool = False  # a query object sent as `name[prop]=value` (`style: deepObject`)


@dataclass
class Body:
    """A request body: its schema per supported media type."""

    required: bool
    content: dict[str, dict[str, Any]]
    kind: str  # json, form, multipart, text (text/plain: the handler gets the string)
    # the media types the server reads and the ranges the spec declares (by default those of `content`),
    # lower case, without parameters: a body sent in any other gets 415
    media: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.media = self.media or tuple(dict.fromkeys(media_range(media) for media in self.content))

    @property
    def schema(self) -> dict[str, Any]:
        return next(iter(self.content.values()))


@dataclass
class Response:
    """One documented response."""

    status: str
    description: str
    schema: dict[str, Any] | None
    media: str | None
    example: Any = None
    has_example: bool = False


@dataclass
class Operation:
    """One HTTP operation of the spec."""

    operation_id: str
    name: str
    type_name: str
    method: str
    path: str
    group: str
    summary: str
    parameters: list[Parameter]
    body: Body | None
    responses: list[Response]
    security: list[dict[str, list[str]]]
    where: str

    def params_in(self, location: str) -> list[Parameter]:
        return [param for param in self.parameters if param.location == location]

    @property
    def success(self) -> Response | None:
        """The response a stub returns: the first 2xx, else the first documented one."""
        ordered = sorted(self.responses, key=lambda response: response.status)
        for response in ordered:
            if response.status.startswith("2"):
                return response
        return ordered[0] if ordered else None


@dataclass
class Group:
    """The operations of one route module (a tag, or the first path segment)."""

    label: str
    module: str
    operations: list[Operation] = field(default_factory=list)


@dataclass
class ApiModel:
    """Everything the renderers need, with no reference to the raw document."""

    title: str
    version: str
    schemas: dict[str, dict[str, Any]]
    type_names: dict[str, str]
    operations: list[Operation]
    groups: list[Group]
    warnings: list[Diagnostic]
    base_path: str = ""  # where the routes are mounted: the path of the first server URL ('' = the root)
    security: Security = field(default_factory=Security)  # components.securitySchemes (security.py)
    skipped: list[str] = field(default_factory=list)  # operations the framework cannot serve (render.py)


def normalize_schema(
    node: Any, is_30: bool, report: Report | None = None, parts: tuple[str | int, ...] = ()
) -> dict[str, Any]:
    """One schema in the common dialect (see module docstring); never mutates its input.

    Keywords whose value has the wrong type are dropped and passed to `report`
    (code, message, JSON pointer parts from `parts`).
    """
    report = report or _ignore
    if node is True or node is None:
        return {}
    if node is False:
        return {"not": {}}
    if not isinstance(node, dict):
        report(
            "bad-schema", f"a schema must be an object or a boolean, not {_shown(node)}; ignored", list(parts)
        )
        return {}
    if "$ref" in node:
        if not isinstance(node["$ref"], str):
            report(
                "bad-keyword", f"$ref must be a string, not {_shown(node['$ref'])}; ignored", [*parts, "$ref"]
            )
            return {}
        result: dict[str, Any] = {"$ref": node["$ref"]}
        if is_30:  # 3.0 ignores every keyword beside a $ref (but `nullable`, which many specs rely on)
            return {"anyOf": [result, {"type": "null"}]} if node.get("nullable") is True else result
        # 3.1 (JSON Schema 2020-12) applies them too: `{$ref: Name, maxLength: 5}` is `allOf: [Name, {maxLength: 5}]`,
        # `{$ref: Owner, readOnly: true}` marks the property readOnly (readonly.py) as an inline one would be
        flags = {key: True for key in _REF_FLAGS if node.get(key) is True}
        siblings = {key: value for key, value in node.items() if key != "$ref" and key not in _REF_IGNORED}
        extra = normalize_schema(siblings, is_30, report, parts) if siblings else {}
        if not extra:
            return {**result, **flags}
        return {**flags, **extra, "allOf": [result, *extra.get("allOf", [])]}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-") or key in _DROP:
            continue
        here = [*parts, key]
        if key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [normalize_schema(item, is_30, report, (*here, i)) for i, item in enumerate(value)]
        elif key in _SUBSCHEMA and isinstance(value, (dict, bool)):
            out[key] = (
                normalize_schema(value, is_30, report, tuple(here)) if isinstance(value, dict) else value
            )
        elif key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {
                name: normalize_schema(sub, is_30, report, (*here, name)) for name, sub in value.items()
            }
        elif key == "enum" and value == []:
            report("empty-enum", "enum is empty, so no value is valid; every value is rejected", here)
        elif key == "pattern" and isinstance(value, str) and (problem := pattern_problem(value)):
            report(
                "bad-pattern", f"pattern {value!r} is not a regular expression ({problem}); not checked", here
            )
        elif problem := keyword_problem(key, value):
            report("bad-keyword", f"{key} {problem}, not {_shown(value)}; ignored", here)
        else:
            out[key] = int(value) if key in COUNTS else value
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool):
            if out[bound] and limit in out:
                out[bound] = out.pop(limit)
            else:
                out.pop(bound)
    if (
        node.get("enum") == []
    ):  # no value is valid, in the form every validator accepts (Ajv refuses `enum: []`)
        out["not"] = {}
    _integer_bounds(out)
    has_example, example = schema_example(node)
    if has_example:
        out["x-example"] = example
    if "discriminator" in node and isinstance(node["discriminator"], dict):
        out["x-discriminator"] = node["discriminator"]
    if is_30 and node.get("nullable") is True:
        out = _nullable(out)
    return out


def _integer_bounds(schema: dict[str, Any]) -> None:
    """`format: int32/int64` as `minimum`/`maximum` (kept when the spec's own bounds are tighter)."""
    bounds = INTEGER_FORMATS.get(schema.get("format"))  # type: ignore[arg-type]
    kinds = schema.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    if bounds is None or not kinds & {"integer", "number"}:
        return
    low, high = bounds
    if not any(
        isinstance(schema.get(key), (int, float)) and schema[key] >= low
        for key in ("minimum", "exclusiveMinimum")
    ):
        schema["minimum"] = low
    if not any(
        isinstance(schema.get(key), (int, float)) and schema[key] <= high
        for key in ("maximum", "exclusiveMaximum")
    ):
        schema["maximum"] = high


def _shown(value: Any) -> str:
    """A value as JSON for a message, cut short."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _ignore(code: str, message: str, parts: list[str | int]) -> None:
    """The `report` of callers that do not collect warnings."""


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema = {**schema, "type": [kind, "null"]}
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if kind is None and not any(key in schema for key in ("allOf", "oneOf", "anyOf", "enum", "const")):
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def schema_example(node: Any, deref: Callable[[Any], Any] | None = None) -> tuple[bool, Any]:
    """The example a schema or media type object carries, if any; `deref` follows an Example
    Object's `$ref` (`examples: {a: {$ref: '#/components/examples/A'}}`)."""
    if not isinstance(node, dict):
        return False, None
    if "example" in node:
        return True, node["example"]
    examples = node.get("examples")
    if isinstance(examples, list) and examples:
        return True, examples[0]
    if isinstance(examples, dict):
        for value in examples.values():
            if deref is not None:
                value = deref(value)
            if isinstance(value, dict) and "value" in value:
                return True, value["value"]
    return False, None


class _Builder:
    def __init__(self, document: OpenAPIDocument) -> None:
        self.doc = document
        self.root = document.root
        self.is_30 = not document.is_31
        self.source = str(document.source)
        self.warnings: list[Diagnostic] = list(document.warnings)
        self.names = NameTable(TS_GLOBAL_TYPES | HELPER_NAMES)
        self.needs: set[str] = set()
        self.read_needs: set[str] = set()
        self.schemas: dict[str, dict[str, Any]] = {}
        self.originals: dict[str, dict[str, Any]] = {}  # the named schemas, without their views

    def warn(self, code: str, message: str, parts: list[str | int]) -> None:
        self.warnings.append(warning(code, message, where=f"{self.source}#{pointer(parts)}"))

    def normal(self, node: Any, parts: tuple[str | int, ...]) -> dict[str, Any]:
        """An operation's schema in the common dialect, its discriminated unions narrowed."""
        return tag_unions(normalize_schema(node, self.is_30, self.warn, parts), self.schemas)

    def mapping(self, value: Any, parts: list[str | int]) -> dict[str, Any]:
        """`value` when it is a mapping, {} when absent; anything else is a spec error (exit 2)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            where = f"{self.source}#{pointer(parts)}"
            raise BadInput("bad-spec", f"{parts[-1]!r} must be a mapping, not {_shown(value)}", where)
        return value

    def build(self) -> ApiModel:
        info = self.root.get("info") if isinstance(self.root.get("info"), dict) else {}
        components = self.mapping(self.root.get("components"), ["components"])
        raw_schemas = self.mapping(components.get("schemas"), ["components", "schemas"])
        schemas: dict[str, dict[str, Any]] = {}
        type_names: dict[str, str] = {}
        for name, schema in raw_schemas.items():
            schemas[name] = normalize_schema(schema, self.is_30, self.warn, ("components", "schemas", name))
        self.schemas = schemas = {name: tag_unions(schema, schemas) for name, schema in schemas.items()}
        for name in schemas:
            type_names[name] = self.names.claim(identifier(name, "Schema", style="pascal"), SCHEMA_SUFFIXES)
        self.originals = dict(schemas)
        self.needs = needing_variants(self.originals)
        self.read_needs = needing_response_variants(self.originals)
        for name in sorted(self.needs):
            schemas[name + SUFFIX] = request_view(self.originals[name], self.needs, self.originals)
            type_names[name + SUFFIX] = self.names.claim(type_names[name] + "Write", SCHEMA_SUFFIXES)
        for name in sorted(self.read_needs):
            schemas[name + READ_SUFFIX] = response_view(self.originals[name], self.read_needs, self.originals)
            type_names[name + READ_SUFFIX] = self.names.claim(type_names[name] + "Read", SCHEMA_SUFFIXES)
        self._check_server()
        security = read_schemes(
            components.get("securitySchemes"), self.doc.deref, lambda parts: f"{self.source}#{pointer(parts)}"
        )
        self.warnings.extend(security.warnings)
        operations = self._operations()
        groups = self._groups(operations)
        return ApiModel(
            title=str(info.get("title", "API")),
            version=str(info.get("version", "")),
            schemas=schemas,
            type_names=type_names,
            operations=operations,
            groups=groups,
            warnings=self.warnings,
            base_path=base_path(self.root.get("servers")),
            security=security,
        )

    def _check_server(self) -> None:
        """Warn about variables of the first server URL (the base path) that have no default."""
        servers = self.root.get("servers")
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
            return
        defaults = server_defaults(servers[0])
        declared = servers[0].get("variables") if isinstance(servers[0].get("variables"), dict) else {}
        for name in re.findall(r"\{([^}]*)\}", str(servers[0].get("url", ""))):
            if name not in defaults:
                where: list[str | int] = (
                    ["servers", 0, "variables", name] if name in declared else ["servers", 0, "url"]
                )
                self.warn(
                    "server-variable",
                    f"server variable {name!r} has no default (OpenAPI requires one); a base path using it is not mounted",
                    where,
                )

    def _operations(self) -> list[Operation]:
        """Every operation; one whose route a previous one already takes (`/a/{x}` and `/a/{y}`,
        same method) can never be reached, and is skipped with a warning (routers refuse it)."""
        routes: dict[tuple[str, str], str] = {}
        kept: list[Operation] = []
        for op in self._all_operations():
            shape = (op.method, re.sub(r"\{[^}]*\}", "{}", op.path))
            if shape in routes:
                self.warnings.append(
                    warning(
                        "duplicate-route",
                        f"operation {op.operation_id!r} ({op.method.upper()} {op.path}) has the route of "
                        f"{routes[shape]!r}, so no request can reach it; skipped",
                        where=op.where,
                    )
                )
                continue
            routes[shape] = op.operation_id
            kept.append(op)
        return kept

    def _all_operations(self) -> list[Operation]:
        operations: list[Operation] = []
        op_names = NameTable()
        for path, item in (self.root.get("paths") or {}).items():
            item = self.doc.deref(item)
            if not isinstance(item, dict):
                self.warn("bad-path-item", f"path {path!r} is not an object", ["paths", path])
                continue
            shared = item.get("parameters") or []
            for method in METHODS:
                raw = item.get(method)
                if not isinstance(raw, dict):
                    continue
                where = ["paths", path, method]
                operation_id = str(raw.get("operationId") or f"{method} {path}")
                name = op_names.claim(identifier(operation_id, "operation"))
                if name != identifier(operation_id, "operation"):
                    self.warn("renamed-operation", f"operation {operation_id!r} renamed to {name}", where)
                type_name = self.names.claim(
                    identifier(name, "Operation", style="pascal"), OPERATION_SUFFIXES
                )
                own = raw.get("parameters") or []
                tags = raw.get("tags") or []
                if not isinstance(tags, list):
                    self.warn(
                        "bad-keyword", f"tags must be a list, not {_shown(tags)}; ignored", [*where, "tags"]
                    )
                    tags = []
                group = str(tags[0]) if tags else (path.strip("/").split("/")[0] or "root")
                operations.append(
                    Operation(
                        operation_id=operation_id,
                        name=name,
                        type_name=type_name,
                        method=method,
                        path=path,
                        group=group,
                        summary=str(raw.get("summary") or raw.get("description") or ""),
                        parameters=self._parameters(
                            path,
                            [
                                *_located(shared, ["paths", path, "parameters"]),
                                *_located(own, [*where, "parameters"]),
                            ],
                            where,
                        ),
                        body=self._body(raw.get("requestBody"), where),
                        responses=self._responses(
                            self.mapping(raw.get("responses"), [*where, "responses"]), where
                        ),
                        security=raw["security"] if "security" in raw else self.root.get("security", []),
                        where=f"{self.source}#{pointer(where)}",
                    )
                )
        return operations

    def _parameters(
        self, path: str, raws: list[tuple[Any, list[str | int]]], where: list[str | int]
    ) -> list[Parameter]:
        merged: dict[tuple[str, str], tuple[dict[str, Any], list[str | int]]] = {}
        for raw, at in raws:
            param = self.doc.deref(raw)
            if not isinstance(param, dict) or "name" not in param or "in" not in param:
                self.warn("bad-parameter", "parameter without name or location skipped", at)
                continue
            merged[(str(param["in"]), str(param["name"]))] = (param, at)
        keys = NameTable()
        result: list[Parameter] = []
        for (location, name), (param, at) in merged.items():
            if location not in ("path", "query", "header", "cookie"):
                continue
            schema = param.get("schema")
            at = [*at, "schema"]
            content = self.mapping(param.get("content"), [*at[:-1], "content"])
            if schema is None and content:
                media = next(iter(content))
                schema = self.mapping(content[media], [*at[:-1], "content", media]).get("schema")
                at = [*at[:-1], "content", media, "schema"]
            result.append(
                Parameter(
                    name=name if location != "header" else name.lower(),
                    location=location,
                    required=bool(param.get("required")) or location == "path",
                    schema=self.normal(schema or {"type": "string"}, tuple(at)),
                    key=keys.claim(identifier(name, "param")),
                    delimiter=_delimiter(location, param),
                    deep_object=location == "query" and param.get("style") == "deepObject",
                )
            )
        declared = {param.name for param in result if param.location == "path"}
        for used in re.findall(r"\{([^}]+)\}", path):
            if used not in declared:
                self.warn("undeclared-path-param", f"path parameter {used!r} is not declared", where)
                result.append(Parameter(used, "path", True, {"type": "string"}, keys.claim(identifier(used))))
        return result

    def _body(self, raw: Any, where: list[str | int]) -> Body | None:
        body = self.doc.deref(raw)
        if not isinstance(body, dict):
            return None
        content = self.mapping(body.get("content"), [*where, "requestBody", "content"])
        chosen: dict[str, dict[str, Any]] = {}
        kind = ""
        for media, media_object in content.items():
            media_kind = (
                "json"
                if JSON_MEDIA.match(media)
                else "form"
                if media == FORM_MEDIA
                else "multipart"
                if media == MULTIPART_MEDIA
                else "text"
                if TEXT_MEDIA.match(media)
                else ""
            )
            raw_schema = self.mapping(media_object, [*where, "requestBody", "content", media]).get("schema")
            schema = request_view(
                self.normal(
                    raw_schema or ({"type": "string"} if media_kind == "text" else {}),
                    (*where, "requestBody", "content", media, "schema"),
                ),
                self.needs,
                self.originals,
            )
            if not media_kind:
                self.warn("unsupported-media", f"request media type {media!r} is not validated", where)
                continue
            kind = kind or media_kind
            if media_kind == kind:
                chosen[media] = schema
        if not chosen:
            return None
        # the 415 check lets through what the server reads, and a range the spec declares (`*/*`: anything,
        # unparsed); a type it declares but does not read (XML; multipart beside JSON) is refused, not dropped
        readable = [media for media in content if media in chosen or "*" in media]
        declared = tuple(dict.fromkeys(media_range(media) for media in readable))
        return Body(required=bool(body.get("required")), content=chosen, kind=kind, media=declared)

    def _responses(self, raw: dict[str, Any], where: list[str | int]) -> list[Response]:
        responses: list[Response] = []
        for status, value in raw.items():
            response = self.doc.deref(value)
            if not isinstance(response, dict):
                continue
            status = str(status)
            if not re.fullmatch(r"[1-5][0-9X]{2}|default", status, flags=re.IGNORECASE):
                self.warn("bad-status", f"response status {status!r} ignored", [*where, "responses", status])
                continue
            content = self.mapping(response.get("content"), [*where, "responses", status, "content"])
            media = next((m for m in content if JSON_MEDIA.match(m)), None)
            schema = None
            has_example, example = False, None
            if media is not None:
                media_object = self.mapping(content[media], [*where, "responses", status, "content", media])
                schema = response_view(
                    self.normal(
                        media_object.get("schema") or {},
                        (*where, "responses", status, "content", media, "schema"),
                    ),
                    self.read_needs,
                    self.originals,
                )
                has_example, example = schema_example(media_object, self.doc.deref)
            elif content:
                self.warn("non-json-response", "only JSON responses are typed", [*where, "responses", status])
            responses.append(
                Response(
                    status=status.upper(),
                    description=str(response.get("description", "")),
                    schema=schema,
                    media=media,
                    example=example,
                    has_example=has_example,
                )
            )
        return responses

    def _groups(self, operations: list[Operation]) -> list[Group]:
        groups: dict[str, Group] = {}
        modules = NameTable({"app", "server", "types", "http", "schemas", "index", *WINDOWS_DEVICE_NAMES})
        for operation in operations:
            if operation.group not in groups:
                groups[operation.group] = Group(operation.group, modules.claim(file_stem(operation.group)))
            groups[operation.group].operations.append(operation)
        return list(groups.values())


def _located(raws: Any, parts: list[str | int]) -> list[tuple[Any, list[str | int]]]:
    """Each item of a parameter list with its JSON pointer parts; a non-list holds none."""
    return [(raw, [*parts, index]) for index, raw in enumerate(raws)] if isinstance(raws, list) else []


def _delimiter(location: str, param: dict[str, Any]) -> str | None:
    """Arrays sent as one value: `style: form, explode: false` (and simple/delimited styles) per OpenAPI."""
    style = param.get("style") or ("form" if location in ("query", "cookie") else "simple")
    explode = param.get("explode", style == "form")
    if explode and style in ("form", "spaceDelimited", "pipeDelimited"):
        return None
    return {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")


def media_range(media: Any) -> str:
    """A declared media type or range as requests are matched against it: lower case, no parameters
    (`application/json; charset=utf-8` -> `application/json`)."""
    return str(media).split(";", 1)[0].strip().lower()


def server_defaults(server: dict[str, Any]) -> dict[str, str]:
    """The `default` of each variable of a server object that has one."""
    variables = server.get("variables")
    if not isinstance(variables, dict):
        return {}
    return {
        str(name): str(variable["default"])
        for name, variable in variables.items()
        if isinstance(variable, dict) and isinstance(variable.get("default"), (str, int, float))
    }


def base_path(servers: Any) -> str:
    """The path prefix of the first server URL (`https://x/v1` -> `/v1`), '' when none.

    Server variables (`https://{host}/api/{version}`) take their `default`; a path
    that still holds a variable without one cannot be mounted, and is '' (the builder warns).
    """
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return ""
    defaults = server_defaults(servers[0])
    url = re.sub(
        r"\{([^}]*)\}", lambda match: defaults.get(match[1], match[0]), str(servers[0].get("url", ""))
    )
    path = urlparse(url).path.rstrip("/")
    if "{" in path or not re.fullmatch(r"[A-Za-z0-9._~/-]*", path):
        return ""
    return path


def build_model(document: OpenAPIDocument) -> ApiModel:
    """The API model of a loaded document."""
    return _Builder(document).build()
