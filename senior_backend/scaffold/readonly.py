"""Request and response views of schemas: a `readOnly` property is never required in a request, a
`writeOnly` property never appears in a response.

OpenAPI lets one schema serve both directions (`id: {readOnly: true}` listed in
`required`): responses must carry it, requests must not have to. Every named
schema that (directly or through its references) requires a readOnly property
gets a request variant named `<name>.write`, and request bodies point at those
variants, so validators and handler types accept what a client may send.

The mirror case: a writeOnly property (`password: {writeOnly: true}`) is sent
in requests and never returned. Every named schema that (directly or through
its references) declares one gets a response variant named `<name>.read`
without it (nor in any `required` list: its own, or an `allOf` member's), and
response schemas point at those, so response types and stub examples never
carry it. A response view names what it dropped in `x-write-only`, for the
examples that must drop it from values the type leaves open (examples.py).
"""

from __future__ import annotations

from typing import Any

from senior_backend.common.openapi import ref_name

PREFIX = "#/components/schemas/"
SUFFIX = ".write"
READ_SUFFIX = ".read"
WRITE_ONLY = "x-write-only"
# Subschema keywords a response view follows (the other keywords are copied as they are).
_MAPS = ("patternProperties", "$defs", "definitions", "dependentSchemas")
_SINGLE = (
    "items",
    "not",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "propertyNames",
    "contentSchema",
    "if",
    "then",
    "else",
)


def _walk(node: Any, visit) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for item in node:
            _walk(item, visit)


def _flagged(sub: Any, flag: str, schemas: dict[str, dict[str, Any]]) -> bool:
    """Whether a property schema carries `flag` (readOnly, writeOnly): itself, or the named schema it refers to
    (`password: {$ref: Password}` with `Password: {type: string, writeOnly: true}`)."""
    if not isinstance(sub, dict):
        return False
    if sub.get(flag) is True:
        return True
    ref = sub.get("$ref")
    if isinstance(ref, str) and ref.startswith(PREFIX):
        target = schemas.get(ref_name(ref))
        return isinstance(target, dict) and target.get(flag) is True
    return False


def _any_node(node: Any, test) -> bool:
    """Whether `test(object)` holds for any object in `node`, itself included."""
    if isinstance(node, dict):
        return test(node) or any(_any_node(value, test) for value in node.values())
    if isinstance(node, list):
        return any(_any_node(item, test) for item in node)
    return False


def _requires_read_only(schema: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> bool:
    def test(node: dict[str, Any]) -> bool:
        props, required = node.get("properties"), node.get("required")
        return (
            isinstance(props, dict)
            and isinstance(required, list)
            and any(_flagged(props.get(name), "readOnly", schemas) for name in required)
        )

    return _any_node(schema, test)


def _declares_write_only(schema: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> bool:
    def test(node: dict[str, Any]) -> bool:
        props = node.get("properties")
        return isinstance(props, dict) and any(_flagged(sub, "writeOnly", schemas) for sub in props.values())

    return _any_node(schema, test)


def _refs(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def visit(node: dict[str, Any]) -> None:
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith(PREFIX):
            names.add(ref_name(node["$ref"]))

    _walk(schema, visit)
    return names


def _closure(schemas: dict[str, dict[str, Any]], own) -> set[str]:
    """The named schemas for which `own(schema)` holds, and every schema referring to one of them."""
    needs = {name for name, schema in schemas.items() if own(schema, schemas)}
    refs = {name: _refs(schema) for name, schema in schemas.items()}
    changed = True
    while changed:
        changed = False
        for name in schemas:
            if name not in needs and refs[name] & needs:
                needs.add(name)
                changed = True
    return needs


def needing_variants(schemas: dict[str, dict[str, Any]]) -> set[str]:
    """Named schemas whose request view differs from the schema itself."""
    return _closure(schemas, _requires_read_only)


def needing_response_variants(schemas: dict[str, dict[str, Any]]) -> set[str]:
    """Named schemas whose response view differs from the schema itself."""
    return _closure(schemas, _declares_write_only)


def request_view(node: Any, needs: set[str], schemas: dict[str, dict[str, Any]]) -> Any:
    """`node` as a request sees it: readOnly properties optional, references to variants (`schemas`: the
    named schemas, for a property whose readOnly is on the schema it refers to)."""
    if isinstance(node, list):
        return [request_view(item, needs, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: request_view(value, needs, schemas) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(PREFIX) and ref_name(ref) in needs:
        out["$ref"] = PREFIX + ref[len(PREFIX) :] + SUFFIX
    props = node.get("properties")
    if isinstance(props, dict) and isinstance(node.get("required"), list):
        out["required"] = [
            name for name in node["required"] if not _flagged(props.get(name), "readOnly", schemas)
        ]
    return out


def _write_only_names(
    node: Any, schemas: dict[str, dict[str, Any]], seen: frozenset[str] = frozenset()
) -> set[str]:
    """The writeOnly properties an object schema declares: its own, and its `allOf` members' (refs followed)."""
    if not isinstance(node, dict):
        return set()
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(PREFIX):
        name = ref_name(ref)
        return set() if name in seen else _write_only_names(schemas.get(name), schemas, seen | {name})
    props = node.get("properties")
    names = (
        {key for key, sub in props.items() if _flagged(sub, "writeOnly", schemas)}
        if isinstance(props, dict)
        else set()
    )
    for member in node.get("allOf") if isinstance(node.get("allOf"), list) else []:
        names |= _write_only_names(member, schemas, seen)
    return names


def response_view(
    node: Any, needs: set[str], schemas: dict[str, dict[str, Any]], hidden: frozenset[str] = frozenset()
) -> Any:
    """`node` as a response sees it: no writeOnly properties, references to variants.

    `schemas` are the named schemas `node` refers to (to find what an `allOf` member declares);
    `hidden` are writeOnly names a composition around `node` declares, dropped from its `required`."""
    if not isinstance(node, dict):
        return node
    hidden = hidden | _write_only_names(node, schemas)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(PREFIX) and ref_name(value) in needs:
            out[key] = value + READ_SUFFIX
        elif key == "properties" and isinstance(value, dict):
            out[key] = {
                name: response_view(sub, needs, schemas)
                for name, sub in value.items()
                if not _flagged(sub, "writeOnly", schemas)
            }
            dropped = sorted(set(value) - set(out[key]))
            if dropped:
                out[WRITE_ONLY] = dropped
        elif key in _MAPS and isinstance(value, dict):
            out[key] = {name: response_view(sub, needs, schemas) for name, sub in value.items()}
        elif key in ("allOf", "oneOf", "anyOf") and isinstance(value, list):
            out[key] = [response_view(sub, needs, schemas, hidden) for sub in value]
        elif key == "prefixItems" and isinstance(value, list):
            out[key] = [response_view(sub, needs, schemas) for sub in value]
        elif key in _SINGLE and isinstance(value, dict):
            out[key] = response_view(value, needs, schemas)
        elif key == "required" and isinstance(value, list):
            out[key] = [name for name in value if name not in hidden]
        else:
            out[key] = value
    return out
