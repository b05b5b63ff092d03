"""Splitting SQL text into statements the way PostgreSQL's own parser does (pglast), to run them one by one.

One by one in autocommit mode is how the guides' samples and the migration skeletons are meant to
run: statements like CREATE INDEX CONCURRENTLY refuse to run inside a transaction block, which a
multi-statement query string would implicitly be.
"""

from __future__ import annotations

from pglast import split


def split_statements(sql: str) -> list[str]:
    """The non-empty statements of `sql`, in order."""
    return [statement for statement in split(sql) if statement.strip()]
