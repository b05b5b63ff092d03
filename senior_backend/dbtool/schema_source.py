"""Loading a schema file (or a folder of them, in name order) into a throwaway shadow database.

PostgreSQL itself reads the DDL: statements run one by one (split with
its own parser, pglast) so an error names the file and line. The shadow
database lives on the embedded server and is dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from senior_backend.common.cli import ExitCode, fail
from senior_backend.common.pg.connect import connect
from senior_backend.common.pg.embedded import shared_server


def schema_files(path: Path) -> list[Path]:
    """The .sql files to load: the file itself, or a folder's *.sql files sorted by name."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.sql") if p.is_file())
        if not files:
            fail("empty-schema", f"no .sql files in {path}", ExitCode.BAD_INPUT)
        return files
    if not path.is_file():
        fail("missing-schema", f"schema file not found: {path}", ExitCode.BAD_INPUT)
    return [path]


@contextmanager
def embedded_database() -> Iterator[str]:
    """The URL of a fresh, empty database on the embedded server; dropped on exit."""
    server = shared_server()
    name = f"senior_backend_shadow_{uuid.uuid4().hex[:12]}"
    with connect(server.url()) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.url(name)
    finally:
        with connect(server.url()) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def shadow_database(path: Path) -> Iterator[psycopg.Connection]:
    """A connection to a fresh embedded database holding the schema of `path`; dropped on exit."""
    files = schema_files(path)
    with embedded_database() as url, connect(url) as conn:
        for file in files:
            load_file(conn, file)
        yield conn


def load_file(conn: psycopg.Connection, file: Path) -> None:
    """Run every statement of one file; the first error is bad input naming `file:line`."""
    import pglast  # PostgreSQL's parser, loaded only for schema files

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail("unreadable-schema", f"cannot read {file}: {exc}", ExitCode.BAD_INPUT)
    try:
        slices = pglast.parser.split(text, with_parser=True, only_slices=True)
    except pglast.parser.ParseError:
        slices = [slice(0, len(text.encode()))]
    data = text.encode()
    for part in slices:
        statement = data[part].decode()
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            offset = part.start
            position = getattr(exc.diag, "statement_position", None)
            if position:
                offset += len(statement[: int(position) - 1].encode())
            line = data[:offset].count(b"\n") + 1
            message = (exc.diag.message_primary or str(exc)).strip()
            fail("bad-schema", f"{file}:{line}: {message}", ExitCode.BAD_INPUT)
