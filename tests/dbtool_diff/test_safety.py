"""Safe by default: the corpus plans use the online-safe forms, flag rewrites and data loss, and keep data."""

from __future__ import annotations

import psycopg
import pytest

from senior_backend.common.pg.model import Privilege, Snapshot
from senior_backend.dbtool.diff.plan import diff_snapshots
from senior_backend.dbtool.diff.support import type_change_cost
from senior_backend.dbtool.migrate.runner import execute_script
from tests.dbtool_diff.convergence import load

pytestmark = pytest.mark.pg


def up_text(corpus_results, name: str) -> str:
    return corpus_results[name].up.render(name)


def test_index_on_existing_table_is_concurrent_but_not_on_new_table(corpus_results):
    assert "CREATE INDEX CONCURRENTLY users_age_idx" in up_text(corpus_results, "index_add_existing")
    assert corpus_results["index_add_existing"].up.no_transaction
    new_table = up_text(corpus_results, "table_add")
    assert "CREATE INDEX orders_user_id_idx" in new_table and "CONCURRENTLY" not in new_table
    assert "DROP INDEX CONCURRENTLY" in corpus_results["index_drop"].up.render("x")


def test_foreign_key_and_check_are_added_not_valid_then_validated(corpus_results):
    for name, constraint in (
        ("fk_add_existing", "orders_user_id_fkey"),
        ("check_add_existing", "users_age_check"),
    ):
        text = up_text(corpus_results, name)
        add = text.index(f'ADD CONSTRAINT "{constraint}"')
        assert text[add:].split("\n")[0].endswith("NOT VALID;")
        assert text.index(f'VALIDATE CONSTRAINT "{constraint}"') > add


def test_set_not_null_goes_through_a_validated_check(corpus_results):
    text = up_text(corpus_results, "column_set_not_null")
    order = [
        text.index(part)
        for part in (
            'CHECK ("age" IS NOT NULL) NOT VALID',
            "VALIDATE CONSTRAINT",
            "SET NOT NULL",
            "DROP CONSTRAINT",
        )
    ]
    assert order == sorted(order)


def test_unique_on_existing_table_builds_its_index_concurrently(corpus_results):
    text = up_text(corpus_results, "unique_add_existing")
    assert "CREATE UNIQUE INDEX CONCURRENTLY users_email_key" in text
    assert 'UNIQUE USING INDEX "users_email_key"' in text


def test_timeouts_come_first(corpus_results):
    lines = [
        line
        for line in up_text(corpus_results, "column_add_nullable").splitlines()
        if not line.startswith("--")
    ]
    assert lines[0].startswith("SET lock_timeout") and lines[1].startswith("SET statement_timeout")


def test_rewrites_and_data_loss_are_flagged_and_commented(corpus_results):
    widen = corpus_results["column_type_widen_int_bigint"].up
    assert [c.rewrites for c in widen.changes] == [True] and not widen.data_loss
    assert "rewrites the table" in widen.render("x")
    narrow = corpus_results["column_type_narrow"].up
    assert narrow.data_loss and "WARNING: data loss" in narrow.render("x")
    assert corpus_results["column_drop"].up.data_loss
    assert corpus_results["table_drop"].up.data_loss
    assert not corpus_results["column_type_varchar_extend"].up.changes[0].rewrites
    assert corpus_results["enum_remove_value"].up.data_loss
    assert not corpus_results["enum_reorder"].up.data_loss


@pytest.mark.quick
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("integer", "bigint", (True, False)),
        ("character varying(20)", "character varying(200)", (False, False)),
        ("character varying(200)", "character varying(20)", (False, True)),
        ("character varying(20)", "text", (False, False)),
        ("text", "character varying(10)", (True, True)),
        ("numeric(10,2)", "numeric(12,2)", (False, False)),
        ("numeric(10,2)", "numeric(10,4)", (True, True)),
        ("bigint", "integer", (True, True)),
        ("integer", "numeric(12,2)", (True, False)),  # 10 integer digits fit
        ("integer", "numeric(11,2)", (True, True)),
        ("bigint", "numeric", (True, False)),
    ],
)
def test_type_change_cost(old, new, expected):
    assert type_change_cost(old, new) == expected


def test_what_no_builder_can_spell_is_refused_not_raised():
    grant = Privilege("server", "srv", None, "bob", "USAGE", False)
    plan = diff_snapshots(
        Snapshot(180000), Snapshot(180000, privileges={grant.key: grant}), with_privileges=True
    )
    assert [r.rule for r in plan.refusals] == ["not-rendered"]
    assert all(statement.startswith("-- ") for statement in plan.statements())


def test_tables_and_columns_are_altered_in_place_and_keep_their_rows(db_pool):
    current = "CREATE TABLE t (id int PRIMARY KEY, n int, note text);\nINSERT INTO t SELECT g, g, 'x' FROM generate_series(1, 50) g;"
    desired = "CREATE TABLE t (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0, note varchar(100), extra text);\nCREATE INDEX t_n ON t (n);"
    with db_pool.databases(2) as (work, target):
        plan = diff_snapshots(load(work, current), load(target, desired))
        text = plan.render("x")
        assert "DROP TABLE" not in text and "DROP COLUMN" not in text
        with psycopg.connect(work, autocommit=True) as conn:
            oid_before = conn.execute("SELECT 't'::regclass::oid").fetchone()[0]
            execute_script(conn, text, "x", no_transaction=plan.no_transaction)
            assert conn.execute("SELECT 't'::regclass::oid").fetchone()[0] == oid_before
            assert conn.execute("SELECT count(*), sum(n) FROM t").fetchone() == (50, 1275)


def test_uncovered_objects_are_reported(db_pool):
    desired = "CREATE TABLE t (v int);\nCREATE RULE r AS ON INSERT TO t DO ALSO NOTIFY t;\nCREATE AGGREGATE mysum(int) (SFUNC = int4pl, STYPE = int);"
    with db_pool.databases(2) as (work, target):
        plan = diff_snapshots(load(work, ""), load(target, desired))
    assert any("rule public.t.r" in w for w in (d.message for d in plan.warnings))
    assert any("aggregate public.mysum" in w for w in (d.message for d in plan.warnings))


def test_output_is_deterministic(db_pool):
    from tests.dbtool_diff.convergence import CASES

    case = CASES / "many_changes_at_once"
    texts = set()
    for _ in range(2):
        with db_pool.databases(2) as (work, target):
            old = load(work, (case / "current.sql").read_text())
            new = load(target, (case / "desired.sql").read_text())
            texts.add(diff_snapshots(old, new).render("x"))
    assert len(texts) == 1


def test_an_emptied_pool_database_equals_a_fresh_one(db_pool, make_database):
    from senior_backend.dbtool.diff.plan import snapshot_differences
    from tests.dbtool_diff.convergence import snapshot

    with db_pool.databases(1) as (url,):
        load(url, "CREATE SCHEMA x;\nCREATE EXTENSION citext;\nCREATE TABLE public.t (v citext);")
    with db_pool.databases(8) as urls:
        fresh = snapshot(make_database())
        for url in urls:
            assert snapshot_differences(snapshot(url), fresh, with_privileges=True) == []
