"""JSON Schema (normalized, see ir.py) to TypeScript type expressions."""

from __future__ import annotations

import json
from typing import Any

from senior_backend.common.openapi import ref_name
from senior_backend.scaffold.naming import ts_string

_PRIMITIVE = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}


def ts_literal(value: Any) -> str:
    """A JSON value as a TypeScript literal type or expression (strings escaped)."""
    if isinstance(value, str):
        return ts_string(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(ts_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(key)}: {ts_literal(item)}" for key, item in value.items()) + " }"
    return "unknown"


def _key(name: str) -> str:
    """A property key; `__proto__` is computed so an object literal never sets the prototype."""
    return f"[{ts_string(name)}]" if name == "__proto__" else ts_string(name)


class TypeWriter:
    """Turns schemas into TypeScript types, naming `$ref`s with the model's type names."""

    def __init__(
        self, type_names: dict[str, str], prefix: str = "", schemas: dict[str, Any] | None = None
    ) -> None:
        self.type_names = type_names
        self.schemas = schemas or {}
        self.prefix = prefix

    def type(self, schema: Any, indent: str = "") -> str:
        if not isinstance(schema, dict) or not schema:
            return "unknown"
        if "$ref" in schema:
            return self.prefix + self.type_names.get(ref_name(schema["$ref"]), "unknown")
        if "const" in schema:
            return ts_literal(schema["const"])
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return " | ".join(ts_literal(value) for value in schema["enum"])
        parts: list[str] = []
        if "allOf" in schema:
            parts.append(" & ".join(self._wrap(self.type(sub, indent)) for sub in schema["allOf"]))
        for key in ("oneOf", "anyOf"):
            if key in schema:
                parts.append(self._union(schema, key, indent))
        rest = self._by_type(schema, indent)
        if rest != "unknown" or not parts:
            parts.append(rest)
        if len(parts) == 1:
            return parts[0]
        return " & ".join(self._wrap(part) for part in parts)

    def _union(self, schema: dict[str, Any], key: str, indent: str) -> str:
        discriminator = schema.get("x-discriminator") or {}
        prop = discriminator.get("propertyName") if isinstance(discriminator, dict) else None
        mapping = {v: k for k, v in (discriminator.get("mapping") or {}).items()} if prop else {}
        members = []
        for sub in schema[key]:
            member = self.type(sub, indent)
            if (
                prop
                and isinstance(sub, dict)
                and "$ref" in sub
                and self._open_tag(sub["$ref"], prop, mapping)
            ):
                tag = mapping.get(sub["$ref"], ref_name(sub["$ref"]))
                member = f"({member} & {{ {ts_string(prop)}: {ts_string(tag)} }})"
            members.append(self._wrap(member))
        return " | ".join(members) if members else "never"

    def _open_tag(self, ref: str, prop: str, mapping: dict[str, str]) -> bool:
        """Whether to narrow a member by its discriminator value (not when the member fixes it itself)."""
        if ref in mapping:
            return True
        target = (self.schemas.get(ref_name(ref)) or {}).get("properties", {}).get(prop, {})
        return not (isinstance(target, dict) and ("enum" in target or "const" in target))

    def _by_type(self, schema: dict[str, Any], indent: str) -> str:
        kinds = schema.get("type")
        if isinstance(kinds, list):
            return " | ".join(self._single(schema, kind, indent) for kind in kinds) or "unknown"
        if kinds is None:
            if "properties" in schema or "additionalProperties" in schema:
                kinds = "object"
            elif "items" in schema:
                kinds = "array"
            else:
                return "unknown"
        return self._single(schema, str(kinds), indent)

    def _single(self, schema: dict[str, Any], kind: str, indent: str) -> str:
        if kind in _PRIMITIVE:
            if kind == "string" and schema.get("format") == "binary":
                return "unknown"
            return _PRIMITIVE[kind]
        if kind == "array":
            if isinstance(schema.get("prefixItems"), list):
                return "[" + ", ".join(self.type(sub, indent) for sub in schema["prefixItems"]) + "]"
            return f"Array<{self.type(schema.get('items'), indent)}>"
        if kind == "object":
            return self.object(schema, indent)
        return "unknown"

    def object(self, schema: dict[str, Any], indent: str = "") -> str:
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        extra = schema.get("additionalProperties")
        inner = indent + "  "
        lines = []
        for name, sub in props.items():
            readonly = "readonly " if isinstance(sub, dict) and sub.get("readOnly") else ""
            optional = "" if name in required else "?"
            lines.append(f"{inner}{readonly}{_key(name)}{optional}: {self.type(sub, inner)};")
        if isinstance(extra, dict) and extra:
            value = self.type(extra, inner) if not props else "unknown"
            lines.append(f"{inner}[key: string]: {value};")
        if not lines:
            return "Record<string, never>" if extra is False else "Record<string, unknown>"
        return "{\n" + "\n".join(lines) + f"\n{indent}}}"

    @staticmethod
    def _wrap(text: str) -> str:
        return f"({text})" if (" | " in text or " & " in text) and not text.startswith("(") else text
