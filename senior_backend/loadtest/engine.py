"""The load engine of one worker process: paces its slots' requests on uvloop and counts the responses.

Each *slot* is one virtual user with one keep-alive connection. Whatever the
mode, a slot runs the same loop: ask the pacer when to send (now, in the
closed model; the next tick of a fixed schedule, in the open model), send,
wait for the response or an error, record, repeat, until the stop condition
(deadline, request budget, or an interrupt). At the deadline the run
ends at once: requests still in flight are abandoned and counted as
unfinished (neither errors nor latencies). In the open model latency is
measured from the *intended* send time, so a server stall delays every
request scheduled behind it and shows in the percentiles (no coordinated
omission); a request never leaves before that time, even when the event
loop's timer fires early. A ramp (`--stages`) changes the number of active
slots every 10 ms (closed model), or takes each intended time from the ramp's
arrival schedule (open model). With varied requests (`templates.py`) each
request's bytes are made as it is sent; otherwise they are made once.

How a connection reads responses (httptools), and what happens when the server closes one, is
`connection.py`.

The hot path appends integer microseconds to an `array('q')` and bumps a
status counter; once a second the batch is counted (`collections.Counter`, in
C) and folded into that second's coarse histogram and the run's fine one.
"""

from __future__ import annotations

import asyncio
import ssl
from array import array
from collections import Counter
from collections.abc import Callable
from time import monotonic_ns

from senior_backend.loadtest import cpu
from senior_backend.loadtest.connection import Connection, Slot, error_kind, idempotent, ssl_context
from senior_backend.loadtest.plan import LoadPlan
from senior_backend.loadtest.results import MAX_HEADER_VALUES, Results, Second
from senior_backend.loadtest.stages import Ramp
from senior_backend.loadtest.templates import Renderer

NS = 1_000_000_000
NO_DEADLINE = 1 << 62
_ZEROS = [0] * 1000
CHECK_INTERVAL = 0.05
END_GRACE = 1.0
CLOSED_RETRY_DELAY = 0.01
RAMP_INTERVAL = 0.01
MAX_429_SAMPLES = 20
RATE_LIMIT_HEADERS = ("retry-after", "ratelimit", "x-ratelimit")


