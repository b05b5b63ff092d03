"""Splitting and classifying migration statements with PostgreSQL's parser."""

from __future__ import annotations

import pytest

from senior_backend.dbtool.sqltext import (
    needs_no_transaction,
    parse_one,
    split_statements,
    transaction_control,
    without_concurrently,
)

pytestmark = pytest.mark.quick


def test_statements_keep_their_lines_and_dollar_quoted_bodies():
    text = "-- header\nSET lock_timeout = '5s';\n\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN RETURN 1; END $$;\n/* c */ SELECT ';';\n"
    statements = split_statements(text)
    assert [s.line for s in statements] == [2, 4, 6]
    assert statements[1].text.endswith("END $$")
    assert statements[2].text == "SELECT ';'"


def test_classification():
    assert transaction_control(parse_one("BEGIN")) == "begin"
    assert transaction_control(parse_one("COMMIT")) == "commit"
    assert transaction_control(parse_one("SELECT 1")) is None
    node = parse_one("CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)")
    assert needs_no_transaction(node)
    assert without_concurrently(node) == "CREATE UNIQUE INDEX i ON t (a)"
    assert needs_no_transaction(parse_one("VACUUM t"))
    assert not needs_no_transaction(parse_one("CREATE INDEX i ON t (a)"))
    assert needs_no_transaction(parse_one("DROP INDEX CONCURRENTLY i"))
