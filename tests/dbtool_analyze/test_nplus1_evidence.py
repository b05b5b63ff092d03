"""N+1 as evidence, not shape: recall and false positives on a held-out database (realistic/), plus the
parsing facts the evidence rests on.

The live tests load realistic/schema.sql (a pg_dump: monthly partitions with their foreign keys declared
on each partition, keys not called `id`), fill it, reset pg_stat_statements for that database only, replay
realistic/workload.py through psycopg and run `--analyze --json` as a user would. Every planted loop must
be found with its parent, and no negative control (or any other statement) may be reported.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from senior_backend.common.pg.model import Column, Constraint, Snapshot, Table
from senior_backend.common.pg.scratch import with_database
from senior_backend.dbtool.analyze.query_shapes import parse_shape
from tests.conftest import run_script
from tests.dbtool_analyze.conftest import HERE, create_database, drop_database, report_of
from tests.dbtool_analyze.realistic import workload
from tests.dbtool_analyze.realistic.workload import Child


def _shape_key(sql: str) -> str:
    """The analyser's grouping key of a statement (psycopg's `%s` become `$n`, as the server numbers them)."""
    parts = sql.split("%s")
    numbered = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
    shape = parse_shape(numbered, Snapshot(server_version=150000))
    assert shape is not None
    return shape.fingerprint


@pytest.fixture(scope="session")
def realistic(pg_server_url: str) -> Iterator[dict]:
    """The analysis report of the held-out database after its workload (one per session)."""
    name = f"nplus1_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(pg_server_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
            conn.execute((HERE / "realistic" / "schema.sql").read_text())
        with psycopg.connect(url, autocommit=True) as conn:
            workload.load(conn)
            dbid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[
                0
            ]
            conn.execute("SELECT pg_stat_statements_reset(0, %s, 0)", (dbid,))
        workload.run(url)
        result = run_script("database_migration_tool", "--connection", url, "--analyze", "--json")
        assert result.returncode == 0, result.stderr
        yield report_of(result)
    finally:
        drop_database(pg_server_url, name)


def loops_of(report: dict) -> list[dict]:
    return [finding for finding in report["findings"] if finding["rule"] == "n-plus-one"]


def finding_for(report: dict, child: Child) -> dict | None:
    key = _shape_key(child.sql)
    matches = [f for f in loops_of(report) if _shape_key(f["evidence"]["child_query"]) == key]
    assert len(matches) <= 1
    return matches[0] if matches else None


@pytest.mark.pg
@pytest.mark.slow
def test_every_planted_loop_is_found_with_its_parent(realistic):
    found = {child.name for child in workload.PLANTED if finding_for(realistic, child)}
    assert found == {child.name for child in workload.PLANTED}, "recall: every planted loop"
    parents = {
        workload.RECENT_ORDERS: workload.DIRECTORY,
        workload.POST_TAGS: workload.FEED,
        workload.COMMENT_COUNT: workload.FEED,
        workload.LIKED: workload.FEED,
        workload.ORDER_CUSTOMER: workload.ADMIN_ORDERS,
        workload.ORDER_LINES: workload.ADMIN_ORDERS,
        workload.LINE_PRODUCT: workload.ORDER_LINES.sql,
        workload.REPLIES: workload.LATEST_COMMENTS,
    }
    for child, parent in parents.items():
        finding = finding_for(realistic, child)
        evidence = finding["evidence"]
        assert tuple(finding["objects"]) == (child.table, child.column), child.name
        assert _shape_key(evidence["parent_query"]) == _shape_key(parent), child.name
        assert evidence["child_calls"] == evidence["parent_rows"], "each parent row ran the child once"
        assert evidence["calls_ratio"] >= 5 and evidence["child_total_ms"] > 0
        assert evidence["calls_per_parent_row"] == 1.0


@pytest.mark.pg
@pytest.mark.slow
def test_no_negative_control_and_nothing_else_is_reported(realistic):
    assert [child.name for child in workload.NEGATIVE if finding_for(realistic, child)] == []
    planted = {_shape_key(child.sql) for child in workload.PLANTED}
    assert [
        f["evidence"]["child_query"]
        for f in loops_of(realistic)
        if _shape_key(f["evidence"]["child_query"]) not in planted
    ] == []


@pytest.mark.pg
@pytest.mark.slow
def test_partitioned_child_is_linked_by_the_foreign_keys_of_its_partitions(realistic):
    evidence = finding_for(realistic, workload.RECENT_ORDERS)["evidence"]
    assert evidence["link"] == "foreign key" and evidence["confidence"] == "high"
    assert re.search(r"orders_20\d\d_\d\d_customer_no_fkey", evidence["link_by"])
    assert evidence["parent_key"] == "public.customers.customer_no"
    assert evidence["child_column_indexed"] is True, "an index on every partition serves the child"
    assert finding_for(realistic, workload.RECENT_ORDERS)["fix"] is None
    belongs_to = finding_for(realistic, workload.ORDER_CUSTOMER)["evidence"]
    assert belongs_to["parent_key"] == "public.orders.customer_no", "the parent is the partitioned table"


@pytest.mark.pg
@pytest.mark.slow
def test_a_table_that_references_itself_is_linked_by_its_own_foreign_key(realistic):
    evidence = finding_for(realistic, workload.REPLIES)["evidence"]
    assert (evidence["link"], evidence["link_by"]) == ("foreign key", "public.comments.comments_reply_to_fkey")
    assert evidence["parent_key"] == "public.comments.comment_id"
    assert evidence["parent_calls"] == 6 and evidence["parent_rows"] == 150


@pytest.mark.pg
@pytest.mark.slow
def test_a_join_key_without_a_foreign_key_is_lower_confidence(realistic):
    finding = finding_for(realistic, workload.ORDER_LINES)
    assert finding["evidence"]["confidence"] == "lower"
    assert finding["evidence"]["link"] in ("join in the workload", "column name")
    assert "no foreign key" in finding["message"] and "lower confidence" in finding["message"]


@pytest.mark.pg
@pytest.mark.slow
def test_findings_are_ranked_by_total_time_and_say_how_to_batch(realistic):
    times = [f["evidence"]["child_total_ms"] for f in loops_of(realistic)]
    assert times == sorted(times, reverse=True)
    probe = finding_for(realistic, workload.COMMENT_COUNT)["advice"]
    assert "GROUP BY post_id" in probe and "post_id = ANY($1)" in probe
    lookup = finding_for(realistic, workload.ORDER_CUSTOMER)["advice"]
    assert "customer_no = ANY($1)" in lookup and "JOIN public.customers" in lookup


def _snapshot() -> Snapshot:
    """posts(post_id) -> comments(post_id) by foreign key; a tiny countries table that customers point at."""
    snapshot = Snapshot(server_version=150000)
    for name, columns in {
        "posts": ["post_id", "title", "country_code"],
        "comments": ["comment_id", "post_id", "body"],
        "countries": ["code", "name"],
        "post_tags": ["post_id", "tag_id"],
        "tags": ["tag_id", "label"],
    }.items():
        table = Table("public", name, "r", "p", False, False, 0, 0, None, None, (), False)
        for position, column in enumerate(columns, 1):
            table.columns[column] = Column(
                column, position, "bigint", "pg_catalog", "int8", "b", True, None, "", ""
            )
        snapshot.tables[table.key] = table
    for table, column, ref, ref_column in (
        ("comments", "post_id", "posts", "post_id"),
        ("posts", "country_code", "countries", "code"),
    ):
        con = Constraint(
            "public",
            table,
            f"{table}_{column}_fkey",
            "f",
            "",
            (column,),
            f"public.{ref}",
            (ref_column,),
            True,
            False,
            False,
            True,
            False,
        )
        snapshot.constraints[con.key] = con
    return snapshot


@pytest.mark.quick
def test_shapes_keep_returned_columns_using_joins_and_probes():
    snapshot = _snapshot()
    join = parse_shape(
        "SELECT t.* FROM post_tags pt JOIN tags t USING (tag_id) WHERE pt.post_id = $1", snapshot
    )
    assert join.outputs == {("public.tags", "tag_id"), ("public.tags", "label")}
    assert [(a.table, b.table) for a, b in join.joins] == [("public.post_tags", "public.tags")]
    assert [(u.table, u.column) for u in join.uses if u.role == "eq"] == [("public.post_tags", "post_id")]
    assert parse_shape("SELECT EXISTS (SELECT 1 FROM comments WHERE post_id = $1)", snapshot).probe
    assert parse_shape("SELECT count(*) FROM comments WHERE post_id = $1", snapshot).probe
    assert parse_shape(
        'SELECT $1 AS one FROM "comments" WHERE "comments"."post_id" = $2 LIMIT $3', snapshot
    ).probe
    lazy = parse_shape(
        "SELECT comments.body AS comments_body FROM comments WHERE $1 = comments.post_id", snapshot
    )
    assert [(u.column, u.role) for u in lazy.uses] == [("post_id", "eq")] and not lazy.probe
    assert not parse_shape("SELECT post_id, count(*) FROM comments GROUP BY post_id", snapshot).probe
    one, batched = (
        parse_shape(f"SELECT body FROM comments WHERE post_id {form}", snapshot)
        for form in ("= $1", "= ANY($1)")
    )
    assert one.fingerprint != batched.fingerprint, "a per-row lookup and its batched fix never count as one"


@pytest.mark.quick
def test_calls_not_explained_by_parent_rows_are_not_a_loop():
    from senior_backend.dbtool.analyze.advisor import Context, n_plus_one
    from senior_backend.dbtool.analyze.stats import Statement, Statistics

    stats = Statistics(live=True)
    parent = "SELECT post_id, title, country_code FROM posts ORDER BY post_id LIMIT $1"
    stats.statements = [
        Statement(1, parent, 10, 200, 5.0),
        Statement(2, "SELECT name FROM countries WHERE code = $1", 900, 900, 3.0),  # 4.5x the parent's rows
        Statement(3, "SELECT body FROM comments WHERE post_id = $1", 190, 600, 8.0),  # 0.95x
        Statement(
            4, "SELECT body FROM comments WHERE post_id = ANY($1)", 10, 600, 2.0
        ),  # once per parent call
    ]
    (finding,) = n_plus_one.check(Context(_snapshot(), stats))
    assert finding.objects == ("public.comments", "post_id")
    assert finding.evidence["parent_rows"] == 200 and finding.evidence["calls_per_parent_row"] == 0.95
    stats.statements[1] = Statement(2, "SELECT name FROM countries WHERE code = $1", 200, 200, 3.0)
    found = {f.objects for f in n_plus_one.check(Context(_snapshot(), stats))}
    assert found == {("public.comments", "post_id"), ("public.countries", "code")}, "explained: now it is one"


@pytest.mark.pg
def test_a_cheap_loop_is_found_beside_hundreds_of_costlier_statements(pg_server_url: str):
    """The parent and child of a loop are cheap; 240 statements each costlier than both fill the top by
    total time, so the loop is only seen when the statements are read by calls and rows too."""
    name = create_database(pg_server_url)
    url = with_database(pg_server_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
            conn.execute(
                "CREATE TABLE authors (author_no int PRIMARY KEY, name text);"
                "CREATE TABLE books (book_no int PRIMARY KEY,"
                " author_no int NOT NULL REFERENCES authors (author_no), title text);"
                "CREATE INDEX ON books (author_no);"
                "INSERT INTO authors SELECT n, 'a' || n FROM generate_series(1, 300) n;"
                "INSERT INTO books SELECT n, 1 + n % 300, 't' || n FROM generate_series(1, 3000) n;"
            )
            dbid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
            conn.execute("SELECT pg_stat_statements_reset(0, %s, 0)", (dbid,))
            for width in range(1, 241):
                columns = ", ".join(f"%s::int AS c{n}" for n in range(width))
                conn.execute(f"SELECT pg_sleep(0.002), {columns}", list(range(width)))
            for page in range(6):
                rows = conn.execute(
                    "SELECT author_no, name FROM authors ORDER BY author_no LIMIT %s OFFSET %s", (20, page * 20)
                ).fetchall()
                for author_no, _ in rows:
                    conn.execute("SELECT book_no, title FROM books WHERE author_no = %s", (author_no,)).fetchall()
        report = report_of(run_script("database_migration_tool", "--connection", url, "--analyze", "--json"))
        loops = loops_of(report)
        assert [tuple(f["objects"]) for f in loops] == [("public.books", "author_no")]
        assert loops[0]["evidence"]["child_calls"] == 120 and loops[0]["evidence"]["parent_rows"] == 120
    finally:
        drop_database(pg_server_url, name)
