"""One route -> one API model operation: parameters, body, responses from what the code states.

Readers, most specific first: our generated Express/Koa handlers (`validated(S.XSchemas, ...)`
with zod per request part, `as T.XRequest` pointing at types.ts for responses and the
operation id), hand-written zod validation middleware, our generated Fastify hooks
(`cookieCheck`, `splitQuery`), and Fastify route `schema` objects. The body's media type is then
what the route states (tospec/media.py); ids and tags follow tospec/opnames.py.
"""

from __future__ import annotations

import re
from typing import Any

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.scaffold.forms import has_files
from senior_backend.scaffold.ir import FORM_MEDIA, MULTIPART_MEDIA, Body, Parameter, Response
from senior_backend.scaffold.naming import identifier
from senior_backend.scaffold.tospec.components import Components
from senior_backend.scaffold.tospec.jsast import (
    UNRESOLVED,
    Node,
    call_parts,
    line,
    literal,
    object_pairs,
    preceding_comment,
    string_value,
    text,
    uncomment,
    unwrap,
)
from senior_backend.scaffold.tospec.media import file_parts, media_kind, read_media, with_media
from senior_backend.scaffold.tospec.opnames import (
    DERIVED,
    GENERIC_HANDLERS,
    HANDLER,
    STATED,
    RecoveredOperation,
    conventional_id,
    file_tag,
)
from senior_backend.scaffold.tospec.project import Project
from senior_backend.scaffold.tospec.routes import FUNCTIONS, Route, openapi_path
from senior_backend.scaffold.tospec.securityback import SecurityReader
from senior_backend.scaffold.tospec.tsback import union_members
from senior_backend.scaffold.tospec.zodback import object_shape, peel_optional

_LOCATIONS = {
    "params": "path",
    "querystring": "query",
    "query": "query",
    "headers": "header",
    "path": "path",
    "cookies": "cookie",
}
_FASTIFY_KEYS = {
    "body",
    "response",
    "summary",
    "description",
    "tags",
    "operationId",
    "hide",
    "consumes",
    "produces",
    "deprecated",
}
_REQUEST_KEYS = {"path", "query", "headers", "cookies", "body", "bodyRequired", "deepObjects"}


