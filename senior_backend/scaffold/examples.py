"""A response body that is valid against its schema: the spec's example, else a synthesized one.

Every candidate is checked with a real JSON Schema validator (2020-12, with
format checks), so a stub never returns something its own spec rejects; an
invalid spec example is reported as a warning and replaced.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from senior_backend.common.openapi import ref_name

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


class Examples:
    """Synthesizes and validates example values against the model's named schemas."""

    def __init__(self, schemas: dict[str, dict[str, Any]]) -> None:
        self.schemas = schemas
        self.checker = FormatChecker()
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
        has, value = spec_example
        if has and self.is_valid(schema, value):
            return value, True
        synthesized = self.synthesize(schema, 0)
        return synthesized, self.is_valid(schema, synthesized)

    def synthesize(self, schema: Any, depth: int) -> Any:
        if not isinstance(schema, dict) or depth > 12:
            return None
        if "x-example" in schema and self.is_valid(schema, schema["x-example"]):
            return schema["x-example"]
        if "$ref" in schema:
            return self.synthesize(self.schemas.get(ref_name(schema["$ref"]), {}), depth + 1)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        if "default" in schema and self.is_valid(schema, schema["default"]):
            return schema["default"]
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list):
                return self._choice(schema, key, depth)
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {}
            for sub in schema["allOf"]:
                value = self.synthesize(sub, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            own = self._typed({k: v for k, v in schema.items() if k != "allOf"}, depth)
            if isinstance(own, dict):
                merged.update(own)
            return merged
        return self._typed(schema, depth)

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

    def _typed(self, schema: dict[str, Any], depth: int) -> Any:
        kinds = schema.get("type")
        if isinstance(kinds, list):
            kinds = next((kind for kind in kinds if kind != "null"), "null")
        if kinds is None:
            kinds = "object" if "properties" in schema else "array" if "items" in schema else None
        if kinds == "object":
            required = set(schema.get("required") or [])
            props = schema.get("properties") or {}
            value = {
                name: self.synthesize(sub, depth + 1)
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
            return [self.synthesize(schema.get("items"), depth + 1) for _ in range(int(count))]
        if kinds in ("integer", "number"):
            return _number(schema, kinds == "integer")
        if kinds == "boolean":
            return True
        if kinds == "null":
            return None
        if kinds == "string":
            return _string(schema)
        return "example" if kinds is None and not schema else None


def _recursive(sub: Any) -> bool:
    return isinstance(sub, dict) and (
        "$ref" in sub or (sub.get("type") == "array" and "$ref" in (sub.get("items") or {}))
    )


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1
    if isinstance(low, (int, float)):
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    elif isinstance(high, (int, float)) and value > high:
        value = high - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0:
        value = (int(value // step) + (0 if value % step == 0 else 1)) * step
    if integer:
        return int(value) if float(value).is_integer() else int(value) + 1
    return value


def _string(schema: dict[str, Any]) -> str:
    base = _FORMAT_VALUES.get(str(schema.get("format")), "example")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            compiled = re.compile(pattern)
        except re.error:
            compiled = None
        if compiled is not None and not compiled.search(base):
            base = next((c for c in _PATTERN_TRIES if compiled.search(c)), base)
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(base) < low:
        base = base + "x" * (low - len(base))
    if isinstance(high, int) and len(base) > high:
        base = base[:high]
    return base
