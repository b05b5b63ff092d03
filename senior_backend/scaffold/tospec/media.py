"""The media type of a route's request body, from what its code states.

Read from the route's own arguments (middleware and handler; an identifier is followed to its
definition) and, on Fastify, its `schema`:

- multipart: multer and @koa/multer middleware (`upload.single("avatar")`, `.array("photos", 12)`,
  `.fields([{ name, maxCount }])`, `.none()`, `.any()`), a body parser with `multipart: true`
  (koa-body), files read off the request (`req.file`, `req.files.avatar`, `const { doc } = req.files`,
  `ctx.request.files`, `ctx.file`, Fastify's `request.file()` / `files()` / `parts()` /
  `saveRequestFiles()`). File fields are `format: binary` where the code names them.
- declared types: a body parser's `type` / `extendTypes` option
  (`express.json({ type: "application/json-patch+json" })`), type checks on the request
  (`req.is(...)`, `ctx.is(...)`, a comparison with its `content-type` header), Fastify's
  `schema.consumes`; in our generated code the list its 415 check states (`mediaChecked`, `mediaCheck`).
  What a handler sets on the response (`res.type(...)`) is not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from senior_backend.common.openapi import ref_name
from senior_backend.scaffold.forms import is_file
from senior_backend.scaffold.ir import FORM_MEDIA, JSON_MEDIA, MULTIPART_MEDIA, TEXT_MEDIA, Body
from senior_backend.scaffold.tospec.jsast import (
    Node,
    call_parts,
    literal,
    string_value,
    text,
    unwrap,
)
from senior_backend.scaffold.tospec.project import Project
from senior_backend.scaffold.tospec.routes import FUNCTIONS, GENERATED_BANNER

BINARY = {"type": "string", "format": "binary"}
_MEDIA = re.compile(r"(\*|[\w.+-]+)/(\*|[\w.+-]+)")  # a media type or range, without parameters
_SHORTHANDS = {"multipart": MULTIPART_MEDIA, "urlencoded": FORM_MEDIA, "json": "application/json"}  # type-is
_MULTER = ("multer", "@koa/multer", "koa-multer", "fastify-multer")
_FILE_READS = {"file", "files", "parts", "saveRequestFiles", "isMultipart"}
_NOT_FIELDS = {"length", "forEach", "map", "filter", "find", "some", "every", "reduce", "slice", "at", "then"}
_EQUALS = {"===", "!==", "==", "!="}
_CHECKS = ("mediaChecked", "mediaCheck")  # the 415 checks of our generated http.ts
# Text a route argument holds when it reads files or checks types (lower case): else it is not walked.
_MARKERS = (b"file", b"parts", b"multipart", b".is(", b"content-type", b"request.type", b"mediacheck")


@dataclass
class BodyMedia:
    """What a route's code says about its body's media: declared types, multipart, file fields."""

    media: list[str] = field(default_factory=list)  # in the order the code names them
    multipart: bool = False
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file field -> its schema

    def declare(self, value: Any) -> None:
        for item in value if isinstance(value, list) else [value]:
            media = _SHORTHANDS.get(item, item) if isinstance(item, str) else None
            if media is not None and _MEDIA.fullmatch(media) and media.lower() not in self.media:
                self.media.append(media.lower())

    def file(self, name: Any, many: bool = False, most: Any = None) -> None:
        self.multipart = True
        if isinstance(name, str) and name:
            many = many and most != 1
            schema = {"type": "array", "items": dict(BINARY)} if many else dict(BINARY)
            if many and isinstance(most, int) and most > 0:
                schema["maxItems"] = most
            self.files.setdefault(name, schema)


def read_media(project: Project, handlers: list[Node], consumes: Any = None) -> BodyMedia:
    """What the route arguments `handlers` (middleware, hooks, handler) and Fastify's `consumes` state."""
    facts = BodyMedia()
    facts.declare(consumes)
    for handler in handlers:
        for node in _elements(handler):
            target = project.definition(node) if node.type in ("identifier", "member_expression") else None
            node = target if target is not None and target.type != "program" else node
            if node.type == "call_expression":
                _middleware(project, node, facts)
            if any(marker in (node.text or b"").lower() for marker in _MARKERS):  # most handlers: none
                found = _collect(node)
                _generated_checks(project, found["call_expression"], facts)
                _reads(node, found, facts)
    return facts


def _generated_checks(project: Project, calls: list[Node], facts: BodyMedia) -> None:
    """Our generated code's 415 check lists the types the spec declares: `mediaChecked(req, res, [...])`
    (Express), `mediaChecked(ctx, [...])` (Koa), `preParsing: mediaCheck([...])` (Fastify)."""
    for call in calls:
        receiver, name, args = call_parts(call)
        if receiver is not None or name not in _CHECKS or not args:
            continue
        definition = project.definition(call.child_by_field_name("function"))
        if definition is not None and project.module_of(definition).source.root.text.startswith(
            GENERATED_BANNER
        ):
            facts.declare(literal(args[-1]))


