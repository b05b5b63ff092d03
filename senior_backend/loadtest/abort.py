"""Early stop: `--max-error-rate 0.2` and `--abort-on 'p99>2s'` end a run whose target is already failing.

A local run's workers send a slice of what they measured every 50 ms
(`add_slice`): the watch judges a sliding window of the last `WINDOW` seconds
(at least `MIN_ATTEMPTS` requests) each time the newest slice moves on, so a run
ends within about 100 ms of a rule holding. A cluster's actors report whole
seconds (`add`): once all have reported a second, the watch judges the window
of complete seconds. A failed request, for the error rate, is one that got no
response or got a 5xx.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from senior_backend.common.errors import BadInput
from senior_backend.loadtest.histogram import SERIES_BITS, Histogram
from senior_backend.loadtest.results import Second

WINDOW = 5
MIN_ATTEMPTS = 20
SLICE_STEP = 0.045  # judge the sliding window at most this often (s): once per round of slices
_RULE = re.compile(
    r"^\s*(?P<metric>p50|p90|p95|p99|mean|error_rate)\s*(?P<op>>=|>)\s*"
    r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>us|µs|ms|s|%)?\s*$",
    re.IGNORECASE,
)
_UNIT_MS = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0}


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
        """A rate in %, a latency in ms, with the digits a sub-millisecond limit needs."""
        if self.metric == "error_rate":
            return f"{100 * value:.1f}%"
        return f"{value:.1f} ms" if value >= 1 or value == 0 else f"{value:.3f} ms"


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
        if unit is None or unit == "%":
            raise BadInput(
                "bad-abort-on", f"invalid --abort-on {text!r}: a latency takes a unit: us, ms or s"
            )
        value *= _UNIT_MS[unit.lower()]
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
        self.slices: deque[tuple[float, Second]] = deque()  # (seconds into the measured window, slice)
        self.sliced_at = -1.0

    def add_slice(self, at_s: float, entry: Second) -> dict | None:
        """Take one worker's slice ending `at_s` seconds into the run; return why to stop, if a rule holds."""
        self.slices.append((at_s, entry))
        newest = max(at_s, self.sliced_at)
        while self.slices and self.slices[0][0] <= newest - WINDOW:
            self.slices.popleft()
        if newest - self.sliced_at < SLICE_STEP:
            return None
        self.sliced_at = newest
        return self._judge([entry for _, entry in self.slices], newest, min(newest, WINDOW))

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
        return self._judge(window, second.second + 1, len(window))

    def _judge(self, window: list[Second], at: float, span: float) -> dict | None:
        latency = Histogram(SERIES_BITS)
        failed = attempts = 0
        latency_rules = any(rule.metric != "error_rate" for rule in self.rules)
        for entry in window:
            if latency_rules:
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
                    f"stopped early at {round(at, 2):g} s: {rule.metric} {rule.shown(actual)} {rule.op} {limit} "
                    f"over the last {round(span, 2):g} s {detail} ({rule.option} {rule.text})"
                )
                return {
                    "rule": rule.option.lstrip("-"),
                    "condition": rule.text,
                    "reason": reason,
                    "at_s": round(float(at), 3),
                }
        return None
