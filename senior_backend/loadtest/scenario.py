"""A load-test scenario from an OpenAPI document (`--spec`): every operation, its request, and the ids it needs.

Each operation's path, query and header values and its JSON (or form) body
come from the spec's examples when they validate, else are synthesized from
its schemas (`common/examples.py`); request bodies leave out `readOnly`
properties. Query and header parameters are sent when required or when the
spec gives an example. The strings of a body and of header parameters differ
per request where their schema allows it (`unique.py`: a unique email, an
Idempotency-Key); path and query values do not.

Dependent values: an operation that names a resource (`/things/{thingId}`,
and everything below it) takes its path values from what the create of that
resource returned (a POST to the collection `/things`: the id is read from the
response body as `thingId`, `id` or `thing_id`, also under `data`), or, where
the spec declares OpenAPI `links` on an operation's 2xx response, from the
values those links name (`$response.body#/...`, `$request.path.x`, constants).
When no created resource is at hand, the create runs instead (also when
`--operation`/`--tag` left it out, so a filtered run never invents ids).

Deletes run only on resources the scenario created: a DELETE that no create or
link feeds is skipped with a note, never sent with an id from the spec's
examples against someone's server. Cookie parameters and bodies that are
neither JSON nor form-encoded are not synthesized (an operation that requires
one is skipped with a note).
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

from senior_backend.common.errors import BadInput
from senior_backend.common.examples import SchemaExamples, from_openapi30, request_view
from senior_backend.common.openapi import OpenAPIDocument, load_openapi, resolve_pointer
from senior_backend.loadtest.unique import TOKEN_LENGTH, varying_strings

METHODS = ("get", "put", "post", "delete", "patch", "options")
_PARAM = re.compile(r"^\{([^{}]+)\}$")
_SKIPPED_HEADERS = frozenset({"accept", "content-type", "authorization", "content-length", "host"})
ID_SOURCE = (
    "#"  # pool keys of the CRUD convention: "#0", "#1", ... the path values, in order, of a created item
)


def _token() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(TOKEN_LENGTH))


@dataclass(frozen=True)
class Operation:
    """One operation as the scenario sends it; `source` names the operation whose created items feed its path."""

    name: str  # operationId, else "METHOD /path"
    method: str
    path: str  # the spec's path template, e.g. /things/{thingId}
    tags: tuple[str, ...] = ()
    weight: float = 1.0
    values: tuple[tuple[str, str], ...] = ()  # path parameter -> value from examples (when no pool feeds it)
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    body_value: Any = None  # the JSON body as a value, when some of its strings vary per request (unique.py)
    varying: tuple[tuple[str | int, ...], ...] = ()  # those strings
    varying_headers: tuple[int, ...] = ()  # the header values that vary per request (an Idempotency-Key)
    source: str | None = None  # the producing operation
    takes: tuple[tuple[str, str], ...] = ()  # path parameter -> key of the producer's pool entry
    consumes: bool = False  # a DELETE: its item leaves the pool
    keeps: tuple[
        tuple[str, str], ...
    ] = ()  # a producer: pool key -> where its value comes from (see `capture`)

    @property
    def params(self) -> list[str]:
        return path_params(self.path)


@dataclass(frozen=True)
class Scenario:
    """The operations to run (weighted) and every operation a dependency may need (`all`)."""

    spec: str
    base_url: str  # as given (a password in it is masked where the plan is shown)
    base_path: str
    selected: tuple[str, ...]
    operations: dict[str, Operation] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    token: str = field(default_factory=_token)  # this run's part of each unique value (unique.py)

    def describe(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "operations": [
                {"name": name, "method": op.method, "path": op.path, "weight": op.weight}
                for name, op in self.operations.items()
                if name in self.selected
            ],
            "notes": list(self.notes),
        }


def path_params(path: str) -> list[str]:
    return [m[1] for segment in path.split("/") if (m := _PARAM.match(segment))]


def _shape(path: str) -> str:
    """A path with every parameter blanked, to match paths whose parameters are named differently."""
    return "/".join("{}" if _PARAM.match(segment) else segment for segment in path.rstrip("/").split("/"))


def _item_prefix(path: str) -> str | None:
    """The longest prefix of the path that ends with a parameter (`/users/{id}` of `/users/{id}/posts`)."""
    segments = path.rstrip("/").split("/")
    for end in range(len(segments), 0, -1):
        if _PARAM.match(segments[end - 1]):
            return "/".join(segments[:end])
    return None


def text_value(value: Any) -> str:
    """A parameter value as text: booleans as true/false, arrays comma-separated (the simple/form styles)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(text_value(item) for item in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{text_value(v)}" for k, v in value.items())
    return str(value)


def load_scenario(
    spec: str,
    base_url: str | None,
    operations: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    weights: tuple[tuple[str, float], ...] = (),
) -> Scenario:
    """Read the spec and build the scenario; bad input (exit 2) for a broken spec, no base URL, unknown names."""
    document = load_openapi(spec)
    base = _base_url(document, base_url, spec)
    return _Builder(document, spec).build(base, operations, tags, dict(weights))


def _base_url(document: OpenAPIDocument, base_url: str | None, spec: str) -> str:
    """`--base-url` as given, else the spec's first absolute server URL (variables at their defaults)."""
    if base_url:
        return base_url
    for server in document.root.get("servers") or []:
        if not isinstance(server, dict):
            continue
        url = str(server.get("url", ""))
        for name, variable in (server.get("variables") or {}).items():
            url = url.replace("{" + name + "}", str((variable or {}).get("default", "")))
        if re.match(r"^https?://", url):
            return url
    raise BadInput(
        "no-base-url",
        f"{spec} names no absolute server URL: give --base-url http://host:port",
        hint="the spec's servers[0].url, or the one given, prefixes every path",
    )


class _Builder:
    def __init__(self, document: OpenAPIDocument, spec: str) -> None:
        self.document = document
        self.spec = spec
        self.is_30 = not document.is_31
        components = document.root.get("components") or {}
        schemas = {name: self._normal(schema) for name, schema in (components.get("schemas") or {}).items()}
        self.examples = SchemaExamples({name: request_view(schema) for name, schema in schemas.items()})
        self.notes: list[str] = []
        # the pool key of a link ("getThing.thingId") -> "link:<its runtime expression as JSON>"
        self.link_values: dict[str, str] = {}

    def _normal(self, schema: Any) -> Any:
        return from_openapi30(schema) if self.is_30 else schema

    def build(
        self, base: str, wanted: tuple[str, ...], tags: tuple[str, ...], weights: dict[str, float]
    ) -> Scenario:
        raw = self._raw_operations()
        if not raw:
            raise BadInput("no-operations", f"{self.spec} has no operations under paths")
        by_name = {name: spec for name, spec in raw}
        self._check_names(by_name, wanted, tags, weights)
        sources = self._sources(by_name)
        while True:  # an operation whose producer was skipped is built again, fed by nothing
            self.notes = []
            built: dict[str, Operation] = {}
            for name, (method, path, op, shared) in by_name.items():
                operation = self._operation(name, method, path, op, shared, sources.get(name), weights)
                if operation is not None:
                    built[name] = operation
            orphans = [name for name, op in built.items() if op.source is not None and op.source not in built]
            if not orphans:
                break
            for name in orphans:
                del sources[name]
        built = self._with_keeps(built, sources)
        chosen = [
            name
            for name, op in built.items()
            if (not wanted and not tags) or name in wanted or set(op.tags) & set(tags)
        ]
        for name in weights:
            if name not in chosen:
                raise BadInput(
                    "unused-weight",
                    f"--weight {name}={weights[name]:g}: {name!r} is not run (--operation/--tag leave it out)",
                )
        selected = tuple(name for name in chosen if built[name].weight > 0)
        if not selected:
            raise BadInput(
                "no-operations", "no operation of the spec is left to run", hint="; ".join(self.notes)
            )
        parts = base.rstrip("/")
        return Scenario(self.spec, parts, _path_of(parts), selected, built, tuple(self.notes))

    def _raw_operations(self) -> list[tuple[str, tuple[str, str, dict[str, Any], list[Any]]]]:
        out = []
        for path, item in (self.document.root.get("paths") or {}).items():
            item = self.document.deref(item)
            if not isinstance(item, dict):
                continue
            for method in METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    name = str(op.get("operationId") or f"{method.upper()} {path}")
                    out.append((name, (method.upper(), str(path), op, list(item.get("parameters") or []))))
        return out

    def _check_names(
        self,
        by_name: dict[str, Any],
        wanted: tuple[str, ...],
        tags: tuple[str, ...],
        weights: dict[str, float],
    ) -> None:
        known = ", ".join(sorted(by_name))
        for name in [*wanted, *weights]:
            if name not in by_name:
                raise BadInput(
                    "unknown-operation", f"{self.spec} has no operation {name!r}", hint=f"one of: {known}"
                )
        all_tags = {str(t) for _, _, op, _ in by_name.values() for t in op.get("tags") or []}
        for tag in tags:
            if tag not in all_tags:
                raise BadInput(
                    "unknown-tag",
                    f"{self.spec} has no tag {tag!r}",
                    hint=f"one of: {', '.join(sorted(all_tags))}",
                )

    # --- dependencies ------------------------------------------------------------------------------

    def _sources(self, by_name: dict[str, Any]) -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
        """Per consuming operation: (producer, ((path parameter, pool key), ...)); links win over the convention."""
        creates = {_shape(path): name for name, (method, path, _, _) in by_name.items() if method == "POST"}
        sources: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
        for name, (_, path, _, _) in by_name.items():
            prefix = _item_prefix(path)
            if prefix is None:
                continue
            producer = creates.get(_shape(prefix.rsplit("/", 1)[0]))
            if producer is None or producer == name:
                continue
            params = path_params(prefix)
            sources[name] = (producer, tuple((param, f"{ID_SOURCE}{i}") for i, param in enumerate(params)))
        for name, (_, _, op, _) in by_name.items():
            for target, params in self._links(op, by_name):
                path = by_name[target][1]
                takes = tuple((param, f"{target}.{param}") for param in params if param in path_params(path))
                if takes and target != name:
                    sources[target] = (name, takes)
                    for param, key in takes:
                        self.link_values[key] = f"link:{json.dumps(params[param])}"
        return sources

    def _links(self, op: dict[str, Any], by_name: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """(target operation, {its parameter: runtime expression}) for every link of the 2xx responses."""
        out = []
        for code, response in (op.get("responses") or {}).items():
            response = self.document.deref(response)
            if not str(code).startswith("2") or not isinstance(response, dict):
                continue
            for link in (response.get("links") or {}).values():
                link = self.document.deref(link)
                target = self._link_target(link, by_name) if isinstance(link, dict) else None
                if target is not None:
                    params = {str(p).split(".", 1)[-1]: v for p, v in (link.get("parameters") or {}).items()}
                    out.append((target, params))
        return out

    def _link_target(self, link: dict[str, Any], by_name: dict[str, Any]) -> str | None:
        if link.get("operationId") in by_name:
            return str(link["operationId"])
        ref = link.get("operationRef")
        if not (isinstance(ref, str) and ref.startswith("#/paths/")):
            return None
        try:
            target = resolve_pointer(self.document.root, ref[1:])
        except (BadInput, KeyError, IndexError, TypeError, ValueError):
            return None
        return next((name for name, (_, _, op, _) in by_name.items() if op is target), None)

    def _with_keeps(
        self, built: dict[str, Operation], sources: dict[str, tuple[str, tuple[tuple[str, str], ...]]]
    ) -> dict[str, Operation]:
        """Tell each producer what to keep from its responses, for the consumers that were built."""
        keeps: dict[str, dict[str, str]] = {}
        for name, (producer, takes) in sources.items():
            if name not in built or producer not in built:
                continue
            entry = keeps.setdefault(producer, {})
            producer_op = built[producer]
            for param, key in takes:
                if key.startswith(ID_SOURCE):
                    index = int(key[1:])
                    own = producer_op.params
                    entry[key] = f"path:{own[index]}" if index < len(own) else f"id:{param}"
                else:
                    entry[key] = self.link_values[key]
        out = {}
        for name, op in built.items():
            if name in keeps:
                op = replace(op, keeps=tuple(sorted(keeps[name].items())))
            out[name] = op
        return out

    # --- one operation -----------------------------------------------------------------------------

    def _operation(
        self,
        name: str,
        method: str,
        path: str,
        op: dict[str, Any],
        shared: list[Any],
        source: tuple[str, tuple[tuple[str, str], ...]] | None,
        weights: dict[str, float],
    ) -> Operation | None:
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for param in [*shared, *(op.get("parameters") or [])]:
            param = self.document.deref(param)
            if isinstance(param, dict) and "name" in param:
                params[(str(param.get("in")), str(param["name"]))] = param
        fed = {param for param, _ in source[1]} if source else set()
        if method == "DELETE" and (not source or set(path_params(path)) - fed):
            self.notes.append(
                f"{name} skipped: deletes run only on resources the scenario created, and no create or link "
                "feeds its path"
            )
            return None
        values, query, headers, varying_headers = [], [], [], []
        for (where, pname), param in params.items():
            if where == "path" and pname in fed:
                continue
            required = bool(param.get("required")) or where == "path"
            has, example = self._param_example(param)
            if where == "cookie" or (where == "header" and pname.lower() in _SKIPPED_HEADERS):
                if required and where == "cookie":
                    self.notes.append(f"{name} skipped: cookie parameter {pname!r} is not synthesized")
                    return None
                continue
            if not required and not has:
                continue
            schema = self._normal(param.get("schema") or {})
            value, valid = self.examples.pick(schema, (has, example))
            if not valid:
                if required:
                    self.notes.append(f"{name} skipped: no valid value for its {where} parameter {pname!r}")
                    return None
                continue
            if where == "path":
                values.append((pname, text_value(value)))
            elif where == "query":
                query += (
                    [(pname, text_value(v)) for v in value]
                    if isinstance(value, list)
                    else [(pname, text_value(value))]
                )
            elif where == "header":
                if isinstance(value, str) and varying_strings(value, partial(self.examples.is_valid, schema)):
                    varying_headers.append(len(headers))
                headers.append((pname, text_value(value)))
        body = self._body(name, op)
        if body is None:
            return None
        data, content_type, value, varying = body
        if content_type:
            headers.append(("Content-Type", content_type))
        return Operation(
            name=name,
            method=method,
            path=path,
            tags=tuple(str(t) for t in op.get("tags") or []),
            weight=weights.get(name, 1.0),
            values=tuple(values),
            query=urlencode(query),
            headers=tuple(headers),
            body=data,
            body_value=value if varying else None,
            varying=varying,
            varying_headers=tuple(varying_headers),
            source=source[0] if source else None,
            takes=source[1] if source else (),
            consumes=method == "DELETE",
        )

    def _param_example(self, param: dict[str, Any]) -> tuple[bool, Any]:
        if "example" in param:
            return True, param["example"]
        for example in (param.get("examples") or {}).values():
            example = self.document.deref(example)
            if isinstance(example, dict) and "value" in example:
                return True, example["value"]
        schema = self.document.deref(param.get("schema") or {})
        if isinstance(schema, dict) and "example" in schema:
            return True, schema["example"]
        return False, None

    def _body(self, name: str, op: dict[str, Any]) -> tuple[bytes, str, Any, tuple[Any, ...]] | None:
        """The request body, its content type, its value and the strings that vary per request
        (`unique.py`); (b"", "", None, ()) without one; None: skip the operation."""
        request = self.document.deref(op.get("requestBody"))
        if not isinstance(request, dict):
            return b"", "", None, ()
        content = request.get("content") or {}
        json_type = next((t for t in content if t.split(";")[0].strip().endswith(("/json", "+json"))), None)
        form_type = (
            "application/x-www-form-urlencoded" if "application/x-www-form-urlencoded" in content else None
        )
        chosen = json_type or form_type
        if chosen is None:
            if request.get("required"):
                self.notes.append(f"{name} skipped: its body is neither JSON nor form-encoded")
                return None
            return b"", "", None, ()
        media = content[chosen] or {}
        has, example = False, None
        if "example" in media:
            has, example = True, media["example"]
        else:
            for item in (media.get("examples") or {}).values():
                item = self.document.deref(item)
                if isinstance(item, dict) and "value" in item:
                    has, example = True, item["value"]
                    break
        schema = request_view(self._normal(media.get("schema") or {}))
        value, valid = self.examples.pick(schema, (has, example))
        if not valid:
            self.notes.append(f"{name} skipped: no request body valid against its schema")
            return None
        if chosen == form_type:
            if not isinstance(value, dict):
                self.notes.append(f"{name} skipped: its form body is not an object")
                return None
            return urlencode([(k, text_value(v)) for k, v in value.items()]).encode(), chosen, value, ()
        varying = varying_strings(value, partial(self.examples.is_valid, schema))
        return json.dumps(value, separators=(",", ":")).encode("utf-8"), "application/json", value, varying


def _path_of(url: str) -> str:
    """The path part of the base URL ("" for http://host:port), which prefixes every operation's path."""
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else ""


def fill_path(scenario: Scenario, op: Operation, values: dict[str, str]) -> str:
    """The request target: base path + the operation's path with its values, percent-encoded, + query."""
    segments = []
    for segment in op.path.split("/"):
        match = _PARAM.match(segment)
        segments.append(quote(values.get(match[1], ""), safe="") if match else segment)
    target = scenario.base_path + "/".join(segments)
    return f"{target}?{op.query}" if op.query else target


def capture(op: Operation, request_values: dict[str, str], status: int, body: bytes) -> dict[str, str] | None:
    """A producer's pool entry from its 2xx response: its path values, the created id, linked values."""
    if not 200 <= status < 300:
        return None
    try:
        document = json.loads(body) if body else None
    except ValueError:
        document = None
    entry = {}
    for key, source in op.keeps:
        kind, _, what = source.partition(":")
        if kind == "path":
            value: Any = request_values.get(what)
        elif kind == "id":
            value = _find_id(document, what)
        else:
            value = _link_value(json.loads(what), request_values, document)
        if value is None or isinstance(value, (dict, list)):
            return None
        entry[key] = text_value(value)
    return entry


def _find_id(document: Any, param: str) -> Any:
    """The created item's id in a create's response: `thingId`, `id` or `thing_id`, at the top or under data."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", param).lower()
    for node in (document, document.get("data") if isinstance(document, dict) else None):
        if isinstance(node, dict):
            for key in (param, "id", snake, "ID", "Id"):
                if key in node and node[key] is not None:
                    return node[key]
    return None


def _link_value(expression: Any, request_values: dict[str, str], document: Any) -> Any:
    """A link parameter's runtime expression: `$response.body#/ptr`, `$request.path.x`, or a constant."""
    if not isinstance(expression, str) or not expression.startswith("$"):
        return expression
    if expression.startswith("$response.body"):
        pointer = expression.partition("#")[2]
        try:
            return resolve_pointer(document, pointer) if pointer else document
        except (BadInput, KeyError, IndexError, TypeError, ValueError):
            return None
    if expression.startswith("$request.path."):
        return request_values.get(expression[len("$request.path.") :])
    return None
