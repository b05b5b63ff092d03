"""Route files -> API model (`--generate-spec`): what Express, Fastify and Koa code states about its API.

Files are parsed with tree-sitter (tospec/jsast.py), routes and mounts found
(tospec/routes.py), and each route's schemas recovered from what the code
says: Fastify `schema` objects as JSON Schema, zod schemas (as our generator
writes them, or by hand) through tospec/zodback.py, response types of our
generated `types.ts` through tospec/tsback.py. Whatever cannot be recovered is
a warning with file and line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.scaffold.ir import ApiModel, Body, Group, Operation, Parameter, Response
from senior_backend.scaffold.naming import NameTable, identifier
from senior_backend.scaffold.readonly import SUFFIX
from senior_backend.scaffold.tospec.jsast import (
    EXTENSIONS,
    UNRESOLVED,
    Node,
    Source,
    call_parts,
    first_error,
    line,
    literal,
    object_pairs,
    parse_file,
    preceding_comment,
    property_key,
    text,
    unwrap,
    walk,
)
from senior_backend.scaffold.tospec.project import Project
from senior_backend.scaffold.tospec.routes import Route, compose, find_routes, openapi_path
from senior_backend.scaffold.tospec.tsback import TypeReader
from senior_backend.scaffold.tospec.zodback import ZodReader, object_shape, peel_optional

SKIP_DIRS = {"node_modules", ".git", "dist", "build"}
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
_REQUEST_KEYS = {"path", "query", "headers", "cookies", "body", "bodyRequired"}


def route_files(source: Path) -> list[Path]:
    """The JavaScript/TypeScript files of a file or folder (no declarations, no node_modules)."""
    if source.is_file():
        return [source.resolve()]
    found = []
    for path in sorted(source.rglob("*")):
        if any(part in SKIP_DIRS for part in path.relative_to(source).parts):
            continue
        if path.is_file() and path.suffix.lower() in EXTENSIONS and not path.name.endswith(".d.ts"):
            found.append(path.resolve())
    return found


class _Recovery:
    def __init__(self, project: Project, warnings: list[Diagnostic]) -> None:
        self.project = project
        self.warnings = warnings
        self.schemas: dict[str, dict[str, Any]] = {}
        self.const_names: dict[Node, str] = {}
        self.fastify_ids: dict[str, str] = {}
        self.type_refs: dict[str, str] = {}
        self.operation_ids: set[str] = set()
        self._fastify_components()
        self.zod = ZodReader(self._refer_zod)
        self.types = TypeReader(self._refer_type)

    def warn(self, code: str, message: str, node: Node) -> None:
        module = self.project.module_of(node)
        self.warnings.append(warning(code, message, where=f"{module.source.path}:{line(node)}"))

    def flush(self, reader: ZodReader) -> None:
        for node, message in reader.notes:
            self.warn("lost-schema", message, node)
        reader.notes.clear()

    # components -----------------------------------------------------------------------------------
    def _fastify_components(self) -> None:
        """Objects shaped `{ $id, $defs }` (our schemas.ts, or hand-written shared schemas)."""
        for module in self.project.modules.values():
            found = module.source.find()
            for pair in found.get("pair", []):
                key = pair.child_by_field_name("key")
                node = pair.parent
                if (
                    key is None
                    or node is None
                    or property_key(key) != "$id"
                    or "$defs" not in object_pairs(node)
                ):
                    continue
                value = literal(node)
                if not isinstance(value, dict) or not isinstance(value.get("$defs"), dict):
                    self.warn("lost-schema", "shared JSON Schemas are not a literal", node)
                    continue
                for name in value["$defs"]:
                    self.fastify_ids[f"{value['$id']}#/$defs/{name}"] = name
                for name, schema in value["$defs"].items():
                    self.schemas[name] = self.json_schema(schema)
            for node in found.get("alias", []):
                comment = preceding_comment(node)
                name = node.child_by_field_name("name")
                if comment and name is not None:
                    self.type_refs[text(name)] = comment.split(":", 1)[0].strip()

    def json_schema(self, value: Any) -> Any:
        """A JSON Schema literal with refs to shared schemas pointed at components."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key == "$ref" and isinstance(item, str):
                    name = self.fastify_ids.get(item) or self.fastify_ids.get(item.rstrip("#"))
                    out[key] = "#/components/schemas/" + name if name else item
                elif key == "$comment":
                    continue
                else:
                    out[key] = self.json_schema(item)
            return out
        if isinstance(value, list):
            return [self.json_schema(item) for item in value]
        return value

    def _refer_zod(self, node: Node) -> dict[str, Any] | None:
        definition = self.project.definition(node)
        if definition is None or not self.zod.is_zod(definition):
            return None
        return self._component(definition, text(node).rsplit(".", 1)[-1])

    def _component(self, definition: Node, const: str) -> dict[str, Any]:
        """A named zod constant as a component (named by its doc comment, as our generator writes it)."""
        if definition not in self.const_names:
            declarator = definition.parent
            statement = declarator.parent if declarator is not None else None
            comment = preceding_comment(statement) if statement is not None else None
            raw = comment or re.sub(r"Schema$", "", const) or "Schema"
            self.const_names[definition] = raw
            self.schemas[raw] = {}
            self.schemas[raw] = self.zod.schema(definition)
            self.flush(self.zod)
        return {"$ref": "#/components/schemas/" + self.const_names[definition]}

    def zod_components(self) -> None:
        """Every top-level `XSchema` zod constant, in source order (our schemas.ts, or hand-written)."""
        for module in self.project.modules.values():
            for name, binding in module.names.items():
                if binding.node is not None and name.endswith("Schema") and self.zod.is_zod(binding.node):
                    self._component(binding.node, name)

    def _refer_type(self, name: str) -> dict[str, Any] | None:
        raw = self.type_refs.get(name)
        return {"$ref": "#/components/schemas/" + raw} if raw in self.schemas else None

    # operations -----------------------------------------------------------------------------------
    def operation(self, route: Route, method: str, full_path: str, op_names: NameTable) -> Operation:
        path, names = openapi_path(full_path)
        module = self.project.module_of(route.node)
        where = f"{module.source.path}:{line(route.node)}"
        params: dict[tuple[str, str], Parameter] = {}
        body: Body | None = None
        responses: list[Response] = []
        operation_id = None
        inside = [module.source.find(handler) for handler in route.handlers]
        renames = self._path_names([pair for found in inside for pair in found.get("pair", [])])
        for handler, found in zip(route.handlers, inside, strict=True):
            calls = found.get("call", [])
            body = self._middleware_zod(handler, params) or body
            body = self._generated_zod(calls, params) or body
            for cast in found.get("as", []):
                kind = text(cast.named_children[-1])
                if kind.endswith("Request") and "." in kind:
                    operation_id, responses = self._typed(cast.named_children[-1]) or (
                        operation_id,
                        responses,
                    )
            self._fastify_checks(calls, params)
        summary, tags = "", [module.source.path.stem]
        schema = self._fastify_schema(route)
        if schema is not None:
            body = self._fastify_parts(schema, params, renames) or body
            responses = responses or self._fastify_responses(schema.get("response"))
            summary = str(schema.get("summary") or schema.get("description") or "")
            operation_id = str(schema["operationId"]) if schema.get("operationId") else operation_id
            tags = [str(tag) for tag in schema.get("tags") or []] or tags
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
            security=[],
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
            if "body" in pairs:
                required = literal(pairs["bodyRequired"]) if "bodyRequired" in pairs else True
                body = self._body(self.zod.schema(pairs["body"]), required is True, _is_form(pairs["body"]))
            self.flush(self.zod)
        return body

    def _middleware_zod(self, handler: Node, params: dict[tuple[str, str], Parameter]) -> Body | None:
        """Hand-written validation middleware: `validate(Schema)`, `validateQuery(Q)`, `v("params", P)`."""
        handler = unwrap(handler)
        if handler is None or handler.type != "call_expression":
            return None
        _, name, args = call_parts(handler)
        words = " ".join([(name or "").lower(), *(str(literal(arg)).lower() for arg in args)])
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
            self.flush(self.zod)
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
        variants = (
            [value]
            if value is not None and value.type == "object_type"
            else (
                [c for c in walk(value) if c.type == "object_type" and c.parent.type == "union_type"]
                if value
                else []
            )
        )
        for variant in variants:
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
        """Our generated Fastify `cookieCheck({...})` and `splitQuery({...})` pre-validation hooks."""
        for call in calls:
            _, name, args = call_parts(call)
            value = literal(args[0]) if args and name in ("cookieCheck", "splitQuery") else None
            if name == "cookieCheck" and isinstance(value, dict):
                self._json_params(value, "cookie", params)
            elif name == "splitQuery" and isinstance(value, dict):
                for key, delimiter in value.items():
                    if ("query", key) in params:
                        params[("query", key)].delimiter = str(delimiter)

    def _json_params(self, schema: Any, location: str, params: dict[tuple[str, str], Parameter]) -> None:
        schema = self.json_schema(schema)
        required = set(schema.get("required") or [])
        for name, sub in (schema.get("properties") or {}).items():
            delimiter = params[(location, name)].delimiter if (location, name) in params else None
            params[(location, name)] = Parameter(
                name, location, name in required or location == "path", sub, name, delimiter
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


def _handler_name(route: Route) -> str | None:
    last = unwrap(route.handlers[-1]) if route.handlers else None
    if last is not None and last.type in ("identifier", "member_expression"):
        return text(last).rsplit(".", 1)[-1]
    return None


def build_from_routes(source: Path, title: str = "API", version: str = "0.0.0") -> ApiModel:
    """The API model of the route files under `source`."""
    warnings: list[Diagnostic] = []
    sources: list[Source] = []
    for path in route_files(source):
        try:
            parsed = parse_file(path, path.read_bytes())
        except OSError as error:
            warnings.append(warning("unreadable", f"cannot read: {error.strerror}", where=str(path)))
            continue
        error = first_error(parsed.root)
        if error is not None:
            column = error.start_point[1] + 1
            warnings.append(
                warning(
                    "syntax-error",
                    f"syntax error at column {column}; routes after it may be missed",
                    where=f"{path}:{line(error)}",
                )
            )
        sources.append(parsed)
    project = Project(sources)
    found = find_routes(project)
    warnings.extend(found.warnings)
    recovery = _Recovery(project, warnings)
    recovery.zod_components()
    op_names = NameTable()
    operations: list[Operation] = []
    seen: dict[tuple[str, str], str] = {}
    for route, full_path in compose(found):
        for method in route.methods:
            operation = recovery.operation(route, method, full_path, op_names)
            key = (operation.method, operation.path)
            if key in seen:
                warnings.append(
                    warning(
                        "duplicate-route",
                        f"{method.upper()} {operation.path} is also "
                        f"registered at {seen[key]}; the first one is kept",
                        where=operation.where,
                    )
                )
                continue
            seen[key] = operation.where
            operations.append(operation)
    schemas = _drop_request_views(recovery.schemas, operations)
    groups: dict[str, Group] = {}
    for operation in operations:
        groups.setdefault(operation.group, Group(operation.group, operation.group)).operations.append(
            operation
        )
    return ApiModel(
        title, version, schemas, {name: name for name in schemas}, operations, list(groups.values()), warnings
    )


def _drop_request_views(schemas: dict[str, Any], operations: list[Operation]) -> dict[str, Any]:
    """`X.write` views are derived by the generator from `X`; refer to `X` again so it derives them anew."""
    views = {name for name in schemas if name.endswith(SUFFIX) and name[: -len(SUFFIX)] in schemas}
    if not views:
        return schemas

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.rsplit("/", 1)[-1] in views:
                return {**node, "$ref": ref[: -len(SUFFIX)]}
            return {key: fix(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fix(item) for item in node]
        return node

    for operation in operations:
        if operation.body is not None:
            operation.body.content = fix(operation.body.content)
    return {name: fix(schema) for name, schema in schemas.items() if name not in views}
