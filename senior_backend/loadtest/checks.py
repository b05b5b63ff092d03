"""CI checks computed from results: thresholds, expected status, expected rate limiting, baseline regressions.

Each check is a value (`Check`): a stable `rule` (the kind of check), whether
it passed, a one-line reason and the numbers behind it; the CLI exits 1 when
any fails. Option values are parsed here, and a malformed one is bad input
(exit 2) before any request is sent.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from senior_backend.common.diagnostics import Level
from senior_backend.common.errors import BadInput
from senior_backend.loadtest.results import Results
from senior_backend.loadtest.stats import Measured, compare

_THRESHOLD = re.compile(
    r"^\s*(?P<metric>p\d+(?:\.\d+)?|mean|min|max|rps|errors|non2xx)\s*(?P<op><=|>=|<|>)\s*"
    r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>us|µs|ms|s|%)?\s*$",
    re.IGNORECASE,
)
_UNIT_MS = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0, None: 1.0}
_EXPECT = re.compile(r"^\s*(?P<code>[1-5]\d\d)\s*(?::\s*(?P<share>\d+(?:\.\d+)?)\s*%?)?\s*$")


@dataclass(frozen=True)
class Check:
    """One verdict: what was checked (`rule`: the kind of check), whether it passed, and the numbers behind it.

    A failed check is an error (the run exits 1), a passed one a note: `level` says which.
    """

    rule: str
    name: str
    passed: bool
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> Level:
        return Level.INFO if self.passed else Level.ERROR

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "level": self.level.value}


@dataclass(frozen=True)
class Threshold:
    """`metric op value`, with latencies in ms and rates as fractions."""

    text: str
    metric: str
    op: str
    value: float
    percent: bool


def parse_threshold(text: str) -> Threshold:
    match = _THRESHOLD.match(text)
    if not match:
        raise BadInput(
            "bad-threshold",
            f"invalid threshold {text!r}",
            hint="examples: 'p99<200ms' 'mean<50ms' 'errors<1%' 'errors<=0' 'rps>1000'",
        )
    metric = match["metric"].lower()
    unit = match["unit"].lower() if match["unit"] else None
    value = float(match["value"])
    latency = metric.startswith("p") or metric in ("mean", "min", "max")
    if latency:
        if unit is None or unit == "%":
            raise BadInput(
                "bad-threshold", f"invalid threshold {text!r}: a latency takes a unit: us, ms or s"
            )
        if metric.startswith("p") and not 0 < float(metric[1:]) <= 100:
            raise BadInput("bad-threshold", f"invalid threshold {text!r}: percentile out of range")
        value *= _UNIT_MS[unit]
    elif metric == "rps" and unit is not None:
        raise BadInput("bad-threshold", f"invalid threshold {text!r}: rps takes a plain number")
    elif metric in ("errors", "non2xx") and unit not in (None, "%"):
        raise BadInput("bad-threshold", f"invalid threshold {text!r}: {metric} takes N or N%")
    return Threshold(text.strip(), metric, match["op"], value, unit == "%")


def _holds(actual: float, op: str, limit: float) -> bool:
    return {"<": actual < limit, "<=": actual <= limit, ">": actual > limit, ">=": actual >= limit}[op]


def check_threshold(threshold: Threshold, run: Measured) -> Check:
    summary, results = run.summary, run.results
    metric = threshold.metric
    if metric == "rps":
        actual, shown = summary["rps"], f"{summary['rps']:.1f} req/s"
    elif metric in ("errors", "non2xx"):
        # `errors`: failed requests, no response or a 5xx (as --max-error-rate counts); `non2xx`: any non-2xx
        count = summary["failed"] if metric == "errors" else summary["non_2xx"]
        rate = summary["failed_rate"] if metric == "errors" else summary["non_2xx_rate"]
        actual = 100 * rate if threshold.percent else count
        shown = f"{100 * rate:.2f}% ({count} of {summary['requests'] + summary['errors']})"
    else:
        histogram = results.latency
        if metric == "mean":
            value = histogram.mean()
        elif metric == "min":
            value = histogram.min
        elif metric == "max":
            value = histogram.max
        else:
            value = histogram.percentile(float(metric[1:]))
        actual = value / 1000
        shown = f"{actual:.2f} ms" if actual >= 1 or actual == 0 else f"{actual:.3f} ms"
    if metric not in ("rps", "errors", "non2xx") and results.latency.total == 0:
        return Check(
            "threshold", f"threshold {threshold.text}", False, f"{threshold.text}: no responses to measure"
        )
    passed = _holds(actual, threshold.op, threshold.value)
    verdict = "met" if passed else "FAILED"
    return Check(
        "threshold",
        f"threshold {threshold.text}",
        passed,
        f"{threshold.text} {verdict}: {metric} was {shown}",
        {"metric": metric, "actual": actual, "limit": threshold.value},
    )


def parse_expect_status(text: str) -> tuple[int, float]:
    """`400` (every request) or `400:99%` (at least that share); returns (code, share in %)."""
    match = _EXPECT.match(text)
    if not match:
        raise BadInput(
            "bad-expect-status",
            f"invalid --expect-status {text!r}",
            hint="examples: 400, 400:99%",
        )
    share = float(match["share"]) if match["share"] else 100.0
    if not 0 < share <= 100:
        raise BadInput("bad-expect-status", f"invalid --expect-status {text!r}: share out of range")
    return int(match["code"]), share


def check_status(code: int, share: float, run: Measured) -> Check:
    summary = run.summary
    attempts = summary["requests"] + summary["errors"]
    got = summary["statuses"].get(str(code), 0)
    actual = 100 * got / attempts if attempts else 0.0
    passed = attempts > 0 and actual >= share
    others = {k: v for k, v in summary["statuses"].items() if k != str(code)}
    if summary["errors"]:
        others["connection errors"] = summary["errors"]
    reason = f"expected status {code} for {share:g}% of requests: got {actual:.2f}% ({got} of {attempts})"
    if not passed and others:
        reason += "; others: " + ", ".join(f"{k}: {v}" for k, v in others.items())
    evidence = {"code": code, "share": actual, "required": share}
    return Check("expect-status", f"expect-status {code}", passed, reason, evidence)


def check_any_success(run: Measured) -> Check:
    """The implicit check of a run given no explicit one: at least one request got a 2xx or 3xx."""
    summary = run.summary
    succeeded = sum(n for code, n in summary["statuses"].items() if code[:1] in ("2", "3"))
    attempts = summary["requests"] + summary["errors"] + summary["unfinished"]
    reason = f"{succeeded} of {attempts} requests got a 2xx or 3xx response"
    if not succeeded:
        outcomes = [f"{code}: {n}" for code, n in summary["statuses"].items()]
        outcomes += [f"{kind}: {n}" for kind, n in sorted(summary["errors_by_kind"].items())]
        if summary["unfinished"]:
            outcomes.append(f"{summary['unfinished']} unfinished at the end")
        reason = f"no request succeeded (no 2xx or 3xx) in {summary['elapsed_s']:g} s: " + (
            ", ".join(outcomes) or "no response at all"
        )
    evidence = {"succeeded": succeeded, "attempts": attempts}
    return Check("any-success", "any-success", succeeded > 0, reason, evidence)


def check_stopped_early(run: Measured) -> Check | None:
    """A run that `--max-error-rate` or `--abort-on` stopped fails, with the reason it was stopped."""
    stopped = run.results.stopped_early
    if not stopped:
        return None
    return Check("early-stop", f"early stop ({stopped['rule']} {stopped['condition']})", False, stopped["reason"], stopped)


def rate_limit_evidence(results: Results) -> dict[str, Any]:
    """When 429s began, the request rate in that second, and the rate-limit headers seen."""
    count = results.statuses.get("429", 0)
    began = results.first_429_at
    rate_then = None
    if began is not None:
        for entry in results.series:
            if entry.second <= began < entry.second + 1:
                rate_then = entry.requests + sum(entry.errors.values())
                break
    return {
        "responses_429": count,
        "began_at_s": began,
        "rps_then": rate_then,
        "headers": results.rate_limit_headers,
    }


def check_rate_limit(run: Measured) -> Check:
    evidence = rate_limit_evidence(run.results)
    if not evidence["responses_429"]:
        summary = run.summary
        return Check(
            "expect-rate-limit",
            "expect-rate-limit",
            False,
            f"no 429 responses in {summary['requests']} requests at {summary['rps']:.0f} req/s: "
            "no rate limiting seen",
            evidence,
        )
    headers = ", ".join(f"{k}: {' | '.join(v)}" for k, v in evidence["headers"].items()) or "none"
    reason = (
        f"rate limited: {evidence['responses_429']} responses 429, first at {evidence['began_at_s']:.2f} s "
        f"while sending {evidence['rps_then']} req/s; headers seen: {headers}"
    )
    return Check("expect-rate-limit", "expect-rate-limit", True, reason, evidence)


def check_baseline(baseline: Measured, current: Measured, tolerance_pct: float) -> list[Check]:
    """Regressions of the current run against a saved one: worse than the tolerance and not noise."""
    checks = []
    worse_if_higher = {"mean", "p50", "p90", "p99"}
    for metric in compare(baseline, current):
        name = metric["metric"]
        if name not in worse_if_higher | {"rps", "error_rate"}:
            continue
        interval, significant = metric["ci95"], metric["significant"]
        noise_ok = significant or interval is None
        if name == "error_rate":
            regressed = metric["diff"] > 1.0 and noise_ok
            detail = f"error rate {metric['a']:.2f}% -> {metric['b']:.2f}%"
        else:
            pct = metric["diff_pct"] or 0.0
            worse = pct > tolerance_pct if name in worse_if_higher else pct < -tolerance_pct
            regressed = worse and noise_ok
            detail = f"{name} {metric['a']:.3f} -> {metric['b']:.3f} {metric['unit']} ({pct:+.1f}%)"
        if interval:
            detail += f", 95% CI of the difference [{interval[0]:.3f}, {interval[1]:.3f}]"
        label = f"regression beyond {tolerance_pct:g}%" if regressed else "within tolerance"
        checks.append(Check("baseline", f"baseline {name}", not regressed, f"{detail}: {label}", metric))
    return checks
