"""Schema diff phases for tables: columns, identity, partitions and inheritance, constraints, indexes.

Existing tables are altered in place with the online-safe forms (NOT VALID
then VALIDATE, SET NOT NULL through a validated check, indexes built
CONCURRENTLY, unique keys added USING INDEX).
"""

from __future__ import annotations

import copy
from dataclasses import replace

from senior_backend.common.pg.model import (
    Column,
    Constraint,
    Index,
    Sequence,
    Snapshot,
    Table,
)
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.support import (
    DifferBase,
    column_key,
    table_order,
    type_change_cost,
)


class TablePhases(DifferBase):
    """Tables, columns, constraints and indexes."""

    # ---- phase: tables ------------------------------------------------------------------------

    def _leave_lost_parents(self) -> None:
        """Kept tables leave the parents they lose before anything else (so a parent's new columns do not
        reach them, and a parent dropped or recreated does not take them along)."""
        children = sorted(k for k, t in self.eff.tables.items() if t.parents and k in self.new.tables)
        for key in children:
            self._leave_parents(self.eff.tables[key], self.new.tables[key])

    def _tables(self) -> None:
        """Tables are created or altered parents first, and join their new parents last (when both sides
        have their new columns)."""
        order = table_order(self.new.tables)
        for key in order:
            table = self.new.tables[key]
            old = self.eff.tables.get(key)
            if old is None:
                self._create_table(table)
            else:
                self._alter_table(old, table)
        for key in order:
            if self.new.tables[key].parents and key in self.eff.tables:
                self._join_parents(self.eff.tables[key], self.new.tables[key])

    def _identity_sequence(self, snapshot: Snapshot, table: Table, column: Column) -> Sequence | None:
        if not column.identity:
            return None
        by_owner = self._identity_index.get(id(snapshot))
        if by_owner is None:
            by_owner = {s.owned_by: s for s in snapshot.sequences.values() if s.is_identity and s.owned_by}
            self._identity_index[id(snapshot)] = by_owner
        return by_owner.get(column_key(table.key, column.name))

    def _create_table(self, table: Table) -> None:
        columns = [
            ddl.column_definition(col, self._identity_sequence(self.new, table, col))
            for col in sorted(table.columns.values(), key=lambda c: c.position)
            if col.is_local or not table.parents
        ]
        parents = [self._parent(parent) for parent in table.parents]
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
            if base is not None and base.default_expr != column.default_expr and column.default_expr:
                statements.append(ddl.set_default(table, column))
            if base is not None and column.not_null and not base.not_null:
                statements.append(ddl.set_not_null(table, column.name))
        return statements

    def _parent(self, key: str) -> Table:
        return self.new.tables.get(key) or self.old.tables[key]

    def _alter_table(self, old: Table, table: Table) -> None:
        key = table.key
        for col_name in sorted(table.columns, key=lambda n: table.columns[n].position):
            column = table.columns[col_name]
            before = old.columns.get(col_name)
            if before is None or (key, col_name) in self.recreated_columns:
                self._add_column(table, column, replaced=before is not None, parents=old.parents)
            elif before == column and not column.identity and column.type_kind != "e":
                continue
            else:
                self._alter_column(old, table, before, column)
        for col_name in sorted(set(old.columns) - set(table.columns)):
            if not old.columns[col_name].is_local and old.parents:
                continue  # inherited: the parent's DROP COLUMN removes it (see `_drop_column`)
            self._drop_column(table, col_name)
        if old.persistence != table.persistence:
            self.add(
                "table",
                key,
                f"set {key} {'UNLOGGED' if table.persistence == 'u' else 'LOGGED'}",
                [ddl.set_persistence(table)],
                rewrites=True,
            )

    # ---- inheritance and partitions ------------------------------------------------------------

    def _leave_parents(self, old: Table, table: Table) -> None:
        """DETACH PARTITION and NO INHERIT for the parents `table` loses; its inherited columns become
        its own (as PostgreSQL makes them), in the effective old snapshot too."""
        left = []
        if old.is_partition and (
            not table.is_partition
            or old.partition_bound != table.partition_bound
            or old.parents != table.parents
        ):
            self.add(
                "table",
                table.key,
                f"detach partition {table.key}",
                [ddl.detach_partition(self._parent(old.parents[0]), table)],
            )
            left = list(old.parents)
        elif not table.is_partition and not old.is_partition:
            for parent in old.parents:
                if parent not in table.parents:
                    left.append(parent)
                    self.add(
                        "table",
                        table.key,
                        f"{table.key} no longer inherits {parent}",
                        [ddl.inherit(table, self._parent(parent), inherits=False)],
                    )
        if left:
            kept = tuple(parent for parent in old.parents if parent not in left)
            still = {n for p in kept if p in self.eff.tables for n in self.eff.tables[p].columns}
            self._localize(old.key, set(old.columns) - still, parents=kept)

    def _join_parents(self, old: Table, table: Table) -> None:
        """ATTACH PARTITION and INHERIT for the parents `table` gains (after both have their new columns)."""
        if table.is_partition and not old.is_partition:
            self.add(
                "table",
                table.key,
                f"attach partition {table.key}",
                [ddl.attach_partition(self._parent(table.parents[0]), table)],
                lock="SHARE UPDATE EXCLUSIVE",
            )
            return
        if table.is_partition:
            return
        for parent in table.parents:
            if parent not in old.parents:
                self.add(
                    "table",
                    table.key,
                    f"{table.key} inherits {parent}",
                    [ddl.inherit(table, self._parent(parent), inherits=True)],
                )

    def _localize(self, key: str, names: set[str], *, parents: tuple[str, ...] | None = None) -> None:
        """In the effective old snapshot, the columns `names` of table `key` become its own (no longer
        inherited), and its parents become `parents` when given."""
        table = copy.copy(self.eff.tables[key])
        table.columns = {
            name: replace(col, is_local=True) if name in names else col for name, col in table.columns.items()
        }
        if parents is not None:
            table.parents = parents
            table.is_partition = table.is_partition and bool(parents)
        self.eff.tables[key] = table

    def _children(self, key: str) -> list[Table]:
        """The tables that inherit from (or are partitions of) `key` in the effective old snapshot."""
        if self._children_index is None:
            self._children_index = {}
            for table in self.old.tables.values():
                for parent in table.parents:
                    self._children_index.setdefault(parent, []).append(table.key)
        found = []
        for child in self._children_index.get(key, []):
            table = self.eff.tables.get(child)
            if table is not None and key in table.parents:
                found.append(table)
        return found

    def _descendants(self, key: str) -> list[str]:
        """The kept tables that inherit from (or are partitions of) `key`, however far down."""
        found = []
        for child in self._children(key):
            if child.key in self.new.tables:
                found += [child.key, *self._descendants(child.key)]
        return found

    def _inheritors(self, key: str, column: str) -> list[str]:
        """The kept descendants of table `key` that inherit `column` without a definition of their own
        (a recursive DROP COLUMN on `key` removes it from each, with its values)."""
        found = []
        for child in self._children(key):
            own = child.columns.get(column)
            if own is not None and not own.is_local and child.key in self.new.tables:
                found.append(child.key)
                found += self._inheritors(child.key, column)
        return found

    def _wants_column(self, key: str, column: str) -> bool:
        """True when table `key` (or a descendant that inherits it through `key`) keeps `column`."""
        if column in self.new.tables[key].columns:
            return True
        return any(
            self._wants_column(child.key, column)
            for child in self._children(key)
            if child.key in self.new.tables and column in child.columns and not child.columns[column].is_local
        )

    def _drop_column(self, table: Table, name: str) -> None:
        """DROP COLUMN, ONLY on this table when a child keeps the column (it becomes the child's own, its
        values kept); otherwise it recurses, and every child whose values go with it is named."""
        key = f"{table.key}.{name}"
        heirs = [
            child
            for child in self._children(table.key)
            if child.key in self.new.tables and name in child.columns and not child.columns[name].is_local
        ]
        if any(self._wants_column(child.key, name) for child in heirs):
            for child in heirs:
                self._localize(child.key, {name})
            kept = ", ".join(c.key for c in heirs if name in self.new.tables[c.key].columns)
            self.add(
                "column",
                key,
                f"drop column {key} from {table.key} only (kept, with its values, by {kept})",
                [ddl.drop_column(table, name, only=True)],
                data_loss=True,
            )
            return
        lost = self._inheritors(table.key, name)
        also = f" (and from {', '.join(lost)}, which inherit it: their values are lost too)" if lost else ""
        self.add(
            "column",
            key,
            f"drop column {key}{also}",
            [ddl.drop_column(table, name)],
            data_loss=True,
        )

    def _add_column(
        self, table: Table, column: Column, *, replaced: bool, parents: tuple[str, ...] = ()
    ) -> None:
        """ADD COLUMN, unless the column is inherited from a parent the table already has (`parents`),
        whose own ADD COLUMN reaches it."""
        if not column.is_local and any(
            p in self.new.tables and column.name in self.new.tables[p].columns for p in parents
        ):
            return
        key = f"{table.key}.{column.name}"
        statements = []
        if replaced:
            statements.append(ddl.drop_column(table, column.name))
        # NOT NULL with no default on a table with rows would fail: add it nullable, then the safe NOT NULL path.
        needs_check = (
            column.not_null and column.default_expr is None and not column.identity and not column.generated
        )
        sequence = self._identity_sequence(self.new, table, column)
        statements.append(ddl.add_column(table, column, sequence, nullable=needs_check))
        volatile_default = column.default_expr is not None and (
            "(" in column.default_expr and "::" not in column.default_expr.split("(")[0]
        )
        self.add(
            "column",
            key,
            f"{'recreate' if replaced else 'add'} column {key}"
            + (" (generated: recomputed from its expression)" if column.generated else ""),
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
        self.add(
            "column",
            f"{table.key}.{column.name}",
            f"set {table.key}.{column.name} NOT NULL through a validated check (no long exclusive lock)",
            ddl.set_not_null_checked(table, column.name),
        )

    def _alter_column(self, old_table: Table, table: Table, before: Column, column: Column) -> None:
        key = f"{table.key}.{column.name}"
        if before.generated == "s" and not column.generated:
            self.add("column", key, f"stop generating {key}", [ddl.drop_expression(table, column.name)])
            before = replace(before, generated="", default_expr=None)
        parent = self._parent_column(old_table, before)
        # an inherited column's type follows its parent's ALTER (PostgreSQL refuses it on the child)
        type_changed = parent is None and (before.type != column.type or before.collation != column.collation)
        if type_changed:
            rewrites, lossy = type_change_cost(before.type, column.type)
            via = "text" if before.type_kind == "e" or column.type_kind == "e" else None
            statements = []
            if before.default_expr is not None and not before.identity:
                statements.append(ddl.drop_default(table, column.name))
                before = replace(before, default_expr=None)
            statements.append(ddl.alter_column_type(table, column, via=via))
            lossy = lossy and before.type != column.type
            heirs = self._descendants(table.key) if lossy and before.is_local else []
            self.add(
                "column",
                key,
                f"change type of {key} from {before.type} to {column.type}"
                + (f" (in {', '.join(heirs)} too, which inherit it)" if heirs else ""),
                statements,
                rewrites=rewrites and before.type != column.type,
                data_loss=lossy,
            )
        if column.identity and not before.identity and column.not_null and not before.not_null:
            # ADD GENERATED needs a NOT NULL column (the reverse order, DROP IDENTITY before DROP NOT NULL,
            # is the one below)
            self._set_not_null(table, column)
            before = replace(before, not_null=True)
        if before.identity != column.identity:
            self._alter_identity(table, before, column)
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
                        [ddl.sequence_type(new_seq)],
                        lock="none",
                    )
                if clauses:
                    self.add(
                        "column",
                        key,
                        f"identity options of {key}",
                        [ddl.alter_identity(table, column.name, clauses)],
                    )
        if before.default_expr != column.default_expr and not column.identity and column.generated != "s":
            if column.default_expr is None:
                self.add("column", key, f"drop default of {key}", [ddl.drop_default(table, column.name)])
            else:
                self.add("column", key, f"set default of {key}", [ddl.set_default(table, column)])
        if parent is not None and parent[0].not_null != parent[1].not_null == column.not_null:
            before = replace(before, not_null=column.not_null)  # the parent's SET/DROP NOT NULL reaches it
        if before.not_null != column.not_null:
            if column.not_null:
                self._set_not_null(table, column)
            else:
                self.add("column", key, f"drop NOT NULL of {key}", [ddl.drop_not_null(table, column.name)])

    def _parent_column(self, old_table: Table, column: Column) -> tuple[Column, Column] | None:
        """For a column inherited (not defined by the table itself) from a parent it keeps: that parent's
        column before and after, whose ALTERs recurse to it; None otherwise."""
        if column.is_local:
            return None
        for key in old_table.parents:
            before, after = self.eff.tables.get(key), self.new.tables.get(key)
            if (
                before is not None
                and after is not None
                and column.name in before.columns.keys() & after.columns
            ):
                return before.columns[column.name], after.columns[column.name]
        return None

    def _alter_identity(self, table: Table, before: Column, column: Column) -> None:
        key = f"{table.key}.{column.name}"
        if not column.identity:
            self._drop_identity(table, before, column)
        elif not before.identity:
            self._make_identity(table, before, column)
        else:
            when = ddl.identity_generated(column)
            self.add("column", key, f"identity of {key} generated {when}", [ddl.set_generated(table, column)])

    def _drop_identity(self, table: Table, before: Column, column: Column) -> None:
        """DROP IDENTITY; when a serial sequence of the identity sequence's name is wanted instead
        (identity -> serial), it is created after, owned by the column and numbering past its rows."""
        key = f"{table.key}.{column.name}"
        statements = [ddl.drop_identity(table, column.name)]
        identity = self._identity_sequence(self.old, self.old.tables[table.key], before)
        serial = self.new.sequences.get(identity.key) if identity else None
        if serial is not None and not serial.is_identity:
            statements += [
                ddl.create_sequence(serial),
                ddl.sequence_owned_by(serial, table, column.name),
                ddl.restart_past_rows(table, column.name, serial),
            ]
        self.add("column", key, f"drop identity of {key}", statements)

    def _make_identity(self, table: Table, before: Column, column: Column) -> None:
        """ADD GENERATED on a column that holds rows: its sequence restarts past them. A serial sequence
        of the identity sequence's name (serial -> identity) is renamed away first, its last value kept
        as a floor, then dropped."""
        key = f"{table.key}.{column.name}"
        seq = self._identity_sequence(self.new, table, column)
        serial = self.old.sequences.get(seq.key) if seq else None
        replaced = None
        statements = []
        if before.default_expr is not None:
            statements.append(ddl.drop_default(table, column.name))
        if seq is not None and serial is not None and not serial.is_identity:
            rename, replaced = ddl.sequence_aside(serial)
            statements.append(rename)
        statements.append(ddl.add_identity(table, column, seq))
        if seq is None or seq.increment > 0:
            statements.append(ddl.restart_past_rows(table, column.name, seq, replaced))
        if replaced:
            statements.append(f"DROP SEQUENCE {replaced};")
        self.add("column", key, f"make {key} an identity column (numbering past its rows)", statements)

    # ---- phase: constraints and indexes -------------------------------------------------------

    def _constraints(self, *, foreign: bool) -> None:
        """Add the constraints `eff` lacks: the others before the indexes, the foreign keys (`foreign`)
        after them, since a foreign key needs the unique index or key it references."""
        for key, con in sorted(self.new.constraints.items()):
            if (
                key not in self.eff.constraints
                and con.is_local
                and not con.inherited_from_partition
                and (con.kind == "f") == foreign
            ):
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
        if con.kind == "f" and con.validated and table.is_partitioned:
            self.add(  # PostgreSQL refuses a NOT VALID foreign key on a partitioned table
                "constraint",
                con.key,
                f"add constraint {con.key} (checks every partition's rows while holding the lock)",
                [ddl.add_constraint(con, not_valid=False)],
                lock="SHARE ROW EXCLUSIVE",
            )
            return
        if con.kind in ("c", "f") and con.validated:
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
                [ddl.validate_constraint(con)],
                lock="SHARE UPDATE EXCLUSIVE",
            )
            return
        index = self._constraint_index(con)
        if con.kind in ("p", "u") and index is not None and not table.is_partitioned:
            self.add(
                "index",
                index.key,
                f"build the index of {con.key} without blocking writes",
                [ddl.create_index(index, concurrently=True)],
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
            self.add(
                "index",
                key,
                f"create index {key}" + (" without blocking writes" if concurrent else ""),
                [ddl.create_index(index, concurrently=concurrent, whole_tree=True)],
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
            [ddl.create_index(index)],
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
                [ddl.create_index(child, concurrently=True)],
                lock="SHARE UPDATE EXCLUSIVE",
                no_transaction=True,
            )
            self.add(
                "index",
                key,
                f"attach {key} to {index.key}",
                [ddl.attach_index(index, child)],
                lock="SHARE UPDATE EXCLUSIVE",
            )
