"""The convergence check of one diff case: up reaches desired, a second diff is empty, down brings back current."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from senior_backend.common.pg.catalog import load_snapshot
from senior_backend.common.pg.model import Snapshot
from senior_backend.common.pg.scratch import with_database
from senior_backend.dbtool.diff.changes import Plan
from senior_backend.dbtool.diff.plan import diff_snapshots, snapshot_differences
from senior_backend.dbtool.migrate.runner import execute_script

CASES = Path(__file__).resolve().parent.parent / "pg_cases"
ROLES = ("sb_reader", "sb_writer")


def ensure_roles(server_url: str) -> None:
    """Roles the privilege cases grant to (cluster-wide; created once, never dropped)."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        for role in ROLES:
            conn.execute(
                f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )


_RESET = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP
    EXECUTE format('DROP EXTENSION %I CASCADE', r.extname);
  END LOOP;
  FOR r IN SELECT nspname FROM pg_namespace
           WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
END $$;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
COMMENT ON SCHEMA public IS 'standard public schema';
"""


class DatabasePool:
    """Databases created once per session and emptied between uses (CREATE DATABASE costs ~0.5 s each)."""

    def __init__(self, server_url: str, size: int) -> None:
        self.server_url = server_url
        self.names = [f"sbdiff_{uuid.uuid4().hex[:10]}" for _ in range(size)]
        with psycopg.connect(server_url, autocommit=True) as admin:
            for name in self.names:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        self._free = queue.Queue()
        for name in self.names:
            self._free.put(name)

    @contextmanager
    def databases(self, count: int) -> Iterator[list[str]]:
        with self._lock:
            taken = [self._free.get() for _ in range(count)]
        try:
            yield [with_database(self.server_url, name) for name in taken]
        finally:
            for name in taken:
                with psycopg.connect(with_database(self.server_url, name), autocommit=True) as conn:
                    conn.execute(_RESET)
                self._free.put(name)

    _lock = threading.Lock()

    def close(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            for name in self.names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load(url: str, sql: str) -> Snapshot:
    with psycopg.connect(url, autocommit=True) as conn:
        if sql.strip():
            conn.execute(sql)
        return load_snapshot(conn)


def snapshot(url: str) -> Snapshot:
    with psycopg.connect(url, autocommit=True) as conn:
        return load_snapshot(conn)


def apply(url: str, plan: Plan, label: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        execute_script(conn, plan.render(label), label, no_transaction=plan.no_transaction)


@dataclass
class CaseResult:
    up: Plan
    down: Plan
    after_up: list[str]
    second_diff: list[str]
    after_down: list[str]
    second_down_diff: list[str]


def options(case: Path) -> set[str]:
    first = (case / "desired.sql").read_text().splitlines()[:1]
    return (
        set(first[0].removeprefix("-- options:").split())
        if first and first[0].startswith("-- options:")
        else set()
    )


_CAPABILITIES = {
    "icu": (
        "CREATE COLLATION sb_icu_probe (provider = icu, locale = 'und')",
        "needs ICU collations: the embedded PostgreSQL wheel is built without ICU "
        "(the libc variant of this case runs everywhere)",
    ),
    "builtin-collations": (
        "CREATE COLLATION sb_builtin_probe (provider = builtin, locale = 'C')",
        "needs the builtin collation provider of PostgreSQL 17+ (the embedded server has it)",
    ),
}


def missing_requirements(server_url: str) -> dict[str, str]:
    """Each capability a case may name in its `requires` file that the server lacks, with the reason
    (each is probed by a statement that is rolled back)."""
    missing: dict[str, str] = {}
    with psycopg.connect(server_url) as conn:
        for name, (probe, reason) in _CAPABILITIES.items():
            try:
                conn.execute(probe)
            except psycopg.Error:  # ICU: "not supported in this build"; builtin before 17: unknown provider
                missing[name] = reason
            conn.rollback()
    return missing


def requirements(case: Path) -> set[str]:
    """What a case needs beyond a plain server (its `requires` file, one capability a line)."""
    path = case / "requires"
    return set(path.read_text().split()) if path.exists() else set()


def run_case(pool: DatabasePool, case: Path) -> CaseResult:
    current = (case / "current.sql").read_text()
    desired = (case / "desired.sql").read_text()
    privileges = "with-privileges" in options(case)
    with pool.databases(2) as (work, target):
        before = load(work, current)
        wanted = load(target, desired)
        up = diff_snapshots(before, wanted, with_privileges=privileges)
        down = diff_snapshots(wanted, before, with_privileges=privileges)
        apply(work, up, f"{case.name} up")
        reached = snapshot(work)
        after_up = snapshot_differences(reached, wanted, with_privileges=privileges)
        second = [c.description for c in diff_snapshots(reached, wanted, with_privileges=privileges).changes]
        apply(work, down, f"{case.name} down")
        back = snapshot(work)
        after_down = snapshot_differences(back, before, with_privileges=privileges)
        second_down = [
            c.description for c in diff_snapshots(back, before, with_privileges=privileges).changes
        ]
    return CaseResult(up, down, after_up, second, after_down, second_down)
