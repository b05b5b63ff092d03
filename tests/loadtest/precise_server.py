"""A threaded HTTP/1.1 test server whose delay is exact (time.sleep in a thread, not an event-loop timer).

The asyncio fault server's timers fire up to a millisecond late, too coarse
for the accuracy test. Here each connection has its own thread, so a 20 ms
delay is 20 ms plus about 0.1 ms. Options: `--delay-ms`, `--serial` (one
request at a time: a server with a fixed capacity), `--cert/--key` (TLS).
`GET /__last` returns the previous request (method, path, headers, body);
`GET /__timings` returns the server's own time per request (from its request
line parsed to its response written) as sorted milliseconds, and resets them:
the ground truth an accurate client must match.
Prints `PORT <n>` when ready; exits after `--max-seconds`.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(delay: float, serial: bool) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()
    last: dict = {}
    timings: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def handle_any(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path == "/__last":
                payload = json.dumps(last).encode()
            elif self.path == "/__timings":
                payload = json.dumps(sorted(timings)).encode()
                timings.clear()
            else:
                last.clear()
                last.update(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body.decode("utf-8", "replace"),
                )
                if serial:
                    with lock:
                        time.sleep(delay)
                elif delay:
                    time.sleep(delay)
                payload = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            if not self.path.startswith("/__"):
                timings.append((time.perf_counter() - started) * 1000)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--serial", action="store_true")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--max-seconds", type=float, default=300.0)
    args = parser.parse_args()
    sys.setswitchinterval(0.0002)  # wake a sleeping handler promptly
    server = Server(("127.0.0.1", 0), make_handler(args.delay_ms / 1000, args.serial))
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"PORT {server.server_address[1]}", flush=True)
    threading.Timer(args.max_seconds, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
