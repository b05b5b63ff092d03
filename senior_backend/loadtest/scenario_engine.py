"""The engine of a `--spec` scenario: the same worker and pacer (engine.py), each request one operation.

The operations take turns by weight (smooth weighted round robin, so the mix
is exact over any window, not only on average). Each worker process keeps its
own pools of created items (per producing operation): a create's 2xx response
adds its item, a get or update uses one (a random one; it is marked busy while
the request is in flight), a delete takes one that no request is using and
removes it, so no later request names a deleted item; an item with created
children (`/things/{id}/notes/{noteId}`) is not deleted while they live. An
operation whose pool is empty runs its producer instead. Per operation the worker records statuses,
failures and latencies (`operations.py`), next to the run's own totals.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from time import monotonic_ns
from typing import Any

import httptools

from senior_backend.loadtest.connection import Connection, FirstResponse, Slot, idempotent
from senior_backend.loadtest.engine import Worker
from senior_backend.loadtest.operations import OperationStats
from senior_backend.loadtest.plan import LoadPlan
from senior_backend.loadtest.results import Second
from senior_backend.loadtest.scenario import Operation, Scenario, capture, fill_path
from senior_backend.loadtest.unique import tagged, varied_body

MAX_POOL = 10_000  # created items kept per producer (the oldest are forgotten beyond it)
MAX_BODY = 1 << 20  # bytes of a producer's response read for its ids
MAX_CHAIN = 8  # producers of producers followed before giving up (a cycle in the spec's links)

Pick = tuple[Operation, dict[str, str] | None, dict[str, str]]  # operation, pool entry used, path values


class ScenarioState:
    """One worker's turn-taking and pools of created items."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.ops = scenario.operations
        self.turns = {name: 0.0 for name in scenario.selected}
        self.total = sum(self.ops[name].weight for name in scenario.selected)
        self.pools: dict[str, list[dict[str, str]]] = {}
        self.busy: dict[int, int] = {}  # id(entry) -> requests using it, and children it has in a pool
        self.parents: dict[int, dict[str, str]] = {}  # id(child entry) -> the entry it was created under
        self.random = random.Random(seed)

    def next(self) -> Pick:
        """The next request: the operation whose turn it is, with the created item it names."""
        for name in self.turns:
            self.turns[name] += self.ops[name].weight
        name = max(self.turns, key=self.turns.__getitem__)
        self.turns[name] -= self.total
        return self._resolve(self.ops[name], 0)

    def _resolve(self, op: Operation, depth: int) -> Pick:
        values = dict(op.values)
        if op.source is None:
            return op, None, values
        entry = self._take(self.pools.get(op.source, []), op.consumes)
        if entry is None:
            if depth < MAX_CHAIN:
                return self._resolve(self.ops[op.source], depth + 1)
            return op, None, values
        values.update({param: entry[key] for param, key in op.takes if key in entry})
        if not op.consumes:
            self.busy[id(entry)] = self.busy.get(id(entry), 0) + 1
        return op, entry, values

    def _take(self, pool: list[dict[str, str]], consumes: bool) -> dict[str, str] | None:
        if not pool:
            return None
        if not consumes:
            return pool[self.random.randrange(len(pool))]
        for index in range(len(pool) - 1, -1, -1):
            if not self.busy.get(id(pool[index])):
                entry = pool.pop(index)
                parent = self.parents.pop(id(entry), None)
                if parent is not None:
                    self._unbusy(parent)
                return entry
        return None

    def _unbusy(self, entry: dict[str, str]) -> None:
        left = self.busy.get(id(entry), 0) - 1
        if left > 0:
            self.busy[id(entry)] = left
        else:
            self.busy.pop(id(entry), None)

    def release(self, pick: Pick, status: int, body: bytes) -> bool:
        """The request of `pick` ended (status 0: it failed): free its item, keep what a create made.

        False when a create's 2xx response carried nothing its dependents could use.
        """
        op, entry, values = pick
        if entry is not None and not op.consumes:
            self._unbusy(entry)
        made = capture(op, values, status, body) if op.keeps else None
        if made is None:
            return not (op.keeps and 200 <= status < 300)
        pool = self.pools.setdefault(op.name, [])
        pool.append(made)
        if entry is not None and not op.consumes:  # a child: its parent stays while it lives
            self.busy[id(entry)] = self.busy.get(id(entry), 0) + 1
            self.parents[id(made)] = entry
        if len(pool) > MAX_POOL:
            self.parents.pop(id(pool.pop(0)), None)
        return True


class _FirstScenarioResponse(FirstResponse):
    __slots__ = ()

    def on_body(self, body: bytes) -> None:
        self.conn.on_body(body)


