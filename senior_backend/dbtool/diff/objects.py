"""Schema diff phases for everything around tables: schemas, extensions, types, sequences, functions,
views, triggers, policies and row-level security, comments and privileges."""

from __future__ import annotations

from senior_backend.common.diagnostics import error, warning
from senior_backend.common.pg.model import Column, Extension, Privilege, Table
from senior_backend.common.pg.quoting import unquote
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.changes import Change
from senior_backend.dbtool.diff.kinds import (
    COLLATION,
    DOMAIN,
    EXTENSION,
    FUNCTION,
    KINDS,
    SEQUENCE,
    granted_on,
)
from senior_backend.dbtool.diff.support import (
    DifferBase,
    domain_order,
    domains_calling,
    table_order,
    type_change_cost,
    view_order,
)

# Objects of these kinds that carry no comment of their own: identity sequences, partition indexes.
_COMMENT_SKIPS = {
    "sequences": lambda seq: seq.is_identity,
    "indexes": lambda index: index.parent_index,
}


class ObjectPhases(DifferBase):
    """Types, sequences, functions, views, triggers, policies, comments, privileges."""

    # ---- phase: schemas, extensions, types, sequences, functions ------------------------------

    def _schemas_and_extensions(self) -> None:
        for key in sorted(set(self.new.schemas) - set(self.old.schemas)):
            schema = self.new.schemas[key]
            self.add("schema", key, f"create schema {key}", [ddl.create_schema(schema)], lock="none")
        for key in sorted(set(self.new.extensions) - set(self.old.extensions)):
            ext = self.new.extensions[key]
            self.add(
                "extension",
                key,
                f"create extension {key}",
                [ddl.create_extension(ext)],
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
            statements = [ddl.update_extension(ext)]
            self.add("extension", ext.name, f"update {change}", statements, lock="none")
        elif not old.in_use:
            statements = [ddl.drop(EXTENSION, ext), ddl.create_extension(ext)]
            self.add(
                "extension",
                ext.name,
                f"recreate {change} (no update path; its data goes with it)",
                statements,
                lock="none",
                data_loss=True,
            )
        else:
            self.refusals.append(
                error(
                    "extension-no-update-path",
                    f"{change}: PostgreSQL has no update path and objects outside the extension use it",
                )
            )

    def _collations(self) -> None:
        """Create collations; one whose definition changes is renamed away, created anew, the columns that
        use it moved to the new one (ALTER COLUMN TYPE, same type), and the old one dropped at the end."""
        for key in sorted(self.new.collations):
            collation = self.new.collations[key]
            old = self.old.collations.get(key)
            if COLLATION.same(old, collation):
                continue
            if old is None:
                self.add(
                    "collation",
                    key,
                    f"create collation {key}",
                    [ddl.create_collation(collation)],
                    lock="none",
                )
                continue
            renamed = f"{old.name}__old"
            statements = [ddl.rename(COLLATION, old, renamed), ddl.create_collation(collation)]
            users = self._collation_users(old.name)
            for table, column in users:
                statements.append(ddl.alter_column_type(table, column))
            self.late_drops.append(
                Change(
                    "collation",
                    key,
                    f"drop the replaced collation {key}",
                    [ddl.drop_renamed(COLLATION, old, renamed)],
                    lock="none",
                )
            )
            self.add(
                "collation",
                key,
                f"recreate collation {key}"
                + (f" (and move {', '.join(f'{t.key}.{c.name}' for t, c in users)} to it)" if users else ""),
                statements,
                lock="ACCESS EXCLUSIVE" if users else "none",
            )

    def _collation_users(self, name: str) -> list[tuple[Table, Column]]:
        """The columns of kept tables that use the collation `name` before and after (inherited columns
        follow their parent's)."""
        found = []
        for key in table_order(self.eff.tables):
            table, wanted = self.eff.tables[key], self.new.tables.get(key)
            if wanted is None:
                continue
            for column in table.columns.values():
                target = wanted.columns.get(column.name)
                if (
                    column.collation == name
                    and target is not None
                    and target.collation == name
                    and (column.is_local or not table.parents)
                ):
                    found.append((table, column))
        return found

    def _domains(self, *, after_functions: bool) -> None:
        """Create or alter domains, each after the domain it is built on; those whose checks or defaults
        call a function this migration creates or replaces come after the functions (`after_functions`)."""
        late = self._domains_using_new_functions()
        for key in domain_order(self.new.domains):
            if (key in late) != after_functions:
                continue
            domain = self.new.domains[key]
            old = self.eff.domains.get(key)
            if old is not None and old.base_type != domain.base_type:
                self.add(
                    "domain",
                    key,
                    f"recreate domain {key} (base type changed)",
                    [ddl.drop(DOMAIN, old, cascade=True)],
                    data_loss=True,
                )
                old = None
            if old is None:
                self.add("domain", key, f"create domain {key}", [ddl.create_domain(domain)], lock="none")
                continue
            statements = ddl.alter_domain(old, domain)
            if statements:
                self.add("domain", key, f"alter domain {key}", statements, lock="SHARE")

    def _domains_using_new_functions(self) -> set[str]:
        """The desired domains that call a function created or replaced here, and the domains built on them."""
        new_functions = {
            key
            for key, func in self.new.functions.items()
            if not FUNCTION.same(self.old.functions.get(key), func)
        }
        return domains_calling(self.new, new_functions)

    def _composite_types(self) -> None:
        for key in sorted(self.new.composite_types):
            ctype = self.new.composite_types[key]
            old = self.old.composite_types.get(key)
            if old is None:
                self.add("type", key, f"create type {key}", [ddl.create_composite_type(ctype)], lock="none")
                continue
            before = dict(zip(old.attribute_names, old.attribute_types, strict=True))
            kept = dict(zip(ctype.attribute_names, ctype.attribute_types, strict=True))
            if before == kept:  # the same attributes in another order: nothing to alter
                continue
            retyped = sorted(n for n, t in before.items() if n in kept and kept[n] != t)
            used_by = self._columns_of_type(old)
            if retyped and used_by:  # PostgreSQL refuses ALTER ATTRIBUTE ... TYPE while a column stores the type
                statement = ddl.unrenderable(
                    f"a new type for attribute {', '.join(retyped)} of type {key}, which column "
                    f"{', '.join(used_by)} stores (recreate the type and convert the column by hand)"
                )
            else:
                statement = ddl.alter_composite_type(old, ctype)
            self.add(
                "type",
                key,
                f"alter type {key}",
                [statement],
                # an attribute dropped, or retyped to a type that cannot hold every value, loses values
                data_loss=any(
                    n not in kept or (kept[n] != t and type_change_cost(t, kept[n])[1]) for n, t in before.items()
                ),
            )

    def _sequences(self) -> None:
        for key in sorted(self.new.sequences):
            seq = self.new.sequences[key]
            if seq.is_identity:
                continue
            old = self.eff.sequences.get(key)
            if old is not None and old.is_identity:
                continue  # an identity turning into this serial sequence: created when the identity is dropped
            if old is None:
                self.add("sequence", key, f"create sequence {key}", [ddl.create_sequence(seq)], lock="none")
            elif not SEQUENCE.same(old, seq):
                self.add(
                    "sequence", key, f"alter sequence {key}", [ddl.alter_sequence(old, seq)], lock="none"
                )

    def _sequence_ownership(self) -> None:
        for key in sorted(self.new.sequences):
            seq = self.new.sequences[key]
            if seq.is_identity:
                continue
            old = self.eff.sequences.get(key)
            if (old.owned_by if old else None) != seq.owned_by:
                table, column = None, None
                if seq.owned_by:
                    table_key, quoted_column = seq.owned_by.rsplit(".", 1)
                    table, column = self.new.tables[table_key], unquote(quoted_column)
                self.add(
                    "sequence",
                    key,
                    f"set owner column of sequence {key}",
                    [ddl.sequence_owned_by(seq, table, column)],
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
            if FUNCTION.same(old, func) and key not in self.recreated_functions:
                continue
            statements = []
            replaced = self.function_replaces.get(key)
            if replaced is not None:
                statements.append(ddl.drop(FUNCTION, replaced))
            statements.append(ddl.create_function(func))
            verb = "recreate" if statements[:-1] else ("replace" if old else "create")
            self.add("function", key, f"{verb} function {key}", statements, lock="none")

    # ---- phase: views, triggers, policies, comments, privileges ------------------------------

    def _views(self) -> None:
        for key in view_order(self.new.views):
            if key in self.eff.views:
                continue
            self.add("view", key, f"create view {key}", [ddl.create_view(self.new.views[key])], lock="none")
            if key in self.old.views and not self.with_privileges:
                self._restore_grants(key)
        self._indexes(on_views=True)

    def _restore_grants(self, key: str) -> None:
        """GRANT again what the target granted on a view that is dropped and recreated: privileges are not
        compared, so they are the target's, and must not be lost with the old view. A column grant may name
        a column the new view lacks: it is named in a warning, not restored."""
        for priv_key, priv in sorted(self.old.privileges.items()):
            if priv.object_key != key or priv.object_kind != "table":  # views are granted as tables
                continue
            if priv.column_name is not None:
                self.warnings.append(
                    warning("grant-not-restored", f"{priv_key}: grant it again on the recreated view")
                )
                continue
            statements = [ddl.grant(priv)]
            self.add(
                "privilege", priv_key, f"grant {priv_key} again (view recreated)", statements, lock="none"
            )

    def _triggers(self) -> None:
        for key in sorted(self.new.triggers):
            trigger = self.new.triggers[key]
            old = self.eff.triggers.get(key)
            if old is None:
                self.add(
                    "trigger",
                    key,
                    f"create trigger {key}",
                    [ddl.create_trigger(trigger)],
                    lock="SHARE ROW EXCLUSIVE",
                )
            if (old.enabled if old else "O") != trigger.enabled:
                self.add(
                    "trigger",
                    key,
                    f"{ddl.trigger_enabling(trigger.enabled).lower()} trigger {key}",
                    [ddl.enable_trigger(trigger)],
                    lock="SHARE ROW EXCLUSIVE",
                )

    def _policies_and_rls(self) -> None:
        for key in sorted(self.new.policies):
            if key not in self.eff.policies:
                self.add("policy", key, f"create policy {key}", [ddl.create_policy(self.new.policies[key])])
        for key in table_order(self.new.tables):
            table = self.new.tables[key]
            old = self.eff.tables.get(key)
            if table.rls_enabled != (old.rls_enabled if old else False):
                verb = "enable" if table.rls_enabled else "disable"
                self.add(
                    "table",
                    key,
                    f"{verb} row level security on {key}",
                    [ddl.row_level_security(table)],
                )
            if table.rls_forced != (old.rls_forced if old else False):
                verb = "force" if table.rls_forced else "no force"
                self.add(
                    "table",
                    key,
                    f"{verb} row level security on {key}",
                    [ddl.force_row_level_security(table)],
                )

    def _comments(self) -> None:
        """COMMENT ON every object (of every kind of the registry, then the columns of tables, views and
        materialized views) whose comment changes."""
        targets: list[tuple[str, str, str | None]] = []
        for kind in KINDS:
            if not kind.commented:
                continue
            skip = _COMMENT_SKIPS.get(kind.attribute)
            before = getattr(self.eff, kind.attribute)
            for key, obj in sorted(getattr(self.new, kind.attribute).items()):
                if skip is not None and skip(obj):
                    continue
                previous = before.get(key)
                if obj.comment != (previous.comment if previous is not None else None):
                    targets.append((key, kind.target(obj), obj.comment))
        for key in sorted(self.new.tables):
            table = self.new.tables[key]
            before = self.eff.tables.get(key)
            for column in table.columns.values():
                previous = before.columns.get(column.name) if before else None
                if column.comment != (previous.comment if previous else None):
                    target = ddl.column_target(table, column.name)
                    targets.append((f"{key}.{column.name}", target, column.comment))
        for key in sorted(self.new.views):
            targets.extend(self._view_column_comments(key))
        for key, target, text in targets:
            self.add("comment", key, f"comment on {target}", [ddl.comment(target, text)], lock="none")

    def _view_column_comments(self, key: str) -> list[tuple[str, str, str | None]]:
        """The comments on a view's columns that change: set, changed, or removed (IS NULL). A view that is
        created or recreated has none yet, so it gets all of its comments."""
        view = self.new.views[key]
        wanted = view.comments_by_column
        before = self.eff.views.get(key)
        had = before.comments_by_column if before is not None else {}
        return [
            (f"{key}.{name}", ddl.column_target(view, name), wanted.get(name))
            for name in [*wanted, *sorted(set(had) - set(wanted))]
            if wanted.get(name) != had.get(name)
        ]

    def _privileges(self) -> None:
        old, new = self.eff.privileges, self.new.privileges
        for key in sorted(set(old) - set(new)):
            priv = old[key]
            after = self._object_after(priv)
            # The desired owner's own privileges are implicit (not listed); ALTER OWNER has given them.
            if after is not None and priv.grantee != getattr(after, "owner", None):
                self.add("privilege", key, f"revoke {key}", [ddl.revoke(priv)], lock="none")
        for key in sorted(new):
            priv = new[key]
            before = old.get(key)
            if before is None:
                self.add("privilege", key, f"grant {key}", [ddl.grant(priv)], lock="none")
            elif before.grantable != priv.grantable:
                statement = ddl.grant(priv) if priv.grantable else ddl.revoke(priv, grant_option_only=True)
                self.add("privilege", key, f"grant option of {key}", [statement], lock="none")

    def _object_after(self, priv: Privilege) -> object | None:
        """The desired object a privilege is on (None when the migration drops it)."""
        return next(
            (
                objects[priv.object_key]
                for objects in (getattr(self.new, kind.attribute) for kind in granted_on(priv.object_kind))
                if priv.object_key in objects
            ),
            None,
        )
