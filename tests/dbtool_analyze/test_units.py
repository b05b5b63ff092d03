"""Pure units of the analyser: statement shapes, grouping by shape, migration file naming, index SQL, and
the report (its JSON against the published schema, its plain lines)."""

from __future__ import annotations

import pytest

from senior_backend.common.pg.model import Column, Index, Snapshot, Table
from senior_backend.dbtool.analyze.advisor import Context, duplicate_indexes
from senior_backend.dbtool.analyze.query_shapes import parse_shape
from senior_backend.dbtool.analyze.stats import Statement, Statistics
from senior_backend.dbtool.analyze.workload import from_statements
from senior_backend.dbtool.index_ddl import concurrent_index, create_index_fix, index_name
from senior_backend.dbtool.migration_files import is_no_transaction, write_migration

pytestmark = pytest.mark.quick


def table(
    snapshot: Snapshot, name: str, columns: list[str], kind: str = "r", parent: str | None = None
) -> Table:
    t = Table(
        "public", name, kind, "p", False, False, 0, 0, None, None, (parent,) if parent else (), bool(parent)
    )
    for position, column in enumerate(columns, 1):
        t.columns[column] = Column(column, position, "bigint", "pg_catalog", "int8", "b", True, None, "", "")
    snapshot.tables[t.key] = t
    return t


def index(snapshot: Snapshot, name: str, table_name: str, columns: tuple[str, ...], **extra) -> Index:
    values = dict(
        schema="public",
        name=name,
        table_name=table_name,
        definition=f"CREATE INDEX {name} ON public.{table_name} USING btree ({', '.join(columns)})",
        method="btree",
        is_unique=False,
        is_primary=False,
        is_valid=True,
        key_count=len(columns),
        columns=columns,
        expressions=None,
        predicate=None,
        constraint_name=None,
        size_bytes=8192,
        is_partitioned=False,
    )
    values.update(extra)
    idx = Index(**values)
    snapshot.indexes[idx.key] = idx
    return idx


@pytest.fixture
def shop() -> Snapshot:
    snapshot = Snapshot(server_version=150000)
    table(snapshot, "users", ["id", "email"])
    table(snapshot, "orders", ["id", "user_id", "status", "created_at"])
    return snapshot


def test_shape_roles_aliases_and_joins(shop):
    shape = parse_shape(
        "SELECT o.id FROM orders o JOIN users u ON u.id = o.user_id "
        "WHERE u.email = $1 AND status IN ($2, $3) AND created_at > now() - interval '1 day' "
        "ORDER BY o.created_at DESC LIMIT 10",
        shop,
    )
    assert shape.tables == {"public.orders", "public.users"}
    assert shape.columns("public.users", ("eq",)) == ["email"]
    assert shape.columns("public.orders", ("eq",)) == ["status"]
    assert shape.columns("public.orders", ("join",)) == ["user_id"]
    assert shape.columns("public.orders", ("range", "order")) == ["created_at"]
    assert shape.param_count == 3


def test_shape_ignores_unknown_tables_and_non_queries(shop):
    assert parse_shape("CREATE TABLE x (id int)", shop) is None
    assert parse_shape("SELECT * FROM pg_class WHERE relname = $1", shop).tables == set()
    assert parse_shape("SELECT (", shop) is None


def test_integer_widths_group_as_one_shape(shop):
    rows = [
        Statement(1, "SELECT * FROM orders WHERE user_id = $1", 60, 120, 5.0),
        Statement(2, "SELECT * FROM orders WHERE user_id = $1::integer", 40, 80, 3.0),
        Statement(3, "SELECT * FROM users ORDER BY id LIMIT $1", 2, 100, 1.0),
    ]
    groups = from_statements(rows, shop)
    assert [(g.calls, g.rows, g.variants) for g in groups] == [(100, 200, 2), (2, 100, 1)]


