"""SQL text for single objects, built from catalog snapshot objects.

Every identifier goes through `ident`/`qualified`; types, expressions and
definitions are PostgreSQL's own renderings from the catalog
(`format_type`, `pg_get_expr`, `pg_get_indexdef`, ...), so nothing here
parses DDL.
"""

from __future__ import annotations

import hashlib

from senior_backend.common.pg.model import (
    Collation,
    Column,
    Constraint,
    Domain,
    Function,
    Policy,
    Privilege,
    Sequence,
    Table,
    Trigger,
    View,
)
from senior_backend.common.pg.quoting import ident, literal, qualified


def rel(obj: object) -> str:
    """The quoted qualified name of anything with `schema` and `name`."""
    return qualified(obj.schema, obj.name)  # type: ignore[attr-defined]


def table_of(obj: Constraint | Policy | Trigger) -> str:
    return qualified(obj.schema, obj.table_name)


def function_signature(func: Function) -> str:
    return f"{rel(func)}({func.identity_args})"


def drop_function(func: Function) -> str:
    return f"DROP {'PROCEDURE' if func.kind == 'p' else 'FUNCTION'} {function_signature(func)};"


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
    when = "ALWAYS" if column.identity == "a" else "BY DEFAULT"
    options = f" ({identity_options(sequence, with_name=True)})" if sequence else ""
    return f"GENERATED {when} AS IDENTITY{options}"


def identity_options(sequence: Sequence, *, with_name: bool) -> str:
    """Options of an identity column's sequence (its type always follows the column)."""
    parts = [f"SEQUENCE NAME {rel(sequence)}"] if with_name else []
    parts += sequence_options(sequence)[1:]
    return " ".join(parts)


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
    return clauses


def create_table(table: Table, columns: list[str], parent_names: list[str]) -> str:
    """CREATE TABLE for a plain, partitioned, inheriting or partition table."""
    name = rel(table)
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


def add_constraint(con: Constraint, *, not_valid: bool) -> str:
    suffix = " NOT VALID" if not_valid and con.validated else ""
    return f"ALTER TABLE {table_of(con)} ADD CONSTRAINT {ident(con.name)} {con.definition}{suffix};"


def constraint_using_index(con: Constraint, index_name: str) -> str:
    kind = "PRIMARY KEY" if con.kind == "p" else "UNIQUE"
    deferral = ""
    if con.deferrable:
        deferral = " DEFERRABLE INITIALLY DEFERRED" if con.deferred else " DEFERRABLE"
    return f"ALTER TABLE {table_of(con)} ADD CONSTRAINT {ident(con.name)} {kind} USING INDEX {ident(index_name)}{deferral};"


def drop_constraint(con: Constraint) -> str:
    return f"ALTER TABLE {table_of(con)} DROP CONSTRAINT {ident(con.name)};"


def helper_name(prefix: str, key: str) -> str:
    """A short deterministic name for a temporary helper object (fits in 63 bytes)."""
    return f"{prefix}_{hashlib.sha1(key.encode()).hexdigest()[:12]}"


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


def create_view(view: View) -> str:
    body = view.definition.strip().rstrip(";")
    if view.materialized:
        return f"CREATE MATERIALIZED VIEW {rel(view)} AS\n{body}\nWITH DATA;"
    return f"CREATE VIEW {rel(view)} AS\n{body};"


def drop_view(view: View) -> str:
    return f"DROP {'MATERIALIZED ' if view.materialized else ''}VIEW {rel(view)};"


def drop_policy(policy: Policy) -> str:
    return f"DROP POLICY {ident(policy.name)} ON {table_of(policy)};"


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


_PRIVILEGE_TARGET = {
    "schema": "SCHEMA",
    "table": "TABLE",
    "column": "TABLE",
    "sequence": "SEQUENCE",
    "function": "FUNCTION",
    "procedure": "PROCEDURE",
    "type": "TYPE",
    "domain": "DOMAIN",
}


def _privilege_parts(priv: Privilege, quoted_object: str) -> tuple[str, str]:
    what = priv.privilege + (f" ({ident(priv.column_name)})" if priv.column_name else "")
    grantee = "PUBLIC" if priv.grantee == "PUBLIC" else ident(priv.grantee)
    return f"{what} ON {_PRIVILEGE_TARGET[priv.object_kind]} {quoted_object}", grantee


def grant(priv: Privilege, quoted_object: str) -> str:
    target, grantee = _privilege_parts(priv, quoted_object)
    option = " WITH GRANT OPTION" if priv.grantable else ""
    return f"GRANT {target} TO {grantee}{option};"


def revoke(priv: Privilege, quoted_object: str, *, grant_option_only: bool = False) -> str:
    target, grantee = _privilege_parts(priv, quoted_object)
    prefix = "GRANT OPTION FOR " if grant_option_only else ""
    return f"REVOKE {prefix}{target} FROM {grantee};"


def comment(target: str, text: str | None) -> str:
    return f"COMMENT ON {target} IS {'NULL' if text is None else literal(text)};"


def create_collation(collation: Collation) -> str:
    if collation.provider == "i":
        options = f"provider = icu, locale = {literal(collation.icu_locale or '')}"
    else:
        options = f"provider = libc, lc_collate = {literal(collation.lc_collate or '')}, lc_ctype = {literal(collation.lc_ctype or '')}"
    if not collation.deterministic:
        options += ", deterministic = false"
    return f"CREATE COLLATION {rel(collation)} ({options});"
