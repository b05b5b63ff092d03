"""Regression tests for the reviewed defects of the migration tool, each against a real server."""

from __future__ import annotations

import json
import subprocess

import psycopg
import pytest

from tests.dbtool_diff.test_runner import TOOL, tracked_versions, write

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


def test_database_compared_with_its_own_pg_dump_has_no_changes(pg_url, pg_server_url, tmp_path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TYPE order_status AS ENUM ('new', 'paid');"
            "CREATE TABLE customers (id int PRIMARY KEY);"
            "CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (id),"
            " status order_status NOT NULL DEFAULT 'new', CHECK (id > 0));"
            "CREATE INDEX orders_status ON orders (status) WHERE status = 'new'::order_status;"
            "CREATE VIEW new_orders AS SELECT id FROM orders WHERE status = 'new';"
        )
    dump = tmp_path / "dump.sql"
    subprocess.run(["pg_dump", "-s", "--no-owner", "-f", str(dump), pg_url], check=True)
    text = dump.read_text()
    assert "set_config('search_path', '', false)" in text
    dump.write_text("\\restrict abc123\n" + text + "\\unrestrict abc123\n")
    result = run_tool(
        TOOL, "--connection", pg_url, "--compare", str(dump), "--shadow-url", pg_server_url, "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["changes"] == [], [c["description"] for c in report["changes"]]
    assert "skipped psql meta-command \\restrict" in result.stderr
