"""N+1 query shapes: a parent query followed by a child query run once per parent row.

From pg_stat_statements (grouped by shape): the child reads one table by an
equality filter, is called many times more often than the parent, returns
few rows per call, and its table is linked to one of the parent's tables by
a foreign key (or, without one, by the `<parent>_id` naming convention). The fix is one batched query (`= ANY($1)`) or a join; an
index is proposed only when the child's filter column has none.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.dbtool.analyze.findings import Finding
from senior_backend.dbtool.index_ddl import create_index_fix, index_name

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context
    from senior_backend.dbtool.analyze.workload import Workload

TITLE = "N+1 query shapes"
NEEDS_STATISTICS = True
MIN_CHILD_CALLS = 50
MIN_RATIO = 5.0
MAX_ROWS_PER_CALL = 20.0


def check(ctx: Context) -> list[Finding]:
    workloads = ctx.workload()
    links = _fk_links(ctx)
    findings = []
    for child in workloads:
        filter_column = _child_filter(child)
        if filter_column is None:
            continue
        child_table = next(iter(child.shape.tables))
        related = links.get((child_table, filter_column), set())
        parents = [
            parent
            for parent in workloads
            if parent is not child
            and parent.shape.kind == "select"
            and parent.calls > 0
            and child.calls / parent.calls >= MIN_RATIO
            and parent.shape.tables & related
        ]
        if not parents:
            continue
        parent = min(parents, key=lambda p: _fit(p, child))
        findings.append(_finding(ctx, parent, child, child_table, filter_column))
    return findings


def _child_filter(child: Workload) -> str | None:
    """The equality-filter column of a single-table child query that looks like a per-row lookup."""
    shape = child.shape
    if shape.kind != "select" or len(shape.tables) != 1 or shape.param_count == 0:
        return None
    if child.calls < MIN_CHILD_CALLS or child.rows_per_call > MAX_ROWS_PER_CALL:
        return None
    table = next(iter(shape.tables))
    columns = shape.columns(table, ("eq",))
    return columns[0] if len(columns) == 1 else None


def _fk_links(ctx: Context) -> dict[tuple[str, str], set[str]]:
    """(table, column) -> tables linked to it, either direction: by a single-column foreign key, or by
    the `<parent>_id` naming convention when the schema declares no key (ORMs often skip them)."""
    links: dict[tuple[str, str], set[str]] = {}
    for con in ctx.snapshot.constraints.values():
        if con.kind != "f" or len(con.columns) != 1 or not con.ref_table:
            continue
        links.setdefault((con.table_key, con.columns[0]), set()).add(con.ref_table)
        links.setdefault((con.ref_table, con.ref_columns[0]), set()).add(con.table_key)
    by_name = {(table.schema, table.name): key for key, table in ctx.snapshot.tables.items()}
    for key, table in ctx.snapshot.tables.items():
        for column in table.columns:
            stem = column[:-3] if column.endswith("_id") else ""
            for name in (stem, stem + "s", stem + "es") if stem else ():
                parent = by_name.get((table.schema, name))
                if parent and "id" in ctx.snapshot.tables[parent].columns:
                    links.setdefault((key, column), set()).add(parent)
                    links.setdefault((parent, "id"), set()).add(key)
    return links


def _fit(parent: Workload, child: Workload) -> float:
    """How well the child's calls per parent call match the parent's rows per call (0 is perfect)."""
    ratio = child.calls / parent.calls
    return abs(math.log(ratio / max(parent.rows_per_call, 1.0)))


def _finding(ctx: Context, parent: Workload, child: Workload, table: str, column: str) -> Finding:
    indexed = (
        ctx.covering_index(table, (column,)) is not None or ctx.leading_index(table, (column,)) is not None
    )
    fix = None
    if not indexed and not ctx.is_tiny(table):
        name = index_name(ctx.snapshot.tables[table].name, (column,))
        fix = create_index_fix(ctx.snapshot, table, (column,), f"index_{name}")
    ratio = child.calls / parent.calls
    return Finding(
        rule="n-plus-one",
        level=Level.WARNING,
        message=f"N+1 queries: for each row of the parent query the application runs a query on {table} "
        f"by {column} ({child.calls} calls, {ratio:.0f} per parent call, {child.rows_per_call:.1f} rows each)",
        objects=(table, column),
        evidence={
            "parent_query": parent.shape.text,
            "parent_calls": parent.calls,
            "parent_rows_per_call": round(parent.rows_per_call, 2),
            "child_query": child.shape.text,
            "child_calls": child.calls,
            "child_rows_per_call": round(child.rows_per_call, 2),
            "child_variants": child.variants,
            "calls_ratio": round(ratio, 1),
            "child_column_indexed": indexed,
        },
        fix=fix,
        advice=f"fetch the children in one query: replace the per-row `{column} = $1` with "
        f"`{column} = ANY($1)` bound to the parent's keys, or JOIN {table} in the parent query",
    )
