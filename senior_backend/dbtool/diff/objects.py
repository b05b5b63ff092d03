"""Schema diff phases for everything around tables: schemas, extensions, types, sequences, functions,
views, triggers, policies and row-level security, comments and privileges."""

from __future__ import annotations

from collections.abc import Callable

from senior_backend.common.diagnostics import error
from senior_backend.common.pg.model import (
    Extension,
    Privilege,
    Table,
)
from senior_backend.common.pg.quoting import ident, literal
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.support import (
    DifferBase,
    _collation_shape,
    _sequence_shape,
    _table_order,
    _unquote,
    _view_order,
)


class ObjectPhases(DifferBase):
    """Types, sequences, functions, views, triggers, policies, comments, privileges."""

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
        for key in sorted(set(self.new.extensions) & set(self.old.extensions)):
            self._extension_version(self.old.extensions[key], self.new.extensions[key])

    def _extension_version(self, old: Extension, ext: Extension) -> None:
        """ALTER EXTENSION .. UPDATE along an update path; without one (most extensions ship no downgrade
        scripts) drop and create it at that version, which only works while nothing outside it uses it."""
        if old.version == ext.version:
            return
        change = f"extension {ext.name} from version {old.version} to {ext.version}"
        if ext.version in old.update_targets:
            statements = [f"ALTER EXTENSION {ident(ext.name)} UPDATE TO {literal(ext.version)};"]
            self.add("extension", ext.name, f"update {change}", statements, lock="none")
        elif not old.in_use:
            statements = [
                f"DROP EXTENSION {ident(ext.name)};",
                f"CREATE EXTENSION {ident(ext.name)} WITH SCHEMA {ident(ext.schema)} VERSION {literal(ext.version)};",
            ]
            self.add("extension", ext.name, f"recreate {change} (no update path)", statements, lock="none")
        else:
            self.refusals.append(
                error(
                    "extension-no-update-path",
                    f"{change}: PostgreSQL has no update path and objects outside the extension use it",
                )
            )

    def _collations(self) -> None:
        for key in sorted(self.new.collations):
            collation = self.new.collations[key]
            old = self.old.collations.get(key)
            if old is not None and _collation_shape(old) == _collation_shape(collation):
                continue
            statements = [f"DROP COLLATION {ddl.rel(old)};"] if old is not None else []
            statements.append(ddl.create_collation(collation))
            self.add(
                "collation",
                key,
                f"{'recreate' if old else 'create'} collation {key}",
                statements,
                lock="none",
            )

    def _domains(self) -> None:
        for key in sorted(self.new.domains):
            domain = self.new.domains[key]
            old = self.eff.domains.get(key)
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
                self.add("domain", key, f"create domain {key}", [ddl.create_domain(domain)], lock="none")
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
            replaced = self.function_replaces.get(key)
            if replaced is not None:
                statements.append(ddl.drop_function(replaced))
            statements.append(func.definition.strip() + ";")
            verb = "recreate" if statements[:-1] else ("replace" if old else "create")
            self.add("function", key, f"{verb} function {key}", statements, lock="none")

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
        collect(lambda _: "DOMAIN", new.domains, eff.domains, ddl.rel)
        collect(lambda _: "COLLATION", new.collations, old.collations, ddl.rel)
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
            after = self._object_after(priv)
            # The desired owner's own privileges are implicit (not listed); ALTER OWNER has given them.
            if after is not None and priv.grantee != getattr(after, "owner", None):
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

    def _object_after(self, priv: Privilege) -> object | None:
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
        return next(
            (
                objects[priv.object_key]
                for objects in kinds.get(priv.object_kind, ())
                if priv.object_key in objects
            ),
            None,
        )
