"""Schema diff phase for enums: values added in place, or the type renamed and recreated.

ALTER TYPE can only add values; when values are removed or reordered the old
type is renamed away, the new one created, and everything that uses the old
one moved over inside the same change, from what the catalog says uses it
(`Enum.used_by`): columns of the enum, of an array of it or of a domain over
it are converted through text; domains over it are recreated on the new type;
defaults, constraints and indexes whose expressions name its values are
dropped first (indexes CONCURRENTLY) and recreated after by the ordinary
phases; views are recreated. Columns the migration drops (alone or with
their table) keep the old type until then: the renamed type is dropped after
them, at the end; functions it drops whose signature uses the type are
dropped before the rename. Anything else (the signature of a function that
stays, a composite type attribute, a column that changes type) is refused,
named, and no SQL is written for that enum.
"""

from __future__ import annotations

from dataclasses import replace

from senior_backend.common.diagnostics import error
from senior_backend.common.pg.model import Column, Enum, Function
from senior_backend.common.pg.quoting import qualify, quote_ident
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.changes import Change
from senior_backend.dbtool.diff.kinds import DOMAIN, ENUM, FUNCTION
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
        for func in self._dropped_functions_using(old).values():
            # dropped before the rename gives the name in its signature to the new type
            self.dropped_functions.add(func.key)
            self.add(
                "function",
                func.key,
                f"drop function {func.key} (before enum {key}, which its signature uses, is recreated)",
                [ddl.drop(FUNCTION, func)],
                lock="none",
            )
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
        doomed = []  # columns the migration drops (alone or with their table): they keep the old type till then
        for column_key in enum_users(old, "column"):
            table, column = self.old_column(column_key)  # type: ignore[misc]
            if table.key in self.recreated_relations or (not column.is_local and table.parents):
                continue
            wanted = self.new.tables.get(table.key)
            if wanted is None or column.name not in wanted.columns:
                doomed.append(column_key)
                continue
            via = "text[]" if column.type.endswith("[]") else "text"
            statements.append(ddl.alter_column_type(table, wanted.columns[column.name], via=via))
        drops = [*last, ddl.drop_renamed(ENUM, enum, old_name)]
        if doomed:
            why = f"drop the replaced enum {key} (after {', '.join(doomed)}, which used it, are dropped)"
            self.late_drops.append(Change("type", key, why, drops, lock="none"))
        else:
            statements += drops
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
        dropped = self._dropped_functions_using(old)
        found = [
            f"{why} {entry.split(' ', 1)[1]} uses it"
            for entry in old.used_by
            if entry.startswith("other ") and entry not in dropped
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
            if target is None:
                continue  # dropped by this migration: the old type is dropped after it
            if target.type != column.type or not self._uses_enum(old, column, domains):
                found.append(f"{why} column {column_key} uses it and changes type in the same migration")
        return found

    def _dropped_functions_using(self, enum: Enum) -> dict[str, Function]:
        """The functions this migration drops whose signature uses the enum (its `other` users, as
        PostgreSQL describes them), when nothing else uses them, by their `used_by` entry."""
        used = {dep.function_key for dep in self.old.function_dependents.values()}
        entries = {_spaceless(entry): entry for entry in enum.used_by if entry.startswith("other ")}
        found = {}
        for key, func in self.old.functions.items():
            if key in self.new.functions or key in self.recreated_functions or key in used:
                continue
            for word in ("function", "procedure"):
                for name in (quote_ident(func.name), qualify(func.schema, func.name)):
                    entry = entries.get(_spaceless(f"other {word} {name}({func.arg_types or ''})"))
                    if entry is not None:
                        found[entry] = func
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


def _spaceless(text: str) -> str:
    """`text` without spaces (PostgreSQL describes a routine as `function f(integer,mood)`)."""
    return text.replace(" ", "")