def with_media(body: Body | None, facts: BodyMedia, schemas: dict[str, Any]) -> Body | None:
    """`body` (None: the code validates none) under the media types the code states, with its files.

    The validated schema is that of every stated type the scaffolder reads (JSON, form, multipart,
    text: the code validates whichever of them arrives against it); other types (`application/xml`,
    `*/*`) get `{}`. A multipart body is an object: its file fields are added to the validated ones
    (a `$ref` is inlined to hold them). A body only the media tells of is optional."""
    media = list(facts.media)
    if facts.multipart and MULTIPART_MEDIA not in media:
        media.insert(0, MULTIPART_MEDIA)
    if not media:
        return body
    known = [item for item in media if media_kind(item)]
    kind = media_kind(known[0]) if known else body.kind if body is not None else ""
    schema = body.schema if body is not None else {"type": "object"} if kind == "multipart" else {}
    if kind == "multipart":
        schema = _with_files(file_parts(schema), facts.files, schemas)
    content = {item: deepcopy(schema) if media_kind(item) else {} for item in media}  # no YAML aliases
    if body is not None and not known:
        content = {**body.content, **content}  # the validated type, and the others stated
    return Body(body.required if body is not None else False, content, kind or "json")


def media_kind(media: str) -> str:
    """The API model's body kind of a media type (ir.py's); '' for a type the scaffolder does not read."""
    if media == MULTIPART_MEDIA:
        return "multipart"
    if media == FORM_MEDIA:
        return "form"
    if JSON_MEDIA.match(media):
        return "json"
    return "text" if TEXT_MEDIA.match(media) else ""


def file_parts(schema: dict[str, Any]) -> dict[str, Any]:
    """A multipart schema with its file fields as OpenAPI writes them (`type: string, format: binary`):
    Ajv's file parts (`type: object, format: binary`, our generated Fastify code) and
    @fastify/multipart's `isFile: true`."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return schema

    def part(sub: Any) -> Any:
        if isinstance(sub, dict) and (is_file(sub) or sub.get("isFile") is True):
            return dict(BINARY)
        if isinstance(sub, dict) and sub.get("type") == "array" and isinstance(sub.get("items"), dict):
            return {**sub, "items": part(sub["items"])}
        return sub

    return {**schema, "properties": {name: part(sub) for name, sub in properties.items()}}


def _with_files(
    schema: dict[str, Any], files: dict[str, dict[str, Any]], schemas: dict[str, Any]
) -> dict[str, Any]:
    """A multipart schema with the file fields the code reads added (a top-level `$ref` inlined to hold them)."""
    if not files:
        return schema
    name = ref_name(schema["$ref"]) if isinstance(schema.get("$ref"), str) else None
    if name is not None and isinstance(schemas.get(name), dict):
        schema = file_parts(deepcopy(schemas[name]))
    if "$ref" in schema or schema.get("type") not in ("object", None):
        schema = {"type": "object"}
    properties = dict(schema.get("properties") or {})
    properties.update(files)
    return {**schema, "type": "object", "properties": properties}


def _elements(node: Node) -> Iterator[Node]:
    """The route arguments in `node`: itself, or the items of a Fastify hook array."""
    node = unwrap(node)
    if node is None:
        return
    if node.type == "array":
        for item in node.named_children:
            yield from _elements(item)
    else:
        yield node


def _middleware(project: Project, call: Node, facts: BodyMedia) -> None:
    """multer's `upload.single("f")` and friends; a body parser's options (`multipart`, `type`)."""
    receiver, name, args = call_parts(call)
    if receiver is not None and _is_multer(project, receiver):
        first = literal(args[0]) if args else None
        if name == "single":
            facts.file(first)
        elif name == "array":
            facts.file(first, True, literal(args[1]) if len(args) > 1 else None)
        elif name == "fields" and isinstance(first, list):
            for entry in first:
                if isinstance(entry, dict):
                    facts.file(entry.get("name"), True, entry.get("maxCount"))
        elif name in ("none", "any"):
            facts.multipart = True
        return
    options = literal(args[0], project.definition) if args else None
    if isinstance(options, dict):
        if options.get("multipart") is True:
            facts.multipart = True
        facts.declare(options.get("type"))
        extended = options.get("extendTypes")
        for listed in extended.values() if isinstance(extended, dict) else []:
            facts.declare(listed)


def _is_multer(project: Project, node: Node) -> bool:
    """Whether `node` is a multer instance: `multer(...)`, directly or through the name it is bound to."""
    node = unwrap(node)
    if node is not None and node.type == "identifier":
        node = project.definition(node) or node
    if node is None or node.type != "call_expression":
        return False
    function = unwrap(node.child_by_field_name("function"))
    if function is None or function.type != "identifier":
        return False
    binding = project.module_of(function).names.get(text(function))
    return text(function) == "multer" or (binding is not None and binding.specifier in _MULTER)


def _reads(node: Node, found: dict[str, list[Node]], facts: BodyMedia) -> None:
    """Files read off the request, and type checks on it, in the functions under `node`."""
    requests = {name for function in _outer(node, FUNCTIONS) if (name := _first_parameter(function))}
    if not requests:
        return
    for member in found["member_expression"]:
        path = _member_path(member)
        if not path or path[0] not in requests:
            continue
        rest = path[1:]
        if rest[:1] == ["request"]:
            rest = rest[1:]
        if len(rest) == 1 and rest[0] in _FILE_READS:
            facts.multipart = True
            if rest[0] == "files":
                for name in _fields_read(member):
                    facts.file(name)
    for call in found["call_expression"]:
        receiver, name, args = call_parts(call)
        path = _member_path(receiver) if receiver is not None else []
        if name == "is" and path and path[0] in requests and path[1:] in ([], ["request"]):
            for arg in args:
                facts.declare(literal(arg))
        elif (
            name in ("includes", "startsWith")
            and receiver is not None
            and _reads_content_type(receiver, requests)
        ):
            facts.declare(literal(args[0]) if args else None)
    for comparison in found["binary_expression"]:
        operator = comparison.child_by_field_name("operator")
        if operator is None or text(operator) not in _EQUALS:
            continue
        left, right = comparison.child_by_field_name("left"), comparison.child_by_field_name("right")
        for side, other in ((left, right), (right, left)):
            value = string_value(side)
            if value is not None and other is not None and _reads_content_type(other, requests):
                facts.declare(value.split(";")[0].strip())


def _reads_content_type(node: Node, requests: set[str]) -> bool:
    """`req.headers["content-type"]`, `req.get("Content-Type")`, `ctx.request.type`: the request's type."""
    source = text(node)
    root = re.match(r"[A-Za-z_$][\w$]*", source)
    if root is None or root.group(0) not in requests:
        return False
    return "content-type" in source.lower() or source.endswith("request.type")


