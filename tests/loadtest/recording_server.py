"""A threaded HTTP/1.1 test server that records every request it receives, with a fixed capacity.

Each request is recorded with the system-wide monotonic nanosecond at which
its first bytes were read (the same clock the load tester schedules on, so a
test can hold each arrival against its intended send time), its method, path,
headers and body. A connection's thread reads the request only after it
answered the previous one: the client never pipelines, so each read that
starts a request marks that request's arrival.

Options: `--capacity N --delay-ms D` (at most N requests are served at once,
each takes D ms: throughput grows with connections up to N, then latency rises
with load), `--status S` (answer S), `--fail-after-s T` (answer 500 once the
server has run T seconds; `--fail-after-first-s T`: T seconds after the first
request), `--fail-every N` (answer every N-th request 500). `GET /__received` returns the recorded requests and
forgets them; `GET /__count` returns how many there were. Connections: `--idle-close-s T` closes a
connection that waited T seconds for its next request (nginx's `keepalive_timeout`, Node's
keepAliveTimeout; `--idle-408` first sends an unsolicited `408 Request Timeout`, as some servers do);
`--close-after N` closes a connection right after its N-th response without saying so
(no `Connection: close`), so a client that sends again at once races the close; `--informational 103,100`
sends these 1xx interim responses (103 Early Hints, an unsolicited 100 Continue) before each answer, at
once, ahead of any `--delay-ms`. `--cert FILE --key FILE` serves HTTPS (a silent close is then a TLS
connection closed without close_notify, as servers do; with `--tls-garbage-close`, after a record the client
cannot decrypt, so the client sees a TLS-level error). Prints `PORT <n>`
when ready; exits after `--max-seconds`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import ssl
import sys
import threading
import time


class RecordingServer:
    def __init__(self, capacity: int, delay: float, status: int, fail_after: float | None) -> None:
        self.slots = threading.BoundedSemaphore(capacity) if capacity else None
        self.delay = delay
        self.status = status
        self.fail_at = time.monotonic() + fail_after if fail_after is not None else None
        self.lock = threading.Lock()
        self.received: list[dict] = []
        self.count = 0
        self.fail_after_first: float | None = None  # fail this long after the first request arrived
        self.fail_every = 0  # answer every n-th request with a 500
        self.idle_close: float | None = None  # close a connection idle this long
        self.idle_408 = False  # ... saying so with a 408 first
        self.close_after = 0  # close a connection silently after this many responses
        self.informational = b""  # interim responses sent ahead of each answer
        self.tls: ssl.SSLContext | None = None  # serve HTTPS with this context
        self.tls_garbage = False  # a silent close sends an undecryptable TLS record first

    def serve(self, listener: socket.socket) -> None:
        while True:
            conn, _ = listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self.connection, args=(conn,), daemon=True).start()

    def connection(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            if self.idle_close is not None:
                conn.settimeout(self.idle_close)  # a recv that waits longer ends the connection
            buffer = b""
            answered = 0
            while True:
                arrived = 0
                while b"\r\n\r\n" not in buffer:
                    try:
                        data = conn.recv(65536)
                    except TimeoutError:
                        if self.idle_408 and not buffer:
                            conn.sendall(
                                b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            )
                        return
                    if not buffer:
                        arrived = time.monotonic_ns()
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                while len(buffer) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                body, buffer = buffer[:length], buffer[length:]
                if self.informational and not path.startswith("/__"):
                    conn.sendall(self.informational)
                status, payload = self.respond(method, path, headers, body, arrived)
                conn.sendall(
                    b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nContent-Type: application/json\r\n\r\n%s"
                    % (status, len(payload), payload)
                )
                answered += 1
                if answered == self.close_after and not path.startswith("/__"):
                    if self.tls_garbage:  # a record the client cannot decrypt: the close is a TLS error
                        time.sleep(0.02)  # once the response was read: it must not be lost with the record
                        os.write(conn.fileno(), b"\x17\x03\x03\x00\x05HELLO")
                    return
        except (OSError, ValueError):
            return
        finally:
            conn.close()

    def respond(self, method: str, path: str, headers: dict, body: bytes, arrived: int) -> tuple[int, bytes]:
        if path == "/__received":
            with self.lock:
                received, self.received = self.received, []
            return 200, json.dumps(received).encode()
        if path == "/__count":
            return 200, json.dumps(self.count).encode()
        with self.lock:
            self.count += 1
            if self.count == 1 and self.fail_after_first is not None:
                self.fail_at = time.monotonic() + self.fail_after_first
            failing = self.fail_every and self.count % self.fail_every == 0
            self.received.append(
                {
                    "at": arrived,
                    "method": method,
                    "path": path,
                    "headers": headers,
                    "body": body.decode("utf-8", "replace"),
                }
            )
        if self.slots is not None:
            with self.slots:
                time.sleep(self.delay)
        elif self.delay:
            time.sleep(self.delay)
        if failing or (self.fail_at is not None and time.monotonic() >= self.fail_at):
            return 500, b'{"error": "failing"}'
        return self.status, b'{"ok": true}'


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--capacity", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--fail-after-s", type=float)
    parser.add_argument("--fail-after-first-s", type=float)
    parser.add_argument("--fail-every", type=int, default=0)
    parser.add_argument("--idle-close-s", type=float)
    parser.add_argument("--idle-408", action="store_true")
    parser.add_argument("--close-after", type=int, default=0)
    parser.add_argument("--informational", default="")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--tls-garbage-close", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=300.0)
    args = parser.parse_args()
    sys.setswitchinterval(0.0002)
    listener = socket.create_server(("127.0.0.1", 0), backlog=512)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    threading.Timer(args.max_seconds, lambda: os._exit(0)).start()
    server = RecordingServer(args.capacity, args.delay_ms / 1000, args.status, args.fail_after_s)
    server.fail_after_first, server.fail_every = args.fail_after_first_s, args.fail_every
    server.idle_close, server.close_after, server.idle_408 = (
        args.idle_close_s,
        args.close_after,
        args.idle_408,
    )
    if args.cert:
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(args.cert, args.key)
        server.tls_garbage = args.tls_garbage_close
    for code in filter(None, args.informational.split(",")):
        server.informational += b"HTTP/1.1 %d Interim\r\n" % int(code)
        server.informational += b"Link: </a.css>; rel=preload\r\n\r\n" if code == "103" else b"\r\n"
    server.serve(listener)


if __name__ == "__main__":
    main()
