"""Foreign keys whose columns are not the leading columns of any valid index (composite-aware).

Partition-aware: a foreign key declared on a partitioned table, or declared
on its partitions one by one (as older schemas and some dumps have them), is
judged once for the whole table. It is served by an index on the table or by
one on every partition (any column order), the `--min-rows` threshold counts
the whole table's rows, and the fix is one index on the partitioned table
(`index_ddl` attaches a partition's matching index instead of building another).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.common.pg.model import Constraint
from senior_backend.dbtool.analyze.findings import Finding
from senior_backend.dbtool.index_ddl import create_index_fix, index_name

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "unindexed foreign keys"
NEEDS_STATISTICS = False


def check(ctx: Context) -> list[Finding]:
    groups: dict[tuple[str, frozenset[str], str | None], list[Constraint]] = {}
    for con in ctx.snapshot.constraints.values():
        if con.kind != "f" or con.inherited_from_partition or con.table_key not in ctx.snapshot.tables:
            continue
        key = (ctx.root_of(con.table_key), frozenset(con.columns), con.ref_table)
        groups.setdefault(key, []).append(con)
    findings = []
    for (root, _, ref_table), constraints in groups.items():
        columns = tuple(constraints[0].columns)
        unserved = sorted({c.table_key for c in constraints if not ctx.served_for_equality(c.table_key, columns)})
        if not unserved or ctx.is_tiny(root):
            continue
        findings.append(_finding(ctx, root, columns, ref_table, constraints, unserved))
    return findings


def _finding(
    ctx: Context,
    root: str,
    columns: tuple[str, ...],
    ref_table: str | None,
    constraints: list[Constraint],
    unserved: list[str],
) -> Finding:
    names = sorted({con.name for con in constraints})
    on_partitions = [con.table_key for con in constraints if con.table_key != root]
    if on_partitions:
        where = (
            f"declared on {len(set(on_partitions))} partition(s) of {root}, has no index starting with its "
            f"columns on {', '.join(unserved)}"
        )
    else:
        where = "has no index starting with its columns"
    return Finding(
        rule="unindexed-foreign-key",
        level=Level.WARNING,
        message=(
            f"foreign key {', '.join(names)} ({', '.join(columns)}) -> {ref_table} {where}: deletes and "
            f"updates on {ref_table} scan {root}, and joins on it cannot use an index"
        ),
        objects=(root, *names),
        evidence={
            "columns": list(columns),
            "references": ref_table,
            "rows": ctx.stats.rows(root),
            "without_index": unserved,
        },
        fix=create_index_fix(
            ctx.snapshot, root, columns, f"index_{index_name(ctx.snapshot.tables[root].name, columns)}"
        ),
    )
