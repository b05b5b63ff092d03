"""Loading schema files into a shadow database in any order.

Declarative schema files are written in any order and split across folders:
a view before its table, a default calling a function defined further down,
a foreign key before the table it references, one file per table in name
order. Every statement runs on its own (the connection is in autocommit, and
a file's BEGIN/COMMIT are ignored), so one that fails poisons nothing; the
ones that failed are retried, in file order and under the session settings
they first met (a pg_dump file's `search_path`), pass after pass while a
pass loads at least one of them. A file that loads in order costs one
execution per statement, as before; only the failed ones are retried.

With a live target, each file starts from the target role's `search_path`
(so `CREATE TABLE users` lands in the schema it would land in there) and
the target's TimeZone, DateStyle, IntervalStyle and extra_float_digits (so
a timestamptz partition bound means the instant it means there): the
schemas of that path the target has and no file creates are created in the
shadow first; and when statements still fail only because a schema is
missing that the target has, it is created too and the retries go on (each
such schema is named in a warning). What still does not load is reported, each statement with its
`file:line` and the server's message (`SchemaLoadFailed`, exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psycopg

from senior_backend.common.diagnostics import Diagnostic, error
from senior_backend.common.errors import BadInput
from senior_backend.common.pg.quoting import ident
from senior_backend.dbtool.sqltext import Statement, parse_one, split_statements

_MISSING_ROLE = re.compile(r'role "([^"]+)" does not exist')
_MISSING_SCHEMA = re.compile(r'schema "([^"]+)" does not exist')
_NO_CREATION_SCHEMA = "no schema has been selected to create in"
_MAX_ROLE_RETRIES = 50
_TRANSACTION_WORD = re.compile(
    r"^\s*(BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE)\b", re.IGNORECASE
)
_UNAVAILABLE_EXTENSION = re.compile(
    r'extension "([^"]+)" is not available|could not open extension control file "[^"]*/([^/"]+)\.control"'
)
_UNKNOWN_SETTING = re.compile(r'unrecognized configuration parameter "([^"]+)"')
_CREATE_SCHEMA = re.compile(r"^\s*CREATE\s+SCHEMA\b", re.IGNORECASE)
_SESSION_SETTINGS = "SELECT name, current_setting(name) FROM pg_catalog.pg_settings WHERE source = 'session'"
_APPLY_SETTINGS = (
    "SELECT count(pg_catalog.set_config(n, v, false)) FROM unnest(%s::text[], %s::text[]) AS s(n, v)"
)

Settings = tuple[tuple[str, str], ...]
TEXT_SETTINGS = ("TimeZone", "DateStyle", "IntervalStyle", "extra_float_digits")
"""The settings that change how constants in DDL are read and how pg_get_expr prints them."""
TargetSchemas = Callable[[], dict[str, str]]
"""The target's schemas (name -> owner), asked for only when a statement misses one."""


@dataclass(frozen=True)
class TargetSession:
    """How the target's role works there: its `search_path` (`"$user"` spelled as the role's name),
    the schemas of that path the target has (name -> owner), and the settings that decide how constants
    read and print (`TEXT_SETTINGS`: a timestamptz partition bound means another instant in another
    TimeZone), which the files load under as they would on the target."""

    search_path: str
    path_schemas: dict[str, str]
    text_settings: Settings = ()


class Shadow(Protocol):
    """What loading needs of the shadow server (`shadow.ShadowServer`)."""

    kind: str
    warnings: list[str]

    def describe(self) -> str: ...


class SchemaLoadFailed(BadInput):
    """Statements that do not load in any order: `problems` has one error per statement, `file:line` first."""

    def __init__(self, problems: list[Diagnostic], hint: str | None = None) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more statement(s) that do not load)" if len(problems) > 1 else ""
        super().__init__("bad-schema", f"{first.where}: {first.message}{more}", hint=hint)
        self.problems = problems


@dataclass
class _Deferred:
    """A statement that failed, the session settings it ran under, and its latest error."""

    label: str
    statement: Statement
    settings: Settings
    error: psycopg.Error


