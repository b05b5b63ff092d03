"""Checks of JSON Schema keyword values: a keyword that cannot mean what it says is reported and dropped.

Patterns are ECMA-262 regexes, which Python cannot parse exactly; only the
structural mistakes both languages reject (an unclosed group or class, a
quantifier with nothing to repeat, a reversed range) count as invalid here.
The generated code builds every regex defensively anyway (`specPattern`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Report = Callable[[str, str, list[str | int]], None]

_STRUCTURAL = (
    "missing ), unterminated subpattern",
    "unbalanced parenthesis",
    "nothing to repeat",
    "multiple repeat",
    "unterminated character set",
)


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is a regex in neither ECMA-262 mode, or None when it may be valid."""
    try:
        re.compile(pattern)
    except re.error as exc:
        message = str(exc.msg)
        if message.startswith(_STRUCTURAL):
            return message
        if message.startswith("bad character range") and "\\" not in message:
            return message
    return None


COUNTS = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
)
JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")
_NUMBERS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_SHAPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    **{
        key: ("must be a list of schemas", lambda value: isinstance(value, list))
        for key in ("allOf", "oneOf", "anyOf", "prefixItems")
    },
    **{
        key: ("must be a schema", lambda value: isinstance(value, (dict, bool)))
        for key in ("items", "not", "additionalProperties", "contains", "propertyNames")
    },
    **{
        key: ("must be a map of schemas", lambda value: isinstance(value, dict))
        for key in ("properties", "patternProperties", "$defs", "definitions")
    },
    "required": (
        "must be a list of property names",
        lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value),
    ),
    "enum": ("must be a list", lambda value: isinstance(value, list)),
    "type": (
        "must be a JSON Schema type name or a list of them",
        lambda value: (
            value in JSON_TYPES or (isinstance(value, list) and all(item in JSON_TYPES for item in value))
        ),
    ),
    "uniqueItems": ("must be true or false", lambda value: isinstance(value, bool)),
    "pattern": ("must be a string", lambda value: isinstance(value, str)),
}


def keyword_problem(key: str, value: Any) -> str | None:
    """What is wrong with the type of keyword `key`'s value, or None when it is usable."""
    if key in _SHAPES and not _SHAPES[key][1](value):
        return _SHAPES[key][0]
    if key in COUNTS and not (_is_number(value) and value >= 0 and float(value).is_integer()):
        return "must be a non-negative integer"
    if key in _NUMBERS:
        if key.startswith("exclusive") and isinstance(value, bool):
            return None  # OpenAPI 3.0's boolean form, normalized by the caller
        if not _is_number(value):
            return "must be a number"
        if key == "multipleOf" and value <= 0:
            return "must be greater than 0"
    return None
