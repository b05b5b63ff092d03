"""Checks of JSON Schema keyword values: a keyword that cannot mean what it says is reported and dropped.

Patterns are ECMA-262 regexes, which Python cannot parse exactly; only the
structural mistakes both languages reject (an unclosed group or class, a
quantifier with nothing to repeat, a reversed range) count as invalid here.
The generated code builds every regex defensively anyway (`specPattern`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
