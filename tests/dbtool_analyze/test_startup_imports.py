"""Start-up: the command imports a mode's library only when that mode runs, so `--analyze` on a small
database does not pay for pglast, the diff room, the migration runner or the schema-file loader."""

from __future__ import annotations

import subprocess
import sys

import psycopg

from tests.conftest import REPO

HEAVY = (
    "pglast",
    "senior_backend.dbtool.diff.run",
    "senior_backend.dbtool.migrate.run",
    "senior_backend.dbtool.shadow",
    "senior_backend.dbtool.analyze.indexes",
)


def imported_modules(*args: str) -> set[str]:
    """Every module a run of the tool imported, from `python -X importtime`."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(REPO / "scripts" / "database_migration_tool.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "Traceback" not in result.stderr
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }


def test_parsing_the_command_line_loads_no_mode():
    code = (
        "import sys, senior_backend.dbtool.cli; "
        "print(' '.join(m for m in sys.modules if m.startswith(('pglast', 'psycopg', 'senior_backend.dbtool.'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    names = set(loaded.stdout.split())
    assert not any(name.startswith(("pglast", "psycopg")) for name in names)
    assert not names & {"senior_backend.dbtool.analyze.run", *HEAVY}


def test_live_analyze_imports_only_what_it_uses(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a)"
        )
    modules = imported_modules("--connection", pg_url, "--analyze", "--json")
    assert "senior_backend.dbtool.analyze.advisor" in modules  # the run really happened
    assert not modules & set(HEAVY)
