"""Sequences close to the maximum of their type (inserts fail when they run out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Level
from senior_backend.common.pg.quoting import qualified
from senior_backend.dbtool.analyze.findings import Finding

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.advisor import Context

TITLE = "sequences near their maximum"
NEEDS_STATISTICS = True
WARN_SHARE = 0.75
ERROR_SHARE = 0.9


def check(ctx: Context) -> list[Finding]:
    findings = []
    for sequence in ctx.snapshot.sequences.values():
        if sequence.last_value is None or sequence.cycle or sequence.increment <= 0:
            continue
        share = (sequence.last_value - sequence.min_value) / max(sequence.max_value - sequence.min_value, 1)
        if share < WARN_SHARE:
            continue
        widen = (
            f"ALTER SEQUENCE {qualified(sequence.schema, sequence.name)} AS bigint; "
            f"and change the owning column ({sequence.owned_by or 'if any'}) to bigint"
            if sequence.data_type != "bigint"
            else "plan a new key scheme; the sequence is already bigint"
        )
        findings.append(
            Finding(
                rule="sequence-near-max",
                level=Level.ERROR if share >= ERROR_SHARE else Level.WARNING,
                message=f"sequence {sequence.key} has used {share:.0%} of its {sequence.data_type} range",
                objects=(sequence.key,),
                evidence={
                    "last_value": sequence.last_value,
                    "max_value": sequence.max_value,
                    "owned_by": sequence.owned_by,
                },
                advice=widen,
            )
        )
    return findings
