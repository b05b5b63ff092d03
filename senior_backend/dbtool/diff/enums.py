"""Schema diff phase for enums: values added in place, or the type renamed and recreated.

ALTER TYPE can only add values; when values are removed or reordered the old
type is renamed away, the new one created, and everything that uses the old
one moved over inside the same change, from what the catalog says uses it
(`Enum.used_by`), in dependency order: functions whose signature or SQL body
uses it (or a domain or composite type recreated with it) are dropped before
the rename (the ones that stay are created again by the functions phase, after
what they use); domains over it, and domains built on those, are recreated
on the new type, each after its base; composite types with an attribute of it
are renamed away and created again; columns of the enum, of an array of it,
of such a domain or composite type are converted through text; defaults,
constraints and indexes whose expressions name its values (and the defaults
of converted columns) are dropped first (indexes CONCURRENTLY) and recreated
after by the ordinary phases; views are recreated. Columns the migration
drops (alone or with their table) or gives another type keep the old type
until their own change: the renamed types are then dropped at the end. What
else uses it (a range type, a composite type built on a recreated one, a
domain over it dropped or moved off it in the same migration) is refused,
named, and no SQL is written for that enum. Rows holding a removed value stop
the migration; the change is marked as data loss, naming those values.
"""

from __future__ import annotations

import re
from dataclasses import replace

