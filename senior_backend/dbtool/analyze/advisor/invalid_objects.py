"""Invalid indexes (a failed CREATE INDEX CONCURRENTLY) and constraints added NOT VALID and never validated."""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.common.pg.quoting import ident, qualified
from senior_backend.dbtool.analyze.findings import Finding, Fix
from senior_backend.dbtool.index_ddl import TIMEOUTS, drop_index_fix
from senior_backend.dbtool.migration_files import sql_comment

if TYPE_CHECKING:
    from senior_backend.common.pg.model import Index
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "invalid indexes and unvalidated constraints"
NEEDS_STATISTICS = False


def _drop_invalid(index: Index) -> Fix:
    """Dropping an invalid index has no useful undo: re-creating it would fail for the same reason."""
    fix = drop_index_fix(index, f"drop_invalid_{index.name}")
    down = (
        "-- the dropped index was invalid; re-create it once its cause is fixed:\n"
        f"{sql_comment(index.definition + ';')}\nSELECT 1;\n"
    )
    return Fix(fix.name, fix.up, down, fix.no_transaction)


def check(ctx: Context) -> list[Finding]:
    findings = []
    for index in ctx.snapshot.indexes.values():
        if index.is_valid or index.is_partitioned:
            continue
        findings.append(
            Finding(
                rule="invalid-index",
                level=Level.ERROR,
                message=f"index {index.key} is invalid (a failed or interrupted CREATE INDEX CONCURRENTLY): "
                f"the planner ignores it but every write still updates it",
                objects=(index.table_key, index.key),
                evidence={"definition": index.definition, "size_bytes": index.size_bytes},
                fix=_drop_invalid(index),
                advice="drop it, fix the cause (e.g. duplicate values for a unique index), then create it again",
            )
        )
    for con in ctx.snapshot.constraints.values():
        if con.validated or con.inherited_from_partition:
            continue
        table = ctx.snapshot.tables.get(con.table_key)
        if table is None:
            continue
        target = qualified(table.schema, table.name)
        findings.append(
            Finding(
                rule="unvalidated-constraint",
                level=Level.WARNING,
                message=f"constraint {con.name} on {con.table_key} was added NOT VALID and never validated: "
                f"existing rows are not checked and the planner cannot rely on it",
                objects=(con.table_key, con.name),
                evidence={"definition": con.definition},
                fix=Fix(
                    name=f"validate_{con.name}",
                    up=f"{TIMEOUTS}ALTER TABLE {target} VALIDATE CONSTRAINT {ident(con.name)};\n",
                    down="-- validating a constraint needs no undo\nSELECT 1;\n",
                ),
            )
        )
    return findings
