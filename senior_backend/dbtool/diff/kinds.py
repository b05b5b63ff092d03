"""The object kinds the schema diff knows, in one registry: each kind knows its SQL word, name, equality.

A `Kind` ties one snapshot attribute (`tables`, `functions`, ...) to what the
rest of the diff needs to know about its objects: the `Change.kind` of their
changes, the SQL word that names the kind (`TABLE`, `MATERIALIZED VIEW`,
`PROCEDURE`, ...), how one object's SQL name is spelled, the `shape` whose
difference means "changed" to the diff, the `state` that must match for two
snapshots to be equivalent, and the privilege kinds that name its objects.
An object's identity key is its model's `key` (`schema.name`,
`schema.table.name`, `schema.name(args)`), which keys the snapshot
dictionaries. `ddl.py` spells every statement from the registry; the phases
look kinds up by name (`TABLE`, `VIEW`, ...), in `KINDS` or `BY_ATTRIBUTE`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from senior_backend.common.pg.model import Column, Constraint, Function, Policy, Table, Trigger
from senior_backend.common.pg.quoting import ident, qualified


def rel(obj: Any) -> str:
    """The quoted qualified name of anything with `schema` and `name`."""
    return qualified(obj.schema, obj.name)


def table_of(obj: Constraint | Policy | Trigger) -> str:
    """The quoted qualified name of the table a constraint, policy or trigger belongs to."""
    return qualified(obj.schema, obj.table_name)


def function_signature(func: Function) -> str:
    """`schema.name(identity arguments)`: how DROP, ALTER and COMMENT name one overload."""
    return f"{rel(func)}({func.identity_args})"


def _unqualified(obj: Any) -> str:
    return ident(obj.name)


def _on_table(obj: Constraint | Policy | Trigger) -> str:
    return f"{ident(obj.name)} ON {table_of(obj)}"


def _whole(obj: Any) -> object:
    return obj


def _column_state(column: Column) -> tuple:
    return (
        column.type,
        column.not_null,
        column.default_expr,
        column.identity,
        column.generated,
        column.collation,
        column.comment,
    )


def _table_state(table: Table) -> Table:
    state = copy.copy(table)
    state.columns = {name: _column_state(col) for name, col in table.columns.items()}  # type: ignore[misc]
    return state


@dataclass(frozen=True)
class Kind:
    """What the diff knows about one kind of object."""

    change: str
    """The `Change.kind` of its changes (`type` for enums and composite types alike)."""
    attribute: str
    """The `Snapshot` attribute that holds its objects."""
    word: Callable[[Any], str]
    """The SQL word naming the kind of one object (`VIEW` or `MATERIALIZED VIEW`, ...)."""
    name: Callable[[Any], str] = rel
    """How one object's name is spelled in SQL."""
    shape: Callable[[Any], object] = _whole
    """What the diff compares: objects with different shapes are altered or recreated."""
    state: Callable[[Any], object] = _whole
    """What must match for two snapshots to be equivalent (`snapshot_differences`)."""
    grants: Mapping[str, str] = field(default_factory=dict)
    """The `Privilege.object_kind`s that name its objects, with the word GRANT and REVOKE use."""
    owned: bool = False
    """Its objects have an owner the diff keeps (`ALTER ... OWNER TO`)."""
    commented: bool = True
    """Its objects carry a comment the diff keeps."""

    def target(self, obj: Any) -> str:
        """`WORD name`: how DROP, ALTER ... OWNER TO and COMMENT ON name the object."""
        return f"{self.word(obj)} {self.name(obj)}"

    def same(self, before: Any, after: Any) -> bool:
        """True when both are missing, or both exist with the same shape (no change needed)."""
        if before is None or after is None:
            return before is after
        return self.shape(before) == self.shape(after)


def _fixed(word: str) -> Callable[[Any], str]:
    return lambda _obj: word


def _routine(func: Function) -> str:
    return "PROCEDURE" if func.kind == "p" else "FUNCTION"


