"""The lint's data-loss and run-time-failure rules, and where it reports the missing timeouts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from senior_backend.common.diagnostics import Level
from senior_backend.common.pg.scratch import with_database
from senior_backend.dbtool.migrate.lint import RULES, lint_sql
from senior_backend.dbtool.migration_files import NO_TRANSACTION_MARKER

TIMEOUTS = "SET lock_timeout = '5s';\nSET statement_timeout = '1min';\n"

# rule -> (a statement that has the hazard, a close one that does not)
CASES = {
    "ban-drop-extension": ("DROP EXTENSION hstore;", "CREATE EXTENSION hstore;"),
    "ban-drop-type": ("DROP TYPE mood CASCADE;", "DROP TYPE mood;"),
    "ban-delete-without-where": ("DELETE FROM customers;", "DELETE FROM customers WHERE id = 7;"),
    "update-without-where": (
        "UPDATE orders SET status = 'paid';",
        "UPDATE orders SET status = 'paid' WHERE id BETWEEN 1 AND 1000;",
    ),
    "ban-drop-view": ("DROP VIEW order_totals;", "CREATE OR REPLACE VIEW order_totals AS SELECT 1 AS n;"),
}
LEVELS = {
    "ban-drop-extension": Level.ERROR,
    "ban-drop-type": Level.ERROR,
    "ban-delete-without-where": Level.ERROR,
    "update-without-where": Level.WARNING,
    "ban-drop-view": Level.WARNING,
    "ban-new-enum-value-use-in-transaction": Level.ERROR,
}


def _rules(sql: str) -> list[tuple[int, str]]:
    return [(f.line, f.rule) for f in lint_sql(sql)]


@pytest.mark.quick
@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_new_rule_flags_its_hazard_and_not_the_safe_form(rule: str):
    hazard, safe = CASES[rule]
    findings = lint_sql(TIMEOUTS + hazard + "\n")
    assert [(f.line, f.rule) for f in findings] == [(3, rule)]
    assert findings[0].level is LEVELS[rule] is RULES[rule].level
    assert findings[0].fix == RULES[rule].fix and "{table}" not in findings[0].message
    assert _rules(TIMEOUTS + safe + "\n") == []


@pytest.mark.quick
def test_messages_name_the_object_at_risk():
    sql = TIMEOUTS + "DROP TYPE billing.mood CASCADE;\nDELETE FROM customers;\nDROP EXTENSION pg_trgm;\n"
    messages = [f.message for f in lint_sql(sql)]
    assert "billing.mood" in messages[0] and "customers" in messages[1] and "pg_trgm" in messages[2]


@pytest.mark.quick
def test_drop_domain_cascade_is_the_same_hazard_and_a_matview_drop_too():
    sql = TIMEOUTS + "DROP DOMAIN email CASCADE;\nDROP MATERIALIZED VIEW daily_stats;\nDROP DOMAIN email;\n"
    assert _rules(sql) == [(3, "ban-drop-type"), (4, "ban-drop-view")]


@pytest.mark.quick
def test_a_view_dropped_and_created_again_in_the_file_is_a_replacement():
    sql = TIMEOUTS + (
        "DROP VIEW order_totals;\n"
        "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);\n"
        "CREATE VIEW order_totals AS SELECT sum(total) FROM orders;\n"
        "DROP VIEW stale_report;\n"
    )
    assert _rules(sql) == [(4, "changing-column-type"), (6, "ban-drop-view")]


@pytest.mark.quick
def test_writes_to_a_table_created_in_the_same_file_are_not_flagged():
    sql = (
        TIMEOUTS
        + "CREATE TABLE staging (id int, s text);\nUPDATE staging SET s = 'x';\nDELETE FROM staging;\n"
    )
    assert _rules(sql) == []


ENUM_IN_TRANSACTION = (
    "ALTER TYPE order_status ADD VALUE 'refunded';\nUPDATE orders SET status = 'refunded' WHERE id = 1;\n"
)


@pytest.mark.quick
def test_a_new_enum_value_used_in_its_own_transaction_is_an_error():
    assert _rules(TIMEOUTS + ENUM_IN_TRANSACTION) == [(4, "ban-new-enum-value-use-in-transaction")]
    message = lint_sql(TIMEOUTS + ENUM_IN_TRANSACTION)[0].message
    assert "'refunded'" in message and "order_status" in message and "unsafe use of new value" in message


@pytest.mark.quick
def test_a_new_enum_value_used_after_commit_is_fine():
    # no-transaction file: each statement commits on its own
    assert _rules(NO_TRANSACTION_MARKER + "\n" + TIMEOUTS + ENUM_IN_TRANSACTION) == []
    # an explicit transaction in a no-transaction file: unsafe inside it, fine after COMMIT
    sql = (
        NO_TRANSACTION_MARKER + "\n" + TIMEOUTS + "BEGIN;\n"
        "ALTER TYPE order_status ADD VALUE 'refunded';\n"
        "SELECT 'refunded'::order_status;\n"
        "COMMIT;\n"
        "SELECT 'refunded'::order_status;\n"
    )
    assert _rules(sql) == [(6, "ban-new-enum-value-use-in-transaction")]
    # a column or value of another name is no use of the new value
    assert _rules(TIMEOUTS + "ALTER TYPE order_status ADD VALUE 'refunded';\nSELECT refunded FROM t;\n") == []


@pytest.mark.quick
def test_missing_timeouts_are_reported_at_the_first_statement_that_takes_a_lock():
    sql = (
        NO_TRANSACTION_MARKER + "\n"
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);\n"
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;\n"
    )
    assert _rules(sql) == [(2, "require-lock-timeout"), (2, "require-statement-timeout")]
    for first in (
        "DELETE FROM customers WHERE id = 1;",
        "DROP TABLE legacy;",
        "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x';",
        "DROP INDEX CONCURRENTLY old_idx;",
    ):
        found = lint_sql(
            NO_TRANSACTION_MARKER + "\nSELECT 1;\n" + first + "\nALTER TABLE t ADD COLUMN c int;\n"
        )
        assert {(f.line, f.rule) for f in found if f.rule.endswith("timeout")} == {
            (3, "require-lock-timeout"),
            (3, "require-statement-timeout"),
        }, first


def test_the_cli_reports_every_new_rule_with_its_line(tmp_path: Path, run_tool: Callable[..., object]):
    migration = tmp_path / "0007_cleanup.sql"
    migration.write_text(
        "-- cleanup\n"
        "DROP EXTENSION x;\n"
        "DROP TYPE t CASCADE;\n"
        "DELETE FROM customers;\n"
        "UPDATE orders SET status='paid';\n"
        "DROP VIEW v;\n"
        "ALTER TYPE e ADD VALUE 'x';\n"
        "INSERT INTO orders (status) VALUES ('x');\n"
    )
    done = run_tool("database_migration_tool", "--lint", str(migration), "--json")
    assert done.returncode == 1, done.stderr  # type: ignore[attr-defined]
    found = {(f["line"], f["rule"]) for f in json.loads(done.stdout)["findings"]}  # type: ignore[attr-defined]
    assert found == {
        (2, "require-lock-timeout"),
        (2, "require-statement-timeout"),
        (2, "ban-drop-extension"),
        (3, "ban-drop-type"),
        (4, "ban-delete-without-where"),
        (5, "update-without-where"),
        (6, "ban-drop-view"),
        (8, "ban-new-enum-value-use-in-transaction"),
    }


@pytest.fixture
def rlint_db(pg_server_url: str) -> Iterator[str]:
    name = f"rlint_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield with_database(pg_server_url, name)
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgresql_really_refuses_the_flagged_enum_use_and_accepts_the_safe_one(rlint_db: str):
    with psycopg.connect(rlint_db, autocommit=True) as conn:
        conn.execute("CREATE TYPE order_status AS ENUM ('new', 'paid')")
        conn.execute("CREATE TABLE orders (id int, status order_status)")
        with pytest.raises(psycopg.errors.UnsafeNewEnumValueUsage), conn.transaction():
            for statement in ENUM_IN_TRANSACTION.splitlines():
                conn.execute(statement)
        for statement in ENUM_IN_TRANSACTION.splitlines():  # autocommit: what the no-transaction file does
            conn.execute(statement)
        assert conn.execute("SELECT 'refunded'::order_status::text").fetchone() == ("refunded",)
