"""Fixtures of the load-tester tests: the exact-delay threaded server, running the CLI, and reading its JSON
(every `--json` document and saved file is checked against its published schema)."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from senior_backend.common.json_schemas import validation_errors
from tests.conftest import RunningServer, run_script, start_fault_server, stop_fault_server


@dataclass
class PreciseServer:
    running: RunningServer
    scheme: str = "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.running.port}"

    def get(self, path: str) -> object:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.running.port}{path}", timeout=5) as response:
            return json.loads(response.read())


@pytest.fixture
def precise_server_factory() -> Iterator[Callable[..., PreciseServer]]:
    """Start tests/loadtest/precise_server.py processes; stopped after the test."""
    started: list[RunningServer] = []

    def start(*args: str, scheme: str = "http") -> PreciseServer:
        running = start_fault_server(*args, module="tests.loadtest.precise_server")
        started.append(running)
        return PreciseServer(running, scheme)

    yield start
    for running in started:
        stop_fault_server(running)


def load_tester(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run scripts/api_load_tester.py as a user would."""
    return run_script("api_load_tester", *args, timeout=timeout)


def json_document(stdout: str) -> dict:
    """Parse the one JSON document of a `--json` run and check it against `loadtest-run.v1.json`."""
    document = json.loads(stdout)
    assert validation_errors(document, "loadtest-run") == []
    return document


def saved_document(path: Path) -> dict:
    """Read a `--save` file and check it against `loadtest-result.v1.json`."""
    document = json.loads(path.read_text())
    assert validation_errors(document, "loadtest-result") == []
    return document


def load_tester_json(*args: str, expect_code: int | None = 0) -> dict:
    """Run with --json; check the exit code (unless None) and parse the one JSON document on stdout."""
    done = load_tester(*args, "--json")
    if expect_code is not None:
        assert done.returncode == expect_code, done.stderr + done.stdout
    return json_document(done.stdout)


def summary(document: dict, index: int = 0) -> dict:
    return document["runs"][index]["summary"]


def advice_rules(document: dict, index: int = 0) -> set[str]:
    """The rules of a run's recommendations."""
    return {a["rule"] for a in document["runs"][index]["recommendations"]}


@pytest.fixture
def tmp_json(tmp_path: Path) -> Path:
    return tmp_path / "results.json"
