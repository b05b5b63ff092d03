"""One route -> one API model operation: parameters, body, responses from what the code states.

Readers, most specific first: our generated Express/Koa handlers (`validated(S.XSchemas, ...)`
with zod per request part, `as T.XRequest` pointing at types.ts for responses and the
operation id), hand-written zod validation middleware, our generated Fastify hooks
(`cookieCheck`, `splitQuery`), and Fastify route `schema` objects.
"""

from __future__ import annotations

import re
from typing import Any

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.scaffold.ir import Body, Operation, Parameter, Response
from senior_backend.scaffold.naming import NameTable, identifier
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
from senior_backend.scaffold.tospec.project import Project
from senior_backend.scaffold.tospec.routes import Route, openapi_path
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
    """Recovers operations of one project; ids are made unique across calls."""

    def __init__(self, project: Project, warnings: list[Diagnostic]) -> None:
        self.project = project
        self.warnings = warnings
        self.components = Components(project, self.warn)
        self.schemas = self.components.schemas
        self.json_schema = self.components.json_schema
        self.zod = self.components.zod
        self.types = self.components.types
        self.operation_ids: set[str] = set()
        self.security = SecurityReader(project)  # our generated auth.ts: `security` and its schemes

    def warn(self, code: str, message: str, node: Node) -> None:
        module = self.project.module_of(node)
        self.warnings.append(warning(code, message, where=f"{module.source.path}:{line(node)}"))

    # operations -----------------------------------------------------------------------------------
    def operation(self, route: Route, method: str, full_path: str, op_names: NameTable) -> Operation:
        path, names = openapi_path(full_path)
        module = self.project.module_of(route.node)
        where = f"{module.source.path}:{line(route.node)}"
        params: dict[tuple[str, str], Parameter] = {}
        body: Body | None = None
        responses: list[Response] = []
        operation_id: str | None = None
        inside = [module.source.find(handler) for handler in route.handlers]
        renames = self._path_names([pair for found in inside for pair in found.get("pair", [])])
        summary, tags = "", [_route_group(module.source.root) or module.source.path.stem]
        schema = self._fastify_schema(route)
        if schema is not None:  # first: the hooks below refine the parameters it declares
            body = self._fastify_parts(schema, params, renames)
            responses = self._fastify_responses(schema.get("response"))
            summary = str(schema.get("summary") or schema.get("description") or "")
            operation_id = str(schema["operationId"]) if schema.get("operationId") else None
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
                    operation_id = typed[0] or operation_id
                    responses = responses or typed[1]
            self._fastify_checks(calls, params)
        for name in names:
            renamed = renames.get(name, name)
            params.setdefault(("path", renamed), Parameter(renamed, "path", True, {"type": "string"}, name))
        path = re.sub(r"\{([^}]+)\}", lambda m: "{" + renames.get(m.group(1), m.group(1)) + "}", path)
        stated = operation_id is not None  # by our generated types.ts, kept as written
        if operation_id is None:
            operation_id = identifier(_handler_name(route) or f"{method} {path}", "operation")
        name = op_names.claim(identifier(operation_id, "operation"))
        if not stated and operation_id in self.operation_ids:
            operation_id = name  # a derived id is made unique
        self.operation_ids.add(operation_id)
        security = self.security.operation(route)  # None: the route checks nothing
        return Operation(
            operation_id=operation_id,
            name=name,
            type_name=name,
            method=method,
            path=path,
            group=tags[0],
            summary=summary,
            parameters=list(params.values()),
            body=body,
            responses=responses,
            security=[] if security is None else security,
            where=where,
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
                body = self._body(self.zod.schema(pairs["body"]), required is True, _is_form(pairs["body"]))
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
                return self._body(schema, True, False)
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

    def _body(self, schema: dict[str, Any], required: bool, form: bool) -> Body:
        media = "application/x-www-form-urlencoded" if form else "application/json"
        return Body(required=required, content={media: schema}, kind="form" if form else "json")

    def _typed(self, type_node: Node) -> tuple[str | None, list[Response]] | None:
        """`as T.XRequest`: the operation id in its doc comment and the `XResponse` union."""
        request_name = text(type_node).rsplit(".", 1)[-1]
        definition = self._type_declaration(type_node, request_name)
        if definition is None:
            return None
        comment = preceding_comment(definition) or ""
        match = re.search(r"\(([^()]*)\)$", comment)
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
        return (match.group(1) if match else None), responses

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
            elif key == "body":
                comment = str(part.get("$comment", "")) if isinstance(part, dict) else ""
                body = self._body(
                    self.json_schema(part), "optional" not in comment, "form-encoded" in comment
                )
        return body

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


def _is_form(node: Node) -> bool:
    """Our form bodies parse top-level fields from text: `z.object({"n": z.preprocess(asNumber, ...)})`."""
    for value in object_pairs(object_shape(node)).values():
        field = unwrap(peel_optional(value)[1])
        if field is not None and field.type == "call_expression":
            _, name, args = call_parts(field)
            if name == "preprocess" and args and text(args[0]) in ("asNumber", "asBoolean"):
                return True
    return False


def _route_group(root: Node) -> str | None:
    """The tag our generator wrote in a route module's header: `// Routes of <tag>: ...`."""
    for child in root.children[:4]:
        if child.type == "comment" and text(child).startswith("// Routes of "):
            label = text(child)[len("// Routes of ") :].rsplit(": ", 1)[0]
            return uncomment(label)
    return None


def _handler_name(route: Route) -> str | None:
    last = unwrap(route.handlers[-1]) if route.handlers else None
    if last is not None and last.type in ("identifier", "member_expression"):
        return text(last).rsplit(".", 1)[-1]
    return None


def _mark_deep_objects(names: Any, params: dict[tuple[str, str], Parameter]) -> None:
    """The query parameters our generated code folds from `name[prop]` keys (`deepObjects: [...]` on
    Express and Koa, `deepQuery([...])` on Fastify) are `style: deepObject`."""
    for name in names if isinstance(names, list) else []:
        if ("query", name) in params:
            params[("query", name)].deep_object = True
