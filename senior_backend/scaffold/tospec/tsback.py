"""TypeScript types back to JSON Schema, for response bodies (which only types.ts states).

A type names only what TypeScript can say: `number` stays `number` (an
`integer` in the spec comes back as `number`), and no length or range checks.
Named types become `$ref`s through `refer`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from senior_backend.scaffold.tospec.jsast import UNRESOLVED, Node, literal, property_key, text

_PREDEFINED = {"string": "string", "number": "number", "boolean": "boolean"}


class TypeReader:
    """Reads type nodes; `refer(name)` gives the `$ref` of a named type, or None."""

    def __init__(self, refer: Callable[[str], dict[str, Any] | None]) -> None:
        self.refer = refer

    def schema(self, node: Node | None) -> dict[str, Any]:
        if node is None:
            return {}
        kind = node.type
        if kind in ("type_annotation", "parenthesized_type"):
            return self.schema(node.named_children[0] if node.named_children else None)
        if kind == "predefined_type":
            name = text(node)
            return {"type": _PREDEFINED[name]} if name in _PREDEFINED else {}
        if kind == "literal_type":
            inner = node.named_children[0] if node.named_children else None
            if inner is not None and inner.type == "null":
                return {"type": "null"}
            value = literal(inner)
            return {"const": value} if value is not UNRESOLVED else {}
        if kind == "union_type":
            items = [self.schema(child) for child in _flatten(node, "union_type")]
            return {"anyOf": items}
        if kind == "intersection_type":
            return {"allOf": [self.schema(child) for child in _flatten(node, "intersection_type")]}
        if kind == "array_type":
            return {"type": "array", "items": self.schema(node.named_children[0])}
        if kind == "tuple_type":
            items = [self.schema(child) for child in node.named_children]
            return {"type": "array", "prefixItems": items, "items": False}
        if kind == "object_type":
            return self._object(node)
        if kind == "generic_type":
            return self._generic(node)
        if kind in ("type_identifier", "nested_type_identifier"):
            return self.refer(text(node).rsplit(".", 1)[-1]) or {}
        return {}

    def _generic(self, node: Node) -> dict[str, Any]:
        name = text(node.named_children[0])
        arguments = node.named_children[1].named_children if len(node.named_children) > 1 else []
        if name in ("Array", "ReadonlyArray") and arguments:
            return {"type": "array", "items": self.schema(arguments[0])}
        if name == "Record" and len(arguments) == 2:
            value = text(arguments[1])
            if value == "unknown":
                return {"type": "object"}
            if value == "never":
                return {"type": "object", "additionalProperties": False}
            return {"type": "object", "additionalProperties": self.schema(arguments[1])}
        return {}

    def _object(self, node: Node) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        out: dict[str, Any] = {"type": "object"}
        for member in node.named_children:
            if member.type == "property_signature":
                name_node = member.child_by_field_name("name")
                name = property_key(name_node) if name_node is not None else None
                if name is None:
                    continue
                schema = self.schema(member.child_by_field_name("type"))
                if any(child.type == "readonly" or text(child) == "readonly" for child in member.children):
                    schema = {**schema, "readOnly": True}
                properties[name] = schema
                if not any(text(child) == "?" for child in member.children):
                    required.append(name)
            elif member.type == "index_signature":
                out["additionalProperties"] = self.schema(member.child_by_field_name("type"))
        if properties:
            out["properties"] = properties
        if required:
            out["required"] = required
        return out

    def members(self, node: Node | None) -> dict[str, Node]:
        """name -> type node of an object type literal (for `{ status: 200; body: X }`)."""
        out: dict[str, Node] = {}
        if node is None or node.type != "object_type":
            return out
        for member in node.named_children:
            if member.type == "property_signature":
                name_node, kind = member.child_by_field_name("name"), member.child_by_field_name("type")
                name = property_key(name_node) if name_node is not None else None
                if name is not None and kind is not None:
                    out[name] = kind.named_children[0] if kind.type == "type_annotation" else kind
        return out


def union_members(node: Node) -> list[Node]:
    """The members of a (possibly nested) union type; a non-union is its own only member."""
    return _flatten(node, "union_type") if node.type == "union_type" else [node]


def _flatten(node: Node, kind: str) -> list[Node]:
    out: list[Node] = []
    for child in node.named_children:
        out.extend(_flatten(child, kind) if child.type == kind else [child])
    return out
