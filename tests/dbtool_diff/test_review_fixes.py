"""Regression tests for the reviewed defects of the migration tool, each against a real server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.dbtool_diff.test_runner import TOOL, json_document, tracked_versions, write

pytestmark = pytest.mark.pg

UNPARSABLE = [
    ("CREATE TABLE a6(id int);\nSELEC 1;\nCREATE TABLE c6(i int);\n", 2, 'syntax error at or near "SELEC"'),
    ("CREATE TABLE a6(id int);\n\nCREATE TABLE b (id int;\nCREATE TABLE c6(i int);\n", 3, "syntax error"),
    (
        "CREATE TABLE a6(id int);\nSELECT 'never closed;\nCREATE TABLE c6(i int);\n",
        2,
        "unterminated quoted string",
    ),
]


def tables(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ]


@pytest.mark.parametrize(("sql", "line", "message"), UNPARSABLE)
def test_unparsable_migration_is_bad_input_in_lint_and_migrate(
    pg_url, tmp_path, run_tool, sql, line, message
):
    folder = tmp_path / "m"
    path = write(folder, "20240101000000_bad", sql)
    for mode in ("--lint", "--migrate"):
        args = (mode, str(folder)) if mode == "--lint" else ("--connection", pg_url, mode, str(folder))
        result = run_tool(TOOL, *args)
        assert result.returncode == 2, (mode, result.stdout, result.stderr)
        assert f"{path.name}:{line}: " in result.stderr and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "internal error" not in result.stderr
    assert tables(pg_url) == [], "nothing of an unparsable file runs"
    assert tracked_versions(pg_url) == []


def test_unparsable_file_stops_the_run_before_earlier_pending_files_apply(pg_url, tmp_path, run_tool):
    folder = tmp_path / "m"
    write(folder, "20240101000000_good", "CREATE TABLE good (id int);\n")
    write(folder, "20240102000000_bad", "SELEC 1;\n")
    result = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder))
    assert result.returncode == 2 and "20240102000000_bad.up.sql:1: " in result.stderr
    assert tables(pg_url) == []


@pytest.mark.parametrize(("sql", "line", "message"), UNPARSABLE)
def test_unparsable_schema_file_is_bad_input_in_analyze(tmp_path, run_tool, sql, line, message):
    schema = tmp_path / "bad.sql"
    schema.write_text(sql)
    result = run_tool(TOOL, "--analyze", str(schema))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert f"bad.sql:{line}: " in result.stderr and message in result.stderr


def test_every_statement_of_a_migration_runs(pg_url, tmp_path, run_tool):
    folder = tmp_path / "m"
    write(
        folder,
        "20240101000000_all",
        "CREATE TABLE a6(id int); /* c */ CREATE TABLE b6(t text DEFAULT 'é;')\n;\nCREATE TABLE c6(i int) -- last\n",
    )
    result = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder))
    assert result.returncode == 0, result.stderr
    assert tables(pg_url) == ["a6", "b6", "c6"]
    assert tracked_versions(pg_url) == ["20240101000000"]


def test_non_utf8_migration_is_bad_input(pg_url, tmp_path, run_tool):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "20240101000000_latin1.up.sql").write_bytes("SELECT 'caf\xe9';\n".encode("latin-1"))
    for args in (("--lint", str(folder)), ("--connection", pg_url, "--migrate", str(folder))):
        result = run_tool(TOOL, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert "is not UTF-8" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_identifier_with_a_newline_cannot_inject_sql_through_a_comment(pg_url, tmp_path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE victim (id int)")
    schema = tmp_path / "schema.sql"
    schema.write_text('CREATE TABLE victim (id int);\nCREATE TABLE "x\nDROP TABLE victim; --" (id int);\n')
    out = tmp_path / "out"
    made = run_tool(TOOL, "--connection", pg_url, "--compare", str(schema), "--output", str(out))
    assert made.returncode == 0, made.stderr
    up = next(out.glob("*.up.sql")).read_text()
    comments = [line for line in up.splitlines() if line.startswith("--")]
    assert any("\\nDROP TABLE victim" in line for line in comments), up
    applied = run_tool(TOOL, "--connection", pg_url, "--migrate", str(out))
    assert applied.returncode == 0, applied.stderr
    assert tables(pg_url) == ["victim", "x\nDROP TABLE victim; --"]


def _pg_dumps(url: str) -> list[str]:
    """The embedded wheel's pg_dump (18: it dumps any older server too, and writes settings such as
    transaction_timeout that an older server does not know), and the PATH's one when it is of the
    server's own major version (what a user of that server runs)."""
    from senior_backend.common.pg.embedded import client_binary

    dumps = [str(client_binary("pg_dump"))]
    system = shutil.which("pg_dump")
    if system:
        version = subprocess.run([system, "--version"], capture_output=True, text=True).stdout
        with psycopg.connect(url) as conn:
            major = conn.info.server_version // 10000
        if version.split()[-1].split(".")[0] == str(major) and Path(system).resolve() != Path(dumps[0]).resolve():
            dumps.append(system)
    return dumps


