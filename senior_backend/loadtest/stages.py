"""Ramping stages (`--stages 30s:50,2m:200,30s:0`): the load level over time, and the arrival schedule.

Each stage moves the level linearly from where the previous one ended to its
target over its duration. The level is connections in the closed model (the
ramp starts from 0) or the arrival rate in req/s in the open model (the ramp
starts from `--rate`). Open-model arrivals are spaced so that the number of
requests sent by time t is the integral of the rate up to t: arrival k is due
when that integral reaches k.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from senior_backend.common.errors import BadInput

_STAGE = re.compile(
    r"^\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h)?\s*:\s*(?P<target>\d+(?:\.\d+)?)\s*$"
)
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


@dataclass(frozen=True)
class Ramp:
    """A level that starts at `start` and follows `stages`, each (seconds, target level)."""

    start: float
    stages: tuple[tuple[float, float], ...]

    @property
    def duration(self) -> float:
        return sum(seconds for seconds, _ in self.stages)

    @property
    def peak(self) -> float:
        return max([self.start, *(target for _, target in self.stages)])

    def spans(self) -> list[tuple[float, float, float, float]]:
        """Each stage as (start second, end second, level from, level to)."""
        spans, at, level = [], 0.0, self.start
        for seconds, target in self.stages:
            spans.append((at, at + seconds, level, target))
            at, level = at + seconds, target
        return spans

    def level(self, t: float) -> float:
        """The level `t` seconds into the ramp (the last target after its end)."""
        for begin, end, low, high in self.spans():
            if t < end:
                return low + (high - low) * (max(t, begin) - begin) / (end - begin)
        return self.stages[-1][1] if self.stages else self.start

    def offered(self, t: float) -> float:
        """The integral of the level from 0 to `t`: the requests an open-model ramp sends by then."""
        total = 0.0
        for begin, end, low, high in self.spans():
            if t <= begin:
                break
            x = min(t, end) - begin
            total += low * x + (high - low) * x * x / (2 * (end - begin))
        return total

    def arrival(self, k: float) -> float | None:
        """When the `k`-th request (from 0) is due: the time the integral of the rate reaches `k`; None
        when the ramp ends first."""
        remaining = k
        for begin, end, low, high in self.spans():
            seconds = end - begin
            area = (low + high) * seconds / 2
            if remaining < area:
                slope = (high - low) / seconds
                # solve low*x + slope*x^2/2 = remaining, in the form that stays exact when low is 0
                root = math.sqrt(max(low * low + 2 * slope * remaining, 0.0))
                return begin + (2 * remaining / (low + root) if low + root > 0 else 0.0)
            remaining -= area
        return None


def parse_stages(text: str) -> tuple[tuple[float, float], ...]:
    """`30s:50,2m:200,30s:0` -> ((30.0, 50.0), (120.0, 200.0), (30.0, 0.0)); bad input exits 2."""
    stages = []
    for part in text.split(","):
        match = _STAGE.match(part)
        if not match:
            raise BadInput(
                "bad-stages",
                f"invalid --stages {text!r}: {part.strip()!r} is not DURATION:TARGET",
                hint="e.g. --stages 30s:50,2m:200,30s:0 (durations in ms, s, m or h)",
            )
        seconds = float(match["amount"]) * _SECONDS[match["unit"]]
        if seconds <= 0:
            raise BadInput("bad-stages", f"invalid --stages {text!r}: a stage lasts more than 0 s")
        stages.append((seconds, float(match["target"])))
    return tuple(stages)


def open_model(plan: dict) -> bool:
    """Whether a plan (as saved) is the open model: a rate is set, 0 included (a ramp from nothing)."""
    return plan.get("rate") is not None


def stage_label(plan: dict) -> str:
    """How a ramp is named in reports: `ramp 0->50->200->0 connections` or `ramp 10->100 req/s`."""
    stages = plan.get("stages") or []
    start = plan.get("rate") or 0
    levels = [start, *(stage["target"] for stage in stages)]
    unit = "req/s" if open_model(plan) else "connections"
    return "ramp " + "->".join(f"{level:g}" for level in levels) + f" {unit}"


def run_label(plan: dict) -> str:
    """A run's name from its plan: the ramp, `rate R/s` (open model) or `c=N` (closed model)."""
    if plan.get("stages"):
        return stage_label(plan)
    if open_model(plan):
        return f"rate {plan['rate']:g}/s"
    return f"c={plan.get('concurrency')}"


def model_text(plan: dict) -> str:
    """The load model of a run in words, for headlines: never a connection count for a rate run."""
    count = plan.get("concurrency")
    connections = f"{count} connection{'' if count == 1 else 's'}"
    if plan.get("stages"):
        model = "open" if open_model(plan) else "closed"
        over = f" over {connections}" if open_model(plan) else ""
        return f"{model} model, {stage_label(plan)}{over}"
    if open_model(plan):
        return f"open model at {plan['rate']:g} req/s over {connections}"
    return f"closed model, {connections}"
