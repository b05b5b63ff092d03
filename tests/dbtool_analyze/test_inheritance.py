"""Tables that inherit from another (`INHERITS`): key advice that runs, one finding for a shared sequence,
indexes on every inheriting table, and notes that say why statements get no suggestion.

The schema is the common audit-log shape: a parent with a serial id, a child that inherits it (and so its
sequence), a second child that already has its own index on the filtered column (a negative control), a
table with its own serial key, and a table with no key-like column at all.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from senior_backend.common.pg.scratch import with_database
from tests.conftest import run_script
from tests.dbtool_analyze.conftest import has_extension, report_of

pytestmark = pytest.mark.pg

SCHEMA = """
CREATE TABLE audit_log (id bigserial, note text);
CREATE TABLE audit_log_orders (order_id bigint) INHERITS (audit_log);
CREATE TABLE audit_log_refunds (refund_id bigint) INHERITS (audit_log);
CREATE INDEX audit_log_refunds_by_note ON audit_log_refunds (note);
CREATE TABLE products (id serial, name text);
CREATE TABLE notes (body text);
INSERT INTO audit_log (note) SELECT 'n' || g FROM generate_series(1, 2000) g;
INSERT INTO audit_log_orders (note, order_id) SELECT 'o' || g, g FROM generate_series(1, 30000) g;
INSERT INTO audit_log_refunds (note, refund_id) SELECT 'r' || g, g FROM generate_series(1, 3000) g;
INSERT INTO products (name) SELECT 'p' || g FROM generate_series(1, 1500) g;
INSERT INTO notes SELECT 'b' || g FROM generate_series(1, 1500) g;
ANALYZE;
"""


@pytest.fixture
def audit_db(pg_server_url: str) -> Iterator[str]:
    name = f"rlint_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(pg_server_url, name)
    with psycopg.connect(url, autocommit=True) as conn:
        if has_extension(url, "hypopg"):
            conn.execute("CREATE EXTENSION hypopg")
        conn.execute(SCHEMA)
    yield url
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def analyse(url: str, *args: str) -> tuple[dict, str]:
    result = run_script("database_migration_tool", "--connection", url, "--json", *args)
    assert result.returncode == 0, result.stderr
    return report_of(result), result.stderr


def by_rule(report: dict, rule: str) -> dict[str, dict]:
    return {f["objects"][0]: f for f in report["findings"] if f["rule"] == rule}


def test_primary_key_advice_uses_the_inherited_id_and_runs(audit_db: str):
    report, _ = analyse(audit_db, "--analyze")
    missing = by_rule(report, "missing-primary-key")
    child = missing["public.audit_log_orders"]["advice"]
    assert child.startswith('ALTER TABLE "public"."audit_log_orders" ADD PRIMARY KEY ("id")')
    assert "inherits from public.audit_log" in child and "ADD COLUMN" not in child
    assert missing["public.audit_log"]["advice"].startswith(
        'ALTER TABLE "public"."audit_log" ADD PRIMARY KEY ("id")'
    )
    assert missing["public.products"]["advice"].startswith(
        'ALTER TABLE "public"."products" ADD PRIMARY KEY ("id")'
    )
    # negative control: a table with no key-like column still gets a new identity column
    assert (
        "ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY" in missing["public.notes"]["advice"]
    )
    # the advice as given works on the real tables (both the plain and the concurrent form)
    statement = re.match(r"(ALTER TABLE .*? ADD PRIMARY KEY \(\"id\"\))", child).group(1)
    concurrent = child.split("build the index first: ")[1].split("; ")
    with psycopg.connect(audit_db, autocommit=True) as conn:
        conn.execute(statement)
        conn.execute("ALTER TABLE audit_log_orders DROP CONSTRAINT audit_log_orders_pkey")
        for step in concurrent:
            conn.execute(step)
        kind = conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'audit_log_orders'::regclass AND contype = 'p'"
        ).fetchone()
    assert kind == ("audit_log_orders_pkey",)
    after, _ = analyse(audit_db, "--analyze")
    assert "public.audit_log_orders" not in by_rule(after, "missing-primary-key")


def test_a_sequence_shared_through_inheritance_is_one_finding_without_per_table_identities(audit_db: str):
    report, _ = analyse(audit_db, "--analyze")
    serial = [f for f in report["findings"] if f["rule"] == "serial-column"]
    shared = [f for f in serial if "public.audit_log" in f["objects"]]
    assert len(shared) == 1
    (finding,) = shared
    assert finding["objects"][:2] == ["public.audit_log", "public.audit_log.id"]
    assert set(finding["evidence"]["shared_with"]) == {
        "public.audit_log_orders.id",
        "public.audit_log_refunds.id",
    }
    assert finding["evidence"]["sequence"] == "public.audit_log_id_seq"
    assert "ADD GENERATED" not in finding["advice"] and "own counter" in finding["advice"]
    assert not any(o.startswith("public.audit_log_orders") for f in serial for o in f["objects"][:1])
    # negative control: a serial column with its own sequence keeps the per-table identity advice
    (products,) = [f for f in serial if f["objects"][0] == "public.products"]
    assert "ADD GENERATED BY DEFAULT AS IDENTITY" in products["advice"]


def test_an_index_suggested_on_a_parent_is_built_on_each_inheriting_table(audit_db: str, tmp_path):
    queries = tmp_path / "queries.sql"
    queries.write_text("SELECT id, note FROM audit_log WHERE note = 'o777';\n")
    output = tmp_path / "migrations"
    report, _ = analyse(audit_db, "--suggest-indexes", "--queries", str(queries), "--output", str(output))
    (suggestion,) = by_rule(report, "suggested-index").values()
    assert suggestion["objects"][:2] == ["public.audit_log", "note"]
    # the child that already has an index on note is the negative control
    assert suggestion["evidence"]["inheriting_tables"] == ["public.audit_log_orders"]
    up = suggestion["fix"]["up"]
    assert (
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "audit_log_note_idx" ON "public"."audit_log" ("note");' in up
    )
    assert (
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "audit_log_orders_note_idx" ON "public"."audit_log_orders"'
        in up
    )
    assert "audit_log_refunds" not in up and "ON ONLY" not in up
    assert (
        'DROP INDEX CONCURRENTLY IF EXISTS "public"."audit_log_orders_note_idx";' in suggestion["fix"]["down"]
    )

    migrated = run_script("database_migration_tool", "--connection", audit_db, "--migrate", str(output))
    assert migrated.returncode == 0, migrated.stderr
    with psycopg.connect(audit_db) as conn:
        plan = "\n".join(
            row[0] for row in conn.execute("EXPLAIN SELECT id, note FROM audit_log WHERE note = 'o777'")
        )
    assert "audit_log_orders_note_idx" in plan and "Seq Scan" not in plan
    again, _ = analyse(audit_db, "--suggest-indexes", "--queries", str(queries))
    assert by_rule(again, "suggested-index") == {}


def test_statements_from_a_file_say_why_they_get_no_suggestion(audit_db: str, tmp_path):
    queries = tmp_path / "queries.sql"
    queries.write_text(
        "SELECT id FROM products WHERE name = 'p7';\n"
        "SELECT nope FROM audit_log WHERE nope = 1;\n"
        "SELECT 1 FROM ghost WHERE x = 1;\n"
    )
    report, stderr = analyse(audit_db, "--suggest-indexes", "--queries", str(queries))
    assert set(by_rule(report, "suggested-index")) == {"public.products"}
    skipped = {n["where"]: n["message"] for n in report["notes"] if n["rule"] == "statement-skipped"}
    assert set(skipped) == {f"{queries}:2:8", f"{queries}:3"}
    assert (
        'column "nope" does not exist' in skipped[f"{queries}:2:8"]
        and "SELECT nope" in skipped[f"{queries}:2:8"]
    )
    assert "no table of this database" in skipped[f"{queries}:3"]
    # the statements came from the file: pg_stat_statements is not what limits the suggestions
    assert "query-based index suggestions are skipped" not in stderr
    assert all("pg_stat_statements" not in s["message"] for s in report["skipped"])


def test_without_statements_the_report_says_pg_stat_statements_is_the_cause(audit_db: str):
    with psycopg.connect(audit_db) as conn:
        enabled = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'").fetchone()
    assert enabled is None  # a fresh database: the extension is not created in it
    result = run_script("database_migration_tool", "--connection", audit_db, "--suggest-indexes")
    assert result.returncode == 0, result.stderr
    assert "pg_stat_statements is not enabled" in result.stdout
    assert "--queries FILE" in result.stdout
    assert "no statements on known tables" not in result.stdout
