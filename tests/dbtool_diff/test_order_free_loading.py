"""Desired schema files load in any order (`--compare`): what a statement uses may come later in the file or in
a later file, the target's schemas may be used without being created, and unqualified names land where the
target role's own search_path puts them. What loads in no order is reported, one `file:line` line each."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from senior_backend.common.json_schemas import validation_errors
from senior_backend.common.pg.scratch import with_database
from senior_backend.dbtool.diff.run import CompareOptions, run_compare
from senior_backend.dbtool.migrate.runner import execute_script
from tests.dbtool_diff.test_runner import TOOL

pytestmark = pytest.mark.pg

# hand-written, top-down: the view and the table that use things first, what they use last
TOP_DOWN = """-- the API's read model first, the tables it reads at the end
CREATE VIEW active_users AS SELECT id, email FROM users WHERE active;

CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    code text NOT NULL DEFAULT new_order_code()
);

CREATE FUNCTION new_order_code() RETURNS text LANGUAGE sql AS $$ SELECT 'o-' || md5(random()::text) $$;

CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    active boolean NOT NULL DEFAULT true
);
"""


def converge(target: str, desired: Path) -> list[str]:
    """Diff the target against `desired`, apply the up migration, and return what a second diff still finds."""
    result = run_compare(CompareOptions(connection=target, desired_schema=desired))
    with psycopg.connect(target, autocommit=True) as conn:
        execute_script(conn, result.up_sql, "up", no_transaction=result.no_transaction)
    again = run_compare(CompareOptions(connection=target, desired_schema=desired))
    return [change.description for change in again.up.changes]


def relations(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relkind IN ('r', 'v') "
            "ORDER BY 1, 2"
        ).fetchall()


def test_views_defaults_and_foreign_keys_before_what_they_use(pg_url: str, tmp_path: Path) -> None:
    desired = tmp_path / "schema.sql"
    desired.write_text(TOP_DOWN)
    assert converge(pg_url, desired) == []
    assert relations(pg_url) == [
        ("public", "active_users", "v"),
        ("public", "orders", "r"),
        ("public", "users", "r"),
    ]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (email) VALUES ('a@example.com')")
        code = conn.execute("INSERT INTO orders (user_id) VALUES (1) RETURNING code").fetchone()[0]
    assert code.startswith("o-"), "the default calls the function defined after the table"


def test_one_file_per_object_in_a_folder_in_the_wrong_order(pg_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "schema"
    (folder / "tables").mkdir(parents=True)
    (folder / "views").mkdir()
    # name order: tables/invoices.sql (in a BEGIN/COMMIT block, referencing customers) before
    # tables/z_customers.sql, and views/a_totals.sql (using views/b_sums.sql's view) before b_sums.sql
    (folder / "a_reporting.sql").write_text("CREATE SCHEMA reporting;\n")
    (folder / "tables" / "invoices.sql").write_text(
        "BEGIN;\nCREATE TABLE invoices (\n    id int PRIMARY KEY,\n    customer_id int NOT NULL REFERENCES customers,\n"
        "    total numeric(12, 2) NOT NULL CHECK (total >= 0)\n);\n"
        "CREATE INDEX invoices_customer_id ON invoices (customer_id);\nCOMMIT;\n"
    )
    (folder / "tables" / "z_customers.sql").write_text(
        "CREATE TABLE customers (id int PRIMARY KEY, name text);\n"
    )
    (folder / "views" / "a_totals.sql").write_text(
        "CREATE VIEW reporting.totals AS SELECT c.name, t.total FROM customers c JOIN reporting.invoice_sums t "
        "ON t.customer_id = c.id;\n"
    )
    (folder / "views" / "b_sums.sql").write_text(
        "CREATE VIEW reporting.invoice_sums AS SELECT customer_id, sum(total) AS total FROM invoices "
        "GROUP BY customer_id;\n"
    )
    assert converge(pg_url, folder) == []
    assert relations(pg_url) == [
        ("public", "customers", "r"),
        ("public", "invoices", "r"),
        ("reporting", "invoice_sums", "v"),
        ("reporting", "totals", "v"),
    ]


def test_a_retried_statement_runs_under_the_settings_of_its_file(pg_url: str, tmp_path: Path) -> None:
    """pg_dump-style files set search_path: a statement retried later runs under its own file's setting,
    and one file's SET still does not reach the next."""
    folder = tmp_path / "schema"
    folder.mkdir()
    (folder / "1_app.sql").write_text(
        "CREATE SCHEMA app;\nSET search_path = app;\nCREATE VIEW recent AS SELECT id FROM events;\n"
        "CREATE TABLE events (id int);\n"
    )
    (folder / "2_public.sql").write_text("CREATE TABLE audit (id int);\n")
    assert converge(pg_url, folder) == []
    assert relations(pg_url) == [("app", "events", "r"), ("app", "recent", "v"), ("public", "audit", "r")]


