"""The engine entry point for the Ray tests: the real engine, observed (every raw latency written down).

It stands in for `engine.run_worker` inside the actors (`run_on_cluster(..., worker=...)`); the
tests ship this module to the cluster by value, since `tests` is not installed there.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from senior_backend.loadtest.engine import Worker
from senior_backend.loadtest.plan import LoadPlan
from senior_backend.loadtest.results import Results, Second


def _run(worker: Worker) -> Results:
    try:
        import uvloop

        return uvloop.run(worker.run())
    except ImportError:
        return asyncio.run(worker.run())


def recording_worker(
    raw_dir: str,
    plan: LoadPlan,
    start_at_ns: int,
    on_tick: Callable[[Second], None],
    should_stop: Callable[[], bool],
) -> Results:
    """The engine, writing every measured latency (µs, one per line) to a file of its own in `raw_dir`."""
    path = Path(raw_dir) / f"{os.getpid()}-{start_at_ns}.txt"

    class Recording(Worker):
        def _fold(self) -> Second:
            with path.open("a") as raw:
                raw.writelines(f"{value}\n" for value in self.latencies)
            return super()._fold()

    return _run(Recording(plan, start_at_ns, on_tick, should_stop))
