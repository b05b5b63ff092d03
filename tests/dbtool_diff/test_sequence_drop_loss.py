"""Dropping a sequence that has handed out values is data loss (its position cannot come back: the down
migration would recreate it from its start and give the same values again); one never used is not."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.pg

TOOL = "database_migration_tool"


def test_a_used_sequence_dropped_is_refused_as_data_loss_and_an_unused_one_is_not(
    pg_url, tmp_path: Path, run_tool
):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SEQUENCE invoice_no; CREATE SEQUENCE spare;")
        conn.execute("SELECT nextval('invoice_no') FROM generate_series(1, 3)")
    desired = tmp_path / "desired.sql"
    desired.write_text("CREATE TABLE kept (id int);\n")
    refused = run_tool(TOOL, "--connection", pg_url, "--compare", str(desired))
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "drop sequence public.invoice_no (at 3)" in refused.stderr
    assert "public.spare" not in refused.stderr.split("can lose data", 1)[1]
