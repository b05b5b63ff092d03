"""JSON Schema (normalized, see ir.py) to TypeScript type *nodes*.

This module decides what a schema means as a type (intersection for allOf, union
for oneOf/anyOf, tagged members for discriminators, optional and readonly
properties); `templates/_macros/typescript.j2` (`tstype`) decides how it is spelled.
A node is a plain dict with a `kind`.
"""

from __future__ import annotations

from typing import Any

from senior_backend.common.openapi import ref_name

Node = dict[str, Any]
UNKNOWN: Node = {"kind": "unknown"}


def union(items: list[Node]) -> Node:
    return items[0] if len(items) == 1 else {"kind": "union", "items": items}


def intersection(items: list[Node]) -> Node:
    return items[0] if len(items) == 1 else {"kind": "intersection", "items": items}


class TypeBuilder:
    """Turns schemas into type nodes, naming `$ref`s with the model's type names (plus `prefix`)."""

    def __init__(
        self, type_names: dict[str, str], prefix: str = "", schemas: dict[str, Any] | None = None
    ) -> None:
        self.type_names = type_names
        self.prefix = prefix
        self.schemas = schemas or {}

    def node(self, schema: Any) -> Node:
        if not isinstance(schema, dict) or not schema:
            return UNKNOWN
        if "$ref" in schema:
            name = self.type_names.get(ref_name(schema["$ref"]))
            return {"kind": "ref", "name": self.prefix + name} if name else UNKNOWN
        if "const" in schema:
            return {"kind": "literal", "value": schema["const"]}
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return union([{"kind": "literal", "value": value} for value in schema["enum"]])
        parts: list[Node] = []
        if "allOf" in schema:
            parts.append(intersection([self.node(sub) for sub in schema["allOf"]] or [UNKNOWN]))
        for key in ("oneOf", "anyOf"):
            if key in schema:
                parts.append(self._union(schema, key))
        rest = self._by_type(schema)
        if rest is not UNKNOWN or not parts:
            parts.append(rest)
        return intersection(parts)

    def _union(self, schema: dict[str, Any], key: str) -> Node:
        discriminator = schema.get("x-discriminator") or {}
        prop = discriminator.get("propertyName") if isinstance(discriminator, dict) else None
        mapping = {v: k for k, v in (discriminator.get("mapping") or {}).items()} if prop else {}
        members = []
        for sub in schema[key]:
            member = self.node(sub)
            if (
                prop
                and isinstance(sub, dict)
                and "$ref" in sub
                and self._open_tag(sub["$ref"], prop, mapping)
            ):
                tag = mapping.get(sub["$ref"], ref_name(sub["$ref"]))
                member = {"kind": "tagged", "base": member, "prop": prop, "tag": tag}
            members.append(member)
        return union(members) if members else {"kind": "never"}

    def _open_tag(self, ref: str, prop: str, mapping: dict[str, str]) -> bool:
        """Whether to narrow a member by its discriminator value (not when the member fixes it itself)."""
        if ref in mapping:
            return True
        target = (self.schemas.get(ref_name(ref)) or {}).get("properties", {}).get(prop, {})
        return not (isinstance(target, dict) and ("enum" in target or "const" in target))

    def _by_type(self, schema: dict[str, Any]) -> Node:
        kinds = schema.get("type")
        if isinstance(kinds, list):
            return union([self._single(schema, str(kind)) for kind in kinds]) if kinds else UNKNOWN
        if kinds is None:
            if "properties" in schema or "additionalProperties" in schema:
                kinds = "object"
            elif "items" in schema:
                kinds = "array"
            else:
                return UNKNOWN
        return self._single(schema, str(kinds))

    def _single(self, schema: dict[str, Any], kind: str) -> Node:
        if kind in ("string", "integer", "number", "boolean", "null"):
            if kind == "string" and schema.get("format") == "binary":
                return UNKNOWN
            return {"kind": "primitive", "type": kind}
        if kind == "array":
            if isinstance(schema.get("prefixItems"), list):
                # items past `minItems` may be absent; further items are `items` (none when `items: false`)
                least = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
                rest = schema.get("items", True)
                return {
                    "kind": "tuple",
                    "items": [
                        {"type": self.node(sub), "optional": i >= least}
                        for i, sub in enumerate(schema["prefixItems"])
                    ],
                    "rest": None if rest is False or rest == {"not": {}} else self.node(rest),
                }
            return {"kind": "array", "item": self.node(schema.get("items"))}
        if kind == "object":
            return self.object(schema)
        return UNKNOWN

    def object(self, schema: dict[str, Any]) -> Node:
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        extra = schema.get("additionalProperties")
        index = None
        if isinstance(extra, dict) and extra:
            index = self.node(extra) if not props else UNKNOWN
        return {
            "kind": "object",
            "props": [
                {
                    "name": name,
                    "optional": name not in required,
                    "readonly": isinstance(sub, dict) and sub.get("readOnly") is True,
                    "type": self.node(sub),
                }
                for name, sub in props.items()
            ],
            "index": index,
            "closed": extra is False,
        }
