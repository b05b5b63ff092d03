"""The migration runner: apply, roll back, report status, and dry-run migration files.

Applied migrations are tracked in `senior_backend.schema_migrations`
(version, name, checksum, applied_at, duration, applied_by). A session
advisory lock makes concurrent runners take turns: the second one waits, then
sees the first one's work and applies nothing twice. Each migration runs in
its own transaction together with its tracking row, so a failure leaves
neither; files marked no-transaction run statement by statement (their
explicit BEGIN/COMMIT blocks included). An applied file whose checksum has
changed is refused. A dry run executes everything inside one transaction
that is always rolled back, timing each statement and reading the locks it
took from `pg_locks`.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from senior_backend.common.errors import BadInput, Refused
from senior_backend.common.pg.catalog import TOOL_SCHEMA
from senior_backend.common.pg.connect import connect
from senior_backend.dbtool.diff.plan import diff_snapshots
from senior_backend.dbtool.migration_files import is_no_transaction
from senior_backend.dbtool.shadow import pinned_snapshot
from senior_backend.dbtool.sqltext import (
    Statement,
    needs_no_transaction,
    parse_one,
    read_sql,
    split_statements,
    transaction_control,
    without_concurrently,
)

ADVISORY_LOCK_KEY = 7_262_017_346_001
RESET_SESSION = "RESET ALL"  # each file starts from the server's defaults, not the previous file's SETs
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
    applied_by text NOT NULL
)"""
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


class MigrationFailed(Exception):
    """A statement failed; the message names the file, the statement and its line."""

    def __init__(self, migration: str, statement: Statement, index: int, error: psycopg.Error) -> None:
        self.migration = migration
        self.statement = statement
        self.index = index
        self.error = error
        position = getattr(error.diag, "statement_position", None)
        where = f", position {position}" if position else ""
        reason = (error.diag.message_primary or str(error)).strip()
        super().__init__(
            f"{migration} failed at statement {index + 1} (line {statement.line}{where}): {reason} "
            f"[{statement.first_line}]"
        )

    def to_json(self) -> dict:
        return {
            "migration": self.migration,
            "statement_index": self.index + 1,
            "line": self.statement.line,
            "position": getattr(self.error.diag, "statement_position", None),
            "statement": self.statement.text,
            "error": (self.error.diag.message_primary or str(self.error)).strip(),
            "sqlstate": self.error.sqlstate,
        }


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
) -> list[dict]:
    """Run a migration's statements on an autocommit connection; returns per-statement timings.

    Transactional scripts run in one transaction (their own BEGIN/COMMIT are
    ignored); no-transaction scripts run statement by statement and an open
    explicit block is rolled back on failure. Raises `MigrationFailed`.
    """
    no_tx = is_no_transaction(text) if no_transaction is None else no_transaction
    statements = split_statements(text, label)
    timings: list[dict] = []
    if no_tx:
        _run_statements(conn, statements, label, timings, skip_control=False)
    else:
        with conn.transaction():
            _run_statements(conn, statements, label, timings, skip_control=True)
    return timings


def _run_statements(
    conn: psycopg.Connection,
    statements: list[Statement],
    label: str,
    timings: list[dict],
    *,
    skip_control: bool,
) -> None:
    for index, statement in enumerate(statements):
        if skip_control and transaction_control(parse_one(statement.text)):
            continue
        started = time.perf_counter()
        try:
            conn.execute(statement.text)
        except psycopg.Error as exc:
            if not skip_control and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.execute("ROLLBACK")
            raise MigrationFailed(label, statement, index, exc) from exc
        timings.append({"line": statement.line, "statement": statement.first_line, "ms": _ms(started)})


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


