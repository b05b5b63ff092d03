"""Diff two catalog snapshots into an ordered, safe-by-default list of changes.

Phases follow dependencies: tables first leave the parents they lose
(DETACH PARTITION, NO INHERIT), dependents are dropped (triggers, policies,
views, foreign keys, including those on a key that is dropped, constraints,
indexes, tables replaced by a view), then objects are created or altered in
the order they are needed (schemas, extensions, types, sequences,
functions, domains that call them, tables, constraints, indexes, foreign
keys, views, triggers, policies, comments, privileges; tables join new
parents after their columns are altered), and objects that disappear are
dropped last: tables after what inherits from or references them (the
foreign keys of a cycle first), domains after those built on them, and
enums and collations that were renamed away to be recreated after the
columns that still used them are gone. Inside a phase objects come in key
order or dependency order, so the output is deterministic.

A column dropped from a parent whose child keeps it is dropped ONLY from the
parent (the child then owns it, with its values); a drop or type change that
reaches children or partitions names them, so the data-loss refusal does.

Tables and columns present on both sides are altered in place; only a change
no ALTER can express (a table turned into a partitioned one, a new partition
key, a plain column turned generated) recreates them, and such a change is
marked as data-losing. Views and functions whose signature changes are
dropped and recreated with everything that depends on them.

The down migration is the same diff in the other direction. This module
orchestrates; the phases live in `tables.py` (tables, constraints,
indexes), `objects.py` (types, functions, views, triggers, policies,
comments, privileges), `enums.py`, `dependents.py` (what uses a recreated
function) and `owners.py`, the shared state and helpers in `support.py`.
What each kind of object is called and when two are equal comes from the
registry in `kinds.py`; every statement is spelled by `ddl.py`, and what it
cannot spell is refused at the end rather than raised in the middle.
"""

from __future__ import annotations

import copy
from dataclasses import fields

from senior_backend.common.diagnostics import error, warning
from senior_backend.common.gcpause import paused_gc
from senior_backend.common.pg.model import Constraint, Function, Index, Snapshot
from senior_backend.common.pg.quoting import qualify
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.changes import Plan
from senior_backend.dbtool.diff.dependents import FunctionDependentPhases
from senior_backend.dbtool.diff.enums import EnumPhases, enum_users
from senior_backend.dbtool.diff.kinds import (
    BY_ATTRIBUTE,
    COLLATION,
    COMPOSITE_TYPE,
    CONSTRAINT,
    DOMAIN,
    ENUM,
    EXTENSION,
    FUNCTION,
    INDEX,
    POLICY,
    SCHEMA,
    SEQUENCE,
    TABLE,
    TRIGGER,
    VIEW,
    Kind,
)
from senior_backend.dbtool.diff.objects import ObjectPhases
from senior_backend.dbtool.diff.owners import OwnerPhases, owner_differences
from senior_backend.dbtool.diff.support import (
    ancestors,
    column_key,
    default_grant,
    domain_order,
    domains_calling,
    drop_order,
    is_prefix_extension,
    needs_column_recreate,
    view_order,
)
from senior_backend.dbtool.diff.tables import TablePhases
from senior_backend.dbtool.diff.view_blocks import keep_view_recreations_atomic


def diff_snapshots(old: Snapshot, new: Snapshot, *, with_privileges: bool = False) -> Plan:
    """The changes that turn a database like `old` into one like `new`."""
    with paused_gc():
        return _Differ(old, new, with_privileges).plan()


def migration_plans(old: Snapshot, new: Snapshot, *, with_privileges: bool = False) -> tuple[Plan, Plan]:
    """The up and down plans; each change's `down` holds the reverse plan's statements for the same object.

    What the down plan refuses becomes a warning of the down plan (the up migration is still sound;
    the caller refuses on the up plan's refusals)."""
    up = diff_snapshots(old, new, with_privileges=with_privileges)
    down = diff_snapshots(new, old, with_privileges=with_privileges)
    down.warnings.extend(
        warning(
            "not-reversed",
            f"not reversed by this down migration: {refusal.message}",
            hint="write that step of the down migration by hand",
        )
        for refusal in down.refusals
    )
    down.refusals = []
    for forward, backward in ((up, down), (down, up)):
        undo: dict[tuple[str, str], list[str]] = {}
        for change in backward.changes:
            undo.setdefault((change.kind, change.key), []).extend(change.up)
        for change in forward.changes:
            change.down = undo.get((change.kind, change.key), [])
    return up, down


