"""Form bodies: file parts of multipart bodies, and a form schema's top level made inline.

A multipart property is a file when the spec says `format: binary` (OpenAPI 3.0) or gives a
`contentMediaType` without a `contentEncoding` (3.1). The parsers of the generated servers turn
a file part into an object (Express/Koa: `{filename, size, type}`; Fastify: a Buffer) and a text
part into a string, so a file property must be an object, and text sent in its place is a 400.
An object property is a JSON part (the OpenAPI Encoding Object's default `application/json` for
objects): its text is parsed as JSON before validation (Box's upload `attributes`).
"""

from __future__ import annotations

from typing import Any

from senior_backend.common.openapi import ref_name

# A file part for Ajv: a Buffer is an object, text is not (`format` keeps it readable as a file).
FILE_PART = {"type": "object", "format": "binary"}


def is_file(schema: Any) -> bool:
    """Whether a multipart property schema describes a file part."""
    if not isinstance(schema, dict):
        return False
    if schema.get("format") == "binary":
        return True
    return "contentMediaType" in schema and "contentEncoding" not in schema


def inlined(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A form body's schema with its top-level `$ref`s followed (its fields are read one by one)."""
    seen: set[str] = set()
    while isinstance(schema.get("$ref"), str) and ref_name(schema["$ref"]) in schemas:
        name = ref_name(schema["$ref"])
        if name in seen:
            break
        seen.add(name)
        schema = schemas[name]
    return schema


def has_files(schema: dict[str, Any]) -> bool:
    """Whether a form schema has file properties (or arrays of files) at its top level."""
    props = schema.get("properties")
    return isinstance(props, dict) and any(
        is_file(sub) or (isinstance(sub, dict) and is_file(sub.get("items"))) for sub in props.values()
    )


def json_parts(schema: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    """The top-level properties of a multipart schema that a client sends as JSON text: the objects."""
    props = schema.get("properties")
    if not isinstance(props, dict):
        return []
    out = []
    for name, sub in props.items():
        target = inlined(sub, schemas) if isinstance(sub, dict) else {}
        if target.get("type") == "object" or (target.get("type") is None and "properties" in target):
            out.append(name)
    return out


def files_as_parts(schema: dict[str, Any], cleaned: dict[str, Any]) -> dict[str, Any]:
    """`cleaned` (the Ajv form of multipart `schema`) with file properties, and arrays of them,
    required to be objects (Buffers); `format: binary` keeps them readable as files."""
    props, out_props = schema.get("properties"), cleaned.get("properties")
    if not isinstance(props, dict) or not isinstance(out_props, dict):
        return cleaned
    changed = dict(out_props)
    for name, sub in props.items():
        if is_file(sub):
            changed[name] = FILE_PART
        elif isinstance(sub, dict) and is_file(sub.get("items")) and isinstance(changed.get(name), dict):
            changed[name] = {**changed[name], "items": FILE_PART}
    return {**cleaned, "properties": changed}
