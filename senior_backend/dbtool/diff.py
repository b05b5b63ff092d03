"""Diff two catalog snapshots into an ordered, safe-by-default list of changes.

Phases follow dependencies: dependents are dropped first (triggers,
policies, views, foreign keys, constraints, indexes), then objects are
created or altered in the order they are needed (schemas, extensions,
types, sequences, functions, tables, constraints, indexes, views, triggers,
policies, comments, privileges), and objects that disappear are dropped
last. Inside a phase objects come in key order (or dependency order for
views and tables), so the output is deterministic.

Tables and columns present on both sides are altered in place; only a change
no ALTER can express (a table turned into a partitioned one, a new partition
key, a plain column turned generated) recreates them, and such a change is
marked as data-losing. Views and functions whose signature changes are
dropped and recreated with everything that depends on them.

The down migration is the same diff in the other direction.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import fields

from senior_backend.common.pg.model import (
    Column,
    Constraint,
    Function,
    Index,
    Privilege,
    Sequence,
    Snapshot,
    Table,
    View,
)
from senior_backend.common.pg.quoting import ident, literal, qualified, qualify
from senior_backend.dbtool import ddl
from senior_backend.dbtool.changes import Change, Plan

_CREATE_INDEX = re.compile(r"^CREATE (UNIQUE )?INDEX ")
# Type changes PostgreSQL does without rewriting the table (binary-coercible) or that cannot lose data.
_WIDENING = {
    ("smallint", "integer"),
    ("smallint", "bigint"),
    ("integer", "bigint"),
    ("real", "double precision"),
    ("timestamp without time zone", "timestamp with time zone"),
    ("character varying", "text"),
    ("character", "text"),
    ("character", "character varying"),
    ("cidr", "inet"),
    ("json", "jsonb"),
}
_NO_REWRITE = {("character varying", "text"), ("cidr", "inet")}
_TYPMOD = re.compile(r"^(?P<base>[a-z ]+?)(?:\((?P<args>[0-9, ]+)\))?$")


def diff_snapshots(old: Snapshot, new: Snapshot, *, with_privileges: bool = False) -> Plan:
    """The changes that turn a database like `old` into one like `new`."""
    return _Differ(old, new, with_privileges).plan()


def migration_plans(old: Snapshot, new: Snapshot, *, with_privileges: bool = False) -> tuple[Plan, Plan]:
    """The up and down plans; each change's `down` holds the reverse plan's statements for the same object."""
    up = diff_snapshots(old, new, with_privileges=with_privileges)
    down = diff_snapshots(new, old, with_privileges=with_privileges)
    for forward, backward in ((up, down), (down, up)):
        undo: dict[tuple[str, str], list[str]] = {}
        for change in backward.changes:
            undo.setdefault((change.kind, change.key), []).extend(change.up)
        for change in forward.changes:
            change.down = undo.get((change.kind, change.key), [])
    return up, down


def snapshot_differences(a: Snapshot, b: Snapshot, *, with_privileges: bool = False) -> list[str]:
    """Keys of objects that differ between two snapshots (empty when they are equivalent)."""
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
    return found


def _comparable(kind: str, obj: object) -> object:
    if obj is None:
        return None
    if kind == "schemas":
        return (obj.name, obj.comment)  # type: ignore[attr-defined]
    if kind == "extensions":
        return (obj.name, obj.schema)  # type: ignore[attr-defined]
    if kind == "tables":
        table = copy.copy(obj)
        table.columns = {name: _column_shape(col) for name, col in obj.columns.items()}  # type: ignore[attr-defined]
        return table
    if kind == "constraints":
        return (obj.definition, obj.deferrable, obj.deferred, obj.comment)  # type: ignore[attr-defined]
    if kind == "views":
        return (obj.definition, obj.materialized, obj.comment)  # type: ignore[attr-defined]
    return obj


def _column_shape(column: Column) -> tuple:
    return (
        column.type,
        column.not_null,
        column.default_expr,
        column.identity,
        column.generated,
        column.collation,
        column.comment,
    )


def _type_parts(type_text: str) -> tuple[str, tuple[int, ...]]:
    match = _TYPMOD.match(type_text)
    if not match:
        return type_text, ()
    args = tuple(int(x) for x in (match["args"] or "").replace(" ", "").split(",") if x)
    return match["base"], args


def type_change_cost(old: str, new: str) -> tuple[bool, bool]:
    """(rewrites, can_lose_data) for ALTER COLUMN TYPE from `old` to `new`."""
    old_base, old_args = _type_parts(old)
    new_base, new_args = _type_parts(new)
    if old_base == new_base:
        if old_base in {"character varying", "character", "bit varying"}:
            widening = not new_args or (old_args and new_args[0] >= old_args[0])
            return (old_base == "character" and bool(new_args)), not widening
        if old_base == "numeric":
            if not new_args:
                return False, False
            if old_args and len(new_args) == len(old_args) and new_args[-1] == old_args[-1]:
                return False, new_args[0] < old_args[0]
            return True, True
        return True, True
    if (old_base, new_base) in _WIDENING:
        return (old_base, new_base) not in _NO_REWRITE, False
    return True, True


class _Differ:
    def __init__(self, old: Snapshot, new: Snapshot, with_privileges: bool) -> None:
        self.old = old
        self.new = new
        self.with_privileges = with_privileges
        self.changes: list[Change] = []
        self.warnings: list[str] = []
        self.recreated_relations: set[str] = set()
        self.recreated_functions: set[str] = set()
        self.recreated_enums: set[str] = set()
        self.recreated_columns: set[tuple[str, str]] = set()
        self._identity_index: dict[int, dict[str, Sequence]] = {}

    # ---- bookkeeping -------------------------------------------------------------------------

    def add(self, kind: str, key: str, description: str, up: list[str], **flags: object) -> None:
        self.changes.append(Change(kind, key, description, up, **flags))  # type: ignore[arg-type]

    def existing_table(self, key: str) -> bool:
        """True when the table exists before the migration and is kept (so online-safe forms matter)."""
        return key in self.old.tables and key not in self.recreated_relations

    def plan(self) -> Plan:
        self._find_recreations()
        self.eff = self._effective_old()
        self._drop_dependents()
        self._schemas_and_extensions()
        self._enums()
        self._domains()
        self._composite_types()
        self._sequences()
        self._functions(after_tables=False)
        self._tables()
        self._sequence_ownership()
        self._functions(after_tables=True)
        self._constraints()
        self._indexes()
        self._views()
        self._triggers()
        self._policies_and_rls()
        self._comments()
        if self.with_privileges:
            self._privileges()
        self._drop_removed()
        for item in sorted(self.new.uncovered):
            self.warnings.append(f"not covered by the diff: {item}")
        return Plan(self.changes, self.warnings)

    # ---- what must be recreated ------------------------------------------------------------

    def _find_recreations(self) -> None:
        old, new = self.old, self.new
        for key, table in old.tables.items():
            target = new.tables.get(key)
            if target is not None and (
                table.kind != target.kind or table.partition_key != target.partition_key
            ):
                self.recreated_relations.add(key)
        changed_tables = set(self.recreated_relations)
        for key, enum in old.enums.items():
            target = new.enums.get(key)
            if target is not None and not _is_prefix_extension(enum.labels, target.labels):
                self.recreated_enums.add(key)
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
                    or qualify(wanted.type_schema, wanted.type_name) in self.recreated_enums
                ):
                    changed_tables.add(key)
                if wanted is not None and _needs_column_recreate(column, wanted):
                    self.recreated_columns.add((key, name))
                    changed_tables.add(key)
        for key, func in old.functions.items():
            target = new.functions.get(key)
            if target is not None and _function_needs_drop(func, target):
                self.recreated_functions.add(key)
        changed = changed_tables | self.recreated_functions
        for key in _view_order(old.views):
            view = old.views[key]
            target = new.views.get(key)
            if target is None:
                continue
            if (
                (view.definition, view.materialized) != (target.definition, target.materialized)
                or changed.intersection(view.depends_on)
                or self.recreated_relations.intersection(view.depends_on)
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
                    _default_grant("function" if func.kind == "f" else "procedure", key, "EXECUTE")
                )
        for kind, new_objects, old_objects in (
            ("type", self.new.enums, eff.enums),
            ("type", self.new.composite_types, eff.composite_types),
            ("domain", self.new.domains, eff.domains),
        ):
            for key in new_objects:
                if key not in old_objects:
                    privileges.update(_default_grant(kind, key, "USAGE"))
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
            if key not in eff.triggers or target is None or target.definition != trigger.definition:
                eff.triggers.pop(key, None)
                self.add(
                    "trigger",
                    key,
                    f"drop trigger {key}",
                    [f"DROP TRIGGER {ident(trigger.name)} ON {ddl.table_of(trigger)};"],
                    lock="SHARE ROW EXCLUSIVE",
                )
        for key in sorted(old.policies):
            policy = old.policies[key]
            target = new.policies.get(key)
            if key in eff.policies and (target is None or _policy_shape(target) != _policy_shape(policy)):
                eff.policies.pop(key)
                self.add(
                    "policy",
                    key,
                    f"drop policy {key}",
                    [f"DROP POLICY {ident(policy.name)} ON {ddl.table_of(policy)};"],
                )
        for key in reversed(_view_order(old.views)):
            if key not in new.views or key in self.recreated_relations:
                view = old.views[key]
                self.add("view", key, f"drop view {key}", [ddl.drop_view(view)])
        for key in sorted(self.recreated_relations):
            if key in old.tables:
                self.add(
                    "table",
                    key,
                    f"recreate table {key} (no ALTER can change its partitioning): its rows are lost",
                    [f"DROP TABLE {ddl.rel(old.tables[key])} CASCADE;"],
                    data_loss=True,
                )
        removed = [
            con
            for key, con in sorted(eff.constraints.items())
            if _constraint_shape(new.constraints.get(key)) != _constraint_shape(con)
        ]
        for con in sorted(removed, key=lambda c: (c.kind != "f", c.key)):
            if con.inherited_from_partition or not con.is_local or con.table_key not in new.tables:
                continue
            eff.constraints.pop(con.key)
            self.add("constraint", con.key, f"drop constraint {con.key}", [ddl.drop_constraint(con)])
        for key, index in sorted(eff.indexes.items()):
            target = new.indexes.get(key)
            if index.constraint_name or index.parent_index:
                continue
            if target is None or target.definition != index.definition or target.constraint_name:
                eff.indexes.pop(key)
                if index.table_key not in new.tables and index.table_key not in new.views:
                    continue
                concurrent = not index.is_partitioned
                self.add(
                    "index",
                    key,
                    f"drop index {key}",
                    [f"DROP INDEX {'CONCURRENTLY ' if concurrent else ''}{ddl.rel(index)};"],
                    lock="SHARE UPDATE EXCLUSIVE" if concurrent else "ACCESS EXCLUSIVE",
                    no_transaction=concurrent,
                )

    # ---- phase: schemas, extensions, types, sequences, functions ------------------------------

    def _schemas_and_extensions(self) -> None:
        for key in sorted(set(self.new.schemas) - set(self.old.schemas)):
            schema = self.new.schemas[key]
            self.add(
                "schema", key, f"create schema {key}", [f"CREATE SCHEMA {ident(schema.name)};"], lock="none"
            )
        for key in sorted(set(self.new.extensions) - set(self.old.extensions)):
            ext = self.new.extensions[key]
            self.add(
                "extension",
                key,
                f"create extension {key}",
                [f"CREATE EXTENSION IF NOT EXISTS {ident(ext.name)} WITH SCHEMA {ident(ext.schema)};"],
                lock="none",
            )

    def _enums(self) -> None:
        for key in sorted(self.new.enums):
            enum = self.new.enums[key]
            old = self.old.enums.get(key)
            name = ddl.rel(enum)
            if key not in self.eff.enums and key not in self.recreated_enums:
                labels = ", ".join(literal(label) for label in enum.labels)
                self.add(
                    "type",
                    key,
                    f"create enum {key}",
                    [f"CREATE TYPE {name} AS ENUM ({labels});"],
                    lock="none",
                )
            elif key in self.recreated_enums:
                self._recreate_enum(key, old.labels, enum.labels)  # type: ignore[union-attr]
            elif old is not None and old.labels != enum.labels:
                statements = []
                for position, label in enumerate(enum.labels):
                    if label not in old.labels:
                        anchor = (
                            f" AFTER {literal(enum.labels[position - 1])}"
                            if position
                            else f" BEFORE {literal(enum.labels[1])}"
                        )
                        statements.append(f"ALTER TYPE {name} ADD VALUE {literal(label)}{anchor};")
                self.add("type", key, f"add values to enum {key}", statements, lock="none")

    def _recreate_enum(self, key: str, old_labels: tuple[str, ...], new_labels: tuple[str, ...]) -> None:
        enum = self.new.enums[key]
        name = ddl.rel(enum)
        old_name = f"{enum.name}__old"
        statements = [
            f"ALTER TYPE {name} RENAME TO {ident(old_name)};",
            f"CREATE TYPE {name} AS ENUM ({', '.join(literal(label) for label in new_labels)});",
        ]
        for table_key in sorted(self.new.tables):
            table = self.new.tables[table_key]
            if table_key not in self.eff.tables:
                continue
            for column in table.columns.values():
                if qualify(column.type_schema, column.type_name) != key or not column.is_local:
                    continue
                target = f"ALTER TABLE {ddl.rel(table)} ALTER COLUMN {ident(column.name)}"
                old_column = self.eff.tables[table_key].columns.get(column.name)
                if old_column is not None and old_column.default_expr is not None:
                    statements.append(f"{target} DROP DEFAULT;")
                statements.append(
                    f"{target} TYPE {column.type} USING {ident(column.name)}::text::{column.type};"
                )
                if old_column is not None and old_column.default_expr is not None and column.default_expr:
                    statements.append(f"{target} SET DEFAULT {column.default_expr};")
        statements.append(f"DROP TYPE {qualified(enum.schema, old_name)};")
        lost = [label for label in old_labels if label not in new_labels]
        self.add(
            "type",
            key,
            f"recreate enum {key} (values removed or reordered)"
            + (f"; rows holding {', '.join(lost)} cannot be converted" if lost else ""),
            statements,
            rewrites=True,
            data_loss=bool(lost),
        )

    def _domains(self) -> None:
        for key in sorted(self.new.domains):
            domain = self.new.domains[key]
            old = self.old.domains.get(key)
            name = ddl.rel(domain)
            if old is not None and old.base_type != domain.base_type:
                self.add(
                    "domain",
                    key,
                    f"recreate domain {key} (base type changed)",
                    [f"DROP DOMAIN {name} CASCADE;"],
                    data_loss=True,
                )
                old = None
            if old is None:
                text = f"CREATE DOMAIN {name} AS {domain.base_type}"
                if domain.collation:
                    text += f" COLLATE {ident(domain.collation)}"
                if domain.default_expr is not None:
                    text += f" DEFAULT {domain.default_expr}"
                if domain.not_null:
                    text += " NOT NULL"
                for con_name, definition in zip(domain.constraint_names, domain.constraint_defs, strict=True):
                    text += f" CONSTRAINT {ident(con_name)} {definition}"
                self.add("domain", key, f"create domain {key}", [text + ";"], lock="none")
                continue
            statements = []
            if old.default_expr != domain.default_expr:
                statements.append(
                    f"ALTER DOMAIN {name} "
                    + (
                        f"SET DEFAULT {domain.default_expr};"
                        if domain.default_expr is not None
                        else "DROP DEFAULT;"
                    )
                )
            if old.not_null != domain.not_null:
                statements.append(f"ALTER DOMAIN {name} {'SET' if domain.not_null else 'DROP'} NOT NULL;")
            old_cons = dict(zip(old.constraint_names, old.constraint_defs, strict=True))
            new_cons = dict(zip(domain.constraint_names, domain.constraint_defs, strict=True))
            for con_name in sorted(old_cons):
                if new_cons.get(con_name) != old_cons[con_name]:
                    statements.append(f"ALTER DOMAIN {name} DROP CONSTRAINT {ident(con_name)};")
            for con_name in sorted(new_cons):
                if old_cons.get(con_name) != new_cons[con_name]:
                    statements.append(
                        f"ALTER DOMAIN {name} ADD CONSTRAINT {ident(con_name)} {new_cons[con_name]};"
                    )
            if statements:
                self.add("domain", key, f"alter domain {key}", statements, lock="SHARE")

    def _composite_types(self) -> None:
        for key in sorted(self.new.composite_types):
            ctype = self.new.composite_types[key]
            old = self.old.composite_types.get(key)
            name = ddl.rel(ctype)
            if old is None:
                attrs = ", ".join(
                    f"{ident(n)} {t}"
                    for n, t in zip(ctype.attribute_names, ctype.attribute_types, strict=True)
                )
                self.add(
                    "type", key, f"create type {key}", [f"CREATE TYPE {name} AS ({attrs});"], lock="none"
                )
                continue
            old_attrs = dict(zip(old.attribute_names, old.attribute_types, strict=True))
            new_attrs = dict(zip(ctype.attribute_names, ctype.attribute_types, strict=True))
            clauses = [f"DROP ATTRIBUTE {ident(n)}" for n in old.attribute_names if n not in new_attrs]
            clauses += [
                f"ALTER ATTRIBUTE {ident(n)} TYPE {t}"
                for n, t in new_attrs.items()
                if n in old_attrs and old_attrs[n] != t
            ]
            clauses += [f"ADD ATTRIBUTE {ident(n)} {t}" for n, t in new_attrs.items() if n not in old_attrs]
            if clauses:
                self.add(
                    "type",
                    key,
                    f"alter type {key}",
                    [f"ALTER TYPE {name} {', '.join(clauses)};"],
                    data_loss=any(c.startswith(("DROP", "ALTER")) for c in clauses),
                )

    def _sequences(self) -> None:
        for key in sorted(self.new.sequences):
            seq = self.new.sequences[key]
            if seq.is_identity:
                continue
            old = self.eff.sequences.get(key)
            if old is None:
                options = " ".join(ddl.sequence_options(seq))
                self.add(
                    "sequence",
                    key,
                    f"create sequence {key}",
                    [f"CREATE SEQUENCE {ddl.rel(seq)} {options};"],
                    lock="none",
                )
            elif _sequence_shape(old) != _sequence_shape(seq):
                options = " ".join(ddl.sequence_options(seq)).replace("START WITH", "START WITH")
                self.add(
                    "sequence",
                    key,
                    f"alter sequence {key}",
                    [f"ALTER SEQUENCE {ddl.rel(seq)} {options};"],
                    lock="none",
                )

    def _sequence_ownership(self) -> None:
        for key in sorted(self.new.sequences):
            seq = self.new.sequences[key]
            if seq.is_identity:
                continue
            old = self.eff.sequences.get(key)
            if (old.owned_by if old else None) != seq.owned_by:
                owner = "NONE"
                if seq.owned_by:
                    table_key, column = seq.owned_by.rsplit(".", 1)
                    table = self.new.tables[table_key]
                    owner = f"{ddl.rel(table)}.{ident(_unquote(column))}"
                self.add(
                    "sequence",
                    key,
                    f"set owner column of sequence {key}",
                    [f"ALTER SEQUENCE {ddl.rel(seq)} OWNED BY {owner};"],
                    lock="none",
                )

    def _functions(self, *, after_tables: bool) -> None:
        new_tables = set(self.new.tables) - set(self.eff.tables)
        for key in sorted(self.new.functions):
            func = self.new.functions[key]
            late = bool(new_tables.intersection(func.uses_tables))
            if late != after_tables:
                continue
            old = self.old.functions.get(key)
            if old is not None and old.definition == func.definition:
                continue
            statements = []
            if key in self.recreated_functions:
                statements.append(
                    f"DROP {'PROCEDURE' if old.kind == 'p' else 'FUNCTION'} {ddl.function_signature(old)};"
                )  # type: ignore[union-attr]
            statements.append(func.definition.strip() + ";")
            verb = "recreate" if statements[:-1] else ("replace" if old else "create")
            self.add("function", key, f"{verb} function {key}", statements, lock="none")

    # ---- phase: tables ------------------------------------------------------------------------

    def _tables(self) -> None:
        for key in _table_order(self.new.tables):
            table = self.new.tables[key]
            old = self.eff.tables.get(key)
            if old is None:
                self._create_table(table)
            else:
                self._alter_table(old, table)

    def _identity_sequence(self, snapshot: Snapshot, table: Table, column: Column) -> Sequence | None:
        if not column.identity:
            return None
        by_owner = self._identity_index.get(id(snapshot))
        if by_owner is None:
            by_owner = {s.owned_by: s for s in snapshot.sequences.values() if s.is_identity and s.owned_by}
            self._identity_index[id(snapshot)] = by_owner
        return by_owner.get(f"{table.key}.{_quote_key(column.name)}")

    def _create_table(self, table: Table) -> None:
        columns = [
            ddl.column_definition(col, self._identity_sequence(self.new, table, col))
            for col in sorted(table.columns.values(), key=lambda c: c.position)
            if col.is_local or not table.parents
        ]
        parents = [self._parent_name(parent) for parent in table.parents]
        statements = [ddl.create_table(table, columns, parents)]
        if table.is_partition:
            statements += self._partition_child_columns(table)
        self.add("table", table.key, f"create table {table.key}", statements)

    def _partition_child_columns(self, table: Table) -> list[str]:
        """Defaults and NOT NULL a partition sets beyond its parent's."""
        parent = self.new.tables.get(table.parents[0])
        statements = []
        for column in table.columns.values():
            base = parent.columns.get(column.name) if parent else None
            target = f"ALTER TABLE {ddl.rel(table)} ALTER COLUMN {ident(column.name)}"
            if base is not None and base.default_expr != column.default_expr and column.default_expr:
                statements.append(f"{target} SET DEFAULT {column.default_expr};")
            if base is not None and column.not_null and not base.not_null:
                statements.append(f"{target} SET NOT NULL;")
        return statements

    def _parent_name(self, key: str) -> str:
        parent = self.new.tables.get(key) or self.old.tables[key]
        return ddl.rel(parent)

    def _alter_table(self, old: Table, table: Table) -> None:
        name = ddl.rel(table)
        key = table.key
        for col_name in sorted(table.columns, key=lambda n: table.columns[n].position):
            column = table.columns[col_name]
            before = old.columns.get(col_name)
            if before is None or (key, col_name) in self.recreated_columns:
                self._add_column(table, column, replaced=before is not None)
            else:
                self._alter_column(old, table, before, column)
        for col_name in sorted(set(old.columns) - set(table.columns)):
            if not old.columns[col_name].is_local and old.parents:
                continue
            self.add(
                "column",
                f"{key}.{col_name}",
                f"drop column {key}.{col_name}",
                [f"ALTER TABLE {name} DROP COLUMN {ident(col_name)};"],
                data_loss=True,
            )
        if old.persistence != table.persistence:
            self.add(
                "table",
                key,
                f"set {key} {'UNLOGGED' if table.persistence == 'u' else 'LOGGED'}",
                [f"ALTER TABLE {name} SET {'UNLOGGED' if table.persistence == 'u' else 'LOGGED'};"],
                rewrites=True,
            )
        self._alter_parents(old, table)

    def _alter_parents(self, old: Table, table: Table) -> None:
        name = ddl.rel(table)
        if old.is_partition and (
            not table.is_partition
            or old.partition_bound != table.partition_bound
            or old.parents != table.parents
        ):
            self.add(
                "table",
                table.key,
                f"detach partition {table.key}",
                [f"ALTER TABLE {self._parent_name(old.parents[0])} DETACH PARTITION {name};"],
            )
            old = copy.copy(old)
            old.parents, old.is_partition = (), False
        if table.is_partition and not old.is_partition:
            self.add(
                "table",
                table.key,
                f"attach partition {table.key}",
                [
                    f"ALTER TABLE {self._parent_name(table.parents[0])} ATTACH PARTITION {name} {table.partition_bound};"
                ],
                lock="SHARE UPDATE EXCLUSIVE",
            )
            return
        if table.is_partition:
            return
        for parent in old.parents:
            if parent not in table.parents:
                self.add(
                    "table",
                    table.key,
                    f"{table.key} no longer inherits {parent}",
                    [f"ALTER TABLE {name} NO INHERIT {self._parent_name(parent)};"],
                )
        for parent in table.parents:
            if parent not in old.parents:
                self.add(
                    "table",
                    table.key,
                    f"{table.key} inherits {parent}",
                    [f"ALTER TABLE {name} INHERIT {self._parent_name(parent)};"],
                )

    def _add_column(self, table: Table, column: Column, *, replaced: bool) -> None:
        if not column.is_local and table.parents:
            return
        name = ddl.rel(table)
        key = f"{table.key}.{column.name}"
        statements = []
        if replaced:
            statements.append(f"ALTER TABLE {name} DROP COLUMN {ident(column.name)};")
        definition = ddl.column_definition(column, self._identity_sequence(self.new, table, column))
        # NOT NULL with no default on a table with rows would fail: add it nullable, then the safe NOT NULL path.
        needs_check = (
            column.not_null and column.default_expr is None and not column.identity and not column.generated
        )
        if needs_check:
            definition = definition.removesuffix(" NOT NULL")
        statements.append(f"ALTER TABLE {name} ADD COLUMN {definition};")
        volatile_default = column.default_expr is not None and (
            "(" in column.default_expr and "::" not in column.default_expr.split("(")[0]
        )
        self.add(
            "column",
            key,
            f"{'recreate' if replaced else 'add'} column {key}",
            statements,
            rewrites=bool(
                column.generated
                or column.identity
                or (volatile_default and not column.default_expr.startswith("nextval"))
            ),
            data_loss=replaced and not column.generated,
        )
        if needs_check:
            self._set_not_null(table, column)

    def _set_not_null(self, table: Table, column: Column) -> None:
        name = ddl.rel(table)
        check = ddl.helper_name("nn", f"{table.key}.{column.name}")
        col = ident(column.name)
        self.add(
            "column",
            f"{table.key}.{column.name}",
            f"set {table.key}.{column.name} NOT NULL through a validated check (no long exclusive lock)",
            [
                f"ALTER TABLE {name} ADD CONSTRAINT {ident(check)} CHECK ({col} IS NOT NULL) NOT VALID;",
                f"ALTER TABLE {name} VALIDATE CONSTRAINT {ident(check)};",
                f"ALTER TABLE {name} ALTER COLUMN {col} SET NOT NULL;",
                f"ALTER TABLE {name} DROP CONSTRAINT {ident(check)};",
            ],
        )

    def _alter_column(self, old_table: Table, table: Table, before: Column, column: Column) -> None:
        name = ddl.rel(table)
        key = f"{table.key}.{column.name}"
        target = f"ALTER TABLE {name} ALTER COLUMN {ident(column.name)}"
        if before.generated == "s" and not column.generated:
            self.add("column", key, f"stop generating {key}", [f"{target} DROP EXPRESSION;"])
            before = _replace(before, generated="", default_expr=None)
        type_changed = before.type != column.type or before.collation != column.collation
        enum_key = qualify(column.type_schema, column.type_name)
        if type_changed:
            rewrites, lossy = type_change_cost(before.type, column.type)
            if before.type_kind == "e" or column.type_kind == "e":
                using = f"{ident(column.name)}::text::{column.type}"
            else:
                using = f"{ident(column.name)}::{column.type}"
            collate = f" COLLATE {ident(column.collation)}" if column.collation else ""
            statements = []
            if before.default_expr is not None and not before.identity:
                statements.append(f"{target} DROP DEFAULT;")
                before = _replace(before, default_expr=None)
            statements.append(f"{target} TYPE {column.type}{collate} USING {using};")
            self.add(
                "column",
                key,
                f"change type of {key} from {before.type} to {column.type}",
                statements,
                rewrites=rewrites and before.type != column.type,
                data_loss=lossy and before.type != column.type,
            )
        elif enum_key in self.recreated_enums and before.default_expr is not None:
            before = _replace(before, default_expr=None)
        if before.identity != column.identity:
            self._alter_identity(table, before, column, target)
        elif column.identity:
            old_seq = self._identity_sequence(self.old, old_table, before)
            new_seq = self._identity_sequence(self.new, table, column)
            if old_seq and new_seq:
                clauses = ddl.identity_alterations(old_seq, new_seq)
                if old_seq.data_type != new_seq.data_type:
                    self.add(
                        "sequence",
                        new_seq.key,
                        f"identity sequence type of {key}",
                        [f"ALTER SEQUENCE {ddl.rel(new_seq)} AS {new_seq.data_type};"],
                        lock="none",
                    )
                if clauses:
                    self.add("column", key, f"identity options of {key}", [f"{target} {' '.join(clauses)};"])
        if before.default_expr != column.default_expr and not column.identity and column.generated != "s":
            if column.default_expr is None:
                self.add("column", key, f"drop default of {key}", [f"{target} DROP DEFAULT;"])
            else:
                self.add(
                    "column", key, f"set default of {key}", [f"{target} SET DEFAULT {column.default_expr};"]
                )
        if before.not_null != column.not_null:
            if column.not_null:
                self._set_not_null(table, column)
            else:
                self.add("column", key, f"drop NOT NULL of {key}", [f"{target} DROP NOT NULL;"])

    def _alter_identity(self, table: Table, before: Column, column: Column, target: str) -> None:
        key = f"{table.key}.{column.name}"
        if not column.identity:
            self.add("column", key, f"drop identity of {key}", [f"{target} DROP IDENTITY;"])
        elif not before.identity:
            seq = self._identity_sequence(self.new, table, column)
            clause = ddl.identity_clause(column, seq)
            statements = []
            if before.default_expr is not None:
                statements.append(f"{target} DROP DEFAULT;")
            statements.append(f"{target} ADD {clause};")
            self.add("column", key, f"make {key} an identity column", statements)
        else:
            when = "ALWAYS" if column.identity == "a" else "BY DEFAULT"
            self.add(
                "column", key, f"identity of {key} generated {when}", [f"{target} SET GENERATED {when};"]
            )

    # ---- phase: constraints and indexes -------------------------------------------------------

    def _constraints(self) -> None:
        wanted = [
            con
            for key, con in sorted(self.new.constraints.items())
            if key not in self.eff.constraints and con.is_local and not con.inherited_from_partition
        ]
        for con in sorted(wanted, key=lambda c: (c.kind == "f", c.key)):
            self._add_constraint(con)

    def _add_constraint(self, con: Constraint) -> None:
        existing = self.existing_table(con.table_key)
        table = self.new.tables[con.table_key]
        if not existing:
            self.add(
                "constraint",
                con.key,
                f"add constraint {con.key}",
                [ddl.add_constraint(con, not_valid=False)],
                lock="SHARE ROW EXCLUSIVE" if con.kind == "f" else "ACCESS EXCLUSIVE",
            )
            return
        if con.kind in ("c", "f") and con.validated:
            table_of = ddl.table_of(con)
            self.add(
                "constraint",
                con.key,
                f"add constraint {con.key} NOT VALID (checks new rows only, brief lock)",
                [ddl.add_constraint(con, not_valid=True)],
                lock="SHARE ROW EXCLUSIVE" if con.kind == "f" else "ACCESS EXCLUSIVE",
            )
            self.add(
                "constraint",
                con.key,
                f"validate constraint {con.key} (scans existing rows without blocking writes)",
                [f"ALTER TABLE {table_of} VALIDATE CONSTRAINT {ident(con.name)};"],
                lock="SHARE UPDATE EXCLUSIVE",
            )
            return
        index = self._constraint_index(con)
        if con.kind in ("p", "u") and index is not None and not table.is_partitioned:
            self.add(
                "index",
                index.key,
                f"build the index of {con.key} without blocking writes",
                [_concurrently(index.definition) + ";"],
                lock="SHARE UPDATE EXCLUSIVE",
                no_transaction=True,
            )
            self.add(
                "constraint",
                con.key,
                f"add constraint {con.key} using its index",
                [ddl.constraint_using_index(con, index.name)],
            )
            return
        self.add(
            "constraint", con.key, f"add constraint {con.key}", [ddl.add_constraint(con, not_valid=False)]
        )

    def _constraint_index(self, con: Constraint) -> Index | None:
        return next(
            (
                i
                for i in self.new.indexes.values()
                if i.table_key == con.table_key and i.constraint_name == con.name
            ),
            None,
        )

    def _indexes(self, *, on_views: bool = False) -> None:
        for key in sorted(self.new.indexes):
            index = self.new.indexes[key]
            if index.constraint_name or index.parent_index or key in self.eff.indexes:
                continue
            if (index.table_key in self.new.views) != on_views:
                continue
            if index.is_partitioned and self.existing_table(index.table_key):
                self._partitioned_index(index)
                continue
            concurrent = self.existing_table(index.table_key) and not index.is_partitioned
            concurrent = concurrent or (on_views and index.table_key in self.eff.views)
            definition = (
                index.definition.replace(" ON ONLY ", " ON ", 1) if index.is_partitioned else index.definition
            )
            if concurrent:
                definition = _concurrently(definition)
            self.add(
                "index",
                key,
                f"create index {key}" + (" without blocking writes" if concurrent else ""),
                [definition + ";"],
                lock="SHARE UPDATE EXCLUSIVE" if concurrent else "SHARE",
                no_transaction=concurrent,
            )

    def _partitioned_index(self, index: Index) -> None:
        """Online index on an existing partitioned table: ON ONLY the parent, each partition
        concurrently, then attach (PostgreSQL cannot build it CONCURRENTLY in one statement)."""
        self.add(
            "index",
            index.key,
            f"create index {index.key} on the parent only (instant; valid once every partition is attached)",
            [index.definition + ";"],
            lock="SHARE",
        )
        for key in sorted(self.new.indexes):
            child = self.new.indexes[key]
            if child.parent_index != index.key:
                continue
            self.add(
                "index",
                key,
                f"create partition index {key} without blocking writes",
                [_concurrently(child.definition) + ";"],
                lock="SHARE UPDATE EXCLUSIVE",
                no_transaction=True,
            )
            self.add(
                "index",
                key,
                f"attach {key} to {index.key}",
                [f"ALTER INDEX {ddl.rel(index)} ATTACH PARTITION {ddl.rel(child)};"],
                lock="SHARE UPDATE EXCLUSIVE",
            )

    # ---- phase: views, triggers, policies, comments, privileges ------------------------------

    def _views(self) -> None:
        for key in _view_order(self.new.views):
            if key in self.eff.views:
                continue
            self.add("view", key, f"create view {key}", [ddl.create_view(self.new.views[key])], lock="none")
        self._indexes(on_views=True)

    def _triggers(self) -> None:
        for key in sorted(self.new.triggers):
            trigger = self.new.triggers[key]
            old = self.eff.triggers.get(key)
            name = f"ALTER TABLE {ddl.table_of(trigger)}"
            if old is None:
                self.add(
                    "trigger",
                    key,
                    f"create trigger {key}",
                    [trigger.definition + ";"],
                    lock="SHARE ROW EXCLUSIVE",
                )
            if (old.enabled if old else "O") != trigger.enabled:
                verb = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}.get(
                    trigger.enabled, "ENABLE"
                )
                self.add(
                    "trigger",
                    key,
                    f"{verb.lower()} trigger {key}",
                    [f"{name} {verb} TRIGGER {ident(trigger.name)};"],
                    lock="SHARE ROW EXCLUSIVE",
                )

    def _policies_and_rls(self) -> None:
        for key in sorted(self.new.policies):
            if key not in self.eff.policies:
                self.add("policy", key, f"create policy {key}", [ddl.create_policy(self.new.policies[key])])
        for key in _table_order(self.new.tables):
            table = self.new.tables[key]
            old = self.eff.tables.get(key)
            name = ddl.rel(table)
            if table.rls_enabled != (old.rls_enabled if old else False):
                verb = "ENABLE" if table.rls_enabled else "DISABLE"
                self.add(
                    "table",
                    key,
                    f"{verb.lower()} row level security on {key}",
                    [f"ALTER TABLE {name} {verb} ROW LEVEL SECURITY;"],
                )
            if table.rls_forced != (old.rls_forced if old else False):
                verb = "FORCE" if table.rls_forced else "NO FORCE"
                self.add(
                    "table",
                    key,
                    f"{verb.lower()} row level security on {key}",
                    [f"ALTER TABLE {name} {verb} ROW LEVEL SECURITY;"],
                )

    def _comments(self) -> None:
        old, new, eff = self.old, self.new, self.eff
        targets: list[tuple[str, str, str | None, str | None]] = []

        def collect(
            kind_of: Callable[[object], str],
            new_objs: dict,
            old_objs: dict,
            sql_name: Callable[[object], str],
        ) -> None:
            for key in sorted(new_objs):
                obj = new_objs[key]
                before = old_objs.get(key)
                previous = before.comment if before is not None else None
                if obj.comment != previous:
                    targets.append((key, f"{kind_of(obj)} {sql_name(obj)}", obj.comment, previous))

        collect(lambda _: "SCHEMA", new.schemas, old.schemas, lambda o: ident(o.name))
        collect(lambda _: "TYPE", new.enums, eff.enums, ddl.rel)
        collect(lambda _: "TYPE", new.composite_types, old.composite_types, ddl.rel)
        collect(lambda _: "DOMAIN", new.domains, old.domains, ddl.rel)
        collect(
            lambda _: "SEQUENCE",
            {k: v for k, v in new.sequences.items() if not v.is_identity},
            eff.sequences,
            ddl.rel,
        )
        collect(
            lambda o: "FUNCTION" if o.kind == "f" else "PROCEDURE",
            new.functions,
            eff.functions,
            ddl.function_signature,
        )
        collect(lambda _: "TABLE", new.tables, eff.tables, ddl.rel)
        collect(lambda o: "MATERIALIZED VIEW" if o.materialized else "VIEW", new.views, eff.views, ddl.rel)
        collect(
            lambda _: "INDEX",
            {k: v for k, v in new.indexes.items() if not v.parent_index},
            eff.indexes,
            ddl.rel,
        )
        collect(
            lambda _: "CONSTRAINT",
            new.constraints,
            eff.constraints,
            lambda o: f"{ident(o.name)} ON {ddl.table_of(o)}",
        )
        collect(
            lambda _: "TRIGGER", new.triggers, eff.triggers, lambda o: f"{ident(o.name)} ON {ddl.table_of(o)}"
        )
        collect(
            lambda _: "POLICY", new.policies, eff.policies, lambda o: f"{ident(o.name)} ON {ddl.table_of(o)}"
        )
        for relations, old_relations in ((new.tables, eff.tables), (new.views, eff.views)):
            for key in sorted(relations):
                relation = relations[key]
                before = old_relations.get(key)
                for column in relation.columns.values() if isinstance(relation, Table) else ():
                    previous = before.columns.get(column.name) if before else None
                    if column.comment != (previous.comment if previous else None):
                        targets.append(
                            (
                                f"{key}.{column.name}",
                                f"COLUMN {ddl.rel(relation)}.{ident(column.name)}",
                                column.comment,
                                None,
                            )
                        )
        for key, target, text, _previous in targets:
            self.add("comment", key, f"comment on {target}", [ddl.comment(target, text)], lock="none")

    def _privileges(self) -> None:
        old, new = self.eff.privileges, self.new.privileges
        by_object = lambda p: p.object_key  # noqa: E731
        for key in sorted(set(old) - set(new)):
            priv = old[key]
            if self._object_exists_after(priv):
                self.add("privilege", key, f"revoke {key}", [ddl.revoke(priv, by_object(priv))], lock="none")
        for key in sorted(new):
            priv = new[key]
            before = old.get(key)
            if before is None:
                self.add("privilege", key, f"grant {key}", [ddl.grant(priv, by_object(priv))], lock="none")
            elif before.grantable != priv.grantable:
                statement = (
                    ddl.grant(priv, by_object(priv))
                    if priv.grantable
                    else ddl.revoke(priv, by_object(priv), grant_option_only=True)
                )
                self.add("privilege", key, f"grant option of {key}", [statement], lock="none")

    def _object_exists_after(self, priv: Privilege) -> bool:
        new = self.new
        relations = (new.tables, new.views)
        kinds: dict[str, tuple[dict, ...]] = {
            "schema": (new.schemas,),
            "table": relations,
            "column": relations,
            "sequence": (new.sequences,),
            "function": (new.functions,),
            "procedure": (new.functions,),
            "type": (new.enums, new.composite_types),
            "domain": (new.domains,),
        }
        return any(priv.object_key in objects for objects in kinds.get(priv.object_kind, ()))

    # ---- phase: drop what disappeared ----------------------------------------------------------

    def _drop_removed(self) -> None:
        old, new = self.old, self.new
        removed_tables = [
            k
            for k in reversed(_table_order(old.tables))
            if k not in new.tables and not self.recreated_relations.intersection(_ancestors(old.tables, k))
        ]
        removed_functions = sorted(set(old.functions) - set(new.functions))
        early = [k for k in removed_functions if set(old.functions[k].uses_tables) & set(removed_tables)]
        for key in early:
            self._drop_function(old.functions[key])
        for key in removed_tables:
            table = old.tables[key]
            self.add("table", key, f"drop table {key}", [f"DROP TABLE {ddl.rel(table)};"], data_loss=True)
        dropped_columns = {
            f"{t.key}.{_quote_key(c)}"
            for t in old.tables.values()
            for c in t.columns
            if t.key not in new.tables or c not in new.tables[t.key].columns
        }
        for key in sorted(set(self.eff.sequences) - set(new.sequences)):
            seq = old.sequences[key]
            if seq.is_identity or (seq.owned_by and seq.owned_by in dropped_columns):
                continue
            self.add("sequence", key, f"drop sequence {key}", [f"DROP SEQUENCE {ddl.rel(seq)};"], lock="none")
        for key in removed_functions:
            if key not in early:
                self._drop_function(old.functions[key])
        for kind, objects, word in (
            ("type", old.composite_types, "TYPE"),
            ("domain", old.domains, "DOMAIN"),
            ("type", old.enums, "TYPE"),
        ):
            source = (
                new.composite_types
                if objects is old.composite_types
                else new.domains
                if word == "DOMAIN"
                else new.enums
            )
            for key in sorted(set(objects) - set(source)):
                self.add(
                    kind,
                    key,
                    f"drop {word.lower()} {key}",
                    [f"DROP {word} {ddl.rel(objects[key])};"],
                    lock="none",
                )
        for key in sorted(set(old.extensions) - set(new.extensions)):
            self.add(
                "extension",
                key,
                f"drop extension {key}",
                [f"DROP EXTENSION {ident(old.extensions[key].name)};"],
                lock="none",
            )
        for key in sorted(set(old.schemas) - set(new.schemas)):
            self.add(
                "schema",
                key,
                f"drop schema {key}",
                [f"DROP SCHEMA {ident(old.schemas[key].name)};"],
                lock="none",
            )

    def _drop_function(self, func: Function) -> None:
        self.add(
            "function",
            func.key,
            f"drop function {func.key}",
            [f"DROP {'PROCEDURE' if func.kind == 'p' else 'FUNCTION'} {ddl.function_signature(func)};"],
            lock="none",
        )