_RELATION_GRANTS = {"table": "TABLE", "column": "TABLE"}

SCHEMA = Kind(
    "schema",
    "schemas",
    _fixed("SCHEMA"),
    _unqualified,
    state=lambda s: (s.name, s.comment),
    grants={"schema": "SCHEMA"},
    owned=True,
)
EXTENSION = Kind("extension", "extensions", _fixed("EXTENSION"), _unqualified, commented=False)
ENUM = Kind("type", "enums", _fixed("TYPE"), grants={"type": "TYPE"}, owned=True)
COMPOSITE_TYPE = Kind("type", "composite_types", _fixed("TYPE"), grants={"type": "TYPE"}, owned=True)
DOMAIN = Kind("domain", "domains", _fixed("DOMAIN"), grants={"domain": "DOMAIN"}, owned=True)
COLLATION = Kind(
    "collation",
    "collations",
    _fixed("COLLATION"),
    shape=lambda c: (c.provider, c.deterministic, c.lc_collate, c.lc_ctype, c.icu_locale),
)
SEQUENCE = Kind(
    "sequence",
    "sequences",
    _fixed("SEQUENCE"),
    shape=lambda s: (s.data_type, s.start, s.increment, s.min_value, s.max_value, s.cache, s.cycle),
    grants={"sequence": "SEQUENCE"},
    owned=True,
)
FUNCTION = Kind(
    "function",
    "functions",
    _routine,
    function_signature,
    shape=lambda f: f.definition,
    grants={"function": "FUNCTION", "procedure": "PROCEDURE"},
    owned=True,
)
TABLE = Kind("table", "tables", _fixed("TABLE"), state=_table_state, grants=_RELATION_GRANTS, owned=True)
VIEW = Kind(
    "view",
    "views",
    lambda v: "MATERIALIZED VIEW" if v.materialized else "VIEW",
    shape=lambda v: (v.definition, v.materialized, v.options),
    state=lambda v: (v.definition, v.materialized, v.options, v.comment, v.comments_by_column),
    grants=_RELATION_GRANTS,
    owned=True,
)
INDEX = Kind("index", "indexes", _fixed("INDEX"), shape=lambda i: i.definition)
CONSTRAINT = Kind(
    "constraint",
    "constraints",
    _fixed("CONSTRAINT"),
    _on_table,
    shape=lambda c: (c.kind, c.definition, c.deferrable, c.deferred),
    state=lambda c: (c.definition, c.deferrable, c.deferred, c.comment),
)
TRIGGER = Kind("trigger", "triggers", _fixed("TRIGGER"), _on_table, shape=lambda t: t.definition)
POLICY = Kind(
    "policy",
    "policies",
    _fixed("POLICY"),
    _on_table,
    shape=lambda p: (p.permissive, p.command, p.roles, p.using_expr, p.check_expr),
)

KINDS: tuple[Kind, ...] = (
    SCHEMA,
    EXTENSION,
    ENUM,
    COMPOSITE_TYPE,
    DOMAIN,
    COLLATION,
    SEQUENCE,
    FUNCTION,
    TABLE,
    VIEW,
    INDEX,
    CONSTRAINT,
    TRIGGER,
    POLICY,
)
"""Every kind, in the order comments and owners are set."""

BY_ATTRIBUTE: dict[str, Kind] = {kind.attribute: kind for kind in KINDS}


def privilege_word(object_kind: str) -> str | None:
    """The word GRANT and REVOKE use for a `Privilege.object_kind` (`column` privileges are ON TABLE);
    None for a kind the registry does not know."""
    return next((kind.grants[object_kind] for kind in KINDS if object_kind in kind.grants), None)


def granted_on(object_kind: str) -> tuple[Kind, ...]:
    """The kinds whose objects a privilege of this `object_kind` can be on (tables and views for `table`)."""
    return tuple(kind for kind in KINDS if object_kind in kind.grants)
