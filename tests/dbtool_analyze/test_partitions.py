"""Partitions roll up to their partitioned table: thresholds, foreign-key coverage, duplicates and fixes.

The schema is written the way older schemas and dumps have it: the foreign key of `orders` declared
on each partition (`ALTER TABLE ONLY <partition> ADD CONSTRAINT ...`), keys not called `id`, a hand-made
index on two of three partitions (the third, this year's, is small), and `visits` whose partitions each
carry an index for a foreign key declared on the parent (served: a negative control). `payments`
has its foreign key on the parent and no index at all, and a statement orders one customer's payments
by date: the suggestion (a composite where the planner or the heuristic wants one) and the foreign
key's fix become one index on the parent, never the composite plus its leading column.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import run_script
from tests.dbtool_analyze.conftest import has_extension, report_of

pytestmark = pytest.mark.pg

SCHEMA = """
CREATE TABLE customers (customer_no integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (
    order_no bigint NOT NULL, customer_no integer NOT NULL, placed_on date NOT NULL, total numeric NOT NULL
) PARTITION BY RANGE (placed_on);
CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE orders_2025 PARTITION OF orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE orders_2026 PARTITION OF orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE ONLY orders_2024 ADD CONSTRAINT orders_2024_customer_fk FOREIGN KEY (customer_no) REFERENCES customers;
ALTER TABLE ONLY orders_2025 ADD CONSTRAINT orders_2025_customer_fk FOREIGN KEY (customer_no) REFERENCES customers;
ALTER TABLE ONLY orders_2026 ADD CONSTRAINT orders_2026_customer_fk FOREIGN KEY (customer_no) REFERENCES customers;
CREATE INDEX orders_2024_customer_no_idx ON orders_2024 (customer_no);
CREATE INDEX orders_2025_customer_no_idx ON orders_2025 (customer_no);

CREATE TABLE visits (visit_no bigint NOT NULL, customer_no integer NOT NULL REFERENCES customers, at date NOT NULL)
    PARTITION BY RANGE (at);
CREATE TABLE visits_2025 PARTITION OF visits FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE visits_2026 PARTITION OF visits FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX visits_2025_by_customer ON visits_2025 (customer_no);
CREATE INDEX visits_2026_by_customer ON visits_2026 (customer_no);
CREATE INDEX visits_at_idx ON visits (at);
CREATE INDEX visits_2025_at_copy ON visits_2025 (at);   -- a hand-made copy of the attached index
CREATE TABLE payments (payment_no bigint NOT NULL, customer_no integer NOT NULL REFERENCES customers,
    paid_on date NOT NULL, amount numeric NOT NULL) PARTITION BY RANGE (paid_on);
CREATE TABLE payments_2025 PARTITION OF payments FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE payments_2026 PARTITION OF payments FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 2000) g;
INSERT INTO orders SELECT g, 1 + g % 2000, DATE '2024-01-01' + (g % 700), g % 100 FROM generate_series(1, 30000) g;
INSERT INTO orders SELECT 100000 + g, 1 + g % 2000, DATE '2026-02-01' + (g % 30), 1 FROM generate_series(1, 40) g;
INSERT INTO visits SELECT g, 1 + g % 2000, DATE '2025-01-01' + (g % 600) FROM generate_series(1, 20000) g;
INSERT INTO payments SELECT g, 1 + g % 2000, DATE '2025-01-01' + (g % 700), 5 FROM generate_series(1, 30000) g;
ANALYZE;
"""

QUERIES = """
SELECT order_no, total FROM orders WHERE customer_no = $1 ORDER BY placed_on DESC LIMIT 20;
SELECT visit_no FROM visits WHERE customer_no = $1;
SELECT payment_no, amount FROM payments WHERE customer_no = $1 ORDER BY paid_on DESC LIMIT 20;
"""


def analyse(url: str, *extra: str) -> dict:
    result = run_script("database_migration_tool", "--connection", url, "--analyze", "--json", *extra)
    assert result.returncode == 0, result.stderr
    return report_of(result)


def rules_on(report: dict, *rules: str) -> list[dict]:
    return [f for f in report["findings"] if f["rule"] in rules]


@pytest.fixture
def shop_with_partitions(pg_url: str) -> str:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        if has_extension(pg_url, "hypopg"):
            conn.execute("CREATE EXTENSION hypopg")
        conn.execute(SCHEMA)
    return pg_url


def test_partition_foreign_keys_roll_up_and_fixes_never_duplicate(shop_with_partitions, tmp_path):
    url = shop_with_partitions
    queries = tmp_path / "queries.sql"
    queries.write_text(QUERIES)
    output = tmp_path / "migrations"
    report = analyse(url, "--suggest-indexes", "--queries", str(queries), "--output", str(output))

    fks = {f["objects"][0]: f for f in rules_on(report, "unindexed-foreign-key")}
    assert set(fks) == {"public.orders", "public.payments"}
    fk = fks["public.orders"]
    # one finding for the table, judged on its total rows (orders_2026 alone is under --min-rows)
    assert fk["objects"] == [
        "public.orders",
        "orders_2024_customer_fk",
        "orders_2025_customer_fk",
        "orders_2026_customer_fk",
    ]
    assert fk["evidence"]["without_index"] == ["public.orders_2026"]
    assert fk["evidence"]["rows"] >= 30000

    (copy,) = rules_on(report, "duplicate-index")
    assert copy["objects"][1] == "public.visits_2025_at_copy"

    suggested = {f["objects"][0]: f for f in rules_on(report, "suggested-index")}
    assert (
        "public.payments" in suggested and "public.visits" not in suggested
    )  # visits: every partition has it
    for table, suggestion in suggested.items():
        if (
            len(suggestion["evidence"]["columns"]) > 1
            and suggestion["evidence"]["columns"][0] == "customer_no"
        ):
            assert fks[table]["fix"] is None
            assert f"served by the wider index on {table} (customer_no, " in fks[table]["advice"]

    created = [
        line
        for path in sorted(output.glob("*.up.sql"))
        for line in path.read_text().splitlines()
        if line.startswith("CREATE INDEX")
    ]
    for table in ("orders", "payments"):
        (parent,) = [line for line in created if f'ON ONLY "public"."{table}"' in line]
        assert '("customer_no"' in parent
    # a partition's hand-made index with the parent index's columns is attached, never built again
    for line in created:
        for partition in ("orders_2024", "orders_2025"):
            assert f'"public"."{partition}" ("customer_no");' not in line, line

    migrated = run_script("database_migration_tool", "--connection", url, "--migrate", str(output))
    assert migrated.returncode == 0, migrated.stderr
    with psycopg.connect(url) as conn:
        invalid = conn.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone()[0]
    assert invalid == 0

    again = analyse(url, "--suggest-indexes", "--queries", str(queries))
    assert rules_on(again, "unindexed-foreign-key", "suggested-index", "duplicate-index") == []
    # the only thing a composite on orders can leave: the hand-made single-column indexes it now covers
    covered = {f["objects"][1] for f in rules_on(again, "covered-index")}
    assert covered <= {"public.orders_2024_customer_no_idx", "public.orders_2025_customer_no_idx"}
    orders = suggested.get("public.orders")
    if orders is None or len(orders["evidence"]["columns"]) == 1:
        assert covered == set()


def test_a_wider_index_fix_replaces_the_narrower_ones():
    from senior_backend.common.diagnostics import Level
    from senior_backend.dbtool.analyze.findings import Finding, Fix
    from senior_backend.dbtool.analyze.fix_overlap import merge_index_fixes

    def finding(rule: str, table: str, columns: tuple[str, ...]) -> Finding:
        fix = Fix(f"index_{'_'.join(columns)}", "up", "down", creates_index=(table, columns))
        return Finding(rule, Level.WARNING, "m", (table,), fix=fix)

    fk = finding("unindexed-foreign-key", "public.t", ("b", "a"))  # a foreign key: any order
    prefix = finding("suggested-index", "public.t", ("a",))
    reordered = finding("suggested-index", "public.t", ("b",))  # not a prefix of (a, b, c)
    wide = finding("suggested-index", "public.t", ("a", "b", "c"))
    other_table = finding("suggested-index", "public.u", ("a",))
    merged = merge_index_fixes([fk, prefix, reordered, wide, other_table])
    assert [f.fix is not None for f in merged] == [False, False, True, True, True]
    assert merged[0].advice.startswith("served by the wider index on public.t (a, b, c)")