def _fields_read(member: Node) -> list[str]:
    """The file fields read off `req.files`: `.avatar`, `["avatar"]`, `const { avatar } = ...`."""
    parent = member.parent
    while parent is not None and parent.type in ("parenthesized_expression", "non_null_expression"):
        parent = parent.parent
    while (
        parent is not None
        and parent.type == "binary_expression"
        and text(parent.child_by_field_name("operator") or parent) in ("??", "||")
    ):
        parent = parent.parent
    if parent is None:
        return []
    if parent.type == "member_expression" and parent.child_by_field_name("object") == member:
        prop = parent.child_by_field_name("property")
        name = text(prop) if prop is not None else ""
        return [] if name in _NOT_FIELDS else [name]
    if parent.type == "subscript_expression" and parent.child_by_field_name("object") == member:
        index = string_value(parent.child_by_field_name("index"))
        return [index] if index else []
    pattern = parent.child_by_field_name("name") if parent.type == "variable_declarator" else None
    if pattern is None or pattern.type != "object_pattern":
        return []
    names = []
    for part in pattern.named_children:
        if part.type == "shorthand_property_identifier_pattern":
            names.append(text(part))
        elif part.type == "pair_pattern" and part.child_by_field_name("key") is not None:
            names.append(text(part.child_by_field_name("key")).strip("\"'"))
    return names


def _member_path(node: Node | None) -> list[str]:
    """`ctx.request.files` -> ["ctx", "request", "files"]; [] for anything but a plain member chain."""
    node = unwrap(node)
    parts: list[str] = []
    while node is not None and node.type == "member_expression":
        prop = node.child_by_field_name("property")
        parts.insert(0, text(prop) if prop is not None else "")
        node = unwrap(node.child_by_field_name("object"))
    if node is None or node.type != "identifier":
        return []
    return [text(node), *parts]


def _first_parameter(function: Node) -> str | None:
    """The name of a function's first parameter (the request: `req`, `ctx`, `request`)."""
    params = function.child_by_field_name("parameters")
    first = params.named_children[0] if params is not None and params.named_children else None
    if first is None:
        first = function.child_by_field_name("parameter")
    if first is not None and first.type.endswith("_parameter"):
        first = first.child_by_field_name("pattern")
    return text(first) if first is not None and first.type == "identifier" else None


def _outer(node: Node, kinds: tuple[str, ...]) -> Iterator[Node]:
    """The outermost nodes of one of `kinds` under `node` (itself included): a handler, not its callbacks."""
    if node.type in kinds:
        yield node
        return
    for child in node.named_children:
        yield from _outer(child, kinds)


def _collect(node: Node) -> dict[str, list[Node]]:
    """The member expressions, calls and binary expressions under `node` (itself included), in one walk."""
    found: dict[str, list[Node]] = {"member_expression": [], "call_expression": [], "binary_expression": []}
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in found:
            found[current.type].append(current)
        stack.extend(reversed(current.named_children))  # source order
    return found
