"""Named schemas (components) recovered from code, and `$ref`s to them.

Three sources: objects shaped `{ $id, $defs }` (Fastify shared schemas, as our
schemas.ts writes them), top-level zod constants (`export const UserSchema =
...`; our generator names them after the spec in a doc comment), and the doc
comments of types.ts, which map TypeScript type names back to schema names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from senior_backend.scaffold.ir import Operation
from senior_backend.scaffold.readonly import READ_SUFFIX, SUFFIX
from senior_backend.scaffold.tospec.jsast import (
    Node,
    call_parts,
    literal,
    object_pairs,
    preceding_comment,
    property_key,
    text,
)
from senior_backend.scaffold.tospec.project import Project
from senior_backend.scaffold.tospec.tsback import TypeReader
from senior_backend.scaffold.tospec.zodback import ZodReader

Warn = Callable[[str, str, Node], None]


class Components:
    """The schemas registry of one project, with the zod and type readers that refer into it."""

    def __init__(self, project: Project, warn: Warn) -> None:
        self.project = project
        self.warn = warn
        self.schemas: dict[str, dict[str, Any]] = {}
        self.const_names: dict[Node, str] = {}
        self.fastify_ids: dict[str, str] = {}
        self.type_refs: dict[str, str] = {}
        self._shared_json_schemas()
        self.zod = ZodReader(self._refer_zod)
        self.types = TypeReader(self._refer_type)

    def flush(self) -> None:
        """Warn about what the zod reader could not map."""
        for node, message in self.zod.notes:
            self.warn("lost-schema", message, node)
        self.zod.notes.clear()

    def _shared_json_schemas(self) -> None:
        """`{ $id, $defs }` objects (our schemas.ts) and `app.addSchema({ $id, ... })` (hand-written Fastify)."""
        shared: list[tuple[str, Any]] = []
        for module in self.project.modules.values():
            found = module.source.find()
            for pair in found.get("pair", []):
                key, node = pair.child_by_field_name("key"), pair.parent
                if key is None or node is None or property_key(key) != "$id":
                    continue
                added, bundle = _added_schema(node), "$defs" in object_pairs(node)
                if not (added or bundle):
                    continue
                value = literal(node, self.project.definition)
                if not isinstance(value, dict) or not isinstance(value.get("$id"), str):
                    self.warn("lost-schema", "shared JSON Schema is not a literal; left out", node)
                    continue
                if bundle and isinstance(value.get("$defs"), dict):
                    for name, schema in value["$defs"].items():
                        self.fastify_ids[f"{value['$id']}#/$defs/{name}"] = name
                        shared.append((name, schema))
                else:
                    name = value["$id"].rstrip("#")
                    self.fastify_ids.update({name: name, name + "#": name})
                    shared.append((name, {k: v for k, v in value.items() if k != "$id"}))
            for node in found.get("alias", []):
                comment = preceding_comment(node)
                name = node.child_by_field_name("name")
                if comment and name is not None:
                    self.type_refs[text(name)] = comment.split(":", 1)[0].strip()
        for name, schema in shared:
            self.schemas[name] = self.json_schema(schema)

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
            self.flush()
        return {"$ref": "#/components/schemas/" + self.const_names[definition]}

    def named_zod(self) -> None:
        """Every top-level `XSchema` zod constant, in source order (our schemas.ts, or hand-written)."""
        for module in self.project.modules.values():
            for name, binding in module.names.items():
                if binding.node is not None and name.endswith("Schema") and self.zod.is_zod(binding.node):
                    self._component(binding.node, name)

    def _refer_type(self, name: str) -> dict[str, Any] | None:
        raw = self.type_refs.get(name)
        return {"$ref": "#/components/schemas/" + raw} if raw in self.schemas else None


def _added_schema(node: Node) -> bool:
    """Whether an object literal is the argument of `x.addSchema(...)`."""
    arguments = node.parent
    call = arguments.parent if arguments is not None else None
    return call is not None and call.type == "call_expression" and call_parts(call)[1] == "addSchema"


def drop_derived_views(schemas: dict[str, Any], operations: list[Operation]) -> dict[str, Any]:
    """`X.write` (request) and `X.read` (response) views are derived by the generator from `X`; refer to `X`
    again so it derives them anew."""
    views = {
        name: name[: -len(suffix)]
        for name in schemas
        for suffix in (SUFFIX, READ_SUFFIX)
        if name.endswith(suffix) and name[: -len(suffix)] in schemas
    }
    if not views:
        return schemas

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.rsplit("/", 1)[-1] in views:
                return {**node, "$ref": ref.rsplit("/", 1)[0] + "/" + views[ref.rsplit("/", 1)[-1]]}
            return {key: fix(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fix(item) for item in node]
        return node

    for operation in operations:
        if operation.body is not None:
            operation.body.content = fix(operation.body.content)
        for response in operation.responses:
            response.schema = fix(response.schema)
    return {name: fix(schema) for name, schema in schemas.items() if name not in views}
