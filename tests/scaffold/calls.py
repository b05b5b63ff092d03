"""Building a valid HTTP request for any operation of the model (used by the server tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from senior_backend.scaffold.examples import Examples
from senior_backend.scaffold.ir import Operation


@dataclass
class Call:
    """One request: method, path and the parts httpx needs."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str | None, Any]] | None = None

    def send(self, client: Any, base: str) -> Any:
        kwargs: dict[str, Any] = {"params": self.params, "headers": self.headers}
        if self.files is not None:
            kwargs.update(data=self.data or {}, files=self.files)
        elif self.data is not None:
            kwargs["data"] = self.data
        elif self.json_body is not None:
            kwargs["json"] = self.json_body
        return client.request(self.method.upper(), base + self.path, **kwargs)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def valid_call(op: Operation, examples: Examples) -> Call:
    """A request that satisfies every required part of `op` (optional parts are left out)."""
    path = op.path
    for param in op.params_in("path"):
        value = examples.synthesize(param.schema, 0)
        path = path.replace("{" + param.name + "}", quote(_text(value), safe=""))
    call = Call(op.method, path)
    for param in op.parameters:
        if not param.required or param.location == "path":
            continue
        value = examples.synthesize(param.schema, 0)
        if param.location == "query":
            call.params[param.name] = ",".join(map(_text, value)) if isinstance(value, list) else _text(value)
        elif param.location == "header":
            call.headers[param.name] = _text(value)
        elif param.location == "cookie":
            call.headers["cookie"] = f"{param.name}={_text(value)}"
    if op.body is not None:
        value = examples.synthesize(op.body.schema, 0)
        if op.body.kind == "json":
            call.json_body = value
            # in the media type the operation declares (`application/merge-patch+json`, ...); for a range
            # (`application/*+json`) a type within it
            declared = next(iter(op.body.content)).split(";")[0].strip()
            call.headers["content-type"] = declared.replace("*", "example") if "*" in declared else declared
        else:
            fields: dict[str, str] = {}
            files: dict[str, tuple[str | None, Any]] = {}
            for name, item in (value or {}).items():
                sub = (op.body.schema.get("properties") or {}).get(name, {})
                if isinstance(sub, dict) and sub.get("format") == "binary":
                    files[name] = ("file.bin", b"binary-content")
                elif op.body.kind == "multipart":
                    files[name] = (None, _text(item))  # a plain field, still sent as multipart
                else:
                    fields[name] = _text(item)
            call.data = fields
            call.files = files if op.body.kind == "multipart" else None
    return call
