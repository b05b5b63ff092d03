"""Runs a plan on a Ray cluster (`--cluster`): workers as actors spread over the nodes, one merged result.

The driver connects to the cluster (`ray://HEAD:10001`, `HOST:PORT`, or
`RAY_ADDRESS` / a cluster on this machine for `ray` and `auto`), places one
`LoadActor` per worker (one CPU each, spread across nodes), waits until every
one is up, then gives them all the same start instant, a wall-clock time a
second ahead (`START_DELAY`) that each converts to its own monotonic clock.
While they run it polls their per-second ticks for the live progress line;
at the end it merges their results exactly (`Results.merge`, as for local
worker processes) and keeps a per-node breakdown (`NodeShare`). A worker
that dies (its node lost, its process killed) or does not answer in time is
reported with its node; the seconds it had sent are kept as its partial
result, and `check_nodes` fails the run (exit 1). The abort rules
(`--max-error-rate`, `--abort-on`) are judged on the merged ticks as in a
local run (`abort.AbortWatch`); when one holds every actor is told to stop and
the run reports `stopped_early`. Ray is an optional extra, imported only here
and only when `--cluster` is given.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from types import ModuleType
from typing import Any

from senior_backend.common.errors import BadInput, Unreachable
from senior_backend.loadtest.abort import AbortRule, AbortWatch
from senior_backend.loadtest.checks import Check
from senior_backend.loadtest.cluster_actor import LoadActor, WorkerFunction
from senior_backend.loadtest.engine import END_GRACE, run_worker
from senior_backend.loadtest.histogram import Histogram, bucket_value
from senior_backend.loadtest.nodes import NodeShare
from senior_backend.loadtest.plan import LoadPlan
from senior_backend.loadtest.results import Results, Second
from senior_backend.loadtest.runner import Progress, ProgressMerger
from senior_backend.loadtest.stats import Measured

EXTRA = "pip install 'senior-backend[distributed]'"
START_DELAY = 1.0
PLACE_TIMEOUT = 120.0
POLL_INTERVAL = 0.5
POLL_TIMEOUT = 5.0
LATE_AFTER = 30.0
PROBE_TIMEOUT = 5.0


def require_ray() -> ModuleType:
    """The `ray` module; bad input (exit 2, one line naming the extra) when it is not installed."""
    try:
        import ray
    except ImportError:
        raise BadInput("ray-missing", "--cluster needs Ray, which is not installed", hint=EXTRA) from None
    return ray


def cluster_address(text: str) -> str:
    """The address to connect to: `ray` or `auto` mean $RAY_ADDRESS, else a cluster started on this machine."""
    text = text.strip()
    if not text:
        raise BadInput("bad-option", "--cluster needs an address: ray://HEAD:10001, HOST:PORT, ray or auto")
    if text in ("ray", "auto"):
        return os.environ.get("RAY_ADDRESS") or "auto"
    return text


def check_cluster(text: str) -> None:
    """Validate `--cluster` before any request: an address, and Ray installed."""
    cluster_address(text)
    require_ray()


def run_on_cluster(
    cluster: str,
    plan: LoadPlan,
    on_progress: Callable[[Progress], None] | None = None,
    parts: list[Results] | None = None,
    workers: int | None = None,
    worker: WorkerFunction = run_worker,
    abort_rules: tuple[AbortRule, ...] = (),
) -> Results:
    """Run the plan on the cluster's nodes and return the merged results, with `nodes` filled in.

    `workers` None means one per CPU of the cluster. When `parts` is given, each worker's own results
    are appended to it. `worker` is the engine entry point each actor calls (`engine.run_worker`).
    When one of `abort_rules` holds on the merged seconds, every worker stops (`stopped_early`).
    """
    ray = require_ray()
    address = cluster_address(cluster)
    _probe(address)
    try:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError... for a bad address
        message = _one_line(exc)
        raise Unreachable(
            "cluster-unreachable",
            f"cannot connect to the Ray cluster at {address}: {message}",
            hint=connect_hint(message),
        ) from None
    try:
        return _ClusterRun(ray, plan, workers, worker).run(
            on_progress, [] if parts is None else parts, abort_rules
        )
    finally:
        ray.shutdown()


def connect_hint(message: str) -> str:
    """What to do about a failed `ray.init`, from Ray's own message."""
    if "Starting Ray client server failed" in message:
        # the proxy forks a server per client while its gRPC threads run; the child can die of SIGSEGV
        return (
            "the head's Ray Client proxy could not start a server for this client (see "
            "ray_client_server_*.err on the head); try again, and start the head with "
            "GRPC_ENABLE_FORK_SUPPORT=0 in its environment, which avoids this crash"
        )
    return "start one with `ray start --head`, or give --cluster ray://HEAD:10001"


