"""The recording server (`recording_server.py`) as a pytest fixture: start it with options, read what it got."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import RunningServer, start_fault_server, stop_fault_server


@dataclass
class Recording:
    running: RunningServer
    scheme: str = "http"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.running.port}"

    def _get(self, path: str) -> object:
        unverified = (
            ssl._create_unverified_context() if self.scheme == "https" else None
        )  # a self-signed test cert
        with urllib.request.urlopen(self.base_url + path, timeout=10, context=unverified) as response:
            return json.loads(response.read())

    def received(self) -> list[dict]:
        """Every request since the last call: {at (monotonic ns), method, path, headers, body}."""
        return self._get("/__received")  # type: ignore[return-value]

    def count(self) -> int:
        return self._get("/__count")  # type: ignore[return-value]


_CERTIFICATES: dict[str, tuple[Path, Path]] = {}


def self_signed_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 (an EC key: made in milliseconds) by openssl, once a session."""
    if "made" in _CERTIFICATES:
        return _CERTIFICATES["made"]
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
            ),
            *("-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    _CERTIFICATES["made"] = cert, key
    return cert, key


@pytest.fixture
def recording_server(request: pytest.FixtureRequest) -> Iterator[Callable[..., Recording]]:
    """Start `tests/loadtest/recording_server.py` with options (`tls=True`: over HTTPS, with a self-signed
    certificate); stopped after the test."""
    started: list[RunningServer] = []

    def start(*args: str, tls: bool = False) -> Recording:
        if tls:
            cert, key = self_signed_certificate(request.getfixturevalue("tmp_path_factory"))
            args = (*args, "--cert", str(cert), "--key", str(key))
        running = start_fault_server(*args, module="tests.loadtest.recording_server")
        started.append(running)
        return Recording(running, "https" if tls else "http")

    yield start
    for running in started:
        stop_fault_server(running)
