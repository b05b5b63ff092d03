"""Model x framework -> generated files (path, text, kind); no I/O besides reading templates.

`derived` files are rebuilt from the spec on every run; `user` files (handler
bodies) are created once and then belong to the user (see writer.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import jinja2

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.common.errors import BadInput
from senior_backend.common.openapi import escape_segment, ref_name
from senior_backend.scaffold.examples import Examples
from senior_backend.scaffold.forms import files_as_parts, has_files, inlined, json_parts
from senior_backend.scaffold.ir import ApiModel, Operation, Parameter
from senior_backend.scaffold.naming import NameTable, identifier, ts_comment, ts_string, ts_template
from senior_backend.scaffold.resources import template_environment
from senior_backend.scaffold.routing import fastify_problem, fragment_routes, route_path, shadows, sort_key
from senior_backend.scaffold.security import security_view
from senior_backend.scaffold.tstypes import UNKNOWN, Node, TypeBuilder, union
from senior_backend.scaffold.zodgen import ZodBuilder

FRAMEWORKS = ("express", "fastify", "koa")
STUBS = ("example", "not-implemented")  # handlers answer the spec's example response, or 501
LOCATIONS = ("path", "query", "header", "cookie")
DEPENDENCIES = {
    "express": {"express": "5.3.0", "zod": "4.6.7"},
    "fastify": {"fastify": "5.12.8", "ajv": "8.20.0", "ajv-formats": "3.0.1"},
    "koa": {"koa": "3.3.0", "@koa/router": "15.7.0", "@koa/bodyparser": "6.1.0", "zod": "4.6.7"},
}
DEV_DEPENDENCIES = {
    "express": {"@types/express": "5.0.6"},
    "fastify": {},
    "koa": {"@types/koa": "3.0.3"},
}
_COMMON_DEV = {"typescript": "5.9.3", "tsx": "4.23.15", "@types/node": "^20.19.0"}


@dataclass(frozen=True)
class RenderedFile:
    """One file to write, relative to the output folder."""

    path: str
    content: str
    kind: str  # "derived" or "user"


def environment() -> jinja2.Environment:
    """The template environment with the escaping filters (one per context, see naming.py)."""
    env = template_environment()
    env.filters.update(
        {"ts_string": ts_string, "ts_comment": ts_comment, "ts_template": ts_template, "tojson": json.dumps}
    )
    return env


def typescript_macros() -> Any:
    """The `tstype`, `zod` and `literal` macros of templates/_macros/typescript.j2, callable from Python."""
    return environment().get_template("_macros/typescript.j2").module


class _Renderer:
    def __init__(self, model: ApiModel, framework: str, stubs: str) -> None:
        self.model = model
        self.framework = framework
        self.stubs = stubs
        self.types = TypeBuilder(model.type_names, schemas=model.schemas)
        self.handler_types = TypeBuilder(model.type_names, prefix="T.", schemas=model.schemas)
        self.zod = ZodBuilder(model.type_names, model.schemas)
        self.examples = Examples(model.schemas)
        self.env = environment()
        self.fragments = fragment_routes(model.operations)

    def files(self) -> list[RenderedFile]:
        served = {op.name: self.adapted(op) for op in self.model.operations}
        operations = [self.operation_view(op) for op in served.values() if op is not None]
        by_name = {view["name"]: view for view in operations}
        variables = NameTable()
        groups = [
            {
                "module": group.module,
                "var": variables.claim(identifier(group.module, "group") + "Routes"),
                "label": group.label,
                "operations": sorted(
                    (by_name[op.name] for op in group.operations if op.name in by_name),
                    key=lambda view: view["sort_key"],
                ),
            }
            for group in self.model.groups
        ]
        ordered = [served[view["name"]] for group in groups for view in group["operations"]]
        yields = shadows([op for op in ordered if op is not None]) if self.framework != "fastify" else {}
        for view in operations:
            view["shadowed"] = yields.get(view["name"])
        kinds = {view["body_kind"] for view in operations}
        security = security_view(self.model.security.schemes, self.model.operations, self.model.title)
        self.model.warnings.extend(security.warnings)
        for view in operations:
            view["secured"] = view["name"] in security.requirements
        context = {
            "title": self.model.title,
            "version": self.model.version,
            "framework": self.framework,
            "schemas": self.schema_views(),
            "operations": operations,
            "groups": groups,
            "base_path": self.model.base_path,
            "has_form": "form" in kinds,
            "has_multipart": "multipart" in kinds,
            "has_text": "text" in kinds,
            "dependencies": self.dependencies("multipart" in kinds),
            "security": security,
            # methods Fastify must be told carry a body (a spec's GET with a requestBody)
            "bodied_methods": sorted({v["method"] for v in operations if v["body_kind"]} & {"get", "trace"}),
        }
        out: list[RenderedFile] = []
        shared = {
            "types.ts": "_macros/types.ts.j2",
            "package.json": "_macros/package.json.j2",
            "tsconfig.json": "_macros/tsconfig.json.j2",
        }
        for path, template in shared.items():
            out.append(RenderedFile(path, self.render(template, context), "derived"))
        for name in ("app.ts", "server.ts", "http.ts", "schemas.ts"):
            out.append(RenderedFile(name, self.render(f"{self.framework}/{name}.j2", context), "derived"))
        if security.used:  # auth.ts enforces the requirements; security.ts (the user's) checks credentials
            auth = self.render(f"{self.framework}/auth.ts.j2", context)
            out.append(RenderedFile("auth.ts", auth, "derived"))
            out.append(RenderedFile("security.ts", self.render("_macros/security.ts.j2", context), "user"))
        for group in groups:
            local = {**context, "group": group}
            out.append(
                RenderedFile(
                    f"routes/{group['module']}.ts",
                    self.render(f"{self.framework}/route.ts.j2", local),
                    "derived",
                )
            )
            out.append(
                RenderedFile(
                    f"handlers/{group['module']}.ts", self.render("_macros/handlers.ts.j2", local), "user"
                )
            )
        return out

    def render(self, template: str, context: dict[str, Any]) -> str:
        return self.env.get_template(template).render(context)

    def dependencies(self, multipart: bool) -> dict[str, Any]:
        runtime = dict(DEPENDENCIES[self.framework])
        dev = {**DEV_DEPENDENCIES[self.framework], **_COMMON_DEV}
        if multipart and self.framework == "express":
            runtime["multer"] = "2.5.0"
            dev["@types/multer"] = "2.3.0"
        if multipart and self.framework == "fastify":
            runtime["@fastify/multipart"] = "10.1.9"
        if self.framework == "fastify":
            runtime["@fastify/formbody"] = "9.0.1"
        return {"dependencies": dict(sorted(runtime.items())), "devDependencies": dict(sorted(dev.items()))}

    def schema_views(self) -> list[dict[str, Any]]:
        views = []
        for raw, schema in self.model.schemas.items():
            name = self.model.type_names[raw]
            views.append(
                {
                    "raw": raw,
                    "name": name,
                    "ts": self.types.node(schema),
                    "zod": self.zod.node(schema) if self.framework != "fastify" else None,
                    "json": ajv_schema(schema) if self.framework == "fastify" else None,
                    "description": str(schema.get("description", "")),
                }
            )
        return views

    def adapted(self, op: Operation) -> Operation | None:
        """`op` as this framework can serve it (None: skipped), each change a warning naming it."""
        if op.name in self.fragments:
            path, holder = self.fragments[op.name]
            fragment = op.path[len(path) :]
            if holder is not None:
                message = (
                    f"{fragment!r} is a URL fragment, which clients never send: {op.method.upper()} {path} "
                    f"is operation {holder!r}, so operation {op.operation_id!r} is skipped"
                )
                self.model.warnings.append(_route_warning(op, message))
                self.model.skipped.append(op.name)
                return None
            message = f"{fragment!r} is a URL fragment, which clients never send: operation {op.operation_id!r} is served at {path}"
            self.model.warnings.append(_route_warning(op, message))
            op = replace(op, path=path)
        if self.framework != "fastify":
            return op
        problem = fastify_problem(op.path)
        if problem is not None:
            self.model.warnings.append(
                _route_warning(op, f"{problem}; operation {op.operation_id!r} is skipped")
            )
            self.model.skipped.append(op.name)
            return None
        if op.body is not None and op.method == "head":  # GET and TRACE are declared with bodies (app.ts)
            message = (
                f"Fastify does not read request bodies of HEAD; the body of {op.operation_id!r} is ignored"
            )
            self.model.warnings.append(_route_warning(op, message))
            return replace(op, body=None)
        return op

    def operation_view(self, op: Operation) -> dict[str, Any]:
        params = {loc: op.params_in(loc) for loc in LOCATIONS}
        body = op.body
        view: dict[str, Any] = {
            "name": op.name,
            "operation_id": op.operation_id,
            "type_name": op.type_name,
            "method": op.method,
            "path": op.path,
            "route": route_path(op, self.framework),
            # concrete segments first; an explicit HEAD before the GET that would answer it
            "sort_key": (sort_key(op.path), op.method != "head"),
            "summary": op.summary,
            "path_params": [{"name": p.name, "key": p.key} for p in params["path"]],
            "request": self.request_type(op),
            "responses": self.response_variants(op),
            "body_kind": body.kind if body else "",
            "body_required": bool(body and body.required),
            "media": list(body.media) if body else None,  # what a sent body may come in (else 415)
            "stub": self.stub(op),
            # `style: deepObject` query parameters, folded from `name[prop]` keys before validation
            "deep_objects": [p.name for p in params["query"] if p.deep_object] or None,
        }
        if self.framework == "fastify":
            # Fastify answers HEAD for every GET route unless told not to; the spec's own HEAD wins.
            # (nor for a GET with a body: its HEAD twin would carry the body schema, which Fastify refuses)
            view["no_head"] = op.method == "get" and (
                body is not None
                or any(
                    other.method == "head" and sort_key(other.path) == sort_key(op.path)
                    for other in self.model.operations
                )
            )
            keyed = [replace(p, name=p.key) for p in params["path"]]
            view["schema"] = {
                loc: ajv_schema(self.params_object(keyed if loc == "path" else params[loc]))
                for loc in LOCATIONS
                if params[loc]
            }
            view["splits"] = {
                p.name: p.delimiter
                for p in params["query"]
                if p.delimiter and p.schema.get("type") == "array"
            } or None
            view["json_parts"] = None
            if body is not None:
                schema = body.schema
                if body.kind == "multipart":
                    view["json_parts"] = (
                        json_parts(inlined(schema, self.model.schemas), self.model.schemas) or None
                    )
                if body.kind == "multipart" and has_files(inlined(schema, self.model.schemas)):
                    schema = inlined(schema, self.model.schemas)  # its file fields are checked one by one
                form = body.kind in ("form", "multipart")
                cleaned = ajv_schema(schema, form=form, optional=not body.required)
                view["schema"]["body"] = (
                    files_as_parts(schema, cleaned) if body.kind == "multipart" else cleaned
                )
        else:
            view["zod"] = {
                loc: self.zod.params(
                    [
                        (
                            p.name,
                            self.zod.param(p.schema, p.delimiter, p.deep_object),
                            p.required,
                            self.default(p),
                        )
                        for p in params[loc]
                    ]
                )
                for loc in LOCATIONS
            }
            if body is not None:
                whole = body.kind in ("json", "text")  # a parsed value, not fields arriving as text
                view["zod"]["body"] = (
                    self.zod.node(body.schema, request=True)
                    if whole
                    else self.zod.form(body.schema, files=body.kind == "multipart")
                )
        return view

    @staticmethod
    def params_object(params: list[Parameter], defaulted: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The object of one parameter location; `defaulted` names are required too (the handler always
        gets them)."""
        return {
            "type": "object",
            "properties": {param.name: param.schema for param in params},
            "required": [param.name for param in params if param.required or param.name in defaulted],
        }

    def default(self, param: Parameter) -> tuple[bool, Any]:
        """(True, value) when an absent `param` takes its schema's `default` (one valid against the schema:
        every framework then hands the handler the same value)."""
        schema = param.schema
        if param.required or "default" not in schema or not self.examples.is_valid(schema, schema["default"]):
            return False, None
        return True, schema["default"]

    def request_type(self, op: Operation) -> dict[str, Node]:
        parts = {
            key: self.types.object(
                self.params_object(
                    op.params_in(location),
                    frozenset(p.name for p in op.params_in(location) if self.default(p)[0]),
                )
            )
            for location, key in (
                ("path", "path"),
                ("query", "query"),
                ("header", "headers"),
                ("cookie", "cookies"),
            )
        }
        if op.body is None:
            parts["body"] = {"kind": "undefined"}
        else:
            body = self.types.node(op.body.schema)
            parts["body"] = body if op.body.required else union([body, {"kind": "undefined"}])
        return parts

    def response_variants(self, op: Operation) -> list[dict[str, Any]]:
        variants = [
            {
                "status": int(response.status) if response.status.isdigit() else None,
                "body": None if response.schema is None else self.types.node(response.schema),
            }
            for response in op.responses
        ]
        return variants or [{"status": None, "body": UNKNOWN}]

    def stub(self, op: Operation) -> dict[str, Any]:
        if self.stubs == "not-implemented":
            return {"status": 501, "has_body": False, "not_implemented": True}
        response = op.success
        if response is None:
            return {"status": 200, "has_body": False, "not_implemented": False}
        status = int(response.status) if response.status.isdigit() else 200
        if response.schema is None:
            return {"status": status, "has_body": False, "not_implemented": False}
        value, valid = self.examples.pick(response.schema, (response.has_example, response.example))
        if not valid:
            message = (
                f"no value valid against the {response.status} response could be made; the stub answers 501"
            )
            self.model.warnings.append(_warning(op, message))
            return {"status": 501, "has_body": False, "not_implemented": True}
        return {
            "status": status,
            "has_body": True,
            "body": value,
            "body_type": self.handler_types.node(response.schema),
            "not_implemented": False,
        }