class ScenarioConnection(Connection):
    """A connection that tells the worker which response ended, and keeps the body a create returned."""

    __slots__ = ("body",)

    def __init__(self, worker: ScenarioWorker, slot: Slot) -> None:
        super().__init__(worker, slot)
        self.parser = httptools.HttpResponseParser(_FirstScenarioResponse(self))
        self.body = bytearray()

    def on_body(self, body: bytes) -> None:
        if self.worker.capturing[self.slot.index] and len(self.body) < MAX_BODY:
            self.body += body

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200 and status != 101:  # an interim response (engine.py)
            super().on_message_complete()
            return
        self.worker.answered(self.slot, self.parser.get_status_code(), bytes(self.body))
        self.body.clear()
        super().on_message_complete()

    def _complete_at_close(self) -> None:
        self.worker.answered(self.slot, self.parser.get_status_code(), bytes(self.body))
        self.body.clear()
        super()._complete_at_close()


class _Render:
    """The worker's request maker: the bytes of the operation picked for the slot being sent."""

    def __init__(self, worker: ScenarioWorker) -> None:
        self.worker = worker
        self.bytes_out = 0
        self.seq = worker.plan.share_index + 1  # unique across the run's workers: every share_count-th

    def __call__(self) -> bytes:
        worker = self.worker
        op, _, values = worker.inflight[worker.sending.index]
        body, headers = op.body, None
        if op.varying or op.varying_headers:
            tag = f"{worker.scenario.token}{self.seq}"
            self.seq += worker.plan.share_count
            if op.varying:
                body = varied_body(op.body_value, op.varying, tag)
            if op.varying_headers:
                own = [
                    (name, tagged(value, tag) if i in op.varying_headers else value)
                    for i, (name, value) in enumerate(op.headers)
                ]
                headers = worker.plan.headers + tuple(own)
        data = worker.heads[op.name].request_bytes(fill_path(worker.scenario, op, values), headers, body)
        self.bytes_out += len(data)
        return data


class ScenarioWorker(Worker):
    """`engine.Worker` with each request an operation of the scenario, and facts per operation."""

    connection_class = ScenarioConnection

    def __init__(
        self,
        plan: LoadPlan,
        start_at_ns: int,
        on_tick: Callable[[Second], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(replace(plan, variation=None), start_at_ns, on_tick, should_stop)
        self.scenario: Scenario = plan.scenario.scenario
        self.fast_until = 0  # every response goes through `completed`, so every request picks its operation
        self.state = ScenarioState(self.scenario, plan.share_index * 7919 + 1)
        self.heads = {
            name: replace(
                plan, method=op.method, headers=plan.headers + op.headers, variation=None, scenario=None
            )
            for name, op in self.scenario.operations.items()
        }
        self.inflight: list[Pick | None] = [None] * len(self.slots)
        self.capturing = [False] * len(self.slots)
        self.sending: Slot = self.slots[0]
        self.request = b""
        self.render = _Render(self)
        self.stats = {
            name: OperationStats(self.scenario.operations[name].method, self.scenario.operations[name].path)
            for name in self.scenario.selected
        }
        self.results.operations = self.stats

    def send(self, slot: Slot) -> None:
        if self.inflight[slot.index] is None:
            pick = self.state.next()
            self.inflight[slot.index] = pick
            self.capturing[slot.index] = bool(pick[0].keeps)
        self.sending = slot
        super().send(slot)

    def may_resend(self, slot: Slot) -> bool:
        pick = self.inflight[slot.index]
        return pick is not None and idempotent(pick[0].method, self.heads[pick[0].name].headers)

    def _ended(self, slot: Slot) -> Pick | None:
        pick = self.inflight[slot.index]
        self.inflight[slot.index] = None
        return pick

    def _stats_of(self, op: Operation) -> OperationStats:
        stats = self.stats.get(op.name)
        if stats is None:
            stats = self.stats[op.name] = OperationStats(op.method, op.path)
        return stats

    def answered(self, slot: Slot, status: int, body: bytes) -> None:
        """A response ended the slot's request: count it for its operation, keep what it created."""
        pick = self._ended(slot)
        if pick is None:
            return
        kept = self.state.release(pick, status, body)
        if self.measuring:
            stats = self._stats_of(pick[0])
            stats.uncaptured += not kept
            key = str(status)
            stats.statuses[key] = stats.statuses.get(key, 0) + 1
            stats.latency.record((monotonic_ns() - slot.intended) // 1000)

    def failed(self, slot: Slot, kind: str) -> None:
        if slot.busy:
            pick = self._ended(slot)
            if pick is not None:
                self.state.release(pick, 0, b"")
                if self.measuring:
                    stats = self._stats_of(pick[0])
                    stats.errors[kind] = stats.errors.get(kind, 0) + 1
        super().failed(slot, kind)


@dataclass(frozen=True)
class ScenarioRun:
    """What a `LoadPlan` carries for a `--spec` run: the scenario, and the worker that runs it."""

    scenario: Scenario

    def make_worker(
        self,
        plan: LoadPlan,
        start_at_ns: int,
        on_tick: Callable[[Second], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> ScenarioWorker:
        return ScenarioWorker(plan, start_at_ns, on_tick, should_stop)

    def describe(self) -> dict[str, Any]:
        return self.scenario.describe()
