"""Session fixtures for the scaffolder: every test spec generated once per framework, one tsc
run per framework over all of them, and each generated server booted at most once. Every
`--format json` document the helpers see is checked against its published schema."""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from senior_backend.common.json_schemas import validation_errors
from senior_backend.scaffold.cli import command
from tests.support.node import Booted, NodeProject

REPO = Path(__file__).resolve().parents[2]
SPEC_DIR = REPO / "tests" / "fixtures" / "specs"
SPECS = {
    "shop": REPO / "examples" / "openapi.yaml",
    "features31": SPEC_DIR / "features31.yaml",
    "features30": SPEC_DIR / "features30.yaml",
    "swagger2": SPEC_DIR / "swagger2.yaml",
    "hostile": SPEC_DIR / "hostile.yaml",
}
FRAMEWORKS = ("express", "fastify", "koa")
BASE_PATHS = {"features31": "/api/v1", "swagger2": "/v1"}


def wants_json(args: Sequence[str]) -> bool:
    """True when a command line asks for the JSON document."""
    return "--json" in args or any(a == "--format" and b == "json" for a, b in itertools.pairwise(args))


def valid_document(document: Any, kind: str) -> dict[str, Any]:
    """`document`, after asserting it is valid against `senior_backend/schemas/<kind>.v1.json`."""
    errors = validation_errors(document, kind)
    assert errors == [], f"{kind}: " + "; ".join(errors)
    return document


def check_json_output(args: Sequence[str], exit_code: int, stdout: str, kind: str) -> None:
    """A successful `--format json` run printed one document valid against its schema."""
    if exit_code == 0 and wants_json(args):
        valid_document(json.loads(stdout), kind)


def generate(spec: Path, framework: str, output: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run the scaffolder in-process through click (fast), as a finished-process-like result."""
    args = [str(spec), "--framework", framework, "--output", str(output), *extra]
    result = CliRunner().invoke(command, args, catch_exceptions=False)
    check_json_output(args, result.exit_code, result.stdout, "scaffold-generate")
    return subprocess.CompletedProcess([], result.exit_code, result.stdout, "")


def generate_with_user_code(spec: Path, root: Path, user_files: dict[str, str]) -> dict[str, Path]:
    """framework -> `root/framework`, the project generated from `spec`, with `user_files` (relative path ->
    text: handlers, security.ts, the code a user writes after generating) written over it."""
    folders = {}
    for framework in FRAMEWORKS:
        result = generate(spec, framework, root / framework)
        assert result.returncode == 0, result.stdout
        for relative, text in user_files.items():
            (root / framework / relative).write_text(text)
        folders[framework] = root / framework
    return folders


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """framework -> folder holding one generated project per spec (folder name = spec key)."""
    roots: dict[str, Path] = {}
    for framework in FRAMEWORKS:
        root = tmp_path_factory.mktemp(f"gen-{framework}")
        for name, spec in SPECS.items():
            result = generate(spec, framework, root / name)
            assert result.returncode == 0, result.stdout
        roots[framework] = root
    return roots


@pytest.fixture(scope="session")
def typechecked(
    node_project: NodeProject, generated: dict[str, Path]
) -> dict[str, subprocess.CompletedProcess[str]]:
    """One `tsc --strict --noEmit` per framework over every spec's output."""
    return {framework: node_project.typecheck(root) for framework, root in generated.items()}


@pytest.fixture(scope="session")
def server(node_project: NodeProject, generated: dict[str, Path]) -> Iterator[Callable[[str, str], Booted]]:
    """`server(framework, spec)` boots that generated server once per session and returns it."""
    stack = contextlib.ExitStack()
    booted: dict[tuple[str, str], Booted] = {}

    def get(framework: str, spec: str) -> Booted:
        key = (framework, spec)
        if key not in booted:
            folder = generated[framework] / spec
            booted[key] = stack.enter_context(node_project.boot(folder / "server.ts", ready_path="/__ready"))
        return booted[key]

    with stack:
        yield get


@contextlib.contextmanager
def booted_clients(
    node_project: NodeProject, folders: dict[str, Path], boot_timeout: float | None = None
) -> Iterator[Callable[[str], httpx.Client]]:
    """`get(framework)`: a client of that framework's generated server (`folders[framework]/server.ts`),
    booted on first use; every server stops when the block ends."""
    stack = contextlib.ExitStack()
    clients: dict[str, httpx.Client] = {}
    options = {} if boot_timeout is None else {"timeout": boot_timeout}

    def get(framework: str) -> httpx.Client:
        if framework not in clients:
            entry = folders[framework] / "server.ts"
            booted: Booted = stack.enter_context(node_project.boot(entry, ready_path="/__ready", **options))
            clients[framework] = stack.enter_context(httpx.Client(base_url=booted.base_url, timeout=10))
        return clients[framework]

    with stack:
        yield get
