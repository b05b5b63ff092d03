"""Unique values per request in a `--spec` run: a create of `{"email": ...}` twice must not hit a unique key.

Each string of a request body and each string header parameter (an
`Idempotency-Key`), from the spec's example or synthesized, gets a tag that
differs per request and per run: `name-k3x9a17`, `user+k3x9a17@example.com`,
a fresh UUID for a UUID. Only the strings whose tagged form still validates
against their schema (pattern, maxLength, format, enum) are varied, which is
checked once, before the run, with the shortest and the longest tag a run can
make; the others keep their value.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

Path = tuple[str | int, ...]
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TOKEN_LENGTH = 5
_SHORTEST = "a" * TOKEN_LENGTH + "1"
_LONGEST = "a" * TOKEN_LENGTH + "9" * 12


def tagged(text: str, tag: str) -> str:
    """The string as request `tag` sends it."""
    if _UUID.match(text):
        return str(uuid.uuid5(uuid.NAMESPACE_URL, tag))
    local, at, domain = text.rpartition("@")
    if at and local:
        return f"{local}+{tag}@{domain}"
    return f"{text}-{tag}"


def _strings(value: Any, path: Path = ()) -> list[Path]:
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _strings(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _strings(item, (*path, index))]
    return []


def _with(value: Any, paths: tuple[Path, ...], tag: str) -> Any:
    out = copy.deepcopy(value)
    for path in paths:
        node = out
        for key in path[:-1]:
            node = node[key]
        if path:
            node[path[-1]] = tagged(node[path[-1]], tag)
        else:
            out = tagged(out, tag)
    return out


def varying_strings(value: Any, is_valid: Callable[[Any], bool]) -> tuple[Path, ...]:
    """The strings of `value` that stay valid when tagged (each alone, then all together)."""
    accepted = tuple(
        path
        for path in _strings(value)
        if is_valid(_with(value, (path,), _SHORTEST)) and is_valid(_with(value, (path,), _LONGEST))
    )
    if accepted and not (
        is_valid(_with(value, accepted, _SHORTEST)) and is_valid(_with(value, accepted, _LONGEST))
    ):
        return ()
    return accepted


def varied_body(value: Any, paths: tuple[Path, ...], tag: str) -> bytes:
    """The JSON body of one request, its varying strings tagged."""
    return json.dumps(_with(value, paths, tag), separators=(",", ":")).encode("utf-8")
