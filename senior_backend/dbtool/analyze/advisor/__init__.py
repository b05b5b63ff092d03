"""The analyser's rules, one module per rule, run over one snapshot plus the statistics views.

Each rule module has `check(ctx) -> list[Finding]` and `NEEDS_STATISTICS`
(False: structural, runs on schema files too). `run_rules` runs the ones the
input allows and returns the findings plus notes (info-level problems) about
what was skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

from senior_backend.common.diagnostics import Diagnostic, info
from senior_backend.common.pg.model import Index, Snapshot
from senior_backend.dbtool.analyze.advisor import (
    duplicate_indexes,
    fk_indexes,
    invalid_objects,
    maintenance,
    n_plus_one,
    primary_keys,
    risky_types,
    seq_scans,
    sequences,
    unused_indexes,
)
from senior_backend.dbtool.analyze.findings import Finding
from senior_backend.dbtool.analyze.stats import Statistics
from senior_backend.dbtool.analyze.workload import Workload, from_statements

RULES: tuple[ModuleType, ...] = (
    fk_indexes,
    primary_keys,
    duplicate_indexes,
    invalid_objects,
    risky_types,
    unused_indexes,
    seq_scans,
    sequences,
    maintenance,
    n_plus_one,
)


@dataclass
class Context:
    """What every rule reads: the snapshot, the statistics, the tiny-table threshold."""

    snapshot: Snapshot
    stats: Statistics
    min_rows: int = 1000
    tiny_skipped: set[str] = field(default_factory=set)
    _by_table: dict[str, list[Index]] | None = None
    _workload: list[Workload] | None = None
    _table_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    memo: dict[str, object] = field(default_factory=dict)

    def workload(self) -> list[Workload]:
        """pg_stat_statements of this database, parsed and grouped by shape (empty without the extension)."""
        if self._workload is None:
            self._workload = from_statements(self.stats.statements, self.snapshot)
        return self._workload

    def indexes_of(self, table_key: str) -> list[Index]:
        """Indexes of a table (grouped once, so rules stay linear in the number of objects)."""
        if self._by_table is None:
            self._by_table = {}
            for index in self.snapshot.indexes.values():
                self._by_table.setdefault(self.table_key_of(index), []).append(index)
        return self._by_table.get(table_key, [])

    def table_key_of(self, index: Index) -> str:
        """`index.table_key`, computed once per table name (quoting is the hot path on big catalogs)."""
        pair = (index.schema, index.table_name)
        key = self._table_keys.get(pair)
        if key is None:
            key = self._table_keys[pair] = index.table_key
        return key

    def is_tiny(self, table_key: str) -> bool:
        """True (and remembered for the report) when a live table has fewer rows than `min_rows`."""
        rows = self.stats.rows(table_key) if self.stats.live else None
        if rows is None or rows >= self.min_rows:
            return False
        self.tiny_skipped.add(table_key)
        return True

    def covering_index(self, table_key: str, columns: tuple[str, ...]) -> Index | None:
        """A valid, unconditional btree index whose leading key columns are exactly `columns` (any order)."""
        found = self.covering_indexes(table_key, columns)
        return found[0] if found else None

    def covering_indexes(self, table_key: str, columns: tuple[str, ...]) -> list[Index]:
        """Every valid, unconditional btree index whose leading key columns are `columns` in any order."""
        wanted = set(columns)
        return [
            index
            for index in self.indexes_of(table_key)
            if index.is_valid
            and not index.predicate
            and index.method == "btree"
            and len(index.key_columns[: len(columns)]) == len(columns)
            and set(index.key_columns[: len(columns)]) == wanted
        ]

    def leading_index(self, table_key: str, columns: tuple[str, ...]) -> Index | None:
        """A valid unconditional btree index whose key starts with `columns` in this order."""
        for index in self.indexes_of(table_key):
            usable = index.is_valid and not index.predicate and index.method == "btree"
            if usable and tuple(index.key_columns[: len(columns)]) == columns:
                return index
        return None


def run_rules(ctx: Context) -> tuple[list[Finding], list[Diagnostic]]:
    """All rules the input allows; notes say which were skipped and why."""
    findings: list[Finding] = []
    notes: list[Diagnostic] = []
    statistics_rules = []
    for rule in RULES:
        if rule.NEEDS_STATISTICS and not ctx.stats.live:
            statistics_rules.append(rule.TITLE)
            continue
        findings.extend(rule.check(ctx))
    if statistics_rules:
        notes.append(
            info(
                "live-checks-skipped",
                "needs a live database (--connection), skipped for a schema file: "
                + ", ".join(statistics_rules),
            )
        )
    return findings, notes


def tiny_note(ctx: Context) -> Diagnostic | None:
    """The note saying how many tiny tables the index and statistics checks ignored."""
    if not ctx.tiny_skipped:
        return None
    return info(
        "small-tables-ignored",
        f"{len(ctx.tiny_skipped)} table(s) under {ctx.min_rows} rows were ignored by the index and "
        f"statistics checks, where an index would not matter",
        hint="--min-rows to change",
    )