class OperationReader:
    """Recovers operations of one project (their ids are made unique by `opnames.unique_ids`)."""

    def __init__(self, project: Project, warnings: list[Diagnostic]) -> None:
        self.project = project
        self.warnings = warnings
        self.components = Components(project, self.warn)
        self.schemas = self.components.schemas
        self.json_schema = self.components.json_schema
        self.zod = self.components.zod
        self.types = self.components.types
        self.security = SecurityReader(project)  # our generated auth.ts: `security` and its schemes

    def warn(self, code: str, message: str, node: Node) -> None:
        module = self.project.module_of(node)
        self.warnings.append(warning(code, message, where=f"{module.source.path}:{line(node)}"))

    # operations -----------------------------------------------------------------------------------
    def operation(self, route: Route, method: str, full_path: str) -> RecoveredOperation:
        path, names = openapi_path(full_path)
        module = self.project.module_of(route.node)
        where = f"{module.source.path}:{line(route.node)}"
        params: dict[tuple[str, str], Parameter] = {}
        body: Body | None = None
        responses: list[Response] = []
        operation_id, id_source = None, DERIVED
        inside = [module.source.find(handler) for handler in route.handlers]
        renames = self._path_names([pair for found in inside for pair in found.get("pair", [])])
        group = _route_group(module.source.root)
        summary, tags = "", [group] if group else [file_tag(module.source.path)]
        schema = self._fastify_schema(route)
        if schema is not None:  # first: the hooks below refine the parameters it declares
            body = self._fastify_parts(schema, params, renames)
            responses = self._fastify_responses(schema.get("response"))
            summary = str(schema.get("summary") or schema.get("description") or "")
            if schema.get("operationId"):
                operation_id, id_source = str(schema["operationId"]), STATED
            tags = [str(tag) for tag in schema.get("tags") or []] or tags
        for handler, found in zip(route.handlers, inside, strict=True):
            calls = found.get("call", [])
            body = self._middleware_zod(handler, params) or body
            body = self._generated_zod(calls, params) or body
            for cast in found.get("as", []):
                kind = text(cast.named_children[-1])
                typed = (
                    self._typed(cast.named_children[-1]) if kind.endswith("Request") and "." in kind else None
                )
                if typed is not None:
                    if typed[0] is not None and id_source != STATED:
                        operation_id, id_source = typed[0], STATED
                    elif id_source == DERIVED and (called := _called_with(cast)):
                        operation_id, id_source = called, HANDLER  # named as the scaffolder names it
                    responses = responses or typed[1]
            self._fastify_checks(calls, params)
            if body is not None and body.kind == "form" and any(_name(call) == "jsonParts" for call in calls):
                body = _multipart(body)  # JSON parts: our generated Fastify code's multipart bodies
        consumes = schema.get("consumes") if schema is not None else None
        body = with_media(body, read_media(self.project, route.handlers, consumes), self.schemas)
        for name in names:
            renamed = renames.get(name, name)
            params.setdefault(("path", renamed), Parameter(renamed, "path", True, {"type": "string"}, name))
        path = re.sub(r"\{([^}]+)\}", lambda m: "{" + renames.get(m.group(1), m.group(1)) + "}", path)
        named = route.name or _handler_name(route)
        if operation_id is None and named:
            operation_id, id_source = identifier(named, "operation"), HANDLER
        operation_id = operation_id or conventional_id(method, path)
        tags = [tag for tag in tags if tag]
        security = self.security.operation(route)  # None: the route checks nothing
        return RecoveredOperation(
            operation_id=operation_id,
            name=operation_id,
            type_name=operation_id,
            method=method,
            path=path,
            group=tags[0] if tags else path.strip("/").split("/")[0] or "root",  # as ir.py groups
            summary=summary,
            parameters=list(params.values()),
            body=body,
            responses=responses,
            security=[] if security is None else security,
            where=where,
            tags=tags,
            id_source=id_source,
        )

    def _path_names(self, pairs: list[Node]) -> dict[str, str]:
        """Route key -> parameter name, from `{ "pet-id": params["petId"] }` in our generated handlers."""
        out: dict[str, str] = {}
        for node in pairs:
            value = unwrap(node.child_by_field_name("value"))
            key = literal(node.child_by_field_name("key"))
            if value is not None and value.type == "subscript_expression" and isinstance(key, str):
                target = text(value.child_by_field_name("object") or value)
                index = literal(value.child_by_field_name("index"))
                if target == "params" and isinstance(index, str):
                    out[index] = key
        return out

    def _generated_zod(self, calls: list[Node], params: dict[tuple[str, str], Parameter]) -> Body | None:
        """`validated(S.XSchemas, ...)`: an object of zod schemas per request part."""
        body = None
        for call in calls:
            _, _, args = call_parts(call)
            if not args:
                continue
            target = self.project.definition(args[0]) if unwrap(args[0]) is not None else None
            pairs = object_pairs(target) if target is not None else {}
            if not pairs or not set(pairs) <= _REQUEST_KEYS or ("body" not in pairs and "query" not in pairs):
                continue
            for part, location in (
                ("path", "path"),
                ("query", "query"),
                ("headers", "header"),
                ("cookies", "cookie"),
            ):
                if part in pairs:
                    self._zod_params(pairs[part], location, params)
            if "deepObjects" in pairs:
                _mark_deep_objects(literal(pairs["deepObjects"]), params)
            if "body" in pairs:
                required = literal(pairs["bodyRequired"]) if "bodyRequired" in pairs else True
                body = self._body(self.zod.schema(pairs["body"]), required is True, _form_kind(pairs["body"]))
            self.components.flush()
        return body

    def _middleware_zod(self, handler: Node, params: dict[tuple[str, str], Parameter]) -> Body | None:
        """Hand-written validation middleware: `validate(Schema)`, `validateQuery(Q)`, `v("params", P)`."""
        handler = unwrap(handler)
        if handler is None or handler.type != "call_expression":
            return None
        _, name, args = call_parts(handler)
        words = " ".join([(name or "").lower(), *((string_value(arg) or "").lower() for arg in args)])
        location = next(
            (
                loc
                for word, loc in (("quer", "query"), ("param", "path"), ("header", "header"))
                if word in words
            ),
            "body",
        )
        for arg in args:
            if not self.zod.is_zod(self.project.definition(arg)):
                continue
            schema = self.zod.schema(arg)
            self.components.flush()
            if location == "body":
                return self._body(schema, True, "json")
            resolved = self.schemas.get(str(schema.get("$ref", "")).rsplit("/", 1)[-1], schema)
            self._json_params(resolved, location, params)
        return None

    def _zod_params(self, node: Node, location: str, params: dict[tuple[str, str], Parameter]) -> None:
        shape = object_shape(node)
        if shape is None:
            self.warn("lost-parameters", f"{location} parameters are not a z.object literal", node)
            return
        for name, value in object_pairs(shape).items():
            optional, inner = peel_optional(value)
            self.zod.delimiter = None
            schema = self.zod.schema(inner)
            required = not optional or location == "path"
            params[(location, name)] = Parameter(name, location, required, schema, name, self.zod.delimiter)

    def _body(self, schema: dict[str, Any], required: bool, kind: str) -> Body:
        media = {"form": FORM_MEDIA, "multipart": MULTIPART_MEDIA}.get(kind, "application/json")
        return Body(required=required, content={media: schema}, kind=kind)

    def _typed(self, type_node: Node) -> tuple[str | None, list[Response]] | None:
        """`as T.XRequest`: the operation id in its doc comment and the `XResponse` union."""
        request_name = text(type_node).rsplit(".", 1)[-1]
        definition = self._type_declaration(type_node, request_name)
        if definition is None:
            return None
        comment = preceding_comment(definition) or ""
        match = re.fullmatch(r"(\S+) (.*?) \((.*)\)", comment)
        response_decl = self._type_declaration(type_node, request_name[: -len("Request")] + "Response")
        responses = []
        value = response_decl.child_by_field_name("value") if response_decl is not None else None
        variants = union_members(value) if value is not None else []
        for variant in (node for node in variants if node.type == "object_type"):
            members = self.types.members(variant)
            status = (
                literal(members["status"].named_children[0])
                if "status" in members and members["status"].named_children
                else UNRESOLVED
            )
            body = members.get("body")
            schema = None if body is None or text(body) == "undefined" else self.types.schema(body)
            responses.append(
                Response(
                    str(status) if isinstance(status, int) else "default",
                    "",
                    schema,
                    "application/json" if schema is not None else None,
                )
            )
        stated = match.group(3) if match else None
        if match and stated == f"{match.group(1).lower()} {match.group(2)}":
            stated = None  # the scaffolder's placeholder for an operation the spec gave no id
        return stated, responses

    def _type_declaration(self, type_node: Node, name: str) -> Node | None:
        namespace = type_node.named_children[0] if type_node.type == "nested_type_identifier" else None
        module = self.project.module_of(type_node)
        binding = module.names.get(text(namespace)) if namespace is not None else None
        target = self.project.modules.get(binding.module) if binding and binding.module else module
        if target is None:
            return None
        for statement in target.source.root.named_children:
            declaration = statement.child_by_field_name("declaration") or statement
            if declaration.type in ("type_alias_declaration", "interface_declaration"):
                found = declaration.child_by_field_name("name")
                if found is not None and text(found) == name:
                    return declaration
        return None

    def _fastify_checks(self, calls: list[Node], params: dict[tuple[str, str], Parameter]) -> None:
        """Our generated Fastify `cookieCheck({...})`, `splitQuery({...})` and `deepQuery([...])`
        pre-validation hooks."""
        for call in calls:
            _, name, args = call_parts(call)
            value = literal(args[0]) if args and name in ("cookieCheck", "splitQuery", "deepQuery") else None
            if name == "cookieCheck" and isinstance(value, dict):
                self._json_params(value, "cookie", params)
            elif name == "deepQuery":
                _mark_deep_objects(value, params)
            elif name == "splitQuery" and isinstance(value, dict):
                for key, delimiter in value.items():
                    if ("query", key) in params:
                        params[("query", key)].delimiter = str(delimiter)

    def _json_params(self, schema: Any, location: str, params: dict[tuple[str, str], Parameter]) -> None:
        schema = self.json_schema(schema)
        required = set(schema.get("required") or [])
        for name, sub in (schema.get("properties") or {}).items():
            known = params.get((location, name))
            params[(location, name)] = Parameter(
                name,
                location,
                name in required or location == "path",
                sub,
                name,
                known.delimiter if known else None,
                known.deep_object if known else False,
            )

    def _fastify_schema(self, route: Route) -> dict[str, Any] | None:
        """The literal `schema` of a Fastify route's options, following constants."""
        options = object_pairs(route.options)
        if "schema" not in options:
            return None
        value = literal(options["schema"], self.project.definition)
        if value is UNRESOLVED or not isinstance(value, dict):
            self.warn("lost-schema", "the route schema is computed at run time; left out", options["schema"])
            return None
        for key in value:
            if key not in _LOCATIONS and key not in _FASTIFY_KEYS:
                self.warn("lost-schema", f"route schema key {key!r} is not carried over", options["schema"])
        return value

    def _fastify_parts(
        self, schema: dict[str, Any], params: dict[tuple[str, str], Parameter], renames: dict[str, str]
    ) -> Body | None:
        body = None
        for key, part in schema.items():
            if key in _LOCATIONS and isinstance(part, dict):
                if key == "params":
                    properties = part.get("properties") or {}
                    part = {
                        **part,
                        "properties": {renames.get(k, k): v for k, v in properties.items()},
                        "required": [renames.get(k, k) for k in part.get("required") or []],
                    }
                self._json_params(part, _LOCATIONS[key], params)
            elif key == "body" and isinstance(part, dict) and isinstance(part.get("content"), dict):
                body = self._fastify_content(part["content"])  # Fastify's schema per content type
            elif key == "body":
                comment = str(part.get("$comment", "")) if isinstance(part, dict) else ""
                schema = self.json_schema(part)
                files = has_files(schema) or any(
                    isinstance(sub, dict) and sub.get("isFile") is True
                    for sub in (schema.get("properties") or {}).values()
                )
                kind = "multipart" if files else "form" if "form-encoded" in comment else "json"
                body = self._body(file_parts(schema) if files else schema, "optional" not in comment, kind)
        return body

    def _fastify_content(self, content: dict[str, Any]) -> Body | None:
        """`body: {content: {"application/merge-patch+json": {schema}}}`: one schema per media type."""
        schemas = {
            str(media): self.json_schema(entry.get("schema", {}))
            for media, entry in content.items()
            if isinstance(entry, dict)
        }
        if not schemas:
            return None
        first = next(iter(schemas))
        return Body(required=True, content=schemas, kind=media_kind(first))

    def _fastify_responses(self, part: Any) -> list[Response]:
        """`response: {200: schema}` or `{200: {description, content: {"application/json": {schema}}}}`."""
        out = []
        for status, entry in (part or {}).items() if isinstance(part, dict) else []:
            description, schema = "", entry
            if isinstance(entry, dict) and isinstance(entry.get("content"), dict):
                description = str(entry.get("description", ""))
                media = next(iter(entry["content"].values()), {})
                schema = media.get("schema") if isinstance(media, dict) else None
            status = str(status).upper()
            out.append(Response(status, description, self.json_schema(schema), "application/json"))
        return out


