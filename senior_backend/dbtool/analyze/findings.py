"""What the analyser reports: a `Finding` per problem, with its evidence and the SQL that fixes it.

A finding speaks the common problem vocabulary (`rule`, `level`, `message`, see
`senior_backend.common.diagnostics`) plus what only the analyser has: the
objects involved, the numbers behind it, the fix and advice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from senior_backend.common.diagnostics import Level


@dataclass(frozen=True)
class Fix:
    """SQL that fixes a finding and SQL that undoes the fix; `no_transaction` for CONCURRENTLY and VACUUM.
    `creates_index` is (table key, columns) when the fix adds a btree index, so overlapping fixes merge."""

    name: str
    up: str
    down: str
    no_transaction: bool = False
    migration: bool = True
    creates_index: tuple[str, tuple[str, ...]] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "up": self.up,
            "down": self.down,
            "no_transaction": self.no_transaction,
            "migration": self.migration,
        }


@dataclass(frozen=True)
class Finding:
    """One problem: a stable rule name, its level, the objects involved, the numbers behind it, the fix."""

    rule: str
    level: Level
    message: str
    objects: tuple[str, ...]
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: Fix | None = None
    advice: str | None = None
    weight: float = 0.0
    """Order among findings of the same rule and level, largest first (N+1: total time of the child)."""

    def to_json(self) -> dict[str, Any]:
        """The finding in `--json`: a problem (`rule`, `level`, `message`) plus objects, evidence, fix, advice."""
        return {
            "rule": self.rule,
            "level": self.level.value,
            "message": self.message,
            "objects": list(self.objects),
            "evidence": self.evidence,
            "fix": self.fix.to_json() if self.fix else None,
            "advice": self.advice,
        }


def at_least(findings: list[Finding], level: Level) -> list[Finding]:
    """The findings of `level` or worse."""
    return [finding for finding in findings if finding.level.rank >= level.rank]


def sort_by_level(findings: list[Finding]) -> list[Finding]:
    """Worst first, then by rule, weight (largest first) and objects so output is stable."""
    return sorted(findings, key=lambda f: (-f.level.rank, f.rule, -f.weight, f.objects))