class SchemaLoader:
    """Loads schema files into the fresh database behind `conn` (autocommit), order-independently."""

    def __init__(
        self,
        conn: psycopg.Connection,
        shadow: Shadow,
        target: TargetSession | None = None,
        target_schemas: TargetSchemas | None = None,
    ) -> None:
        self.conn = conn
        self.shadow = shadow
        self.target = target
        self.target_schemas = target_schemas
        self._roles_created = 0
        self._applied: Settings | None = None

    def load(self, files: list[tuple[Path, str]]) -> None:
        """Run every statement of `files`, retry the failed ones until no pass loads one more, borrow the
        target's schemas they miss, and raise `SchemaLoadFailed` for what still does not load."""
        deferred: list[_Deferred] = []
        split = [(str(file), split_statements(sql, str(file))) for file, sql in files]
        on_path: list[str] = []
        if self.target is not None:
            declared = {name for _, statements in split for name in _created_schemas(statements)}
            on_path = self._borrow({k: v for k, v in self.target.path_schemas.items() if k not in declared})
        for label, statements in split:
            self._start_file()
            for statement in statements:
                if _is_transaction_control(statement):
                    continue
                failure = self._run(label, statement)
                if failure is not None:
                    deferred.append(_Deferred(label, statement, self._session_settings(), failure))
        deferred = self._retry(deferred)
        if deferred and self._borrow_schemas(deferred):
            deferred = self._retry(deferred)
        self.conn.execute("RESET ALL")
        if deferred:
            raise SchemaLoadFailed([_problem(d) for d in deferred], self._hint(deferred))
        self._return_unused(on_path)

    def _start_file(self) -> None:
        """Each file starts from the server's defaults (one file's SET does not reach the next) and the
        target role's search_path."""
        self.conn.execute("RESET ALL")
        if self.target is not None:
            settings = (*self.target.text_settings, ("search_path", self.target.search_path))
            names, values = [name for name, _ in settings], [value for _, value in settings]
            self.conn.execute(_APPLY_SETTINGS, (names, values))
        self._applied = None

    def _run(self, label: str, statement: Statement) -> psycopg.Error | None:
        """Run one statement; its error when it fails in a way that another order may cure. A missing role
        is created in the embedded server; a SET of a setting this server lacks is skipped with a warning;
        a capability the server lacks (an extension, ICU) stops the load at once."""
        while True:
            try:
                self.conn.execute(statement.text)
                return None
            except psycopg.errors.UndefinedObject as exc:
                unknown = _UNKNOWN_SETTING.search(str(exc))
                if unknown and statement.text.lstrip().upper().startswith("SET "):
                    self.shadow.warnings.append(
                        f"{label}:{statement.line}: skipped SET {unknown.group(1)}: "
                        f"{self.shadow.describe()} does not know that setting"
                    )
                    return None
                role = _MISSING_ROLE.search(str(exc))
                if not role or self.shadow.kind != "embedded" or self._roles_created >= _MAX_ROLE_RETRIES:
                    return exc
                self.conn.execute(f"CREATE ROLE {ident(role.group(1))} NOLOGIN")
                self._roles_created += 1
            except psycopg.Error as exc:
                hint = _capability_hint(self.shadow, exc)
                if hint is not None:
                    raise SchemaLoadFailed([_problem(_Deferred(label, statement, (), exc))], hint) from exc
                return exc

    def _session_settings(self) -> Settings:
        return tuple(self.conn.execute(_SESSION_SETTINGS).fetchall())  # type: ignore[arg-type]

    def _retry(self, deferred: list[_Deferred]) -> list[_Deferred]:
        """Retry the failed statements in file order, pass after pass, while a pass loads one of them."""
        while deferred:
            still = []
            for item in deferred:
                self._use_settings(item.settings)
                failure = self._run(item.label, item.statement)
                if failure is not None:
                    item.error = failure
                    still.append(item)
            if len(still) == len(deferred):
                return still
            deferred = still
        return []

    def _use_settings(self, settings: Settings) -> None:
        """Put the session back into the settings a statement first ran under (only when they differ)."""
        if settings == self._applied:
            return
        self.conn.execute("RESET ALL")
        names, values = [name for name, _ in settings], [value for _, value in settings]
        self.conn.execute(_APPLY_SETTINGS, (names, values))
        self._applied = settings

    def _hint(self, deferred: list[_Deferred]) -> str | None:
        """What to do when roles are missing: the embedded server creates them, up to a limit."""
        if not any(_MISSING_ROLE.search(str(item.error)) for item in deferred):
            return None
        if self.shadow.kind == "embedded":
            return f"the schema names more than {_MAX_ROLE_RETRIES} missing roles; create them first"
        return (
            "create the role on that server, or use --shadow embedded (it creates missing roles); "
            f"shadow: {self.shadow.describe()}"
        )

    def _borrow_schemas(self, deferred: list[_Deferred]) -> bool:
        """Create in the shadow the schemas the target has that the failed statements miss; True when any."""
        if self.target_schemas is None:
            return False
        wanted: set[str] = set()
        for item in deferred:
            message = item.error.diag.message_primary or ""
            missing = _MISSING_SCHEMA.search(message)
            if missing:
                wanted.add(missing.group(1))
            elif message == _NO_CREATION_SCHEMA:
                wanted.update(_path_schemas(dict(item.settings).get("search_path", "")))
        target = self.target_schemas()
        borrowed = self._borrow({name: target[name] for name in wanted if name in target})
        self.shadow.warnings += [_borrowed_warning(name) for name in borrowed]
        return bool(borrowed)

    def _borrow(self, schemas: dict[str, str]) -> list[str]:
        """Create in the shadow those of `schemas` (name -> owner on the target) it lacks; returns them."""
        present = {row[0] for row in self.conn.execute("SELECT nspname FROM pg_catalog.pg_namespace")}
        borrowed = sorted(name for name in schemas if name not in present)
        for name in borrowed:
            try:
                self.conn.execute(f"CREATE SCHEMA {ident(name)} AUTHORIZATION {ident(schemas[name])}")
            except psycopg.Error:
                self.conn.execute(f"CREATE SCHEMA {ident(name)}")
        return borrowed

    def _return_unused(self, on_path: list[str]) -> None:
        """Drop again the search_path schemas borrowed before loading that nothing of the files went into
        (the files do not use them, so the comparison must not keep them); warn about the others."""
        for name in on_path:
            try:
                self.conn.execute(f"DROP SCHEMA {ident(name)} RESTRICT")
            except psycopg.errors.DependentObjectsStillExist:
                self.shadow.warnings.append(_borrowed_warning(name))


