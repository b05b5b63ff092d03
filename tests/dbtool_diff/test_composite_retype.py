"""A composite type's attribute given another type while a table column stores the type: PostgreSQL refuses
ALTER ATTRIBUTE ... TYPE then, so the diff refuses (exit 3, naming the column) instead of writing a migration
that fails; widening an attribute is not data loss."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.pg

TOOL = "database_migration_tool"
TYPE = "CREATE TYPE money2 AS (amount {amount}, currency text);\n"


def test_retyping_an_attribute_a_column_stores_is_refused_naming_the_column(pg_url, tmp_path: Path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            TYPE.format(amount="int") + "CREATE TABLE accounts (id int PRIMARY KEY, balance money2);"
        )
    desired = tmp_path / "desired.sql"
    desired.write_text(
        TYPE.format(amount="bigint") + "CREATE TABLE accounts (id int PRIMARY KEY, balance money2);"
    )
    out = tmp_path / "migrations"
    refused = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired), "--output", str(out))
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert (
        "attribute amount of type public.money2" in refused.stderr
        and "public.accounts.balance" in refused.stderr
    )
    assert not out.exists()


def test_widening_an_attribute_of_an_unused_type_is_altered_without_data_loss(
    pg_url, tmp_path: Path, run_tool
):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(TYPE.format(amount="int"))
    desired = tmp_path / "desired.sql"
    desired.write_text(TYPE.format(amount="bigint"))
    out = tmp_path / "migrations"
    written = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired), "--output", str(out))
    assert written.returncode == 0, written.stderr
    applied = run_tool(TOOL, "--connection", pg_url, "--migrate", str(out))
    assert applied.returncode == 0, applied.stderr
    with psycopg.connect(pg_url) as conn:
        kind = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'money2'::regclass AND attname = 'amount'"
        ).fetchone()[0]
    assert kind == "bigint"
