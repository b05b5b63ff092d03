"""Catalog queries that quote names exactly as `quoting.quote_ident` does, on any server version.

Snapshot keys are built client-side, and the catalog queries return names
the server quoted (view dependencies, sequence owners, referenced tables);
the two must agree. PostgreSQL's quote_ident() quotes its own release's
keywords, and each release adds some (16: `system_user`, `json_object`, ...),
so every `quote_ident(x)` in a query is rewritten to also quote the client's
keywords that this server does not know.
"""

from __future__ import annotations

from functools import cache

import psycopg

from senior_backend.common.pg.quoting import KEYWORDS

PARAMETER = "quoted_keywords"
"""The query parameter (a text[]) that `client_quoting` queries need: `missing_keywords(conn)`."""

_CALL = "quote_ident("
_SERVER_KEYWORDS = "SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'"
_missing_by_version: dict[int, list[str]] = {}


def missing_keywords(conn: psycopg.Connection) -> list[str]:
    """The client's keywords this server's quote_ident() leaves unquoted (read once per version)."""
    version = conn.info.server_version
    if version not in _missing_by_version:
        server = {row[0] for row in conn.execute(_SERVER_KEYWORDS).fetchall()}
        _missing_by_version[version] = sorted(KEYWORDS - server)
    return _missing_by_version[version]


@cache
def client_quoting(query: str) -> str:
    """`query` with each `quote_ident(x)` also quoting the keywords in `%(quoted_keywords)s`."""
    out, rest = [], query
    while (start := rest.find(_CALL)) >= 0:
        end = _closing_parenthesis(rest, start + len(_CALL))
        argument = client_quoting(rest[start + len(_CALL) : end])
        out.append(rest[:start])
        out.append(
            f"CASE WHEN ({argument}) = ANY(%({PARAMETER})s::text[]) THEN '\"' || ({argument}) || '\"' "
            f"ELSE quote_ident({argument}) END"
        )
        rest = rest[end + 1 :]
    out.append(rest)
    return "".join(out)


def _closing_parenthesis(text: str, position: int) -> int:
    depth = 1
    while depth:
        char = text[position]
        depth += {"(": 1, ")": -1}.get(char, 0)
        position += 1
    return position - 1
