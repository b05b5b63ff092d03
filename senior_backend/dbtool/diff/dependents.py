"""Functions the diff must drop and recreate, and the objects that use them.

A function is dropped and recreated when its result, kind or arguments change
(`function_needs_drop`), or when only its argument names change (its key
changes, its argument types do not: CREATE OR REPLACE cannot rename them).
DROP FUNCTION refuses while objects use it, and CASCADE would silently drop
what the plan does not recreate, so the users are handled one by one: views
and triggers are recreated by their own phases; column defaults, table
constraints, indexes and policies are dropped first and taken out of the
effective old snapshot, so the ordinary phases create them again from the
desired snapshot after the function (NOT VALID then VALIDATE, CONCURRENTLY).
A generated column cannot outlive its expression: it is dropped and added
back, recomputed (a table rewrite, not data loss). Anything else that uses
the function is refused, named.
"""

from __future__ import annotations

import copy

from senior_backend.common.diagnostics import error
from senior_backend.common.pg.model import Column, Function, FunctionDependent, Table
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.kinds import POLICY
from senior_backend.dbtool.diff.support import DifferBase, function_needs_drop

_ORDER = ("policy", "index", "constraint", "default", "generated")


class FunctionDependentPhases(DifferBase):
    """Finds recreated functions and drops what uses them before they are dropped."""

    def _find_function_replacements(self) -> set[str]:
        """Fill `recreated_functions` (old keys) and `function_replaces` (new key -> old function);
        return the tables whose generated columns must be recreated."""
        old, new = self.old, self.new
        for key, func in old.functions.items():
            target = new.functions.get(key)
            if target is not None and function_needs_drop(func, target):
                self.recreated_functions.add(key)
                self.function_replaces[key] = func
        renamed = {_overload(f): f for k, f in old.functions.items() if k not in new.functions}
        for key, func in new.functions.items():
            before = renamed.get(_overload(func))
            if key not in old.functions and before is not None:
                self.recreated_functions.add(before.key)
                self.function_replaces[key] = before
        return {
            self.old_column(dep.dependent_key)[0].key
            for dep in self._dependents_of_recreated()
            if dep.kind == "generated" and self.old_column(dep.dependent_key)
        }

    def _dependents_of_recreated(self) -> list[FunctionDependent]:
        found = {
            (dep.kind, dep.dependent_key): dep
            for dep in self.old.function_dependents.values()
            if dep.function_key in self.recreated_functions
        }
        return sorted(found.values(), key=lambda d: (_ORDER.index(d.kind) if d.kind in _ORDER else -1, d.key))

    def _drop_function_dependents(self) -> None:
        """Drop what keeps the recreated functions from being dropped (before `_functions` runs)."""
        for dep in self._dependents_of_recreated():
            function = dep.function_key
            if dep.kind in ("default", "generated") and self.old_column(dep.dependent_key) is not None:
                table, column = self.old_column(dep.dependent_key)  # type: ignore[misc]
                if table.key not in self.recreated_relations:
                    self._drop_column_part(dep.kind, table, column, function)
            elif dep.kind == "constraint":
                con = self.eff.constraints.get(dep.dependent_key)
                if con is not None and con.is_local and not con.inherited_from_partition:
                    self.eff.constraints.pop(con.key)
                    self.add(
                        "constraint",
                        con.key,
                        f"drop constraint {con.key} (uses function {function}, recreated; added back after)",
                        [ddl.drop_constraint(con)],
                    )
            elif dep.kind == "index":
                index = self.eff.indexes.get(dep.dependent_key)
                if index is not None and not index.parent_index:
                    self.eff.indexes.pop(index.key)
                    self.drop_index(index, f"uses function {function}, recreated; built again after")
            elif dep.kind == "policy":
                policy = self.eff.policies.pop(dep.dependent_key, None)
                if policy is not None:
                    self.add(
                        "policy",
                        policy.key,
                        f"drop policy {policy.key} (uses function {function}, recreated; created again after)",
                        [ddl.drop(POLICY, policy)],
                    )
            else:
                self.refusals.append(
                    error(
                        "function-in-use",
                        f"{dep.kind} {dep.dependent_key} uses function {function}, which must be dropped and "
                        "recreated (its signature or result changes): change or drop that object in a "
                        "migration of its own first",
                    )
                )

    def _drop_column_part(self, kind: str, table: Table, column: Column, function: str) -> None:
        """DROP DEFAULT of a column, or the whole generated column; the effective old table forgets it."""
        current = self.eff.tables.get(table.key)
        if current is None or column.name not in current.columns:
            return
        key = f"{table.key}.{column.name}"
        if kind == "default":
            self.forget_default(table.key, column.name)
            self.add(
                "column",
                key,
                f"drop default of {key} (uses function {function}, recreated; set again after)",
                [ddl.drop_default(table, column.name)],
            )
            return
        if not column.is_local and table.parents:
            return
        changed = copy.copy(current)
        changed.columns = {n: c for n, c in current.columns.items() if n != column.name}
        self.eff.tables = {**self.eff.tables, table.key: changed}
        for index in [i for i in self.eff.indexes.values() if i.table_key == table.key]:
            if column.name in index.columns:
                self.eff.indexes.pop(index.key)
        for con in [c for c in self.eff.constraints.values() if c.table_key == table.key]:
            if column.name in con.columns:
                self.eff.constraints.pop(con.key)
        self.add(
            "column",
            key,
            f"drop generated column {key} (uses function {function}, recreated; "
            "added back and recomputed after)",
            [ddl.drop_column(table, column.name)],
        )


def _overload(func: Function) -> tuple:
    """What tells overloads apart: schema, name and argument types (argument names do not)."""
    return (func.schema, func.name, func.kind, func.arg_types)