class Worker:
    """Runs one plan share on the current event loop and returns its `Results`."""

    connection_class: type[Connection] = Connection  # a --spec worker uses its own (scenario_engine.py)

    def __init__(
        self,
        plan: LoadPlan,
        start_at_ns: int,
        on_tick: Callable[[Second], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.plan = plan
        self.render = None
        if plan.variation is not None:
            self.render = Renderer(plan.variation, plan.request_bytes, plan.share_index, plan.share_count)
        self.request = b"" if self.render else plan.request_bytes()  # empty: `render` makes each request
        self.ramp = Ramp(plan.rate or 0.0, plan.stages) if plan.stages else None
        self.arrival = plan.share_index  # an open-model ramp's next request number (every share_count-th)
        self.on_tick = on_tick
        self.should_stop = should_stop
        # every CHECK_INTERVAL, what was measured since the last slice (the early-stop rules judge these)
        self.on_slice: Callable[[float, Second], None] | None = None
        self.slice_mark = 0
        self.slice_statuses: dict[int, int] = {}
        self.slice_errors: dict[str, int] = {}
        self.start_ns = start_at_ns
        self.measure_ns = start_at_ns + int(plan.warmup * NS)
        self.deadline_ns = self.measure_ns + int(plan.duration * NS) if plan.duration else NO_DEADLINE
        # the response callback sends the next request itself until then (closed model, no request budget)
        self.fast_until = (
            self.deadline_ns if plan.rate is None and plan.requests is None and not plan.stages else 0
        )
        self.timeout_ns = int(plan.timeout * NS)
        self.remaining = plan.requests  # counted from the end of the warmup
        self.idempotent = idempotent(plan.method, plan.headers)
        self.interval_ns = int(plan.concurrency * NS / plan.rate) if plan.rate and not plan.stages else 0
        self.ssl = ssl_context(plan.insecure) if plan.target.tls else None
        closed_ramp = self.ramp is not None and plan.rate is None
        self.slots = [
            Slot(start_at_ns + (int((plan.phase + i / plan.rate) * NS) if plan.rate else 0), i, closed_ramp)
            for i in range(plan.concurrency)
        ]
        self.active = 0 if closed_ramp else plan.concurrency
        self.cpu_start: cpu.CpuSample | None = None
        self.latencies = array("q")
        self.status_counts = [0] * 1000
        self.errors: dict[str, int] = {}
        self.bytes_in = 0
        self.writes = 0
        self.results = Results(plan.describe())
        self.second = 0
        self.measuring = plan.warmup <= 0
        self.stopping = False
        self.stop_ns = 0
        self.last_done_ns = 0
        self.samples_429 = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.done: asyncio.Future[None] | None = None

    async def run(self) -> Results:
        self.loop = asyncio.get_running_loop()
        self.done = self.loop.create_future()
        delay = (self.start_ns - monotonic_ns()) / NS
        if delay > 0:
            await asyncio.sleep(delay)
        if self.measuring:
            self.cpu_start = cpu.sample()
        self._schedule_tick()
        self.loop.call_later(CHECK_INTERVAL, self._check)
        if self.deadline_ns != NO_DEADLINE:
            self.loop.call_later((self.deadline_ns - monotonic_ns()) / NS, self._at_deadline)
        if self.ramp is not None and self.plan.rate is None:
            self._ramp_tick()
        else:
            for slot in self.slots:
                self.dispatch(slot, monotonic_ns())
        await self.done
        return self.results

    # --- the slot loop -------------------------------------------------------------------------

    def dispatch(self, slot: Slot, now: int) -> None:
        """Start the slot's next request, when the pacer says, unless the stop condition is met."""
        if self.stopping:
            self._maybe_finish()
            return
        if self.interval_ns:
            intended = slot.next_at
            slot.next_at += self.interval_ns
        elif self.ramp is None:
            intended = now
        elif self.plan.rate is not None:
            intended = self._next_arrival()
            if intended >= self.deadline_ns:  # the ramp sends no more: rest until the deadline ends the run
                return
        elif slot.index >= self.active:
            slot.parked = True
            self.drop(slot, abort=False)
            return
        else:
            intended = now
        if intended >= self.deadline_ns:
            if not self.interval_ns:
                self._begin_stop(self.deadline_ns)
            # an open-model slot whose next send falls after the deadline rests: the other slots still
            # have sends due, and the deadline timer ends the run
            return
        if self.remaining is not None and self.measuring:
            if self.remaining <= 0:
                # the budget is spent: this slot rests; the run ends when the last request sent is answered
                self._maybe_finish(now)
                return
            self.remaining -= 1
        slot.intended = intended
        slot.sent_at = 0
        slot.busy = True
        if intended > now:
            self.loop.call_later((intended - now) / NS, self.send, slot)
        else:
            self.send(slot)

    def send(self, slot: Slot) -> None:
        if self.done.done():  # a connect or a timer that completes after the run ended sends nothing
            return
        conn = slot.conn
        if conn is None or conn.transport is None:
            if not slot.connecting:
                slot.connecting = True
                self.loop.create_task(self._connect(slot))
            return
        now = monotonic_ns()
        if now < slot.intended:
            # a timer can fire early (uvloop counts whole milliseconds): a request never leaves before its
            # intended time, so no latency measured from that time can be negative
            self.loop.call_later((slot.intended - now) / NS, self.send, slot)
            return
        slot.sent_at = now
        conn.sent += 1
        conn.transport.write(self.request or self.render())

    def may_resend(self, slot: Slot) -> bool:
        """Is the request in flight on the slot one to send again after the keep-alive race?"""
        return self.idempotent

    def resend(self, slot: Slot) -> None:
        """Send the slot's request again, on a fresh connection; its intended time, so its latency, stay."""
        slot.sent_at = 0
        self.send(slot)

    def _next_arrival(self) -> int:
        """An open-model ramp's next intended send time (never, once the ramp's schedule has ended)."""
        at = self.ramp.arrival(self.arrival)
        self.arrival += self.plan.share_count
        return NO_DEADLINE if at is None else self.measure_ns + int(at * NS)

    def _ramp_tick(self) -> None:
        """A closed-model ramp: set how many connections are active now, and wake the rested ones."""
        if self.done.done() or self.stopping:
            return
        now = monotonic_ns()
        wanted = int(self.ramp.level((now - self.measure_ns) / NS) + 0.5)
        index, count = self.plan.share_index, self.plan.share_count
        self.active = min(len(self.slots), -(-(wanted - index) // count)) if wanted > index else 0
        for slot in self.slots[: self.active]:
            if slot.parked:
                slot.parked = False
                self.dispatch(slot, now)
        self.loop.call_later(RAMP_INTERVAL, self._ramp_tick)

    async def _connect(self, slot: Slot) -> None:
        target = self.plan.target
        try:
            _, conn = await asyncio.wait_for(
                self.loop.create_connection(
                    lambda: self.connection_class(self, slot),
                    target.address or target.host,
                    target.port,
                    ssl=self.ssl,
                    server_hostname=target.host if self.ssl else None,
                ),
                self.plan.timeout,
            )
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            slot.connecting = False
            kind = error_kind(exc)
            self.failed(slot, "connect-timeout" if kind == "timeout" else kind)
            return
        slot.connecting = False
        slot.conn = conn
        if slot.busy:
            self.send(slot)

    def completed(self, slot: Slot, keep_alive: bool, now: int) -> None:
        """A response was recorded and the fast path did not apply: close if asked, then dispatch."""
        slot.busy = False
        self.last_done_ns = now
        if not keep_alive:
            self.drop(slot, abort=False)
        self.dispatch(slot, now)

    def retire(self, conn: Connection) -> None:
        """Move a connection's byte and request counters into the worker's (idempotent)."""
        self.bytes_in += conn.received
        self.writes += conn.sent
        conn.received = conn.sent = 0

    def drop(self, slot: Slot, abort: bool) -> None:
        """Take the slot's connection away from it and close it (`abort`: at once, unsent bytes discarded)."""
        conn = slot.conn
        slot.conn = None
        if conn is not None:
            self.retire(conn)
            if conn.transport is not None:
                if abort:
                    conn.transport.abort()
                else:
                    conn.transport.close()

    def failed(self, slot: Slot, kind: str) -> None:
        if not slot.busy:
            return
        slot.busy = False
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.drop(slot, abort=True)
        if self.interval_ns or self.stopping:
            self.dispatch(slot, monotonic_ns())
        else:
            self.loop.call_later(CLOSED_RETRY_DELAY, self._redispatch, slot)

    def _redispatch(self, slot: Slot) -> None:
        self.dispatch(slot, monotonic_ns())

    def saw_429(self, data: bytes) -> None:
        if self.results.first_429_at is None:
            self.results.first_429_at = max(0.0, (monotonic_ns() - self.measure_ns) / NS)
        if self.samples_429 >= MAX_429_SAMPLES:
            return
        self.samples_429 += 1
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1", "replace")
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            name = name.strip()
            if name.lower().startswith(RATE_LIMIT_HEADERS):
                seen = self.results.rate_limit_headers.setdefault(name, [])
                value = value.strip()
                if value not in seen and len(seen) < MAX_HEADER_VALUES:
                    seen.append(value)

    # --- time keeping ----------------------------------------------------------------------------

    def _schedule_tick(self) -> None:
        at = self.measure_ns + (self.second + 1) * NS if self.measuring else self.measure_ns
        self.loop.call_later(max(0.0, (at - monotonic_ns()) / NS), self._tick)

    def _tick(self) -> None:
        if self.done.done():
            return
        if not self.measuring:
            self.measuring = True
            if self.remaining is not None:  # the budget starts now; what is under way now is measured
                self.remaining -= sum(1 for slot in self.slots if slot.busy)
            self.results.warmup_requests = sum(self.status_counts) + sum(self.errors.values())
            del self.latencies[:]
            self.status_counts[:] = _ZEROS
            self.errors = {}
            self._reset_slice()
            self.bytes_in = self.writes = 0
            if self.render is not None:
                self.render.bytes_out = 0
            self.cpu_start = cpu.sample()
            for slot in self.slots:
                if slot.conn is not None:
                    slot.conn.received = slot.conn.sent = 0
            self.results.first_429_at = None
        else:
            self._fold()
            self.second += 1
        self._schedule_tick()

    def _slice(self, now: int) -> None:
        """Hand `on_slice` what was measured since the last slice: latencies, statuses and errors."""
        batch = Counter(self.latencies[self.slice_mark :])
        self.slice_mark = len(self.latencies)
        statuses = {}
        for code, n in enumerate(self.status_counts):
            if n and n != self.slice_statuses.get(code, 0):
                statuses[str(code)] = n - self.slice_statuses.get(code, 0)
                self.slice_statuses[code] = n
        errors = {kind: n - self.slice_errors.get(kind, 0) for kind, n in self.errors.items()}
        errors = {kind: n for kind, n in errors.items() if n}
        self.slice_errors = dict(self.errors)
        entry = Second(self.second, requests=sum(batch.values()), statuses=statuses, errors=errors)
        entry.latency.record_counts(batch)
        self.on_slice((now - self.measure_ns) / NS, entry)

    def _reset_slice(self) -> None:
        self.slice_mark = 0
        self.slice_statuses = {}
        self.slice_errors = {}

    def _fold(self) -> Second:
        """Close the current second: fold the latency batch and the counters into a series entry."""
        if self.on_slice is not None:
            self._slice(monotonic_ns())
        self._reset_slice()
        entry = Second(self.second)
        batch = Counter(self.latencies)
        del self.latencies[:]
        entry.latency.record_counts(batch)
        self.results.latency.record_counts(batch)
        entry.requests = entry.latency.total
        entry.statuses = {str(code): n for code, n in enumerate(self.status_counts) if n}
        entry.errors = self.errors
        self.status_counts[:] = _ZEROS
        self.errors = {}
        self.results.series.append(entry)
        if self.on_tick is not None:
            self.on_tick(entry)
        return entry

    def _check(self) -> None:
        """Every 50 ms: time out slow requests, honour an interrupt, end the grace period."""
        if self.done.done():
            return
        now = monotonic_ns()
        if self.on_slice is not None and self.measuring and not self.stopping:
            self._slice(now)
        if not self.stopping and self.should_stop is not None and self.should_stop():
            self.results.interrupted = True
            self._begin_stop(now)
        for slot in self.slots:
            if slot.busy and slot.sent_at and now - slot.sent_at > self.timeout_ns:
                self.failed(slot, "timeout")
        if self.stopping and (self.results.interrupted or now - self.stop_ns > END_GRACE * NS):
            self._finish()
        if not self.done.done():
            self.loop.call_later(CHECK_INTERVAL, self._check)

    def _at_deadline(self) -> None:
        """The measured window is over: end now; requests still in flight are abandoned as unfinished."""
        early_ns = self.deadline_ns - monotonic_ns()
        if early_ns > 0:  # the loop's timers keep millisecond time and can fire before the instant asked for
            self.loop.call_later(early_ns / NS, self._at_deadline)
            return
        if not self.done.done():
            self._begin_stop(self.deadline_ns)
            self._finish()

    def _begin_stop(self, at: int) -> None:
        self.fast_until = 0
        if not self.stopping:
            self.stopping = True
            self.stop_ns = min(at, monotonic_ns())
        self._maybe_finish()

    def _maybe_finish(self, now: int | None = None) -> None:
        """End the run once no slot has a request scheduled or in flight (`now`: begin the stop then)."""
        if not any(slot.busy for slot in self.slots):
            if now is not None and not self.stopping:
                self.stopping = True
                self.stop_ns = now
            self._finish()

    def _finish(self) -> None:
        if self.done.done():
            return
        results = self.results
        results.unfinished = sum(1 for slot in self.slots if slot.busy and slot.sent_at)  # sent, unanswered
        if self.measuring:
            if self.latencies or any(self.status_counts) or self.errors or not results.series:
                self._fold()
        else:
            results.warmup_requests = sum(self.status_counts)
        end = max(self.stop_ns, self.last_done_ns)
        results.elapsed = max(0.0, (end - self.measure_ns) / NS)
        for slot in self.slots:
            self.drop(slot, abort=True)
        results.bytes_in = self.bytes_in
        results.bytes_out = (
            self.render.bytes_out if self.render is not None else self.writes * len(self.request)
        )
        if self.cpu_start is not None:
            results.client = cpu.usage(self.cpu_start, cpu.sample())
        self.done.set_result(None)


def run_worker(
    plan: LoadPlan,
    start_at_ns: int,
    on_tick: Callable[[Second], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_slice: Callable[[float, Second], None] | None = None,
) -> Results:
    """Run one plan share to completion on a fresh uvloop (asyncio when uvloop is missing).

    `on_slice(at_s, slice)` gets, every 50 ms, what was measured since the previous slice.
    """
    make = plan.scenario.make_worker if plan.scenario is not None else Worker  # --spec: scenario_engine.py
    worker = make(plan, start_at_ns, on_tick, should_stop)
    worker.on_slice = on_slice
    try:
        import uvloop

        return uvloop.run(worker.run())
    except ImportError:
        return asyncio.run(worker.run())
