"""A foreign key's checks look rows up by equality: a hash index on its column, or an index conditional only
on the column being not null (the common one for sparse links), serves them; the rule says nothing of those."""

from __future__ import annotations

import pytest

from tests.dbtool_analyze.conftest import analysed_objects

pytestmark = pytest.mark.pg

SCHEMA = """
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (
    id int PRIMARY KEY,
    by_hash int REFERENCES parent,
    sparse int REFERENCES parent,
    partly int REFERENCES parent,
    bare int REFERENCES parent
);
CREATE INDEX child_by_hash ON child USING hash (by_hash);
CREATE INDEX child_sparse ON child (sparse) WHERE sparse IS NOT NULL;
CREATE INDEX child_partly ON child (partly) WHERE partly > 10;
INSERT INTO parent SELECT generate_series(1, 100);
INSERT INTO child SELECT n, 1 + n % 100, NULLIF(n % 7, 0), 1 + n % 100, 1 + n % 100 FROM generate_series(1, 2000) AS n;
ANALYZE;
"""


def test_hash_and_not_null_partial_indexes_serve_a_foreign_key(make_database):
    unindexed = sorted(
        found[1] for found in analysed_objects(make_database(), SCHEMA, "unindexed-foreign-key")
    )
    assert unindexed == ["child_bare_fkey", "child_partly_fkey"], (
        "a predicate on values does not serve every lookup"
    )
