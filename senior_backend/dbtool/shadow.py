"""Shadow databases: load schema files into a throwaway database and snapshot it.

PostgreSQL itself reads the DDL; the tool never guesses it. The server is the
target's own (temporary databases, see `common/pg/scratch.py`), the embedded
one (`common/pg/embedded.py`) or the user's `--shadow-url`, as `shadow_choice.py`
decides; each load gets a fresh database that is dropped afterwards. Files
load in any order (`schema_load.py`): statements that fail are retried until
no more load, and with a live target each file starts from the target role's
search_path and may use the target's schemas without creating them. Roles a
schema grants to are created (NOLOGIN) in the embedded server when missing, so
that privileges can be compared; a user's server is never given roles. A
shadow server of another major version than the target is allowed but warned
about: catalog text can differ between versions, and view definitions, where
it does most, are restated (`restate.py`). What the shadow server cannot load
(an extension it lacks, ICU collations), and what loads in no order, exits 2
naming the file, the line and the way out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from senior_backend.common.errors import BadInput, Unreachable
from senior_backend.common.masking import mask_password
from senior_backend.common.pg.catalog import load_snapshot
from senior_backend.common.pg.connect import connect
from senior_backend.common.pg.model import Snapshot
from senior_backend.common.pg.quoting import ident
from senior_backend.common.pg.scratch import scratch_database, sweep_stale, with_database
from senior_backend.dbtool.restate import restate_views
from senior_backend.dbtool.schema_load import (
    TEXT_SETTINGS,
    SchemaLoader,
    Settings,
    TargetSchemas,
    TargetSession,
)
from senior_backend.dbtool.sqltext import read_sql

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


_CREATE_EXTENSION = re.compile(
    r'\bCREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[\w$]+)([^;]*)', re.IGNORECASE
)


def unpinned_extensions(sources: SchemaSources) -> set[str]:
    """The extensions the files create without a VERSION: they ask for whatever version the server
    installs by default, not for the shadow server's default."""
    found = set()
    for _, text in sources.files:
        for name, rest in _CREATE_EXTENSION.findall(text):
            if not re.search(r"\bVERSION\b", rest, re.IGNORECASE):
                found.add(name[1:-1].replace('""', '"') if name.startswith('"') else name.lower())
    return found


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
    def loaded(
        self,
        sources: SchemaSources,
        target: TargetSession | None = None,
        target_schemas: TargetSchemas | None = None,
    ) -> Iterator[psycopg.Connection]:
        """A connection to a fresh shadow database holding `sources` (loaded in any order, see
        `schema_load.py`; as the target's role would, when `target` is given); dropped on exit."""
        with self.database() as url:
            try:
                conn = connect(url)
            except Unreachable as exc:  # e.g. pg_hba.conf admits only named databases
                raise Unreachable(
                    exc.diagnostic.rule, exc.diagnostic.message, hint=self._elsewhere()
                ) from exc
            with conn:
                SchemaLoader(conn, self, target, target_schemas).load(sources.files)
                yield conn

    def snapshot_of(self, sources: SchemaSources) -> Snapshot:
        """Load `sources` into a fresh shadow database and snapshot it."""
        with self.loaded(sources) as conn:
            return pinned_snapshot(conn)

    def snapshots_against(
        self, sources: SchemaSources, target: Callable[[], Snapshot], session: TargetSession | None = None
    ) -> tuple[Snapshot, Snapshot]:
        """The target's snapshot (read meanwhile) and that of `sources` loaded here with the target role's
        `search_path` and text settings (read back under those too), borrowing the target's schemas the
        files use without creating them; when the two
        servers' major versions differ, the target's views are restated in this server's words."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(target)

            def target_schemas() -> dict[str, str]:
                return {schema.name: schema.owner for schema in pending.result().schemas.values()}

            with self.loaded(sources, session, target_schemas) as conn:
                desired = pinned_snapshot(conn, session.text_settings if session is not None else ())
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


_TARGET_SESSION = """
SELECT current_setting('search_path'), current_user,
       (SELECT coalesce(json_object_agg(n.nspname, pg_catalog.pg_get_userbyid(n.nspowner)), '{}')
        FROM pg_catalog.pg_namespace n WHERE n.nspname = ANY (current_schemas(false))),
       (SELECT array_agg(current_setting(name) ORDER BY ordinality)
        FROM unnest(%s::text[]) WITH ORDINALITY AS s(name, ordinality))"""
_READ_SETTINGS = (
    "SELECT array_agg(current_setting(name) ORDER BY o) FROM unnest(%s::text[]) WITH ORDINALITY AS s(name, o)"
)
_APPLY_SETTINGS = (
    "SELECT count(pg_catalog.set_config(n, v, false)) FROM unnest(%s::text[], %s::text[]) AS s(n, v)"
)


def target_session(url: str) -> TargetSession:
    """The search_path the target's role works with (its own `ALTER ROLE ... SET search_path` included;
    `"$user"` spelled as that role's name, so a shadow with another role resolves it alike) and the
    schemas of that path the target has, and its `TEXT_SETTINGS` (its database's TimeZone, ...)."""
    with connect(url) as conn:
        path, user, schemas, values = conn.execute(_TARGET_SESSION, (list(TEXT_SETTINGS),)).fetchone()
    settings = tuple(zip(TEXT_SETTINGS, values, strict=True))
    return TargetSession(path.replace('"$user"', ident(user)), schemas, settings)


def snapshot_url(url: str, settings: Settings = ()) -> Snapshot:
    """Snapshot a live database (the target or `--compare-url`), without on-disk sizes; under `settings`
    (another database's TimeZone, ...) when given, else under its own."""
    with connect(url) as conn:
        return pinned_snapshot(conn, settings)


def pinned_snapshot(conn: psycopg.Connection, settings: Settings = ()) -> Snapshot:
    """Snapshot with the default search_path: pg_get_* output qualifies names by it, so a schema
    that left it at '' (every pg_dump does) would otherwise differ from the same schema loaded
    elsewhere. `settings` (the target's TimeZone, DateStyle, ...) are applied too: pg_get_expr prints
    a timestamptz partition bound or default in the session's TimeZone. The connection's own
    settings are put back afterwards."""
    pinned = (*settings, ("search_path", DEFAULT_SEARCH_PATH))
    names = [name for name, _ in pinned]
    previous = conn.execute(_READ_SETTINGS, (names,)).fetchone()[0]
    conn.execute(_APPLY_SETTINGS, (names, [value for _, value in pinned]))
    try:
        return load_snapshot(conn, with_sizes=False)
    finally:
        conn.execute(_APPLY_SETTINGS, (names, previous))


def both(first: Callable[[], Snapshot], second: Callable[[], Snapshot]) -> tuple[Snapshot, Snapshot]:
    """Run two snapshot loads at once (each on its own connection; the server does the work)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(first), pool.submit(second)
        return a.result(), b.result()
