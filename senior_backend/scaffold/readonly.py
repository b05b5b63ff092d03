"""Request views of schemas: a `readOnly` property is never required in a request.

OpenAPI lets one schema serve both directions (`id: {readOnly: true}` listed in
`required`): responses must carry it, requests must not have to. Every named
schema that (directly or through its references) requires a readOnly property
gets a request variant named `<name>.write`, and request bodies point at those
variants, so validators and handler types accept what a client may send.
"""

from __future__ import annotations

from typing import Any

from senior_backend.common.openapi import ref_name

PREFIX = "#/components/schemas/"
SUFFIX = ".write"


def _walk(node: Any, visit) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for item in node:
            _walk(item, visit)


def _requires_read_only(schema: dict[str, Any]) -> bool:
    found = False

    def visit(node: dict[str, Any]) -> None:
        nonlocal found
        props = node.get("properties")
        if isinstance(props, dict) and isinstance(node.get("required"), list):
            found = found or any(
                isinstance(props.get(name), dict) and props[name].get("readOnly") is True
                for name in node["required"]
            )

    _walk(schema, visit)
    return found


def _refs(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def visit(node: dict[str, Any]) -> None:
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith(PREFIX):
            names.add(ref_name(node["$ref"]))

    _walk(schema, visit)
    return names


def needing_variants(schemas: dict[str, dict[str, Any]]) -> set[str]:
    """Named schemas whose request view differs from the schema itself."""
    needs = {name for name, schema in schemas.items() if _requires_read_only(schema)}
    refs = {name: _refs(schema) for name, schema in schemas.items()}
    changed = True
    while changed:
        changed = False
        for name in schemas:
            if name not in needs and refs[name] & needs:
                needs.add(name)
                changed = True
    return needs


def request_view(node: Any, needs: set[str]) -> Any:
    """`node` as a request sees it: readOnly properties optional, references to variants."""
    if isinstance(node, list):
        return [request_view(item, needs) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: request_view(value, needs) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(PREFIX) and ref_name(ref) in needs:
        out["$ref"] = PREFIX + ref[len(PREFIX) :] + SUFFIX
    props = node.get("properties")
    if isinstance(props, dict) and isinstance(node.get("required"), list):
        out["required"] = [
            name
            for name in node["required"]
            if not (isinstance(props.get(name), dict) and props[name].get("readOnly") is True)
        ]
    return out
