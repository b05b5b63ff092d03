"""Least privilege per check: a role without pg_monitor or pg_read_all_stats, on a database it owns,
gets every check it can read; the one that needs other roles' statement texts (N+1) is skipped with
a warning naming the grant, and the exit code is 0 or the --fail-on result."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from senior_backend.common.pg.scratch import with_database
from senior_backend.dbtool.analyze.advisor import RULES, requirements
from tests.conftest import run_script
from tests.dbtool_analyze.conftest import report_of

pytestmark = pytest.mark.pg

SCHEMA = """
CREATE TABLE authors (author_no integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE books (book_no integer PRIMARY KEY, author_no integer NOT NULL REFERENCES authors, title text);
CREATE INDEX books_title_idx ON books (title);
INSERT INTO authors SELECT g, 'a' || g FROM generate_series(1, 2000) g;
INSERT INTO books SELECT g, 1 + g % 2000, 't' || g FROM generate_series(1, 5000) g;
ANALYZE;
"""


def test_every_rule_declares_what_it_reads():
    for rule in RULES:
        needs = requirements.of(rule)
        assert needs.reads, rule.__name__


@pytest.fixture
def owned_database(pg_server_url):
    suffix = uuid.uuid4().hex[:8]
    role, name = f"t14_owner_{suffix}", f"t14_owned_{suffix}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f'CREATE DATABASE "{name}" OWNER {role}')
    admin_url = with_database(pg_server_url, name)
    role_url = admin_url.replace("postgres@", f"{role}@", 1)
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
        with psycopg.connect(role_url, autocommit=True) as conn:
            conn.execute(SCHEMA)
            for n in range(30):
                conn.execute("SELECT title FROM books WHERE author_no = %s", (n,))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("SELECT count(*) FROM books")  # another role's statement: hidden from the owner
        yield role, role_url, pg_server_url
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_a_role_without_monitoring_grants_gets_the_checks_it_can_read(owned_database):
    role, url, server = owned_database
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT pg_has_role('pg_read_all_stats', 'USAGE')").fetchone()[0] is False

    result = run_script("database_migration_tool", "--connection", url, "--analyze", "--json")
    assert result.returncode == 0, result.stderr
    report = report_of(result)
    rules = {f["rule"] for f in report["findings"]}
    assert "unindexed-foreign-key" in rules  # catalog
    assert "unused-index" in rules  # index usage counters: no grant needed
    (skipped,) = [s for s in report["skipped"] if s["rule"] == "insufficient-privilege"]
    assert skipped["level"] == "warning"
    assert skipped["message"].startswith("N+1")
    assert "statement(s) of other roles are hidden" in skipped["message"]
    assert skipped["hint"] == f"GRANT pg_read_all_stats TO {role}"
    assert f"GRANT pg_read_all_stats TO {role}" in result.stderr

    gate = run_script("database_migration_tool", "--connection", url, "--analyze", "--fail-on", "warning")
    assert gate.returncode == 1 and "unindexed-foreign-key" in gate.stdout

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"GRANT pg_read_all_stats TO {role}")
    granted = report_of(run_script("database_migration_tool", "--connection", url, "--analyze", "--json"))
    assert [s for s in granted["skipped"] if s["rule"] == "insufficient-privilege"] == []
