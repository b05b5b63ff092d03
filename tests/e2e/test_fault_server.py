"""The fault-injecting HTTP server that load-tester tests rely on behaves as documented."""

from __future__ import annotations

import http.client
import time

import pytest

pytestmark = pytest.mark.quick


def request(server, path: str, timeout: float = 5) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    conn.request("GET", path)
    return conn.getresponse()


def test_delay_and_status(fault_server):
    start = time.perf_counter()
    response = request(fault_server, "/x?delay_ms=50&status=503&body_bytes=10")
    elapsed = time.perf_counter() - start
    assert response.status == 503 and response.read() == b"x" * 10
    assert 0.05 <= elapsed < 0.5


def test_reset_and_malformed_are_errors_for_a_client(fault_server):
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        request(fault_server, "/x?reset=1").read()
    with pytest.raises(http.client.HTTPException):
        request(fault_server, "/x?malformed=1").read()
    with pytest.raises(TimeoutError):
        request(fault_server, "/x?stall=1", timeout=0.3).read()


def test_rate_limit_headers(fault_server):
    statuses = [request(fault_server, "/limited?rate_limit=3") for _ in range(6)]
    codes = [r.status for r in statuses]
    assert codes.count(429) >= 2 and codes[0] == 200
    limited = next(r for r in statuses if r.status == 429)
    assert limited.getheader("Retry-After") == "1" and limited.getheader("RateLimit-Limit") == "3"


def test_stats_count_requests(fault_server):
    before = fault_server.stats()["by_path"].get("/counted", 0)
    for _ in range(3):
        request(fault_server, "/counted").read()
    assert fault_server.stats()["by_path"]["/counted"] == before + 3


def test_periodic_stall(fault_server_factory):
    server = fault_server_factory("--stall-every", "1", "--stall-ms", "400")
    worst = 0.0
    for _ in range(15):
        start = time.perf_counter()
        request(server, "/x").read()
        worst = max(worst, time.perf_counter() - start)
        time.sleep(0.05)
    assert worst >= 0.25
