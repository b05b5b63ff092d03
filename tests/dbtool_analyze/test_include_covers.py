"""An index is covered by one with the same keys that carries more INCLUDE columns: every lookup it serves,
the wider one serves too (a unique one is kept: it enforces something)."""

from __future__ import annotations

import pytest

from tests.dbtool_analyze.conftest import analysed_objects

pytestmark = pytest.mark.pg

SCHEMA = """
CREATE TABLE items (id int PRIMARY KEY, z int, x int, y int);
CREATE INDEX items_z ON items (z);
CREATE INDEX items_z_incl_x ON items (z) INCLUDE (x);
CREATE INDEX items_z_incl_xy ON items (z) INCLUDE (x, y);
CREATE UNIQUE INDEX items_y_key ON items (y);
CREATE INDEX items_y_incl_x ON items (y) INCLUDE (x);
INSERT INTO items SELECT n, n % 50, n, n FROM generate_series(1, 2000) AS n;
ANALYZE;
"""


def test_an_index_is_covered_by_the_same_keys_with_more_included_columns(make_database):
    objects = analysed_objects(make_database(), SCHEMA, "covered-index")
    covered = sorted((found[1], found[2]) for found in objects)
    assert ("public.items_z", "public.items_z_incl_xy") in covered or (
        "public.items_z",
        "public.items_z_incl_x",
    ) in covered
    assert any(name == "public.items_z_incl_x" for name, _ in covered), covered
    assert all(name != "public.items_y_key" for name, _ in covered), "a unique index enforces its keys"
