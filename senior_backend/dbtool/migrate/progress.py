"""What a failed migration left behind, statement by statement, and what a rerun resumes from.

A migration marked no-transaction runs statement by statement: when one
fails, the statements before it (outside an explicit block that failed) stay
committed. The runner records how many statements are applied and a
fingerprint of their text in the tracking row, so a rerun resumes after them
when they are unchanged and refuses otherwise. A failed `CREATE INDEX
CONCURRENTLY` (or `REINDEX CONCURRENTLY`) leaves an INVALID index behind;
`IndexGuard` finds the ones the failed statement itself created, so they can
be dropped before the rerun builds them again. `MigrationFailed` carries all
of it to the report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from pglast.enums import ReindexObjectType

from senior_backend.common.pg.quoting import ident, qualified
from senior_backend.dbtool.migration_files import NO_TRANSACTION_MARKER
from senior_backend.dbtool.sqltext import Statement, parse_one

if TYPE_CHECKING:
    from senior_backend.dbtool.migrate.dry_run import DryRunMigration
    from senior_backend.dbtool.migrate.runner import RanMigration

APPLIED = "applied"
ROLLED_BACK = "rolled_back"
FAILED = "failed"
NOT_RUN = "not_run"
SETTING = "setting"
ACTIVE_SQL_TRANSACTION = "25001"  # the SQLSTATE of a statement that cannot run inside a transaction block
RESET_SESSION = "RESET ALL"  # each file starts from the server's defaults, not the previous file's SETs


@dataclass(frozen=True)
class StatementOutcome:
    """One statement of a failed migration: its 1-based number, line, first line of text and state
    (`applied`: committed and still in the database; `setting`: a session `SET` that ran, which leaves
    nothing in the database; `rolled_back`: ran, then undone; `failed`; `not_run`)."""

    index: int
    line: int
    statement: str
    state: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def outcomes(statements: list[Statement], states: list[str]) -> list[StatementOutcome]:
    """Pair each statement with its state; an applied session `SET` is a `setting`, not applied work."""
    return [
        StatementOutcome(
            number,
            statement.line,
            statement.first_line,
            SETTING if state == APPLIED and is_session_setting(parse_one(statement.text)) else state,
        )
        for number, (statement, state) in enumerate(zip(statements, states, strict=True), 1)
    ]


def transaction_outcomes(statements: list[Statement], resume: int, failed: int) -> list[StatementOutcome]:
    """The states after statement `failed` (0-based) broke a transaction that began at statement `resume`:
    those before `resume` stay applied (an earlier run), the rest of the transaction was rolled back."""
    states = [APPLIED] * resume + [ROLLED_BACK] * (failed - resume) + [FAILED]
    return outcomes(statements, states + [NOT_RUN] * (len(statements) - len(states)))


@dataclass(frozen=True)
class FailedStatement:
    """The statement a migration failed at: where it is, what PostgreSQL said, and the one-line message."""

    migration: str
    statement_index: int
    line: int
    position: str | None
    statement: str
    error: str
    sqlstate: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["message"]
        return data


class MigrationFailed(Exception):
    """A statement failed; the message names the file, the statement and its line.

    The runner adds what it left: `statements` (each statement's state), `rolled_back` (True when
    nothing of the migration stays applied), `dropped` (INVALID indexes the failed statement left, dropped),
    `left` (those it could not drop, with the reason), `ran` (earlier migrations of the run, applied),
    `direction` (`down`: the failed file is a .down.sql), `simulated` (a dry run: the migrations it ran
    before the failed one)."""

    def __init__(self, migration: str, statement: Statement, index: int, error: psycopg.Error) -> None:
        position = getattr(error.diag, "statement_position", None)
        where = f", position {position}" if position else ""
        reason = (error.diag.message_primary or str(error)).strip()
        if error.sqlstate == ACTIVE_SQL_TRANSACTION:  # CREATE INDEX CONCURRENTLY, VACUUM... in a transactional file
            reason += f" (make `{NO_TRANSACTION_MARKER}` the file's first line to run it statement by statement)"
        message = (
            f"{migration} failed at statement {index + 1} (line {statement.line}{where}): {reason} "
            f"[{statement.first_line}]"
        )
        super().__init__(message)
        self.failure = FailedStatement(
            migration, index + 1, statement.line, position, statement.text, reason, error.sqlstate, message
        )
        self.statements: list[StatementOutcome] = []
        self.rolled_back = True
        self.dropped: list[str] = []
        self.left: list[str] = []
        self.ran: list[RanMigration] = []
        self.direction = "up"
        self.simulated: list[DryRunMigration] | None = None


def applied_work(statements: Sequence[Statement]) -> int:
    """How many of `statements` are not session `SET`s (those leave nothing in the database)."""
    return sum(1 for statement in statements if not is_session_setting(parse_one(statement.text)))


class Fingerprint:
    """SHA-256 of the text of a file's first statements, grown one statement at a time: a rerun may skip
    the statements an earlier run applied only while their fingerprint is unchanged."""

    def __init__(self, statements: Sequence[Statement] = ()) -> None:
        self._digest = hashlib.sha256()
        for statement in statements:
            self.add(statement)

    def add(self, statement: Statement) -> None:
        self._digest.update(statement.text.encode("utf-8") + b"\x00")

    def hexdigest(self) -> str:
        return self._digest.copy().hexdigest()


def prefix_fingerprint(statements: list[Statement], count: int) -> str:
    """The fingerprint of the first `count` statements."""
    return Fingerprint(statements[:count]).hexdigest()


def numbers(indexes: list[int]) -> str:
    """`[1, 2, 3, 5]` as "1-3, 5"."""
    spans: list[list[int]] = []
    for index in indexes:
        if spans and index == spans[-1][1] + 1:
            spans[-1][1] = index
        else:
            spans.append([index, index])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def is_session_setting(node: object | None) -> bool:
    """A `SET`/`RESET` of the session (not `SET LOCAL`): it leaves nothing in the database, so a
    resumed run repeats the applied ones (the file's lock_timeout still holds for the rest)."""
    return type(node).__name__ == "VariableSetStmt" and not getattr(node, "is_local", False)


def repeat_settings(conn: psycopg.Connection, applied: list[Statement]) -> None:
    """On resume, run again the session `SET`s among the statements an earlier run applied."""
    for statement in applied:
        if is_session_setting(parse_one(statement.text)):
            conn.execute(statement.text)


_INDEXES_OF_TABLE = (
    "SELECT coalesce(array_agg(indexrelid), '{}') FROM pg_catalog.pg_index WHERE indrelid = %s"
)
_TABLE_OF_INDEX = "SELECT indrelid FROM pg_catalog.pg_index WHERE indexrelid = to_regclass(%s)"
_NEW_INVALID = """
SELECT format('%%I.%%I', n.nspname, c.relname)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE i.indrelid = %s AND NOT i.indisvalid AND i.indexrelid <> ALL(%s)
  AND (%s::text IS NULL OR c.relname = %s)
ORDER BY 1"""


@dataclass(frozen=True)
class IndexGuard:
    """The indexes a table had before a concurrent index statement ran (`name`: the index the
    statement names, when it does), to find the INVALID ones the statement left when it failed."""

    table: int
    before: list[int]
    name: str | None

    @classmethod
    def before_statement(cls, conn: psycopg.Connection, node: object | None) -> IndexGuard | None:
        """A guard for `CREATE INDEX CONCURRENTLY` and `REINDEX ... CONCURRENTLY`; None for other statements
        (and when the table does not exist: the statement cannot create anything then)."""
        kind = type(node).__name__
        relation = getattr(node, "relation", None)
        if relation is None:
            return None
        qualified = _qualified(relation)
        if kind == "IndexStmt" and getattr(node, "concurrent", False):
            table = conn.execute("SELECT to_regclass(%s)::oid", (qualified,)).fetchone()[0]
            name = getattr(node, "idxname", None)
        elif kind == "ReindexStmt" and any(
            getattr(p, "defname", "") == "concurrently" for p in (getattr(node, "params", None) or ())
        ):
            by_index = getattr(node, "kind", None) == ReindexObjectType.REINDEX_OBJECT_INDEX
            query = _TABLE_OF_INDEX if by_index else "SELECT to_regclass(%s)::oid"
            row = conn.execute(query, (qualified,)).fetchone()
            table, name = (row[0] if row else None), None
        else:
            return None
        if table is None:
            return None
        return cls(table, list(conn.execute(_INDEXES_OF_TABLE, (table,)).fetchone()[0]), name)

    def left_invalid(self, conn: psycopg.Connection) -> list[str]:
        """The INVALID indexes on the table that were not there before the statement, qualified and quoted."""
        rows = conn.execute(_NEW_INVALID, (self.table, self.before, self.name, self.name)).fetchall()
        return [row[0] for row in rows]


def _qualified(relation: object) -> str:
    schema = getattr(relation, "schemaname", None)
    name = getattr(relation, "relname", "")
    return qualified(schema, name) if schema else ident(name)
