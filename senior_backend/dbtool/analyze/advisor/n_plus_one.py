"""N+1 queries: a child statement run once per row of a parent statement, proven from pg_stat_statements.

The pairing and its evidence live in `senior_backend.dbtool.analyze.nplus1` (linked columns, child calls
explained by parent rows, many calls per parent call). Each finding shows both statements with their
calls, rows and time, and the fix: one batched query (`= ANY($1)`) or a join; an index is proposed only
when the child's filter column has none. Findings are ranked by the child's total time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.dbtool.analyze.findings import Finding
from senior_backend.dbtool.analyze.nplus1 import EXPLAINED, FOREIGN_KEY, Loop, find_loops
from senior_backend.dbtool.index_ddl import create_index_fix, index_name

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "N+1 queries"
NEEDS_STATISTICS = True
EAGER_LOADING = (
    "Rails includes/preload, Django prefetch_related/select_related, SQLAlchemy selectinload/joinedload, "
    "Prisma include, TypeORM relations"
)


def check(ctx: Context) -> list[Finding]:
    return [_finding(ctx, loop) for loop in find_loops(ctx.workload(), ctx.snapshot, ctx.root_of)]


def _finding(ctx: Context, loop: Loop) -> Finding:
    table, column, child = loop.table, loop.column, loop.child
    indexed = ctx.served_for_equality(table, (column,))
    fix = None
    if not indexed and not ctx.is_tiny(table):
        name = index_name(ctx.snapshot.tables[table].name, (column,))
        fix = create_index_fix(ctx.snapshot, table, (column,), f"index_{name}")
    parent = max(loop.parents, key=lambda work: work.rows)
    key = f"{loop.link.parent_table}.{loop.link.parent_column}"
    linked = (
        f"foreign key {loop.link.by}"
        if loop.link.how == FOREIGN_KEY
        else f"no foreign key: linked by {loop.link.how} (lower confidence)"
    )
    return Finding(
        rule="n-plus-one",
        level=Level.WARNING,
        message=f"N+1 queries: each row the parent query returns ({key}) runs one query on {table} by "
        f"{column}: {child.calls} calls for {loop.parent_rows} parent rows, {loop.calls_per_parent_call:.0f} "
        f"per parent call, {child.total_ms:.0f} ms in total ({linked})",
        objects=(table, column),
        evidence={
            "parent_query": parent.shape.text,
            "parent_queries": [work.shape.text for work in loop.parents],
            "parent_calls": loop.parent_calls,
            "parent_rows": loop.parent_rows,
            "parent_rows_per_call": round(loop.parent_rows / loop.parent_calls, 2),
            "parent_total_ms": round(sum(work.total_ms for work in loop.parents), 3),
            "parent_key": key,
            "child_query": child.shape.text,
            "child_calls": child.calls,
            "child_rows": child.rows,
            "child_rows_per_call": round(child.rows_per_call, 2),
            "child_total_ms": round(child.total_ms, 3),
            "child_variants": child.variants,
            "calls_ratio": round(loop.calls_per_parent_call, 1),
            "calls_per_parent_row": round(loop.calls_per_parent_row, 2),
            "calls_per_parent_row_range": list(EXPLAINED),
            "link": loop.link.how,
            "link_by": loop.link.by,
            "confidence": loop.link.confidence,
            "child_column_indexed": indexed,
        },
        fix=fix,
        advice=_advice(loop),
        weight=child.total_ms,
    )


def _advice(loop: Loop) -> str:
    table, column = loop.table, loop.column
    values = f"the {loop.link.parent_column} values of the parent's rows"
    if loop.child.shape.probe:
        batch = (
            f"one grouped query per page: `SELECT {column}, count(*) FROM {table} WHERE {column} = ANY($1) "
            f"GROUP BY {column}` bound to {values}"
        )
    else:
        batch = (
            f"one query per page: replace the per-row `{column} = $1` with `{column} = ANY($1)` bound to "
            f"{values} (and return {column} to match the rows up)"
        )
    return f"{batch}, or JOIN {table} in the parent query (eager loading: {EAGER_LOADING})"
