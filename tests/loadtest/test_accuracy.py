"""Accuracy: latency against an exact-delay server, stalls in the open vs the closed model, exact merges."""

from __future__ import annotations

import time

import pytest

from senior_backend.loadtest.engine import run_worker
from senior_backend.loadtest.histogram import Histogram
from senior_backend.loadtest.plan import LoadPlan, parse_target, resolve
from senior_backend.loadtest.runner import run_plan
from tests.loadtest.conftest import advice_rules, load_tester_json, summary

pytestmark = pytest.mark.slow


def server_percentile(timings: list[float], p: float) -> float:
    return timings[min(len(timings) - 1, int(len(timings) * p / 100))]


def test_percentiles_match_a_20ms_server(precise_server_factory):
    """P50 within 1 ms and P99 within 3 ms of what the server really took.

    The truth is the server's own kernel-to-kernel time per request; its delay
    is a thread sleeping exactly 20 ms. The machine is shared with other test
    runs, whose bursts put scheduling delays into any client's tail, so the
    best of five short attempts must meet both bounds.
    """
    server = precise_server_factory("--delay-ms", "20")
    attempts = []
    for _ in range(5):
        server.get("/__timings")
        document = load_tester_json(server.base_url + "/", "-c", "10", "-d", "1.5", "-w", "1")
        truth = server.get("/__timings")
        latency = summary(document)["latency_ms"]
        p50_truth, p99_truth = server_percentile(truth, 50), server_percentile(truth, 99)
        attempts.append((latency["p50"], p50_truth, latency["p99"], p99_truth))
        # requests in flight at the deadline are abandoned (unfinished); the server may still have timed them
        s = summary(document)
        assert s["requests"] <= len(truth) <= s["requests"] + s["unfinished"]
        if abs(latency["p50"] - p50_truth) <= 1.0 and abs(latency["p99"] - p99_truth) <= 3.0:
            break
    else:
        pytest.fail(f"measured vs server (p50, truth, p99, truth) in ms: {attempts}")
    p50, p50_truth, _, _ = attempts[-1]
    assert p50 >= 20.0 and p50 - 20.0 <= 1.0 + max(0.0, p50_truth - 20.0), attempts


def test_open_model_reports_stalls_that_the_closed_model_hides(fault_server_factory):
    server = fault_server_factory("--stall-every", "5", "--stall-ms", "1000")
    url = server.base_url + "/stall?delay_ms=5"
    open_run = load_tester_json(url, "--rate", "200", "-c", "20", "-d", "5", "-w", "1")
    p99_open = summary(open_run)["latency_ms"]["p99"]
    assert 700 <= p99_open <= 1300, summary(open_run)
    closed_run = load_tester_json(url, "-c", "10", "-d", "5", "-w", "1")
    closed = summary(closed_run)["latency_ms"]
    assert closed["p99"] < 100 and closed["max"] >= 700, closed
    assert "closed-model-hides-stalls" in advice_rules(closed_run)
    assert "closed-model-hides-stalls" not in advice_rules(open_run)


def test_open_model_holds_the_rate(fault_server):
    document = load_tester_json(
        fault_server.base_url + "/rate?delay_ms=2", "--rate", "300", "-d", "2", "-w", "2"
    )
    assert 570 <= summary(document)["requests"] <= 630


def test_a_timed_run_is_never_shorter_than_its_duration(fault_server):
    """The loop's timers keep millisecond time and can fire early: a 0.3 s run ended at 0.2996 s made its
    last second 0.9996 s long, and the ramp's knee left that second out (about 1 run in 3)."""
    target = resolve(parse_target(fault_server.base_url + "/deadline?delay_ms=1"))
    plan = LoadPlan(target, concurrency=4, rate=100.0, duration=0.3)
    for _ in range(15):
        results = run_worker(plan, time.monotonic_ns())
        assert results.elapsed >= 0.3 and results.requests >= 25, (results.elapsed, results.requests)


def test_merged_workers_equal_the_sum_of_their_parts(fault_server):
    path = f"/merge-{time.monotonic_ns()}"
    target = resolve(parse_target(fault_server.base_url + path))
    parts = []
    merged = run_plan(LoadPlan(target, concurrency=6, duration=None, requests=3001, workers=3), parts=parts)
    assert len(parts) == 3
    assert merged.requests == sum(p.requests for p in parts) == 3001
    assert fault_server.stats()["by_path"][path] == 3001
    total = Histogram()
    for part in parts:
        total.merge(part.latency)
    assert merged.latency == total and merged.latency.total == 3001
    assert merged.statuses == {"200": 3001}
    assert merged.bytes_in == sum(p.bytes_in for p in parts) and merged.bytes_out == sum(
        p.bytes_out for p in parts
    )
    for entry in merged.series:
        assert entry.requests == sum(s.requests for p in parts for s in p.series if s.second == entry.second)
