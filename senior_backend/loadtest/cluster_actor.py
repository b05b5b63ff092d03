"""One load-generator worker on a cluster node, as a Ray actor (see `cluster.py`, which places them).

The actor runs the same engine as a local worker process (`engine.run_worker`)
on its own share of the plan. It resolves the target's host itself (inside a
Kubernetes cluster a service name may only resolve there), converts the
driver's agreed start instant (wall-clock nanoseconds) to its own monotonic
clock, and keeps each second's tick until the driver polls for it. Ray runs
`poll` and `stop` on other threads of the actor while `run` works
(`max_concurrency`), so progress and Ctrl-C reach a running worker. This
module imports Ray only inside `where`: the class is made remote by the driver.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from senior_backend.common.errors import Unreachable
from senior_backend.loadtest.engine import run_worker
from senior_backend.loadtest.plan import LoadPlan, resolve
from senior_backend.loadtest.results import Results, Second

WorkerFunction = Callable[[LoadPlan, int, Callable[[Second], None], Callable[[], bool]], Results]


class LoadActor:
    """A worker on a node: `where`, then `run` (blocking) while `poll` and `stop` answer beside it."""

    def __init__(self) -> None:
        self._ticks: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def where(self) -> dict[str, str]:
        """The node this actor runs on: Ray's node id and the node's IP address."""
        import ray

        return {"node_id": ray.get_runtime_context().get_node_id(), "address": ray.util.get_node_ip_address()}

    def run(self, plan: LoadPlan, start_epoch_ns: int, worker: WorkerFunction = run_worker) -> dict[str, Any]:
        """Run the share from the agreed instant to its end; its results as JSON (a DNS failure is a result)."""
        try:
            plan = replace(plan, target=resolve(replace(plan.target, address="")))
        except Unreachable:
            results = Results(plan.describe())
            results.series.append(Second(0, errors={"dns": 1}))
            return results.to_json()
        start_at_ns = time.monotonic_ns() + (start_epoch_ns - time.time_ns())
        return worker(plan, start_at_ns, self._tick, self._stop.is_set).to_json()

    def poll(self) -> list[dict[str, Any]]:
        """The seconds completed since the last poll (the live progress)."""
        with self._lock:
            ticks, self._ticks = self._ticks, []
        return ticks

    def stop(self) -> None:
        """Stop at the engine's next check (Ctrl-C on the driver); `run` then returns what it has."""
        self._stop.set()

    def _tick(self, second: Second) -> None:
        with self._lock:
            self._ticks.append(second.to_json())
