"""The catalog snapshot: one plain dataclass per kind of database object.

Objects are keyed by readable qualified name (`public.users`, see
`quoting.qualify`). Each dataclass is built from one row of its query in
`sql/`; equality of two objects means "no change needed" to the diff.
The analyser and the schema diff read the same snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from senior_backend.common.pg.quoting import qualify, quote_ident


@dataclass(frozen=True)
class Schema:
    name: str
    owner: str
    comment: str | None = None

    @property
    def key(self) -> str:
        return quote_ident(self.name)


@dataclass(frozen=True)
class Extension:
    """An installed extension; `update_targets` are the versions `ALTER EXTENSION .. UPDATE` reaches from
    `version`, `in_use` tells whether objects outside it depend on it (so it cannot be dropped)."""

    name: str
    schema: str
    version: str
    update_targets: tuple[str, ...] = field(default=(), compare=False)
    in_use: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        return self.name


@dataclass(frozen=True)
class Enum:
    """An enum; `used_by` lists what uses it (`column|default|domain|constraint|index|view <key>`,
    `other <description>`), directly, as an array or through a domain."""

    schema: str
    name: str
    labels: tuple[str, ...]
    comment: str | None = None
    owner: str = field(default="", compare=False)
    used_by: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        return qualify(self.schema, self.name)


@dataclass(frozen=True)
class Column:
    name: str
    position: int = field(compare=False)
    type: str
    type_schema: str
    type_name: str
    type_kind: str
    not_null: bool
    default_expr: str | None
    identity: str
    generated: str
    collation: str | None = None
    comment: str | None = None
    is_local: bool = True


@dataclass
class Table:
    schema: str
    name: str
    kind: str
    persistence: str
    rls_enabled: bool
    rls_forced: bool
    estimated_rows: int = field(compare=False)
    size_bytes: int = field(compare=False)
    partition_key: str | None
    partition_bound: str | None
    parents: tuple[str, ...]
    is_partition: bool
    comment: str | None = None
    columns: dict[str, Column] = field(default_factory=dict)
    owner: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return qualify(self.schema, self.name)

    @property
    def is_partitioned(self) -> bool:
        return self.kind == "p"


@dataclass(frozen=True)
class Index:
    schema: str
    name: str
    table_name: str
    definition: str
    method: str
    is_unique: bool
    is_primary: bool
    is_valid: bool
    key_count: int
    columns: tuple[str | None, ...]
    expressions: str | None
    predicate: str | None
    constraint_name: str | None
    size_bytes: int = field(compare=False)
    is_partitioned: bool = False
    comment: str | None = None
    parent_index: str | None = None

    @property
    def key(self) -> str:
        return qualify(self.schema, self.name)

    @property
    def table_key(self) -> str:
        return qualify(self.schema, self.table_name)

    @property
    def key_columns(self) -> tuple[str | None, ...]:
        """The key columns in order (None where the key part is an expression); INCLUDE columns left out."""
        return self.columns[: self.key_count]


class _OnTable:
    """Objects that belong to a table (constraints, triggers, policies): keyed `schema.table.name`."""

    schema: str
    table_name: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.table_key}.{quote_ident(self.name)}"

    @property
    def table_key(self) -> str:
        return qualify(self.schema, self.table_name)


@dataclass(frozen=True)
class Constraint(_OnTable):
    schema: str
    table_name: str
    name: str
    kind: str
    definition: str
    columns: tuple[str, ...]
    ref_table: str | None
    ref_columns: tuple[str, ...]
    validated: bool
    deferrable: bool
    deferred: bool
    is_local: bool
    inherited_from_partition: bool
    comment: str | None = None


@dataclass(frozen=True)
class Sequence:
    schema: str
    name: str
    data_type: str
    start: int
    increment: int
    min_value: int
    max_value: int
    cache: int
    cycle: bool
    owned_by: str | None
    is_identity: bool
    last_value: int | None = field(compare=False)
    comment: str | None = None
    owner: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return qualify(self.schema, self.name)


@dataclass(frozen=True)
class View:
    schema: str
    name: str
    materialized: bool
    definition: str
    comment: str | None = None
    depends_on: tuple[str, ...] = ()
    # `pg_class.reloptions` (`security_invoker=true`, `check_option=cascaded`; a materialized view's
    # storage parameters), sorted
    options: tuple[str, ...] = ()
    owner: str = field(default="", compare=False)
    # the columns it reads (`schema.table.column`), and `schema.table` for a whole-row use of a relation
    uses_columns: tuple[str, ...] = field(default=(), compare=False)
    # the comments on its own columns: the commented columns' names and, aligned, the texts
    commented_columns: tuple[str, ...] = ()
    column_comments: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return qualify(self.schema, self.name)

    @property
    def comments_by_column(self) -> dict[str, str]:
        """Column name -> the comment on it, for the commented columns only."""
        return dict(zip(self.commented_columns, self.column_comments, strict=True))


@dataclass(frozen=True)
class Domain:
    schema: str
    name: str
    base_type: str
    not_null: bool
    default_expr: str | None
    collation: str | None
    constraint_names: tuple[str, ...]
    constraint_defs: tuple[str, ...]
    comment: str | None = None
    owner: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return qualify(self.schema, self.name)


@dataclass(frozen=True)
class Collation:
    schema: str
    name: str
    provider: str
    deterministic: bool
    lc_collate: str | None
    lc_ctype: str | None
    icu_locale: str | None
    comment: str | None = None

    @property
    def key(self) -> str:
        return qualify(self.schema, self.name)


@dataclass(frozen=True)
class CompositeType:
    schema: str
    name: str
    attribute_names: tuple[str, ...]
    attribute_types: tuple[str, ...]
    comment: str | None = None
    owner: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return qualify(self.schema, self.name)


@dataclass(frozen=True)
class Function:
    """A function or procedure (`kind` 'f' or 'p'); `definition` is PostgreSQL's own CREATE OR REPLACE text."""

    schema: str
    name: str
    identity_args: str
    kind: str
    result: str | None
    arguments: str
    language: str
    definition: str
    uses_tables: tuple[str, ...]
    comment: str | None = None
    arg_types: str | None = field(default=None, compare=False)
    owner: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"{qualify(self.schema, self.name)}({self.identity_args})"


