"""Checks, comparisons and advice computed from results objects (no network)."""

from __future__ import annotations

import random

import pytest

from senior_backend.common.errors import BadInput, ToolError
from senior_backend.common.json_schemas import validation_errors
from senior_backend.loadtest.advice import recommend, sweep_advice
from senior_backend.loadtest.checks import (
    check_baseline,
    check_rate_limit,
    check_status,
    check_threshold,
    parse_expect_status,
    parse_threshold,
)
from senior_backend.loadtest.histogram import SERIES_BITS, Histogram
from senior_backend.loadtest.results import Results, Second
from senior_backend.loadtest.stats import compare, measure, summarize

pytestmark = pytest.mark.quick


def make_results(
    latencies_ms: list[float],
    seconds: int = 4,
    statuses: dict[str, int] | None = None,
    mode: str = "closed",
    **extra,
) -> Results:
    """Results spread evenly over `seconds`, statuses (default all 200) split the same way."""
    statuses = statuses or {"200": len(latencies_ms)}
    results = Results({"url": "http://x/", "mode": mode, "concurrency": 10, **extra}, elapsed=float(seconds))
    results.latency.record_batch(int(v * 1000) for v in latencies_ms)
    for s in range(seconds):
        chunk = latencies_ms[s::seconds]
        histogram = Histogram(SERIES_BITS)
        histogram.record_batch(int(v * 1000) for v in chunk)
        entry = Second(s, len(chunk), latency=histogram)
        entry.statuses = {code: n // seconds + (1 if s < n % seconds else 0) for code, n in statuses.items()}
        results.series.append(entry)
    return results


def normal(mean: float, sd: float, n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [max(0.1, rng.gauss(mean, sd)) for _ in range(n)]


@pytest.mark.parametrize(
    ("text", "passes"),
    [
        ("p99<30ms", True),
        ("p99<15ms", False),
        ("p50<=0.03s", True),
        ("mean>25ms", False),
        ("rps>1000", True),
        ("rps>5000", False),
        ("errors<1%", True),
        ("max<20000us", False),
    ],
)
def test_thresholds(text, passes):
    results = make_results(normal(20, 2, 8000, 1))
    check = check_threshold(parse_threshold(text), measure(results))
    assert check.passed is passes, check.reason
    assert text in check.reason
    shown = check.to_json()
    assert shown["rule"] == "threshold" and shown["level"] == ("info" if passes else "error")


@pytest.mark.parametrize(
    "text", ["p99<", "p99 200ms", "latency<2ms", "p101<2ms", "rps>10ms", "errors<5ms", "p99<1%"]
)
def test_bad_thresholds_are_bad_input(text):
    with pytest.raises(ToolError) as caught:
        parse_threshold(text)
    assert isinstance(caught.value, BadInput)


def test_expect_status_share():
    results = measure(make_results(normal(5, 1, 1000, 2), statuses={"400": 990, "500": 10}))
    assert check_status(*parse_expect_status("400:99%"), results).passed
    failed = check_status(*parse_expect_status("400"), results)
    assert not failed.passed and "99.00%" in failed.reason and "500: 10" in failed.reason
    with pytest.raises(ToolError):
        parse_expect_status("4000")


def test_rate_limit_check_reports_onset_and_headers():
    results = make_results(normal(5, 1, 400, 3), statuses={"200": 300, "429": 100})
    results.first_429_at = 2.3
    results.rate_limit_headers = {"Retry-After": ["1"]}
    check = check_rate_limit(measure(results))
    assert (
        check.passed
        and "2.30 s" in check.reason
        and "100 req/s" in check.reason
        and "Retry-After: 1" in check.reason
    )
    assert not check_rate_limit(measure(make_results(normal(5, 1, 400, 3)))).passed


def test_comparison_detects_a_real_difference_and_not_noise():
    fast, slow, fast_again = (
        measure(make_results(normal(m, 2, 4000, seed))) for m, seed in ((20, 4), (25, 5), (20, 6))
    )
    by_metric = {m["metric"]: m for m in compare(fast, slow)}
    assert by_metric["p50"]["significant"] and by_metric["p50"]["ci95"][0] < 5 < by_metric["p50"]["ci95"][1]
    assert by_metric["mean"]["significant"] and 4 < by_metric["mean"]["diff"] < 6
    same = {m["metric"]: m for m in compare(fast, fast_again)}
    assert not same["p50"]["significant"] and not same["mean"]["significant"]


def test_baseline_regression_beyond_tolerance():
    base = measure(make_results(normal(20, 2, 4000, 7)))
    worse = measure(make_results(normal(30, 2, 4000, 8)))
    failed = [c for c in check_baseline(base, worse, 10) if not c.passed]
    assert {c.name for c in failed} >= {"baseline p50", "baseline p99"}
    assert {c.rule for c in failed} == {"baseline"}
    assert all(c.passed for c in check_baseline(base, measure(make_results(normal(20, 2, 4000, 9))), 10))


def rules(results: Results) -> set[str]:
    return {a.problem.rule for a in recommend(measure(results))}


def test_advice_from_evidence():
    assert "long-tail" in rules(make_results(normal(5, 0.5, 3000, 10) + [200.0] * 40))
    assert "closed-model-hides-stalls" in rules(make_results(normal(5, 0.5, 3000, 11) + [1000.0] * 3))
    errors = recommend(measure(make_results(normal(5, 0.5, 1000, 12), statuses={"200": 900, "503": 100})))
    server = next(a for a in errors if a.problem.rule == "server-errors")
    assert server.evidence == {"count": 100, "share": 0.1}
    shown = server.to_json()
    assert shown["level"] == "error" and shown["hint"] == "check its logs and resource limits"
    assert validation_errors(shown, "problem") == []
    assert server.text() == shown["message"] + "; " + shown["hint"]
    assert not rules(make_results(normal(5, 0.5, 1000, 13)))


def test_sweep_finds_the_knee():
    levels = [
        measure(make_results(normal(10, 1, 400, 14), concurrency=1)),
        measure(make_results(normal(10, 1, 1600, 15), concurrency=4)),
        measure(make_results(normal(40, 1, 1650, 16), concurrency=16)),
    ]
    advice = sweep_advice(levels)
    assert advice.problem.rule == "stops-scaling" and advice.evidence["knee"] == 4


def test_a_sweep_at_a_fixed_rate_reports_no_knee():
    """At --rate 400 every level sends 400 req/s: throughput cannot scale with connections."""
    levels = [
        measure(make_results(normal(10, 1, 1600, 21), mode="open", concurrency=c, rate=400.0)) for c in (2, 4)
    ]
    assert sweep_advice(levels) is None


def test_summary_counts_errors_and_statuses():
    results = make_results(normal(5, 1, 100, 17), statuses={"200": 100})
    results.series[0].errors = {"reset": 25}
    s = summarize(results)
    assert s["errors"] == 25 and s["error_rate"] == 0.2 and s["rps"] == 25.0


def test_url_passwords_are_masked_and_sent_as_basic_auth():
    from senior_backend.common.masking import mask_password
    from senior_backend.loadtest.plan import LoadPlan, parse_target

    assert mask_password("http://u:p%40ss@h:1/x?q=1") == "http://u:***@h:1/x?q=1"
    assert mask_password("http://h/x") == "http://h/x" and mask_password("http://u@h/") == "http://u@h/"
    target = parse_target("http://u:p%40ss@127.0.0.1:8/x")
    assert "p%40ss" not in repr(target) and target.url == "http://u:***@127.0.0.1:8/x"
    assert b"Authorization: Basic dTpwQHNz\r\n" in LoadPlan(target).request_bytes()
    mine = LoadPlan(target, headers=(("authorization", "Bearer t"),)).request_bytes()
    assert b"Basic" not in mine and mine.count(b"uthorization") == 1
