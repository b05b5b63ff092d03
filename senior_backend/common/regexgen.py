"""A short string that matches a `pattern`, for synthesized examples.

Walks the parse tree of Python's own regex parser (spec patterns are ECMA-262, which agrees with
Python on the constructs specs use: classes, repeats, groups, alternatives, anchors). Lookarounds
and backreferences are not solved; the caller validates every candidate against the whole schema.
`variant` picks other characters and alternatives, so that several distinct matches can be made.
"""

from __future__ import annotations

import re
import string
from typing import Any

try:  # Python 3.11+
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

_CATEGORIES = {
    C.CATEGORY_DIGIT: string.digits,
    C.CATEGORY_WORD: string.ascii_lowercase + string.digits + "_",
    C.CATEGORY_SPACE: " ",
    C.CATEGORY_NOT_DIGIT: string.ascii_lowercase,
    C.CATEGORY_NOT_WORD: "-",
    C.CATEGORY_NOT_SPACE: string.ascii_lowercase,
}
_PRINTABLE = string.ascii_lowercase + string.ascii_uppercase + string.digits + "-_."


def sample(pattern: str, variant: int = 0, extra: int = 0) -> str | None:
    """A string `re.search(pattern, ...)` accepts, or None when none is found.

    Unbounded repeats repeat `extra` more times than their minimum (to reach a minLength)."""
    try:
        tree = P.parse(pattern)
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    try:
        text = _emit(list(tree), variant, extra, {})
    except (RecursionError, ValueError, IndexError):
        return None
    return text if compiled.search(text) else None


def _emit(items: list[Any], variant: int, extra: int, groups: dict[int, str]) -> str:
    out = []
    for op, arg in items:
        if op == C.LITERAL:
            out.append(chr(arg))
        elif op == C.NOT_LITERAL:
            out.append(next(c for c in _PRINTABLE if ord(c) != arg))
        elif op == C.ANY:
            out.append(_PRINTABLE[variant % len(_PRINTABLE)])
        elif op == C.IN:
            out.append(_in(arg, variant))
        elif op == C.BRANCH:
            alternatives = arg[1]
            out.append(_emit(list(alternatives[variant % len(alternatives)]), variant, extra, groups))
        elif op == C.SUBPATTERN:
            group, sub = arg[0], arg[-1]
            text = _emit(list(sub), variant, extra, groups)
            if group is not None:
                groups[group] = text
            out.append(text)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", C.MAX_REPEAT)):
            low, high, sub = arg
            count = low + extra if high == C.MAXREPEAT else min(high, low + extra)
            out.extend(_emit(list(sub), variant + i, extra, groups) for i in range(count))
        elif op == C.GROUPREF:
            out.append(groups.get(arg, ""))
        elif op == getattr(C, "ATOMIC_GROUP", None):
            out.append(_emit(list(arg), variant, extra, groups))
        # AT (anchors) and ASSERT/ASSERT_NOT (lookarounds) produce no text
    return "".join(out)


def _in(items: list[Any], variant: int) -> str:
    chars: list[str] = []
    negated = False
    for op, arg in items:
        if op == C.NEGATE:
            negated = True
        elif op == C.LITERAL:
            chars.append(chr(arg))
        elif op == C.RANGE:
            low, high = arg
            chars.extend(chr(code) for code in range(low, min(high, low + 62) + 1))
        elif op == C.CATEGORY:
            chars.extend(_CATEGORIES.get(arg, ""))
    if negated:
        excluded = set(chars)
        chars = [c for c in _PRINTABLE if c not in excluded]
    if not chars:
        raise ValueError("empty class")
    return chars[variant % len(chars)]
