"""Fixtures of the load-tester tests: the exact-delay threaded server, and running the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, run_script


@dataclass
class PreciseServer:
    process: subprocess.Popen[str]
    port: int
    scheme: str = "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def get(self, path: str) -> object:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
            return json.loads(response.read())


@pytest.fixture
def precise_server_factory() -> Iterator[Callable[..., PreciseServer]]:
    """Start tests/loadtest/precise_server.py processes; stopped after the test."""
    started: list[PreciseServer] = []

    def start(*args: str, scheme: str = "http") -> PreciseServer:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.loadtest.precise_server", "--max-seconds", "120", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("PORT "):
            process.kill()
            raise RuntimeError(f"precise server did not start: {line!r}")
        server = PreciseServer(process, int(line.split()[1]), scheme)
        started.append(server)
        return server

    yield start
    for server in started:
        server.process.terminate()
        try:
            server.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.process.kill()


def load_tester(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run scripts/api_load_tester.py as a user would."""
    return run_script("api_load_tester", *args, timeout=timeout)


def load_tester_json(*args: str, expect_code: int | None = 0) -> dict:
    """Run with --json; check the exit code (unless None) and parse the one JSON document on stdout."""
    done = load_tester(*args, "--json")
    if expect_code is not None:
        assert done.returncode == expect_code, done.stderr + done.stdout
    return json.loads(done.stdout)


def summary(document: dict, index: int = 0) -> dict:
    return document["runs"][index]["summary"]


def advice_kinds(document: dict, index: int = 0) -> set[str]:
    return {a["kind"] for a in document["runs"][index]["recommendations"]}


@pytest.fixture
def tmp_json(tmp_path: Path) -> Path:
    return tmp_path / "results.json"
