"""Operation ids and tags of recovered operations: only what the code states, else a documented convention.

Ids, in order: an id the code states (a Fastify `schema.operationId`; in our generated code the id
`types.ts` names, unless it is the scaffolder's `"<method> <path>"` placeholder for an operation the spec
gave none), kept as written; else @koa/router's route name (`router.get("user", "/users/:id", ...)`) or
the handler's function name (`router.get("/x", list)`, `controller.show`, `function replaceItem() {}`,
not a name like `handler`; in our generated code the `H.<name>` it calls); else
`conventional_id`: `camelCase(method + path words)`, the name the scaffolder gives an operation without
an id (`deletePetsPetId`; `/` is `getRoot`, where the scaffolder's `get_` says nothing). `unique_ids` numbers the handler names and derived ids around the stated ones
(`postItems2`); a stated id is never renamed (the spec's own, as our generated code records it), a
stated id stated twice is a warning.

Tags: a Fastify `schema.tags`; in our generated code the group in the route module's header (the spec's
first tag, or its first path segment); else the route file's name (`routes/users.ts` -> `users`, an
`index` file its folder's name), except names that say nothing about the routes (`app`, `server`,
`index`, `routes`, ...): those operations get no `tags`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.scaffold.ir import Operation
from senior_backend.scaffold.naming import NameTable, identifier

STATED, HANDLER, DERIVED = "stated", "handler", "derived"
# File and folder names of entry points and route collections: no tag.
GENERIC_NAMES = frozenset({"index", "app", "server", "main", "root", "routes", "router", "api", "src"})
# Handler function names that name no operation: the method and path say more.
GENERIC_HANDLERS = frozenset(
    {"handler", "handle", "fn", "callback", "cb", "route", "middleware", "controller"}
)


@dataclass
class RecoveredOperation(Operation):
    """An operation recovered from code: the tags the code gives it and where its id came from."""

    tags: list[str] = field(default_factory=list)  # written as `tags`; none when the code gives none
    id_source: str = DERIVED  # STATED (kept as written), HANDLER or DERIVED (made unique)


def conventional_id(method: str, path: str) -> str:
    """`delete /pets/{petId}` -> `deletePetsPetId`; `/` is `Root` (`getRoot`)."""
    words = path if path.strip("/") else "root"
    return identifier(f"{method} {words}", "operation")


def file_tag(path: Path) -> str | None:
    """The tag a hand-written route file's name gives: its stem, for `index` its folder; None when
    that name is an entry point's or a collection's (`app.ts`, `routes/index.ts`)."""
    name = path.parent.name if path.stem.lower() == "index" else path.stem
    return None if not name or name.lower() in GENERIC_NAMES else name


def unique_ids(operations: list[RecoveredOperation], warnings: list[Diagnostic]) -> None:
    """Number the handler names and derived ids apart from every other id (and set `name`, as ir.py
    names operations of a spec); a stated id stated twice is a warning."""
    stated: dict[str, str] = {}  # stated id -> where
    for operation in operations:
        if operation.id_source != STATED:
            continue
        if operation.operation_id in stated:
            warnings.append(
                warning(
                    "duplicate-operation-id",
                    f"operationId {operation.operation_id!r} is also stated at"
                    f" {stated[operation.operation_id]}; OpenAPI wants each operationId unique",
                    where=operation.where,
                )
            )
        stated.setdefault(operation.operation_id, operation.where)
    taken = NameTable(set(stated))
    for operation in operations:
        if operation.id_source != STATED:
            operation.operation_id = taken.claim(operation.operation_id)
    names = NameTable()
    for operation in operations:
        operation.name = names.claim(identifier(operation.operation_id, "operation"))
