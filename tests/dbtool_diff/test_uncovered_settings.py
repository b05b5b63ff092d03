"""Table and column settings the diff does not apply (storage parameters, column storage and statistics
targets, replica identity, default privileges) are named in a warning, never silently dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.pg

TOOL = "database_migration_tool"
CURRENT = "CREATE TABLE t (id int PRIMARY KEY, doc text, n int);\n"
DESIRED = """
CREATE TABLE t (id int PRIMARY KEY, doc text, n int) WITH (fillfactor = 70);
ALTER TABLE t ALTER COLUMN doc SET STORAGE EXTERNAL, ALTER COLUMN n SET STATISTICS 1000;
ALTER TABLE t REPLICA IDENTITY FULL;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO PUBLIC;
"""


def test_settings_the_diff_does_not_apply_are_each_named_in_a_warning(tmp_path: Path, run_tool):
    (tmp_path / "current.sql").write_text(CURRENT)
    (tmp_path / "desired.sql").write_text(DESIRED)
    result = run_tool(TOOL, "--compare", str(tmp_path / "current.sql"), str(tmp_path / "desired.sql"))
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "not covered by the diff" in line]
    for named in (
        "table storage parameters public.t (fillfactor=70)",
        "column storage or statistics public.t.doc (STORAGE EXTERNAL)",
        "column storage or statistics public.t.n (STATISTICS 1000)",
        "replica identity public.t (FULL)",
        "default privileges",
    ):
        assert any(named in line for line in warned), (named, warned)
