"""`--migrate --dry-run`: the pending migrations executed in one transaction that is always rolled back.

Each statement is timed and reports the locks it added (read from `pg_locks`);
a CONCURRENTLY index statement, which cannot run in a transaction, is checked
without CONCURRENTLY and reported with the SHARE UPDATE EXCLUSIVE lock the real
run takes. The report ends with the schema changes the migrations made (a diff
of the catalog before and after) and the sequences they advanced, which a
rollback does not set back.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg
from pglast.enums import ReindexObjectType
from pglast.stream import RawStream

from senior_backend.dbtool.diff.plan import diff_snapshots
from senior_backend.dbtool.migrate.progress import (
    APPLIED,
    RESET_SESSION,
    MigrationFailed,
    repeat_settings,
    transaction_outcomes,
)
from senior_backend.dbtool.shadow import pinned_snapshot
from senior_backend.dbtool.sqltext import (
    Statement,
    needs_no_transaction,
    parse_one,
    transaction_control,
    without_concurrently,
)

CONCURRENT_LOCK = "ShareUpdateExclusiveLock"  # what CREATE/DROP INDEX and REINDEX ... CONCURRENTLY hold

_SEQUENCES = """
SELECT format('%I.%I', schemaname, sequencename), last_value
FROM pg_sequences
WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1"""
_LOCKS = """
SELECT coalesce(n.nspname || '.' || c.relname, l.locktype) AS object, l.mode
FROM pg_locks l
LEFT JOIN pg_class c ON c.oid = l.relation
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = pg_backend_pid() AND l.granted AND l.locktype = 'relation'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 2"""


@dataclass(frozen=True)
class DryStatement:
    """One statement of a dry run: executed (with its time and the locks it added) or only reported (a note)."""

    line: int
    statement: str
    executed: bool
    ms: float | None = None
    locks: list[str] | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass
class DryRunMigration:
    """A pending migration as the dry run executed it."""

    version: str
    name: str
    statements: list[DryStatement] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "statements": [statement.to_json() for statement in self.statements],
        }


@dataclass(frozen=True)
class AdvancedSequence:
    """A sequence whose value the rolled-back dry run moved (a rollback does not undo nextval)."""

    sequence: str
    before: int | None
    after: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DryRunReport:
    """What the pending migrations did inside the transaction that was rolled back (nothing is committed)."""

    migrations: list[DryRunMigration] = field(default_factory=list)
    schema_changes: list[str] = field(default_factory=list)
    sequences_advanced: list[AdvancedSequence] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "migrations": [migration.to_json() for migration in self.migrations],
            "schema_changes": self.schema_changes,
            "committed": False,
            "sequences_advanced": [sequence.to_json() for sequence in self.sequences_advanced],
        }


@dataclass(frozen=True)
class PendingMigration:
    """A migration to dry-run: its statements, of which an earlier run that stopped applied `resume`."""

    version: str
    name: str
    label: str  # the file's name, for messages
    statements: list[Statement]
    resume: int


def dry_run(conn: psycopg.Connection, pending: list[PendingMigration], lock_key: int) -> DryRunReport:
    """Execute `pending` in one transaction that is always rolled back, holding the runners' advisory lock
    `lock_key` inside it; report each statement, the schema changes and the sequences advanced."""
    report = DryRunReport()
    sequences = _sequence_values(conn)
    with conn.transaction(force_rollback=True):
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
        before = pinned_snapshot(conn)
        held = set(_locks(conn))
        for migration in pending:
            held = _simulate(conn, migration, report, held)
        report.schema_changes = [
            change.description for change in diff_snapshots(before, pinned_snapshot(conn)).changes
        ]
    conn.execute(RESET_SESSION)
    report.sequences_advanced = _advanced(conn, sequences)
    return report


def _simulate(
    conn: psycopg.Connection, m: PendingMigration, report: DryRunReport, held: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Run one migration from where an earlier, stopped run left it; returns the locks now held."""
    conn.execute(RESET_SESSION)
    entry = DryRunMigration(m.version, m.name)
    report.migrations.append(entry)
    repeat_settings(conn, m.statements[: m.resume])
    entry.statements += [
        DryStatement(s.line, s.first_line, False, note="applied by an earlier run that stopped")
        for s in m.statements[: m.resume]
    ]
    for index, statement in enumerate(m.statements[m.resume :], m.resume):
        try:
            item, held = _statement(conn, m.label, index, statement, held)
        except MigrationFailed as exc:
            exc.statements = transaction_outcomes(m.statements, m.resume, index)
            exc.rolled_back = all(s.state != APPLIED for s in exc.statements)  # an earlier run's stay
            exc.simulated = report.migrations[:-1]
            raise
        if item is not None:
            entry.statements.append(item)
    return held


