"""JSON Schema (normalized, see ir.py) to zod 4 schema expressions for Express and Koa.

Body fields are never coerced. Parameters and form fields (which arrive as
text) are parsed by the runtime helpers `asNumber`, `asBoolean`, `asArray`
of the generated `validation.ts` before validation, exactly as the spec's
types say, and anything that does not parse is left as text so that
validation fails loudly.
"""

from __future__ import annotations

import json
from typing import Any

from senior_backend.common.openapi import ref_name
from senior_backend.scaffold.naming import ts_string
from senior_backend.scaffold.tstypes import ts_literal

_FORMATS = {
    "email": "z.email()",
    "uuid": "z.uuid()",
    "date-time": "z.iso.datetime({ offset: true })",
    "date": "z.iso.date()",
    "uri": "z.url()",
    "ipv4": "z.ipv4()",
    "ipv6": "z.ipv6()",
}


def _num(value: Any) -> str:
    return json.dumps(value)


class ZodWriter:
    """Builds zod expressions; `$ref`s become references to `<Type>Schema` constants."""

    def __init__(self, type_names: dict[str, str]) -> None:
        self.type_names = type_names

    def ref(self, ref: str) -> str:
        return f"{self.type_names.get(ref_name(ref), 'Unknown')}Schema"

    def param(self, schema: dict[str, Any], delimiter: str | None) -> str:
        """A parameter: text parsed per its schema; an array split on `delimiter` or taken as repeated."""
        text = self.expr(schema, coerce=True, request=True)
        if delimiter is None or not text.startswith("z.preprocess(asArray, "):
            return text
        return f"z.preprocess(splitOn({ts_string(delimiter)}), {text})"

    def expr(self, schema: Any, coerce: bool = False, request: bool = False) -> str:
        if not isinstance(schema, dict) or not schema:
            return "z.unknown()"
        if "$ref" in schema:
            return self.ref(schema["$ref"])
        if "const" in schema:
            return self._coerced(_literal(schema["const"]), schema, coerce)
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            values = schema["enum"]
            if all(isinstance(value, str) for value in values):
                inner = "z.enum([" + ", ".join(ts_string(value) for value in values) + "])"
            elif len(values) == 1:
                inner = _literal(values[0])
            else:
                inner = "z.union([" + ", ".join(_literal(value) for value in values) + "])"
            return self._coerced(inner, schema, coerce)
        parts: list[str] = []
        if "allOf" in schema:
            subs = [self.expr(sub, coerce, request) for sub in schema["allOf"]]
            parts.append(_fold("z.intersection", subs))
        for key in ("oneOf", "anyOf"):
            if key in schema:
                subs = [self.expr(sub, coerce, request) for sub in schema[key]]
                parts.append(subs[0] if len(subs) == 1 else "z.union([" + ", ".join(subs) + "])")
        typed = self._typed(schema, coerce, request)
        if typed != "z.unknown()" or not parts:
            parts.append(typed)
        result = _fold("z.intersection", parts)
        if "not" in schema:
            negated = self.expr(schema["not"], coerce, request)
            result += f'.refine((value) => !{negated}.safeParse(value).success, "must not match the excluded schema")'
        return result

    def _coerced(self, inner: str, schema: dict[str, Any], coerce: bool) -> str:
        if not coerce:
            return inner
        kinds = _kinds(schema)
        values = schema.get("enum", [schema.get("const")])
        if kinds & {"integer", "number"} or any(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
        ):
            return f"z.preprocess(asNumber, {inner})"
        if "boolean" in kinds or any(isinstance(v, bool) for v in values):
            return f"z.preprocess(asBoolean, {inner})"
        return inner

    def _typed(self, schema: dict[str, Any], coerce: bool, request: bool) -> str:
        kinds = sorted(_kinds(schema))
        if not kinds:
            return "z.unknown()"
        exprs = [self._single(schema, kind, coerce, request) for kind in kinds if kind != "null"]
        if not exprs:
            return "z.null()"
        result = exprs[0] if len(exprs) == 1 else "z.union([" + ", ".join(exprs) + "])"
        return result + ".nullable()" if "null" in kinds else result

    def _single(self, schema: dict[str, Any], kind: str, coerce: bool, request: bool) -> str:
        if kind == "string":
            return self._string(schema)
        if kind in ("integer", "number"):
            text = "z.number()"
            for key, method in (
                ("minimum", "gte"),
                ("maximum", "lte"),
                ("exclusiveMinimum", "gt"),
                ("exclusiveMaximum", "lt"),
                ("multipleOf", "multipleOf"),
            ):
                if isinstance(schema.get(key), (int, float)) and not isinstance(schema.get(key), bool):
                    text += f".{method}({_num(schema[key])})"
            if kind == "integer":  # not .int(): it also rejects int64 values beyond 2^53
                text += '.refine(Number.isInteger, "expected an integer")'
            return f"z.preprocess(asNumber, {text})" if coerce else text
        if kind == "boolean":
            return "z.preprocess(asBoolean, z.boolean())" if coerce else "z.boolean()"
        if kind == "array":
            item = self.expr(schema.get("items"), coerce, request)
            text = f"z.array({item})"
            if isinstance(schema.get("minItems"), int):
                text += f".min({schema['minItems']})"
            if isinstance(schema.get("maxItems"), int):
                text += f".max({schema['maxItems']})"
            if schema.get("uniqueItems") is True:
                text += '.refine(uniqueItems, "items must be unique")'
            return f"z.preprocess(asArray, {text})" if coerce else text
        if kind == "object":
            return self._object(schema, request)
        return "z.unknown()"

    def _string(self, schema: dict[str, Any]) -> str:
        if schema.get("format") == "binary":
            return "z.unknown()"
        text = _FORMATS.get(str(schema.get("format")), "z.string()")
        if isinstance(schema.get("minLength"), int):
            text += f".min({schema['minLength']})"
        if isinstance(schema.get("maxLength"), int):
            text += f".max({schema['maxLength']})"
        if isinstance(schema.get("pattern"), str):
            text += f'.regex(new RegExp({ts_string(schema["pattern"])}, "u"))'
        return text

    def _object(self, schema: dict[str, Any], request: bool) -> str:
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        fields = []
        for name, sub in props.items():
            value = self.expr(sub, False, request)
            read_only = isinstance(sub, dict) and sub.get("readOnly") is True
            if name not in required or (request and read_only):
                value += ".optional()"
            fields.append(f"{ts_string(name)}: {value}")
        text = "z.object({" + ", ".join(fields) + "})"
        extra = schema.get("additionalProperties")
        if extra is False:
            text += ".strict()"
        elif isinstance(extra, dict) and extra:
            text += f".catchall({self.expr(extra, False, request)})"
        else:
            text += ".loose()"
        bounds = [
            (k, schema[k]) for k in ("minProperties", "maxProperties") if isinstance(schema.get(k), int)
        ]
        for key, limit in bounds:
            op = ">=" if key == "minProperties" else "<="
            text += (
                f".refine((value) => Object.keys(value).length {op} {limit}, {ts_string(f'{key} {limit}')})"
            )
        return text

    def form(self, schema: dict[str, Any]) -> str:
        """A form body (urlencoded or multipart): top-level fields arrive as text and are parsed."""
        if "$ref" in schema or schema.get("type") not in ("object", None):
            return self.expr(schema)
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        fields = []
        for name, sub in props.items():
            value = self.expr(sub, True, True)
            if name not in required:
                value += ".optional()"
            fields.append(f"{ts_string(name)}: {value}")
        suffix = ".strict()" if schema.get("additionalProperties") is False else ".loose()"
        return "z.object({" + ", ".join(fields) + "})" + suffix


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


def _literal(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return f"z.custom((value) => deepEqual(value, {ts_literal(value)}))"
    return f"z.literal({ts_literal(value)})"


def _fold(function: str, parts: list[str]) -> str:
    result = parts[0]
    for part in parts[1:]:
        result = f"{function}({result}, {part})"
    return result
