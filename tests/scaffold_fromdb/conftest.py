"""Session fixtures for `--from-db`: one shop database per framework (so each framework's
HTTP test owns its rows), the project generated from it, one tsc run per framework, and each
generated server booted once against its database."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result

from senior_backend.common.pg.scratch import with_database
from senior_backend.scaffold.cli import command
from tests.scaffold.conftest import check_json_output
from tests.support.node import Booted, NodeProject

SHOP_SQL = Path(__file__).with_name("shop.sql")
FRAMEWORKS = ("express", "fastify", "koa")


def scaffold(*args: str) -> Result:
    """Run the scaffolder in-process through click; a JSON document is checked against its schema."""
    result = CliRunner().invoke(command, list(args), catch_exceptions=False)
    check_json_output(args, result.exit_code, result.stdout, "scaffold-from-db")
    return result


@dataclass
class Generated:
    """One framework's generated project and the database it was generated from."""

    folder: Path
    spec: Path
    url: str


@pytest.fixture(scope="session")
def shop_databases(pg_server_url: str) -> Iterator[dict[str, str]]:
    """framework -> URL of a fresh database holding tests/scaffold_fromdb/shop.sql."""
    names = {framework: f"sbtest_fromdb_{framework}_{uuid.uuid4().hex[:8]}" for framework in FRAMEWORKS}
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        for name in names.values():
            admin.execute(f'CREATE DATABASE "{name}"')
    urls = {framework: with_database(pg_server_url, name) for framework, name in names.items()}
    try:
        for url in urls.values():
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(SHOP_SQL.read_text())
        yield urls
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def generated(
    tmp_path_factory: pytest.TempPathFactory, shop_databases: dict[str, str]
) -> dict[str, Generated]:
    """framework -> the project generated from that framework's shop database (plus its spec)."""
    out: dict[str, Generated] = {}
    for framework, url in shop_databases.items():
        root = tmp_path_factory.mktemp(f"fromdb-{framework}")
        folder, spec = root / "api", root / "openapi.yaml"
        result = scaffold(
            "--from-db", url, "--framework", framework, "-o", str(folder), "--spec-out", str(spec)
        )
        assert result.exit_code == 0, result.output
        out[framework] = Generated(folder, spec, url)
    return out


@pytest.fixture(scope="session")
def typechecked(node_project: NodeProject, generated: dict[str, Generated]) -> dict[str, object]:
    """One `tsc --strict --noEmit` per framework."""
    return {framework: node_project.typecheck(project.folder) for framework, project in generated.items()}


@pytest.fixture(scope="session")
def server(node_project: NodeProject, generated: dict[str, Generated]) -> Iterator[Callable[[str], Booted]]:
    """`server(framework)` boots that generated API once per session against its database."""
    stack = contextlib.ExitStack()
    booted: dict[str, Booted] = {}

    def get(framework: str) -> Booted:
        if framework not in booted:
            project = generated[framework]
            booted[framework] = stack.enter_context(
                node_project.boot(
                    project.folder / "server.ts", env={"DATABASE_URL": project.url}, ready_path="/__ready"
                )
            )
        return booted[framework]

    with stack:
        yield get
