"""How busy the load generator itself was: a worker process's CPU time, and its wait for a CPU.

A worker is one event-loop thread, so it is saturated when it ran (or was
ready to run but waited for a core) for nearly the whole measured window: then
the numbers measure the client, not the server. Linux reports both times in
`/proc/self/schedstat` (nanoseconds running, nanoseconds waiting on a run
queue); elsewhere only the CPU time is known.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

SCHEDSTAT = Path("/proc/self/schedstat")


@dataclass(frozen=True)
class CpuSample:
    """The process's CPU nanoseconds, its run-queue wait (None when unknown) and the wall clock."""

    cpu_ns: int
    wait_ns: int | None
    wall_ns: int


def sample() -> CpuSample:
    wait = None
    try:
        fields = SCHEDSTAT.read_text().split()
        wait = int(fields[1])
    except (OSError, ValueError, IndexError):
        pass
    return CpuSample(time.process_time_ns(), wait, time.monotonic_ns())


def usage(start: CpuSample, end: CpuSample) -> dict[str, float]:
    """One worker's CPU seconds, and as shares of its window: `busiest_cpu` (running) and `busiest_demand`
    (running or waiting for a core); merged across workers by `merge_usage`."""
    wall = max(end.wall_ns - start.wall_ns, 1)
    cpu = end.cpu_ns - start.cpu_ns
    waited = end.wait_ns - start.wait_ns if end.wait_ns is not None and start.wait_ns is not None else 0
    return {
        "workers": 1,
        "cpu_seconds": round(cpu / 1e9, 4),
        "busiest_cpu": round(min(cpu / wall, 1.0), 4),
        "busiest_demand": round(min((cpu + waited) / wall, 1.0), 4),
    }


def merge_usage(mine: dict[str, float], other: dict[str, float]) -> dict[str, float]:
    """Two sets of workers together: counts and seconds add up, the busiest is the busier."""
    if not mine or not other:
        return dict(mine or other)
    return {
        "workers": mine["workers"] + other["workers"],
        "cpu_seconds": round(mine["cpu_seconds"] + other["cpu_seconds"], 4),
        "busiest_cpu": max(mine["busiest_cpu"], other["busiest_cpu"]),
        "busiest_demand": max(mine["busiest_demand"], other["busiest_demand"]),
    }
