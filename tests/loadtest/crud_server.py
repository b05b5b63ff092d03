"""A small CRUD API (things and their notes) for the `--spec` tests, checking every request it gets.

`python -m tests.loadtest.crud_server --spec FILE` prints `PORT n`, then serves
HTTP/1.1 keep-alive on 127.0.0.1. It counts the calls per operation (its own
routing, not the spec's), and answers 400 to a request whose body fails the
spec's request schema (OpenAPI validators: `readOnly` properties may not be
sent), whose `X-Api-Version` header is not "2" on /things, or whose `sort`
query is missing; 404 to an id it never created or already deleted. Each 400
and 404 is counted, with its reason. `GET /__stats` returns the counts and
`POST /__reset` clears them. An `Idempotency-Key` seen twice counts as replayed.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from openapi_schema_validator import OAS30WriteValidator, OAS31Validator

ROUTES = [
    ("GET", r"/health", "getHealth"),
    ("GET", r"/things", "listThings"),
    ("POST", r"/things", "createThing"),
    ("GET", r"/things/(\d+)", "getThing"),
    ("PUT", r"/things/(\d+)", "updateThing"),
    ("PATCH", r"/things/(\d+)", "updateThing"),
    ("DELETE", r"/things/(\d+)", "deleteThing"),
    ("POST", r"/things/(\d+)/notes", "addNote"),
    ("GET", r"/things/(\d+)/notes/([0-9a-f-]{36})", "getNote"),
    ("DELETE", r"/things/(\d+)/notes/([0-9a-f-]{36})", "deleteNote"),
]
BODY_OPERATIONS = {"createThing", "updateThing", "addNote"}
VERSIONED = {"listThings", "createThing", "getThing", "updateThing", "deleteThing"}  # need X-Api-Version: 2


def _write_view(node: Any) -> Any:
    """A 3.1 schema as a request sees it (no validator for 3.1 knows readOnly): readOnly properties forbidden."""
    if isinstance(node, list):
        return [_write_view(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _write_view(value) for key, value in node.items()}
    for name, sub in (node.get("properties") or {}).items():
        if isinstance(sub, dict) and sub.get("readOnly"):
            out["properties"][name] = False
            out["required"] = [r for r in out.get("required", []) if r != name]
    return out


class Api:
    def __init__(self, spec_path: str) -> None:
        self.spec = yaml.safe_load(Path(spec_path).read_text())
        self.is_31 = str(self.spec["openapi"]).startswith("3.1")
        self.lock = threading.Lock()
        self.things: dict[int, dict[str, Any]] = {}
        self.notes: dict[tuple[int, str], dict[str, Any]] = {}
        self.next_id = 1
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.calls: dict[str, int] = {}
            self.rejected: dict[str, int] = {}
            self.missing: dict[str, int] = {}
            self.reasons: list[str] = []
            self.bodies: dict[str, list[Any]] = {}
            self.idempotency_keys: set[str] = set()
            self.replayed = 0

    def body_errors(self, operation: str, body: Any) -> list[str]:
        """Errors of the body against the operation's request schema in the spec."""
        op = next(
            (
                o
                for item in self.spec["paths"].values()
                for o in item.values()
                if isinstance(o, dict) and o.get("operationId") == operation
            ),
            None,
        )
        if op is None or "requestBody" not in op:
            return []
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        root = {**schema, "components": self.spec.get("components", {})}
        if self.is_31:
            validator: Any = OAS31Validator(_write_view(root))
        else:
            validator = OAS30WriteValidator(root)
        return [error.message for error in validator.iter_errors(body)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api: Api

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # headers and body in one go

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, document: Any = None) -> None:
        data = b"" if document is None else json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        if data:
            self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        api = self.api
        if url.path == "/__stats":
            with api.lock:
                return self._send(
                    200,
                    {
                        "calls": api.calls,
                        "rejected": api.rejected,
                        "missing": api.missing,
                        "reasons": api.reasons[:20],
                        "bodies": api.bodies,
                        "live_things": len(api.things),
                        "idempotency_keys": len(api.idempotency_keys),
                        "replayed": api.replayed,
                    },
                )
        if url.path == "/__reset":
            api.reset()
            return self._send(200, {})
        for method, pattern, operation in ROUTES:
            match = re.fullmatch(pattern, url.path)
            if match and method == self.command:
                return self._operation(operation, match.groups(), parse_qs(url.query), raw)
        return self._send(
            405 if any(re.fullmatch(p, url.path) for _, p, _ in ROUTES) else 400, {"path": url.path}
        )

    def _reject(self, operation: str, reason: str) -> None:
        api = self.api
        with api.lock:
            api.rejected[operation] = api.rejected.get(operation, 0) + 1
            api.reasons.append(f"{operation}: {reason}")
        self._send(400, {"error": reason})

    def _operation(
        self, operation: str, groups: tuple[str, ...], query: dict[str, list[str]], raw: bytes
    ) -> None:
        api = self.api
        with api.lock:
            api.calls[operation] = api.calls.get(operation, 0) + 1
        if operation in VERSIONED and self.headers.get("X-Api-Version") != "2":
            return self._reject(operation, "X-Api-Version is not 2")
        key = self.headers.get("Idempotency-Key")
        if key is not None:
            with api.lock:
                api.replayed += key in api.idempotency_keys
                api.idempotency_keys.add(key)
        if operation == "listThings" and query.get("sort", [""])[0] not in ("name", "price"):
            return self._reject(operation, f"bad sort {query.get('sort')}")
        body: Any = None
        if operation in BODY_OPERATIONS:
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                return self._reject(operation, "not JSON")
            try:
                body = json.loads(raw)
            except ValueError:
                return self._reject(operation, "body is not JSON")
            errors = api.body_errors(operation, body)
            if errors:
                return self._reject(operation, "; ".join(errors))
            with api.lock:
                kept = api.bodies.setdefault(operation, [])
                if len(kept) < 50:
                    kept.append(body)
        elif raw:
            return self._reject(operation, "unexpected body")
        with api.lock:
            status, document = self._apply(operation, groups, body)
            if status == 404:
                api.missing[operation] = api.missing.get(operation, 0) + 1
                api.reasons.append(f"{operation}: 404 {groups}")
        self._send(status, document)

    def _apply(self, operation: str, groups: tuple[str, ...], body: Any) -> tuple[int, Any]:
        api = self.api
        if operation == "getHealth":
            return 200, {"ok": True}
        if operation == "listThings":
            return 200, list(api.things.values())[:20]
        if operation == "createThing":
            thing = {**body, "id": api.next_id}
            api.things[api.next_id] = thing
            api.next_id += 1
            return 201, thing
        thing_id = int(groups[0])
        if thing_id not in api.things:
            return 404, {"error": "no such thing"}
        if operation == "getThing":
            return 200, api.things[thing_id]
        if operation == "updateThing":
            api.things[thing_id] = {**body, "id": thing_id}
            return 200, api.things[thing_id]
        if operation == "deleteThing":
            if any(key[0] == thing_id for key in api.notes):
                return 409, {"error": "the thing has notes"}
            del api.things[thing_id]
            return 204, None
        if operation == "addNote":
            note = {**body, "noteId": str(uuid.uuid4())}
            api.notes[(thing_id, note["noteId"])] = note
            return 201, note
        key = (thing_id, groups[1])
        if key not in api.notes:
            return 404, {"error": "no such note"}
        if operation == "getNote":
            return 200, api.notes[key]
        del api.notes[key]
        return 204, None

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that resets its connection at the end of a run is no news


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True)
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    Handler.api = Api(args.spec)
    server = QuietServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    time.sleep(args.max_seconds)
    sys.exit(0)


if __name__ == "__main__":
    main()
