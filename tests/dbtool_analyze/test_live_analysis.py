"""--analyze and --suggest-indexes on the planted shop database (see conftest.py): every planted problem
reported, no false positives, N+1 pairs, proven suggestions with composite order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from senior_backend.common.pg.catalog import load_snapshot
from senior_backend.dbtool.migrate.lint import lint_file
from tests.conftest import run_script
from tests.dbtool_analyze.conftest import report_of

pytestmark = [pytest.mark.pg, pytest.mark.slow]
TOOL_NAME = "database_migration_tool"


def found(shop) -> set[tuple[str, str]]:
    return {(f["rule"], obj) for f in shop.report["findings"] for obj in f["objects"]}


def test_every_planted_problem_is_reported(shop):
    expected = {
        ("unindexed-foreign-key", "orders_customer_id_fkey"),
        ("unindexed-foreign-key", "returns_order_id_product_id_fkey"),
        ("unindexed-foreign-key", "order_items_product_id_fkey"),
        ("unindexed-foreign-key", "events_customer_id_fkey"),
        ("missing-primary-key", "public.audit_events"),
        ("duplicate-index", "public.orders_created_copy_idx"),
        ("covered-index", "public.orders_status_idx"),
        ("duplicate-index", "public.products_sku_idx"),
        ("unused-index", "public.customers_country_idx"),
        ("invalid-index", "public.customers_country_key"),
        ("unvalidated-constraint", "orders_total_positive"),
        ("sequence-near-max", "public.ticket_seq"),
        ("vacuum-overdue", "public.audit_events"),
        ("heavy-seq-scans", "public.events"),
        ("timestamp-without-time-zone", "public.audit_events.happened_at"),
        ("serial-column", "public.products.id"),
        ("varchar-limit", "public.products.sku"),
        ("nullable-foreign-key", "audit_events_customer_id_fkey"),
    }
    missing = expected - found(shop)
    assert not missing, missing
    levels = {f["rule"]: f["level"] for f in shop.report["findings"]}
    assert levels["invalid-index"] == "error"
    assert levels["sequence-near-max"] == "error"
    assert shop.report["summary"]["error"] == sum(1 for f in shop.report["findings"] if f["level"] == "error")


def test_no_false_positives(shop):
    reported = found(shop)
    # covered by the primary key (order_id, product_id), by a reordered composite index, or a tiny table
    assert ("unindexed-foreign-key", "order_items_order_id_fkey") not in reported
    assert ("unindexed-foreign-key", "shipments_order_id_product_id_fkey") not in reported
    assert not any(obj == "public.tiny_notes" for _, obj in reported)
    (tiny,) = [note for note in shop.report["notes"] if note["rule"] == "small-tables-ignored"]
    assert "under 1000 rows were ignored" in tiny["message"] and tiny["level"] == "info"
    assert tiny["hint"] == "--min-rows to change"
    # the only index of a foreign key is not "unused" garbage
    assert ("unused-index", "public.shipments_product_order_idx") not in reported
    # the index kept in place of a duplicate/covered one is not also proposed for dropping
    assert ("unused-index", "public.orders_status_created_idx") not in reported
    assert ("unused-index", "public.orders_created_idx") not in reported
    with psycopg.connect(shop.url) as conn:
        backing = {
            row[0]
            for row in conn.execute("SELECT conindid::regclass::text FROM pg_constraint WHERE conindid <> 0")
        }
    dropped = [
        f["objects"][1] for f in shop.report["findings"] if f["fix"] and "DROP INDEX" in f["fix"]["up"]
    ]
    assert dropped
    assert not {name.removeprefix("public.") for name in dropped} & backing


def test_n_plus_one_pairs(shop):
    pairs = {tuple(f["objects"]): f for f in shop.findings("n-plus-one")}
    assert set(pairs) == {("public.orders", "customer_id"), ("public.order_items", "order_id")}
    unindexed = pairs[("public.orders", "customer_id")]["evidence"]
    assert unindexed["child_variants"] == 2, "the int4 and int8 bindings count as one shape"
    assert unindexed["child_calls"] == 200 and unindexed["parent_calls"] == 5
    assert unindexed["calls_ratio"] == 40.0
    assert "FROM customers" in unindexed["parent_query"]
    assert "= ANY($1)" in pairs[("public.orders", "customer_id")]["advice"]
    assert '("customer_id")' in pairs[("public.orders", "customer_id")]["fix"]["up"]
    indexed = pairs[("public.order_items", "order_id")]
    assert indexed["evidence"]["child_column_indexed"] is True
    assert indexed["fix"] is None, "no index proposed when the child is already indexed"


def test_suggestions_are_proven_and_new(shop):
    shop.needs_hypopg()
    suggestions = shop.findings("suggested-index")
    got = {(f["objects"][0], tuple(f["evidence"]["columns"])) for f in suggestions}
    assert got == {
        ("public.customers", ("email",)),
        ("public.orders", ("customer_id",)),
        ("public.events", ("customer_id", "created_at")),
    }
    for finding in suggestions:
        evidence = finding["evidence"]
        assert evidence["verified"] is True
        assert evidence["cost_reduction"] >= 0.5
        assert evidence["cost_after"] < evidence["cost_before"]
    with psycopg.connect(shop.url) as conn:
        snapshot = load_snapshot(conn)
    for table, columns in got:
        for index in snapshot.indexes_of(table):
            assert tuple(index.key_columns[: len(columns)]) != columns, (
                f"{index.name} already serves {columns}"
            )
    events = next(f for f in suggestions if f["objects"][0] == "public.events")
    up = events["fix"]["up"]
    assert 'ON ONLY "public"."events"' in up
    assert up.count("CREATE INDEX CONCURRENTLY IF NOT EXISTS") == 3 and up.count("ATTACH PARTITION") == 3


def test_suggest_from_a_queries_file(shop, tmp_path):
    shop.needs_hypopg()
    queries = tmp_path / "slow.sql"
    queries.write_text(
        "SELECT id FROM orders WHERE total_cents = 4242;\n"
        "SELECT id FROM orders WHERE status = 'paid' ORDER BY created_at LIMIT 5;\n"
        "SELECT o.id FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.email = 'user42@example.com';\n"
    )
    result = run_script(
        "database_migration_tool",
        "--connection",
        shop.url,
        "--suggest-indexes",
        "--queries",
        str(queries),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = report_of(result)
    got = {(f["objects"][0], tuple(f["evidence"]["columns"])) for f in report["findings"]}
    # the join gets one index per side; status/created_at is already served by an index
    assert got == {
        ("public.orders", ("total_cents",)),
        ("public.orders", ("customer_id",)),
        ("public.customers", ("email",)),
    }
    assert all(f["evidence"]["verified"] for f in report["findings"])


@contextmanager
def analysed_as(shop, role: str, grants: str = "") -> Iterator[dict]:
    """The `--analyze --json` report of the shop database read by a new login role (dropped after)."""
    with psycopg.connect(shop.server_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN {grants}")
    try:
        url = shop.url.replace("postgres@", f"{role}@", 1)
        result = run_script(TOOL_NAME, "--connection", url, "--analyze", "--json")
        assert result.returncode == 0, result.stderr
        yield report_of(result)
    finally:
        with psycopg.connect(shop.server_url, autocommit=True) as admin:
            admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_analyze_needs_only_pg_monitor(shop):
    with analysed_as(shop, f"sb_monitor_{shop.name[-8:]}", "IN ROLE pg_monitor") as report:
        as_monitor = {(f["rule"], tuple(f["objects"])) for f in report["findings"]}
        as_owner = {
            (f["rule"], tuple(f["objects"]))
            for f in shop.report["findings"]
            if f["rule"] != "suggested-index"
        }
        # PostgreSQL 15 hides sequence values from roles without SELECT/USAGE on them: said, not guessed
        assert as_monitor == as_owner - {("sequence-near-max", ("public.ticket_seq",))}
        (unreadable,) = [check for check in report["skipped"] if check["rule"] == "sequences-unreadable"]
        assert "sequence(s) are not readable" in unreadable["message"] and unreadable["level"] == "warning"
        assert unreadable["hint"].startswith("GRANT SELECT ON ALL SEQUENCES")


CATALOG_ONLY_RULES = {
    "unindexed-foreign-key",
    "missing-primary-key",
    "duplicate-index",
    "covered-index",
    "invalid-index",
    "unvalidated-constraint",
    "serial-column",
    "timestamp-without-time-zone",
    "varchar-limit",
    "nullable-foreign-key",
}


def test_a_role_with_no_grants_still_gets_every_catalog_check(shop):
    """Without pg_monitor (and so without reading shared_preload_libraries) the analysis runs: the
    catalog-only checks find what the owner finds, and exit 0 (it used to be exit 4 and nothing)."""

    def catalog_only(findings: list[dict]) -> set[tuple[str, tuple[str, ...]]]:
        return {(f["rule"], tuple(f["objects"])) for f in findings if f["rule"] in CATALOG_ONLY_RULES}

    with analysed_as(shop, f"sb_plain_{shop.name[-8:]}") as report:
        assert catalog_only(report["findings"]) == catalog_only(shop.report["findings"])
        assert catalog_only(report["findings"])


def test_split_snapshot_loading_matches_the_single_pass(shop):
    from senior_backend.common.pg.catalog import load_kind

    with psycopg.connect(shop.url) as conn:
        whole = load_snapshot(conn)
        split = load_snapshot(conn, skip=("indexes",))
        assert split.indexes == {} and split.tables == whole.tables
        assert load_kind(conn, "indexes") == whole.indexes


def test_a_locked_table_is_a_clean_error_not_a_hang(shop):
    with psycopg.connect(shop.url) as locker:
        locker.execute("LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE")
        result = run_script(TOOL_NAME, "--connection", shop.url, "--analyze", timeout=60)
        locker.rollback()
    assert result.returncode == 4
    assert result.stderr.startswith("error: a table is locked") and "Traceback" not in result.stderr


def test_the_written_fixes_lint_clean(shop):
    """The analyser's own migrations pass the migration lint (`--lint`), statement limits included."""
    written = sorted(shop.output.glob("*.sql"))
    assert written
    findings = {path.name: [f.rule for f in lint_file(path)] for path in written}
    assert {name: rules for name, rules in findings.items() if rules} == {}
