"""The migration runner on a real server: tracking, concurrency, rollback on failure, checksums, dry run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from senior_backend.common.json_schemas import validation_errors
from senior_backend.common.pg.catalog import load_snapshot
from senior_backend.dbtool.diff.plan import snapshot_differences
from tests.conftest import REPO

pytestmark = pytest.mark.pg

TOOL = "database_migration_tool"


def json_document(stdout: str, kind: str) -> dict:
    """A run's `--json` stdout, checked against the published schema of its kind (`dbtool-migrate`, ...)."""
    document = json.loads(stdout)
    assert validation_errors(document, kind) == [], stdout
    return document


def write(folder: Path, name: str, up: str, down: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.up.sql"
    path.write_text(up)
    if down is not None:
        (folder / f"{name}.down.sql").write_text(down)
    return path


def state(url: str) -> tuple:
    """Schema snapshot, every table's rows and the tracking table, to compare before/after."""
    with psycopg.connect(url, autocommit=True) as conn:
        snap = load_snapshot(conn)
        rows = {
            key: conn.execute(f"SELECT * FROM {key} ORDER BY 1").fetchall() for key in sorted(snap.tables)
        }
        tracked = []
        if conn.execute("SELECT to_regclass('senior_backend.schema_migrations')").fetchone()[0]:
            tracked = conn.execute(
                "SELECT version, checksum FROM senior_backend.schema_migrations ORDER BY 1"
            ).fetchall()
    return snap, rows, tracked


def tracked_versions(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT version FROM senior_backend.schema_migrations ORDER BY 1")]


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    write(
        folder,
        "20240101000000_create_log",
        "CREATE TABLE run_log (id serial PRIMARY KEY, step text NOT NULL);\nINSERT INTO run_log (step) VALUES ('one');\n",
        "DROP TABLE run_log;\n",
    )
    write(
        folder,
        "20240102000000_slow_step",
        "SELECT pg_sleep(1);\nINSERT INTO run_log (step) VALUES ('two');\nALTER TABLE run_log ADD COLUMN at timestamptz;\n",
        "ALTER TABLE run_log DROP COLUMN at;\nDELETE FROM run_log WHERE step = 'two';\n",
    )
    write(
        folder,
        "20240103000000_index",
        "-- senior-backend: no-transaction\nCREATE INDEX CONCURRENTLY run_log_step ON run_log (step);\n",
        "-- senior-backend: no-transaction\nDROP INDEX CONCURRENTLY run_log_step;\n",
    )
    return folder


def test_two_runners_at_once_apply_each_migration_exactly_once(pg_url, migrations):
    command = [
        sys.executable,
        str(REPO / "scripts" / f"{TOOL}.py"),
        "--connection",
        pg_url,
        "--migrate",
        str(migrations),
        "--json",
    ]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        for _ in range(2)
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], results
    applied = [len(json_document(out, "dbtool-migrate")["applied"]) for out, _ in results]
    assert sorted(applied) == [0, 3], "one runner applies all three, the other waits and finds nothing to do"
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT step FROM run_log ORDER BY id").fetchall() == [("one",), ("two",)]
        assert (
            conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'run_log_step'").fetchone()[0]
            == 1
        )
    assert tracked_versions(pg_url) == ["20240101000000", "20240102000000", "20240103000000"]


def test_failed_migration_is_rolled_back_and_not_tracked(pg_url, tmp_path, run_tool):
    folder = tmp_path / "m"
    write(folder, "20240101000000_ok", "CREATE TABLE keep (id int);\nINSERT INTO keep VALUES (1);\n")
    assert run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder)).returncode == 0
    before = state(pg_url)
    write(
        folder,
        "20240102000000_breaks",
        "CREATE TABLE half (id int);\nINSERT INTO keep VALUES (2);\n\nINSERT INTO missing_table VALUES (3);\nCREATE TABLE never (id int);\n",
    )
    result = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder), "--json")
    assert result.returncode == 1
    assert "20240102000000_breaks.up.sql failed at statement 3 (line 4" in result.stderr
    failed = json_document(result.stdout, "dbtool-migrate")
    assert failed["rolled_back"] is True and failed["failed"]["statement_index"] == 3
    assert failed["failed"]["line"] == 4 and failed["failed"]["sqlstate"] == "42P01"
    assert "missing_table" in result.stderr and "Traceback" not in result.stderr
    after = state(pg_url)
    assert snapshot_differences(before[0], after[0]) == []
    assert before[1:] == after[1:]
    assert tracked_versions(pg_url) == ["20240101000000"]


def test_a_concurrent_index_in_a_transactional_file_names_the_marker_that_runs_it(pg_url, tmp_path, run_tool):
    folder = tmp_path / "m"
    write(folder, "20240101000000_index", "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n")
    result = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder))
    assert result.returncode == 1
    assert "cannot run inside a transaction block" in result.stderr
    assert "make `-- senior-backend: no-transaction` the file's first line" in result.stderr
    assert tracked_versions(pg_url) == []


