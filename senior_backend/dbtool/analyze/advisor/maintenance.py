"""Vacuum and analyze staleness with many dead rows, and transaction-ID age towards wraparound."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.common.pg.quoting import qualified
from senior_backend.dbtool.analyze.findings import Finding, Fix

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "vacuum, analyze and transaction-ID age"
NEEDS_STATISTICS = True
DEAD_SHARE = 0.2
STALE_AFTER = timedelta(days=7)
XID_LIMIT = 2**31


def check(ctx: Context) -> list[Finding]:
    findings = _xid(ctx)
    now = datetime.now(timezone.utc)
    for key, table in ctx.snapshot.tables.items():
        stats = ctx.stats.tables.get(key)
        if stats is None or table.kind != "r" or ctx.is_tiny(key, own=True):
            continue
        target = qualified(table.schema, table.name)
        live = max(stats.rows, 1)
        if stats.dead_rows > DEAD_SHARE * live and _stale(stats.last_vacuum, now):
            findings.append(
                Finding(
                    rule="vacuum-overdue",
                    level=Level.WARNING,
                    message=f"table {key} has {stats.dead_rows} dead rows ({stats.dead_rows / live:.0%} of live) "
                    f"and was last vacuumed {_when(stats.last_vacuum)}",
                    objects=(key,),
                    evidence={
                        "dead_rows": stats.dead_rows,
                        "rows": stats.rows,
                        "last_vacuum": stats.last_vacuum,
                    },
                    fix=Fix(
                        f"vacuum_{table.name}", f"VACUUM (ANALYZE) {target};\n", "SELECT 1;\n", True, False
                    ),
                    advice="if this repeats, lower autovacuum_vacuum_scale_factor for this table",
                )
            )
        elif stats.mod_since_analyze > DEAD_SHARE * live and _stale(stats.last_analyze, now):
            findings.append(
                Finding(
                    rule="analyze-overdue",
                    level=Level.INFO,
                    message=f"table {key} changed {stats.mod_since_analyze} rows since it was last analyzed "
                    f"({_when(stats.last_analyze)}): the planner's estimates are stale",
                    objects=(key,),
                    evidence={
                        "modified_since_analyze": stats.mod_since_analyze,
                        "last_analyze": stats.last_analyze,
                    },
                    fix=Fix(f"analyze_{table.name}", f"ANALYZE {target};\n", "SELECT 1;\n", False, False),
                )
            )
    return findings


def _stale(when: datetime | None, now: datetime) -> bool:
    return when is None or now - when > STALE_AFTER


def _when(when: datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when else "never"


def _xid(ctx: Context) -> list[Finding]:
    age = ctx.stats.xid_age
    if age < ctx.stats.freeze_max_age:
        return []
    oldest = max(
        ((key, stats.xid_age) for key, stats in ctx.stats.tables.items() if stats.xid_age),
        key=lambda item: item[1],
        default=(None, None),
    )
    return [
        Finding(
            rule="xid-age",
            level=Level.ERROR if age > XID_LIMIT // 2 else Level.WARNING,
            message=f"database {ctx.stats.database} is {age} transactions old, past autovacuum_freeze_max_age "
            f"({ctx.stats.freeze_max_age}); wraparound stops writes at {XID_LIMIT}",
            objects=(ctx.stats.database,),
            evidence={"xid_age": age, "oldest_table": oldest[0], "oldest_table_age": oldest[1]},
            advice=f"VACUUM (FREEZE) the oldest tables first ({oldest[0]}); check for long transactions "
            f"and abandoned replication slots holding the horizon",
        )
    ]
