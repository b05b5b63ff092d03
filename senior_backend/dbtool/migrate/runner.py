"""The migration runner: apply, roll back, report status, and dry-run migration files.

Applied migrations are tracked in `senior_backend.schema_migrations`
(version, name, checksum, applied_at, duration, applied_by, and for a
migration only partly applied: applied_statements and applied_prefix; partly
rolled back: reverted_statements and reverted_prefix). A
session advisory lock makes concurrent runners take turns: the second one
waits, then sees the first one's work and applies nothing twice. Each
migration runs in its own transaction together with its tracking row, so a
failure leaves neither; files marked no-transaction run statement by
statement (their explicit BEGIN/COMMIT blocks included): when one fails, the
statements before it stay, the tracking row records how many (a rerun
resumes after them, see `progress.py`), and an INVALID index the failed
statement left is dropped. A no-transaction .down.sql runs the same way: when
it stops, the tracking row records how many of its statements are applied
(reverted_statements: partly rolled back, as `--status` shows), a rerun of
`--down` resumes after them and `--migrate` refuses until it finishes. Session
`SET`s are no applied work: a file that failed after only those is left as
never run. An applied file whose checksum has changed is refused. A dry run
(`dry_run.py`) executes the pending files inside one transaction that is
always rolled back.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg

from senior_backend.common.errors import BadInput, Refused
from senior_backend.common.pg.catalog import TOOL_SCHEMA
from senior_backend.common.pg.connect import connect
from senior_backend.dbtool.migrate.dry_run import DryRunReport, PendingMigration, dry_run
from senior_backend.dbtool.migrate.progress import (
    APPLIED,
    FAILED,
    NOT_RUN,
    RESET_SESSION,
    ROLLED_BACK,
    Fingerprint,
    IndexGuard,
    MigrationFailed,
    applied_work,
    outcomes,
    prefix_fingerprint,
    repeat_settings,
    transaction_outcomes,
)
from senior_backend.dbtool.migration_files import is_no_transaction
from senior_backend.dbtool.sqltext import (
    Statement,
    parse_one,
    read_sql,
    split_statements,
    transaction_control,
)

ADVISORY_LOCK_KEY = 7_262_017_346_001
LOCK_POLL_SECONDS = 0.2
TRACKING_TABLE = f"{TOOL_SCHEMA}.schema_migrations"
_VERSION = re.compile(r"^(\d+)_(.+)$")
_SETUP = f"""
CREATE SCHEMA IF NOT EXISTS {TOOL_SCHEMA};
CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} (
    version text PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration interval NOT NULL,
    applied_by text NOT NULL,
    applied_statements integer,
    applied_prefix text,
    reverted_statements integer,
    reverted_prefix text
);
ALTER TABLE {TRACKING_TABLE}
    ADD COLUMN IF NOT EXISTS applied_statements integer,
    ADD COLUMN IF NOT EXISTS applied_prefix text,
    ADD COLUMN IF NOT EXISTS reverted_statements integer,
    ADD COLUMN IF NOT EXISTS reverted_prefix text"""
_TRACKED = f"""
SELECT version, name, checksum, applied_at, extract(epoch FROM duration) * 1000, applied_by,
       (to_jsonb(m) ->> 'applied_statements')::integer, to_jsonb(m) ->> 'applied_prefix',
       (to_jsonb(m) ->> 'reverted_statements')::integer, to_jsonb(m) ->> 'reverted_prefix'
FROM {TRACKING_TABLE} m
ORDER BY version"""
_RECORD = f"""
INSERT INTO {TRACKING_TABLE}
    (version, name, checksum, duration, applied_by, applied_statements, applied_prefix)
