"""Runs a plan on `--workers` processes, relays live progress, merges their results exactly.

Every worker gets its share of the connections, rate and request budget
(`LoadPlan.share`) and the same start instant on the system-wide monotonic
clock, so their per-second series line up and merge by adding. Ctrl-C in the
parent sets a shared event; the workers stop at their next check (50 ms) and
send what they have, which the caller reports as a partial run.
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from multiprocessing.connection import Connection, wait
from typing import Any

from senior_backend.common.errors import BadInput, InternalError
from senior_backend.loadtest.abort import AbortRule, AbortWatch
from senior_backend.loadtest.engine import run_worker
from senior_backend.loadtest.histogram import SERIES_BITS, Histogram
from senior_backend.loadtest.plan import LoadPlan
from senior_backend.loadtest.results import Results, Second

START_DELAY = 0.25
FILES_SPARE = 64  # open files a worker needs besides its sockets (pipes, the event loop, imports)
JOIN_TIMEOUT = 10.0


@dataclass
class Progress:
    """What the live progress line shows."""

    elapsed: float
    requests: int
    rps: float | None  # the last second every worker has reported; None before there is one
    p99_us: float
    errors: int


def _worker_main(plan: LoadPlan, start_at_ns: int, pipe: Connection, stop: Any, slices: bool) -> None:
    # Ctrl-C and SIGTERM reach the whole process group: the parent alone handles them (it sets `stop`),
    # so a worker always finishes and sends its results.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        results = run_worker(
            plan,
            start_at_ns,
            lambda second: pipe.send(("tick", second.to_json())),
            stop.is_set,
            (lambda at_s, entry: pipe.send(("slice", (at_s, entry.to_json())))) if slices else None,
        )
        pipe.send(("done", results.to_json()))
    except Exception as exc:  # reported by the parent as one line
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


class ProgressMerger:
    """Adds up the workers' per-second ticks for the live line."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.latency = Histogram(SERIES_BITS)
        self.by_second: dict[int, int] = {}
        self.reports: dict[int, int] = {}
        self.requests = 0
        self.errors = 0

    def add(self, second: Second) -> None:
        self.latency.merge(second.latency)
        self.by_second[second.second] = self.by_second.get(second.second, 0) + second.requests
        self.reports[second.second] = self.reports.get(second.second, 0) + 1
        self.requests += second.requests
        self.errors += sum(second.errors.values())

    def progress(self, elapsed: float) -> Progress:
        complete = [s for s, n in self.reports.items() if n >= self.workers]
        last = max(complete) if complete else None
        rps = float(self.by_second[last]) if last is not None else None
        return Progress(elapsed, self.requests, rps, self.latency.percentile(99), self.errors)


def ensure_file_limit(connections: int) -> None:
    """Make room for `connections` sockets in each worker process: raise the soft open-files limit
    toward the hard one, or refuse with what to do (otherwise every connection past the limit fails as a
    'connect' error that looks like the server's)."""
    needed = connections + FILES_SPARE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    if hard == resource.RLIM_INFINITY or hard >= needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        return
    raise BadInput(
        "file-limit",
        f"{connections} connections per worker process need {needed} open files; this process may open "
        f"{hard} at most",
        hint=f"raise it (`ulimit -n {needed}`), or spread the connections over more --workers",
    )


def run_plan(
    plan: LoadPlan,
    on_progress: Callable[[Progress], None] | None = None,
    parts: list[Results] | None = None,
    abort_rules: tuple[AbortRule, ...] = (),
) -> Results:
    """Run the plan to completion (or until Ctrl-C, or until an abort rule holds) and return the merged
    results.

    When `parts` is given, each worker's own results are appended to it as well.
    """
    count = max(1, min(plan.workers, plan.concurrency))
    ensure_file_limit(-(-plan.concurrency // count))
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    start_at_ns = time.monotonic_ns() + int(START_DELAY * 1e9)
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    pipes: list[Connection] = []
    processes = []
    for index in range(count):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker_main,
            args=(plan.share(index, count), start_at_ns, sender, stop, bool(abort_rules)),
            daemon=True,
        )
        process.start()
        sender.close()
        pipes.append(receiver)
        processes.append(process)
    merger = ProgressMerger(count)
    watch = AbortWatch(abort_rules, count) if abort_rules else None
    stopped_early = None
    parts = [] if parts is None else parts
    problems: list[str] = []
    interrupted = False
    open_pipes = list(pipes)
    while open_pipes:
        try:
            for pipe in wait(open_pipes, timeout=0.5):
                try:
                    kind, payload = pipe.recv()
                except (EOFError, OSError):
                    open_pipes.remove(pipe)
                    continue
                if kind == "tick":
                    second = Second.from_json(payload)
                    merger.add(second)
                    if on_progress is not None:
                        elapsed = (time.monotonic_ns() - start_at_ns) / 1e9 - plan.warmup
                        on_progress(merger.progress(elapsed))
                elif kind == "slice":
                    if watch is not None and stopped_early is None:
                        stopped_early = watch.add_slice(payload[0], Second.from_json(payload[1]))
                        if stopped_early is not None:
                            stop.set()
                elif kind == "done":
                    parts.append(Results.from_json(payload))
                else:
                    problems.append(payload)
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
    for process in processes:
        process.join(JOIN_TIMEOUT)
        if process.is_alive():
            process.kill()
    if problems and not parts:
        raise InternalError("engine-failed", f"the load engine failed: {problems[0]}")
    merged = Results(plan.describe(), started_at=started_at)
    for part in parts:
        merged.merge(part)
    # the workers stopped by an abort rule report an interrupt: only Ctrl-C is one
    merged.interrupted = interrupted or (merged.interrupted and stopped_early is None)
    merged.stopped_early = stopped_early
    return merged
