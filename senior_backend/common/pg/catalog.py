"""Loading a catalog snapshot: one query per object kind, never one per table.

Each kind's query lives in `sql/<kind>.sql` and returns one row per object;
rows become the dataclasses of `model.py`. Internal schemas and the
tool's own `senior_backend` schema are left out unless asked for.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import psycopg

from senior_backend.common.gcpause import paused_gc
from senior_backend.common.pg import keyquote
from senior_backend.common.pg.keyquote import client_quoting
from senior_backend.common.pg.model import (
    Collation,
    Column,
    CompositeType,
    Constraint,
    Domain,
    Enum,
    Extension,
    Function,
    FunctionDependent,
    Index,
    Policy,
    Privilege,
    Schema,
    Sequence,
    Snapshot,
    Table,
    Trigger,
    Uncovered,
    View,
    rows_to,
)
from senior_backend.common.pg.quoting import qualify

TOOL_SCHEMA = "senior_backend"

_KINDS: dict[str, tuple[str, type]] = {
    "schemas": ("schemas.sql", Schema),
    "extensions": ("extensions.sql", Extension),
    "enums": ("enums.sql", Enum),
    "tables": ("tables.sql", Table),
    "indexes": ("indexes.sql", Index),
    "constraints": ("constraints.sql", Constraint),
    "sequences": ("sequences.sql", Sequence),
    "views": ("views.sql", View),
    "domains": ("domains.sql", Domain),
    "collations": ("collations.sql", Collation),
    "composite_types": ("composite_types.sql", CompositeType),
    "functions": ("functions.sql", Function),
    "triggers": ("triggers.sql", Trigger),
    "policies": ("policies.sql", Policy),
    "privileges": ("privileges.sql", Privilege),
    "function_dependents": ("function_dependents.sql", FunctionDependent),
    "uncovered": ("uncovered.sql", Uncovered),
}


@cache
def catalog_query(filename: str) -> str:
    """The text of one catalog query shipped in `sql/`."""
    return files("senior_backend.common.pg").joinpath("sql", filename).read_text(encoding="utf-8")


# One transaction reads every kind from the same snapshot; the sorts of a large catalog (the
# columns of thousands of tables) stay in memory instead of spilling to disk.
_SORT_MEMORY = "SELECT set_config('work_mem', '32MB', true)"

_SIZE_CALLS = ("pg_table_size(c.oid)", "pg_relation_size(i.indexrelid)")


def _without_sizes(query: str) -> str:
    for call in _SIZE_CALLS:
        query = query.replace(call, "0::bigint")
    return query


def _kind_query(filename: str, server_version: int, with_sizes: bool = True) -> str:
    """A kind's query for this server: sizes left out when not wanted, and columns that older
    servers lack (`{nulls_not_distinct}`, PostgreSQL 15+; `{without_overlaps}`, 18+) replaced by
    their only value there; names quoted like the client (`keyquote.py`)."""
    query = (
        client_quoting(catalog_query(filename))
        .replace("{nulls_not_distinct}", "i.indnullsnotdistinct" if server_version >= 150000 else "false")
        .replace("{without_overlaps}", "con.conperiod" if server_version >= 180000 else "false")
    )
    return query if with_sizes else _without_sizes(query)


def load_snapshot(
    conn: psycopg.Connection,
    exclude_schemas: tuple[str, ...] = (TOOL_SCHEMA,),
    skip: tuple[str, ...] = (),
    *,
    with_sizes: bool = True,
) -> Snapshot:
    """Read every object kind from the catalog into a `Snapshot` (one query per kind).

    Kinds named in `skip` (Snapshot attribute names) are left empty, for a caller that reads them
    on another connection at the same time with `load_kind`. `with_sizes=False` skips the on-disk
    sizes (`size_bytes` is then 0): a stat() per relation that the schema diff does not need.
    """
    params = {"excluded": list(exclude_schemas), keyquote.PARAMETER: keyquote.missing_keywords(conn)}
    snapshot = Snapshot(server_version=conn.info.server_version)
    kinds = [(attribute, cls) for attribute, (_, cls) in _KINDS.items() if attribute not in skip]
    with paused_gc(), conn.pipeline(), conn.transaction():
        conn.execute(_SORT_MEMORY)
        cursors = [conn.cursor() for _ in range(len(kinds) + 1)]
        for (attribute, _), cur in zip(kinds, cursors, strict=False):
            cur.execute(_kind_query(_KINDS[attribute][0], snapshot.server_version, with_sizes), params)
        cursors[-1].execute(catalog_query("columns.sql"), params)
        for (attribute, cls), cur in zip(kinds, cursors, strict=False):
            objects = getattr(snapshot, attribute)
            rows = cur.fetchall()  # first: in a pipeline, the description arrives with the rows
            for obj in rows_to(cls, [d.name for d in cur.description or ()], rows):
                objects[obj.key] = obj
        _attach_columns(snapshot, cursors[-1])
    return snapshot


def _attach_columns(snapshot: Snapshot, cur: psycopg.Cursor) -> None:
    rows = cur.fetchall()
    names = [d.name for d in cur.description or ()][2:]
    tables = snapshot.tables
    for (schema, table_name, *_), column in zip(
        rows, rows_to(Column, names, [row[2:] for row in rows]), strict=True
    ):
        table = tables.get(qualify(schema, table_name))
        if table is not None:
            table.columns[column.name] = column


def load_kind(
    conn: psycopg.Connection, attribute: str, exclude_schemas: tuple[str, ...] = (TOOL_SCHEMA,)
) -> dict:
    """One object kind of the snapshot (e.g. "indexes"), keyed like `Snapshot.<attribute>`."""
    filename, cls = _KINDS[attribute]
    with conn.cursor() as cur:
        query = _kind_query(filename, conn.info.server_version)
        cur.execute(
            query, {"excluded": list(exclude_schemas), keyquote.PARAMETER: keyquote.missing_keywords(conn)}
        )
        objects = rows_to(cls, [d.name for d in cur.description or ()], cur.fetchall())
    return {obj.key: obj for obj in objects}
