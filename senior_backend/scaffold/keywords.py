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
_NUMBERS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def keyword_problem(key: str, value: Any) -> str | None:
    """What is wrong with the type of keyword `key`'s value, or None when it is usable."""
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
