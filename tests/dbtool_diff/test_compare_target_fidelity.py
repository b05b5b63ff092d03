"""`--compare` against a live database keeps what the target has and the desired schema does not say:
the extensions it has that the schema files do not name (kept, with a warning), the instants of timestamptz partition bounds (read in the
target's TimeZone), and views that do not read a changed column (left alone; a recreated one keeps the
target's grants, in the same transaction block as its drop)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from senior_backend.dbtool.diff.run import CompareOptions, run_compare
from senior_backend.dbtool.migrate.run import MigrateOptions, RunReport, run_migrate

pytestmark = pytest.mark.pg


def execute(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def scalar(url: str, sql: str) -> object:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql).fetchone()[0]


def test_an_extension_the_target_has_and_the_schema_does_not_name_is_kept_with_a_warning(pg_url, tmp_path):
    execute(pg_url, "CREATE EXTENSION pg_stat_statements")
    desired = tmp_path / "schema.sql"
    desired.write_text("CREATE TABLE t (v int);\n")

    result = run_compare(CompareOptions(connection=pg_url, desired_schema=desired))
    assert [change.kind for change in result.up.changes] == ["table"]
    assert "EXTENSION" not in result.up_sql and "EXTENSION" not in result.down_sql
    [kept] = [w for w in result.warnings if w.rule == "extension-kept"]
    assert "pg_stat_statements" in kept.message


MONTHS = """
CREATE TABLE events (at timestamptz NOT NULL, since timestamptz DEFAULT '2026-01-01', v int)
    PARTITION BY RANGE (at);
CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE events_2026_02 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
"""
NEXT_MONTH = (
    "CREATE TABLE events_2026_03 PARTITION OF events FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');\n"
)


@pytest.mark.parametrize("shadow", [None, "embedded"])
def test_timestamptz_bounds_are_read_in_the_targets_time_zone(make_database, tmp_path, shadow):
    url = make_database()
    name = scalar(url, "SELECT current_database()")
    execute(url, f"ALTER DATABASE \"{name}\" SET timezone = 'Europe/Berlin'")
    execute(url, MONTHS + "INSERT INTO events (at, v) VALUES ('2026-01-01 00:30', 1);")
    desired = tmp_path / "schema.sql"
    desired.write_text(MONTHS + NEXT_MONTH)
    out = tmp_path / "migrations"

    result = run_compare(CompareOptions(connection=url, desired_schema=desired, shadow=shadow, output=out))
    assert [c.description for c in result.up.changes] == ["create table public.events_2026_03"], result.up_sql
    assert "FROM ('2026-03-01 00:00:00+01') TO ('2026-04-01 00:00:00+02')" in result.up_sql

    applied = run_migrate(MigrateOptions(url, out))
    assert isinstance(applied, RunReport) and [m.direction for m in applied.ran] == ["up"]
    assert scalar(url, "SELECT tableoid::regclass::text FROM events WHERE v = 1") == "events_2026_01"
    assert scalar(url, "SELECT count(*) FROM events_2026_03") == 0
    again = run_compare(CompareOptions(connection=url, desired_schema=desired, shadow=shadow))
    assert again.up.empty, again.up_sql


SHOP = """
CREATE TABLE customers (id int PRIMARY KEY, name text, email varchar(100));
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, paid bool, total numeric);
CREATE VIEW paid_orders AS
    SELECT o.id, o.total, c.id AS customer FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.paid;
