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
    CompositeType,
    Constraint,
    Domain,
    Enum,
    Extension,
    Function,
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
    "domains": ("domains.sql", Domain),
    "composite_types": ("composite_types.sql", CompositeType),
    "functions": ("functions.sql", Function),
    "triggers": ("triggers.sql", Trigger),
    "policies": ("policies.sql", Policy),
    "privileges": ("privileges.sql", Privilege),
    "uncovered": ("uncovered.sql", Uncovered),
}


@cache
def catalog_query(filename: str) -> str:
    """The text of one catalog query shipped in `sql/`."""
    return files("senior_backend.common.pg").joinpath("sql", filename).read_text(encoding="utf-8")


def load_snapshot(conn: psycopg.Connection, exclude_schemas: tuple[str, ...] = (TOOL_SCHEMA,)) -> Snapshot:
    """Read every object kind from the catalog into a `Snapshot` (one query per kind)."""
    params = {"excluded": list(exclude_schemas)}
    snapshot = Snapshot(server_version=conn.info.server_version)
    with conn.cursor(row_factory=dict_row) as cur:
        for attribute, (filename, cls) in _KINDS.items():
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