def snapshot_differences(a: Snapshot, b: Snapshot, *, with_privileges: bool = False) -> list[str]:
    """Keys of objects that differ between two snapshots (empty when they are equivalent); owners count
    only with privileges."""
    kinds = [f.name for f in fields(Snapshot) if isinstance(getattr(a, f.name), dict)]
    skipped = {"uncovered"} | (set() if with_privileges else {"privileges"})
    found = []
    for kind in kinds:
        if kind in skipped:
            continue
        left, right = getattr(a, kind), getattr(b, kind)
        for key in sorted(set(left) | set(right)):
            if _comparable(kind, left.get(key)) != _comparable(kind, right.get(key)):
                found.append(f"{kind}: {key}")
    if with_privileges:
        found += owner_differences(a, b)
    return found


def _comparable(attribute: str, obj: object) -> object:
    """What must match (the kind's `state`; objects of kinds outside the registry compare whole)."""
    kind = BY_ATTRIBUTE.get(attribute)
    return obj if obj is None or kind is None else kind.state(obj)


class _Differ(TablePhases, EnumPhases, ObjectPhases, FunctionDependentPhases, OwnerPhases):
    """Orchestrates the phases: recreations, dependents dropped, objects created and altered, leftovers dropped."""

    def plan(self) -> Plan:
        with ddl.collecting_unrendered() as unrendered:
            self._find_recreations()
            self.eff = self._effective_old()
            self._leave_lost_parents()
            self._drop_dependents()
            self._schemas_and_extensions()
            self._collations()
            self._enums()
            self._domains(after_functions=False)
            self._composite_types()
            self._sequences()
            self._functions(after_tables=False)
            self._domains(after_functions=True)
            self._tables()
            self._sequence_ownership()
            self._functions(after_tables=True)
            self._constraints(foreign=False)
            self._indexes()
            self._constraints(foreign=True)
            self._views()
            self._triggers()
            self._policies_and_rls()
            self._comments()
            if self.with_privileges:
                self._owners()
                self._privileges()
            self._drop_removed()
            for item in sorted(self.new.uncovered):
                self.warnings.append(warning("not-covered", f"not covered by the diff: {item}"))
        self.refusals.extend(
            error("not-rendered", f"the diff has no SQL for {what}: write that step by hand")
            for what in unrendered
        )
        views = {k for k in self.recreated_relations if k in self.old.views and k in self.new.views}
        return Plan(keep_view_recreations_atomic(self.changes, views), self.warnings, self.refusals)

    # ---- what must be recreated ------------------------------------------------------------

    def _find_recreations(self) -> None:
        old, new = self.old, self.new
        for key, table in old.tables.items():
            target = new.tables.get(key)
            if target is not None and (
                table.kind != target.kind or table.partition_key != target.partition_key
            ):
                self.recreated_relations.add(key)
        changed_tables = set(self.recreated_relations)  # changed as a whole: every view over it is recreated
        changed_columns: set[str] = set()  # only the views reading one of these (or a whole row) are
        for key, enum in old.enums.items():
            target = new.enums.get(key)
            if target is not None and not is_prefix_extension(enum.labels, target.labels):
                self.recreated_enums.add(key)
                changed_columns.update(enum_users(enum, "column"))
                self.recreated_relations.update(k for k in enum_users(enum, "view") if k in new.views)
                # a function that stays is dropped before the enum is recreated and created after
                for func in self._functions_using(enum).values():
                    if func.key in new.functions:
                        self.recreated_functions.add(func.key)
                        self.function_replaces.setdefault(func.key, func)
                built_on = [*self._composites_using(enum).values()]
                built_on += [old.domains[k] for k in self._nested_domains(enum)]
                for ctype in built_on:
                    changed_columns.update(self._columns_of_type(ctype))
        recreated_collations = {
            c.name
            for k, c in old.collations.items()
            if k in new.collations and not COLLATION.same(c, new.collations[k])
        }
        for key, table in old.tables.items():
            target = new.tables.get(key)
            if target is None or key in self.recreated_relations:
                continue
            for name, column in table.columns.items():
                wanted = target.columns.get(name)
                if (
                    wanted is None
                    or wanted.type != column.type
                    or wanted.collation != column.collation
                    or column.collation in recreated_collations
                    or qualify(wanted.type_schema, wanted.type_name) in self.recreated_enums
                ):
                    changed_columns.add(column_key(key, name))
                if wanted is not None and needs_column_recreate(column, wanted):
                    self.recreated_columns.add((key, name))
                    changed_columns.add(column_key(key, name))
        changed_tables |= self._find_function_replacements()
        # A view over a relation that disappears reads, in the desired schema, its replacement of the same
        # name (a table for a view, or the reverse): it must be recreated on it.
        gone = {k for k in old.views if k not in new.views} | {k for k in old.tables if k not in new.tables}
        changed = changed_tables | self.recreated_functions | gone
        # a whole-row use of a table (`SELECT t FROM t`) reads every column of it
        changed_columns |= {located[0].key for k in list(changed_columns) if (located := self.old_column(k))}
        for key in view_order(old.views):
            view = old.views[key]
            target = new.views.get(key)
            if target is None:
                continue
            if (
                not VIEW.same(view, target)
                or changed.intersection(view.depends_on)
                or self.recreated_relations.intersection(view.depends_on)
                or changed_columns.intersection(view.uses_columns)
            ):
                self.recreated_relations.add(key)
                changed.add(key)
        for key in list(self.recreated_relations):
            if key in old.tables:
                self._recreate_dependents_of_table(key)

    def _recreate_dependents_of_table(self, key: str) -> None:
        for child_key, child in self.old.tables.items():
            if (
                key in child.parents
                and child_key in self.new.tables
                and key in self.new.tables[child_key].parents  # one that leaves it is detached first
                and child_key not in self.recreated_relations
            ):
                self.recreated_relations.add(child_key)
                self._recreate_dependents_of_table(child_key)
        for view_key, view in self.old.views.items():
            if key in view.depends_on and view_key in self.new.views:
                self.recreated_relations.add(view_key)

    def _effective_old(self) -> Snapshot:
        """`old` without the objects that are dropped and recreated, so they diff as new."""
        eff = copy.copy(self.old)
        gone = self.recreated_relations
        eff.tables = {k: v for k, v in self.old.tables.items() if k not in gone}
        eff.views = {k: v for k, v in self.old.views.items() if k not in gone}
        eff.indexes = {k: v for k, v in self.old.indexes.items() if v.table_key not in gone}
        eff.constraints = {
            k: v
            for k, v in self.old.constraints.items()
            if v.table_key not in gone and (v.ref_table is None or v.ref_table not in gone)
        }
        eff.triggers = {
            k: v
            for k, v in self.old.triggers.items()
            if v.table_key not in gone and v.function_key not in self.recreated_functions
        }
        eff.policies = {k: v for k, v in self.old.policies.items() if v.table_key not in gone}
        eff.sequences = {
            k: v
            for k, v in self.old.sequences.items()
            if not (v.owned_by and v.owned_by.rsplit(".", 1)[0] in gone)
        }
        eff.functions = {k: v for k, v in self.old.functions.items() if k not in self.recreated_functions}
        eff.enums = {k: v for k, v in self.old.enums.items() if k not in self.recreated_enums}
        privileges = {
            k: v
            for k, v in self.old.privileges.items()
            if v.object_key not in gone
            and v.object_key not in self.recreated_functions
            and v.object_key not in self.recreated_enums
        }
        for key, func in self.new.functions.items():
            if key not in eff.functions:
                privileges.update(
                    default_grant("function" if func.kind == "f" else "procedure", key, "EXECUTE")
                )
        for kind, new_objects, old_objects in (
            ("type", self.new.enums, eff.enums),
            ("type", self.new.composite_types, eff.composite_types),
            ("domain", self.new.domains, eff.domains),
        ):
            for key in new_objects:
                if key not in old_objects:
                    privileges.update(default_grant(kind, key, "USAGE"))
        eff.privileges = privileges
        return eff

    # ---- phase: drop dependents --------------------------------------------------------------

    def _drop_dependents(self) -> None:
        old, new, eff = self.old, self.new, self.eff
        for key in sorted(old.triggers):
            trigger = old.triggers[key]
            target = new.triggers.get(key)
            if trigger.table_key not in new.tables or trigger.table_key in self.recreated_relations:
                continue
            if key not in eff.triggers or not TRIGGER.same(trigger, target):
                eff.triggers.pop(key, None)
                self.add(
                    "trigger",
                    key,
                    f"drop trigger {key}",
                    [ddl.drop(TRIGGER, trigger)],
                    lock="SHARE ROW EXCLUSIVE",
                )
        for key in sorted(old.policies):
            policy = old.policies[key]
            target = new.policies.get(key)
            if key in eff.policies and not POLICY.same(policy, target):
                eff.policies.pop(key)
                self.add("policy", key, f"drop policy {key}", [ddl.drop(POLICY, policy)])
        for key in reversed(view_order(old.views)):
            if key not in new.views or key in self.recreated_relations:
                view = old.views[key]
                self.add("view", key, f"drop view {key}", [ddl.drop(VIEW, view)])
        for key in sorted(self.recreated_relations):
            if key in old.tables and not self.recreated_relations.intersection(ancestors(old.tables, key)):
                # its children and partitions that are recreated or dropped go with it (CASCADE)
                going = sorted(
                    k
                    for k in old.tables
                    if (k in self.recreated_relations or k not in new.tables)
                    and key in ancestors(old.tables, k)
                )
                self.add(
                    "table",
                    key,
                    f"recreate table {key} (no ALTER can change its partitioning): its rows are lost"
                    + (f", and those of {', '.join(going)}, dropped with it" if going else ""),
                    [ddl.drop(TABLE, old.tables[key], cascade=True)],
                    data_loss=True,
                )
        self._drop_function_dependents()
        removed = [
            con
            for key, con in sorted(eff.constraints.items())
            if not CONSTRAINT.same(con, new.constraints.get(key))
        ]
        dropped_indexes = [
            index
            for key, index in sorted(eff.indexes.items())
            if not (index.constraint_name or index.parent_index)
            and (not INDEX.same(index, new.indexes.get(key)) or new.indexes[key].constraint_name)
        ]
        blocking = self._foreign_keys_on(removed, dropped_indexes)
        for con in sorted(
            {c.key: c for c in removed + blocking}.values(), key=lambda c: (c.kind != "f", c.key)
        ):
            if con.inherited_from_partition or not con.is_local:
                continue
            if con.table_key not in new.tables and con not in blocking:
                continue
            eff.constraints.pop(con.key)
            why = " (it uses a key dropped by this migration; added back after)" if con in blocking else ""
            self.add("constraint", con.key, f"drop constraint {con.key}{why}", [ddl.drop_constraint(con)])
        for index in dropped_indexes:
            eff.indexes.pop(index.key)
            if index.table_key in new.tables or index.table_key in new.views:
                self.drop_index(index)
        self._drop_tables([k for k in old.tables if k in new.views and k not in self.recreated_relations])

    def _foreign_keys_on(self, constraints: list[Constraint], indexes: list[Index]) -> list[Constraint]:
        """The foreign keys that reference a primary key, unique constraint or unique index about to be
        dropped from a kept table (DROP refuses while they exist): PostgreSQL backs a foreign key by a
        unique index over exactly its referenced columns, so every such key is taken as its support."""
        kept = self.new.tables
        keys = {
            (con.table_key, frozenset(con.columns))
            for con in constraints
            if con.kind in ("p", "u") and con.table_key in kept
        }
        keys |= {
            (index.table_key, frozenset(index.key_columns))
            for index in indexes
            if index.is_unique and index.table_key in kept
        }
        if not keys:
            return []
        return [
            con
            for con in self.eff.constraints.values()
            if con.kind == "f" and (con.ref_table, frozenset(con.ref_columns)) in keys
        ]

    # ---- phase: drop what disappeared ----------------------------------------------------------

    def _drop_removed(self) -> None:
        old, new = self.old, self.new
        removed_tables = [
            k
            for k in old.tables
            if k not in new.tables
            and k not in self.dropped_tables
            and not self.recreated_relations.intersection(ancestors(old.tables, k))
        ]
        removed_functions = sorted(
            set(old.functions) - set(new.functions) - self.recreated_functions - self.dropped_functions
        )
        early = [k for k in removed_functions if set(old.functions[k].uses_tables) & set(removed_tables)]
        for key in early:
            self._drop_function(old.functions[key])
        self._drop_tables(removed_tables)
        dropped_columns = set()
        for table_key, table in old.tables.items():
            kept = new.tables.get(table_key)
            for name in table.columns:
                if kept is None or name not in kept.columns:
                    dropped_columns.add(column_key(table_key, name))
        for key in sorted(set(self.eff.sequences) - set(new.sequences)):
            seq = old.sequences[key]
            if seq.is_identity or (seq.owned_by and seq.owned_by in dropped_columns):
                continue
            # a sequence that has handed out values loses its position: the down migration recreates it
            # from its start, and values it gave would be given again
            used = seq.last_value is not None
            self.add(
                "sequence",
                key,
                f"drop sequence {key}" + (f" (at {seq.last_value})" if used else ""),
                [ddl.drop(SEQUENCE, seq)],
                lock="none",
                data_loss=used,
            )
        self.changes.extend(self.late_drops)
        calling = domains_calling(old, set(removed_functions))
        self._drop_kind(DOMAIN, calling)
        for key in removed_functions:
            if key not in early:
                self._drop_function(old.functions[key])
        for kind in (COMPOSITE_TYPE, DOMAIN, ENUM, COLLATION, EXTENSION, SCHEMA):
            objects = getattr(old, kind.attribute)
            self._drop_kind(kind, set(objects) - (calling if kind is DOMAIN else set()))

    def _drop_kind(self, kind: Kind, keys: set[str]) -> None:
        """DROP the objects of one kind among `keys` that the desired schema lacks (domains built on another
        first: the order they were created in, reversed)."""
        objects, wanted = getattr(self.old, kind.attribute), getattr(self.new, kind.attribute)
        order = reversed(domain_order(objects)) if kind is DOMAIN else sorted(objects)
        for key in order:
            if key in keys and key not in wanted:
                # an extension's own tables, collected data and the objects built on it go with it; not
                # refused as data loss, since monitoring extensions (pg_stat_statements) are rarely in a
                # schema file, but the description says it
                extension = kind is EXTENSION
                self.add(
                    kind.change,
                    key,
                    f"drop {kind.change} {key}" + (" (its data and objects go with it)" if extension else ""),
                    [ddl.drop(kind, objects[key])],
                    lock="none",
                )

    def _drop_tables(self, keys: list[str]) -> None:
        """DROP TABLE each of `keys` after what depends on it (children, tables referencing it); the foreign
        keys of a cycle of references among them are dropped first."""
        order, cycles = drop_order(self.old.tables, self.eff.constraints, keys)
        for con in cycles:
            self.eff.constraints.pop(con.key, None)
            self.add(
                "constraint",
                con.key,
                f"drop constraint {con.key} (a cycle of foreign keys among dropped tables)",
                [ddl.drop_constraint(con)],
            )
        for key in order:
            self.dropped_tables.add(key)
            self.add(
                "table", key, f"drop table {key}", [ddl.drop(TABLE, self.old.tables[key])], data_loss=True
            )

    def _drop_function(self, func: Function) -> None:
        self.add(
            "function",
            func.key,
            f"drop function {func.key}",
            [ddl.drop(FUNCTION, func)],
            lock="none",
        )
