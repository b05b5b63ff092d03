"""The structural view of an API model that a round trip must preserve, per framework.

Each schema is compared as what the generated code states about it, i.e. the
generator's own intermediate form: zod nodes (Express, Koa), Ajv JSON Schema
(Fastify) and TypeScript type nodes (responses, which only types.ts states).
`$ref` normalisation: refs are compared by component name, and a request view
`X.write` is compared as `X` (the generator derives views from `readOnly`, which
zod does not carry). Paths are compared as the spec writes them (the base path
the generated app mounts them under is the recovered spec's server URL). A parameter's delimiter is compared
for query arrays, the only ones whose splitting the generated code states.
"""

from __future__ import annotations

from typing import Any

from senior_backend.scaffold.ir import ApiModel, Operation
from senior_backend.scaffold.readonly import READ_SUFFIX, SUFFIX
from senior_backend.scaffold.render import ajv_schema
from senior_backend.scaffold.tstypes import TypeBuilder
from senior_backend.scaffold.zodgen import ZodBuilder


def _refs(node: Any, names: dict[str, str]) -> Any:
    """Type names back to component names, `X.write` and `X.read` to `X`; Ajv refs likewise."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if node.get("kind") == "ref" and key == "name":
                value = names.get(value, value)
            elif key == "$ref" and isinstance(value, str):
                value = value.rsplit("/", 1)[-1]
            else:
                value = _refs(value, names)
            out[key] = (
                value.removesuffix(SUFFIX).removesuffix(READ_SUFFIX)
                if key in ("$ref", "name") and isinstance(value, str)
                else value
            )
        return out
    if isinstance(node, list):
        return [_refs(item, names) for item in node]
    return node


def _ts(node: Any) -> Any:
    """TypeScript spells `integer` and `number` alike."""
    if isinstance(node, dict):
        if node.get("kind") == "primitive" and node.get("type") == "integer":
            return {**node, "type": "number"}
        return {key: _ts(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_ts(item) for item in node]
    return node


class View:
    """Operations, parameters, bodies, responses and components of a model, as the code states them."""

    def __init__(self, model: ApiModel, framework: str, base: str = "") -> None:
        self.model = model
        self.framework = framework
        self.base = base
        self.names = {type_name: raw for raw, type_name in model.type_names.items()}
        self.zod = ZodBuilder(model.type_names)
        self.types = TypeBuilder(model.type_names, schemas=model.schemas)

    def schema(
        self,
        schema: Any,
        kind: str = "json",
        param: str | None = None,
        is_param: bool = False,
        request: bool = True,
    ) -> Any:
        if self.framework == "fastify":
            return _refs(ajv_schema(schema), self.names)
        if is_param:
            return _refs(self.zod.param(schema, param), self.names)
        node = self.zod.node(schema, request=request) if kind == "json" else self.zod.form(schema)
        return _refs(node, self.names)

    def operations(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {
            (op.method, self.base + op.path if op.path != "/" else self.base or "/"): self.operation(op)
            for op in self.model.operations
        }

    def operation(self, op: Operation) -> dict[str, Any]:
        return {
            "group": op.group,
            "parameters": {
                (p.location, p.name): (
                    p.required,
                    p.delimiter if p.location == "query" and p.schema.get("type") == "array" else None,
                    self.schema(p.schema, param=p.delimiter, is_param=True),
                )
                for p in op.parameters
            },
            "body": None
            if op.body is None
            else (op.body.required, self.body_kind(op), self.schema(op.body.schema, op.body.kind)),
            "responses": {
                r.status: None if r.schema is None else _ts(_refs(self.types.node(r.schema), self.names))
                for r in op.responses
            },
        }

    def body_kind(self, op: Operation) -> bool | None:
        """JSON or form: Fastify states a form body (`$comment`, the same for urlencoded and
        multipart); Express/Koa validate a form whose fields are all text exactly like JSON."""
        return None if self.framework != "fastify" or op.body is None else op.body.kind == "json"

    def components(self) -> dict[str, Any]:
        return {
            name: self.schema(schema, request=False)
            for name, schema in self.model.schemas.items()
            if not name.endswith((SUFFIX, READ_SUFFIX))
        }
