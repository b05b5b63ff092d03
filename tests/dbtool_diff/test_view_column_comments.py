"""`--compare`: comments on the columns of views and materialized views are compared like a table's.

A comment added, changed and removed on a view's columns; a view whose definition changes (dropped and
recreated) keeps the comments of its columns, set in the transaction block that recreates it; a
materialized view's column gains one. Names that need quoting and a comment that needs escaping; up
reaches the desired comments, a second compare is empty, down brings back the current ones. The
comments are read from `pg_description`, not from the tool.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.dbtool_diff.test_runner import json_document

pytestmark = pytest.mark.pg

TOOL = "database_migration_tool"

TABLE = """CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age int);
INSERT INTO users VALUES (1, 'a@x', 30), (2, 'b@x', 17);
"""

CURRENT = (
    TABLE
    + """CREATE VIEW "Active Users" AS SELECT id, email AS "Mail ""box\""" FROM users;
COMMENT ON COLUMN "Active Users".id IS 'old id';
COMMENT ON COLUMN "Active Users"."Mail ""box\""" IS 'to be removed';
CREATE VIEW adults AS SELECT id, age FROM users WHERE age >= 18;
COMMENT ON COLUMN adults.age IS 'years';
CREATE MATERIALIZED VIEW stats AS SELECT count(*) AS n FROM users;
"""
)

DESIRED = (
    TABLE
    + """CREATE VIEW "Active Users" AS SELECT id, email AS "Mail ""box\""" FROM users;
COMMENT ON COLUMN "Active Users".id IS 'the user''s id; -- not a SQL comment';
CREATE VIEW adults AS SELECT id, age, email FROM users WHERE age >= 21;
COMMENT ON COLUMN adults.age IS 'years';
COMMENT ON COLUMN adults.email IS 'where to write';
CREATE MATERIALIZED VIEW stats AS SELECT count(*) AS n FROM users;
COMMENT ON COLUMN stats.n IS 'how many';
CREATE INDEX users_email_idx ON users (email);
"""
)

CURRENT_COMMENTS = {
    ("Active Users", "id"): "old id",
    ("Active Users", 'Mail "box"'): "to be removed",
    ("adults", "age"): "years",
}
DESIRED_COMMENTS = {
    ("Active Users", "id"): "the user's id; -- not a SQL comment",
    ("adults", "age"): "years",
    ("adults", "email"): "where to write",
    ("stats", "n"): "how many",
}


def column_comments(url: str) -> dict[tuple[str, str], str]:
    """Every comment on a column of a view or materialized view of `public`, from the catalog."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """SELECT c.relname, a.attname, d.description
                 FROM pg_description d
                 JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
                WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'public'::regnamespace AND d.objsubid > 0"""
        ).fetchall()
    return {(view, column): text for view, column, text in rows}


def test_view_column_comments_migrate_up_and_down(pg_url, pg_server_url, tmp_path: Path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(CURRENT)
    assert column_comments(pg_url) == CURRENT_COMMENTS
    (tmp_path / "current.sql").write_text(CURRENT)
    (tmp_path / "desired.sql").write_text(DESIRED)
    common = ("--connection", pg_url, "--shadow-url", pg_server_url)
    out = tmp_path / "migrations"

    made = run_tool(TOOL, *common, "--compare", str(tmp_path / "desired.sql"), "--output", str(out), "--json")
    assert made.returncode == 0, made.stderr
    document = json_document(made.stdout, "dbtool-compare")
    up, down = document["up_sql"], document["down_sql"]
    assert (
        'COMMENT ON COLUMN "public"."Active Users"."id" IS \'the user\'\'s id; -- not a SQL comment\';' in up
    )
    assert 'COMMENT ON COLUMN "public"."Active Users"."Mail ""box""" IS NULL;' in up
    assert 'COMMENT ON COLUMN "public"."stats"."n" IS \'how many\';' in up
    assert 'COMMENT ON COLUMN "public"."Active Users"."id" IS \'old id\';' in down
    assert 'COMMENT ON COLUMN "public"."Active Users"."Mail ""box""" IS \'to be removed\';' in down
    assert 'COMMENT ON COLUMN "public"."stats"."n" IS NULL;' in down
    # adults is dropped and recreated both ways: its column comments are set again each time
    assert up.index("DROP VIEW") < up.index('COMMENT ON COLUMN "public"."adults"."age" IS \'years\';')
    assert 'COMMENT ON COLUMN "public"."adults"."age" IS \'years\';' in down
    # ... in the transaction block that recreates the view, closed before the index built CONCURRENTLY
    concurrently = up.index("CREATE INDEX CONCURRENTLY")
    assert up.index('COMMENT ON COLUMN "public"."adults"."email"') < up.rindex("COMMIT;", 0, concurrently)
    assert up.rindex("BEGIN;", 0, concurrently) < up.index('DROP VIEW "public"."adults"')

    applied = run_tool(TOOL, "--connection", pg_url, "--migrate", str(out))
    assert applied.returncode == 0, applied.stderr
    assert column_comments(pg_url) == DESIRED_COMMENTS
    again = run_tool(TOOL, *common, "--compare", str(tmp_path / "desired.sql"), "--json")
    assert again.returncode == 0, again.stderr
    assert json_document(again.stdout, "dbtool-compare")["changes"] == []

    back = run_tool(TOOL, "--connection", pg_url, "--migrate", str(out), "--down", "1")
    assert back.returncode == 0, back.stderr
    assert column_comments(pg_url) == CURRENT_COMMENTS
    reverse = run_tool(TOOL, *common, "--compare", str(tmp_path / "current.sql"), "--json")
    assert reverse.returncode == 0, reverse.stderr
    assert json_document(reverse.stdout, "dbtool-compare")["changes"] == []
