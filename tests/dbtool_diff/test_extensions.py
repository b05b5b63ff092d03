"""Extension versions: updated along PostgreSQL's update paths, recreated when unused, refused when in use."""

from __future__ import annotations

import pytest

from senior_backend.dbtool.diff.plan import migration_plans
from tests.dbtool_diff.convergence import load

pytestmark = pytest.mark.pg


def test_update_path_up_and_recreate_down(corpus_results):
    result = corpus_results["extension_version_update"]
    up, down = result.up.statements(), result.down.statements()
    assert "ALTER EXTENSION \"cube\" UPDATE TO '1.5';" in up
    assert "ALTER EXTENSION \"pg_trgm\" UPDATE TO '1.6';" in up
    assert down[:2] == [
        'DROP EXTENSION "cube";',
        'CREATE EXTENSION "cube" WITH SCHEMA "public" VERSION \'1.4\';',
    ]


def test_downgrade_of_an_extension_in_use_is_not_written(db_pool):
    current = "CREATE EXTENSION hstore VERSION '1.7';\nCREATE TABLE settings (tags hstore);\n"
    with db_pool.databases(2) as (a, b):
        old = load(a, current)
        new = load(b, current.replace("'1.7'", "'1.8'"))
    up, down = migration_plans(old, new)
    assert up.statements() == ["ALTER EXTENSION \"hstore\" UPDATE TO '1.8';"] and not up.refusals
    assert down.statements() == []
    assert any("hstore from version 1.8 to 1.7" in w and "no update path" in w for w in (d.message for d in down.warnings))
