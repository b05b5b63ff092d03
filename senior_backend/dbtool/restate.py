"""Restating a target's view definitions in the desired side's words, when their majors differ.

PostgreSQL spells a view's query differently from one major version to the
next (16 stopped qualifying the columns of a single-table query), so a target
on PostgreSQL 15 and a shadow on 16 would disagree on views that are the same,
and the diff would recreate them all. For every view whose text differs, the
target's definition is created as a temporary view in the database that holds
the desired schema (the shadow database, or the `--compare-url` one) and read
back: if that server spells it exactly as the desired view, the two are the
same view and the target's snapshot takes that spelling. Everything runs in a transaction that is rolled
back; a definition that no longer compiles against the desired schema stays
different, as it should.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg

from senior_backend.common.pg.model import Snapshot

_SCRATCH = "pg_temp.senior_backend_restated"


def restate_views(conn: psycopg.Connection, current: Snapshot, desired: Snapshot, search_path: str) -> int:
    """Give `current` the desired side's spelling of each view that it compiles to the desired view's
    exact text; returns how many were restated. `conn` is a connection to the desired database."""
    candidates = [
        key
        for key, view in current.views.items()
        if key in desired.views
        and view.materialized == desired.views[key].materialized
        and view.definition != desired.views[key].definition
    ]
    if not candidates:
        return 0
    restated = 0
    with conn.transaction(force_rollback=True):
        conn.execute("SELECT set_config('search_path', %s, true)", (search_path,))
        for key in candidates:
            spelled = _spelled_by(conn, current.views[key].definition)
            if spelled == desired.views[key].definition:
                current.views[key] = replace(current.views[key], definition=spelled)
                restated += 1
    return restated


def _spelled_by(conn: psycopg.Connection, definition: str) -> str | None:
    try:
        with conn.transaction():
            # binary=True: the extended protocol runs exactly one statement, whatever the text holds
            conn.execute(f"CREATE TEMP VIEW {_SCRATCH} AS {definition.strip().rstrip(';')}", binary=True)
            row = conn.execute(f"SELECT pg_get_viewdef('{_SCRATCH}'::regclass)").fetchone()
            conn.execute(f"DROP VIEW {_SCRATCH}")
    except psycopg.Error:
        return None
    return row[0] if row else None
