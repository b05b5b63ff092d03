"""Shadow databases: load schema files into a throwaway database and snapshot it.

PostgreSQL itself reads the DDL; the tool never guesses it. The server is the
target's own (temporary databases, see `common/pg/scratch.py`), the embedded
one (`common/pg/embedded.py`) or the user's `--shadow-url`, as `shadow_choice.py`
decides; each load gets a fresh database that is dropped afterwards. Roles a
schema grants to are created (NOLOGIN) in the embedded server when missing, so
that privileges can be compared; a user's server is never given roles. A
shadow server of another major version than the target is allowed but warned
about: catalog text can differ between versions, and view definitions, where
it does most, are restated (`restate.py`). What the shadow server cannot load
(an extension it lacks, ICU collations) exits 2 naming the file, the line and
the way out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import psycopg

from senior_backend.common.errors import BadInput, Unreachable
from senior_backend.common.masking import mask_password
from senior_backend.common.pg.catalog import load_snapshot
from senior_backend.common.pg.connect import connect
from senior_backend.common.pg.model import Snapshot
from senior_backend.common.pg.quoting import ident
from senior_backend.common.pg.scratch import scratch_database, sweep_stale, with_database
from senior_backend.dbtool.restate import restate_views
from senior_backend.dbtool.sqltext import Statement, read_sql, split_statements

_MISSING_ROLE = re.compile(r'role "([^"]+)" does not exist')
_MAX_ROLE_RETRIES = 50
DEFAULT_SEARCH_PATH = '"$user", public'
_META_COMMAND = re.compile(r"^[ \t]*\\[A-Za-z!?]")


@dataclass
class SchemaSources:
    """The files of a schema, each with its text, in load order, and what reading them skipped."""

    files: list[tuple[Path, str]]
    warnings: list[str] = field(default_factory=list)


def read_schema(path: Path) -> SchemaSources:
    """A schema file, or every `.sql` file of a folder (recursively, in name order), with its text."""
    if path.is_dir():
        files = sorted(file for file in path.rglob("*.sql") if file.is_file())
        if not files:
            raise BadInput("no-schema", f"no .sql files in {path}")
    elif path.is_file():
        files = [path]
    else:
        raise BadInput("no-schema", f"schema file {path} does not exist")
    sources = SchemaSources([])
    try:
        for file in files:
            sources.files.append((file, without_meta_commands(file, read_sql(file), sources.warnings)))
    except OSError as exc:
        raise BadInput("bad-schema", f"cannot read {path}: {exc}") from exc
    return sources


def without_meta_commands(file: Path, sql: str, warnings: list[str]) -> str:
    """The schema text with psql meta-command lines (`\\restrict` from pg_dump 15.14+, `\\connect`, ...)
    blanked, each with a warning added to `warnings`; line numbers stay those of the file."""
    lines = sql.split("\n")
    for number, line in enumerate(lines, 1):
        if _META_COMMAND.match(line):
            warnings.append(f"{file}:{number}: skipped psql meta-command {line.split()[0]}")
            lines[number - 1] = ""
    return "\n".join(lines)


class ShadowServer:
    """The server schema files are loaded into: `kind` is "embedded" (the wheel's private server),
    "target" (temporary databases on the live target's own server) or "url" (the user's
    `--shadow-url`); `reason` says why it was chosen, `notes` what was done on the way (stale
    databases of killed runs removed), `warnings` what loading skipped. Use `choose_shadow` (shadow_choice.py) to pick one."""

    def __init__(self, url: str | None = None, kind: str | None = None, reason: str = "") -> None:
        if url is None:
            from senior_backend.common.pg.embedded import shared_server

            url, kind = shared_server().url(), "embedded"
        self.url = url
        self.kind = kind or "url"
        self.reason = reason
        self.notes: list[str] = []
        self.warnings: list[str] = []
        with connect(url) as conn:
            self.server_version = conn.info.server_version
            if self.kind != "embedded":
                self.notes += [
                    f"removed the shadow database {stale.describe()} left on the server by a run that "
                    "was killed"
                    for stale in sweep_stale(conn)
                ]

    def describe(self) -> str:
        """Where schemas are loaded, in words: which server and which PostgreSQL."""
        version = _version_text(self.server_version)
        if self.kind == "embedded":
            return f"the embedded PostgreSQL {version}"
        if self.kind == "target":
            return f"a temporary database on the target's server (PostgreSQL {version})"
        return f"the shadow server {mask_password(self.url)} (PostgreSQL {version})"

    @contextmanager
    def database(self) -> Iterator[str]:
        """A fresh empty database on the shadow server, dropped on exit (on the target's server it
        has the target database's encoding and default collation)."""
        like_target = self.kind == "target"
        with connect(self.url) as admin, scratch_database(admin, like_target, self._elsewhere()) as name:
            yield with_database(self.url, name)

    def _elsewhere(self) -> str | None:
        """How to load the schema somewhere else when this server will not hold a temporary database."""
        if self.kind == "embedded":
            return None
        return "pass --shadow embedded (or --shadow-url URL of another server) to load the schema elsewhere"

    @contextmanager
    def loaded(self, sources: SchemaSources) -> Iterator[psycopg.Connection]:
        """A connection to a fresh shadow database holding `sources`; dropped on exit."""
        with self.database() as url:
            try:
                conn = connect(url)
            except Unreachable as exc:  # e.g. pg_hba.conf admits only named databases
                raise Unreachable(exc.diagnostic.rule, exc.diagnostic.message, hint=self._elsewhere()) from exc
            with conn:
                yield self._fill(conn, sources)

    def _fill(self, conn: psycopg.Connection, sources: SchemaSources) -> psycopg.Connection:
        """Load `sources` into the fresh database behind `conn`, file by file."""
        for file, sql in sources.files:
            _load(conn, sql, str(file), self)
            conn.execute("RESET ALL")  # one file's SET (pg_dump's search_path) does not reach the next
        return conn

    def snapshot_of(self, sources: SchemaSources) -> Snapshot:
        """Load `sources` into a fresh shadow database and snapshot it."""
        with self.loaded(sources) as conn:
            return pinned_snapshot(conn)

    def snapshots_against(
        self, sources: SchemaSources, target: Callable[[], Snapshot]
    ) -> tuple[Snapshot, Snapshot]:
        """The target's snapshot (read meanwhile) and that of `sources` loaded here; when the two
        servers' major versions differ, the target's views are restated in this server's words."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(target)
            with self.loaded(sources) as conn:
                desired = pinned_snapshot(conn)
                current = pending.result()
                if not same_major(current, desired):
                    restate_views(conn, current, desired, DEFAULT_SEARCH_PATH)
        return current, desired

    def version_warning(self, target_version: int) -> str | None:
        if _major(target_version) != _major(self.server_version):
            return (
                f"the shadow server is PostgreSQL {_major(self.server_version)} but the target is "
                f"{_major(target_version)}: views are compared as the shadow server spells them, other "
                "catalog text may still differ; use --shadow target (a temporary database on the "
                "target's server) or --shadow-url with a server of the target's major version for an "
                "exact comparison"
            )
        return None


def _version_text(server_version: int) -> str:
    major, minor = divmod(server_version, 10000)
    return f"{major}.{minor}"


def _major(server_version: int) -> int:
    return server_version // 10000


def same_major(a: Snapshot, b: Snapshot) -> bool:
    """Whether two snapshots come from servers of the same major version (catalog text alike)."""
    return _major(a.server_version) == _major(b.server_version)


_UNAVAILABLE_EXTENSION = re.compile(
    r'extension "([^"]+)" is not available|could not open extension control file "[^"]*/([^/"]+)\.control"'
)
_UNKNOWN_SETTING = re.compile(r'unrecognized configuration parameter "([^"]+)"')


def _load(conn: psycopg.Connection, sql: str, label: str, shadow: ShadowServer) -> None:
    """Run a schema file statement by statement. In the embedded server a missing role is created
    and the statement retried (a user's server is never given new roles); a `SET` of a setting
    this server does not know (pg_dump 17+ writes `SET transaction_timeout`) is skipped with a
    warning; anything the shadow server cannot load exits 2 naming `file:line`."""
    created = 0
    for statement in split_statements(sql, label):
        while True:
            try:
                conn.execute(statement.text)
                break
            except psycopg.errors.UndefinedObject as exc:
                unknown = _UNKNOWN_SETTING.search(str(exc))
                if unknown and statement.text.lstrip().upper().startswith("SET "):
                    shadow.warnings.append(
                        f"{label}:{statement.line}: skipped SET {unknown.group(1)}: "
                        f"{shadow.describe()} does not know that setting"
                    )
                    break
                match = _MISSING_ROLE.search(str(exc))
                if not match or shadow.kind != "embedded" or created >= _MAX_ROLE_RETRIES:
                    _bad_schema(label, statement, exc, _role_hint(shadow) if match else None)
                conn.execute(f"CREATE ROLE {ident(match.group(1))} NOLOGIN")
                created += 1
            except psycopg.Error as exc:
                _bad_schema(label, statement, exc, _capability_hint(shadow, exc))


def _role_hint(shadow: ShadowServer) -> str:
    if shadow.kind == "embedded":
        return f"the schema names more than {_MAX_ROLE_RETRIES} missing roles; create them first"
    return f"create the role on that server, or use --shadow embedded (it creates missing roles); shadow: {shadow.describe()}"


def _capability_hint(shadow: ShadowServer, exc: psycopg.Error) -> str | None:
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


def _bad_schema(label: str, statement: Statement, exc: psycopg.Error, hint: str | None = None) -> NoReturn:
    """Raise `BadInput` naming `file:line` of the error (PostgreSQL's error position within the statement)."""
    line = statement.line
    position = getattr(exc.diag, "statement_position", None)
    if position:
        line += statement.text[: int(position) - 1].count("\n")
    reason = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
    raise BadInput("bad-schema", f"{label}:{line}: {reason}", hint=hint)


def snapshot_url(url: str) -> Snapshot:
    """Snapshot a live database (the target or `--compare-url`), without on-disk sizes."""
    with connect(url) as conn:
        return pinned_snapshot(conn)


def pinned_snapshot(conn: psycopg.Connection) -> Snapshot:
    """Snapshot with the default search_path: pg_get_* output qualifies names by it, so a schema
    that left it at '' (every pg_dump does) would otherwise differ from the same schema loaded
    elsewhere. The connection's own setting is put back afterwards."""
    previous = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    conn.execute("SELECT set_config('search_path', %s, false)", (DEFAULT_SEARCH_PATH,))
    try:
        return load_snapshot(conn, with_sizes=False)
    finally:
        conn.execute("SELECT set_config('search_path', %s, false)", (previous,))


def both(first: Callable[[], Snapshot], second: Callable[[], Snapshot]) -> tuple[Snapshot, Snapshot]:
    """Run two snapshot loads at once (each on its own connection; the server does the work)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(first), pool.submit(second)
        return a.result(), b.result()
