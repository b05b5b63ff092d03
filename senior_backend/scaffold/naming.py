"""Identifiers, file names and the escaping functions for every place a spec string lands in code.

Everything that goes from a spec into TypeScript passes through exactly one of:
`ts_string` (string literal), `ts_comment` (inside a block comment),
`ts_template` (inside a template literal). Identifiers and file names are
built only from `[A-Za-z0-9_]` after sanitizing, never copied raw.
"""

from __future__ import annotations

import json
import re

RESERVED = frozenset(
    [
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "new",
        "null",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "let",
        "static",
        "implements",
        "interface",
        "package",
        "private",
        "protected",
        "public",
        "await",
        "any",
        "boolean",
        "number",
        "string",
        "symbol",
        "unknown",
        "never",
        "object",
        "undefined",
        "type",
        "declare",
        "namespace",
        "module",
        "constructor",
        "arguments",
        "eval",
        "async",
        "of",
        "as",
        "from",
        "get",
        "set",
        "is",
        "keyof",
        "readonly",
        "infer",
        "require",
    ]
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def ts_string(value: str) -> str:
    """A TypeScript string literal for `value` (double-quoted, ASCII-only, every escape explicit)."""
    return json.dumps(str(value), ensure_ascii=True)


def ts_comment(value: object) -> str:
    """Text safe inside a `/* */` or `//` comment: one line, no comment terminator."""
    text = _CONTROL.sub(" ", str(value))
    return text.replace("*/", "*\\/").replace("/*", "/\\*").strip()


def ts_template(value: str) -> str:
    """Text safe inside a backtick template literal (no interpolation, no early end)."""
    return str(value).replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(text))
    return [word for word in re.split(r"[^A-Za-z0-9]+", spaced) if word]


def camel(text: str) -> str:
    """`get user-by id` -> `getUserById`; sanitized, may start with a digit (see `identifier`)."""
    words = _words(text)
    if not words:
        return ""
    first, rest = words[0], words[1:]
    head = first if first[:1].islower() else first[:1].lower() + first[1:]
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def pascal(text: str) -> str:
    """`pet owner` -> `PetOwner`."""
    name = camel(text)
    return name[:1].upper() + name[1:]


def identifier(text: str, fallback: str = "item", style: str = "camel") -> str:
    """A valid, non-reserved TypeScript identifier from any text."""
    name = (pascal if style == "pascal" else camel)(text) or fallback
    if name[0].isdigit():
        name = ("N" if style == "pascal" else "n") + name
    if name in RESERVED or (name.lower() in RESERVED and style == "camel"):
        name = name + "_"
    return name


def file_stem(text: str, fallback: str = "default") -> str:
    """A safe kebab-case file name stem: letters, digits and dashes only (no dots, no slashes)."""
    words = [word.lower() for word in _words(text)]
    stem = "-".join(words)[:60].strip("-")
    return stem or fallback


class NameTable:
    """Hands out unique names: the second `getUser` becomes `getUser2`."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = {name.lower() for name in (taken or set())}

    def claim(self, name: str, suffixes: tuple[str, ...] = ("",)) -> str:
        """The first of `name`, `name2`, ... that is free together with every `candidate + suffix`
        (a type and the names derived from it, like `XRequest` and `XResponse`), all claimed at once."""
        candidate, counter = name, 2
        while any((candidate + suffix).lower() in self.taken for suffix in suffixes):
            candidate, counter = f"{name}{counter}", counter + 1
        self.taken.update((candidate + suffix).lower() for suffix in suffixes)
        return candidate
