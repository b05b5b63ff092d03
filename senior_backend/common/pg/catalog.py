"""Loading a catalog snapshot: one query per object kind, never one per table.

Each kind's query lives in `sql/<kind>.sql` and returns one row per object;
rows become the dataclasses of `model.py`. Internal schemas and the
tool's own `senior_backend` schema are left out unless asked for.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import psycopg
from psycopg.rows import dict_row

from senior_backend.common.pg.model import (
    Column,
    Constraint,
    Enum,
    Extension,
    Index,
    Schema,
    Sequence,
    Snapshot,
    Table,
    View,
    row_to,
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
}


@cache
def catalog_query(filename: str) -> str:
    """The text of one catalog query shipped in `sql/`."""
    return files("senior_backend.common.pg").joinpath("sql", filename).read_text(encoding="utf-8")


def load_snapshot(
    conn: psycopg.Connection, exclude_schemas: tuple[str, ...] = (TOOL_SCHEMA,), skip: tuple[str, ...] = ()
) -> Snapshot:
    """Read every object kind from the catalog into a `Snapshot` (one query per kind).

    Kinds named in `skip` (Snapshot attribute names) are left empty, for a caller that reads them
    on another connection at the same time with `load_kind`.
    """
    params = {"excluded": list(exclude_schemas)}
    snapshot = Snapshot(server_version=conn.info.server_version)
    with conn.cursor(row_factory=dict_row) as cur:
        for attribute, (filename, cls) in _KINDS.items():
            if attribute in skip:
                continue
            cur.execute(catalog_query(filename), params)
            objects = getattr(snapshot, attribute)
            for row in cur.fetchall():
                obj = row_to(cls, row)
                objects[obj.key] = obj
        cur.execute(catalog_query("columns.sql"), params)
        for row in cur.fetchall():
            table = snapshot.tables.get(qualify(row.pop("schema"), row.pop("table_name")))
            if table is not None:
                column = row_to(Column, row)
                table.columns[column.name] = column
    return snapshot


def load_kind(
    conn: psycopg.Connection, attribute: str, exclude_schemas: tuple[str, ...] = (TOOL_SCHEMA,)
) -> dict:
    """One object kind of the snapshot (e.g. "indexes"), keyed like `Snapshot.<attribute>`."""
    filename, cls = _KINDS[attribute]
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(catalog_query(filename), {"excluded": list(exclude_schemas)})
        objects = [row_to(cls, row) for row in cur.fetchall()]
    return {obj.key: obj for obj in objects}
