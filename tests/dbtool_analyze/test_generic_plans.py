"""Generic plans for `$1` statements: EXPLAIN (GENERIC_PLAN) on 16+ and the PREPARE fallback agree.

Runs on the embedded server (PostgreSQL 16 from the pgserver wheel), so both paths run for real here
while the shop tests cover the fallback on the system PostgreSQL 15.
"""

from __future__ import annotations

import pytest

from senior_backend.common.pg.catalog import load_snapshot
from senior_backend.common.pg.connect import connect
from senior_backend.dbtool.analyze.indexes import Explainer, plan_cost, plan_indexes
from senior_backend.dbtool.analyze.query_shapes import parse_shape
from senior_backend.dbtool.shadow import ShadowServer

pytestmark = pytest.mark.pg


def test_generic_plan_option_and_prepare_fallback_agree():
    with ShadowServer().database() as url, connect(url) as conn:
        if conn.info.server_version < 160000:
            pytest.skip("the embedded server is older than 16")
        conn.execute("CREATE TABLE t (id bigint PRIMARY KEY, k int NOT NULL)")
        conn.execute("INSERT INTO t SELECT g, g % 500 FROM generate_series(1, 20000) g")
        conn.execute("CREATE INDEX t_k_idx ON t (k)")
        conn.execute("ANALYZE t")
        shape = parse_shape("SELECT id FROM t WHERE k = $1 AND id > $2", load_snapshot(conn))
        explainer = Explainer(conn)
        assert explainer.generic_plan_option
        native = explainer.plan(shape)
        explainer.generic_plan_option = False
        fallback = explainer.plan(shape)
        assert plan_cost(native) == pytest.approx(plan_cost(fallback))
        assert plan_indexes(native) == plan_indexes(fallback) == {"t_k_idx"}
