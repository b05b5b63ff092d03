"""`--queries FILE`: a statement PostgreSQL rejects is reported at the file's line and column.

The statements start on later lines after comments, span lines and carry multibyte characters before
the token in error: PostgreSQL's positions count characters from the start of the statement it was
sent, the report counts lines and columns of the file.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from senior_backend.common.pg.catalog import load_snapshot
from senior_backend.dbtool.analyze.indexes import Explainer
from senior_backend.dbtool.analyze.query_shapes import parse_shape
from senior_backend.dbtool.sqltext import Place, place_of
from tests.conftest import run_script
from tests.dbtool_analyze.conftest import report_of

TOOL = "database_migration_tool"

SYNTAX = """-- slow statements of the shop
SELECT id FROM items WHERE sku = 'sku42';

/* the report query,
   over several lines */
-- its author misspelt FROM
SELECT *
  /* ünïcödé */ FORM items
 WHERE note = 'n';
"""

UNPLANNABLE = """-- two statements PostgreSQL cannot plan, one that it can
SELECT id FROM items WHERE sku = 'sku42';

  -- a column that does not exist, after multibyte text on its line
  SELECT id,
         note
    FROM items
   WHERE note = 'ünïcödé' AND nope = 1;
SELECT id FROM items
 WHERE price = $1 AND ghost_column > 2;
"""


def where_of(text: str, token: str, source: Path, occurrence: int = 0) -> str:
    """`source:line:column` of `token`, counted by hand over the file's lines."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        column = line.find(token)
        if column >= 0:
            found.append(f"{source}:{number}:{column + 1}")
    return found[occurrence]


@pytest.fixture
def items_url(pg_url: str) -> str:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id bigint PRIMARY KEY, sku text NOT NULL, note text, price int)")
        conn.execute("INSERT INTO items SELECT g, 'sku' || g, 'n', g % 100 FROM generate_series(1, 3000) g")
        conn.execute("ANALYZE items")
    return pg_url


def suggest(url: str, queries: Path, *extra: str):
    return run_script(
        TOOL, "--connection", url, "--analyze", "--suggest-indexes", "--queries", str(queries), *extra
    )


def test_a_syntax_error_names_the_line_and_column_of_the_file(items_url: str, tmp_path: Path):
    queries = tmp_path / "queries.sql"
    queries.write_text(SYNTAX, encoding="utf-8")
    result = suggest(items_url, queries)
    assert result.returncode == 2, result.stdout
    expected = where_of(SYNTAX, "FORM items", queries)
    assert expected == f"{queries}:8:17"
    assert result.stderr.strip() == f'error: {expected}: syntax error at or near "FORM"'


def test_a_syntax_error_at_the_end_of_the_file_points_past_its_last_character(items_url: str, tmp_path: Path):
    queries = tmp_path / "queries.sql"
    queries.write_text("SELECT id FROM items;\nSELECT id FROM items\n WHERE (sku = 'ü'\n\n", encoding="utf-8")
    result = suggest(items_url, queries)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {queries}:3:18: syntax error at end of input"


def test_a_statement_postgresql_cannot_plan_is_noted_at_the_column_it_points_at(
    items_url: str, tmp_path: Path
):
    queries = tmp_path / "queries.sql"
    queries.write_text(UNPLANNABLE, encoding="utf-8")
    result = suggest(items_url, queries, "--json")
    assert result.returncode == 0, result.stderr
    report = report_of(result)
    notes = {n["where"]: n["message"] for n in report["notes"] if n["rule"] == "statement-skipped"}
    nope = where_of(UNPLANNABLE, "nope = 1", queries)
    ghost = where_of(UNPLANNABLE, "ghost_column", queries)
    assert (nope, ghost) == (f"{queries}:8:31", f"{queries}:10:23")
    assert set(notes) == {nope, ghost}
    assert notes[nope].startswith(f"{nope}: no index suggestion for SELECT id, note FROM items")
    assert notes[nope].endswith('PostgreSQL cannot plan it: column "nope" does not exist')
    assert notes[ghost].endswith('PostgreSQL cannot plan it: column "ghost_column" does not exist')
    assert [f["objects"] for f in report["findings"] if f["rule"] == "suggested-index"] == [
        ["public.items", "sku"]
    ]
    plain = suggest(items_url, queries)
    assert plain.returncode == 0 and f"note: {nope}: no index suggestion for SELECT id, note" in plain.stdout


