"""A threaded HTTP/1.1 test server whose delay is exact and which times itself from the kernel's clock.

The asyncio fault server's timers fire up to a millisecond late, too coarse
for the accuracy test. Here each connection has its own thread, so a 20 ms
delay is `time.sleep(0.02)`. Each request is timed from the moment the kernel
received its bytes (SO_TIMESTAMPNS, Linux) to the moment the response was
handed back to the kernel: the ground truth an accurate client must match,
including any time the request waited for a busy machine to wake the server.

Options: `--delay-ms`, `--serial` (one request at a time: a server with a
fixed capacity), `--close-delimited` (no Content-Length: the body ends when
the connection closes, as HTTP/1.0 servers do), `--cert/--key` (TLS; timed
from when the bytes were read).
`GET /__last` returns the previous request (method, path, headers, body);
`GET /__timings` returns the kernel-to-kernel times as sorted milliseconds and
resets them. Prints `PORT <n>` when ready; exits after `--max-seconds`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time

SO_TIMESTAMPNS = 35  # Linux; the arrival time comes as a control message of the same number
_TIMESPEC = struct.Struct("@ll")


class PreciseServer:
    def __init__(
        self, delay: float, serial: bool, context: ssl.SSLContext | None, close_delimited: bool
    ) -> None:
        self.close_delimited = close_delimited
        self.delay = delay
        self.serial = serial
        self.context = context
        self.lock = threading.Lock()
        self.last: dict = {}
        self.timings: list[float] = []

    def serve(self, listener: socket.socket) -> None:
        while True:
            conn, _ = listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self.connection, args=(conn,), daemon=True).start()

    def receive(self, conn: socket.socket) -> tuple[bytes, int]:
        """Some bytes and the realtime nanosecond at which the kernel received them."""
        if self.context is not None:
            data = conn.recv(65536)
            return data, time.time_ns()
        data, ancillary, _, _ = conn.recvmsg(65536, 64)
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= _TIMESPEC.size:
                seconds, nanos = _TIMESPEC.unpack(payload[: _TIMESPEC.size])
                return data, seconds * 1_000_000_000 + nanos
        return data, time.time_ns()

    def connection(self, conn: socket.socket) -> None:
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
            else:
                conn.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            buffer, arrived = b"", 0
            while True:
                while b"\r\n\r\n" not in buffer:
                    data, stamp = self.receive(conn)
                    if not data:
                        return
                    if not buffer:
                        arrived = stamp
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
                    data, _ = self.receive(conn)
                    if not data:
                        return
                    buffer += data
                body, buffer = buffer[:length], buffer[length:]
                payload = self.respond(method, path, headers, body)
                if self.close_delimited and not path.startswith("/__"):
                    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + payload)
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload))
                if not path.startswith("/__"):
                    self.timings.append((time.time_ns() - arrived) / 1e6)
                arrived = time.time_ns() if buffer else 0
        except (OSError, ValueError, ssl.SSLError):
            return
        finally:
            conn.close()

    def respond(self, method: str, path: str, headers: dict, body: bytes) -> bytes:
        if path == "/__last":
            return json.dumps(self.last).encode()
        if path == "/__timings":
            timings, self.timings = sorted(self.timings), []
            return json.dumps(timings).encode()
        self.last = {
            "method": method,
            "path": path,
            "headers": headers,
            "body": body.decode("utf-8", "replace"),
        }
        if self.serial:
            with self.lock:
                time.sleep(self.delay)
        elif self.delay:
            time.sleep(self.delay)
        return b"ok"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--serial", action="store_true")
    parser.add_argument("--close-delimited", action="store_true")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--max-seconds", type=float, default=300.0)
    args = parser.parse_args()
    sys.setswitchinterval(0.0002)  # wake a sleeping handler promptly
    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    listener = socket.create_server(("127.0.0.1", 0), backlog=512)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    threading.Timer(args.max_seconds, lambda: os._exit(0)).start()
    PreciseServer(args.delay_ms / 1000, args.serial, context, args.close_delimited).serve(listener)


if __name__ == "__main__":
    main()
