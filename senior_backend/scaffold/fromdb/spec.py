"""Resources -> an OpenAPI 3.1 document of their CRUD API, plus the SQL plan of every operation.

The document is what `--spec-out` writes and what the API model is built from (ir.build_model),
so the generated validators, types and the spec cannot disagree. The plans carry only quoted
identifiers and SQL fragments decided here; values always travel as `$n` parameters.

Per table: list (limit/offset, `sort` on a whitelist, `=` filters on indexed columns), get by
primary key (one path parameter per key column), create, create many (`POST .../batch`, one
transaction: all rows or none), PATCH, PUT (when there are columns to
replace) and delete. Views get list only. Request bodies leave out server-set columns.
Collections live at `/<table>` (`/<schema>/<table>` outside `public`); a name that is not URL-safe
becomes a kebab-case slug (`odd "table"` -> `/odd-table`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.scaffold.fromdb.catalog import Column, Resource
from senior_backend.scaffold.fromdb.pgtypes import nullable
from senior_backend.scaffold.ir import TS_GLOBAL_TYPES
from senior_backend.scaffold.naming import NameTable, file_stem, identifier

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_BATCH = 100
RESERVED_QUERY = {"limit", "offset", "sort"}
ERROR = "ErrorResponse"
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
        },
        "meta": {"type": "object", "properties": {"requestId": {"type": "string"}}},
    },
}
ERROR_TEXT = {
    "400": "Invalid request",
    "404": "No row with this key",
    "409": "Conflicts with an existing row (unique key), or the row is still referenced (delete)",
    "422": "Violates a foreign key or check constraint",
}


WRITE_ERRORS = ["400", "404", "409", "422"]
KINDS = {  # kind -> (method, success status, documented error statuses)
    "list": ("get", "200", ["400"]),
    "create": ("post", "201", ["400", "409", "422"]),
    "createMany": ("post", "201", ["400", "409", "422"]),
    "get": ("get", "200", ["400", "404"]),
    "update": ("patch", "200", WRITE_ERRORS),
    "replace": ("put", "200", WRITE_ERRORS),
    "delete": ("delete", "204", WRITE_ERRORS),
}


def url_segment(name: str) -> str:
    """A table or schema name as a path segment: as is when URL-safe, else a kebab-case slug."""
    return name if re.fullmatch(r"[A-Za-z0-9_.~-]+", name) else file_stem(name, "table")


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _schema(schema: str | dict[str, Any]) -> dict[str, Any]:
    """A named schema as a `$ref`, an inline one as is."""
    return ref(schema) if isinstance(schema, str) else schema


@dataclass
class SqlPlan:
    """What a handler template needs: the operation's kind and its SQL pieces (identifiers already quoted)."""

    kind: str  # list, get, create, update, replace, delete
    table: str
    returning: str
    key: list[dict[str, str]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)
    sorts: dict[str, str] = field(default_factory=dict)
    default_sort: str = ""
    tiebreak: str = ""
    row_type: str = ""


def _value(column: Column) -> dict[str, Any]:
    """How a handler passes a column's value: its name, quoted identifier and SQL around `$n`."""
    return {
        "name": column.name,
        "sql": column.sql,
        "before": column.type.before,
        "after": column.type.after,
        "json": column.type.kind == "json",
    }


@dataclass
class _Target:
    """The resource an operation belongs to, its type-name stem and the plan fields all its operations share."""

    res: Resource
    base: str
    plan: dict[str, Any]