CREATE VIEW customer_emails AS SELECT id, email FROM customers;
COMMENT ON VIEW paid_orders IS 'orders that are paid';
COMMENT ON VIEW customer_emails IS 'who to write to';
"""


def test_only_views_reading_a_changed_column_are_recreated_and_they_keep_their_grants(pg_url, tmp_path):
    execute(
        pg_url,
        SHOP
        + "GRANT SELECT ON paid_orders TO PUBLIC; GRANT SELECT ON customer_emails TO PUBLIC;"
        + "INSERT INTO customers VALUES (1, 'Ann', 'ann@example.com');",
    )
    paid_orders_oid = scalar(pg_url, "SELECT 'paid_orders'::regclass::oid")
    desired = tmp_path / "schema.sql"
    desired.write_text(
        SHOP.replace("name text, email varchar(100)", "email text")
        + "CREATE INDEX orders_total_idx ON orders (total);\n"
    )
    out = tmp_path / "migrations"
    result = run_compare(
        CompareOptions(connection=pg_url, desired_schema=desired, output=out, allow_data_loss=True)
    )

    assert not [c for c in result.up.changes if c.key == "public.paid_orders"], result.up_sql
    assert [c.description for c in result.up.changes if c.key == "public.customer_emails"][:2] == [
        "drop view public.customer_emails",
        "create view public.customer_emails",
    ]
    assert result.no_transaction and "CREATE INDEX CONCURRENTLY" in result.up_sql
    dropped = result.up_sql.index('DROP VIEW "public"."customer_emails"')
    restored = result.up_sql.index("GRANT SELECT ON TABLE public.customer_emails TO PUBLIC")
    assert "COMMIT;" not in result.up_sql[dropped:restored], "the view is never missing between two blocks"

    applied = run_migrate(MigrateOptions(pg_url, out))
    assert isinstance(applied, RunReport) and [m.direction for m in applied.ran] == ["up"]
    assert scalar(pg_url, "SELECT 'paid_orders'::regclass::oid") == paid_orders_oid
    for view, comment in (("paid_orders", "orders that are paid"), ("customer_emails", "who to write to")):
        assert scalar(pg_url, f"SELECT has_table_privilege('public', '{view}', 'SELECT')") is True, view
        assert scalar(pg_url, f"SELECT obj_description('{view}'::regclass, 'pg_class')") == comment
    assert scalar(pg_url, "SELECT email FROM customer_emails") == "ann@example.com"
    again = run_compare(CompareOptions(connection=pg_url, desired_schema=desired))
    assert again.up.empty, again.up_sql


def test_a_view_over_a_whole_row_is_recreated_when_any_column_changes(pg_url, tmp_path: Path):
    execute(pg_url, "CREATE TABLE t (a int, b varchar(10)); CREATE VIEW rows_of_t AS SELECT t FROM t;")
    desired = tmp_path / "schema.sql"
    desired.write_text("CREATE TABLE t (a int, b text); CREATE VIEW rows_of_t AS SELECT t FROM t;\n")
    result = run_compare(CompareOptions(connection=pg_url, desired_schema=desired))
    assert "drop view public.rows_of_t" in [c.description for c in result.up.changes], result.up_sql


def test_migrations_waiting_unapplied_in_the_output_folder_are_named_in_a_warning(pg_url, tmp_path):
    execute(pg_url, "CREATE TABLE t (v int);")
    desired = tmp_path / "schema.sql"
    desired.write_text("CREATE TABLE t (v int); CREATE INDEX t_v_idx ON t (v);\n")
    out = tmp_path / "migrations"
    options = CompareOptions(connection=pg_url, desired_schema=desired, output=out)
    first = run_compare(options)
    assert not [w for w in first.warnings if w.rule == "pending-migrations"]

    second = run_compare(replace(options, name="again"))
    [pending] = [w for w in second.warnings if w.rule == "pending-migrations"]
    assert first.files[0].name in pending.message and "1 migration(s)" in pending.message
    assert second.files[0].name not in pending.message

    for path in second.files:
        path.unlink()
    applied = run_migrate(MigrateOptions(pg_url, out))
    assert isinstance(applied, RunReport) and len(applied.ran) == 1
    third = run_compare(options)
    assert third.up.empty and not [w for w in third.warnings if w.rule == "pending-migrations"]


def test_the_corpus_case_leaves_the_view_that_reads_no_changed_column_alone(corpus_results):
    """tests/pg_cases/view_not_reading_changed_column, which also converges both ways (test_convergence)."""
    result = corpus_results["view_not_reading_changed_column"]
    assert not isinstance(result, Exception), result
    for plan in (result.up, result.down):
        touched = {c.key for c in plan.changes if c.kind == "view"}
        assert touched == {"public.customer_emails", "public.customer_rows"}, plan.render("plan")
    text = result.up.render("up", split=True)
    assert "GRANT SELECT ON TABLE public.customer_emails TO PUBLIC" in text
    assert "COMMIT;" not in text[text.index('DROP VIEW "public"."customer_rows"') : text.index("GRANT")]