def test_dry_run_changes_nothing_and_reports_statements_locks_and_schema_diff(pg_url, migrations, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE existing (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO existing VALUES (1, 'a'), (2, 'b')")
    write(
        migrations,
        "20240104000000_touch_existing",
        "ALTER TABLE existing ADD COLUMN w int;\nUPDATE existing SET v = 'z';\n",
    )
    before = state(pg_url)
    result = run_tool(TOOL, "--connection", pg_url, "--migrate", str(migrations), "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    report = json_document(result.stdout, "dbtool-migrate-dry-run")
    after = state(pg_url)
    assert snapshot_differences(before[0], after[0]) == [] and before[1:] == after[1:]
    assert report["committed"] is False
    assert [m["version"] for m in report["migrations"]] == [
        "20240101000000",
        "20240102000000",
        "20240103000000",
        "20240104000000",
    ]
    statements = [s for m in report["migrations"] for s in m["statements"]]
    assert all("ms" in s for s in statements if s["executed"])
    alter = next(s for s in statements if s["statement"].startswith("ALTER TABLE existing"))
    assert "AccessExclusiveLock on public.existing" in alter["locks"]
    concurrent = next(s for s in statements if "CONCURRENTLY" in s["statement"])
    assert "without CONCURRENTLY" in concurrent["note"]
    assert "create table public.run_log" in report["schema_changes"]
    assert "add column public.existing.w" in report["schema_changes"]
    with psycopg.connect(pg_url) as conn:
        leftover = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND d.datname = current_database()"
        ).fetchone()[0]
    assert leftover == 0


def test_status_checksums_down_and_target(pg_url, migrations, run_tool):
    assert (
        run_tool(
            TOOL, "--connection", pg_url, "--migrate", str(migrations), "--target", "20240102000000"
        ).returncode
        == 0
    )
    assert tracked_versions(pg_url) == ["20240101000000", "20240102000000"]
    status = json_document(
        run_tool(TOOL, "--connection", pg_url, "--migrate", str(migrations), "--status", "--json").stdout,
        "dbtool-migrate-status",
    )
    assert [r["state"] for r in status["migrations"]] == ["applied", "applied", "pending"]

    result = run_tool(TOOL, "--connection", pg_url, "--migrate", str(migrations), "--down", "1")
    assert result.returncode == 0, result.stderr
    assert tracked_versions(pg_url) == ["20240101000000"]
    with psycopg.connect(pg_url) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'run_log'::regclass AND attnum > 0"
            )
        ]
    assert "at" not in columns

    first = migrations / "20240101000000_create_log.up.sql"
    first.write_text(first.read_text() + "-- edited\n")
    status = json_document(
        run_tool(TOOL, "--connection", pg_url, "--migrate", str(migrations), "--status", "--json").stdout,
        "dbtool-migrate-status",
    )
    assert status["migrations"][0]["state"] == "modified"
    refused = run_tool(TOOL, "--connection", pg_url, "--migrate", str(migrations))
    assert refused.returncode == 3 and "modified after it was applied" in refused.stderr
    assert tracked_versions(pg_url) == ["20240101000000"]


def test_runner_bad_input_and_unreachable(tmp_path, run_tool, pg_url):
    missing = run_tool(TOOL, "--connection", pg_url, "--migrate", str(tmp_path / "nope"))
    assert missing.returncode == 2 and missing.stderr.startswith("error: ")
    no_conn = run_tool(TOOL, "--migrate", str(tmp_path), env={"DATABASE_URL": ""})
    assert no_conn.returncode == 2 and "--connection" in no_conn.stderr
    down_missing = tmp_path / "d"
    write(down_missing, "20240101000000_x", "CREATE TABLE x (id int);\n")
    assert run_tool(TOOL, "--connection", pg_url, "--migrate", str(down_missing)).returncode == 0
    no_down = run_tool(TOOL, "--connection", pg_url, "--migrate", str(down_missing), "--down", "1")
    assert no_down.returncode == 2 and "no .down.sql" in no_down.stderr
    unreachable = run_tool(
        TOOL, "--connection", "postgresql://u:secret@127.0.0.1:1/db", "--migrate", str(down_missing)
    )
    assert unreachable.returncode == 4 and "secret" not in unreachable.stderr


def test_flags_that_do_not_go_together_and_stray_paths_are_refused_before_anything_runs(
    pg_url, tmp_path, run_tool
):
    """`--down 1 --dry-run` once dry-ran the pending *up* migrations, and `--lint a.sql b.sql` (a shell
    glob) linted only a.sql and passed: both are usage errors now, and nothing is applied."""
    folder = tmp_path / "m"
    write(folder, "20240101000000_t", "CREATE TABLE t (id int);\n", "DROP TABLE t;\n")
    both = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder), "--down", "1", "--dry-run")
    assert both.returncode == 2 and "--dry-run and --down do not go together" in both.stderr
    status_target = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder), "--status", "--target", "1")
    assert status_target.returncode == 2 and "--status and --target" in status_target.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('public.t')").fetchone()[0] is None
    safe, unsafe = tmp_path / "a.sql", tmp_path / "b.sql"
    safe.write_text("SET lock_timeout = '5s';\nCREATE TABLE t (id int);\n")
    unsafe.write_text("DROP TABLE users;\n")
    globbed = run_tool(TOOL, "--lint", str(safe), str(unsafe))
    assert globbed.returncode == 2 and f"unexpected arguments: {unsafe}" in globbed.stderr
    assert run_tool(TOOL, "--lint", str(unsafe)).returncode == 1


def test_enum_value_added_and_used_in_one_migration(pg_url, tmp_path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TYPE status AS ENUM ('new'); CREATE TABLE tasks (s status DEFAULT 'new')")
    folder = tmp_path / "m"
    write(
        folder,
        "20240101000000_doing",
        "-- senior-backend: no-transaction\nALTER TYPE status ADD VALUE 'doing';\nBEGIN;\n"
        "ALTER TABLE tasks ALTER COLUMN s SET DEFAULT 'doing';\nCOMMIT;\n",
    )
    dry = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    dry_report = json_document(dry.stdout, "dbtool-migrate-dry-run")
    notes = [s.get("note", "") for s in dry_report["migrations"][0]["statements"]]
    assert any("enum value added in this run" in note for note in notes)
    assert run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder)).returncode == 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT enum_range(NULL::status)::text").fetchone()[0] == "{new,doing}"
