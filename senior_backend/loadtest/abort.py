"""Early stop: `--max-error-rate 0.2` and `--abort-on 'p99>2s'` end a run whose target is already failing.

The runner hands every worker's per-second entry to an `AbortWatch`; once all
workers have reported a second, the watch judges the last `WINDOW` seconds
(at least `MIN_ATTEMPTS` requests) and returns why to stop, if a rule holds.
A failed request, for the error rate, is one that got no response or got a 5xx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from senior_backend.common.errors import BadInput
from senior_backend.loadtest.histogram import SERIES_BITS, Histogram
from senior_backend.loadtest.results import Second

WINDOW = 5
MIN_ATTEMPTS = 20
_RULE = re.compile(
    r"^\s*(?P<metric>p50|p90|p95|p99|mean|error_rate)\s*(?P<op>>=|>)\s*"
    r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>us|µs|ms|s|%)?\s*$",
    re.IGNORECASE,
)
_UNIT_MS = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0, None: 1.0}


@dataclass(frozen=True)
class AbortRule:
    """Stop when `metric op value` holds: latencies in ms, the error rate as a fraction."""

    option: str  # the option that asked for it: "--max-error-rate" or "--abort-on"
    text: str
    metric: str
    op: str
    value: float

    def holds(self, actual: float) -> bool:
        return actual > self.value if self.op == ">" else actual >= self.value

    def shown(self, value: float) -> str:
        return f"{100 * value:.1f}%" if self.metric == "error_rate" else f"{value:.1f} ms"


def parse_abort_on(text: str) -> AbortRule:
    """`p99>2s`, `p50>=500ms`, `mean>1s`, `error_rate>10%` or `error_rate>0.1`."""
    match = _RULE.match(text)
    if not match:
        raise BadInput(
            "bad-abort-on",
            f"invalid --abort-on {text!r}",
            hint="examples: 'p99>2s' 'p95>500ms' 'mean>1s' 'error_rate>10%'",
        )
    metric, unit, value = match["metric"].lower(), match["unit"], float(match["value"])
    if metric == "error_rate":
        if unit not in (None, "%"):
            raise BadInput("bad-abort-on", f"invalid --abort-on {text!r}: error_rate takes a fraction or N%")
        value = value / 100 if unit == "%" else value
        if value > 1:
            raise BadInput("bad-abort-on", f"invalid --abort-on {text!r}: error_rate is at most 1 (100%)")
    else:
        if unit == "%":
            raise BadInput("bad-abort-on", f"invalid --abort-on {text!r}: a latency takes us, ms or s")
        value *= _UNIT_MS[unit.lower() if unit else None]
    return AbortRule("--abort-on", text.strip(), metric, match["op"], value)


def max_error_rate_rule(value: float) -> AbortRule:
    """`--max-error-rate 0.2`: stop once more than that share of requests fail."""
    if not 0 <= value < 1:
        raise BadInput("bad-option", f"--max-error-rate must be a fraction from 0 to below 1 (got {value:g})")
    return AbortRule("--max-error-rate", f"{value:g}", "error_rate", ">", value)


class AbortWatch:
    """Merges the workers' seconds and says when a rule holds over the recent window."""

    def __init__(self, rules: tuple[AbortRule, ...], workers: int) -> None:
        self.rules = rules
        self.workers = workers
        self.seconds: dict[int, Second] = {}
        self.reports: dict[int, int] = {}
        self.judged = -1

    def add(self, second: Second) -> dict | None:
        """Take one worker's second; return {rule, condition, reason, at_s} when the run must stop."""
        merged = self.seconds.setdefault(second.second, Second(second.second))
        merged.merge(second)
        self.reports[second.second] = self.reports.get(second.second, 0) + 1
        if self.reports[second.second] < self.workers or second.second <= self.judged:
            return None
        self.judged = second.second
        window = [
            self.seconds[s] for s in range(second.second - WINDOW + 1, second.second + 1) if s in self.seconds
        ]
        return self._judge(window, second.second + 1)

    def _judge(self, window: list[Second], at: int) -> dict | None:
        latency = Histogram(SERIES_BITS)
        failed = attempts = 0
        for entry in window:
            latency.merge(entry.latency)
            errors = sum(entry.errors.values())
            failed += errors + sum(n for code, n in entry.statuses.items() if code.startswith("5"))
            attempts += entry.requests + errors
        if attempts < MIN_ATTEMPTS:
            return None
        for rule in self.rules:
            if rule.metric == "error_rate":
                actual = failed / attempts
                detail = f"({failed} of {attempts} requests got no response or a 5xx)"
            elif latency.total:
                actual = (
                    latency.mean() if rule.metric == "mean" else latency.percentile(float(rule.metric[1:]))
                )
                actual /= 1000
                detail = f"({latency.total} responses)"
            else:
                continue
            if rule.holds(actual):
                limit = rule.shown(rule.value)
                reason = (
                    f"stopped early at {at} s: {rule.metric} {rule.shown(actual)} {rule.op} {limit} over the last "
                    f"{len(window)} s {detail} ({rule.option} {rule.text})"
                )
                return {
                    "rule": rule.option.lstrip("-"),
                    "condition": rule.text,
                    "reason": reason,
                    "at_s": float(at),
                }
        return None
