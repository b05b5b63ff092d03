"""A value that is valid against its JSON Schema: the spec's example, else a synthesized one.

Shared by the scaffolder (stub responses) and the load tester (requests of a
`--spec` scenario). Every candidate is checked with a real JSON Schema validator
(2020-12, with format checks), so a value never fails its own spec; an invalid
spec example is replaced by a synthesized one. Subclasses may reshape a valid
candidate (`fit`, e.g. the scaffolder fits it to a TypeScript type); it must
still validate. `request_view` is a schema as a request body sees it (no
`readOnly` properties), `from_openapi30` the 2020-12 reading of an OpenAPI 3.0
schema (`nullable`, boolean `exclusiveMinimum`).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from typing import Any

from jsonschema import Draft202012Validator

from senior_backend.common.openapi import ref_name
from senior_backend.common.regexgen import sample

_FORMAT_VALUES = {
    "email": "user@example.com",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "date-time": "2024-01-15T10:00:00Z",
    "date": "2024-01-15",
    "time": "10:00:00Z",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "ZXhhbXBsZQ==",
    "duration": "P1D",
    "uri-reference": "https://example.com/",
    "iri": "https://example.com/",
    "iri-reference": "https://example.com/",
    "idn-email": "user@example.com",
    "idn-hostname": "example.com",
    "json-pointer": "/example",
    "relative-json-pointer": "0/example",
    "regex": "^example$",
    "uri-template": "https://example.com/{id}",
}
_PATTERN_TRIES = (
    "example",
    "a",
    "A",
    "0",
    "1",
    "abc",
    "ABC",
    "a1",
    "aaaaaaaa",
    "00000000",
    "x-1",
    "A1b2C3d4",
)


class SchemaExamples:
    """Synthesizes and validates example values against a set of named schemas (`#/components/schemas/...`)."""

    def __init__(self, schemas: dict[str, dict[str, Any]]) -> None:
        self.schemas = schemas
        self.checker = Draft202012Validator.FORMAT_CHECKER  # not FormatChecker(): its `time` is draft 3's
        self._picked: dict[str, tuple[Any, bool]] = {}

    def is_valid(self, schema: dict[str, Any], value: Any) -> bool:
        root = {**schema, "components": {"schemas": self.schemas}}
        try:
            return Draft202012Validator(root, format_checker=self.checker).is_valid(value)
        except Exception:  # an unresolvable or odd schema counts as "cannot prove valid"
            return False

    def pick(self, schema: dict[str, Any], spec_example: tuple[bool, Any]) -> tuple[Any, bool]:
        """(value, valid): the spec example when valid, else a synthesized value (memoized)."""
        key = json.dumps([schema, spec_example], sort_keys=True, default=str)
        if key not in self._picked:
            self._picked[key] = self._pick(schema, spec_example)
        return copy.deepcopy(self._picked[key])

    def _pick(self, schema: dict[str, Any], spec_example: tuple[bool, Any]) -> tuple[Any, bool]:
        """The spec example, else a synthesized value, each passed through `fit`; (None, False)
        when no candidate is valid (the caller must not ship it)."""
        has, value = spec_example
        spec = [value] if has else []
        for candidate in itertools.chain(spec, (self.synthesize(schema, 0, variant) for variant in range(3))):
            if self.is_valid(schema, candidate):
                fitted = self.fit(schema, copy.deepcopy(candidate), 0)
                if self.is_valid(schema, fitted):
                    return fitted, True
        return None, False

    def fit(self, schema: Any, value: Any, depth: int) -> Any:
        """Reshape a valid candidate before it is used (none here; see the scaffolder's `Examples`)."""
        return value

    def _parts(self, schema: Any, depth: int, value: Any = None) -> list[dict[str, Any]]:
        """The schemas whose properties make up `schema`'s TypeScript type (refs and compositions);
        given a `value`, only the union members it is valid against (TypeScript narrows by tag)."""
        if not isinstance(schema, dict) or depth > 12:
            return []
        if "$ref" in schema:
            return self._parts(self.schemas.get(ref_name(schema["$ref"]), {}), depth + 1, value)
        parts = [schema]
        for key in ("allOf", "oneOf", "anyOf"):
            members = schema.get(key) or []
            if key != "allOf" and value is not None:
                members = [sub for sub in members if self.is_valid(sub, value)] or members
            for sub in members:
                parts.extend(self._parts(sub, depth + 1, value))
        return parts

    def synthesize(self, schema: Any, depth: int, variant: int = 0) -> Any:
        """A value for `schema` (not always valid: see `pick`); `variant` makes a different one."""
        if not isinstance(schema, dict) or depth > 12:
            return None
        if "x-example" in schema and not variant and self.is_valid(schema, schema["x-example"]):
            return schema["x-example"]
        if "$ref" in schema:
            return self.synthesize(self.schemas.get(ref_name(schema["$ref"]), {}), depth + 1, variant)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][variant % len(schema["enum"])]
        if "default" in schema and not variant and self.is_valid(schema, schema["default"]):
            return schema["default"]
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list):
                return self._choice(schema, key, depth)
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {}
            for sub in schema["allOf"]:
                value = self.synthesize(sub, depth + 1, variant)
                if not isinstance(value, dict):
                    if value is None or is_object(schema) or not _SHAPING.intersection(sub):
                        continue  # an annotation-only member (`{description: ...}`) adds nothing
                    return value  # a scalar composition (`allOf: [{$ref: Id}, {minimum: 5}]`)
                merged.update(value)
            own = self._typed({k: v for k, v in schema.items() if k != "allOf"}, depth, variant)
            if isinstance(own, dict):
                declared = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
                # the schema's own properties win; a name it only requires keeps the members' value
                merged.update({k: v for k, v in own.items() if k in declared or k not in merged})
            for name in schema.get("required") or []:
                # required here, declared by a member (that did not require it itself)
                if isinstance(name, str) and (name not in merged or merged[name] == "example"):
                    subs = [
                        part["properties"][name]
                        for part in self._parts(schema, depth)
                        if isinstance(part.get("properties"), dict) and name in part["properties"]
                    ]
                    if subs:
                        merged[name] = self.synthesize({"allOf": subs}, depth + 1, variant)
            return merged
        return self._typed(schema, depth, variant)

    def _choice(self, schema: dict[str, Any], key: str, depth: int) -> Any:
        discriminator = schema.get("x-discriminator") or {}
        prop = discriminator.get("propertyName") if isinstance(discriminator, dict) else None
        mapping = {v: k for k, v in (discriminator.get("mapping") or {}).items()} if prop else {}
        first = None
        for sub in schema[key]:
            value = self.synthesize(sub, depth + 1)
            if prop and isinstance(value, dict) and isinstance(sub, dict) and "$ref" in sub:
                tagged = {**value, prop: mapping.get(sub["$ref"], ref_name(sub["$ref"]))}
                if self.is_valid(schema, tagged):
                    return tagged
            if self.is_valid(schema, value):
                return value
            first = value if first is None else first
        return first

    def _typed(self, schema: dict[str, Any], depth: int, variant: int = 0) -> Any:
        kinds = schema.get("type")
        if isinstance(kinds, list):
            kinds = next((kind for kind in kinds if kind != "null"), "null")
        if kinds is None:
            kinds = "object" if "properties" in schema else "array" if "items" in schema else None
        if kinds == "object":
            required = set(schema.get("required") or [])
            props = schema.get("properties") or {}
            value = {
                name: self.synthesize(sub, depth + 1, variant)
                for name, sub in props.items()
                if name in required
                or (
                    (depth < 2 and not (isinstance(sub, dict) and sub.get("writeOnly")))
                    and not _recursive(sub)
                )
            }
            for name in required - set(props):
                value[name] = "example"
            return value
        if kinds == "array":
            count = schema.get("minItems", 1 if depth < 3 else 0)
            unique = schema.get("uniqueItems") is True
            return [
                self.synthesize(schema.get("items"), depth + 1, variant + (i if unique else 0))
                for i in range(int(count))
            ]
        if kinds in ("integer", "number"):
            return _number(schema, kinds == "integer", variant)
        if kinds == "boolean":
            return variant % 2 == 0
        if kinds == "null":
            return None
        if kinds == "string":
            return _string(schema, variant)
        return "example" if kinds is None and not schema else None


