"""The files of a database-backed API: the spec scaffolder's output with SQL handlers instead of stubs.

Routes, validators and types come from `render()` unchanged (same model, same 400 format); this
module swaps each `handlers/<group>.ts` for handlers that run the operation's SQL plan through
node-postgres, adds `db.ts` (the pool, parameter helper, error mapping) and adds `pg` to package.json.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from senior_backend.scaffold.fromdb.catalog import Resource
from senior_backend.scaffold.fromdb.spec import DEFAULT_LIMIT, SqlPlan
from senior_backend.scaffold.ir import ApiModel
from senior_backend.scaffold.render import RenderedFile, environment, render

PG = {"dependencies": {"pg": "8.23.1"}, "devDependencies": {"@types/pg": "8.23.1"}}


def with_pg(package_json: str) -> str:
    """The generated package.json with node-postgres added."""
    package = json.loads(package_json)
    for section, added in PG.items():
        package[section] = dict(sorted({**package.get(section, {}), **added}.items()))
    return json.dumps(package, indent=2) + "\n"


def _constraint_columns(resources: list[Resource]) -> dict[str, list[str]]:
    """`schema.table.constraint` -> its columns, so db.ts can name the fields a violation is about."""
    return {
        f"{res.schema}.{res.name}.{name}": columns
        for res in resources
        for name, columns in res.constraints.items()
    }


def render_from_db(
    model: ApiModel, plans: dict[str, SqlPlan], resources: list[Resource], framework: str, source: str
) -> list[RenderedFile]:
    """Every file of the generated project: routes and validators from the model, handlers running SQL."""
    env = environment()
    files = []
    for file in render(model, framework, stubs="not-implemented"):
        if file.path == "package.json":
            file = RenderedFile(file.path, with_pg(file.content), file.kind)
        if file.kind != "user":
            files.append(file)
    context: dict[str, Any] = {
        "title": model.title,
        "version": model.version,
        "framework": framework,
        "source": source,
        "default_limit": DEFAULT_LIMIT,
        "constraints": _constraint_columns(resources),
    }
    files.append(RenderedFile("db.ts", env.get_template("_macros/db.ts.j2").render(context), "derived"))
    for group in model.groups:
        operations = [
            {
                "name": op.name,
                "type_name": op.type_name,
                "method": op.method.upper(),
                "path": op.path,
                "summary": op.summary,
                "plan": asdict(plans[op.operation_id]),
            }
            for op in group.operations
        ]
        local = {**context, "group": {"label": group.label, "module": group.module, "operations": operations}}
        files.append(
            RenderedFile(
                f"handlers/{group.module}.ts",
                env.get_template("_macros/db_handlers.ts.j2").render(local),
                "user",
            )
        )
    return files