def test_migration_files_keep_order_and_mark_no_transaction(tmp_path):
    first = write_migration(
        tmp_path,
        "Add index: orders(user_id)!",
        "CREATE INDEX CONCURRENTLY x ON t (c);",
        "DROP INDEX x;",
        True,
    )
    second = write_migration(tmp_path, "validate", "ALTER TABLE t VALIDATE CONSTRAINT c;", "SELECT 1;")
    assert first[0].name.endswith("_add_index_orders_user_id.up.sql")
    assert first[0].name[:14] < second[0].name[:14], "a later file always gets a later timestamp"
    assert is_no_transaction(first[0].read_text()) and is_no_transaction(first[1].read_text())
    assert not is_no_transaction(second[0].read_text())


def test_index_names_fit_postgres_limit():
    long = index_name("t" * 60, ("column_" * 5,))
    assert len(long.encode()) <= 63
    assert long != index_name("t" * 60, ("other_" * 5,))


def test_nested_partitions_recipe(shop):
    table(shop, "events", ["id", "user_id"], kind="p")
    table(shop, "events_2025", ["id", "user_id"], kind="p", parent="public.events")
    table(shop, "events_2025_h1", ["id", "user_id"], parent="public.events_2025")
    table(shop, "events_2026", ["id", "user_id"], parent="public.events")
    fix = create_index_fix(shop, "public.events", ("user_id",), "index_events_user_id")
    lines = [line for line in fix.up.splitlines() if not line.startswith("--")]
    assert lines[0].startswith("SET lock_timeout")
    assert lines[1].startswith('CREATE INDEX IF NOT EXISTS "events_user_id_idx" ON ONLY "public"."events"')
    assert sum("ON ONLY" in line for line in lines) == 2  # the parent and the sub-partitioned child
    assert sum("CONCURRENTLY" in line for line in lines) == 2  # the two leaves
    assert sum("ATTACH PARTITION" in line for line in lines) == 3
    assert fix.no_transaction and "DROP INDEX IF EXISTS" in fix.down


def test_duplicates_respect_constraints_predicates_and_uniqueness(shop):
    index(shop, "users_email_key", "users", ("email",), is_unique=True, constraint_name="users_email_key")
    index(shop, "users_email_idx", "users", ("email",))
    index(shop, "orders_status_idx", "orders", ("status",))
    index(shop, "orders_status_created_idx", "orders", ("status", "created_at"))
    index(shop, "orders_status_paid_idx", "orders", ("status",), predicate="(status = 'paid'::text)")
    index(shop, "orders_user_uniq", "orders", ("user_id",), is_unique=True)
    index(shop, "orders_user_status_idx", "orders", ("user_id", "status"))
    findings = duplicate_indexes.check(Context(shop, Statistics(live=False)))
    got = {(f.rule, f.objects[1], f.objects[2]) for f in findings}
    assert got == {
        ("duplicate-index", "public.users_email_idx", "public.users_email_key"),
        ("covered-index", "public.orders_status_idx", "public.orders_status_created_idx"),
    }


def test_xid_age_and_sequences_from_statistics(shop):
    from datetime import datetime, timezone

    from senior_backend.common.pg.model import Sequence
    from senior_backend.dbtool.analyze.advisor import maintenance, sequences
    from senior_backend.dbtool.analyze.stats import TableStats

    stats = Statistics(live=True, database="app", xid_age=1_500_000_000, freeze_max_age=200_000_000)
    stats.tables["public.orders"] = TableStats(
        5000, 0, 0, 0, 0, 0, datetime.now(timezone.utc), datetime.now(timezone.utc), 1_400_000_000
    )
    (finding,) = maintenance.check(Context(shop, stats))
    assert finding.rule == "xid-age" and finding.level.value == "error"
    assert finding.evidence["oldest_table"] == "public.orders"
    stats.xid_age = 100_000_000
    assert maintenance.check(Context(shop, stats)) == []
    for last, expected in ((1_700_000_000, "warning"), (2_000_000_000, "error"), (1_000_000_000, None)):
        shop.sequences = {
            "public.s": Sequence("public", "s", "integer", 1, 1, 1, 2**31 - 1, 1, False, None, False, last)
        }
        found = sequences.check(Context(shop, stats))
        assert [f.level.value for f in found] == ([expected] if expected else [])


