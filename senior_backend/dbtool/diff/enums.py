"""Schema diff phase for enums: values added in place, or the type renamed and recreated.

ALTER TYPE can only add values; when values are removed or reordered the old
type is renamed away, the new one created, and everything that uses the old
one moved over inside the same change, from what the catalog says uses it
(`Enum.used_by`): columns of the enum, of an array of it or of a domain over
it are converted through text; domains over it are recreated on the new type;
defaults, constraints and indexes whose expressions name its values are
dropped first (indexes CONCURRENTLY) and recreated after by the ordinary
phases; views are recreated. Anything else (a function signature, a
composite type attribute, a column the migration drops) is refused, named,
and no SQL is written for that enum.
"""

from __future__ import annotations

from dataclasses import replace

from senior_backend.common.diagnostics import error
from senior_backend.common.pg.model import Column, Enum
from senior_backend.common.pg.quoting import qualify
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.kinds import DOMAIN, ENUM
from senior_backend.dbtool.diff.support import DifferBase, default_grant


def enum_users(enum: Enum, kind: str) -> list[str]:
    """Keys of the objects of one kind (`column`, `domain`, `view`, ...) that use an enum."""
    return [entry.split(" ", 1)[1] for entry in enum.used_by if entry.split(" ", 1)[0] == kind]


class EnumPhases(DifferBase):
    """Enums: created, extended with ADD VALUE, or recreated with what uses them."""

    def _enums(self) -> None:
        for key in sorted(self.new.enums):
            enum = self.new.enums[key]
            old = self.old.enums.get(key)
            if key not in self.eff.enums and key not in self.recreated_enums:
                self.add("type", key, f"create enum {key}", [ddl.create_enum(enum)], lock="none")
            elif key in self.recreated_enums:
                self._recreate_enum(self.old.enums[key], enum)
            elif old is not None and old.labels != enum.labels:
                statements = ddl.add_enum_values(old, enum)
                # Outside the transaction: a value added in a transaction cannot be used before it commits,
                # and the defaults and checks later in the migration may use it.
                self.add(
                    "type",
                    key,
                    f"add values to enum {key} (committed first, so the migration can use them)",
                    statements,
                    lock="none",
                    no_transaction=True,
                )

    def _recreate_enum(self, old: Enum, enum: Enum) -> None:
        key = enum.key
        refused = self._enum_refusals(old, enum)
        if refused:
            self.refusals.extend(error("enum-in-use", reason) for reason in refused)
            return
        old_name = f"{enum.name}__old"
        first: list[str] = []
        statements = [ddl.rename(ENUM, enum, old_name), ddl.create_enum(enum)]
        last: list[str] = []
        for domain_key in enum_users(old, "domain"):
            domain = self.new.domains[domain_key]
            old_domain = f"{domain.name}__old"
            statements += [ddl.rename(DOMAIN, domain, old_domain), ddl.create_domain(domain)]
            last.append(ddl.drop_renamed(DOMAIN, domain, old_domain))
            self._domain_recreated(domain_key)
        for column_key in enum_users(old, "default"):
            table, column = self.old_column(column_key)  # type: ignore[misc]  # refused when None
            if table.key in self.eff.tables and self.eff.tables[table.key].columns[column.name].default_expr:
                first.append(ddl.drop_default(table, column.name))
                self.forget_default(table.key, column.name)
        for con_key in enum_users(old, "constraint"):
            con = self.eff.constraints.pop(con_key, None)
            if con is not None and con.is_local and not con.inherited_from_partition:
                first.append(ddl.drop_constraint(con))
        for index_key in enum_users(old, "index"):
            index = self.eff.indexes.pop(index_key, None)
            if index is not None and not index.parent_index:
                self.drop_index(index, f"names values of enum {key}, recreated; built again after")
        for column_key in enum_users(old, "column"):
            table, column = self.old_column(column_key)  # type: ignore[misc]
            if table.key in self.recreated_relations or (not column.is_local and table.parents):
                continue
            wanted = self.new.tables[table.key].columns[column.name]
            via = "text[]" if column.type.endswith("[]") else "text"
            statements.append(ddl.alter_column_type(table, wanted, via=via))
        statements += last
        statements.append(ddl.drop_renamed(ENUM, enum, old_name))
        lost = [label for label in old.labels if label not in enum.labels]
        self.add(
            "type",
            key,
            f"recreate enum {key} (values removed or reordered)"
            + (f"; rows holding {', '.join(lost)} cannot be converted" if lost else ""),
            first + statements,
            rewrites=True,
            data_loss=bool(lost),
        )

    def _enum_refusals(self, old: Enum, enum: Enum) -> list[str]:
        """Why the enum cannot be recreated safely (empty when it can)."""
        why = f"enum {enum.key} must be recreated (values removed or reordered), but"
        found = [
            f"{why} {entry.split(' ', 1)[1]} uses it" for entry in old.used_by if entry.startswith("other ")
        ]
        domains = enum_users(old, "domain")
        found += [
            f"{why} the default of {key} (not a table column) uses it"
            for key in enum_users(old, "default")
            if self.old_column(key) is None
        ]
        for domain_key in domains:
            if domain_key not in enum_users(enum, "domain"):
                found.append(f"{why} domain {domain_key} over it is changed or dropped in the same migration")
        for column_key in enum_users(old, "column"):
            located = self.old_column(column_key)
            if located is None:
                continue
            table, column = located
            if table.key in self.recreated_relations:
                continue
            wanted = self.new.tables.get(table.key)
            target = wanted.columns.get(column.name) if wanted else None
            if target is None or target.type != column.type or not self._uses_enum(old, column, domains):
                found.append(
                    f"{why} column {column_key} uses it and changes type or is dropped in the same migration"
                )
        return found

    @staticmethod
    def _uses_enum(enum: Enum, column: Column, domains: list[str]) -> bool:
        """The column's type is the enum, an array of it, or a domain over it (the shapes converted through text)."""
        type_key = qualify(column.type_schema, column.type_name)
        array_of = column.type_schema == enum.schema and column.type_name == f"_{enum.name}"
        return type_key == enum.key or array_of or type_key in domains

    def _domain_recreated(self, key: str) -> None:
        """The effective old snapshot holds the recreated domain as new: no comment, grants or owner yet."""
        self.eff.domains = {**self.eff.domains, key: replace(self.new.domains[key], comment=None, owner="")}
        privileges = {k: v for k, v in self.eff.privileges.items() if v.object_key != key}
        privileges.update(default_grant("domain", key, "USAGE"))
        self.eff.privileges = privileges
