"""A column that holds rows becomes an identity (from serial, or from a plain key): the next generated id
comes after every id the table holds or the old sequence handed out, so the first insert does not collide."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.dbtool_diff.convergence import CASES

pytestmark = pytest.mark.pg

TOOL = "database_migration_tool"


@pytest.mark.parametrize(
    ("case", "insert", "expected_id"),
    [
        # ids 1-6 kept, 7 handed out by the serial sequence and deleted: 8 comes next, not 1 (or 7)
        ("identity_from_serial_with_rows", "INSERT INTO tickets (title) VALUES ('new') RETURNING id", 8),
        ("identity_on_column_with_rows", "INSERT INTO notes (body) VALUES ('new') RETURNING id", 41),
    ],
)
def test_the_first_generated_id_comes_after_the_rows(case, insert, expected_id, pg_url, tmp_path: Path, run_tool):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute((CASES / case / "current.sql").read_text())
    out = tmp_path / "migrations"
    written = run_tool(
        TOOL, "--connection", pg_url, "--compare", str(CASES / case / "desired.sql"), "--output", str(out)
    )
    assert written.returncode == 0, written.stderr
    applied = run_tool(TOOL, "--connection", pg_url, "--migrate", str(out))
    assert applied.returncode == 0, applied.stderr
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute(insert).fetchone()[0] == expected_id
        leftovers = conn.execute("SELECT count(*) FROM pg_class WHERE relname LIKE '%\\_\\_old'").fetchone()[0]
    assert leftovers == 0
