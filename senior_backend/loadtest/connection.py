"""One load-test connection: a keep-alive TCP or TLS connection parsed with httptools, and its slot.

A *slot* is one virtual user; it holds at most one connection at a time and the timing of its request
in flight. A `Connection` feeds the bytes it receives to httptools and hands each complete response to
its worker (`engine.Worker`), which owns the pacing, the counters and the end of the run.

Connections the server closes: a close while the slot has no request on
the connection (the server's idle timeout, e.g. nginx `keepalive_timeout`,
Node's keepAliveTimeout, between two open-model sends) is no error and
costs nothing: the slot's next send opens a new connection. A request sent
on a reused connection that the server closed before any byte of the
response came (the keep-alive race: the server gave up on the idle
connection as the request left; a reset, or over TLS a record that fails)
is sent once more on a fresh connection, when its method is idempotent
(RFC 9110 9.2.2), as HTTP clients do; its latency still runs from its
intended time. Interim responses (1xx but 101: 103 Early Hints, 100
Continue) are skipped: a request ends with its final response.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from time import monotonic_ns
from typing import TYPE_CHECKING

import httptools

if TYPE_CHECKING:
    from senior_backend.loadtest.engine import Worker

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})  # RFC 9110 9.2.2
# how a reused connection's close shows when the server gave up on it as a request left: a reset, or over
# TLS a record that fails (the handshake succeeded long before: this is the close, not a certificate)
RACE_KINDS = frozenset({"reset", "tls"})


def idempotent(method: str, headers: tuple[tuple[str, str], ...] = ()) -> bool:
    """May a request that met the keep-alive race be sent again (an Idempotency-Key makes it so)?"""
    return method.upper() in IDEMPOTENT or any(name.lower() == "idempotency-key" for name, _ in headers)


def error_kind(exc: BaseException | None) -> str:
    """Classify a connection-level failure."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)) or exc is None:
        return "reset"
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "timeout"
    if isinstance(exc, socket.gaierror):
        return "dns"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "tls"
    return "connect"


def ssl_context(insecure: bool) -> ssl.SSLContext:
    """Verification on by default; `--insecure` accepts any certificate."""
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class Slot:
    """One virtual user: its current connection and the timing of its request in flight."""

    __slots__ = ("busy", "conn", "connecting", "index", "intended", "next_at", "parked", "sent_at")

    def __init__(self, next_at: int, index: int = 0, parked: bool = False) -> None:
        self.index = index
        self.parked = parked  # a closed-model ramp has fewer connections active than slots: this one rests
        self.conn: Connection | None = None
        self.busy = False
        self.connecting = False
        self.intended = 0
        self.sent_at = 0
        self.next_at = next_at


class FirstResponse:
    """Parser callbacks for a connection's first response, which also note the end of its headers.

    httptools cannot be told that the connection ended, so a response delimited by the server closing
    the connection (no Content-Length, not chunked) never completes in the parser; knowing its headers
    arrived lets `Connection.connection_lost` complete it. Such a response is always the last of its
    connection, so only first responses pay for this callback.
    """

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def on_headers_complete(self) -> None:
        self.conn.headers_done = True

    def on_message_complete(self) -> None:
        self.conn.on_message_complete()


class Connection(asyncio.Protocol):
    """One TCP (or TLS) connection: feeds bytes to httptools and reports complete responses."""

    __slots__ = (
        "data",
        "headers_done",
        "parser",
        "received",
        "record",
        "request",
        "sent",
        "slot",
        "statuses",
        "transport",
        "worker",
    )

    def __init__(self, worker: Worker, slot: Slot) -> None:
        self.worker = worker
        self.slot = slot
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(FirstResponse(self))
        self.headers_done = False
        # the bytes last received, b"" once a response completed and none came since, None before any
        # came: a close of a reused connection with b"" here lost no byte of a response (keep-alive race)
        self.data: bytes | None = None
        self.received = 0
        self.sent = 0
        self.record = worker.latencies.append
        self.statuses = worker.status_counts
        self.request = worker.request

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        slot = self.slot
        if not slot.sent_at or not slot.busy:
            # no request in flight: bytes the server sent unasked (a 408 as it closes an idle connection)
            # answer nothing; drop the connection, the slot's next request opens a new one
            if slot.conn is self:
                self.worker.drop(slot, abort=True)
            return
        self.data = data
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.worker.failed(slot, "protocol")

    def on_message_complete(self) -> None:
        """Record the response; the closed-model pacer is inlined here: send again at once if nothing stops."""
        parser = self.parser
        worker = self.worker
        slot = self.slot
        now = monotonic_ns()
        status = parser.get_status_code()
        if status < 200 and status != 101:  # an interim response: the request waits for its final one
            self.headers_done = False
            return
        self.record((now - slot.intended) // 1000)
        self.statuses[status] += 1
        if status == 429:
            worker.saw_429(self.data)
        self.data = b""
        keep_alive = parser.should_keep_alive()  # only valid inside this callback
        if self.headers_done:
            self.headers_done = False
            self.parser = httptools.HttpResponseParser(self)
        if keep_alive and now < worker.fast_until:
            slot.intended = slot.sent_at = now
            self.sent += 1
            self.transport.write(self.request or worker.render())
        else:
            worker.completed(slot, keep_alive, now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.worker.retire(self)
        slot = self.slot
        if slot.conn is self:
            slot.conn = None
            if not slot.busy or not slot.sent_at:
                return  # no request on this connection (the server closed it idle): the next send reconnects
            if exc is None and self.headers_done:
                self._complete_at_close()
                return
            kind = error_kind(exc)
            if self.data == b"" and kind in RACE_KINDS and self.worker.may_resend(slot):
                self.worker.resend(slot)  # the keep-alive race: this request's response never started
            else:
                self.worker.failed(slot, kind)

    def _complete_at_close(self) -> None:
        """The server ended a response without length by closing the connection: record it."""
        now = monotonic_ns()
        self.record((now - self.slot.intended) // 1000)
        self.statuses[self.parser.get_status_code()] += 1
        self.worker.completed(self.slot, False, now)
