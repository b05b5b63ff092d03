"""The generated migration files: each suggested index, applied from its file, is used by the planner and
lowers the statement's cost; every file applies and rolls back cleanly (the partitioned recipe included)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from senior_backend.common.pg.catalog import load_snapshot
from senior_backend.dbtool.analyze.indexes import Explainer, plan_cost, plan_indexes
from senior_backend.dbtool.analyze.query_shapes import parse_shape
from tests.dbtool_analyze.conftest import apply_file, create_database, drop_database, with_database

pytestmark = [pytest.mark.pg, pytest.mark.slow]


@pytest.fixture
def clone(shop):
    name = create_database(shop.server_url, template=shop.name)
    yield with_database(shop.server_url, name)
    drop_database(shop.server_url, name)


def index_state(url: str) -> dict[str, tuple[str, bool]]:
    with psycopg.connect(url) as conn:
        snapshot = load_snapshot(conn)
    return {key: (index.definition, index.is_valid) for key, index in snapshot.indexes.items()}


def files_of(output: Path, fix_name: str) -> tuple[Path, Path]:
    (up,) = output.glob(f"*_{fix_name}.up.sql")
    return up, up.with_name(up.name.replace(".up.sql", ".down.sql"))


def created_index_names(sql: str) -> set[str]:
    return {line.split('"')[1] for line in sql.splitlines() if line.startswith("CREATE INDEX")}


def test_each_suggested_index_is_used_and_cheaper(shop, clone):
    shop.needs_hypopg()
    suggestions = shop.findings("suggested-index")
    assert suggestions
    for finding in suggestions:
        up, _down = files_of(shop.output, finding["fix"]["name"])
        with psycopg.connect(clone, autocommit=True) as conn:
            snapshot = load_snapshot(conn)
            shapes = [parse_shape(q, snapshot) for q in finding["evidence"]["queries"]]
            before = [plan_cost(Explainer(conn).plan(shape)) for shape in shapes]
        apply_file(clone, up)
        names = created_index_names(up.read_text())
        with psycopg.connect(clone, autocommit=True) as conn:
            for shape, cost_before in zip(shapes, before, strict=True):
                plan = Explainer(conn).plan(shape)
                assert plan_indexes(plan) & names, f"{shape.text} does not use {names}"
                assert plan_cost(plan) < cost_before * 0.5


def test_all_files_apply_and_roll_back(shop, clone):
    before = index_state(clone)
    ups = sorted(shop.output.glob("*.up.sql"))
    assert len(ups) >= 10
    for up in ups:
        apply_file(clone, up)
    applied = index_state(clone)
    assert "public.customers_country_key" not in applied
    assert "public.orders_created_copy_idx" not in applied and "public.products_sku_idx" not in applied
    assert applied["public.events_customer_id_created_at_idx"][1] is True, (
        "partitioned index valid once attached"
    )
    assert applied["public.orders_customer_id_idx"][1] is True
    with psycopg.connect(clone) as conn:
        validated = conn.execute(
            "SELECT convalidated FROM pg_constraint WHERE conname = 'orders_total_positive'"
        )
        assert validated.fetchone()[0] is True
    for up in reversed(ups):
        apply_file(clone, up.with_name(up.name.replace(".up.sql", ".down.sql")))
    after = index_state(clone)
    expected = {key: value for key, value in before.items() if key != "public.customers_country_key"}
    assert after == expected