def _probe(address: str) -> None:
    """Fail fast on an address nobody listens at: Ray itself retries such an address forever."""
    if address == "auto":
        return
    client = address.startswith("ray://")
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        host, port = address.removeprefix("ray://"), "10001" if client else "6379"
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_TIMEOUT).close()
    except OSError as exc:
        raise Unreachable(
            "cluster-unreachable",
            f"cannot connect to the Ray cluster at {address}: {exc.strerror or exc}",
            hint="check the address: ray://HEAD:10001 (Ray Client) or HEAD:6379 from a cluster node",
        ) from None


class _ClusterRun:
    """One plan on a connected cluster: place, start together, poll, collect, merge."""

    def __init__(self, ray: ModuleType, plan: LoadPlan, workers: int | None, worker: WorkerFunction) -> None:
        self.ray = ray
        cpus = int(ray.cluster_resources().get("CPU", 0))
        count = max(1, min(workers or cpus or 1, plan.concurrency))
        if count > cpus:
            raise BadInput(
                "bad-option",
                f"--workers {count} is more than the Ray cluster's {cpus} CPUs (each worker takes one)",
            )
        self.plan = replace(plan, workers=count)
        self.worker = worker
        self.count = count

    def run(
        self,
        on_progress: Callable[[Progress], None] | None,
        parts: list[Results],
        abort_rules: tuple[AbortRule, ...] = (),
    ) -> Results:
        from ray.exceptions import GetTimeoutError

        remote = self.ray.remote(num_cpus=1, max_concurrency=3, scheduling_strategy="SPREAD")(LoadActor)
        actors = [remote.remote() for _ in range(self.count)]
        try:
            try:
                places = self.ray.get([a.where.remote() for a in actors], timeout=PLACE_TIMEOUT)
            except GetTimeoutError:
                raise Unreachable(
                    "cluster-busy",
                    f"the Ray cluster did not start {self.count} workers in {PLACE_TIMEOUT:g} s",
                    hint="free some CPUs or give fewer --workers",
                ) from None
            shares = [self.plan.share(i, self.count) for i in range(self.count)]
            start_epoch_ns = time.time_ns() + int(START_DELAY * 1e9)
            started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            runs = {
                a.run.remote(share, start_epoch_ns, self.worker): i
                for i, (a, share) in enumerate(zip(actors, shares, strict=True))
            }
            collected = _Collector(
                self.ray, actors, shares, start_epoch_ns, self.plan, on_progress, abort_rules
            )
            collected.wait(runs)
        finally:
            for actor in actors:
                self.ray.kill(actor)
        merged = Results(self.plan.describe(), started_at=started_at)
        for part in collected.parts:
            if part is not None:
                parts.append(part)
                merged.merge(part)
        # the workers stopped by an abort rule report an interrupt: only Ctrl-C is one
        merged.interrupted = collected.interrupted or (merged.interrupted and collected.stopped_early is None)
        merged.stopped_early = collected.stopped_early
        merged.nodes = _nodes(places, collected.parts, collected.lost)
        return merged


