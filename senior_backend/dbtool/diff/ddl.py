"""Every SQL statement the schema diff writes, built from catalog snapshot objects.

The one generator of the diff (the phases decide what to change, this module
spells how): builders are grouped by object kind, and what is common to every
kind (DROP, RENAME, OWNER TO, COMMENT ON, GRANT/REVOKE) is spelled once from
the kind registry (`kinds.py`). Every identifier goes through `ident` or the
registry's name spellings; types, expressions and definitions are
PostgreSQL's own renderings from the catalog (`format_type`, `pg_get_expr`,
`pg_get_indexdef`, ...), so nothing here parses DDL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from senior_backend.common.pg.model import (
    Collation,
    Column,
    CompositeType,
    Constraint,
    Domain,
    Enum,
    Extension,
    Function,
    Index,
    Policy,
    Privilege,
    Schema,
    Sequence,
    Table,
    Trigger,
    View,
)
from senior_backend.common.pg.quoting import ident, literal
from senior_backend.dbtool.diff.kinds import Kind, privilege_word, rel, table_of
from senior_backend.dbtool.index_ddl import concurrent_index

# ---- what cannot be rendered ---------------------------------------------------------------------

_UNRENDERED: ContextVar[list[str] | None] = ContextVar("unrendered", default=None)


@contextmanager
def collecting_unrendered() -> Iterator[list[str]]:
    """Inside, a builder that cannot spell its statement notes it in the yielded list (and returns a SQL
    comment in its place) instead of raising in the middle of a diff; the caller refuses what was noted."""
    found: list[str] = []
    token = _UNRENDERED.set(found)
    try:
        yield found
    finally:
        _UNRENDERED.reset(token)


def unrenderable(what: str) -> str:
    """Note a statement no builder can spell (see `collecting_unrendered`); raises outside a collection."""
    found = _UNRENDERED.get()
    if found is None:
        raise ValueError(f"cannot render {what}")
    found.append(what)
    return f"-- not rendered: {what}"


# ---- any kind -----------------------------------------------------------------------------------


def drop(kind: Kind, obj: Any, *, cascade: bool = False) -> str:
    """`DROP <WORD> <name>` for an object of any kind (`DROP MATERIALIZED VIEW`, `DROP PROCEDURE f(int)`)."""
    return f"DROP {kind.target(obj)}{' CASCADE' if cascade else ''};"


def drop_renamed(kind: Kind, obj: Any, name: str) -> str:
    """DROP of the object after `rename` gave it `name` (same schema)."""
    return drop(kind, replace(obj, name=name))


def rename(kind: Kind, obj: Any, name: str) -> str:
    return f"ALTER {kind.target(obj)} RENAME TO {ident(name)};"


def alter_owner(kind: Kind, obj: Any, owner: str) -> str:
    return f"ALTER {kind.target(obj)} OWNER TO {ident(owner)};"


def column_target(relation: Table | View, column_name: str) -> str:
    """`COLUMN table.column`, the target COMMENT ON gives a column."""
    return f"COLUMN {rel(relation)}.{ident(column_name)}"


def comment(target: str, text: str | None) -> str:
    """COMMENT ON a target spelled `WORD name` (`Kind.target`, or `column_target`)."""
    return f"COMMENT ON {target} IS {'NULL' if text is None else literal(text)};"


def _privilege_parts(priv: Privilege, word: str) -> tuple[str, str]:
    what = priv.privilege + (f" ({ident(priv.column_name)})" if priv.column_name else "")
    grantee = "PUBLIC" if priv.grantee == "PUBLIC" else ident(priv.grantee)
    return f"{what} ON {word} {priv.object_key}", grantee


def grant(priv: Privilege) -> str:
    word = privilege_word(priv.object_kind)
    if word is None:
        return unrenderable(f"GRANT {priv.key} (privileges on a {priv.object_kind})")
    target, grantee = _privilege_parts(priv, word)
    option = " WITH GRANT OPTION" if priv.grantable else ""
    return f"GRANT {target} TO {grantee}{option};"


def revoke(priv: Privilege, *, grant_option_only: bool = False) -> str:
    word = privilege_word(priv.object_kind)
    if word is None:
        return unrenderable(f"REVOKE {priv.key} (privileges on a {priv.object_kind})")
    target, grantee = _privilege_parts(priv, word)
    prefix = "GRANT OPTION FOR " if grant_option_only else ""
    return f"REVOKE {prefix}{target} FROM {grantee};"


def helper_name(prefix: str, key: str) -> str:
    """A short deterministic name for a temporary helper object (fits in 63 bytes)."""
    return f"{prefix}_{hashlib.sha1(key.encode()).hexdigest()[:12]}"


# ---- schemas, extensions, collations ------------------------------------------------------------


def create_schema(schema: Schema) -> str:
    return f"CREATE SCHEMA {ident(schema.name)};"


def create_extension(ext: Extension) -> str:
    """CREATE EXTENSION in its schema at its version (not the server's default one, which may differ), or at
    the server's default when the schema asked for none (`version` "")."""
    version = f" VERSION {literal(ext.version)}" if ext.version else ""
    return f"CREATE EXTENSION {ident(ext.name)} WITH SCHEMA {ident(ext.schema)}{version};"


def update_extension(ext: Extension) -> str:
    return f"ALTER EXTENSION {ident(ext.name)} UPDATE TO {literal(ext.version)};"


def create_collation(collation: Collation) -> str:
    if collation.provider == "i":
        options = f"provider = icu, locale = {literal(collation.icu_locale or '')}"
    elif collation.provider == "b":  # PostgreSQL 17+: C, C.UTF-8, PG_UNICODE_FAST
        options = f"provider = builtin, locale = {literal(collation.icu_locale or '')}"
    else:
        options = f"provider = libc, lc_collate = {literal(collation.lc_collate or '')}, lc_ctype = {literal(collation.lc_ctype or '')}"
    if not collation.deterministic:
        options += ", deterministic = false"
    return f"CREATE COLLATION {rel(collation)} ({options});"


# ---- types: enums, domains, composite types ------------------------------------------------------


def create_enum(enum: Enum) -> str:
    return f"CREATE TYPE {rel(enum)} AS ENUM ({', '.join(literal(label) for label in enum.labels)});"


def add_enum_values(old: Enum, enum: Enum) -> list[str]:
    """ALTER TYPE .. ADD VALUE for each value of `enum` that `old` lacks, placed next to its neighbour."""
    statements = []
    for position, label in enumerate(enum.labels):
        if label not in old.labels:
            anchor = (
                f" AFTER {literal(enum.labels[position - 1])}"
                if position
                else f" BEFORE {literal(enum.labels[1])}"
            )
            statements.append(f"ALTER TYPE {rel(enum)} ADD VALUE {literal(label)}{anchor};")
    return statements


def create_domain(domain: Domain) -> str:
    text = f"CREATE DOMAIN {rel(domain)} AS {domain.base_type}"
    if domain.collation:
        text += f" COLLATE {ident(domain.collation)}"
    if domain.default_expr is not None:
        text += f" DEFAULT {domain.default_expr}"
    if domain.not_null:
        text += " NOT NULL"
    for con_name, definition in zip(domain.constraint_names, domain.constraint_defs, strict=True):
        text += f" CONSTRAINT {ident(con_name)} {definition}"
    return text + ";"


def alter_domain(old: Domain, domain: Domain) -> list[str]:
    """ALTER DOMAIN statements from `old` to `domain` (same base type): default, NOT NULL, constraints."""
    name = rel(domain)
    statements = []
    if old.default_expr != domain.default_expr:
        statements.append(
            f"ALTER DOMAIN {name} "
            + (f"SET DEFAULT {domain.default_expr};" if domain.default_expr is not None else "DROP DEFAULT;")
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
            statements.append(f"ALTER DOMAIN {name} ADD CONSTRAINT {ident(con_name)} {new_cons[con_name]};")
    return statements


def create_composite_type(ctype: CompositeType) -> str:
    attrs = ", ".join(
        f"{ident(n)} {t}" for n, t in zip(ctype.attribute_names, ctype.attribute_types, strict=True)
    )
    return f"CREATE TYPE {rel(ctype)} AS ({attrs});"


def alter_composite_type(old: CompositeType, ctype: CompositeType) -> str:
    """One ALTER TYPE with the DROP, ALTER and ADD ATTRIBUTE clauses from `old` to `ctype`, in that order."""
    old_attrs = dict(zip(old.attribute_names, old.attribute_types, strict=True))
    new_attrs = dict(zip(ctype.attribute_names, ctype.attribute_types, strict=True))
    clauses = [f"DROP ATTRIBUTE {ident(n)}" for n in old.attribute_names if n not in new_attrs]
    clauses += [
        f"ALTER ATTRIBUTE {ident(n)} TYPE {t}"
        for n, t in new_attrs.items()
        if n in old_attrs and old_attrs[n] != t
    ]
    clauses += [f"ADD ATTRIBUTE {ident(n)} {t}" for n, t in new_attrs.items() if n not in old_attrs]
    return f"ALTER TYPE {rel(ctype)} {', '.join(clauses)};"


# ---- sequences ----------------------------------------------------------------------------------


def sequence_options(sequence: Sequence) -> list[str]:
    return [
        f"AS {sequence.data_type}",
        f"INCREMENT BY {sequence.increment}",
        f"MINVALUE {sequence.min_value}",
        f"MAXVALUE {sequence.max_value}",
        f"START WITH {sequence.start}",
        f"CACHE {sequence.cache}",
        "CYCLE" if sequence.cycle else "NO CYCLE",
    ]


def create_sequence(sequence: Sequence) -> str:
    return f"CREATE SEQUENCE {rel(sequence)} {' '.join(sequence_options(sequence))};"


def alter_sequence(old: Sequence, sequence: Sequence) -> str:
    """ALTER SEQUENCE setting every option to the desired value (and RESTART where `needs_restart`)."""
    restart = [f"RESTART WITH {sequence.start}"] if needs_restart(old, sequence) else []
    return f"ALTER SEQUENCE {rel(sequence)} {' '.join(sequence_options(sequence) + restart)};"


def needs_restart(old: Sequence, new: Sequence) -> bool:
    """True when the sequence's current value falls outside the new MINVALUE..MAXVALUE (PostgreSQL then
    refuses the change unless it restarts, here at the desired START)."""
    current = old.last_value if old.last_value is not None else old.start
    return not new.min_value <= current <= new.max_value


def sequence_type(sequence: Sequence) -> str:
    return f"ALTER SEQUENCE {rel(sequence)} AS {sequence.data_type};"


def sequence_owned_by(sequence: Sequence, table: Table | None, column_name: str | None) -> str:
    """ALTER SEQUENCE .. OWNED BY the column, or NONE without one."""
    owner = f"{rel(table)}.{ident(column_name)}" if table is not None and column_name else "NONE"
    return f"ALTER SEQUENCE {rel(sequence)} OWNED BY {owner};"


# ---- functions, views, triggers, policies -------------------------------------------------------


def create_function(func: Function) -> str:
    """PostgreSQL's own CREATE OR REPLACE text of the function."""
    return func.definition.strip() + ";"


def create_view(view: View) -> str:
    """CREATE [MATERIALIZED] VIEW with its options (`WITH (security_invoker='true', check_option=...)`)."""
    body = view.definition.strip().rstrip(";")
    options = ""
    if view.options:
        pairs = (option.partition("=") for option in view.options)
        options = " WITH (" + ", ".join(f"{ident(name)}={literal(value)}" for name, _, value in pairs) + ")"
    if view.materialized:
        return f"CREATE MATERIALIZED VIEW {rel(view)}{options} AS\n{body}\nWITH DATA;"
    return f"CREATE VIEW {rel(view)}{options} AS\n{body};"


def create_trigger(trigger: Trigger) -> str:
    """PostgreSQL's own CREATE TRIGGER text."""
    return trigger.definition + ";"


def trigger_enabling(enabled: str) -> str:
    """The ALTER TABLE words that give a trigger its `pg_trigger.tgenabled` state."""
    return {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}.get(enabled, "ENABLE")


def enable_trigger(trigger: Trigger) -> str:
    return (
        f"ALTER TABLE {table_of(trigger)} {trigger_enabling(trigger.enabled)} TRIGGER {ident(trigger.name)};"
    )


def create_policy(policy: Policy) -> str:
    roles = ", ".join("PUBLIC" if role == "public" else role for role in policy.roles) or "PUBLIC"
    text = (
        f"CREATE POLICY {ident(policy.name)} ON {table_of(policy)} "
        f"AS {'PERMISSIVE' if policy.permissive else 'RESTRICTIVE'} FOR {policy.command} TO {roles}"
    )
    if policy.using_expr:
        text += f" USING ({policy.using_expr})"
    if policy.check_expr:
        text += f" WITH CHECK ({policy.check_expr})"
    return text + ";"


# ---- tables -------------------------------------------------------------------------------------


def create_table(table: Table, columns: list[str], parents: list[Table]) -> str:
    """CREATE TABLE for a plain, partitioned, inheriting or partition table."""
    name = rel(table)
    parent_names = [rel(parent) for parent in parents]
    unlogged = "UNLOGGED " if table.persistence == "u" else ""
    if table.is_partition and table.partition_bound:
        body = f"CREATE {unlogged}TABLE {name} PARTITION OF {parent_names[0]} {table.partition_bound}"
    else:
        inner = ",\n    ".join(columns)
        body = (
            f"CREATE {unlogged}TABLE {name} (\n    {inner}\n)"
            if columns
            else f"CREATE {unlogged}TABLE {name} ()"
        )
        if parent_names:
            body += f" INHERITS ({', '.join(parent_names)})"
    if table.partition_key:
        body += f" PARTITION BY {table.partition_key}"
    return body + ";"


def set_persistence(table: Table) -> str:
    return f"ALTER TABLE {rel(table)} SET {'UNLOGGED' if table.persistence == 'u' else 'LOGGED'};"


def attach_partition(parent: Table, table: Table) -> str:
    return f"ALTER TABLE {rel(parent)} ATTACH PARTITION {rel(table)} {table.partition_bound};"


def detach_partition(parent: Table, table: Table) -> str:
    return f"ALTER TABLE {rel(parent)} DETACH PARTITION {rel(table)};"


def inherit(table: Table, parent: Table, *, inherits: bool) -> str:
    """ALTER TABLE .. INHERIT, or NO INHERIT when `inherits` is false."""
    return f"ALTER TABLE {rel(table)} {'INHERIT' if inherits else 'NO INHERIT'} {rel(parent)};"


def row_level_security(table: Table) -> str:
    return f"ALTER TABLE {rel(table)} {'ENABLE' if table.rls_enabled else 'DISABLE'} ROW LEVEL SECURITY;"


def force_row_level_security(table: Table) -> str:
    return f"ALTER TABLE {rel(table)} {'FORCE' if table.rls_forced else 'NO FORCE'} ROW LEVEL SECURITY;"


# ---- columns ------------------------------------------------------------------------------------


def column_definition(column: Column, identity_sequence: Sequence | None) -> str:
    """`"name" type [COLLATE] [DEFAULT | GENERATED ...] [NOT NULL]` for CREATE TABLE / ADD COLUMN."""
    parts = [ident(column.name), column.type]
    if column.collation:
        parts.append(f"COLLATE {ident(column.collation)}")
    if column.generated == "s" and column.default_expr:
        parts.append(f"GENERATED ALWAYS AS ({column.default_expr}) STORED")
    elif column.identity:
        parts.append(identity_clause(column, identity_sequence))
    elif column.default_expr is not None:
        parts.append(f"DEFAULT {column.default_expr}")
    if column.not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def identity_clause(column: Column, sequence: Sequence | None) -> str:
    """`GENERATED ... AS IDENTITY` with the sequence's name and options (its type always follows the column)."""
    options = (
        f" (SEQUENCE NAME {rel(sequence)} {' '.join(sequence_options(sequence)[1:])})" if sequence else ""
    )
    return f"GENERATED {identity_generated(column)} AS IDENTITY{options}"


def identity_alterations(old: Sequence, new: Sequence) -> list[str]:
    """`SET ...` clauses of ALTER COLUMN for changed identity-sequence options."""
    clauses = []
    if old.increment != new.increment:
        clauses.append(f"SET INCREMENT BY {new.increment}")
    if old.min_value != new.min_value:
        clauses.append(f"SET MINVALUE {new.min_value}")
    if old.max_value != new.max_value:
        clauses.append(f"SET MAXVALUE {new.max_value}")
    if old.start != new.start:
        clauses.append(f"SET START WITH {new.start}")
    if old.cache != new.cache:
        clauses.append(f"SET CACHE {new.cache}")
    if old.cycle != new.cycle:
        clauses.append("SET CYCLE" if new.cycle else "SET NO CYCLE")
    if needs_restart(old, new):
        clauses.append(f"RESTART WITH {new.start}")
    return clauses


def add_column(
    table: Table, column: Column, identity_sequence: Sequence | None, *, nullable: bool = False
) -> str:
    """ADD COLUMN; `nullable` leaves NOT NULL out (set after, online, by `set_not_null_checked`)."""
    definition = column_definition(column, identity_sequence)
    if nullable:
        definition = definition.removesuffix(" NOT NULL")
    return f"ALTER TABLE {rel(table)} ADD COLUMN {definition};"


def drop_column(table: Table, column_name: str, *, only: bool = False) -> str:
    """DROP COLUMN; `only` keeps it in the children (they then own it, with their values)."""
    return f"ALTER TABLE {'ONLY ' if only else ''}{rel(table)} DROP COLUMN {ident(column_name)};"


def _alter_column(table: Table, column_name: str, action: str) -> str:
    return f"ALTER TABLE {rel(table)} ALTER COLUMN {ident(column_name)} {action};"


def alter_column_type(table: Table, column: Column, *, via: str | None = None) -> str:
    """ALTER COLUMN .. TYPE to the column's type (and collation), converted through `via` when given."""
    collate = f" COLLATE {ident(column.collation)}" if column.collation else ""
    cast = f"::{via}" if via else ""
    return _alter_column(
        table, column.name, f"TYPE {column.type}{collate} USING {ident(column.name)}{cast}::{column.type}"
    )


def set_default(table: Table, column: Column) -> str:
    return _alter_column(table, column.name, f"SET DEFAULT {column.default_expr}")


def drop_default(table: Table, column_name: str) -> str:
    return _alter_column(table, column_name, "DROP DEFAULT")


def set_not_null(table: Table, column_name: str) -> str:
    return _alter_column(table, column_name, "SET NOT NULL")


def drop_not_null(table: Table, column_name: str) -> str:
    return _alter_column(table, column_name, "DROP NOT NULL")


def set_not_null_checked(table: Table, column_name: str) -> list[str]:
    """SET NOT NULL without a long exclusive lock: a NOT VALID check, validated, makes the scan unnecessary."""
    name = rel(table)
    check = ident(helper_name("nn", f"{table.key}.{column_name}"))
    return [
        f"ALTER TABLE {name} ADD CONSTRAINT {check} CHECK ({ident(column_name)} IS NOT NULL) NOT VALID;",
        f"ALTER TABLE {name} VALIDATE CONSTRAINT {check};",
        set_not_null(table, column_name),
        f"ALTER TABLE {name} DROP CONSTRAINT {check};",
    ]


def drop_expression(table: Table, column_name: str) -> str:
    return _alter_column(table, column_name, "DROP EXPRESSION")


def add_identity(table: Table, column: Column, sequence: Sequence | None) -> str:
    return _alter_column(table, column.name, f"ADD {identity_clause(column, sequence)}")


def sequence_aside(seq: Sequence) -> tuple[str, str]:
    """The RENAME that moves a sequence out of its name's way (`<name>__old`), and its new qualified name."""
    aside = f"{seq.name}__old"
    return f"ALTER SEQUENCE {rel(seq)} RENAME TO {ident(aside)};", f"{ident(seq.schema)}.{ident(aside)}"


def restart_past_rows(
    table: Table, column_name: str, sequence: Sequence | None, replaced: str | None = None
) -> str:
    """Move the column's sequence (`sequence`; None: its identity's, by the column) past the values
    the column holds and past the last value of the sequence it replaces (`replaced`, qualified), so no
    existing or deleted row's id is handed out again."""
    candidates = [
        str(sequence.start if sequence else 1),
        f"(SELECT max({ident(column_name)}) FROM {rel(table)}) + 1",
    ]
    if replaced:
        candidates.append(f"(SELECT last_value FROM {replaced}) + 1")
    if sequence is not None:
        target = literal(rel(sequence))
    else:  # an identity whose sequence name is PostgreSQL's choice
        target = f"pg_catalog.pg_get_serial_sequence({literal(rel(table))}, {literal(column_name)})"
    return f"SELECT pg_catalog.setval({target}, GREATEST({', '.join(candidates)}), false);"


def drop_identity(table: Table, column_name: str) -> str:
    return _alter_column(table, column_name, "DROP IDENTITY")


def identity_generated(column: Column) -> str:
    """`ALWAYS` or `BY DEFAULT`: how an identity column generates its values."""
    return "ALWAYS" if column.identity == "a" else "BY DEFAULT"


def set_generated(table: Table, column: Column) -> str:
    return _alter_column(table, column.name, f"SET GENERATED {identity_generated(column)}")


def alter_identity(table: Table, column_name: str, clauses: list[str]) -> str:
    """ALTER COLUMN with the `identity_alterations` clauses."""
    return _alter_column(table, column_name, " ".join(clauses))


# ---- constraints and indexes --------------------------------------------------------------------


def add_constraint(con: Constraint, *, not_valid: bool) -> str:
    suffix = " NOT VALID" if not_valid and con.validated else ""
    return f"ALTER TABLE {table_of(con)} ADD CONSTRAINT {ident(con.name)} {con.definition}{suffix};"


def validate_constraint(con: Constraint) -> str:
    return f"ALTER TABLE {table_of(con)} VALIDATE CONSTRAINT {ident(con.name)};"


def constraint_using_index(con: Constraint, index_name: str) -> str:
    kind = "PRIMARY KEY" if con.kind == "p" else "UNIQUE"
    deferral = ""
    if con.deferrable:
        deferral = " DEFERRABLE INITIALLY DEFERRED" if con.deferred else " DEFERRABLE"
    return f"ALTER TABLE {table_of(con)} ADD CONSTRAINT {ident(con.name)} {kind} USING INDEX {ident(index_name)}{deferral};"


def drop_constraint(con: Constraint) -> str:
    return f"ALTER TABLE {table_of(con)} DROP CONSTRAINT {ident(con.name)};"


def create_index(index: Index, *, concurrently: bool = False, whole_tree: bool = False) -> str:
    """PostgreSQL's own CREATE INDEX text, made CONCURRENTLY when asked; `whole_tree` builds a partitioned
    index on every partition at once (ON instead of ON ONLY)."""
    definition = index.definition
    if whole_tree and index.is_partitioned:
        definition = definition.replace(" ON ONLY ", " ON ", 1)
    if concurrently:
        definition = concurrent_index(definition, if_not_exists=False)
    return definition + ";"


def attach_index(parent: Index, child: Index) -> str:
    return f"ALTER INDEX {rel(parent)} ATTACH PARTITION {rel(child)};"


def drop_index(index: Index, *, concurrently: bool) -> str:
    return f"DROP INDEX {'CONCURRENTLY ' if concurrently else ''}{rel(index)};"
