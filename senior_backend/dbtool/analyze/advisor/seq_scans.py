"""Tables read mostly by sequential scans over many rows: a missing index is the usual cause."""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.dbtool.analyze.findings import Finding

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "heavy sequential scans"
NEEDS_STATISTICS = True
MIN_SEQ_SCANS = 20


def check(ctx: Context) -> list[Finding]:
    findings = []
    for key, table in ctx.snapshot.tables.items():
        stats = ctx.stats.tables.get(key)
        if stats is None or table.is_partition or stats.seq_scan < MIN_SEQ_SCANS or ctx.is_tiny(key):
            continue
        rows_per_scan = stats.seq_tup_read / stats.seq_scan
        if rows_per_scan < ctx.min_rows or stats.seq_scan <= stats.idx_scan:
            continue
        findings.append(
            Finding(
                rule="heavy-seq-scans",
                level=Level.WARNING,
                message=f"table {key} was read by {stats.seq_scan} sequential scans of ~{int(rows_per_scan)} rows "
                f"each (more than its {stats.idx_scan} index scans): a query filters or joins it without an index",
                objects=(key,),
                evidence={
                    "seq_scan": stats.seq_scan,
                    "seq_tup_read": stats.seq_tup_read,
                    "idx_scan": stats.idx_scan,
                    "rows": stats.rows,
                },
                advice="run --suggest-indexes to find and prove the missing index",
            )
        )
    return findings
