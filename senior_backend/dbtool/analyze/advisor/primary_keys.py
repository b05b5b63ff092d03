"""Tables without a primary key (logical replication, ORMs and row identity all need one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.dbtool.analyze.findings import Finding

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "tables without a primary key"
NEEDS_STATISTICS = False


def check(ctx: Context) -> list[Finding]:
    with_pk = {con.table_key for con in ctx.snapshot.constraints.values() if con.kind == "p"}
    findings = []
    for table in ctx.snapshot.tables.values():
        if table.kind not in ("r", "p") or table.key in with_pk:
            continue
        if table.is_partition and any(parent in with_pk for parent in table.parents):
            continue
        unique = [
            con.name
            for con in ctx.snapshot.constraints_of(table.key, "u")
            if _all_not_null(table, con.columns)
        ]
        advice = (
            f"promote the unique constraint {unique[0]} on NOT NULL columns to the primary key"
            if unique
            else "add an identity column: ALTER TABLE ... ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY "
            "PRIMARY KEY (rewrites the table; schedule it)"
        )
        findings.append(
            Finding(
                rule="missing-primary-key",
                level=Level.WARNING,
                message=f"table {table.key} has no primary key: rows cannot be identified for updates, "
                f"logical replication or ORMs",
                objects=(table.key,),
                evidence={"rows": ctx.stats.rows(table.key), "unique_not_null_candidates": unique},
                advice=advice,
            )
        )
    return findings


def _all_not_null(table, columns: tuple[str, ...]) -> bool:
    return all(table.columns.get(column) and table.columns[column].not_null for column in columns)