# ---- helpers -------------------------------------------------------------------------------------


def _concurrently(definition: str) -> str:
    """`pg_get_indexdef` text turned into CREATE [UNIQUE] INDEX CONCURRENTLY."""
    return _CREATE_INDEX.sub(lambda m: f"CREATE {m.group(1) or ''}INDEX CONCURRENTLY ", definition)


def _replace(column: Column, **changes: object) -> Column:
    from dataclasses import replace

    return replace(column, **changes)


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _quote_key(name: str) -> str:
    from senior_backend.common.pg.quoting import quote_ident

    return quote_ident(name)


def _is_prefix_extension(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """True when `new` keeps every old label in the same relative order (so ADD VALUE suffices)."""
    return [label for label in new if label in old] == list(old)


def _needs_column_recreate(old: Column, new: Column) -> bool:
    if new.generated == "s":
        return old.generated != "s" or old.default_expr != new.default_expr
    return False


def _function_needs_drop(old: Function, new: Function) -> bool:
    return (old.result, old.kind, old.arguments) != (new.result, new.kind, new.arguments)


def _constraint_shape(con: Constraint | None) -> tuple | None:
    if con is None:
        return None
    return (con.kind, con.definition, con.deferrable, con.deferred)


def _policy_shape(policy: object) -> tuple:
    return tuple(
        getattr(policy, name) for name in ("permissive", "command", "roles", "using_expr", "check_expr")
    )


def _sequence_shape(seq: Sequence) -> tuple:
    return (seq.data_type, seq.start, seq.increment, seq.min_value, seq.max_value, seq.cache, seq.cycle)


def _default_grant(kind: str, key: str, privilege: str) -> dict[str, Privilege]:
    priv = Privilege(kind, key, None, "PUBLIC", privilege, False)
    return {priv.key: priv}


def _topological(keys: Iterable[str], requires: Callable[[str], Iterable[str]]) -> list[str]:
    """Keys ordered so that each comes after what it requires (ties broken by key, so deterministic)."""
    pending = sorted(keys)
    known = set(pending)
    done: list[str] = []
    placed: set[str] = set()

    def visit(key: str, trail: tuple[str, ...]) -> None:
        if key in placed or key in trail:
            return
        for dependency in sorted(requires(key)):
            if dependency in known:
                visit(dependency, (*trail, key))
        placed.add(key)
        done.append(key)

    for key in pending:
        visit(key, ())
    return done


def _ancestors(tables: dict[str, Table], key: str) -> set[str]:
    found: set[str] = set()
    pending = list(tables[key].parents)
    while pending:
        parent = pending.pop()
        if parent not in found:
            found.add(parent)
            pending.extend(tables[parent].parents if parent in tables else ())
    return found


def _view_order(views: dict[str, View]) -> list[str]:
    return _topological(views, lambda key: views[key].depends_on)


def _table_order(tables: dict[str, Table]) -> list[str]:
    return _topological(tables, lambda key: tables[key].parents)