def test_n_plus_one_without_a_foreign_key_uses_the_naming_convention(shop):
    from senior_backend.dbtool.analyze.advisor import n_plus_one

    stats = Statistics(live=True)
    stats.statements = [
        Statement(1, "SELECT id, email FROM users ORDER BY id LIMIT $1", 4, 100, 2.0),
        Statement(2, "SELECT * FROM orders WHERE user_id = $1", 100, 300, 9.0),
        Statement(3, "SELECT * FROM orders WHERE status = $1", 100, 300, 9.0),
    ]
    (finding,) = n_plus_one.check(Context(shop, stats))
    assert finding.objects == ("public.orders", "user_id")
    assert finding.evidence["calls_ratio"] == 25.0 and finding.evidence["parent_calls"] == 4
    assert finding.fix is not None and '("user_id")' in finding.fix.up


def test_one_concurrent_index_rewrite_for_the_diff_and_the_fixes():
    unique = "CREATE UNIQUE INDEX u ON public.t USING btree (a)"
    assert concurrent_index(unique, if_not_exists=True) == (
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u ON public.t USING btree (a)"
    )
    plain = 'CREATE INDEX "CREATE INDEX x" ON public.t USING btree (a)'
    assert concurrent_index(plain, if_not_exists=False) == (
        'CREATE INDEX CONCURRENTLY "CREATE INDEX x" ON public.t USING btree (a)'
    )


def _analysis():
    from senior_backend.common.diagnostics import Level, info, warning
    from senior_backend.dbtool.analyze.findings import Finding, Fix
    from senior_backend.dbtool.analyze.run import AnalysisResult

    finding = Finding(
        rule="unindexed-foreign-key",
        level=Level.WARNING,
        message="foreign key orders_user_id_fkey has no index",
        objects=("public.orders", "orders_user_id_fkey"),
        evidence={"columns": ["user_id"]},
        fix=Fix("index_orders_user_id", "CREATE INDEX ...;", "DROP INDEX ...;", no_transaction=True),
    )
    return AnalysisResult(
        source="postgresql://app:***@db/app",
        live=True,
        findings=[finding],
        notes=[
            info(
                "small-tables-ignored", "2 table(s) under 1000 rows were ignored", hint="--min-rows to change"
            )
        ],
        skipped=[warning("hypopg-missing", "hypopg is not installed", hint="run CREATE EXTENSION hypopg")],
    )


def test_the_json_report_matches_its_schema_and_the_old_keys_do_not():
    from senior_backend.common.json_schemas import validation_errors
    from senior_backend.dbtool.analyze.report import to_json

    report = to_json(_analysis())
    assert validation_errors(report, "dbtool-analyze") == []
    finding = report["findings"][0]
    assert list(finding) == ["rule", "level", "message", "objects", "evidence", "fix", "advice"]
    assert report["notes"][0] == {
        "rule": "small-tables-ignored",
        "level": "info",
        "message": "2 table(s) under 1000 rows were ignored",
        "where": None,
        "hint": "--min-rows to change",
    }
    renamed = {
        **report,
        "findings": [{**{k: v for k, v in finding.items() if k != "level"}, "severity": "warning"}],
    }
    assert any("'level' is a required property" in e for e in validation_errors(renamed, "dbtool-analyze"))
    bare = {**report, "skipped": ["hypopg is not installed"]}
    assert validation_errors(bare, "dbtool-analyze")
    assert validation_errors({**report, "extra": 1}, "dbtool-analyze")


def test_plain_report_prints_notes_and_skipped_checks_as_sentences():
    import io

    from senior_backend.common.console import Output
    from senior_backend.dbtool.analyze.report import show

    stdout, stderr = io.StringIO(), io.StringIO()
    show(Output("table", stdout, stderr), _analysis())
    assert "level\trule\tobjects\tmessage\tfix\n" in stdout.getvalue()
    assert "note: 2 table(s) under 1000 rows were ignored (--min-rows to change)\n" in stdout.getvalue()
    assert stderr.getvalue() == "note: hypopg is not installed (to enable: run CREATE EXTENSION hypopg)\n"