def _recursive(sub: Any) -> bool:
    return isinstance(sub, dict) and (
        "$ref" in sub or (sub.get("type") == "array" and "$ref" in (sub.get("items") or {}))
    )


# Keywords that decide what kind of value a schema takes (a member without any is an annotation).
_SHAPING = frozenset(["type", "const", "enum", "$ref", "allOf", "oneOf", "anyOf", "properties", "items"])


def is_object(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    return kinds == "object" or (isinstance(kinds, list) and "object" in kinds)


def _number(schema: dict[str, Any], integer: bool, variant: int = 0) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1  # a small number inside the bounds, not an edge of a wide range (int64)
    if isinstance(low, (int, float)) and value <= low:
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    elif isinstance(high, (int, float)) and value > high:
        value = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
    step = schema.get("multipleOf")
    room = high - value if isinstance(high, (int, float)) else variant
    value += min(variant, room) * (step if isinstance(step, (int, float)) and step > 0 else 1)
    if isinstance(step, (int, float)) and step > 0:
        value = (int(value // step) + (0 if value % step == 0 else 1)) * step
    if integer:
        return int(value) if float(value).is_integer() else int(value) + 1
    return value


def _string(schema: dict[str, Any], variant: int = 0) -> str:
    fmt = str(schema.get("format"))
    base = _FORMAT_VALUES.get(fmt, "example")
    if variant and fmt not in _FORMAT_VALUES:
        base = f"{base}{variant}"
    low, high = schema.get("minLength"), schema.get("maxLength")
    low = low if isinstance(low, int) else 0
    high = high if isinstance(high, int) else None
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            compiled = re.compile(pattern)
        except re.error:
            compiled = None
        if compiled is not None and (variant or not compiled.search(base)):
            tries = [] if variant else [c for c in _PATTERN_TRIES if compiled.search(c)]
            tries += [sample(pattern, variant, extra) for extra in range(0, max(low, 1) + 1)]
            fitting = [
                c for c in tries if c is not None and low <= len(c) <= (high if high is not None else len(c))
            ]
            if fitting:
                return fitting[0]
    if len(base) < low:
        base = base + "x" * (low - len(base))
    if high is not None and len(base) > high:
        base = base[:high]
    return base


def from_openapi30(node: Any) -> Any:
    """An OpenAPI 3.0 schema read as JSON Schema 2020-12: `nullable: true` adds `null`, a boolean
    `exclusiveMinimum`/`exclusiveMaximum` becomes the numeric bound (3.1 schemas pass unchanged)."""
    if isinstance(node, list):
        return [from_openapi30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: from_openapi30(value) for key, value in node.items() if key != "nullable"}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool) and out.pop(bound) and limit in out:
            out[bound] = out.pop(limit)
    if node.get("nullable") is True:
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif "type" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def request_view(node: Any) -> Any:
    """A schema as a request body sees it: `readOnly` properties are neither sent nor required."""
    if isinstance(node, list):
        return [request_view(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: request_view(value) for key, value in node.items()}
    props = node.get("properties")
    if isinstance(props, dict):
        hidden = {
            name for name, sub in props.items() if isinstance(sub, dict) and sub.get("readOnly") is True
        }
        if hidden:
            out["properties"] = {name: sub for name, sub in out["properties"].items() if name not in hidden}
            if isinstance(node.get("required"), list):
                out["required"] = [name for name in node["required"] if name not in hidden]
    return out
