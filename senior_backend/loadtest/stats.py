"""Statistics computed from a `Results` object: summary, per-second series, and differences with 95 % CIs.

`measure` computes a run's summary and series once; checks, advice, comparisons
and reports read that `Measured` value instead of summarizing again.

Confidence intervals:
- throughput: Welch's t interval over the per-second rates of the full seconds;
- mean latency: normal interval from each histogram's mean and variance;
- percentiles: distribution-free order-statistic interval (ranks n*p +- 1.96*sqrt(n*p*(1-p)))
  for each run, combined conservatively (low of B - high of A, high of B - low of A);
- error rate: normal interval for a difference of two proportions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from senior_backend.loadtest.histogram import SERIES_BITS, Histogram
from senior_backend.loadtest.results import Results, Second
from senior_backend.loadtest.stages import Ramp, open_model

PERCENTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
SLIVER_S = 0.1  # a last partial second shorter than this is counted in the one before it (series_rows)
Z95 = 1.959964
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def percentile_key(p: float) -> str:
    return "p" + (f"{p:g}")


def ms(us: float) -> float:
    return round(us / 1000, 3)


def t95(df: float) -> float:
    """Two-sided 95 % Student t critical value (table for small df, normal beyond 30)."""
    if df <= 10:
        return _T95[max(1, math.floor(df))]
    if df <= 20:
        return 2.228 - (df - 10) * (2.228 - 2.086) / 10
    if df <= 30:
        return 2.086 - (df - 20) * (2.086 - 2.042) / 10
    return Z95


def latency_summary(histogram: Histogram) -> dict[str, float]:
    """Min, mean, percentiles and max in milliseconds."""
    data = {"min": ms(histogram.min), "mean": ms(histogram.mean())}
    for p in PERCENTILES:
        data[percentile_key(p)] = ms(histogram.percentile(p))
    data["max"] = ms(histogram.max)
    return data


def summarize(results: Results) -> dict[str, Any]:
    """The headline numbers of a run."""
    requests = results.requests
    errors = results.errors
    error_count = sum(errors.values())
    attempts = requests + error_count
    statuses = results.statuses
    non_2xx = sum(n for code, n in statuses.items() if not code.startswith("2"))
    server_errors = sum(n for code, n in statuses.items() if code.startswith("5"))
    elapsed = results.elapsed or 0.0
    return {
        "url": results.plan.get("url"),
        "mode": results.plan.get("mode"),
        "concurrency": results.plan.get("concurrency"),
        "rate": results.plan.get("rate"),
        "elapsed_s": round(elapsed, 3),
        "requests": requests,
        "rps": round(requests / elapsed, 2) if elapsed > 0 else 0.0,
        "errors": error_count,
        "errors_by_kind": errors,
        "error_rate": error_count / attempts if attempts else 0.0,
        "failed": error_count + server_errors,  # what `--threshold errors` and `--max-error-rate` count
        "failed_rate": (error_count + server_errors) / attempts if attempts else 0.0,
        "statuses": statuses,
        "non_2xx": non_2xx,
        "non_2xx_rate": non_2xx / attempts if attempts else 0.0,
        "server_error_rate": server_errors / attempts if attempts else 0.0,
        "latency_ms": latency_summary(results.latency),
        "bytes_in": results.bytes_in,
        "bytes_out": results.bytes_out,
        "interrupted": results.interrupted,
        "unfinished": results.unfinished,
        "warmup_requests": results.warmup_requests,
    }


def second_lengths(results: Results) -> list[float]:
    """How long each series entry lasted: one second, except a partial last one."""
    lengths = []
    for entry in results.series:
        remaining = results.elapsed - entry.second
        lengths.append(1.0 if remaining >= 1.0 or entry is not results.series[-1] else max(remaining, 1e-3))
    return lengths


def series_rows(results: Results) -> list[dict[str, Any]]:
    """Per-second throughput, latency percentiles and errors. A last partial second shorter than
    `SLIVER_S` (the responses that land just past the deadline) is counted in the second before it: its
    own rate (5 responses in 2 ms: 2,500 req/s) would be noise drawn as a spike."""
    timed = list(zip(results.series, second_lengths(results), strict=True))
    if len(timed) > 1 and timed[-1][1] < SLIVER_S:
        (before, length), (sliver, extra) = timed[-2:]
        merged = Second(before.second)
        merged.merge(before)
        merged.merge(sliver)
        timed[-2:] = [(merged, length + extra)]
    rows = []
    for entry, length in timed:
        rows.append(
            {
                "second": entry.second,
                "rps": round(entry.requests / length, 2),
                "p50_ms": ms(entry.latency.percentile(50)),
                "p99_ms": ms(entry.latency.percentile(99)),
                "max_ms": ms(entry.latency.max),
                "errors": sum(entry.errors.values()),
                "statuses": entry.statuses,
            }
        )
    return rows


def ramp_of(plan: dict[str, Any]) -> Ramp | None:
    """The ramp a saved plan ran (`--stages`), or None."""
    stages = plan.get("stages") or []
    if not stages:
        return None
    return Ramp(plan.get("rate") or 0.0, tuple((stage["duration"], stage["target"]) for stage in stages))


def stage_rows(results: Results) -> list[dict[str, Any]]:
    """Per stage of a ramp: its level from -> to, and the seconds whose middle fell in it (7-bit latencies).

    A response that lands after the ramp's end (a moment past its deadline) counts in the last stage, so
    the stages always add up to the run."""
    ramp = ramp_of(results.plan)
    if ramp is None:
        return []
    unit = "req/s" if open_model(results.plan) else "connections"
    rows = []
    spans = ramp.spans()
    timed = [
        (entry, length, _stage_of(spans, entry.second + length / 2))
        for entry, length in zip(results.series, second_lengths(results), strict=True)
    ]
    for number, (begin, end, low, high) in enumerate(spans, 1):
        latency = Histogram(SERIES_BITS)
        requests = errors = non_2xx = 0
        seconds = 0.0
        for entry, length, stage in timed:
            if stage == number:
                latency.merge(entry.latency)
                requests += entry.requests
                errors += sum(entry.errors.values())
                non_2xx += sum(n for code, n in entry.statuses.items() if not code.startswith("2"))
                seconds += length
        attempts = requests + errors
        rows.append(
            {
                "stage": number,
                "start_s": round(begin, 3),
                "end_s": round(end, 3),
                "from": low,
                "to": high,
                "unit": unit,
                "requests": requests,
                "rps": round(requests / seconds, 2) if seconds else 0.0,
                "errors": errors,
                "error_rate": errors / attempts if attempts else 0.0,
                "non_2xx": non_2xx,
                "p50_ms": ms(latency.percentile(50)),
                "p95_ms": ms(latency.percentile(95)),
                "p99_ms": ms(latency.percentile(99)),
                "max_ms": ms(latency.max),
            }
        )
    return rows


def _stage_of(spans: list[tuple[float, float, float, float]], t: float) -> int:
    """The 1-based stage whose span holds instant `t`; the last stage for an instant past the end."""
    return next((number for number, span in enumerate(spans, 1) if t < span[1]), len(spans))


@dataclass(frozen=True)
class Measured:
    """One run's raw results and the numbers derived from them once: what checks, advice and reports read."""

    results: Results
    summary: dict[str, Any]
    series: list[dict[str, Any]]
    stages: list[dict[str, Any]] = field(default_factory=list)