def test_database_compared_with_its_own_pg_dump_has_no_changes(pg_url, tmp_path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TYPE order_status AS ENUM ('new', 'paid');"
            "CREATE TABLE customers (id int PRIMARY KEY);"
            "CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id),"
            " status order_status NOT NULL DEFAULT 'new', CHECK (id > 0));"
            "CREATE INDEX orders_status ON orders (status) WHERE status = 'new'::order_status;"
            "CREATE VIEW new_orders AS SELECT id FROM orders WHERE status = 'new';"
        )
    for number, pg_dump in enumerate(_pg_dumps(pg_url)):
        dump = tmp_path / f"dump{number}.sql"
        subprocess.run([pg_dump, "-s", "--no-owner", "-f", str(dump), pg_url], check=True)
        text = dump.read_text()
        assert "set_config('search_path', '', false)" in text
        dump.write_text("\\restrict abc123\n" + text + "\\unrestrict abc123\n")
        result = run_tool(TOOL, "--connection", pg_url, "--compare", str(dump), "--json")
        assert result.returncode == 0, f"{pg_dump}: {result.stderr}"
        report = json_document(result.stdout, "dbtool-compare")
        assert report["changes"] == [], (pg_dump, [c["description"] for c in report["changes"]])
        assert "skipped psql meta-command \\restrict" in result.stderr


def test_a_files_session_settings_do_not_reach_the_next_file(pg_url, tmp_path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA other")
    folder = tmp_path / "m"
    write(folder, "20240101000000_sets_path", "SET search_path = other;\nCREATE TABLE first_t (id int);\n")
    write(folder, "20240102000000_default_path", "CREATE TABLE second_t (id int);\n")
    for args in (("--dry-run", "--json"), ("--json",)):
        result = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder), *args)
        assert result.returncode == 0, result.stderr
        json_document(result.stdout, "dbtool-migrate-dry-run" if "--dry-run" in args else "dbtool-migrate")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE tablename IN ('first_t', 'second_t') ORDER BY 2"
        ).fetchall()
    assert found == [("other", "first_t"), ("public", "second_t")]


def test_compare_on_stdout_prints_exactly_the_file(tmp_path, run_tool):
    v1, v2 = tmp_path / "v1.sql", tmp_path / "v2.sql"
    v1.write_text("CREATE TABLE t (id int PRIMARY KEY, a int);\n")
    v2.write_text("CREATE TABLE t (id int PRIMARY KEY, a int);\nCREATE INDEX t_a ON t (a);\n")
    printed = run_tool(TOOL, "--compare", str(v1), str(v2))
    assert printed.returncode == 0, printed.stderr
    out = tmp_path / "out"
    assert run_tool(TOOL, "--compare", str(v1), str(v2), "--output", str(out)).returncode == 0
    written = next(out.glob("*.up.sql")).read_text()
    assert written.startswith("-- senior-backend: no-transaction\n")
    assert printed.stdout == written


def test_dry_run_refuses_an_edited_applied_migration(pg_url, tmp_path, run_tool):
    folder = tmp_path / "m"
    path = write(folder, "20240101000000_t", "CREATE TABLE t (id int);\n")
    assert run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder)).returncode == 0
    path.write_text("CREATE TABLE t (id bigint);\n")
    result = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder), "--dry-run")
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "was modified after it was applied" in result.stderr


def test_digit_versions_run_and_target_in_numeric_order(pg_url, tmp_path, run_tool):
    folder = tmp_path / "m"
    for version in ("1", "2", "10"):
        write(
            folder,
            f"{version}_step",
            f"INSERT INTO steps VALUES ({version});\n" if version != "1" else "CREATE TABLE steps (v int);\n",
            f"DELETE FROM steps WHERE v = {version};\n" if version != "1" else "DROP TABLE steps;\n",
        )
    upto = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder), "--target", "2")
    assert upto.returncode == 0, upto.stderr
    assert tracked_versions(pg_url) == ["1", "2"], "--target 2 does not include 10"
    result = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    assert [m["version"] for m in json_document(result.stdout, "dbtool-migrate")["applied"]] == ["10"]
    down = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder), "--down", "1", "--json")
    assert down.returncode == 0, down.stderr
    ran = json_document(down.stdout, "dbtool-migrate")["applied"]
    assert [(m["version"], m["direction"]) for m in ran] == [("10", "down")]
    assert sorted(tracked_versions(pg_url)) == ["1", "2"], "the last applied is 10, not 2"


def test_explicit_schema_file_beats_database_url(pg_url, tmp_path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE live_only (v int)")  # no primary key: a finding only the live db has
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE from_file (v int);\n")
    result = run_tool(TOOL, "--analyze", str(schema), "--json", env={"DATABASE_URL": pg_url})
    assert result.returncode == 0, result.stderr
    assert "from_file" in result.stdout and "live_only" not in result.stdout
    explicit = run_tool(TOOL, "--connection", pg_url, "--analyze", str(schema), "--json")
    assert "live_only" in explicit.stdout and "from_file" not in explicit.stdout
    assert "--connection was given on the command line" in explicit.stderr


def test_dry_run_reports_advanced_sequences_and_never_sets_them_back(pg_url, tmp_path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id serial PRIMARY KEY, v text)")
        conn.execute("INSERT INTO items (v) VALUES ('a')")
    folder = tmp_path / "m"
    write(folder, "20240101000000_rows", "INSERT INTO items (v) SELECT 'x' FROM generate_series(1, 5);\n")
    result = run_tool(TOOL, "--connection", pg_url, "--migrate", str(folder), "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    advanced = json_document(result.stdout, "dbtool-migrate-dry-run")["sequences_advanced"]
    assert advanced == [{"sequence": "public.items_id_seq", "before": 1, "after": 6}]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 1
        # never set back below a value that may have been handed out: the next key is fresh
        assert conn.execute("INSERT INTO items (v) VALUES ('b') RETURNING id").fetchone()[0] == 7