def _form_kind(node: Node) -> str:
    """How our generated zod body reads: `multipart` with file parts (`filePart`) or JSON parts
    (`z.preprocess(asJson, ...)`), `form` with top-level fields parsed from text (`asNumber`,
    `asBoolean`, `asArray`), else `json`."""
    kind = "json"
    for value in object_pairs(object_shape(node)).values():
        field = unwrap(peel_optional(value)[1])
        if field is None:
            continue
        if "filePart" in _identifiers(field):
            return "multipart"
        if field.type == "call_expression":
            _, name, args = call_parts(field)
            parser = text(args[0]) if name == "preprocess" and args else ""
            if parser == "asJson":
                return "multipart"
            if parser in ("asNumber", "asBoolean", "asArray"):
                kind = "form"
    return kind


def _identifiers(node: Node) -> set[str]:
    """Every identifier under `node`."""
    found, stack = set(), [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            found.add(text(current))
        stack.extend(current.named_children)
    return found


def _multipart(body: Body) -> Body:
    return Body(body.required, {MULTIPART_MEDIA: file_parts(body.schema)}, "multipart")


def _name(call: Node) -> str | None:
    return call_parts(call)[1]


def _called_with(cast: Node) -> str | None:
    """`H.getPets(input as unknown as T.GetPetsRequest)`: `getPets`, the handler our generated route calls."""
    node = cast
    while node.parent is not None and node.parent.type in ("as_expression", "parenthesized_expression"):
        node = node.parent
    arguments = node.parent
    if arguments is None or arguments.type != "arguments" or arguments.parent is None:
        return None
    return call_parts(arguments.parent)[1]


def _route_group(root: Node) -> str | None:
    """The tag our generator wrote in a route module's header: `// Routes of <tag>: ...`."""
    for child in root.children[:4]:
        if child.type == "comment" and text(child).startswith("// Routes of "):
            label = text(child)[len("// Routes of ") :].rsplit(": ", 1)[0]
            return uncomment(label)
    return None


def _handler_name(route: Route) -> str | None:
    """`list` of `router.get("/", list)`, `show` of `controller.show`, `replaceItem` of
    `async function replaceItem() {}`: the handler's function name, unless it names no operation
    (`handler`, `fn`)."""
    last = unwrap(route.handlers[-1]) if route.handlers else None
    name = None
    if last is not None and last.type in ("identifier", "member_expression"):
        name = text(last).rsplit(".", 1)[-1]
    elif last is not None and last.type in FUNCTIONS and last.child_by_field_name("name") is not None:
        name = text(last.child_by_field_name("name"))
    return None if name is None or name.lower() in GENERIC_HANDLERS else name


def _mark_deep_objects(names: Any, params: dict[tuple[str, str], Parameter]) -> None:
    """The query parameters our generated code folds from `name[prop]` keys (`deepObjects: [...]` on
    Express and Koa, `deepQuery([...])` on Fastify) are `style: deepObject`."""
    for name in names if isinstance(names, list) else []:
        if ("query", name) in params:
            params[("query", name)].deep_object = True