def measure(results: Results) -> Measured:
    """Summarize a run and tabulate its seconds (and a ramp's stages), once."""
    return Measured(results, summarize(results), series_rows(results), stage_rows(results))


def full_second_rates(results: Results) -> list[float]:
    return [
        entry.requests / length
        for entry, length in zip(results.series, second_lengths(results), strict=True)
        if length >= 1.0
    ]


def quantile_interval(histogram: Histogram, percent: float) -> tuple[float, float]:
    """95 % interval of a percentile from the order statistics around its rank."""
    n = histogram.total
    if n == 0:
        return 0.0, 0.0
    p = percent / 100
    spread = Z95 * math.sqrt(n * p * (1 - p))
    low = histogram.value_at_rank(max(1, math.floor(n * p - spread)))
    high = histogram.value_at_rank(min(n, math.ceil(n * p + spread) + 1))
    return low, high


def _welch(a: list[float], b: list[float]) -> tuple[float, float] | None:
    if len(a) < 2 or len(b) < 2:
        return None
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1)
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1)
    se2 = var_a / len(a) + var_b / len(b)
    diff = mean_b - mean_a
    if se2 == 0:
        return diff, diff
    df = se2**2 / ((var_a / len(a)) ** 2 / (len(a) - 1) + (var_b / len(b)) ** 2 / (len(b) - 1))
    half = t95(df) * math.sqrt(se2)
    return diff - half, diff + half


def _metric(name: str, unit: str, a: float, b: float, interval: tuple[float, float] | None) -> dict[str, Any]:
    diff = b - a
    return {
        "metric": name,
        "unit": unit,
        "a": round(a, 3),
        "b": round(b, 3),
        "diff": round(diff, 3),
        "diff_pct": round(100 * diff / a, 2) if a else None,
        "ci95": [round(interval[0], 3), round(interval[1], 3)] if interval else None,
        "significant": bool(interval and (interval[0] > 0 or interval[1] < 0)),
    }


def compare(run_a: Measured, run_b: Measured) -> list[dict[str, Any]]:
    """Differences B - A with 95 % confidence intervals for throughput, latency and error rate."""
    a, b = run_a.results, run_b.results
    rates_a, rates_b = full_second_rates(a), full_second_rates(b)
    sa, sb = run_a.summary, run_b.summary
    metrics = [_metric("rps", "req/s", sa["rps"], sb["rps"], _welch(rates_a, rates_b))]
    ha, hb = a.latency, b.latency
    if ha.total and hb.total:
        half = Z95 * math.sqrt(ha.variance() / ha.total + hb.variance() / hb.total)
        diff = hb.mean() - ha.mean()
        metrics.append(
            _metric(
                "mean", "ms", ha.mean() / 1000, hb.mean() / 1000, ((diff - half) / 1000, (diff + half) / 1000)
            )
        )
        for p in (50.0, 90.0, 99.0):
            low_a, high_a = quantile_interval(ha, p)
            low_b, high_b = quantile_interval(hb, p)
            metrics.append(
                _metric(
                    percentile_key(p),
                    "ms",
                    ha.percentile(p) / 1000,
                    hb.percentile(p) / 1000,
                    ((low_b - high_a) / 1000, (high_b - low_a) / 1000),
                )
            )
    na = sa["requests"] + sa["errors"]
    nb = sb["requests"] + sb["errors"]
    if na and nb:
        pa, pb = sa["error_rate"], sb["error_rate"]
        half = Z95 * math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        diff = pb - pa
        metrics.append(
            _metric("error_rate", "%", 100 * pa, 100 * pb, (100 * (diff - half), 100 * (diff + half)))
        )
    return metrics
