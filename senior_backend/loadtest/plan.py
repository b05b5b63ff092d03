"""The load plan: what to send, where, how fast and for how long; built once from the options.

The request bytes are rendered here once per run, so the engine's hot path
only writes a ready `bytes` object.
"""

from __future__ import annotations

import base64
import socket
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import unquote, urlsplit

from senior_backend.common.errors import BadInput, Unreachable
from senior_backend.common.masking import MASK, mask_password

USER_AGENT = "senior-backend-loadtest/0.1"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True)
class Target:
    """A parsed http(s) URL and the address it resolved to; `url` has its password masked."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    address: str = ""
    authorization: str = field(default="", repr=False)  # from the URL's userinfo; never printed

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def host_header(self) -> str:
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse_target(url: str) -> Target:
    """Parse an http(s) URL; exit 2 with one line when it is not one.

    Userinfo (`http://user:password@host/`) becomes a Basic `Authorization` value.
    """
    shown = mask_password(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadInput("invalid-url", f"invalid URL {shown!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            "invalid-url",
            f"invalid URL {shown!r}: expected http://host[:port]/path or https://...",
        )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if any(c in path for c in " \r\n"):
        raise BadInput("invalid-url", f"invalid URL {shown!r}: spaces or line breaks in the path")
    default = 443 if parts.scheme == "https" else 80
    authorization = ""
    if parts.username is not None:
        userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(userinfo.encode("utf-8")).decode("ascii")
    return Target(shown, parts.scheme, parts.hostname, port or default, path, authorization=authorization)


def resolve(target: Target) -> Target:
    """Resolve the host once, before the run; exit 4 when the name does not resolve."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unreachable("unreachable", f"cannot resolve host {target.host!r}: {exc}", hint="check the URL") from exc
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return replace(target, address=str(infos[0][4][0]))


@dataclass(frozen=True)
class LoadPlan:
    """Everything the engine needs for one run against one URL at one concurrency level."""

    target: Target
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    concurrency: int = 10
    rate: float | None = None
    duration: float | None = 10.0
    requests: int | None = None
    warmup: float = 0.0
    timeout: float = 30.0
    workers: int = 1
    insecure: bool = False
    phase: float = 0.0  # open model: this share's schedule starts this many seconds late
    stages: tuple[tuple[float, float], ...] = ()  # a ramp: (seconds, target level) each; see stages.py
    variation: Any = None  # templates.Variation: what varies between requests (None: every request the same)
    scenario: Any = None  # scenario_engine.ScenarioRun: a --spec run, each request one operation of the spec
    share_index: int = 0  # this plan is share `share_index` of `share_count` (worker processes)
    share_count: int = 1

    @property
    def mode(self) -> str:
        return "closed" if self.rate is None else "open"

    def request_bytes(
        self,
        path: str | None = None,
        headers: tuple[tuple[str, str], ...] | None = None,
        body: bytes | None = None,
    ) -> bytes:
        """The full HTTP/1.1 request, rendered once (or per request, with a varied path, headers or body)."""
        path = self.target.path if path is None else path
        headers = self.headers if headers is None else headers
        body = self.body if body is None else body
        names = {name.lower() for name, _ in headers}
        lines = [f"{self.method} {path} HTTP/1.1"]
        if "host" not in names:
            lines.append(f"Host: {self.target.host_header}")
        if "user-agent" not in names:
            lines.append(f"User-Agent: {USER_AGENT}")
        if "accept" not in names:
            lines.append("Accept: */*")
        if self.target.authorization and "authorization" not in names:
            lines.append(f"Authorization: {self.target.authorization}")
        lines += [f"{name}: {value}" for name, value in headers]
        if body or self.method in ("POST", "PUT", "PATCH"):
            if "content-length" not in names and "transfer-encoding" not in names:
                lines.append(f"Content-Length: {len(body)}")
            if "content-type" not in names and body[:1] in (b"{", b"["):
                lines.append("Content-Type: application/json")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        return head + body

    def share(self, index: int, count: int) -> LoadPlan:
        """This plan's part for worker process `index` of `count`: connections, rate and requests split.

        In the open model the shares' schedules interleave: share `index` starts `index / rate` late.
        """
        concurrency = self.concurrency // count + (1 if index < self.concurrency % count else 0)
        requests = None
        if self.requests is not None:
            requests = self.requests // count + (1 if index < self.requests % count else 0)
        rate = self.rate * concurrency / self.concurrency if self.rate else None
        if self.stages:  # a ramp's shares keep the whole schedule and take every `count`th request of it
            rate = self.rate
        return replace(
            self,
            concurrency=concurrency,
            rate=rate,
            requests=requests,
            workers=1,
            phase=index / self.rate if self.rate else 0.0,
            share_index=index,
            share_count=count,
        )

    def describe(self) -> dict[str, Any]:
        """The plan as saved with the results (and echoed in reports): secret header values masked."""
        data = asdict(replace(self, variation=None, scenario=None))
        data["url"] = self.target.url
        data["mode"] = self.mode
        data["headers"] = [
            [name, MASK if name.lower() in SECRET_HEADERS else value] for name, value in self.headers
        ]
        data["body_bytes"] = len(self.body)
        dropped = ("target", "body", "phase", "stages", "variation", "scenario", "share_index", "share_count")
        for key in dropped:
            data.pop(key)
        if self.stages:
            data["stages"] = [{"duration": seconds, "target": target} for seconds, target in self.stages]
        if self.variation is not None:
            data["varied"] = self.variation.describe()
        if self.scenario is not None:
            data["scenario"] = self.scenario.describe()
        return data
