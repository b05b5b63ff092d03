"""Indexes never scanned since the statistics were last reset (the reset time is shown so the user can judge).

Indexes backing a constraint, the only index serving a foreign key, and the index kept in place of a
duplicate or covered one (so the two findings never drop both) are not proposed for dropping.
An index on a partitioned table counts the scans of its partitions' attached indexes (it is unused
when none of them was scanned), and those attached indexes are never proposed on their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.dbtool.analyze.advisor import duplicate_indexes
from senior_backend.dbtool.analyze.findings import Finding
from senior_backend.dbtool.index_ddl import drop_index_fix

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "unused indexes"
NEEDS_STATISTICS = True


def check(ctx: Context) -> list[Finding]:
    since = ctx.stats.stats_reset.isoformat() if ctx.stats.stats_reset else None
    window = f"since the statistics were reset at {since}" if since else "since statistics collection began"
    findings = []
    keep = _sole_foreign_key_indexes(ctx) | duplicate_indexes.kept_partners(ctx)
    scans = _scans(ctx)
    for index in ctx.snapshot.indexes.values():
        details = ctx.stats.indexes.get(index.key)
        if details is None or scans.get(index.key) != 0:
            continue
        if index.constraint_name or index.is_unique or not index.is_valid:
            continue
        if details.is_attached_child or index.key in keep or ctx.is_tiny(index.table_key):
            continue
        findings.append(
            Finding(
                rule="unused-index",
                level=Level.INFO,
                message=f"index {index.key} has not been used by any query {window}: "
                f"if that window covers your regular workload, drop it",
                objects=(index.table_key, index.key),
                evidence={
                    "scans": 0,
                    "stats_reset": since,
                    "size_bytes": index.size_bytes,
                    "table_rows": ctx.stats.rows(index.table_key),
                },
                fix=drop_index_fix(index, f"drop_unused_{index.name}"),
            )
        )
    return findings


def _scans(ctx: Context) -> dict[str, int | None]:
    """Scans per index; a partitioned index gets the sum over its attached indexes (None: unknown, or
    no partition has it yet)."""
    children: dict[str, list[str]] = {}
    for index in ctx.snapshot.indexes.values():
        if index.parent_index:
            children.setdefault(index.parent_index, []).append(index.key)

    def total(key: str) -> int | None:
        if key not in children:
            details = ctx.stats.indexes.get(key)
            index = ctx.snapshot.indexes.get(key)
            return None if details is None or (index is not None and index.is_partitioned) else details.scans
        counts = [total(child) for child in children[key]]
        return None if any(count is None for count in counts) else sum(counts)  # type: ignore[misc]

    return {key: total(key) for key in ctx.snapshot.indexes}


def _sole_foreign_key_indexes(ctx: Context) -> set[str]:
    """Indexes that are the only one serving a foreign key: dropping them would create an unindexed key."""
    protected = set()
    for con in ctx.snapshot.constraints.values():
        if con.kind == "f":
            covering = ctx.covering_indexes(con.table_key, tuple(con.columns))
            if len(covering) == 1:
                protected.add(covering[0].key)
    return protected
