"""Which shadow server `--compare` loads the desired schema into, and that it never leaves one behind.

With a live target the default is a temporary database on the target's own server (same
version, extensions and collations); a role that may not create databases gets the embedded
server; the temporary database is dropped after success, failure and Ctrl-C, and one left by a
SIGKILLed run is removed by the next run, which says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from senior_backend.common.pg.scratch import PREFIX
from tests.dbtool_diff.test_runner import json_document

pytestmark = [pytest.mark.pg, pytest.mark.slow]

TOOL = "database_migration_tool"
REPO = Path(__file__).resolve().parents[2]
TABLE = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n"


def _shadow_databases(server_url: str) -> set[str]:
    with psycopg.connect(server_url, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (PREFIX,))
        return {name for (name,) in rows}


def _available_extensions(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {name for (name,) in conn.execute("SELECT name FROM pg_available_extensions")}


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / f"{TOOL}.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _slow_compare(pg_url: str, server_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    """Start a comparison whose desired schema sleeps, and return once it is sleeping inside its
    shadow database."""
    desired = tmp_path / "slow.sql"
    desired.write_text(f"{TABLE}SELECT pg_sleep(60);\n")
    process = _start("--connection", pg_url, "--compare", str(desired))
    _wait_for_sleep(server_url, process)
    return process


def _wait_for_sleep(server_url: str, process: subprocess.Popen[str]) -> None:
    """Wait until the tool is inside the schema's pg_sleep, i.e. its shadow database exists."""
    deadline = time.monotonic() + 60
    with psycopg.connect(server_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE starts_with(datname, %s)"
                " AND query LIKE '%%pg_sleep%%'",
                (PREFIX,),
            ).fetchone()[0]
            if busy:
                return
            time.sleep(0.1)
    pytest.fail("the tool never reached the schema's pg_sleep")


def test_a_live_target_lends_its_own_server_and_gets_it_back(pg_url, pg_server_url, tmp_path, run_tool):
    before = _shadow_databases(pg_server_url)
    desired = tmp_path / "v2.sql"
    desired.write_text(TABLE)
    result = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired), "--json")
    assert result.returncode == 0, result.stderr
    assert "shadow: a temporary database on the target's server" in result.stderr
    assert "CREATE TABLE" in json_document(result.stdout, "dbtool-compare")["up_sql"]
    assert _shadow_databases(pg_server_url) == before


def test_an_extension_only_the_target_server_has_converges_there_and_is_named_elsewhere(
    pg_url, tmp_path, run_tool
):
    """CI's system server has hypopg, the embedded one does not: the default shadow loads it,
    `--shadow embedded` says which extension is missing and how to get past it."""
    from senior_backend.common.pg.embedded import shared_server

    only_target = sorted(_available_extensions(pg_url) - _available_extensions(shared_server().url()))
    if not only_target:
        pytest.skip(
            "needs hypopg (or another extension only the target's server has): the embedded server has none it lacks"
        )
    extension = only_target[0]
    desired = tmp_path / "v2.sql"
    desired.write_text(f'CREATE EXTENSION "{extension}";\n{TABLE}')
    up = tmp_path / "out"
    result = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired), "--output", str(up))
    assert result.returncode == 0, result.stderr
    [up_file] = [path for path in up.iterdir() if not path.name.endswith(".down.sql")]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(up_file.read_text())
    again = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired), "--json")
    assert again.returncode == 0, again.stderr
    assert json_document(again.stdout, "dbtool-compare")["changes"] == []

    embedded = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired), "--shadow", "embedded")
    assert embedded.returncode == 2
    [line] = [line for line in embedded.stderr.splitlines() if line.startswith("error:")]
    assert f'no extension "{extension}"' in line and "--shadow target" in line
    assert "Traceback" not in embedded.stderr


def test_an_extension_no_shadow_has_is_one_line_naming_it(pg_url, tmp_path, run_tool):
    desired = tmp_path / "v2.sql"
    desired.write_text(f"{TABLE}CREATE EXTENSION no_such_extension_here;\n")
    result = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert f"{desired}:2:" in errors[0]
    assert 'has no extension "no_such_extension_here"' in errors[0]


