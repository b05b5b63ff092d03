#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["click>=8.1", "rich>=13.7", "psycopg[binary]>=3.2", "pglast>=6"]
# ///
"""Schema diff speed: senior-backend's snapshot + diff beside migra, on the same two databases, in one run.

Two versions of a schema with N tables (default 2,000; columns, primary and
foreign keys, checks, indexes, views on every tenth table; the second version
changes about a tenth of them) are loaded into two databases on the server at
--server-url (default: $TEST_DATABASE_URL or the local PostgreSQL) and vacuumed. Then both
tools read both databases and compute the migration. migra runs in its own
virtualenv (it needs psycopg2, SQLAlchemy and `pkg_resources`, which current
setuptools no longer ships): created on first use under ~/.cache with pip.
Each tool's time is measured inside its own process (interpreter start-up
excluded), best of --repeat runs.

    python benchmarks/diff_bench.py [--tables 2000] [--repeat 3] [--cpu] [--json]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
import venv
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import click
import psycopg

from senior_backend.dbtool.diff.plan import diff_snapshots
from senior_backend.dbtool.shadow import both, snapshot_url

MIGRA_VENV = Path.home() / ".cache" / "senior-backend-migra-venv"
MIGRA_PACKAGES = ["migra", "psycopg2-binary", "setuptools<70"]
MIGRA_SNIPPET = """
import sys, time
from migra import Migration
from sqlbag import S
best = None
for _ in range(int(sys.argv[3])):
    started = time.perf_counter()
    with S(sys.argv[1]) as a, S(sys.argv[2]) as b:
        m = Migration(a, b)
        m.set_safety(False)
        m.add_all_changes()
        sql = m.sql
    elapsed = time.perf_counter() - started
    best = elapsed if best is None else min(best, elapsed)
print(best, len(sql.splitlines()))
"""


def schema(tables: int, version: int) -> str:
    """The DDL of one schema version; version 2 changes every tenth table and adds/drops a few."""
    lines = []
    for i in range(tables):
        changed = version == 2 and i % 10 == 3
        if version == 2 and i % 100 == 7:
            continue  # dropped in v2
        amount = "numeric(14,2)" if changed else "numeric(12,2)"
        extra = ", note text" if changed else ""
        lines.append(
            f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, amount {amount} DEFAULT 0, "
            f"created timestamptz NOT NULL DEFAULT now(), parent_id bigint, status int{extra}, "
            f"CONSTRAINT t{i}_amount_check CHECK (amount >= {1 if changed else 0}));"
        )
        lines.append(
            f"CREATE INDEX t{i}_created_idx ON t{i} ({'created, status' if changed else 'created'});"
        )
        if i % 10 == 1 and i > 1 and not (version == 2 and (i - 1) % 100 == 7):
            lines.append(
                f"ALTER TABLE t{i} ADD CONSTRAINT t{i}_parent_fk FOREIGN KEY (parent_id) REFERENCES t{i - 1} (id);"
            )
        if i % 10 == 5:
            where = "status > 1" if changed or (version == 2 and i % 20 == 5) else "status > 0"
            lines.append(f"CREATE VIEW v{i} AS SELECT id, name, amount FROM t{i} WHERE {where};")
    if version == 2:
        for j in range(tables // 100):
            lines.append(
                f"CREATE TABLE n{j} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb);"
            )
    return "\n".join(lines) + "\n"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def migra_python() -> Path:
    python = MIGRA_VENV / "bin" / "python"
    if not python.exists():
        click.echo(f"creating a virtualenv for migra in {MIGRA_VENV} ...", err=True)
        venv.create(MIGRA_VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *MIGRA_PACKAGES], check=True)
    return python


def ours(url_a: str, url_b: str, repeat: int) -> tuple[float, int]:
    best, changes = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        plan = diff_snapshots(*both(lambda: snapshot_url(url_a), lambda: snapshot_url(url_b)))
        best = min(best, time.perf_counter() - started)
        changes = len(plan.changes)
    return best, changes


def cpu_split(url: str, repeat: int) -> dict[str, float]:
    """CPU seconds of one snapshot (best of `repeat`, fresh backend each time): the server backend's,
    read from /proc (so only for a server on this machine), and this process's."""
    from senior_backend.common.pg.connect import connect
    from senior_backend.dbtool.shadow import pinned_snapshot

    ticks = os.sysconf("SC_CLK_TCK")

    def backend_cpu(pid: int) -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    best = {"server": float("inf"), "client": float("inf")}
    for _ in range(repeat):
        with connect(url) as conn:
            pid = conn.info.backend_pid
            server, client = backend_cpu(pid), time.process_time()
            pinned_snapshot(conn)
            best["server"] = min(best["server"], backend_cpu(pid) - server)
            best["client"] = min(best["client"], time.process_time() - client)
    return best


