"""Recommendations drawn from the evidence of a run, each with the numbers behind it."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

from senior_backend.loadtest.checks import rate_limit_evidence
from senior_backend.loadtest.results import Results
from senior_backend.loadtest.stats import series_rows, summarize

SERVER_ERROR_SHARE = 0.01
TAIL_FACTOR = 5.0
STALL_FACTOR = 10.0
SCALING_SHARE = 0.25


@dataclass
class Advice:
    kind: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def recommend(results: Results) -> list[Advice]:
    """Everything worth telling about one run, most important first."""
    summary = summarize(results)
    latency = summary["latency_ms"]
    attempts = summary["requests"] + summary["errors"]
    advice: list[Advice] = []
    if summary["errors"]:
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(summary["errors_by_kind"].items()))
        advice.append(
            Advice(
                "connection-errors",
                f"{summary['errors']} of {attempts} requests failed without a response ({kinds})",
                {"errors_by_kind": summary["errors_by_kind"], "attempts": attempts},
            )
        )
    if summary["server_error_rate"] > SERVER_ERROR_SHARE:
        count = sum(n for code, n in summary["statuses"].items() if code.startswith("5"))
        advice.append(
            Advice(
                "server-errors",
                f"{100 * summary['server_error_rate']:.1f}% of requests got a 5xx ({count} of {attempts}): "
                "the server fails under this load; check its logs and resource limits",
                {"count": count, "share": summary["server_error_rate"]},
            )
        )
    if summary["statuses"].get("429"):
        evidence = rate_limit_evidence(results)
        advice.append(
            Advice(
                "rate-limited",
                f"rate limiting began at {evidence['began_at_s']:.2f} s while sending {evidence['rps_then']} "
                f"req/s ({evidence['responses_429']} responses 429): throughput above that is not served",
                evidence,
            )
        )
    if (
        results.plan.get("mode") == "closed"
        and latency["p99"]
        and latency["max"] >= STALL_FACTOR * latency["p99"]
    ):
        advice.append(
            Advice(
                "closed-model-hides-stalls",
                f"the max latency ({latency['max']:.1f} ms) is {latency['max'] / latency['p99']:.0f}x the p99 "
                f"({latency['p99']:.1f} ms): the server stalled, and the closed model hides stalls because each "
                "connection waits instead of sending; rerun with --rate to see their real cost in the percentiles",
                {"max_ms": latency["max"], "p99_ms": latency["p99"]},
            )
        )
    elif (
        latency["p50"]
        and latency["p99"] >= TAIL_FACTOR * latency["p50"]
        and latency["p99"] - latency["p50"] > 5
    ):
        advice.append(
            Advice(
                "long-tail",
                f"long tail: p99 {latency['p99']:.1f} ms is {latency['p99'] / latency['p50']:.1f}x the p50 "
                f"({latency['p50']:.1f} ms); look for GC pauses, lock contention or slow dependencies",
                {"p50_ms": latency["p50"], "p99_ms": latency["p99"]},
            )
        )
    saturation = _saturation(results)
    if saturation:
        advice.append(saturation)
    rate = results.plan.get("rate")
    if (
        rate
        and summary["elapsed_s"] >= 1
        and (summary["requests"] + summary["errors"]) / summary["elapsed_s"] < 0.9 * rate
    ):
        achieved = (summary["requests"] + summary["errors"]) / summary["elapsed_s"]
        advice.append(
            Advice(
                "rate-not-reached",
                f"the target rate {rate:g} req/s was not reached ({achieved:.0f} req/s): the server or the "
                "connections are saturated; latencies include the queueing this caused",
                {"target": rate, "achieved": achieved},
            )
        )
    if results.unfinished:
        advice.append(
            Advice(
                "unfinished",
                f"{results.unfinished} requests were still waiting for a response when the run ended",
                {"unfinished": results.unfinished},
            )
        )
    return advice


def _saturation(results: Results) -> Advice | None:
    """Throughput flat while latency climbs, comparing the first and last thirds of the run."""
    rows = [r for r in series_rows(results) if r["rps"] > 0][: int(results.elapsed)]
    if len(rows) < 6:
        return None
    third = len(rows) // 3
    first, last = rows[:third], rows[-third:]
    rps_first = sum(r["rps"] for r in first) / third
    rps_last = sum(r["rps"] for r in last) / third
    p50_first = sum(r["p50_ms"] for r in first) / third
    p50_last = sum(r["p50_ms"] for r in last) / third
    if p50_first and p50_last > 1.5 * p50_first and rps_last <= rps_first * 1.05:
        return Advice(
            "saturated",
            f"saturated: throughput stayed at {rps_first:.0f} -> {rps_last:.0f} req/s while the p50 climbed "
            f"{p50_first:.1f} -> {p50_last:.1f} ms over the run",
            {"rps": [rps_first, rps_last], "p50_ms": [p50_first, p50_last]},
        )
    return None


def sweep_advice(levels: list[tuple[int, Results]]) -> Advice | None:
    """Where throughput stops scaling with concurrency in a `--concurrency a,b,c` sweep.

    A step scales when throughput grows by at least a quarter of what linear scaling would give
    (10 -> 50 connections: at least +100%; 50 -> 100: at least +25%).
    """
    points = [(c, summarize(r)) for c, r in levels]
    for (c_prev, s_prev), (c_next, s_next) in itertools.pairwise(points):
        expected_gain = SCALING_SHARE * (c_next / c_prev - 1)
        if s_prev["rps"] and s_next["rps"] < s_prev["rps"] * (1 + expected_gain):
            return Advice(
                "stops-scaling",
                f"throughput stops scaling at concurrency {c_prev}: {c_prev} -> {c_next} connections moved "
                f"{s_prev['rps']:.0f} -> {s_next['rps']:.0f} req/s while p99 went "
                f"{s_prev['latency_ms']['p99']:.1f} -> {s_next['latency_ms']['p99']:.1f} ms",
                {"knee": c_prev, "rps": [s_prev["rps"], s_next["rps"]]},
            )
    if len(points) > 1:
        return Advice(
            "scales",
            f"throughput kept scaling up to concurrency {points[-1][0]} ({points[-1][1]['rps']:.0f} req/s); "
            "try higher levels to find the knee",
            {"rps": [s["rps"] for _, s in points]},
        )
    return None
