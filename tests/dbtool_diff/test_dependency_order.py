"""Drops in dependency order keep what survives, and data removed anywhere (children, partitions) is named.

The corpus (`tests/pg_cases`) proves each ordering class converges up and down; these tests look at
what the corpus cannot: the rows kept through a migration, and what the data-loss refusal says.
"""

from __future__ import annotations

import psycopg
import pytest

from senior_backend.dbtool.diff.plan import diff_snapshots, migration_plans
from senior_backend.dbtool.diff.run import CompareOptions, CompareRefused, run_compare
from senior_backend.dbtool.migrate.runner import execute_script
from tests.dbtool_diff.convergence import CASES, load

pytestmark = pytest.mark.pg


def case_sql(name: str) -> tuple[str, str]:
    return (CASES / name / "current.sql").read_text(), (CASES / name / "desired.sql").read_text()


def migrate(url: str, current: str, desired: str, target: str) -> list[str]:
    """Apply the up migration from `current` to `desired` (loaded into `url` and `target`); its lossy
    changes' descriptions."""
    plan = diff_snapshots(load(url, current), load(target, desired))
    with psycopg.connect(url, autocommit=True) as conn:
        execute_script(conn, plan.render("up"), "up", no_transaction=plan.no_transaction)
    return [change.description for change in plan.data_loss]


def test_a_column_moved_into_a_child_keeps_the_childs_values(db_pool):
    current, desired = case_sql("inheritance_column_moves_to_child")
    with db_pool.databases(2) as (work, target):
        plan = diff_snapshots(load(work, current), load(target, desired))
        assert 'ALTER TABLE ONLY "public"."base" DROP COLUMN "e";' in plan.statements()
        lossy = [change.description for change in plan.data_loss]
        assert any("public.base.e" in d and "kept, with its values, by public.a" in d for d in lossy), lossy
        assert any(d == "drop column public.b.e" for d in lossy), lossy
        with psycopg.connect(work, autocommit=True) as conn:
            execute_script(conn, plan.render("up"), "up", no_transaction=plan.no_transaction)
            assert conn.execute("SELECT a1, e FROM a").fetchall() == [(1, "kept")]
            assert conn.execute("SELECT b1 FROM b").fetchall() == [(2,)]
            local = conn.execute(
                "SELECT attislocal FROM pg_attribute WHERE attrelid = 'a'::regclass AND attname = 'e'"
            ).fetchone()
            assert local == (True,)


CHILDREN = """
CREATE TABLE base (id int, e text);
CREATE TABLE child (c int) INHERITS (base);
CREATE TABLE grandchild (g int) INHERITS (child);
CREATE TABLE events (id int, at date NOT NULL, payload text) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO grandchild VALUES (1, 'x', 2, 3);
INSERT INTO events VALUES (1, '2024-02-01', 'p');
"""
WITHOUT = """
CREATE TABLE base (id int);
CREATE TABLE child (c int) INHERITS (base);
CREATE TABLE grandchild (g int) INHERITS (child);
CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
"""


def test_the_data_loss_refusal_names_every_child_and_partition_that_loses_values(db_pool):
    with db_pool.databases(2) as (work, target):
        load(work, CHILDREN)
        load(target, WITHOUT)
        with pytest.raises(CompareRefused) as refused:
            run_compare(CompareOptions(connection=work, desired_url=target))
        message = str(refused.value)
        for name in ("public.base.e", "public.child", "public.grandchild", "public.events.payload"):
            assert name in message, message
        assert "public.events_2024" in message, message
        allowed = run_compare(CompareOptions(connection=work, desired_url=target, allow_data_loss=True))
        with psycopg.connect(work, autocommit=True) as conn:
            execute_script(conn, allowed.up_sql, "up", no_transaction=allowed.up.no_transaction)
            assert conn.execute("SELECT id, c, g FROM grandchild").fetchall() == [(1, 2, 3)]
            assert conn.execute("SELECT count(*) FROM events").fetchone() == (1,)


def test_rows_survive_when_the_key_a_foreign_key_uses_is_replaced(db_pool):
    current, desired = case_sql("fk_referenced_key_changes")
    rows = (
        "INSERT INTO accounts VALUES (1, 'eu', 'A'), (2, 'us', 'B');\n"
        "INSERT INTO invoices VALUES (10, 1, 'A'), (11, 2, 'B');"
    )
    with db_pool.databases(2) as (work, target):
        migrate(work, current + rows, desired, target)
        with psycopg.connect(work, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM invoices").fetchone() == (2,)
            fkeys = conn.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'invoices'::regclass AND contype = 'f' "
                "AND convalidated ORDER BY 1"
            ).fetchall()
            assert fkeys == [("invoices_account_code_fkey",), ("invoices_account_id_fkey",)]


def test_dropping_referenced_tables_keeps_the_surviving_ones(db_pool):
    current, desired = case_sql("fk_cycle_drop")
    with db_pool.databases(2) as (work, target):
        lossy = migrate(work, current + "INSERT INTO stays VALUES (7);", desired, target)
        assert sorted(lossy) == [
            "drop table public.departments",
            "drop table public.employees",
            "drop table public.nodes",
        ]
        with psycopg.connect(work, autocommit=True) as conn:
            assert conn.execute("SELECT id FROM stays").fetchall() == [(7,)]


def test_an_enum_change_gets_its_down_migration(db_pool):
    current, desired = case_sql("enum_value_added_with_new_column")
    with db_pool.databases(2) as (work, target):
        up, down = migration_plans(load(work, current), load(target, desired))
    assert [w.rule for w in down.warnings if w.rule == "not-reversed"] == []
    statements = down.statements()
    recreate = statements.index("CREATE TYPE \"public\".\"order_status\" AS ENUM ('new', 'paid', 'shipped');")
    drop_old = statements.index('DROP TYPE "public"."order_status__old";')
    assert recreate < statements.index('DROP TABLE "public"."refunds";') < drop_old
    rename = statements.index('ALTER TYPE "public"."order_status" RENAME TO "order_status__old";')
    assert statements.index('DROP FUNCTION "public"."is_final"(s order_status);') < rename
    assert any(change.down for change in up.changes if change.kind == "type")
