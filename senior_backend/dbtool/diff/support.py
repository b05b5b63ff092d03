"""Shared ground of the schema diff: the differ's state and bookkeeping, ordering and recreation helpers.

`DifferBase` holds both snapshots, the effective old snapshot (without what
is recreated) and the changes found so far; the phase mixins (`tables.py`,
`objects.py`, `enums.py`, `dependents.py`, `owners.py`) and the orchestrator
in `plan.py` build on it. The helpers here are public because the phases
share them; what makes two objects of a kind equal lives in `kinds.py`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from senior_backend.common.diagnostics import Diagnostic
from senior_backend.common.pg.model import (
    Column,
    CompositeType,
    Constraint,
    Domain,
    Function,
    Index,
    Privilege,
    Sequence,
    Snapshot,
    Table,
    View,
)
from senior_backend.common.pg.quoting import qualify, quote_ident
from senior_backend.dbtool.diff import ddl
from senior_backend.dbtool.diff.changes import Change

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
_INTEGER_DIGITS = {"smallint": 5, "integer": 10, "bigint": 19}  # decimal digits of the largest value
_NO_REWRITE = {("character varying", "text"), ("cidr", "inet")}
_TYPMOD = re.compile(r"^(?P<base>[a-z ]+?)(?:\((?P<args>[0-9, ]+)\))?$")


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
    if old_base in _INTEGER_DIGITS and new_base == "numeric":  # lossless when the integer digits fit
        digits = new_args[0] - (new_args[1] if len(new_args) > 1 else 0) if new_args else None
        return True, digits is not None and digits < _INTEGER_DIGITS[old_base]
    return True, True


class DifferBase:
    """State shared by every phase of one diff."""

    eff: Snapshot

    def __init__(self, old: Snapshot, new: Snapshot, with_privileges: bool) -> None:
        self.old = old
        self.new = new
        self.with_privileges = with_privileges
        self.changes: list[Change] = []
        self.warnings: list[Diagnostic] = []
        self.recreated_relations: set[str] = set()
        self.recreated_functions: set[str] = set()
        self.recreated_enums: set[str] = set()
        self.recreated_columns: set[tuple[str, str]] = set()
        self.dropped_tables: set[str] = set()
        self.dropped_functions: set[str] = set()
        self.late_drops: list[Change] = []
        """Drops of renamed-away objects that wait until what still uses them (tables and columns the
        migration drops) is gone: emitted after the tables are dropped."""
        self._children_index: dict[str, list[str]] | None = None
        self.function_replaces: dict[str, Function] = {}
        self.refusals: list[Diagnostic] = []
        self._identity_index: dict[int, dict[str, Sequence]] = {}
        self._old_columns: dict[str, tuple[Table, Column]] | None = None

    # ---- bookkeeping -------------------------------------------------------------------------

    def add(self, kind: str, key: str, description: str, up: list[str], **flags: object) -> None:
        self.changes.append(Change(kind, key, description, up, **flags))  # type: ignore[arg-type]

    def _columns_of_type(self, ctype: CompositeType | Domain) -> list[str]:
        """Keys of the current tables' columns of a composite type or domain, or of an array of it."""
        return [
            column_key(table.key, column.name)
            for table in self.old.tables.values()
            for column in table.columns.values()
            if column.type_schema == ctype.schema and column.type_name in (ctype.name, f"_{ctype.name}")
        ]

    def drop_index(self, index: Index, why: str | None = None) -> None:
        """DROP INDEX, CONCURRENTLY unless the index is partitioned (a partitioned one cannot be)."""
        concurrent = not index.is_partitioned
        self.add(
            "index",
            index.key,
            f"drop index {index.key}" + (f" ({why})" if why else ""),
            [ddl.drop_index(index, concurrently=concurrent)],
            lock="SHARE UPDATE EXCLUSIVE" if concurrent else "ACCESS EXCLUSIVE",
            no_transaction=concurrent,
        )

    def forget_default(self, table_key: str, column_name: str) -> None:
        """The effective old table loses a column's default (dropped early), so `_alter_column` sets it again."""
        table = copy.copy(self.eff.tables[table_key])
        table.columns = {
            name: replace(col, default_expr=None) if name == column_name else col
            for name, col in table.columns.items()
        }
        self.eff.tables = {**self.eff.tables, table_key: table}

    def old_column(self, key: str) -> tuple[Table, Column] | None:
        """A column of the old snapshot by its key `schema.table.column`."""
        if self._old_columns is None:
            self._old_columns = {
                column_key(table.key, column.name): (table, column)
                for table in self.old.tables.values()
                for column in table.columns.values()
            }
        return self._old_columns.get(key)

    def existing_table(self, key: str) -> bool:
        """True when the table exists before the migration and is kept (so online-safe forms matter)."""
        return key in self.old.tables and key not in self.recreated_relations