def test_schemas_the_target_has_may_be_used_without_being_created(pg_url: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA billing; CREATE TABLE billing.accounts (id int PRIMARY KEY)")
        conn.execute("INSERT INTO billing.accounts VALUES (1)")
    desired = tmp_path / "billing.sql"
    desired.write_text(
        "CREATE TABLE billing.invoices (id int PRIMARY KEY, account_id int REFERENCES billing.accounts);\n"
        "CREATE TABLE billing.accounts (id int PRIMARY KEY);\n"
    )
    result = run_compare(CompareOptions(connection=pg_url, desired_schema=desired))
    assert [change.description for change in result.up.changes] == [
        "create table billing.invoices",
        "add constraint billing.invoices.invoices_pkey",
        "add constraint billing.invoices.invoices_account_id_fkey",
    ]
    assert any("schema billing is used by the schema files" in w.message for w in result.warnings)
    assert converge(pg_url, desired) == []
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM billing.accounts").fetchone()[0] == 1


@pytest.fixture
def role_with_search_path(pg_server_url: str) -> tuple[str, str]:
    """A login role whose own search_path is `app, public`, and a database it owns with schema app."""
    role, database = "t17_order_free_owner", "t17_order_free_target"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.execute(f'CREATE ROLE "{role}" LOGIN CREATEDB')
        admin.execute(f'ALTER ROLE "{role}" SET search_path = app, public')
        admin.execute(f'CREATE DATABASE "{database}" OWNER "{role}"')
    url = make_conninfo(with_database(pg_server_url, database), user=role)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA app AUTHORIZATION CURRENT_USER")
        conn.execute("CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL)")
        assert conn.execute("SELECT 'app.users'::regclass::text").fetchone()[0] == "users"
    yield url, role
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.parametrize("shadow", ["target", "embedded"])
def test_unqualified_names_land_where_the_target_roles_search_path_puts_them(
    shadow: str, role_with_search_path: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = role_with_search_path
    desired = tmp_path / "schema.sql"
    desired.write_text(
        "CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users);\n"
        "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\n"
    )
    result = run_compare(CompareOptions(connection=url, desired_schema=desired, shadow=shadow))
    assert [change.description for change in result.up.changes] == [
        "create table app.orders",
        "add constraint app.orders.orders_pkey",
        "add constraint app.orders.orders_user_id_fkey",
    ]
    assert any("schema app is used by the schema files" in w.message for w in result.warnings)


def test_what_loads_in_no_order_is_reported_one_line_each_with_file_and_line(
    tmp_path: Path, run_tool, pg_url: str
) -> None:
    folder = tmp_path / "schema"
    folder.mkdir()
    (folder / "a.sql").write_text(
        "CREATE TABLE users (id int PRIMARY KEY);\n\nCREATE TABLE orders (\n    id int PRIMARY KEY,\n"
        "    user_id int REFERENCES users,\n    placed timestamptz NOT NULL DEFAULT nowish()\n);\n"
    )
    (folder / "b.sql").write_text(
        "CREATE VIEW open_orders AS SELECT id FROM orders;\nCREATE VIEW x AS SELEC 1;\n"
    )
    syntax = run_tool(TOOL, "--connection", pg_url, "--compare", str(folder))
    assert syntax.returncode == 2 and f"{folder / 'b.sql'}:2" in syntax.stderr

    (folder / "b.sql").write_text("CREATE VIEW open_orders AS SELECT id FROM orders;\n")
    human = run_tool(TOOL, "--connection", pg_url, "--compare", str(folder))
    assert human.returncode == 2 and human.stdout == ""
    lines = human.stderr.strip().splitlines()
    assert f'error: {folder / "b.sql"}:1: relation "orders" does not exist' in lines
    last = lines[-1]
    assert last.startswith(f"error: {folder / 'a.sql'}:") and "function nowish() does not exist" in last
    assert "(and 1 more statement(s) that do not load)" in last
    assert "Traceback" not in human.stderr

    as_json = run_tool(TOOL, "--connection", pg_url, "--compare", str(folder), "--json")
    assert as_json.returncode == 2
    document = json.loads(as_json.stdout)
    assert validation_errors(document, "error") == []
    assert document["exit_code"] == 2 and document["error"]["rule"] == "bad-schema"
    assert "nowish()" in document["error"]["message"]


def test_a_search_path_schema_the_files_do_not_use_is_not_kept(
    role_with_search_path: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = role_with_search_path
    desired = tmp_path / "schema.sql"
    desired.write_text("CREATE TABLE public.users (id int PRIMARY KEY, email text NOT NULL);\n")
    result = run_compare(CompareOptions(connection=url, desired_schema=desired, allow_data_loss=True))
    described = [change.description for change in result.up.changes]
    assert "drop table app.users" in described and "drop schema app" in described, described
    assert "create table public.users" in described
    assert not any("schema app is used" in w.message for w in result.warnings)