def _warning(op: Operation, message: str) -> Diagnostic:
    return warning("stub-example", message, where=op.where)


def _route_warning(op: Operation, message: str) -> Diagnostic:
    return warning("framework-route", message, where=op.where)


def ajv_schema(schema: Any, form: bool = False, optional: bool = False) -> Any:
    """A JSON Schema for Ajv: refs point at the shared `components` schema.

    Body schemas carry their handling in `$comment` for the validator compiler of http.ts:
    `form-encoded` (fields arrive as text and are coerced) and `optional` (an absent body is valid)."""
    cleaned = _for_ajv(schema)
    tags = [tag for tag, wanted in (("form-encoded", form), ("optional", optional)) if wanted]
    if tags and isinstance(cleaned, dict):
        cleaned = {**cleaned, "$comment": " ".join(tags)}
    return cleaned


def _for_ajv(node: Any) -> Any:
    if isinstance(node, dict) and node.get("format") == "binary":
        return {}  # file parts arrive as buffers, not strings
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key.startswith("x-"):
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                # percent-encoded: Ajv reads the fragment as a URI (a raw `%` or space would not parse)
                out[key] = "components#/$defs/" + quote(escape_segment(ref_name(value)), safe="")
            elif key in ("properties", "patternProperties", "$defs", "definitions") and isinstance(
                value, dict
            ):
                out[key] = {name: _for_ajv(sub) for name, sub in value.items()}
            else:
                out[key] = _for_ajv(value)
        return out
    if isinstance(node, list):
        return [_for_ajv(item) for item in node]
    return node


def render(model: ApiModel, framework: str, stubs: str = "example") -> list[RenderedFile]:
    """Every file of the generated project for one framework, its routes mounted under `model.base_path`."""
    if framework not in FRAMEWORKS:
        raise BadInput(
            "unknown-framework", f"unknown framework {framework!r}", hint="one of " + ", ".join(FRAMEWORKS)
        )
    if stubs not in STUBS:
        raise BadInput("unknown-stubs", f"unknown stubs {stubs!r}", hint="one of " + ", ".join(STUBS))
    return _Renderer(model, framework, stubs).files()
