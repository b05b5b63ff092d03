"""Parsing JavaScript and TypeScript with tree-sitter, and reading literal values out of the tree.

One parser per grammar (TypeScript, TSX, JavaScript) is created lazily and reused.
`literal()` turns an object/array/string/number literal into the Python value it
denotes, asking a resolver for identifiers, so that `{ body: UserSchema }` can
follow `UserSchema` to its declaration.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

Node = tree_sitter.Node
EXTENSIONS = (".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx")
UNRESOLVED = object()  # a value the code computes at run time


@cache
def _parser(grammar: str) -> tree_sitter.Parser:
    language = {
        "typescript": tree_sitter_typescript.language_typescript,
        "tsx": tree_sitter_typescript.language_tsx,
        "javascript": tree_sitter_javascript.language,
    }[grammar]()
    return tree_sitter.Parser(tree_sitter.Language(language))


def grammar_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".tsx":
        return "tsx"
    if suffix in (".ts", ".mts", ".cts"):
        return "typescript"
    return "javascript"


_PATTERNS = "(call_expression) @call (pair) @pair"
_TS_PATTERNS = _PATTERNS + " (as_expression) @as (type_alias_declaration) @alias"


@cache
def _query(grammar: str) -> tree_sitter.Query:
    return tree_sitter.Query(
        _parser(grammar).language, _PATTERNS if grammar == "javascript" else _TS_PATTERNS
    )


@dataclass
class Source:
    """One parsed file."""

    path: Path
    tree: tree_sitter.Tree
    grammar: str

    def find(self, node: Node | None = None) -> dict[str, list[Node]]:
        """Calls, object pairs (and in TypeScript `as` casts, type aliases) under `node`, in source order."""
        found = tree_sitter.QueryCursor(_query(self.grammar)).captures(node or self.root)
        return {kind: sorted(nodes, key=lambda n: n.start_byte) for kind, nodes in found.items()}

    @property
    def root(self) -> Node:
        return self.tree.root_node


def parse_file(path: Path, data: bytes) -> Source:
    grammar = grammar_for(path)
    return Source(path, _parser(grammar).parse(data), grammar)


def first_error(node: Node) -> Node | None:
    """The innermost first ERROR or MISSING node of a tree, in source order."""
    if not node.has_error and not node.is_missing:
        return None
    for child in node.children:
        if child.has_error or child.is_missing:
            return first_error(child)
    return node


def text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def line(node: Node) -> int:
    return node.start_point[0] + 1


def unwrap(node: Node | None) -> Node | None:
    """Strip parentheses, `as`/`satisfies` casts and non-null assertions."""
    while node is not None and node.type in (
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "type_assertion",
    ):
        node = node.named_children[0] if node.named_children else None
    return node


def string_value(node: Node | None) -> str | None:
    """The value of a string literal or a template string without substitutions."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string":
        raw = text(node)
        body = raw[1:-1]
        if raw[0] == "'":
            body = body.replace('\\"', '"').replace('"', '\\"').replace("\\'", "'")
        try:
            return str(json.loads('"' + body + '"'))
        except ValueError:
            return body
    if node.type == "template_string":
        if any(child.type == "template_substitution" for child in node.named_children):
            return None
        return text(node)[1:-1]
    return None


def property_key(node: Node) -> str | None:
    """The name of an object pair's key: identifier, string, number."""
    if node.type in ("property_identifier", "identifier", "shorthand_property_identifier"):
        return text(node)
    if node.type == "number":
        return text(node)
    if node.type == "computed_property_name":
        return string_value(node.named_children[0]) if node.named_children else None
    return string_value(node)


def object_pairs(node: Node | None) -> dict[str, Node]:
    """key -> value node of an object literal (shorthand `{ schema }` maps to the identifier)."""
    node = unwrap(node)
    if node is None or node.type != "object":
        return {}
    return dict(pair for pair in map(object_pairs_of, node.named_children) if pair is not None)


Resolver = Callable[[Node], "Node | None"]


def literal(node: Node | None, resolve: Resolver | None = None, depth: int = 0) -> Any:
    """The Python value of a literal expression; `UNRESOLVED` for anything computed."""
    node = unwrap(node)
    if node is None or depth > 64:
        return UNRESOLVED
    kind = node.type
    if kind in ("string", "template_string"):
        value = string_value(node)
        return UNRESOLVED if value is None else value
    if kind == "number":
        raw = text(node).replace("_", "")
        try:
            return int(raw, 0) if raw.isdigit() or raw.lower().startswith(("0x", "0o", "0b")) else float(raw)
        except ValueError:
            return UNRESOLVED
    if kind == "unary_expression" and text(node).startswith("-"):
        inner = literal(node.named_children[0], resolve, depth + 1)
        return -inner if isinstance(inner, (int, float)) else UNRESOLVED
    if kind in ("true", "false"):
        return kind == "true"
    if kind == "null":
        return None
    if kind == "array":
        items = [literal(child, resolve, depth + 1) for child in node.named_children]
        return UNRESOLVED if any(item is UNRESOLVED for item in items) else items
    if kind == "object":
        out: dict[str, Any] = {}
        for child in node.named_children:
            if child.type == "spread_element":
                spread = literal(child.named_children[0], resolve, depth + 1)
                if not isinstance(spread, dict):
                    return UNRESOLVED
                out.update(spread)
                continue
            pairs = object_pairs_of(child)
            if pairs is None:
                return UNRESOLVED
            key, value_node = pairs
            value = literal(value_node, resolve, depth + 1)
            if value is UNRESOLVED:
                return UNRESOLVED
            out[key] = value
        return out
    if kind in ("identifier", "shorthand_property_identifier", "member_expression") and resolve:
        target = resolve(node)
        if target is not None and target != node:
            return literal(target, resolve, depth + 1)
    return UNRESOLVED


def object_pairs_of(child: Node) -> tuple[str, Node] | None:
    if child.type == "pair":
        key_node = child.child_by_field_name("key")
        value = child.child_by_field_name("value")
        key = property_key(key_node) if key_node is not None else None
        return (key, value) if key is not None and value is not None else None
    if child.type == "shorthand_property_identifier":
        return text(child), child
    return None


def call_parts(node: Node) -> tuple[Node | None, str | None, list[Node]]:
    """For `receiver.name(args)`: (receiver, name, args); for `name(args)`: (None, name, args)."""
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    args = [arg for arg in arguments.named_children if arg.type != "comment"] if arguments else []
    if function is None:
        return None, None, args
    if function.type == "member_expression":
        prop = function.child_by_field_name("property")
        return function.child_by_field_name("object"), text(prop) if prop else None, args
    if function.type == "identifier":
        return None, text(function), args
    return None, None, args


def preceding_comment(node: Node) -> str | None:
    """The text of a `/** ... */` comment right before a declaration (or its export statement)."""
    target = node.parent if node.parent is not None and node.parent.type == "export_statement" else node
    previous = target.prev_named_sibling
    if previous is None or previous.type != "comment":
        return None
    raw = text(previous)
    if not raw.startswith("/**"):
        return None
    return uncomment(raw[3:-2].strip())


def uncomment(value: str) -> str:
    """Undo naming.ts_comment's escaping of comment delimiters."""
    return value.replace("*\\/", "*/").replace("/\\*", "/*")
