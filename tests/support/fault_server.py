"""An HTTP/1.1 test server on 127.0.0.1 whose latency and faults the request controls.

Run as a separate process (`python -m tests.support.fault_server`) so that it
never shares a GIL with the code under test; it prints `PORT <n>` when ready
and exits by itself after `--max-seconds`.

Per request, by query string:
  delay_ms=N     answer after N ms          status=N      answer with status N
  body_bytes=N   body of N bytes            chunked=1     chunked transfer encoding
  close=1        Connection: close          reset=1       reset the connection (RST) instead of answering
  reset_mid=1    send half a response then reset
  stall=1        never answer (until the client goes or the server exits)
  malformed=1    answer with bytes that are not HTTP
  rate_limit=N   allow N requests per second (per distinct N), then 429 with Retry-After and RateLimit-* headers
  echo=1         answer with the request's method, path, headers and body as JSON
Server-wide: `--stall-every S --stall-ms MS` holds every request arriving during
an MS-long pause that starts every S seconds. `GET /__stats` returns counters.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import struct
import sys
import time
from urllib.parse import parse_qs, urlsplit


class FaultServer:
    def __init__(self, stall_every: float, stall_ms: float) -> None:
        self.stall_every = stall_every
        self.stall_ms = stall_ms
        self.started = time.monotonic()
        self.requests = 0
        self.by_path: dict[str, int] = {}
        self.connections = 0
        self.windows: dict[int, tuple[int, int]] = {}

    def stall_remaining(self) -> float:
        if not self.stall_every:
            return 0.0
        phase = (time.monotonic() - self.started) % self.stall_every
        stall = self.stall_ms / 1000
        start = self.stall_every - stall
        return self.stall_every - phase if phase >= start else 0.0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                body = b""
                if "content-length" in headers:
                    body = await reader.readexactly(int(headers["content-length"]))
                elif headers.get("transfer-encoding", "").lower() == "chunked":
                    body = await _read_chunked(reader)
                keep = await self.respond(writer, method, target, headers, body)
                if not keep:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()

    async def respond(self, writer, method: str, target: str, headers: dict, body: bytes) -> bool:
        parts = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if parts.path == "/__stats":
            payload = json.dumps(
                {"requests": self.requests, "by_path": self.by_path, "connections": self.connections}
            ).encode()
            _write(writer, 200, payload, {"Content-Type": "application/json"})
            return True
        self.requests += 1
        self.by_path[parts.path] = self.by_path.get(parts.path, 0) + 1
        pause = self.stall_remaining()
        if pause:
            await asyncio.sleep(pause)
        if "delay_ms" in query:
            await asyncio.sleep(float(query["delay_ms"]) / 1000)
        if query.get("stall") == "1":
            await asyncio.sleep(3600)
        if query.get("reset") == "1":
            _reset(writer)
            return False
        if query.get("malformed") == "1":
            writer.write(b"HTTP/9.9 banana\r\n\x00\x01garbage\r\n\r\n")
            await writer.drain()
            writer.close()
            return False
        if query.get("reset_mid") == "1":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nhalf")
            await writer.drain()
            _reset(writer)
            return False
        status = int(query.get("status", "200"))
        extra: dict[str, str] = {}
        if "rate_limit" in query:
            status, extra = self.rate_limited(int(query["rate_limit"]), status)
        if query.get("echo") == "1":
            payload = json.dumps(
                {
                    "method": method,
                    "path": parts.path,
                    "query": parts.query,
                    "headers": headers,
                    "body": body.decode("utf-8", "replace"),
                }
            ).encode()
            extra["Content-Type"] = "application/json"
        else:
            payload = b"x" * int(query.get("body_bytes", "2"))
        close = query.get("close") == "1" or headers.get("connection", "").lower() == "close"
        if close:
            extra["Connection"] = "close"
        _write(writer, status, payload, extra, chunked=query.get("chunked") == "1")
        await writer.drain()
        if close:
            writer.close()
            return False
        return True

    def rate_limited(self, limit: int, status: int) -> tuple[int, dict[str, str]]:
        second = int(time.monotonic())
        window_second, count = self.windows.get(limit, (second, 0))
        if window_second != second:
            window_second, count = second, 0
        count += 1
        self.windows[limit] = (window_second, count)
        remaining = max(0, limit - count)
        headers = {
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": "1",
        }
        if count > limit:
            headers["Retry-After"] = "1"
            return 429, headers
        return status, headers


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return body
        body += await reader.readexactly(size)
        await reader.readexactly(2)


_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _write(writer, status: int, payload: bytes, headers: dict[str, str], chunked: bool = False) -> None:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    for key, value in headers.items():
        lines.append(f"{key}: {value}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        half = len(payload) // 2
        chunks = [payload[:half], payload[half:]]
        body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks if c) + b"0\r\n\r\n"
    else:
        lines.append(f"Content-Length: {len(payload)}")
        body = payload
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def _reset(writer) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _main(args: argparse.Namespace) -> None:
    server = FaultServer(args.stall_every, args.stall_ms)
    srv = await asyncio.start_server(server.handle, "127.0.0.1", args.port, backlog=2048)
    port = srv.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with srv:
        await asyncio.sleep(args.max_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stall-every", type=float, default=0.0)
    parser.add_argument("--stall-ms", type=float, default=0.0)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args()
    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    try:
        run(_main(args))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