def _borrowed_warning(name: str) -> str:
    return (
        f"schema {name} is used by the schema files but created only in the target: it was created in the "
        "shadow too, so the migration neither creates nor drops it"
    )


def _is_transaction_control(statement: Statement) -> bool:
    """BEGIN, COMMIT, SAVEPOINT, ...: ignored, so that every statement runs on its own (only statements
    that start with such a word are parsed again)."""
    return bool(_TRANSACTION_WORD.match(statement.text)) and type(parse_one(statement.text)).__name__ == (
        "TransactionStmt"
    )


def _created_schemas(statements: list[Statement]) -> set[str]:
    """The schemas `CREATE SCHEMA` statements among `statements` create (only those are parsed again)."""
    names = set()
    for statement in statements:
        if not _CREATE_SCHEMA.match(statement.text):
            continue
        node = parse_one(statement.text)
        name = getattr(node, "schemaname", None) or getattr(getattr(node, "authrole", None), "rolename", None)
        if name:
            names.add(name)
    return names


def _path_schemas(search_path: str) -> list[str]:
    """The schema names of a search_path setting (quoted ones unquoted)."""
    names = re.findall(r'\s*("(?:[^"]|"")*"|[^,\s]+)\s*(?:,|$)', search_path)
    return [name[1:-1].replace('""', '"') if name.startswith('"') else name.lower() for name in names]


def _problem(item: _Deferred) -> Diagnostic:
    """One statement that does not load: `file:line` of the error (PostgreSQL's position within the
    statement) and the server's message."""
    exc = item.error
    line = item.statement.line
    position = getattr(exc.diag, "statement_position", None)
    if position:
        line += item.statement.text[: int(position) - 1].count("\n")
    reason = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
    return error("bad-schema", reason, where=f"{item.label}:{line}")


def _capability_hint(shadow: Shadow, exc: psycopg.Error) -> str | None:
    """What to do when the shadow server lacks something the schema needs (an extension, ICU)."""
    message = str(exc)
    missing = _UNAVAILABLE_EXTENSION.search(message)
    if missing:
        what = f'extension "{missing.group(1) or missing.group(2)}"'
    elif "ICU is not supported" in message:
        what = "ICU collations"
    else:
        return None
    way_out = (
        "use --shadow target (a temporary database on the target's server) or --shadow-url URL of a "
        "server that has it"
        if shadow.kind == "embedded"
        else "install it on that server, or pass --shadow-url URL of a server that has it"
    )
    return f"{shadow.describe()} has no {what}: {way_out}"
