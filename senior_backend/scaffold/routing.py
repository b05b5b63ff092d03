"""Path templates as each framework's router reads them, and the order routes must be tried in.

- Literal text: what a client sends unencoded (RFC 3986 pchar: unreserved, sub-delims, `:`, `@`)
  stays as it is, so `/users/@me` is the route `/users/@me`, not `/users/%40me`. Express and Koa
  (path-to-regexp 8) match the raw path, so anything else is percent-encoded as a client encodes it,
  and their special characters (`: * ( ) [ ] { } + ? ! \\`) are escaped with a backslash. Fastify
  (find-my-way) matches the decoded path, so literal text stays decoded, `:` doubles, and a parameter
  followed by text in its segment (`/{name}:cancel`) gets an explicit pattern.
- Order: concrete segments before templated ones (OpenAPI: `/users/@me` before `/users/{id}`).
  Fastify does this itself; Express and Koa try routes in registration order, so a parameter route
  registered before a more specific route it overlaps yields to it (`shadows`). Percent-escapes in a
  request path are made canonical by the generated servers first (`canonicalUrl`), so `/users/%40me`
  routes as `/users/@me`.
- A URL fragment in a spec path is not part of the route (`fragment_routes`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from senior_backend.scaffold.ir import Operation

_PCHAR = "/-_.~!$&'()*+,;=:@"
_PATH_TO_REGEXP_SPECIAL = re.compile(r"([:*()\[\]{}+?!\\])")
_PARAM = re.compile(r"\{([^}]*)\}")
_JS_SPECIAL = re.compile(r"([\\^$.*+?()\[\]{}|/])")


def route_path(operation: Operation, framework: str) -> str:
    """The framework's route for `operation.path` (see module docstring)."""
    keys = {param.name: param.key for param in operation.params_in("path")}
    return "/".join(
        _segment(segment, index, keys, framework) for index, segment in enumerate(operation.path.split("/"))
    )


def _segment(segment: str, index: int, keys: dict[str, str], framework: str) -> str:
    if framework == "fastify" and "*" in segment and "{" not in segment:
        # `*` is a wildcard to find-my-way: a literal segment holding one matches as a pattern instead
        return f":_literal{index}(^" + _JS_SPECIAL.sub(r"\\\1", segment) + "$)"
    pieces = _PARAM.split(segment)
    out = []
    for position, piece in enumerate(pieces):
        if position % 2:
            out.append(":" + keys.get(piece, "param"))
            if framework == "fastify" and pieces[position + 1]:
                out.append("(^[^/]+?)")  # text follows in the segment: the parameter ends before it
        elif framework == "fastify":
            out.append(_fastify_text(piece))
        else:
            out.append(_PATH_TO_REGEXP_SPECIAL.sub(r"\\\1", quote(piece, safe=_PCHAR)))
    return "".join(out)


def _fastify_text(piece: str) -> str:
    """Literal text for find-my-way: decoded, except what it never decodes; `:` doubled."""
    return "".join(quote(char, safe="") if char in "%?#" else char for char in piece).replace(":", "::")


def fragment_routes(operations: list[Operation]) -> dict[str, tuple[str, str | None]]:
    """Operations whose path holds a URL fragment (`/shared_items#folders`: Box writes variants of one
    endpoint this way) -> (the path their requests have, the operation id already served there or None).
    A fragment never reaches a server, so a variant is served at the path without it when no other
    operation of its method is there (the first variant wins), and cannot be served otherwise."""
    taken = {
        (op.method, _PARAM.sub("{}", op.path)): op.operation_id for op in operations if "#" not in op.path
    }
    out: dict[str, tuple[str, str | None]] = {}
    for op in operations:
        if "#" not in op.path:
            continue
        path = op.path.split("#", 1)[0]
        holder = taken.setdefault((op.method, _PARAM.sub("{}", path)), op.operation_id)
        out[op.name] = (path, None if holder == op.operation_id else holder)
    return out


def fastify_problem(path: str) -> str | None:
    """Why find-my-way cannot register a route for `path`, or None."""
    if any("*" in segment and "{" in segment for segment in path.split("/")):
        return "a literal '*' beside a parameter in one path segment is a wildcard to Fastify's router"
    return None


def sort_key(path: str) -> list[tuple[bool, str]]:
    """Concrete segments before templated ones, segment by segment."""
    return [("{" in segment, segment) for segment in path.strip("/").split("/")]


def shadows(ordered: list[Operation]) -> dict[str, list[dict[str, str]]]:
    """For Express and Koa: operation name -> the routes it must yield to, each as
    {parameter key: the literal segment of the more specific route registered after it}."""
    result: dict[str, list[dict[str, str]]] = {}
    for position, general in enumerate(ordered):
        for specific in ordered[position + 1 :]:
            fixed = _yield(general, specific)
            if fixed:
                result.setdefault(general.name, []).append(fixed)
    return result


def _yield(general: Operation, specific: Operation) -> dict[str, str] | None:
    """The parameter values of `general` that a request must have to belong to `specific` instead,
    when `specific` is more specific at the first segment where they differ; else None."""
    if general.method != specific.method:
        return None
    mine, theirs = general.path.strip("/").split("/"), specific.path.strip("/").split("/")
    if len(mine) != len(theirs):
        return None
    keys = {param.name: param.key for param in general.params_in("path")}
    fixed: dict[str, str] = {}
    first_difference: bool | None = None
    for a, b in zip(mine, theirs, strict=True):
        a_param, b_param = _PARAM.fullmatch(a), _PARAM.fullmatch(b)
        if ("{" in a and not a_param) or ("{" in b and not b_param):
            return None  # a partly templated segment: not compared
        if a_param and not b_param:
            fixed[keys.get(a_param[1], "param")] = b
            first_difference = True if first_difference is None else first_difference
        elif b_param and not a_param:
            first_difference = False if first_difference is None else first_difference
        elif not a_param and a.lower() != b.lower():
            return None  # two different literal segments never match one request
    return fixed if first_difference else None


def views_in_order(groups: list[dict[str, Any]]) -> list[str]:
    """Operation names in registration order (groups in order, each sorted)."""
    return [view["name"] for group in groups for view in group["operations"]]
