"""Discriminated unions made explicit: each `$ref` member of a `oneOf`/`anyOf` with a `discriminator`
is narrowed to the tag values that select it.

OpenAPI's discriminator says which member a value belongs to by one property (`kind: circle` ->
`Circle`); JSON Schema validators ignore it, so `{"kind": "triangle", "radius": 1}` would pass as a
`Circle` whose `kind` is any string. `tag_unions` rewrites such a member into
`allOf: [{$ref: Circle}, {properties: {kind: {enum: [circle]}}, required: [kind]}]`, which every
validator (zod, Ajv) and the TypeScript types then enforce alike. A member that fixes the property
itself (`enum`/`const`) and is not named in `mapping` is left as it is.
"""

from __future__ import annotations

from typing import Any

from senior_backend.common.openapi import ref_name

PREFIX = "#/components/schemas/"


def _full_ref(target: Any) -> str | None:
    """A mapping value as a `$ref` (`Circle` and `#/components/schemas/Circle` are the same)."""
    if not isinstance(target, str):
        return None
    return target if target.startswith("#") else PREFIX + target


def member_tags(schema: dict[str, Any], key: str, schemas: dict[str, Any]) -> list[list[str] | None]:
    """The tag values of each member of `schema[key]` (None: not narrowed by the discriminator)."""
    discriminator = schema.get("x-discriminator")
    prop = discriminator.get("propertyName") if isinstance(discriminator, dict) else None
    members = schema.get(key)
    if not isinstance(prop, str) or not isinstance(members, list):
        return [None] * (len(members) if isinstance(members, list) else 0)
    mapping: dict[str, list[str]] = {}
    raw_mapping = discriminator.get("mapping") if isinstance(discriminator.get("mapping"), dict) else {}
    for tag, target in raw_mapping.items():
        ref = _full_ref(target)
        if ref is not None:
            mapping.setdefault(ref, []).append(str(tag))
    tags: list[list[str] | None] = []
    for member in members:
        ref = member.get("$ref") if isinstance(member, dict) else None
        if not isinstance(ref, str):
            tags.append(None)
        elif ref in mapping:
            tags.append(mapping[ref])
        elif _fixes(schemas.get(ref_name(ref)), prop):
            tags.append(None)
        else:
            tags.append([ref_name(ref)])
    return tags


def _fixes(target: Any, prop: str) -> bool:
    """Whether a member schema pins the discriminator property to values of its own."""
    props = target.get("properties") if isinstance(target, dict) else None
    spec = props.get(prop) if isinstance(props, dict) else None
    return isinstance(spec, dict) and ("enum" in spec or "const" in spec)


def tag_unions(node: Any, schemas: dict[str, Any]) -> Any:
    """`node` with every discriminated union's members narrowed (see module docstring); never mutates."""
    if isinstance(node, list):
        return [tag_unions(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: tag_unions(value, schemas) for key, value in node.items()}
    discriminator = node.get("x-discriminator")
    if not isinstance(discriminator, dict):
        return out
    prop = discriminator.get("propertyName")
    for key in ("oneOf", "anyOf"):
        if key not in out:
            continue
        narrowed = []
        for member, tags in zip(out[key], member_tags(node, key, schemas), strict=True):
            if tags is None:
                narrowed.append(member)
            else:
                tag = {"type": "object", "properties": {prop: {"enum": tags}}, "required": [prop]}
                narrowed.append({"allOf": [member, tag]})
        out[key] = narrowed
    return out