class _SpecBuilder:
    def __init__(self, resources: list[Resource], title: str) -> None:
        self.resources = resources
        self.title = title
        self.types = NameTable({*TS_GLOBAL_TYPES, ERROR})
        self.ops = NameTable()
        self.path_names = NameTable()
        self.schemas: dict[str, Any] = {ERROR: ERROR_SCHEMA}
        self.paths: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, SqlPlan] = {}
        self.warnings: list[Diagnostic] = []

    def build(self) -> dict[str, Any]:
        for resource in self.resources:
            self.resource(resource)
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": "1.0.0"},
            "paths": self.paths,
            "components": {"schemas": self.schemas},
        }

    def name(self, base: str) -> str:
        return self.types.claim(base)

    def resource(self, res: Resource) -> None:
        base = identifier(
            res.name if res.schema == "public" else f"{res.schema}_{res.name}", "Row", style="pascal"
        )
        row = self.name(base)
        self.schemas[row] = self.row_schema(res)
        segments = [res.name] if res.schema == "public" else [res.schema, res.name]
        collection = self.path_names.claim("/" + "/".join(map(url_segment, segments)))
        returning = ", ".join(column.sql for column in res.columns)
        target = _Target(res, base, {"table": res.sql, "returning": returning, "row_type": row})
        self.list_operation(target, collection)
        if res.is_view:
            return
        create = self.name(base + "Create")
        writable = [c for c in res.columns if not c.server_set]
        self.schemas[create] = self.body_schema(writable, required=True)
        self.add(target, "create", collection, [], row, body=create, columns=writable)
        many = {"type": "array", "items": ref(create), "minItems": 1, "maxItems": MAX_BATCH}
        rows = {"type": "array", "items": ref(row)}
        self.add(target, "createMany", collection + "/batch", [], rows, body=many, columns=writable)
        if not res.primary_key:
            return
        key_params = [self.path_param(res.column(name)) for name in res.primary_key]
        target.plan["key"] = [_value(res.column(name)) for name in res.primary_key]
        item = collection + "".join("/{" + name + "}" for name in res.primary_key)
        self.add(target, "get", item, key_params, row)
        changeable = [c for c in writable if c.name not in res.primary_key]
        if changeable:
            for kind, suffix, required in (("update", "Update", False), ("replace", "Replace", True)):
                body = self.name(base + suffix)
                self.schemas[body] = self.body_schema(changeable, required=required)
                self.add(target, kind, item, key_params, row, body=body, columns=changeable)
        self.add(target, "delete", item, key_params, None)

    def row_schema(self, res: Resource) -> dict[str, Any]:
        properties = {}
        for column in res.columns:
            schema = column.schema if column.not_null else nullable(column.schema)
            if column.comment:
                schema = {**schema, "description": column.comment}
            properties[column.name] = schema
        out: dict[str, Any] = {
            "type": "object",
            "required": [column.name for column in res.columns],
            "properties": properties,
            "additionalProperties": False,
        }
        if res.comment:
            out["description"] = res.comment
        return out

    @staticmethod
    def body_schema(columns: list[Column], required: bool, minimum: int = 1) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "object",
            "properties": {c.name: c.schema if c.not_null else nullable(c.schema) for c in columns},
            "additionalProperties": False,
        }
        if required:
            out["required"] = [c.name for c in columns if c.not_null and not c.has_default]
        elif minimum:
            out["minProperties"] = minimum
        return out

    @staticmethod
    def path_param(column: Column) -> dict[str, Any]:
        return {"name": column.name, "in": "path", "required": True, "schema": column.schema}

    def list_operation(self, target: _Target, path: str) -> None:
        res, base, row = target.res, target.base, target.plan["row_type"]
        orderable = [c for c in res.columns if c.type.orderable]
        if res.is_view:
            sortable, filters = orderable, []
        else:
            names = [*res.primary_key, *res.indexed]
            sortable = [c for c in orderable if c.name in names]
            filters = [
                res.column(name) for name in dict.fromkeys(res.indexed) if res.column(name).type.orderable
            ]
        for column in [c for c in filters if c.name in RESERVED_QUERY]:
            self.warnings.append(
                warning(
                    "filter-skipped",
                    f"{res.label}.{column.name}: no filter, its name is a paging parameter",
                    where=res.label,
                )
            )
        filters = [c for c in filters if c.name not in RESERVED_QUERY]
        sorts = {c.name: f"{c.sql} ASC" for c in sortable} | {"-" + c.name: f"{c.sql} DESC" for c in sortable}
        key_order = [res.column(name).sql for name in res.primary_key] or [c.sql for c in orderable]
        default = (
            res.primary_key[0] if res.primary_key and res.primary_key[0] in sorts else next(iter(sorts), "")
        )
        params: list[dict[str, Any]] = [
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            },
            {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
        ]
        if sorts:
            params.append(
                {
                    "name": "sort",
                    "in": "query",
                    "description": "Column to sort by; prefix with - for descending.",
                    "schema": {"type": "string", "enum": sorted(sorts)},
                }
            )
        params += [
            {
                "name": c.name,
                "in": "query",
                "description": "Rows whose value equals this.",
                "schema": c.schema,
            }
            for c in filters
        ]
        page = self.name(base + "Page")
        self.schemas[page] = {
            "type": "object",
            "required": ["items", "limit", "offset", "nextOffset"],
            "properties": {
                "items": {"type": "array", "items": ref(row)},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "nextOffset": {
                    "type": ["integer", "null"],
                    "description": "offset of the next page, null on the last",
                },
            },
            "additionalProperties": False,
        }
        extra = {
            "filters": [_value(c) for c in filters],
            "sorts": sorts,
            "default_sort": default,
            "tiebreak": ", ".join(key_order),
        }
        self.add(target, "list", path, params, page, plan=extra)

    def add(
        self,
        target: _Target,
        kind: str,
        path: str,
        params: list[dict[str, Any]],
        schema: str | dict[str, Any] | None,
        body: str | dict[str, Any] | None = None,
        columns: list[Column] | None = None,
        plan: dict[str, Any] | None = None,
    ) -> None:
        """One operation of `kind` (see KINDS): its OpenAPI entry and its SQL plan."""
        method, status, errors = KINDS[kind]
        operation_id = self.ops.claim(identifier(kind + target.base))
        responses: dict[str, Any] = {status: {"description": "Success"}}
        if schema is not None:
            responses[status]["content"] = {"application/json": {"schema": _schema(schema)}}
        for code in errors:
            responses[code] = {
                "description": ERROR_TEXT[code],
                "content": {"application/json": {"schema": ref(ERROR)}},
            }
        res = target.res
        entry: dict[str, Any] = {
            "operationId": operation_id,
            "tags": [res.label],
            "summary": f"{kind.capitalize()} {res.label}" + (" (view, read-only)" if res.is_view else ""),
            "parameters": params,
            "responses": responses,
        }
        if body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _schema(body)}},
            }
        self.paths.setdefault(path, {})[method] = entry
        fields = {**target.plan, **(plan or {})}
        self.plans[operation_id] = SqlPlan(kind=kind, columns=[_value(c) for c in columns or []], **fields)


def build_spec(
    resources: list[Resource], title: str
) -> tuple[dict[str, Any], dict[str, SqlPlan], list[Diagnostic]]:
    """The OpenAPI document, the SQL plan per operationId, and warnings."""
    builder = _SpecBuilder(resources, title)
    document = builder.build()
    return document, builder.plans, builder.warnings