from senior_backend.common.diagnostics import error
from senior_backend.common.pg.model import Column, CompositeType, Domain, Enum, Function
from senior_backend.common.pg.quoting import qualify, quote_ident
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.changes import Change
from senior_backend.dbtool.diff.kinds import COMPOSITE_TYPE, DOMAIN, ENUM, FUNCTION
from senior_backend.dbtool.diff.support import DifferBase, default_grant, domain_bases, domain_order


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
        gone = {c.key for c in self.changes if c.kind == "function"}  # dropped before another enum
        for func in {f.key: f for f in self._functions_using(old).values() if f.key not in gone}.values():
            # dropped before the rename gives the name in its signature to the new type; a function
            # that stays is created again by the functions phase (recreated_functions)
            kept = func.key in self.recreated_functions
            if not kept:
                self.dropped_functions.add(func.key)
            for new_key in [k for k, f in self.function_replaces.items() if f.key == func.key]:
                del self.function_replaces[new_key]
            self.add(
                "function",
                func.key,
                f"drop function {func.key} (before enum {key}, which it uses, is recreated"
                + ("; created again after)" if kept else ")"),
                [ddl.drop(FUNCTION, func)],
                lock="none",
            )
        statements = [ddl.rename(ENUM, enum, old_name), ddl.create_enum(enum)]
        first_drops: list[str] = []  # the replaced composite types, then domains, then the enum
        last: list[str] = []
        converted = set(enum_users(old, "column"))
        nested = self._nested_domains(old)
        for domain_key in [*enum_users(old, "domain"), *nested]:
            # each after the domain it is built on; dropped in the reverse order
            domain = self.new.domains[domain_key]
            old_domain = f"{domain.name}__old"
            statements += [ddl.rename(DOMAIN, domain, old_domain), ddl.create_domain(domain)]
            last.insert(0, ddl.drop_renamed(DOMAIN, domain, old_domain))
            self._domain_recreated(domain_key)
        converted.update(c for k in nested for c in self._columns_of_type(self.old.domains[k]))
        for ctype in self._composites_using(old).values():
            # renamed away and created again on the new enum; its columns are converted through text below
            target = self.new.composite_types[ctype.key]
            old_type = f"{ctype.name}__old"
            statements += [ddl.rename(COMPOSITE_TYPE, target, old_type), ddl.create_composite_type(target)]
            first_drops.append(ddl.drop_renamed(COMPOSITE_TYPE, target, old_type))
            converted.update(self._columns_of_type(ctype))
            self.eff.composite_types = {
                **self.eff.composite_types,
                ctype.key: replace(target, comment=None, owner=""),
            }
            self.eff.privileges = {
                **{k: v for k, v in self.eff.privileges.items() if v.object_key != ctype.key},
                **default_grant("type", ctype.key, "USAGE"),
            }
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
        # columns the migration drops (alone or with their table), or gives another type: they keep the old
        # type until their own phase, and the replaced types are dropped after it
        later = []
        for column_key in sorted(converted):
            table, column = self.old_column(column_key)  # type: ignore[misc]
            if table.key in self.recreated_relations or (not column.is_local and table.parents):
                continue
            wanted = self.new.tables.get(table.key)
            target = wanted.columns.get(column.name) if wanted else None
            if target is None or target.type != column.type:
                later.append(column_key)
                continue
            current = self.eff.tables.get(table.key)
            if current is not None and current.columns[column.name].default_expr:
                # a default cannot be cast with the column (one of a composite type or a domain of it)
                statements.append(ddl.drop_default(table, column.name))
                self.forget_default(table.key, column.name)
            via = "text[]" if column.type.endswith("[]") else "text"
            statements.append(ddl.alter_column_type(table, target, via=via))
        drops = [*first_drops, *last, ddl.drop_renamed(ENUM, enum, old_name)]
        if later:
            why = f"drop the replaced enum {key} (after {', '.join(later)}, which used it, are dropped or changed)"
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
        handled = {**self._functions_using(old), **self._composites_using(old)}
        nested = self._nested_domains(old)
        for key in nested:
            domain = self.old.domains[key]
            for name in (quote_ident(domain.name), qualify(domain.schema, domain.name)):
                handled[f"other type {name}"] = domain
            for con in domain.constraint_names:
                handled[f"other constraint {quote_ident(con)}"] = domain
                handled[f"other constraint {con}"] = domain
        found = [
            f"{why} {entry.split(' ', 1)[1]} uses it"
            for entry in old.used_by
            if entry.startswith("other ") and entry not in handled
        ]
        for ctype in self._composites_using(old).values():
            target = self.new.composite_types.get(ctype.key)
            if target is None or (target.attribute_names, target.attribute_types) != (
                ctype.attribute_names,
                ctype.attribute_types,
            ):
                found.append(
                    f"{why} composite type {ctype.key} over it is changed or dropped in the same migration"
                )
        built_on = self._built_on(old)
        found += [
            f"{why} composite type {ctype.key} uses {', '.join(sorted(t.key for t in built_on))}, recreated with it"
            for ctype in self.old.composite_types.values()
            if ctype not in built_on and _names_any(",".join(ctype.attribute_types), built_on)
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
        for domain_key in nested:
            if domain_key not in self.new.domains:
                found.append(f"{why} domain {domain_key} built on it is dropped in the same migration")
        domains = [*domains, *nested]
        for column_key in enum_users(old, "column"):
            located = self.old_column(column_key)
            if located is None or located[0].key in self.recreated_relations:
                continue
            table, column = located
            wanted = self.new.tables.get(table.key)
            target = wanted.columns.get(column.name) if wanted else None
            if (
                target is not None
                and target.type == column.type
                and not self._uses_enum(old, column, domains)
            ):
                found.append(f"{why} column {column_key} uses it in a shape the diff cannot convert")
        return found

    def _functions_using(self, enum: Enum) -> dict[str, Function]:
        """The functions (by their `used_by` entry: PostgreSQL describes them as `other function f(mood)`)
        whose signature or SQL-standard body uses the enum, that this migration drops (when nothing else
        uses them) or keeps (`recreated_functions`: dropped before the enum is recreated, created after)."""
        used = {dep.function_key for dep in self.old.function_dependents.values()}
        entries = {_spaceless(entry): entry for entry in enum.used_by if entry.startswith("other ")}
        found = {}
        for key, func in self.old.functions.items():
            dropped = key not in self.new.functions and key not in self.recreated_functions
            if dropped and key in used:
                continue
            for word in ("function", "procedure"):
                for name in (quote_ident(func.name), qualify(func.schema, func.name)):
                    entry = entries.get(_spaceless(f"other {word} {name}({func.arg_types or ''})"))
                    if entry is not None:
                        found[entry] = func
            if not dropped and _names_any(
                f"{func.arg_types or ''},{_result_types(func.result or '')}", self._built_on(enum)
            ):
                found[f"signature {key}"] = (
                    func  # its signature uses a domain or composite type recreated with it
                )
        return found

    def _built_on(self, enum: Enum) -> list[CompositeType | Domain]:
        """The domains and composite types recreated with the enum."""
        domains = [*enum_users(enum, "domain"), *self._nested_domains(enum)]
        built: list[CompositeType | Domain] = [self.old.domains[k] for k in domains if k in self.old.domains]
        return built + list(self._composites_using(enum).values())

    def _composites_using(self, enum: Enum) -> dict[str, CompositeType]:
        """The composite types with an attribute of the enum, by their `used_by` entry
        (`other column m of composite type reading`)."""
        found = {}
        for ctype in self.old.composite_types.values():
            names = {
                f" of composite type {quote_ident(ctype.name)}",
                f" of composite type {qualify(ctype.schema, ctype.name)}",
            }
            for entry in enum.used_by:
                if entry.startswith("other column ") and any(entry.endswith(n) for n in names):
                    found[entry] = ctype
        return found

    def _nested_domains(self, enum: Enum) -> list[str]:
        """The domains built on a domain over the enum (at any depth), each after its base."""
        found = set(enum_users(enum, "domain"))
        bases = domain_bases(self.old.domains)
        nested = []
        for key in domain_order(self.old.domains):
            if key not in found and found.intersection(bases[key]):
                found.add(key)
                nested.append(key)
        return nested

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


def _result_types(result: str) -> str:
    """The types a function returns, comma-separated: `TABLE(r reading, "the label" text)` gives
    `reading,text` (pg_get_function_result's spelling); any other result as it is."""
    if not (result.startswith("TABLE(") and result.endswith(")")):
        return result
    columns = re.split(r',\s*(?=(?:[^"]*"[^"]*")*[^"]*$)(?![^(]*\))', result[len("TABLE(") : -1])
    return ",".join(re.sub(r'^\s*(?:"(?:[^"]|"")*"|[^\s"]+)\s+', "", column) for column in columns)


def _names_any(types: str, objects: list[CompositeType | Domain]) -> bool:
    """Whether a comma-separated list of type names (as format_type spells them) names one of the objects."""
    spelled = {n for o in objects for n in (quote_ident(o.name), qualify(o.schema, o.name))}
    return any(part.strip().removesuffix("[]") in spelled for part in re.split(r",|\bSETOF\b", types))
