"""The CRUD test server of the `--spec` tests (crud_server.py) as the tests drive it: start and stop it, read
and reset its counts, and the checks every run makes of them."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import RunningServer, start_fault_server, stop_fault_server

SPECS = Path(__file__).parent / "specs"
WITH_EXAMPLES = SPECS / "things.yaml"
BARE = SPECS / "things_bare.yaml"


class Crud:
    def __init__(self, running: RunningServer) -> None:
        self.running = running
        self.base_url = f"http://127.0.0.1:{running.port}"

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.base_url}/__stats", timeout=5) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(f"{self.base_url}/__reset", method="POST"), timeout=5
        ).read()


def start_crud(spec: Path) -> Iterator[Crud]:
    running = start_fault_server("--spec", str(spec), module="tests.loadtest.crud_server")
    yield Crud(running)
    stop_fault_server(running)


def spec_operations(document: dict) -> dict[str, dict]:
    return {row["operation"]: row for row in document["runs"][0]["operations"]}


def assert_clean(stats: dict) -> None:
    """Nothing the server refused (400: the spec does not allow it) and no unknown id (404)."""
    assert stats["rejected"] == {}, stats["reasons"]
    assert stats["missing"] == {}, stats["reasons"]
