"""Schema-file mode, CI exit codes and every bad-input path of --analyze / --suggest-indexes."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import REPO, run_script
from tests.dbtool_analyze.conftest import report_of

TOOL = "database_migration_tool"
NO_DB = {"DATABASE_URL": ""}


@pytest.mark.pg
def test_schema_file_structural_checks():
    result = run_script(TOOL, "--analyze", str(REPO / "examples" / "schema.sql"), "--json", env=NO_DB)
    assert result.returncode == 0, result.stderr
    report = report_of(result)
    assert report["live"] is False
    got = {
        (f["rule"], f["objects"][1] if len(f["objects"]) > 1 else f["objects"][0]) for f in report["findings"]
    }
    assert {
        ("unindexed-foreign-key", "orders_user_id_fkey"),
        ("unindexed-foreign-key", "order_items_product_id_fkey"),
        ("duplicate-index", "public.orders_status_dup_idx"),
        ("missing-primary-key", "public.audit_log"),
        ("serial-column", "public.products.id"),
        ("timestamp-without-time-zone", "public.orders.placed_at"),
        ("varchar-limit", "public.products.sku"),
    } <= got
    # order_items.order_id leads the primary key: no false positive
    assert ("unindexed-foreign-key", "order_items_order_id_fkey") not in got
    (skipped,) = [note for note in report["notes"] if note["rule"] == "live-checks-skipped"]
    assert "needs a live database" in skipped["message"] and "N+1" in skipped["message"]
    assert skipped["level"] == "info"


@pytest.mark.pg
def test_schema_folder_and_fail_on(tmp_path):
    (tmp_path / "001_users.sql").write_text("CREATE TABLE users (id bigint PRIMARY KEY);\n")
    (tmp_path / "002_posts.sql").write_text(
        "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id));\n"
    )
    warn = run_script(TOOL, "--analyze", str(tmp_path), "--fail-on", "warning", env=NO_DB)
    assert warn.returncode == 1, warn.stderr
    assert "unindexed-foreign-key" in warn.stdout and "posts_user_id_fkey" in warn.stdout
    assert "\nlevel\trule\tobjects\tmessage\tfix\n" in warn.stdout
    assert "\nnote: needs a live database (--connection), skipped for a schema file: " in warn.stdout
    error = run_script(TOOL, "--analyze", str(tmp_path), "--fail-on", "error", env=NO_DB)
    assert error.returncode == 0, error.stderr


@pytest.mark.pg
@pytest.mark.parametrize(
    ("sql", "line", "message"),
    [
        ("CREATE TABLE a (id int PRIMARY KEY);\n\nCREATE TABLE b (id int,, x int);\n", 3, "syntax error"),
        (
            "CREATE TABLE a (id int);\nCREATE TABLE b (a_id int REFERENCES nope (id));\n",
            2,
            '"nope" does not exist',
        ),
    ],
)
def test_malformed_schema_file(tmp_path, sql, line, message):
    schema = tmp_path / "bad.sql"
    schema.write_text(sql)
    result = run_script(TOOL, "--analyze", str(schema), env=NO_DB)
    assert result.returncode == 2
    assert f"{schema}:{line}:" in result.stderr and message in result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_unreachable_database_masks_the_password():
    result = run_script(TOOL, "--connection", "postgresql://bob:s3cret@127.0.0.1:1/app", "--analyze")
    assert result.returncode == 4
    assert "s3cret" not in result.stderr and "bob:***@127.0.0.1:1" in result.stderr
    assert result.stderr.count("\n") <= 2 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--analyze"], "no database to analyse"),
        ([], "choose a mode"),
        (["--analyze", "/nonexistent/schema.sql"], "schema file /nonexistent/schema.sql does not exist"),
        (["--analyze", "--min-cost-reduction", "150"], "150"),
    ],
)
def test_usage_errors(args, expected):
    result = run_script(TOOL, *args, env=NO_DB)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and result.stderr.startswith("error: ")


@pytest.mark.pg
def test_missing_extensions_are_explained_and_suggestions_unverified(pg_url, tmp_path):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id bigint PRIMARY KEY, sku text NOT NULL, price int NOT NULL)")
        conn.execute("INSERT INTO items SELECT g, 'sku' || g, g % 100 FROM generate_series(1, 5000) g")
        conn.execute("ANALYZE items")
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT id FROM items WHERE sku = 'sku42';\nSELECT id FROM items WHERE id = 7;\n")
    result = run_script(
        TOOL, "--connection", pg_url, "--analyze", "--suggest-indexes", "--queries", str(queries), "--json"
    )
    assert result.returncode == 0, result.stderr
    report = report_of(result)
    skipped = {check["rule"]: check for check in report["skipped"]}
    assert set(skipped) == {"hypopg-missing", "pg-stat-statements-missing"}
    assert all(check["level"] == "warning" for check in skipped.values())
    assert "CREATE EXTENSION hypopg" in skipped["hypopg-missing"]["hint"]
    statements = skipped["pg-stat-statements-missing"]
    assert "CREATE EXTENSION pg_stat_statements" in statements["hint"] and "N+1" in statements["message"]
    hypopg = skipped["hypopg-missing"]
    assert f"note: {hypopg['message']} (to enable: {hypopg['hint']})" in result.stderr
    suggestions = [f for f in report["findings"] if f["rule"] == "suggested-index"]
    assert [(s["objects"][0], s["evidence"]["columns"], s["evidence"]["verified"]) for s in suggestions] == [
        ("public.items", ["sku"], False)
    ]
    assert "unverified" in suggestions[0]["message"]


@pytest.mark.pg
def test_malformed_queries_file(pg_url, tmp_path):
    queries = tmp_path / "q.sql"
    queries.write_text("SELECT FROM WHERE ;;; nonsense (\n")
    result = run_script(TOOL, "--connection", pg_url, "--suggest-indexes", "--queries", str(queries))
    assert result.returncode == 2
    assert str(queries) in result.stderr and "Traceback" not in result.stderr
