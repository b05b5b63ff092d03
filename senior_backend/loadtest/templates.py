"""Varied request data for one URL: bodies cycled from a JSON-lines file, and templates in URL, headers, body.

Templates: `{{seq}}` (1, 2, 3, ... across all workers), `{{uuid}}` (a random
UUID), `{{randint A B}}` (an integer from A to B), `{{csv:FILE:COLUMN}}` (the
column of one row of a CSV file with a header line, cycling through the rows).
Within one request, `{{seq}}`, `{{uuid}}` and every column of one CSV file
have one value each, so a URL and a body can name the same id or row; request
n takes body n and CSV row n (cycling). In a JSON body, a value filled in
inside a string literal is JSON-escaped (a CSV value `say "hi"` stays one
string). Everything is parsed and checked before the run (bad input exits 2);
a `Renderer` per worker makes the bytes.
"""

from __future__ import annotations

import csv
import json
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from urllib.parse import quote

from senior_backend.common.errors import BadInput
from senior_backend.common.masking import mask_password
from senior_backend.loadtest.plan import Target, parse_target

_RANDINT = re.compile(r"^randint\s+(-?\d+)\s+(-?\d+)$")
_FIELD = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
KNOWN = "{{seq}}, {{uuid}}, {{randint A B}}, {{csv:FILE:COLUMN}}"
LINE_FILES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Field:
    """One `{{...}}`: its kind (seq, uuid, randint, csv) and arguments."""

    kind: str
    low: int = 0
    high: int = 0
    file: str = ""
    column: str = ""
    quoted: bool = False  # inside a string literal of a JSON body: the value is JSON-escaped


Template = tuple[str | Field, ...]


def parse_template(text: str, where: str) -> Template:
    """Split text into literal parts and fields; an unknown or unclosed `{{` is bad input."""
    parts: list[str | Field] = []
    at = 0
    for match in _FIELD.finditer(text):
        if "{{" in text[at : match.start()]:
            break
        parts.append(text[at : match.start()])
        parts.append(_field(match[1].strip(), where))
        at = match.end()
    if "{{" in text[at:]:
        raise BadInput(
            "bad-template", f"bad template in {where}: '{{{{' without a closing '}}}}'", hint=KNOWN
        )
    parts.append(text[at:])
    return tuple(part for part in parts if part != "")


def _field(inner: str, where: str) -> Field:
    if inner in ("seq", "uuid"):
        return Field(inner)
    randint = _RANDINT.match(inner)
    if randint:
        low, high = int(randint[1]), int(randint[2])
        if low > high:
            raise BadInput("bad-template", f"bad template {{{{{inner}}}}} in {where}: {low} > {high}")
        return Field("randint", low, high)
    if inner.startswith("csv:") and inner.count(":") >= 2:
        file, _, column = inner[4:].rpartition(":")
        if file and column:
            return Field("csv", file=file, column=column)
    raise BadInput("bad-template", f"unknown template {{{{{inner}}}}} in {where}", hint=f"use {KNOWN}")


def fields(template: Template) -> list[Field]:
    return [part for part in template if isinstance(part, Field)]


def quote_json_strings(template: Template) -> Template:
    """A JSON body's fields that sit inside string literals, marked to be JSON-escaped when filled in.

    A body is JSON when it parses with every field filled in as `0`; any other body is left as it is.
    """
    try:
        json.loads("".join("0" if isinstance(part, Field) else part for part in template))
    except ValueError:
        return template
    marked: list[str | Field] = []
    in_string = escaped = False
    for part in template:
        if isinstance(part, Field):
            marked.append(dc_replace(part, quoted=True) if in_string else part)
            continue
        for char in part:
            if escaped:
                escaped = False
            elif char == "\\" and in_string:
                escaped = True
            elif char == '"':
                in_string = not in_string
        marked.append(part)
    return tuple(marked)