def _statement(
    conn: psycopg.Connection, label: str, index: int, statement: Statement, held: set[tuple[str, str]]
) -> tuple[DryStatement | None, set[tuple[str, str]]]:
    node = parse_one(statement.text)
    if transaction_control(node):
        return None, held
    text = statement.text
    note = None
    if needs_no_transaction(node):
        checked = checkable(node)
        if checked is None:
            note = "cannot run inside a transaction: not executed in the dry run"
            return DryStatement(statement.line, statement.first_line, False, note=note), held
        note = "runs outside a transaction (SHARE UPDATE EXCLUSIVE); checked here without CONCURRENTLY"
        text = checked
    started = time.perf_counter()
    try:
        with conn.transaction():
            conn.execute(text)
    except psycopg.errors.UnsafeNewEnumValueUsage:
        note = "uses an enum value added in this run: checked only when applied"
        return DryStatement(statement.line, statement.first_line, False, note=note), held
    except psycopg.Error as exc:
        raise MigrationFailed(label, statement, index, exc) from exc
    ms = round((time.perf_counter() - started) * 1000, 3)
    now = set(_locks(conn))
    added = now - held
    if text is not statement.text:  # checked without CONCURRENTLY: the real run takes the weaker lock
        added = {(obj, CONCURRENT_LOCK) for obj, _ in added}
    locks = [f"{mode} on {obj}" for obj, mode in sorted(added)]
    return DryStatement(statement.line, statement.first_line, True, ms, locks, note), now


def _locks(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in conn.execute(_LOCKS).fetchall()]


def _sequence_values(conn: psycopg.Connection) -> dict[str, int | None]:
    """Every readable sequence's last value, in one query."""
    return dict(conn.execute(_SEQUENCES).fetchall())  # type: ignore[arg-type]


def _advanced(conn: psycopg.Connection, before: dict[str, int | None]) -> list[AdvancedSequence]:
    """Sequences that moved during the dry run. A rollback does not undo nextval, and they are never
    set back: another session may have taken values meanwhile, and reusing those would duplicate keys.
    A gap in a sequence is harmless, so it is reported rather than "repaired"."""
    after = _sequence_values(conn)
    return [
        AdvancedSequence(name, before.get(name), value)
        for name, value in after.items()
        if name in before and value != before[name]
    ]


def checkable(node: object) -> str | None:
    """A CONCURRENTLY index statement (CREATE INDEX, DROP INDEX, REINDEX INDEX/TABLE) without
    CONCURRENTLY, so a transaction can check it; None for the statements that cannot run in one."""
    if type(node).__name__ != "ReindexStmt":
        return without_concurrently(node)  # type: ignore[arg-type]
    kinds = (ReindexObjectType.REINDEX_OBJECT_INDEX, ReindexObjectType.REINDEX_OBJECT_TABLE)
    params = list(getattr(node, "params", None) or ())
    if getattr(node, "kind", None) not in kinds:
        return None
    node.params = tuple(p for p in params if getattr(p, "defname", "") != "concurrently") or None  # type: ignore[attr-defined]
    try:
        return RawStream()(node)
    finally:
        node.params = tuple(params)  # type: ignore[attr-defined]