@dataclass(frozen=True)
class Trigger(_OnTable):
    schema: str
    table_name: str
    name: str
    definition: str
    enabled: str
    function_key: str
    comment: str | None = None


@dataclass(frozen=True)
class Policy(_OnTable):
    schema: str
    table_name: str
    name: str
    permissive: bool
    command: str
    roles: tuple[str, ...]
    using_expr: str | None
    check_expr: str | None
    comment: str | None = None


@dataclass(frozen=True)
class Privilege:
    """One granted privilege; `object_key` is the object's snapshot key, `column_name` set for column grants."""

    object_kind: str
    object_key: str
    column_name: str | None
    grantee: str
    privilege: str
    grantable: bool

    @property
    def key(self) -> str:
        column = f".{quote_ident(self.column_name)}" if self.column_name else ""
        return f"{self.object_kind} {self.object_key}{column} {self.privilege} to {self.grantee}"


@dataclass(frozen=True)
class FunctionDependent:
    """An object that uses a function (so DROP FUNCTION refuses while it exists): `kind` is `default`,
    `generated`, `constraint`, `domain`, `index`, `policy` or `other` (`dependent_key` then describes it)."""

    function_key: str
    kind: str
    dependent_key: str

    @property
    def key(self) -> str:
        return f"{self.function_key} {self.kind} {self.dependent_key}"


@dataclass(frozen=True)
class Uncovered:
    """An object the schema diff does not handle; reported as a warning, never silently ignored."""

    kind: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass
class Snapshot:
    """Everything the tools know about one database, keyed by qualified name."""

    server_version: int
    schemas: dict[str, Schema] = field(default_factory=dict)
    extensions: dict[str, Extension] = field(default_factory=dict)
    enums: dict[str, Enum] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    sequences: dict[str, Sequence] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)
    collations: dict[str, Collation] = field(default_factory=dict)
    composite_types: dict[str, CompositeType] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    privileges: dict[str, Privilege] = field(default_factory=dict)
    function_dependents: dict[str, FunctionDependent] = field(default_factory=dict)
    uncovered: dict[str, Uncovered] = field(default_factory=dict)

    def indexes_of(self, table_key: str) -> list[Index]:
        return [index for index in self.indexes.values() if index.table_key == table_key]

    def constraints_of(self, table_key: str, kind: str | None = None) -> list[Constraint]:
        return [
            con
            for con in self.constraints.values()
            if con.table_key == table_key and (kind is None or con.kind == kind)
        ]


ARRAY_FIELDS = frozenset(
    {
        "parents",
        "columns",
        "ref_columns",
        "labels",
        "depends_on",
        "uses_columns",
        "commented_columns",
        "column_comments",
        "options",
        "constraint_names",
        "constraint_defs",
        "attribute_names",
        "attribute_types",
        "uses_tables",
        "roles",
        "update_targets",
        "used_by",
    }
)


def row_to(cls: type, row: dict[str, Any]) -> Any:
    """Build a dataclass from a query row, turning arrays into tuples (NULL arrays into empty ones)."""
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in row.items()}
    for name in ARRAY_FIELDS.intersection(values):
        if values[name] is None:
            values[name] = ()
    return cls(**values)


def rows_to(cls: type, names: list[str], rows: list[tuple]) -> list[Any]:
    """`row_to` for many tuple rows of one query, several times faster.

    The array columns are found once from the names, and objects are filled
    through their `__dict__` (a frozen dataclass's `__init__` pays a
    `object.__setattr__` per field); defaults of fields the query leaves out
    are applied as `__init__` would.
    """
    arrays = [i for i, name in enumerate(names) if name in ARRAY_FIELDS]
    defaults, factories = _defaults(cls)
    defaults = {k: v for k, v in defaults.items() if k not in names}
    factories = {k: v for k, v in factories.items() if k not in names}
    built = []
    new = object.__new__
    for row in rows:
        values = list(row)
        for i in arrays:
            values[i] = () if values[i] is None else tuple(values[i])
        obj = new(cls)
        state = obj.__dict__
        state.update(defaults)
        state.update(zip(names, values, strict=True))
        for name, factory in factories.items():
            state[name] = factory()
        built.append(obj)
    return built


def _defaults(cls: type) -> tuple[dict[str, Any], dict[str, Any]]:
    from dataclasses import MISSING, fields

    values = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
    factories = {f.name: f.default_factory for f in fields(cls) if f.default_factory is not MISSING}
    return values, factories