@dataclass
class Runner:
    """Applies migrations to one database; one connection, autocommit, held advisory lock while working."""

    url: str
    log: list[str] = field(default_factory=list)

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

    def applied(self) -> dict[str, dict]:
        exists = self.conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TRACKING_TABLE,)).fetchone()[0]
        if not exists:
            return {}
        rows = self.conn.execute(
            f"SELECT version, name, checksum, applied_at, extract(epoch FROM duration) * 1000, applied_by "
            f"FROM {TRACKING_TABLE} ORDER BY version"
        ).fetchall()
        return {
            r[0]: {
                "version": r[0],
                "name": r[1],
                "checksum": r[2],
                "applied_at": r[3].isoformat(),
                "ms": float(r[4]),
                "applied_by": r[5],
            }
            for r in rows
        }

    def status(self, migrations: list[MigrationFile]) -> list[dict]:
        """applied / pending / modified for every file, and `missing` for applied versions with no file."""
        applied = self.applied()
        rows = []
        for m in migrations:
            record = applied.pop(m.version, None)
            state = (
                "pending"
                if record is None
                else ("applied" if record["checksum"] == m.checksum else "modified")
            )
            rows.append(
                {
                    "version": m.version,
                    "name": m.name,
                    "state": state,
                    "applied_at": record and record["applied_at"],
                }
            )
        for version, record in applied.items():
            rows.append(
                {
                    "version": version,
                    "name": record["name"],
                    "state": "missing",
                    "applied_at": record["applied_at"],
                }
            )
        return sorted(rows, key=lambda r: version_key(r["version"]))

    def _refuse_modified(self, migrations: list[MigrationFile]) -> None:
        modified = [r for r in self.status(migrations) if r["state"] == "modified"]
        if modified:
            raise Refused(
                "checksum-mismatch",
                f"applied migration {modified[0]['version']}_{modified[0]['name']} was modified after it was applied",
                hint="never edit an applied migration; write a new one",
            )

    # ---- apply and roll back -----------------------------------------------------------------

    def migrate(self, migrations: list[MigrationFile], target: str | None = None) -> list[dict]:
        """Apply pending migrations up to `target` (rolling back applied ones above it); returns what ran."""
        self._lock()
        try:
            self._refuse_modified(migrations)
            applied = self.applied()
            for m in migrations:
                if m.version not in applied:
                    split_statements(
                        m.text, m.path.name
                    )  # a file that does not parse stops the run before any
            done = []
            if target is not None:
                above = [
                    v
                    for v in sorted(applied, key=version_key, reverse=True)
                    if version_key(v) > version_key(target)
                ]
                done += self._down_versions(migrations, above)
                applied = self.applied()
            for m in migrations:
                if m.version in applied or (
                    target is not None and version_key(m.version) > version_key(target)
                ):
                    continue
                done.append(self._apply(m))
            return done
        finally:
            self._unlock()

    def _apply(self, m: MigrationFile) -> dict:
        text = m.text
        self.conn.execute(RESET_SESSION)
        started = time.perf_counter()
        record = f"INSERT INTO {TRACKING_TABLE} (version, name, checksum, duration, applied_by) VALUES (%s, %s, %s, %s * interval '1 millisecond', %s)"
        who = _who()
        if is_no_transaction(text):
            timings = execute_script(self.conn, text, m.path.name, no_transaction=True)
            self.conn.execute(record, (m.version, m.name, m.checksum, _ms(started), who))
        else:
            with self.conn.transaction():
                timings = execute_script_in_transaction(self.conn, text, m.path.name)
                self.conn.execute(record, (m.version, m.name, m.checksum, _ms(started), who))
        return {
            "version": m.version,
            "name": m.name,
            "direction": "up",
            "ms": _ms(started),
            "statements": len(timings),
        }

    def down(self, migrations: list[MigrationFile], count: int) -> list[dict]:
        """Roll back the last `count` applied migrations with their .down.sql files."""
        self._lock()
        try:
            self._refuse_modified(migrations)
            versions = sorted(self.applied(), key=version_key, reverse=True)[:count]
            return self._down_versions(migrations, versions)
        finally:
            self._unlock()

    def _down_versions(self, migrations: list[MigrationFile], versions: list[str]) -> list[dict]:
        by_version = {m.version: m for m in migrations}
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
                execute_script(self.conn, text, m.down_path.name, no_transaction=True)
                self.conn.execute(forget, (version,))
            else:
                with self.conn.transaction():
                    execute_script_in_transaction(self.conn, text, m.down_path.name)
                    self.conn.execute(forget, (version,))
            done.append({"version": version, "name": m.name, "direction": "down", "ms": _ms(started)})
        return done

    # ---- dry run -------------------------------------------------------------------------------

    def dry_run(self, migrations: list[MigrationFile]) -> dict:
        """Run the pending migrations in one transaction that is always rolled back; report what they did."""
        report: dict = {"migrations": [], "schema_changes": [], "committed": False}
        self._refuse_modified(migrations)
        applied = self.applied()
        pending = [m for m in migrations if m.version not in applied]
        for m in pending:
            split_statements(m.text, m.path.name)
        sequences = self._sequences()
        self._dry_run(pending, report)
        report["sequences_advanced"] = self._advanced(sequences)
        return report

    def _dry_run(self, pending: list[MigrationFile], report: dict) -> None:
        with self.conn.transaction(force_rollback=True):
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            before = pinned_snapshot(self.conn)
            held = set(self._locks())
            for m in pending:
                self.conn.execute(RESET_SESSION)
                entry = {"version": m.version, "name": m.name, "statements": []}
                report["migrations"].append(entry)
                for index, statement in enumerate(split_statements(m.text, m.path.name)):
                    item, held = self._dry_statement(m, index, statement, held)
                    if item is not None:
                        entry["statements"].append(item)
            after = pinned_snapshot(self.conn)
            plan = diff_snapshots(before, after)
            report["schema_changes"] = [c.description for c in plan.changes]
        self.conn.execute(RESET_SESSION)

    def _sequences(self) -> dict[str, int | None]:
        """Every readable sequence's last value, in one query."""
        return dict(self.conn.execute(_SEQUENCES).fetchall())  # type: ignore[arg-type]

    def _advanced(self, before: dict[str, int | None]) -> list[dict]:
        """Sequences that moved during the dry run. A rollback does not undo nextval, and they are never
        set back: another session may have taken values meanwhile, and reusing those would duplicate keys.
        A gap in a sequence is harmless, so it is reported rather than "repaired"."""
        after = self._sequences()
        return [
            {"sequence": name, "before": before.get(name), "after": value}
            for name, value in after.items()
            if name in before and value != before[name]
        ]

    def _dry_statement(
        self, m: MigrationFile, index: int, statement: Statement, held: set
    ) -> tuple[dict | None, set]:
        node = parse_one(statement.text)
        if transaction_control(node):
            return None, held
        item: dict = {"line": statement.line, "statement": statement.first_line}
        text = statement.text
        if needs_no_transaction(node):
            checked = without_concurrently(node)  # type: ignore[arg-type]
            if checked is None:
                item.update(
                    executed=False, note="cannot run inside a transaction: not executed in the dry run"
                )
                return item, held
            item["note"] = (
                "runs outside a transaction (SHARE UPDATE EXCLUSIVE); checked here without CONCURRENTLY"
            )
            text = checked
        started = time.perf_counter()
        try:
            with self.conn.transaction():
                self.conn.execute(text)
        except psycopg.errors.UnsafeNewEnumValueUsage:
            item.update(
                executed=False, note="uses an enum value added in this run: checked only when applied"
            )
            return item, held
        except psycopg.Error as exc:
            raise MigrationFailed(m.path.name, statement, index, exc) from exc
        item["ms"] = _ms(started)
        now = set(self._locks())
        item["locks"] = [f"{mode} on {obj}" for obj, mode in sorted(now - held)]
        item["executed"] = True
        return item, now

    def _locks(self) -> list[tuple[str, str]]:
        return [(row[0], row[1]) for row in self.conn.execute(_LOCKS).fetchall()]


def execute_script_in_transaction(conn: psycopg.Connection, text: str, label: str) -> list[dict]:
    """Run a transactional script inside the caller's open transaction (its BEGIN/COMMIT ignored)."""
    timings: list[dict] = []
    _run_statements(conn, split_statements(text, label), label, timings, skip_control=True)
    return timings


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
