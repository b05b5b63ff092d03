"""Fixtures that start real things: PostgreSQL databases, the Node project, fault-injecting HTTP servers.

PostgreSQL: the server at TEST_DATABASE_URL when set (CI and this machine use
the system server), else one embedded server for the whole session. Each test
that asks for `pg_url` gets a fresh database, dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from senior_backend.common.pg.scratch import with_database
from tests.support.node import NodeProject, node_available

REPO = Path(__file__).resolve().parent.parent


_PG_FIXTURES = {"pg_server_url", "pg_url", "make_database", "second_major_server_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses a PostgreSQL fixture carries the `pg` marker, so that `-m pg` (CI's run
    against the system server) cannot miss one whose module forgot it."""
    for item in items:
        if _PG_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pg)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create databases on (maintenance database)."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    from senior_backend.common.pg.embedded import EmbeddedServer

    with EmbeddedServer() as server:
        yield server.url()


@pytest.fixture(scope="session")
def second_major_server_url(pg_server_url: str) -> Iterator[str]:
    """URL of a server whose major version differs from the embedded server's (see
    tests/support/second_major.py): the session's server when it differs, else pgserver's 16."""
    from senior_backend.common.pg.embedded import EmbeddedServer
    from tests.support.second_major import major_of, pgserver_bin_dir

    if major_of(pg_server_url) != int(EmbeddedServer().version.split(".")[0]):
        yield pg_server_url
        return
    bin_dir = pgserver_bin_dir()
    if bin_dir is None:
        pytest.skip("needs a second PostgreSQL major: the pgserver wheel (16) is not installed for this Python")
    with EmbeddedServer(bin_dir) as server:
        yield server.url()


@pytest.fixture
def make_database(pg_server_url: str) -> Iterator[Callable[[], str]]:
    """Factory of fresh empty databases on the test server; all dropped at the end of the test."""
    created: list[str] = []

    def make() -> str:
        name = f"sbtest_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return with_database(pg_server_url, name)

    yield make
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        for name in created:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(make_database: Callable[[], str]) -> str:
    """A fresh, empty database for this test."""
    return make_database()


@pytest.fixture(scope="session")
def node_project() -> NodeProject:
    """tests/node with its pinned packages installed (npm ci once per session, skipped when up to date)."""
    if not node_available():
        pytest.skip("node and npm are needed for this test")
    project = NodeProject()
    project.install()
    return project


class RunningServer:
    """A fault server process and its base URL."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"

    def stats(self) -> dict:
        import json
        import urllib.request

        with urllib.request.urlopen(self.base_url + "/__stats", timeout=5) as response:
            return json.loads(response.read())


def start_fault_server(*extra_args: str, module: str = "tests.support.fault_server") -> RunningServer:
    """Start tests/support/fault_server.py (or another server `module` that prints `PORT n`) and wait for its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--max-seconds", "900", *extra_args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"fault server did not start: {line!r}")
    return RunningServer(process, int(line.split()[1]))


def stop_fault_server(server: RunningServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def fault_server() -> Iterator[RunningServer]:
    """One shared fault server for the session (per-request behaviour comes from the query string)."""
    server = start_fault_server()
    yield server
    stop_fault_server(server)


@pytest.fixture
def fault_server_factory() -> Iterator[Callable[..., RunningServer]]:
    """Start fault servers with server-wide options (e.g. periodic stalls); stopped after the test."""
    started: list[RunningServer] = []

    def start(*args: str) -> RunningServer:
        server = start_fault_server(*args)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_fault_server(server)


def run_script(
    script: str,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python scripts/<script>.py args...` the way a user would; returns the finished process."""
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / f"{script}.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd or REPO,
        timeout=timeout,
        input=input_text,
    )


@pytest.fixture
def run_tool() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run one of the three scripts as a subprocess (see `run_script`)."""
    return run_script
