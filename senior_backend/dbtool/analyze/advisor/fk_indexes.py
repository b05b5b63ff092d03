"""Foreign keys whose columns are not the leading columns of any valid index (composite-aware)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.dbtool.analyze.findings import Finding
from senior_backend.dbtool.index_ddl import create_index_fix, index_name

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "unindexed foreign keys"
NEEDS_STATISTICS = False


def check(ctx: Context) -> list[Finding]:
    findings = []
    for con in ctx.snapshot.constraints.values():
        if con.kind != "f" or con.inherited_from_partition or con.table_key not in ctx.snapshot.tables:
            continue
        columns = tuple(con.columns)
        if ctx.covering_index(con.table_key, columns) or ctx.is_tiny(con.table_key):
            continue
        table = ctx.snapshot.tables[con.table_key]
        name = index_name(table.name, columns)
        findings.append(
            Finding(
                rule="unindexed-foreign-key",
                level=Level.WARNING,
                message=(
                    f"foreign key {con.name} ({', '.join(columns)}) -> {con.ref_table} has no index "
                    f"starting with its columns: deletes and updates on {con.ref_table} scan {con.table_key}, "
                    f"and joins on it cannot use an index"
                ),
                objects=(con.table_key, con.name),
                evidence={
                    "columns": list(columns),
                    "references": con.ref_table,
                    "rows": ctx.stats.rows(con.table_key),
                },
                fix=create_index_fix(ctx.snapshot, con.table_key, columns, f"index_{name}"),
            )
        )
    return findings