def _psycopg2(url: str) -> str:
    """SQLAlchemy 2.1 defaults to psycopg 3 for postgresql://; migra's environment has psycopg2."""
    return "postgresql+psycopg2://" + url.split("://", 1)[1]


def theirs(url_a: str, url_b: str, repeat: int) -> tuple[float | None, str]:
    try:
        python = migra_python()
    except (subprocess.CalledProcessError, OSError) as exc:
        return None, f"migra could not be installed: {exc}"
    result = subprocess.run(
        [str(python), "-c", MIGRA_SNIPPET, _psycopg2(url_a), _psycopg2(url_b), str(repeat)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if result.returncode != 0:
        return None, "migra failed: " + (result.stderr.strip().splitlines() or ["?"])[-1]
    seconds, lines = result.stdout.split()
    return float(seconds), f"{lines} lines of SQL"


@click.command()
@click.option(
    "--server-url",
    default=lambda: os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
@click.option("--tables", default=2000, show_default=True)
@click.option("--repeat", default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--cpu", is_flag=True, help="also split one snapshot's CPU time: server backend vs client")
def main(server_url: str, tables: int, repeat: int, as_json: bool, cpu: bool) -> None:
    """Time senior-backend's snapshot + diff beside migra on the same two databases."""
    names = [f"sbbench_{uuid.uuid4().hex[:8]}_{v}" for v in (1, 2)]
    with psycopg.connect(server_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        urls = [with_database(server_url, name) for name in names]
        for url, version in zip(urls, (1, 2), strict=True):
            statements = schema(tables, version).splitlines()
            with psycopg.connect(url, autocommit=True) as conn:
                for start in range(
                    0, len(statements), 200
                ):  # one statement per line; bounded locks per batch
                    conn.execute("\n".join(statements[start : start + 200]))
                conn.execute(
                    "VACUUM ANALYZE"
                )  # settled catalogs, as on a database in use, not autovacuum mid-run
        our_seconds, changes = ours(*urls, repeat)
        split = cpu_split(urls[1], repeat) if cpu else None
        their_seconds, note = theirs(*urls, repeat)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ratio = their_seconds / our_seconds if their_seconds else None
    report = {
        "snapshot_cpu_seconds": None if split is None else {k: round(v, 3) for k, v in split.items()},
        "tables": tables,
        "senior_backend_seconds": round(our_seconds, 3),
        "senior_backend_changes": changes,
        "migra_seconds": None if their_seconds is None else round(their_seconds, 3),
        "migra": note,
        "ratio": None if ratio is None else round(ratio, 1),
    }
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"schema: {tables} tables, two versions (best of {repeat})")
    click.echo(f"senior-backend snapshot+diff: {our_seconds:.3f} s ({changes} changes)")
    if split is not None:
        click.echo(f"  one snapshot's CPU: server {split['server']:.3f} s, client {split['client']:.3f} s")
    click.echo(
        f"migra:                        {'n/a' if their_seconds is None else f'{their_seconds:.3f} s'} ({note})"
    )
    if ratio:
        click.echo(f"ratio: senior-backend is {ratio:.1f}x faster")


if __name__ == "__main__":
    main()
