"""The analyser's rules, one module per rule, run over one snapshot plus the statistics views.

Each rule module has `check(ctx) -> list[Finding]` and `NEEDS_STATISTICS`
(False: structural, runs on schema files too); what each one reads, and the
grant that enables it for a role that cannot, is in `requirements.NEEDS`.
`run_rules` runs the ones the input and the role allow and returns the
findings plus notes (info-level problems) about what was skipped; a check the
role may not read is skipped with a warning in `Context.skipped` naming the grant.

Partitions roll up to their partitioned table: `is_tiny` counts the whole
table's rows, and `served` accepts an index on the table or, recursively, one
on every partition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING

from senior_backend.common.diagnostics import Diagnostic, info
from senior_backend.common.pg.model import Index, Snapshot
from senior_backend.common.pg.quoting import unquote
from senior_backend.dbtool.analyze.advisor import (
    duplicate_indexes,
    fk_indexes,
    invalid_objects,
    maintenance,
    n_plus_one,
    primary_keys,
    requirements,
    risky_types,
    seq_scans,
    sequences,
    unused_indexes,
)
from senior_backend.dbtool.analyze.findings import Finding
from senior_backend.dbtool.analyze.stats import Statistics

if TYPE_CHECKING:
    from senior_backend.dbtool.analyze.workload import Workload

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
    skipped: list[Diagnostic] = field(default_factory=list)
    _by_table: dict[str, list[Index]] | None = None
    _workload: list[Workload] | None = None
    _table_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    _partitions: dict[str, list[str]] | None = None
    memo: dict[str, object] = field(default_factory=dict)

    def workload(self) -> list[Workload]:
        """pg_stat_statements of this database, parsed and grouped by shape (empty without the extension)."""
        if self._workload is None and not self.stats.statements:
            self._workload = []
        if self._workload is None:
            from senior_backend.dbtool.analyze.workload import from_statements  # pglast: only when needed

            self._workload = from_statements(self.stats.statements, self.snapshot)
        return self._workload

    def partitions(self, table_key: str) -> list[str]:
        """Direct partitions of a partitioned table (empty for any other table)."""
        if self._partitions is None:
            self._partitions = {}
            for key, table in self.snapshot.tables.items():
                if table.is_partition:
                    for parent in table.parents:
                        self._partitions.setdefault(parent, []).append(key)
        return self._partitions.get(table_key, [])

    def root_of(self, table_key: str) -> str:
        """The topmost partitioned table a partition belongs to (the table itself otherwise)."""
        seen = {table_key}
        table = self.snapshot.tables.get(table_key)
        while table is not None and table.is_partition and table.parents and table.parents[0] not in seen:
            table_key = table.parents[0]
            seen.add(table_key)
            table = self.snapshot.tables.get(table_key)
        return table_key

    def served(self, table_key: str, columns: tuple[str, ...], *, ordered: bool = False) -> bool:
        """True when an index on the table leads with `columns` (in this order when `ordered`, else in any
        order), or when the table is partitioned and every partition is served (recursively)."""
        found = self.leading_index(table_key, columns) if ordered else self.covering_index(table_key, columns)
        if found is not None:
            return True
        partitions = [key for key in self.partitions(table_key) if self.snapshot.tables[key].kind != "f"]
        return bool(partitions) and all(self.served(key, columns, ordered=ordered) for key in partitions)

    def served_for_equality(self, table_key: str, columns: tuple[str, ...]) -> bool:
        """As `served`, for lookups by equality on `columns` (a foreign key's checks, an N+1 child's filter):
        a hash index on the one column, or an index whose predicate only says the columns are not null
        (which `column = value` implies), serves them too."""
        if self.served(table_key, columns) or any(
            _serves_equality(index, columns) for index in self.indexes_of(table_key)
        ):
            return True
        partitions = [key for key in self.partitions(table_key) if self.snapshot.tables[key].kind != "f"]
        return bool(partitions) and all(self.served_for_equality(key, columns) for key in partitions)

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

    def is_tiny(self, table_key: str, *, own: bool = False) -> bool:
        """True (and remembered for the report) when a live table has fewer rows than `min_rows`; a
        partition counts the rows of its whole partitioned table unless `own` (vacuum is per partition)."""
        key = table_key if own else self.root_of(table_key)
        rows = self.stats.rows(key) if self.stats.live else None
        if rows is None or rows >= self.min_rows:
            return False
        self.tiny_skipped.add(key)
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


_NOT_NULL = re.compile(r'^("(?:[^"]|"")+"|[^\s"]+) IS NOT NULL$')


def _serves_equality(index: Index, columns: tuple[str, ...]) -> bool:
    """A valid btree index led by `columns` (any order) or hash index on the one column, unconditional or
    conditional only on those columns being not null."""
    if not index.is_valid or set(index.key_columns[: len(columns)]) != set(columns):
        return False
    if index.method not in ("btree", "hash") or (index.method == "hash" and len(columns) != 1):
        return False
    if not index.predicate:
        return True
    terms = re.split(r"\s+AND\s+", index.predicate.replace("(", "").replace(")", ""))
    names = [_NOT_NULL.match(term.strip()) for term in terms]
    return all(name is not None and unquote(name[1]) in columns for name in names)


def run_rules(ctx: Context) -> tuple[list[Finding], list[Diagnostic]]:
    """All rules the input allows; notes say which were skipped and why."""
    findings: list[Finding] = []
    notes: list[Diagnostic] = []
    statistics_rules = []
    for rule in RULES:
        if rule.NEEDS_STATISTICS and not ctx.stats.live:
            statistics_rules.append(rule.TITLE)
            continue
        needs = requirements.of(rule)
        if ctx.stats.live and not needs.readable(ctx.stats):
            ctx.skipped.append(needs.skipped(rule.TITLE, ctx.stats))
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
