"""Security read back from our own generated code: each protected route calls `authenticated("op", ...)`
(Express, Koa) or `onRequest: guard("op")` (Fastify), imported from the generated `auth.ts`, whose
`SPEC_SECURITY` table holds each protected operation's `security` as the spec wrote it and
`SPEC_SECURITY_SCHEMES` the spec's `components.securitySchemes`. Code our generator did not write
(no banner on auth.ts) gives nothing: hand-written auth middleware has no spec to recover.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from senior_backend.scaffold.tospec.jsast import UNRESOLVED, Node, call_parts, literal, string_value
from senior_backend.scaffold.tospec.project import Project
from senior_backend.scaffold.tospec.routes import GENERATED_BANNER, Route

_GUARDS = ("authenticated", "guard")  # the functions generated auth.ts exports to the routes


class SecurityReader:
    """Per-route `security` and the schemes they name, from the generated auth.ts of a project."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.schemes: dict[str, Any] = {}  # components.securitySchemes of every auth.ts met
        self._tables: dict[Path, tuple[dict[str, Any], dict[str, Any]]] = {}

    def operation(self, route: Route) -> Any:
        """The route's `security` as the spec wrote it, or None when the route checks none."""
        module = self.project.module_of(route.node)
        for call in module.source.find(route.node).get("call", []):
            receiver, name, args = call_parts(call)
            if receiver is not None or name not in _GUARDS or not args:
                continue
            operation = string_value(args[0])
            function = call.child_by_field_name("function")
            definition = self.project.definition(function)
            if operation is None or definition is None:
                continue
            security, schemes = self._table(self.project.module_of(definition).source.path)
            if operation in security:
                self.schemes.update(schemes)
                return security[operation]
        return None

    def _table(self, path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        """(operation -> security, scheme name -> scheme) of a generated auth.ts; empty for any other file."""
        if path not in self._tables:
            module = self.project.modules.get(path)
            tables: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
            if module is not None and module.source.root.text.startswith(GENERATED_BANNER):
                security = _mapping(self.project.exported(path, "SPEC_SECURITY"))
                schemes = _mapping(self.project.exported(path, "SPEC_SECURITY_SCHEMES"))
                tables = (security, schemes)
            self._tables[path] = tables
        return self._tables[path]


def _mapping(node: Node | None) -> dict[str, Any]:
    value = literal(node) if node is not None else UNRESOLVED
    return value if isinstance(value, dict) else {}