def test_a_queries_file_that_is_not_utf8_is_bad_input(items_url: str, tmp_path: Path):
    queries = tmp_path / "latin1.sql"
    queries.write_bytes("SELECT id FROM items WHERE note = 'café';\n".encode("latin-1"))
    result = suggest(items_url, queries)
    assert result.returncode == 2
    assert (
        result.stderr.startswith(f"error: {queries} is not UTF-8 text") and "Traceback" not in result.stderr
    )


@pytest.mark.parametrize(
    ("text", "generic_plan"),
    [
        ("SELECT id\n  FROM items WHERE note = 'é' AND ghost > 2", False),  # EXPLAIN
        ("SELECT id\n  FROM items WHERE note = $1 AND ghost > 2", True),  # EXPLAIN (GENERIC_PLAN), 16+
        ("SELECT id\n  FROM items WHERE note = $1 AND ghost > 2", False),  # PREPARE, 15 and older
    ],
)
def test_the_error_offset_counts_from_the_statement_whatever_explains_it(
    items_url: str, text: str, generic_plan: bool
):
    with psycopg.connect(items_url, autocommit=True) as conn:
        if generic_plan and conn.info.server_version < 160000:
            pytest.skip("EXPLAIN (GENERIC_PLAN) needs PostgreSQL 16+")
        shape = parse_shape(text, load_snapshot(conn))
        assert shape is not None
        explainer = Explainer(conn)
        explainer.generic_plan_option = generic_plan
        with pytest.raises(psycopg.errors.UndefinedColumn) as caught, conn.transaction():
            explainer.plan(shape)
        assert explainer.error_offset(shape, caught.value) == text.index("ghost")


def test_a_statement_that_fails_while_planned_leaves_the_next_one_plannable(items_url: str):
    """PostgreSQL 15 and older: PREPARE, then EXPLAIN EXECUTE. An error found only while planning (1/0,
    folded) must surface as itself, not as the clean-up's "transaction is aborted", and the prepared
    statement, which a rollback keeps, must be gone for the next statement."""
    with psycopg.connect(items_url, autocommit=True) as conn:
        snapshot = load_snapshot(conn)
        explainer = Explainer(conn)
        explainer.generic_plan_option = False
        failing = parse_shape("SELECT 1 / 0 AS boom FROM items WHERE price = $1", snapshot)
        with pytest.raises(psycopg.errors.DivisionByZero), conn.transaction():
            explainer.plan(failing)
        with conn.transaction():
            plan = explainer.plan(parse_shape("SELECT id FROM items WHERE sku = $1", snapshot))
        assert plan["Node Type"] == "Seq Scan" and plan["Relation Name"] == "items"
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0] == 0


@pytest.mark.quick
def test_places_count_characters_across_lines():
    text = "ab\ncdé\nfg"
    assert [str(place_of(text, offset, "f.sql")) for offset in (0, 3, 6, 8, 9)] == [
        "f.sql:1:1",
        "f.sql:2:1",
        "f.sql:2:4",
        "f.sql:3:2",
        "f.sql:3:3",
    ]
    start = Place("f.sql", 4, 7)
    assert str(start.advanced("xy\nzé w", 1)) == "f.sql:4:8"
    assert str(start.advanced("xy\nzé w", 6)) == "f.sql:5:4"
    assert start.line_only == "f.sql:4"