VALUES (%s, %s, %s, %s * interval '1 millisecond', %s, %s, %s)
ON CONFLICT (version) DO UPDATE SET
    name = excluded.name, checksum = excluded.checksum, applied_at = now(), duration = excluded.duration,
    applied_by = excluded.applied_by, applied_statements = excluded.applied_statements,
    applied_prefix = excluded.applied_prefix, reverted_statements = NULL, reverted_prefix = NULL"""
_REVERTED = f"UPDATE {TRACKING_TABLE} SET reverted_statements = %s, reverted_prefix = %s WHERE version = %s"


@dataclass(frozen=True)
class MigrationFile:
    """One migration on disk: `<version>_<name>.up.sql` (or `.sql`) and its optional `.down.sql`."""

    version: str
    name: str
    path: Path
    down_path: Path | None

    @property
    def text(self) -> str:
        return read_sql(self.path)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class StatementTiming:
    """One statement a script ran: its line, its first line of text and how long it took."""

    line: int
    statement: str
    ms: float


@dataclass(frozen=True)
class TrackedMigration:
    """One row of the tracking table."""

    version: str
    name: str
    checksum: str
    applied_at: str
    ms: float
    applied_by: str
    applied_statements: int | None = None
    applied_prefix: str | None = None
    reverted_statements: int | None = None
    reverted_prefix: str | None = None

    @property
    def partial(self) -> bool:
        """Whether only the first `applied_statements` statements are applied (a no-transaction file stopped)."""
        return self.applied_statements is not None

    @property
    def reverting(self) -> bool:
        """Whether the first `reverted_statements` statements of its no-transaction .down.sql are applied
        (a `--down` stopped halfway: the migration is partly rolled back)."""
        return self.reverted_statements is not None


@dataclass(frozen=True)
class MigrationState:
    """One line of `--status`: `state` is applied, pending, partial (a no-transaction file stopped after
    `applied_statements` statements that change the database), partly_reverted (a `--down` of a
    no-transaction .down.sql stopped after `reverted_statements` of them), modified (file changed since)
    or missing (no file)."""

    version: str
    name: str
    state: str
    applied_at: str | None
    applied_statements: int | None = None
    reverted_statements: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("applied_statements", "reverted_statements"):
            if data[key] is None:
                del data[key]
        return data


@dataclass(frozen=True)
class RanMigration:
    """A migration applied (`up`, with its statement count; `resumed_after`: the statements an earlier run
    applied, skipped now) or rolled back (`down`)."""

    version: str
    name: str
    direction: str
    ms: float
    statements: int | None = None
    resumed_after: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


def version_key(version: str) -> tuple[int, int, str]:
    """Sort key of a version: all-digit versions by their number (so 2 < 10), others after, by text."""
    return (0, int(version), version) if version.isdigit() else (1, 0, version)


def discover(path: Path) -> list[MigrationFile]:
    """The migrations in a folder (ordered by version) or the single file given."""
    if not path.exists():
        raise BadInput("no-migrations", f"{path} does not exist")
    files = sorted(path.glob("*.sql")) if path.is_dir() else [path]
    found = []
    for file in files:
        if file.name.endswith(".down.sql"):
            continue
        stem = file.name.removesuffix(".sql").removesuffix(".up")
        match = _VERSION.match(stem)
        version, name = (match.group(1), match.group(2)) if match else (stem, stem)
        down = file.with_name(f"{stem}.down.sql")
        found.append(MigrationFile(version, name, file, down if down.exists() else None))
    versions = [m.version for m in found]
    duplicated = sorted({v for v in versions if versions.count(v) > 1})
    if duplicated:
        raise BadInput("duplicate-version", f"several migrations share version {duplicated[0]}")
    return sorted(found, key=lambda m: (version_key(m.version), m.name))


def execute_script(
    conn: psycopg.Connection, text: str, label: str, *, no_transaction: bool | None = None
) -> list[StatementTiming]:
    """Run a migration's statements on an autocommit connection; returns per-statement timings.

    Transactional scripts run in one transaction (their own BEGIN/COMMIT are
    ignored); no-transaction scripts run statement by statement and an open
    explicit block is rolled back on failure. Raises `MigrationFailed`.
    """
    no_tx = is_no_transaction(text) if no_transaction is None else no_transaction
    statements = split_statements(text, label)
    if no_tx:
        return _run_statements(conn, statements, label, skip_control=False)
    with conn.transaction():
        return _run_statements(conn, statements, label, skip_control=True)


def _run_statements(
    conn: psycopg.Connection, statements: list[Statement], label: str, *, skip_control: bool, start: int = 0
) -> list[StatementTiming]:
    """Run `statements[start:]` (errors numbered in the whole file)."""
    timings: list[StatementTiming] = []
    for index, statement in enumerate(statements[start:], start):
        if skip_control and transaction_control(parse_one(statement.text)):
            continue
        started = time.perf_counter()
        try:
            conn.execute(statement.text)
        except psycopg.Error as exc:
            if not skip_control and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.execute("ROLLBACK")
            raise MigrationFailed(label, statement, index, exc) from exc
        timings.append(StatementTiming(statement.line, statement.first_line, _ms(started)))
    return timings


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


@dataclass
class Runner:
    """Applies migrations to one database; one connection, autocommit, held advisory lock while working."""

    url: str

    def __post_init__(self) -> None:
        self.conn = connect(self.url)

    def close(self) -> None:
        self.conn.close()

    # ---- tracking ----------------------------------------------------------------------------

    def _lock(self) -> None:
        """Take the runners' advisory lock, polling: a blocked SELECT would hold a snapshot that
        CREATE INDEX CONCURRENTLY in the other runner waits for (a deadlock)."""
        while not self.conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()[0]:
            time.sleep(LOCK_POLL_SECONDS)
        self.conn.execute(_SETUP)

    def _unlock(self) -> None:
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self.conn.execute("ROLLBACK")
        self.conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))

    def tracked(self) -> dict[str, TrackedMigration]:
        """The tracking table's rows by version, partly applied ones included (empty before the first run)."""
        exists = self.conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TRACKING_TABLE,)).fetchone()[0]
        if not exists:
            return {}
        rows = self.conn.execute(_TRACKED).fetchall()
        return {
            r[0]: TrackedMigration(r[0], r[1], r[2], r[3].isoformat(), float(r[4]), r[5], *r[6:10])
            for r in rows
        }

    def applied(self) -> dict[str, TrackedMigration]:
        """The fully applied migrations by version."""
        return {version: row for version, row in self.tracked().items() if not row.partial}

    def status(self, migrations: list[MigrationFile]) -> list[MigrationState]:
        """applied / pending / partial / modified for every file, and `missing` for tracked versions with no file."""
        tracked = self.tracked()
        rows = []
        for m in migrations:
            record = tracked.pop(m.version, None)
            if record is None:
                rows.append(MigrationState(m.version, m.name, "pending", None))
            elif record.partial:
                count = _work_count(m.text, m.path.name, record.applied_statements)
                rows.append(MigrationState(m.version, m.name, "partial", record.applied_at, count))
            elif record.reverting:
                text, label = (read_sql(m.down_path), m.down_path.name) if m.down_path else (None, "")
                count = _work_count(text, label, record.reverted_statements)
                rows.append(
                    MigrationState(m.version, m.name, "partly_reverted", record.applied_at, None, count)
                )
            else:
                state = "applied" if record.checksum == m.checksum else "modified"
                rows.append(MigrationState(m.version, m.name, state, record.applied_at))
        rows += [
            MigrationState(v, r.name, "missing", r.applied_at, r.applied_statements)
            for v, r in tracked.items()
        ]
        return sorted(rows, key=lambda row: version_key(row.version))

    def _resume_point(self, m: MigrationFile, record: TrackedMigration | None) -> int:
        """How many statements of `m` an earlier run applied (0 when none); refused when they changed since."""
        if record is None or not record.partial:
            return 0
        count = record.applied_statements or 0
        statements = split_statements(m.text, m.path.name)
        if len(statements) >= count and prefix_fingerprint(statements, count) == record.applied_prefix:
            return count
        raise Refused(
            "partial-migration-changed",
            f"{m.path.name} was partly applied (statements 1-{count} by an earlier run) and those statements "
            "have changed since",
            hint=f"restore the first {count} statements of the file so the rerun resumes after them, or undo "
            f"them by hand and DELETE FROM {TRACKING_TABLE} WHERE version = '{m.version}'",
        )

    def _refuse_modified(self, migrations: list[MigrationFile]) -> None:
        modified = [row for row in self.status(migrations) if row.state == "modified"]
        if modified:
            raise Refused(
                "checksum-mismatch",
                f"applied migration {modified[0].version}_{modified[0].name} was modified after it was applied",
                hint="never edit an applied migration; write a new one",
            )

    def _refuse_partial(self, flag: str, above: str | None = None) -> None:
        """Refuse to roll back past a partly applied migration (above version `above`, when given)."""
        partial = [
            row
            for row in self.tracked().values()
            if row.partial and (above is None or version_key(row.version) > version_key(above))
        ]
        if partial:
            row = partial[0]
            raise Refused(
                "partial-migration",
                f"migration {row.version}_{row.name} is partly applied (its first {row.applied_statements} "
                f"statements): {flag} does not undo it",
                hint="rerun --migrate to finish it first, or undo it by hand and "
                f"DELETE FROM {TRACKING_TABLE} WHERE version = '{row.version}'",
            )

    def _refuse_reverting(self, flag: str, allowed: str | None = None) -> None:
        """Refuse to run on top of a partly rolled back migration (other than version `allowed`)."""
        reverting = [row for row in self.tracked().values() if row.reverting and row.version != allowed]
        if reverting:
            row = reverting[0]
            raise Refused(
                "partly-reverted-migration",
                f"migration {row.version}_{row.name} is partly rolled back (a --down stopped after statement "
                f"{row.reverted_statements} of its .down.sql): {flag} does not run on top of it",
                hint="fix the cause and rerun --migrate DIR --down 1 to finish rolling it back (then --migrate "
                "applies it again), or undo those statements by hand and UPDATE "
                f"{TRACKING_TABLE} SET reverted_statements = NULL, reverted_prefix = NULL "
                f"WHERE version = '{row.version}'",
            )

    # ---- apply and roll back -----------------------------------------------------------------

    def migrate(self, migrations: list[MigrationFile], target: str | None = None) -> list[RanMigration]:
        """Apply pending migrations up to `target` (rolling back applied ones above it); returns what ran."""
        self._lock()
        try:
            self._refuse_modified(migrations)
            self._refuse_reverting("--migrate")
            applied = self.applied()
            for m in migrations:  # a file that does not parse stops the run before any applies
                if m.version not in applied:
                    split_statements(m.text, m.path.name)
            done = []
            if target is not None:
                self._refuse_partial("--target", above=target)
                above = [
                    v
                    for v in sorted(applied, key=version_key, reverse=True)
                    if version_key(v) > version_key(target)
                ]
                done += self._down_versions(migrations, above)
                applied = self.applied()
            tracked = self.tracked()
            for m in migrations:
                if m.version in applied or (
                    target is not None and version_key(m.version) > version_key(target)
                ):
                    continue
                try:
                    done.append(self._apply(m, self._resume_point(m, tracked.get(m.version))))
                except MigrationFailed as exc:
                    exc.ran = done
                    raise
            return done
        finally:
            self._unlock()

    def _apply(self, m: MigrationFile, resume: int) -> RanMigration:
        """Apply `m` from its statement `resume` on (0: all of it) and write its tracking row."""
        text = m.text
        statements = split_statements(text, m.path.name)
        self.conn.execute(RESET_SESSION)
        started = time.perf_counter()
        if is_no_transaction(text):
            count = self._apply_statementwise(m, statements, resume, started)
        else:
            with self.conn.transaction():
                try:
                    repeat_settings(self.conn, statements[:resume])
                    count = len(
                        _run_statements(self.conn, statements, m.path.name, skip_control=True, start=resume)
                    )
                except MigrationFailed as exc:
                    exc.statements = transaction_outcomes(
                        statements, resume, exc.failure.statement_index - 1
                    )
                    exc.rolled_back = resume == 0
                    raise
                self._record(m, started, None, None)
        return RanMigration(m.version, m.name, "up", _ms(started), count, resume or None)

    def _record(self, m: MigrationFile, started: float, count: int | None, prefix: str | None) -> None:
        """Write the tracking row: complete (`count` None) or the first `count` statements applied."""
        self.conn.execute(_RECORD, (m.version, m.name, m.checksum, _ms(started), _who(), count, prefix))

    def _apply_statementwise(
        self, m: MigrationFile, statements: list[Statement], resume: int, started: float
    ) -> int:
        """Run a no-transaction file from statement `resume` on (see `_statementwise`); the tracking row
        records the progress. Returns how many statements ran."""
        count = self._statementwise(
            m.path.name, statements, resume, lambda n, prefix: self._record(m, started, n, prefix)
        )
        self._record(m, started, None, None)
        return count

    def _statementwise(
        self, label: str, statements: list[Statement], resume: int, save: Callable[[int, str], None]
    ) -> int:
        """Run statements from `resume` on, one at a time (explicit BEGIN/COMMIT blocks are atomic); after
        every statement that stays, while more follow and once something beyond session `SET`s stays,
        `save(count, fingerprint)` records the progress. On failure: drop the INVALID index the statement
        left, report every statement's state and keep the progress. Returns how many statements ran."""
        repeat_settings(self.conn, statements[:resume])
        fingerprint = Fingerprint(statements[:resume])
        states = [APPLIED] * resume + [NOT_RUN] * (len(statements) - resume)
        block: int | None = None  # where the open explicit block began
        work = resume > 0  # something beyond session settings stays (an earlier run recorded it)
        for index in range(resume, len(statements)):
            statement = statements[index]
            node = parse_one(statement.text)
            guard = IndexGuard.before_statement(self.conn, node) if block is None else None
            try:
                self.conn.execute(statement.text)
            except psycopg.Error as exc:
                failed = MigrationFailed(label, statement, index, exc)
                if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    self.conn.execute("ROLLBACK")
                for earlier in range(block if block is not None else index, index):
                    states[earlier] = ROLLED_BACK  # a failed COMMIT has rolled its block back too
                states[index] = FAILED
                failed.statements = outcomes(statements, states)
                failed.rolled_back = all(s.state != APPLIED for s in failed.statements)
                if guard is not None:
                    failed.dropped, failed.left = self._drop_invalid(guard)
                raise failed from exc
            fingerprint.add(statement)
            control = transaction_control(node)
            if control == "begin":
                block = index
                continue
            if block is not None and control is None:
                continue
            first = index if block is None else block
            kept = ROLLED_BACK if control == "rollback" else APPLIED
            for done in range(first, index + 1):
                states[done] = kept
            block = None
            work = work or (kept == APPLIED and applied_work(statements[first : index + 1]) > 0)
            if work and index + 1 < len(statements):
                save(index + 1, fingerprint.hexdigest())
        return len(statements) - resume

    def _drop_invalid(self, guard: IndexGuard) -> tuple[list[str], list[str]]:
        """Drop the INVALID indexes a failed concurrent index statement left: (dropped, could not drop)."""
        dropped, left = [], []
        for index in guard.left_invalid(self.conn):
            try:
                self.conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")
            except psycopg.Error as exc:
                reason = (exc.diag.message_primary or str(exc)).strip()
                left.append(f"{index} ({reason}; drop it: DROP INDEX CONCURRENTLY {index})")
            else:
                dropped.append(index)
        return dropped, left

    def down(self, migrations: list[MigrationFile], count: int) -> list[RanMigration]:
        """Roll back the last `count` applied migrations with their .down.sql files."""
        self._lock()
        try:
            self._refuse_modified(migrations)
            self._refuse_partial("--down")
            versions = sorted(self.applied(), key=version_key, reverse=True)[:count]
            self._refuse_reverting("--down", allowed=versions[0] if versions else None)
            return self._down_versions(migrations, versions)
        finally:
            self._unlock()

    def _down_versions(self, migrations: list[MigrationFile], versions: list[str]) -> list[RanMigration]:
        by_version = {m.version: m for m in migrations}
        tracked = self.tracked()
        done = []
        for version in versions:
            m = by_version.get(version)
            if m is None or m.down_path is None:
                raise BadInput("no-down-migration", f"no .down.sql file for applied version {version}")
            text = read_sql(m.down_path)
            self.conn.execute(RESET_SESSION)
            started = time.perf_counter()
            forget = f"DELETE FROM {TRACKING_TABLE} WHERE version = %s"
            if is_no_transaction(text):
                statements = split_statements(text, m.down_path.name)
                resume = self._revert_point(m, statements, tracked.get(version))
                try:
                    self._statementwise(
                        m.down_path.name,
                        statements,
                        resume,
                        lambda n, prefix, v=version: self.conn.execute(_REVERTED, (n, prefix, v)),
                    )
                except MigrationFailed as exc:
                    exc.direction = "down"
                    exc.ran = done
                    raise
                self.conn.execute(forget, (version,))
            else:
                with self.conn.transaction():
                    try:
                        execute_script_in_transaction(self.conn, text, m.down_path.name)
                    except MigrationFailed as exc:
                        exc.direction = "down"
                        exc.ran = done
                        exc.statements = transaction_outcomes(
                            split_statements(text, m.down_path.name), 0, exc.failure.statement_index - 1
                        )
                        raise
                    self.conn.execute(forget, (version,))
            done.append(RanMigration(version, m.name, "down", _ms(started)))
        return done

    def _revert_point(
        self, m: MigrationFile, statements: list[Statement], record: TrackedMigration | None
    ) -> int:
        """How many statements of `m`'s .down.sql an earlier `--down` applied (0 when none); refused when
        they changed since."""
        if record is None or not record.reverting:
            return 0
        count = record.reverted_statements or 0
        if len(statements) >= count and prefix_fingerprint(statements, count) == record.reverted_prefix:
            return count
        name = m.down_path.name if m.down_path else m.version
        raise Refused(
            "partial-down-changed",
            f"{name} was partly applied (statements 1-{count} by an earlier --down) and those statements "
            "have changed since",
            hint=f"restore the first {count} statements of {name} so --down resumes after them, or undo them "
            f"by hand and UPDATE {TRACKING_TABLE} SET reverted_statements = NULL, reverted_prefix = NULL "
            f"WHERE version = '{m.version}'",
        )

    def dry_run(self, migrations: list[MigrationFile]) -> DryRunReport:
        """Run the pending migrations in one transaction that is always rolled back (see `dry_run.py`).

        Every pending file is parsed first: one that does not parse stops the dry run before any runs."""
        self._refuse_modified(migrations)
        self._refuse_reverting("--dry-run")
        applied, tracked = self.applied(), self.tracked()
        pending = [
            PendingMigration(
                m.version,
                m.name,
                m.path.name,
                split_statements(m.text, m.path.name),
                self._resume_point(m, tracked.get(m.version)),
            )
            for m in migrations
            if m.version not in applied
        ]
        return dry_run(self.conn, pending, ADVISORY_LOCK_KEY)


def _work_count(text: str | None, label: str, count: int | None) -> int | None:
    """How many of the first `count` statements of `text` change the database (session `SET`s do not);
    `count` itself when the file is gone or no longer parses."""
    if text is None or count is None:
        return count
    try:
        return applied_work(split_statements(text, label)[:count])
    except BadInput:
        return count


def execute_script_in_transaction(conn: psycopg.Connection, text: str, label: str) -> list[StatementTiming]:
    """Run a transactional script inside the caller's open transaction (its BEGIN/COMMIT ignored)."""
    return _run_statements(conn, split_statements(text, label), label, skip_control=True)


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