class _Collector:
    """Waits for the actors' results while relaying their ticks; keeps the ticks of each as its fallback."""

    def __init__(
        self,
        ray: ModuleType,
        actors: list[Any],
        shares: list[LoadPlan],
        start_epoch_ns: int,
        plan: LoadPlan,
        on_progress: Callable[[Progress], None] | None,
        abort_rules: tuple[AbortRule, ...] = (),
    ) -> None:
        self.ray = ray
        self.actors = actors
        self.shares = shares
        self.start_epoch_ns = start_epoch_ns
        self.plan = plan
        self.on_progress = on_progress
        self.merger = ProgressMerger(len(actors))
        self.seconds: list[list[Second]] = [[] for _ in actors]
        self.parts: list[Results | None] = [None] * len(actors)
        self.lost: dict[int, str] = {}
        self.interrupted = False
        self.watch = AbortWatch(abort_rules, len(actors)) if abort_rules else None
        self.stopped_early: dict[str, Any] | None = None
        end = plan.warmup + (plan.duration or 0) + END_GRACE + plan.timeout + LATE_AFTER
        self.give_up_ns = start_epoch_ns + int(end * 1e9) if plan.duration else None

    def wait(self, runs: dict[Any, int]) -> None:
        pending = dict(runs)
        while pending:
            try:
                self._round(pending)
            except KeyboardInterrupt:
                self.interrupted = True
                for index in pending.values():
                    self.actors[index].stop.remote()

    def _round(self, pending: dict[Any, int]) -> None:
        from ray.exceptions import RayError

        ready, _ = self.ray.wait(list(pending), num_returns=len(pending), timeout=POLL_INTERVAL)
        self._poll(sorted(pending.values()))
        for ref in ready:
            index = pending.pop(ref)
            try:
                self.parts[index] = Results.from_json(self.ray.get(ref))
            except RayError as exc:
                self._lose(index, _reason(exc))
        if self.give_up_ns is not None and time.time_ns() > self.give_up_ns:
            for index in pending.values():
                self._lose(index, f"no result {LATE_AFTER:g} s after the end of the run")
            pending.clear()

    def _poll(self, indexes: list[int]) -> None:
        from ray.exceptions import GetTimeoutError, RayError

        refs = [(index, self.actors[index].poll.remote()) for index in indexes]
        for index, ref in refs:
            try:
                ticks = self.ray.get(ref, timeout=POLL_TIMEOUT)
            except (RayError, GetTimeoutError):
                continue  # the run's own reference reports a dead worker
            for tick in ticks:
                second = Second.from_json(tick)
                self.seconds[index].append(second)
                self.merger.add(second)
                self._judge(second)
                if self.on_progress is not None:
                    elapsed = (time.time_ns() - self.start_epoch_ns) / 1e9 - self.plan.warmup
                    self.on_progress(self.merger.progress(elapsed))

    def _judge(self, second: Second) -> None:
        """Feed the abort watch; once a rule holds, tell every worker to stop (they return what they have)."""
        if self.watch is None or self.stopped_early is not None:
            return
        self.stopped_early = self.watch.add(second)
        if self.stopped_early is not None:
            for index, actor in enumerate(self.actors):
                if index not in self.lost:
                    actor.stop.remote()

    def _lose(self, index: int, reason: str) -> None:
        """The worker did not finish: keep the seconds it sent as its partial result."""
        self.lost[index] = reason
        if self.watch is not None:  # the seconds still to come are judged on the workers left
            self.watch.workers = max(1, self.watch.workers - 1)
        partial = Results(self.shares[index].describe())
        partial.series = self.seconds[index]
        partial.latency = _fine(self.seconds[index])
        partial.elapsed = float(len(partial.series))
        self.parts[index] = partial


def _one_line(exc: BaseException) -> str:
    """An error's message on one line."""
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def _reason(exc: BaseException) -> str:
    """The first line of a Ray error, without Ray's long explanations."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _fine(seconds: list[Second]) -> Histogram:
    """The run histogram of a lost worker, rebuilt from its per-second ones (their 1.6 % precision)."""
    histogram = Histogram()
    for second in seconds:
        coarse = second.latency
        for index, count in coarse.counts.items():
            histogram.record(round(bucket_value(index, coarse.bits)), count)
    if histogram.total:
        recorded = [s.latency for s in seconds if s.latency.total]
        histogram.min = min(h.min for h in recorded)
        histogram.max = max(h.max for h in recorded)
        histogram.total_sum = sum(h.total_sum for h in recorded)
    return histogram


def _nodes(
    places: list[dict[str, str]], parts: list[Results | None], lost: dict[int, str]
) -> list[NodeShare]:
    """Group the workers' results by node, in the order the nodes first appear."""
    nodes: dict[str, NodeShare] = {}
    merged: dict[str, Results] = {}
    for index, (place, part) in enumerate(zip(places, parts, strict=True)):
        node = nodes.setdefault(place["node_id"], NodeShare(place["node_id"], place["address"]))
        node.workers += 1
        if index in lost:
            node.lost.append(lost[index])
        if part is not None:
            merged.setdefault(node.node_id, Results({})).merge(part)
    for node_id, results in merged.items():
        node = nodes[node_id]
        node.requests = results.requests
        node.errors = results.errors
        node.elapsed = results.elapsed
        node.latency = results.latency
    return list(nodes.values())


def check_nodes(run: Measured) -> Check | None:
    """For a cluster run: every worker on every node finished (a lost one fails the run), else None."""
    nodes = run.results.nodes
    if not nodes:
        return None
    lost = [node for node in nodes if node.lost]
    if not lost:
        return Check(
            "cluster-nodes", "cluster", True, f"all {len(nodes)} nodes finished", {"nodes": len(nodes)}
        )
    named = "; ".join(f"{node.node_id[:12]} ({node.address}): {node.lost[0]}" for node in lost)
    return Check(
        "cluster-nodes",
        "cluster",
        False,
        f"{len(lost)} of {len(nodes)} nodes lost workers mid-run (their partial results are kept): {named}",
        {"nodes": len(nodes), "lost": [node.node_id for node in lost]},
    )