# ---- helpers -------------------------------------------------------------------------------------


def column_key(table_key: str, column_name: str) -> str:
    """A column's key, `schema.table.column`, as the catalog queries spell it."""
    return f"{table_key}.{quote_ident(column_name)}"


def is_prefix_extension(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """True when `new` keeps every old label in the same relative order (so ADD VALUE suffices)."""
    return [label for label in new if label in old] == list(old)


def needs_column_recreate(old: Column, new: Column) -> bool:
    """True when no ALTER turns `old` into `new`: a column made stored-generated, or given another expression."""
    if new.generated == "s":
        return old.generated != "s" or old.default_expr != new.default_expr
    return False


def function_needs_drop(old: Function, new: Function) -> bool:
    """True when CREATE OR REPLACE cannot turn `old` into `new` (result, kind or arguments change)."""
    return (old.result, old.kind, old.arguments) != (new.result, new.kind, new.arguments)


def default_grant(kind: str, key: str, privilege: str) -> dict[str, Privilege]:
    """The privilege PostgreSQL gives PUBLIC on an object it creates (EXECUTE on functions, USAGE on types)."""
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


def ancestors(tables: dict[str, Table], key: str) -> set[str]:
    """The keys of every table a table inherits from or is a partition of, however far up."""
    found: set[str] = set()
    pending = list(tables[key].parents)
    while pending:
        parent = pending.pop()
        if parent not in found:
            found.add(parent)
            pending.extend(tables[parent].parents if parent in tables else ())
    return found


def view_order(views: dict[str, View]) -> list[str]:
    """View keys, each after the views it reads from."""
    return _topological(views, lambda key: views[key].depends_on)


def domain_bases(domains: dict[str, Domain]) -> dict[str, list[str]]:
    """For each domain key, the domain it is built on, when it is one of `domains` (`format_type` names
    the base type qualified or not, an array of it with `[]`)."""
    spelled: dict[str, str] = {}
    for key, domain in domains.items():
        spelled[quote_ident(domain.name)] = key
        spelled[qualify(domain.schema, domain.name)] = key
    bases = {}
    for key, domain in domains.items():
        found = spelled.get(domain.base_type.removesuffix("[]"))
        bases[key] = [found] if found is not None and found != key else []
    return bases


def domain_order(domains: dict[str, Domain]) -> list[str]:
    """Domain keys, each after the domain it is built on."""
    bases = domain_bases(domains)
    return _topological(domains, lambda key: bases[key])


def domains_calling(snapshot: Snapshot, functions: set[str]) -> set[str]:
    """The domains of `snapshot` whose checks or defaults call one of `functions`, and the domains built
    on them."""
    found = {
        dep.dependent_key
        for dep in snapshot.function_dependents.values()
        if dep.kind == "domain" and dep.function_key in functions and dep.dependent_key in snapshot.domains
    }
    if found:
        bases = domain_bases(snapshot.domains)
        for key in domain_order(snapshot.domains):
            if set(bases[key]) & found:
                found.add(key)
    return found


def table_order(tables: dict[str, Table]) -> list[str]:
    """Table keys, each after its parents."""
    return _topological(tables, lambda key: tables[key].parents)


def drop_order(
    tables: dict[str, Table], constraints: dict[str, Constraint], keys: Iterable[str]
) -> tuple[list[str], list[Constraint]]:
    """The order to drop the tables `keys` in: each after its children and partitions and after the
    tables whose foreign keys reference it; and the foreign keys among them that a cycle of references
    keeps from that order (dropped first, so every DROP TABLE finds nothing left that depends on it)."""
    dropped = set(keys)
    if not dropped:
        return [], []
    first: dict[str, set[str]] = {key: set() for key in dropped}
    for key in dropped:
        for parent in tables[key].parents:
            if parent in dropped:
                first[parent].add(key)
    foreign = [
        con
        for con in constraints.values()
        if con.kind == "f"
        and con.table_key in dropped
        and con.ref_table in dropped
        and con.ref_table != con.table_key
    ]
    for con in foreign:
        first[con.ref_table].add(con.table_key)
    order = _topological(dropped, lambda key: first[key])
    position = {key: i for i, key in enumerate(order)}
    cycles = [
        con
        for con in sorted(foreign, key=lambda c: c.key)
        if position[con.ref_table] < position[con.table_key]
        and con.is_local
        and not con.inherited_from_partition
    ]
    return order, cycles
