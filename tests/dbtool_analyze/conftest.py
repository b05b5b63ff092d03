"""One realistic database per session, with planted problems and a bounded workload, analysed once.

Planted: an unindexed foreign key (orders.customer_id), a composite foreign
key without an index (returns) beside one covered by a reordered index
(shipments) and one covered by a primary key (order_items.order_id); a
table without a primary key (audit_events, with half its rows deleted and
autovacuum off); an exact duplicate (orders_created_copy_idx), a covered
prefix (orders_status_idx), a duplicate of a unique constraint
(products_sku_idx); an unused index (customers_country_idx); an invalid
index (a failed CREATE UNIQUE INDEX CONCURRENTLY); a NOT VALID constraint;
a sequence at 93% of integer; a tiny table with an unindexed foreign key
(ignored); a partitioned table (events) with an unindexed foreign key.
Workload: two N+1 patterns (one child unindexed, bound with two integer
widths; one child covered by a primary key), a filter on an unindexed column
(customers.email) and an ORDER BY ... LIMIT on the partitioned table that
needs (customer_id, created_at). Every `--json` report the tests read goes through `report_of`,
which checks it against the published schema `dbtool-analyze.v1.json`.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from senior_backend.common.json_schemas import validation_errors
from senior_backend.common.pg.scratch import with_database
from tests.conftest import run_script

HERE = Path(__file__).resolve().parent


def report_of(result: subprocess.CompletedProcess[str]) -> dict:
    """The `--json` document a run printed, after checking it against its published schema."""
    report = json.loads(result.stdout)
    assert validation_errors(report, "dbtool-analyze") == []
    return report


def analysed_objects(url: str, schema: str, rule: str) -> list[list[str]]:
    """Load `schema` into the database at `url`, run `--analyze --json --min-rows 0` as a user would, and
    return the `objects` of every finding of `rule`."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(schema)
    result = run_script("database_migration_tool", "--connection", url, "--analyze", "--json", "--min-rows", "0")
    assert result.returncode in (0, 1), result.stderr
    return [finding["objects"] for finding in report_of(result)["findings"] if finding["rule"] == rule]


def create_database(server_url: str, template: str | None = None) -> str:
    name = f"sbanalyze_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        suffix = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{suffix}')
    return name


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def has_extension(url: str, name: str) -> bool:
    with psycopg.connect(url) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", (name,)).fetchone()
            is not None
        )


def run_workload(url: str) -> None:
    """A bounded workload: each loop has a fixed count, all on one connection."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(5):
            ids = [row[0] for row in conn.execute("SELECT id FROM customers ORDER BY id LIMIT 40")]
            for position, customer in enumerate(ids):
                if position % 2:
                    conn.execute(
                        "SELECT id, status, total_cents FROM orders WHERE customer_id = %s", (customer,)
                    )
                else:
                    conn.execute(
                        "SELECT id, status, total_cents FROM orders WHERE customer_id = %s::integer",
                        (customer,),
                    )
        for _ in range(3):
            orders = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM orders WHERE status = %s ORDER BY id LIMIT 30", ("paid",)
                )
            ]
            for order in orders:
                conn.execute("SELECT product_id, quantity FROM order_items WHERE order_id = %s", (order,))
        for n in range(30):
            conn.execute("SELECT id, country FROM customers WHERE email = %s", (f"user{n * 7}@example.com",))
        for n in range(10):
            conn.execute(
                "SELECT id, kind FROM events WHERE customer_id = %s ORDER BY created_at DESC LIMIT 20",
                (1 + n,),
            )


@dataclass
class Analysed:
    """The planted database and the tool's JSON report on it."""

    server_url: str
    name: str
    url: str
    report: dict
    output: Path
    stderr: str
    has_hypopg: bool

    def needs_hypopg(self) -> None:
        """Skip a test that checks hypopg-proven index suggestions where the server lacks hypopg
        (the embedded PostgreSQL of a fresh machine)."""
        if not self.has_hypopg:
            pytest.skip("needs hypopg (index proofs), which the embedded PostgreSQL does not ship")

    def findings(self, rule: str) -> list[dict]:
        return [f for f in self.report["findings"] if f["rule"] == rule]


@pytest.fixture(scope="session")
def shop_server_url(pg_server_url: str) -> str:
    """The test server: it preloads pg_stat_statements (the embedded one always does); hypopg is
    optional and only the tests of proven suggestions need it."""
    return pg_server_url


@pytest.fixture(scope="session")
def shop(shop_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Analysed]:
    hypopg = has_extension(shop_server_url, "hypopg")
    name = create_database(shop_server_url)
    url = with_database(shop_server_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            if hypopg:
                conn.execute("CREATE EXTENSION hypopg")
            conn.execute("CREATE EXTENSION pg_stat_statements")
            conn.execute((HERE / "shop.sql").read_text())
            with pytest.raises(psycopg.errors.UniqueViolation):
                conn.execute("CREATE UNIQUE INDEX CONCURRENTLY customers_country_key ON customers (country)")
            conn.execute("ANALYZE")
            dbid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[
                0
            ]
            conn.execute("SELECT pg_stat_statements_reset(0, %s, 0)", (dbid,))
        run_workload(url)
        output = tmp_path_factory.mktemp("migrations")
        result = run_script(
            "database_migration_tool",
            "--connection",
            url,
            "--analyze",
            "--suggest-indexes",
            "--output",
            str(output),
            "--json",
        )
        assert result.returncode == 0, result.stderr
        yield Analysed(shop_server_url, name, url, report_of(result), output, result.stderr, hypopg)
    finally:
        drop_database(shop_server_url, name)


def split_statements(sql: str) -> list[str]:
    import pglast

    return list(pglast.split(sql))


def apply_file(url: str, path: Path) -> None:
    """Apply a migration file the way the runner does: one statement at a time outside a transaction
    when marked no-transaction, else all of it in one transaction."""
    from senior_backend.dbtool.migration_files import is_no_transaction

    sql = path.read_text()
    if is_no_transaction(sql):
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in split_statements(sql):
                conn.execute(statement)
    else:
        with psycopg.connect(url) as conn, conn.transaction():
            conn.execute(sql)