def _load_csv(file: str, column: str, where: str) -> tuple[str, ...]:
    """The column's values, in file order; a missing file, column or row is bad input."""
    try:
        with open(file, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            names = reader.fieldnames or []
    except OSError as exc:
        raise BadInput(
            "bad-template", f"cannot read {file} for {{{{csv:{file}:{column}}}}} in {where}: {exc.strerror}"
        ) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BadInput("bad-template", f"{file}: not a UTF-8 CSV file ({exc})") from exc
    if column not in names:
        raise BadInput(
            "bad-template", f"{file} has no column {column!r} (columns: {', '.join(names) or 'none'})"
        )
    values = tuple(row[column] or "" for row in rows)
    if not values:
        raise BadInput("bad-template", f"{file} has no rows below its header line")
    return values


def read_bodies(path: str) -> tuple[bytes, ...]:
    """`--body @file`: a `.jsonl`/`.ndjson` file is one body per non-blank line; any other file one body."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput("bad-body", f"cannot read --body file {path}: {exc.strerror}") from exc
    if not path.lower().endswith(LINE_FILES):
        return (data,)
    bodies = tuple(line.strip() for line in data.splitlines() if line.strip())
    if not bodies:
        raise BadInput("bad-body", f"--body file {path} has no lines")
    return bodies


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class Variation:
    """What varies between requests: the path, header values and bodies as templates, and the CSV columns."""

    path: Template | None
    headers: tuple[tuple[str, Template], ...]
    bodies: tuple[Template, ...]
    columns: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def describe(self) -> dict[str, object]:
        return {
            "bodies": len(self.bodies),
            "templates": sorted({f.kind for t in self._templates() for f in fields(t)}),
        }

    def _templates(self) -> list[Template]:
        return [*([self.path] if self.path else []), *(t for _, t in self.headers), *self.bodies]


def split_url(url: str) -> tuple[str, str | None]:
    """The URL with every template blanked (to parse and resolve) and its path template (None without one).

    Templates belong in the path and query; one in the scheme, host or port is bad input.
    """
    if "{{" not in url:
        return url, None
    start = url.find("://") + 3 if "://" in url else 0
    ends = [i for i in (url.find(c, start) for c in "/?#") if i >= 0]
    authority_end = min(ends) if ends else len(url)
    if "{{" in url[:authority_end]:
        raise BadInput(
            "bad-template",
            f"template in the host of {mask_password(url)!r}",
            hint="templates go in the URL's path or query",
        )
    path = url[authority_end:].split("#", 1)[0]
    path = path if path.startswith("/") else "/" + path
    parse_template(path, "the URL")
    return url[:authority_end] + _FIELD.sub("0", path), path


def parse_templated_target(url: str) -> tuple[Target, str | None]:
    """`parse_target` for a URL that may hold templates; the target shows the URL as written."""
    blank, path = split_url(url)
    target = parse_target(blank)
    if path is None:
        return target, None
    if any(c in path for c in "\r\n"):
        raise BadInput("invalid-url", f"invalid URL {mask_password(url)!r}: line breaks in the path")
    return dc_replace(target, url=mask_password(url)), path


def build_variation(
    path: str | None, headers: tuple[tuple[str, str], ...], bodies: tuple[bytes, ...], lines_from: str | None
) -> Variation | None:
    """Parse and check every template (and load its CSV columns); None when every request is the same.

    `lines_from` names the JSON-lines file the bodies came from: each must then be JSON once filled in.
    """
    path_template = parse_template(path, "the URL") if path else None
    header_templates = tuple((name, parse_template(value, f"--header {name}")) for name, value in headers)
    where = [f"{lines_from} line {i + 1}" if lines_from else "--body" for i in range(len(bodies))]
    body_templates = tuple(
        quote_json_strings(parse_template(_text(body), place)) if b"{{" in body else (_text(body),)
        for body, place in zip(bodies, where, strict=True)
    )
    used = [(path_template, "the URL")] if path_template else []
    used += [(t, f"--header {name}") for name, t in header_templates]
    used += list(zip(body_templates, where, strict=True))
    if not any(fields(t) for t, _ in used) and len(bodies) <= 1:
        return None
    columns: dict[tuple[str, str], tuple[str, ...]] = {}
    for template, place in used:
        for f in fields(template):
            if f.kind == "csv" and (f.file, f.column) not in columns:
                columns[(f.file, f.column)] = _load_csv(f.file, f.column, place)
    for name, template in header_templates:
        for f in fields(template):
            if f.kind == "csv" and any(c in v for v in columns[(f.file, f.column)] for c in "\r\n"):
                raise BadInput(
                    "bad-template", f"{f.file} column {f.column!r} has line breaks: not a --header {name}"
                )
    variation = Variation(path_template, header_templates, body_templates or ((),), columns)
    if lines_from:
        sample = Renderer(variation, lambda path, headers, body: body, 0, 1)
        for body, place in zip(body_templates, where, strict=True):
            try:
                json.loads(sample.fill(body, _Request(1)))
            except ValueError as exc:
                filled = " once its templates are filled in" if fields(body) else ""
                raise BadInput("bad-body", f"{place} is not JSON{filled}: {exc}") from exc
    return variation


class _Request:
    """The values one request shares between its templates: its number, and its UUID once asked for."""

    __slots__ = ("n", "uuid")

    def __init__(self, n: int) -> None:
        self.n = n
        self.uuid = ""


class Renderer:
    """One worker's request maker: request n (n = first + 1, then every `step`th) gets seq n, body n, row n."""

    def __init__(
        self,
        variation: Variation,
        head: Callable[[str | None, tuple[tuple[str, str], ...] | None, bytes], bytes],
        first: int,
        step: int,
    ) -> None:
        self.variation = variation
        self.head = head
        self.n = first + 1
        self.step = step
        self.random = random.Random()
        self.bytes_out = 0

    def fill(self, template: Template, request: _Request, url: bool = False) -> str:
        """The template's text for this request; values in a URL are percent-encoded."""
        out = []
        for part in template:
            if isinstance(part, str):
                out.append(part)
                continue
            if part.kind == "seq":
                value = str(request.n)
            elif part.kind == "uuid":
                if not request.uuid:
                    request.uuid = str(uuid.UUID(int=self.random.getrandbits(128), version=4))
                value = request.uuid
            elif part.kind == "randint":
                value = str(self.random.randint(part.low, part.high))
            else:
                column = self.variation.columns[(part.file, part.column)]
                value = column[(request.n - 1) % len(column)]
            if part.quoted:
                value = json.dumps(value, ensure_ascii=False)[1:-1]
            out.append(quote(value, safe="") if url else value)
        return "".join(out)

    def __call__(self) -> bytes:
        request = _Request(self.n)
        self.n += self.step
        variation = self.variation
        path = self.fill(variation.path, request, url=True) if variation.path else None
        headers = tuple((name, self.fill(t, request)) for name, t in variation.headers) or None
        body = self.fill(variation.bodies[(request.n - 1) % len(variation.bodies)], request)
        data = self.head(path, headers, body.encode("utf-8", "surrogateescape"))
        self.bytes_out += len(data)
        return data
