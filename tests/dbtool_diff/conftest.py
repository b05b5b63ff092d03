"""Shared, session-wide fixtures of the schema-diff tests: one server, every corpus case run once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.dbtool_diff.convergence import (
    CASES,
    CaseResult,
    DatabasePool,
    ensure_roles,
    missing_requirements,
    requirements,
    run_case,
)


@pytest.fixture(scope="session")
def diff_server(pg_server_url: str) -> str:
    ensure_roles(pg_server_url)
    return pg_server_url


@pytest.fixture(scope="session")
def db_pool(diff_server: str) -> Iterator[DatabasePool]:
    """Eight reusable databases on the session's server."""
    pool = DatabasePool(diff_server, 8)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def server_lacks(diff_server: str) -> dict[str, str]:
    """Capabilities a case may require that the session's server does not have, with the reason."""
    return missing_requirements(diff_server)


@pytest.fixture(scope="session")
def corpus_results(
    db_pool: DatabasePool, server_lacks: dict[str, str]
) -> dict[str, CaseResult | Exception | None]:
    """Every case of tests/pg_cases run through up, re-diff, down (four at a time: the cost is CREATE DATABASE);
    a case that needs what the server lacks is not run (its test skips, naming what)."""

    def run(name: str) -> CaseResult | Exception | None:
        if requirements(CASES / name) & server_lacks.keys():
            return None
        try:
            return run_case(db_pool, CASES / name)
        except Exception as exc:  # reported by the test of that case
            return exc

    names = sorted(path.name for path in CASES.iterdir() if path.is_dir())
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(names, pool.map(run, names), strict=True))
