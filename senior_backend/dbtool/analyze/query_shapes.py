"""What a SQL statement asks of each table, read with PostgreSQL's own parser (pglast).

For every SELECT (subqueries and CTEs included), UPDATE and DELETE the
tables are resolved against the snapshot (aliases, schema search in
`public` first) and each column use is classified: `eq` (=, IN, = ANY),
`range` (<, >, BETWEEN, LIKE), `join` (column = column), `order` and `group`,
in the order they appear. The fingerprint groups statements that differ only
in constants, parameter casts or integer widths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pglast import ast, enums, parse_sql
from pglast.parser import ParseError, fingerprint

from senior_backend.common.pg.model import Snapshot
from senior_backend.common.pg.quoting import qualify

_RANGE_OPS = {"<", ">", "<=", ">="}


@dataclass(frozen=True)
class ColumnUse:
    table: str
    column: str
    role: str


@dataclass
class QueryShape:
    """The parts of one statement that an index could serve."""

    text: str
    fingerprint: str
    kind: str
    param_count: int
    tables: set[str] = field(default_factory=set)
    uses: list[ColumnUse] = field(default_factory=list)

    def columns(self, table: str, roles: tuple[str, ...]) -> list[str]:
        """Distinct columns of a table used in these roles, in order of first use."""
        seen: list[str] = []
        for use in self.uses:
            if use.table == table and use.role in roles and use.column not in seen:
                seen.append(use.column)
        return seen


def table_names(snapshot: Snapshot) -> dict[str, list[str]]:
    """Bare table name -> snapshot keys, for resolving unqualified names (build once per snapshot)."""
    names: dict[str, list[str]] = {}
    for key, table in snapshot.tables.items():
        names.setdefault(table.name, []).append(key)
    return names


def parse_shape(
    text: str, snapshot: Snapshot, names: dict[str, list[str]] | None = None
) -> QueryShape | None:
    """The shape of one statement, or None when it is not a parseable SELECT/UPDATE/DELETE."""
    try:
        statements = parse_sql(text)
    except ParseError:
        return None
    if len(statements) != 1:
        return None
    stmt = statements[0].stmt
    kinds = {ast.SelectStmt: "select", ast.UpdateStmt: "update", ast.DeleteStmt: "delete"}
    kind = kinds.get(type(stmt))
    if kind is None:
        return None
    shape = QueryShape(text=text, fingerprint=fingerprint(text), kind=kind, param_count=_max_param(stmt))
    reader = _Reader(snapshot, shape, names if names is not None else table_names(snapshot))
    for node in _walk(stmt):
        if isinstance(node, ast.SelectStmt):
            reader.select(node)
        elif isinstance(node, ast.UpdateStmt | ast.DeleteStmt):
            reader.modify(node)
    return shape


def _walk(node: object) -> Iterator[ast.Node]:
    if isinstance(node, list | tuple):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, ast.Node):
        yield node
        for name in node.__slots__:
            yield from _walk(getattr(node, name, None))


def _max_param(stmt: ast.Node) -> int:
    return max((node.number for node in _walk(stmt) if isinstance(node, ast.ParamRef)), default=0)


class _Reader:
    """Resolves one statement level's tables and records its column uses."""

    def __init__(self, snapshot: Snapshot, shape: QueryShape, names: dict[str, list[str]]) -> None:
        self.snapshot = snapshot
        self.shape = shape
        self._by_name = names

    def select(self, node: ast.SelectStmt) -> None:
        scope: dict[str, str] = {}
        joins: list[ast.Node] = []
        for item in node.fromClause or ():
            self._from_item(item, scope, joins)
        self._conditions(node.whereClause, scope)
        for quals in joins:
            self._conditions(quals, scope)
        for sort in node.sortClause or ():
            self._plain(sort.node, scope, "order")
        for group in node.groupClause or ():
            self._plain(group, scope, "group")

    def modify(self, node: ast.UpdateStmt | ast.DeleteStmt) -> None:
        scope: dict[str, str] = {}
        joins: list[ast.Node] = []
        self._from_item(node.relation, scope, joins)
        extra = node.fromClause if isinstance(node, ast.UpdateStmt) else node.usingClause
        for item in extra or ():
            self._from_item(item, scope, joins)
        self._conditions(node.whereClause, scope)

    def _from_item(self, item: ast.Node, scope: dict[str, str], joins: list[ast.Node]) -> None:
        if isinstance(item, ast.RangeVar):
            key = self._resolve_table(item)
            if key:
                self.shape.tables.add(key)
                scope[item.alias.aliasname if item.alias else item.relname] = key
        elif isinstance(item, ast.JoinExpr):
            self._from_item(item.larg, scope, joins)
            self._from_item(item.rarg, scope, joins)
            if item.quals is not None:
                joins.append(item.quals)

    def _resolve_table(self, rv: ast.RangeVar) -> str | None:
        if rv.schemaname:
            key = qualify(rv.schemaname, rv.relname)
            return key if key in self.snapshot.tables else None
        candidates = self._by_name.get(rv.relname, [])
        public = qualify("public", rv.relname)
        if public in candidates:
            return public
        return candidates[0] if len(candidates) == 1 else None

    def _column(self, node: ast.Node | None, scope: dict[str, str]) -> tuple[str, str] | None:
        while isinstance(node, ast.TypeCast):
            node = node.arg
        if not isinstance(node, ast.ColumnRef):
            return None
        names = [field.sval for field in node.fields if isinstance(field, ast.String)]
        if len(names) != len(node.fields) or not names:
            return None
        column = names[-1]
        if len(names) >= 2:
            key = scope.get(names[-2])
            return (key, column) if key else None
        owners = [key for key in scope.values() if column in self.snapshot.tables[key].columns]
        return (owners[0], column) if len(set(owners)) == 1 else None

    def _plain(self, node: ast.Node, scope: dict[str, str], role: str) -> None:
        found = self._column(node, scope)
        if found:
            self.shape.uses.append(ColumnUse(found[0], found[1], role))

    def _conditions(self, node: ast.Node | None, scope: dict[str, str]) -> None:
        if node is None:
            return
        if isinstance(node, ast.BoolExpr):
            for arg in node.args:
                self._conditions(arg, scope)
            return
        if not isinstance(node, ast.A_Expr):
            return
        op = node.name[-1].sval if node.name else ""
        left, right = self._column(node.lexpr, scope), self._column(node.rexpr, scope)
        if node.kind == enums.A_Expr_Kind.AEXPR_OP and op == "=" and left and right:
            self.shape.uses.append(ColumnUse(left[0], left[1], "join"))
            self.shape.uses.append(ColumnUse(right[0], right[1], "join"))
            return
        role = _role(node.kind, op)
        if role is None:
            return
        for found in (left, right):
            if found:
                self.shape.uses.append(ColumnUse(found[0], found[1], role))


def _role(kind: enums.A_Expr_Kind, op: str) -> str | None:
    if kind in (enums.A_Expr_Kind.AEXPR_IN, enums.A_Expr_Kind.AEXPR_OP_ANY) and op == "=":
        return "eq"
    if kind == enums.A_Expr_Kind.AEXPR_OP:
        return "eq" if op == "=" else "range" if op in _RANGE_OPS else None
    if kind in (enums.A_Expr_Kind.AEXPR_BETWEEN, enums.A_Expr_Kind.AEXPR_LIKE):
        return "range"
    return None
