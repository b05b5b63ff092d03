"""The recording server (`recording_server.py`) as a pytest fixture: start it with options, read what it got."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import RunningServer, start_fault_server, stop_fault_server


@dataclass
class Recording:
    running: RunningServer

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.running.port}"

    def _get(self, path: str) -> object:
        with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
            return json.loads(response.read())

    def received(self) -> list[dict]:
        """Every request since the last call: {at (monotonic ns), method, path, headers, body}."""
        return self._get("/__received")  # type: ignore[return-value]

    def count(self) -> int:
        return self._get("/__count")  # type: ignore[return-value]


@pytest.fixture
def recording_server() -> Iterator[Callable[..., Recording]]:
    """Start `tests/loadtest/recording_server.py` with options; stopped after the test."""
    started: list[RunningServer] = []

    def start(*args: str) -> Recording:
        running = start_fault_server(*args, module="tests.loadtest.recording_server")
        started.append(running)
        return Recording(running)

    yield start
    for running in started:
        stop_fault_server(running)
