"""Tables that inherit from another (`INHERITS`, not partitions): indexes and keys are per table.

A query on the parent scans every inheriting table too, but an index on the parent covers only the
parent's own rows, and regular inheritance has no `ON ONLY`/`ATTACH`: each table needs its own
`CREATE INDEX CONCURRENTLY`. Columns are inherited, constraints (the primary key) are not, and a
serial column's default is copied, so the parent and every inheriting table draw from one sequence.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from senior_backend.common.pg.quoting import ident, qualified
from senior_backend.dbtool.analyze.findings import Fix
from senior_backend.dbtool.index_ddl import index_name

if TYPE_CHECKING:
    from senior_backend.common.pg.model import Snapshot, Table
    from senior_backend.dbtool.analyze.advisor import Context


def inheriting_tables(snapshot: Snapshot, table_key: str) -> list[Table]:
    """Every table that inherits from this one, directly or through another (not partitions)."""
    found: list[Table] = []
    pending = [table_key]
    while pending:
        parent = pending.pop()
        for table in snapshot.tables.values():
            if not table.is_partition and parent in table.parents and table not in found:
                found.append(table)
                pending.append(table.key)
    return sorted(found, key=lambda t: t.key)


def unserved_inheriting_tables(ctx: Context, table: Table, columns: tuple[str, ...]) -> list[Table]:
    """The plain inheriting tables of a non-partitioned table that no index leading with `columns` serves."""
    if table.is_partitioned:
        return []
    return [
        child
        for child in inheriting_tables(ctx.snapshot, table.key)
        if child.kind == "r" and not ctx.served(child.key, columns, ordered=True)
    ]


def with_inheriting_tables(fix: Fix, children: list[Table], columns: tuple[str, ...]) -> Fix:
    """The parent's index fix plus one concurrent index per inheriting table (and their drops going down)."""
    if not children:
        return fix
    column_list = ", ".join(ident(column) for column in columns)
    up = "".join(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(index_name(child.name, columns))} "
        f"ON {qualified(child.schema, child.name)} ({column_list});\n"
        for child in children
    )
    down = "".join(
        f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(child.schema, index_name(child.name, columns))};\n"
        for child in children
    )
    return replace(fix, up=fix.up + up, down=fix.down + down)