@pytest.mark.parametrize(
    ("attributes", "setting", "reason"),
    [
        ("NOCREATEDB", None, "may not create databases"),
        ("CREATEDB", "default_transaction_read_only = on", "sessions are read only"),
    ],
    ids=["no-createdb", "read-only-sessions"],
)
def test_a_target_that_cannot_hold_a_temporary_database_gets_the_embedded_server(
    pg_url, tmp_path, run_tool, attributes, setting, reason
):
    """A role without CREATEDB, or whose sessions are read only (as on a standby), would fail at
    CREATE DATABASE: the default falls back to the embedded server and says why; asking for the
    target's server explicitly is a usage error naming the reason."""
    role = f"sb_shadowless_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN {attributes}")
        conn.execute(f"GRANT ALL ON SCHEMA public TO {role}")
        if setting:
            conn.execute(f"ALTER ROLE {role} SET {setting}")
    try:
        url = pg_url.replace("://postgres@", f"://{role}@")
        desired = tmp_path / "v2.sql"
        desired.write_text(TABLE)
        result = run_tool(TOOL, "--connection", url, "--compare", str(desired), "--json")
        assert result.returncode == 0, result.stderr
        json_document(result.stdout, "dbtool-compare")
        assert "shadow: the embedded PostgreSQL 18" in result.stderr
        assert reason in result.stderr
        refused = run_tool(TOOL, "--connection", url, "--compare", str(desired), "--shadow", "target")
        assert refused.returncode == 2 and reason in refused.stderr
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_a_schema_that_fails_to_load_leaves_no_shadow_database(pg_url, pg_server_url, tmp_path, run_tool):
    before = _shadow_databases(pg_server_url)
    desired = tmp_path / "v2.sql"
    desired.write_text(f"{TABLE}CREATE TABLE broken (id no_such_type);\n")
    result = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired))
    assert result.returncode == 2
    assert "no_such_type" in result.stderr
    assert _shadow_databases(pg_server_url) == before


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_drops_the_shadow_database(pg_url, pg_server_url, tmp_path, stop):
    before = _shadow_databases(pg_server_url)
    process = _slow_compare(pg_url, pg_server_url, tmp_path)
    assert _shadow_databases(pg_server_url) - before
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert _shadow_databases(pg_server_url) == before


def test_a_killed_run_leaves_a_database_the_next_run_removes_and_names(
    pg_url, pg_server_url, tmp_path, run_tool
):
    before = _shadow_databases(pg_server_url)
    process = _slow_compare(pg_url, pg_server_url, tmp_path)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    [left] = _shadow_databases(pg_server_url) - before

    quick = tmp_path / "v2.sql"
    quick.write_text(TABLE)
    deadline = time.monotonic() + 20
    while True:  # the server notices the killed client's closed socket within moments
        result = run_tool(TOOL, "--connection", pg_url, "--compare", str(quick), "--json")
        assert result.returncode == 0, result.stderr
        json_document(result.stdout, "dbtool-compare")
        if left in result.stderr or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert f"note: removed the shadow database {left} (created" in result.stderr
    assert "killed" in result.stderr
    assert _shadow_databases(pg_server_url) == before


def test_a_running_comparison_keeps_its_database_while_another_run_sweeps(
    pg_url, pg_server_url, tmp_path, run_tool
):
    """Liveness is the creator's lock, not the database's age: a long run is never swept away."""
    before = _shadow_databases(pg_server_url)
    process = _slow_compare(pg_url, pg_server_url, tmp_path)
    try:
        [running] = _shadow_databases(pg_server_url) - before
        quick = tmp_path / "v2.sql"
        quick.write_text(TABLE)
        result = run_tool(TOOL, "--connection", pg_url, "--compare", str(quick), "--json")
        assert result.returncode == 0, result.stderr
        json_document(result.stdout, "dbtool-compare")
        assert "removed the shadow database" not in result.stderr
        assert running in _shadow_databases(pg_server_url)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert _shadow_databases(pg_server_url) == before
