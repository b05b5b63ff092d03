"""A PostgreSQL server of a second major version, for the tests that compare across versions.

The embedded server is PostgreSQL 18. Where the session's server is of
another major (CI's system PostgreSQL 15), that server is the second major;
on a machine with no server, the `pgserver` wheel (PostgreSQL 16, a test
dependency) is started with the same launcher as the embedded server.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from senior_backend.common.pg.scratch import with_database


def major_of(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.info.server_version // 10000


def pgserver_bin_dir() -> Path | None:
    """The `pginstall/bin` folder of the pgserver wheel, if it is installed."""
    spec = importlib.util.find_spec("pgserver")
    for location in list(spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "pginstall" / "bin"
        if (candidate / "postgres").is_file():
            return candidate
    return None


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new empty database on `server_url`, dropped afterwards; yields its URL."""
    name = f"sbmajor_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
