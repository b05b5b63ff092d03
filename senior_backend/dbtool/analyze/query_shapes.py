"""What a SQL statement asks of each table, read with PostgreSQL's own parser (pglast).

For every SELECT (subqueries and CTEs included), UPDATE and DELETE the
tables are resolved against the snapshot (aliases, schema search in
`public` first) and each column use is classified: `eq` (=, IN, = ANY),
`range` (<, >, BETWEEN, LIKE), `join` (column = column), `order` and `group`,
in the order they appear; `JOIN ... USING (column)` is a join on both sides.
For the N+1 evidence the shape also keeps the join pairs, the columns the
outermost SELECT returns (`*` and `alias.*` expanded) and whether it only
probes (`count(*)`, `EXISTS`). The fingerprint groups statements that differ
only in constants, parameter casts or integer widths; unlike the parser's own
fingerprint it keeps `= $1`, `IN (...)` and `= ANY($1)` apart, because a
per-row lookup and the batched fetch that replaces it must not count as one.
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
    joins: list[tuple[ColumnUse, ColumnUse]] = field(default_factory=list)
    outputs: set[tuple[str, str]] = field(default_factory=set)
    probe: bool = False

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
    shape = QueryShape(
        text=text, fingerprint=_fingerprint(text, stmt), kind=kind, param_count=_max_param(stmt)
    )
    reader = _Reader(snapshot, shape, names if names is not None else table_names(snapshot))
    for node in _walk(stmt):
        if isinstance(node, ast.SelectStmt):
            scope = reader.select(node)
            if node is stmt:
                reader.outputs(node, scope)
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


def _fingerprint(text: str, stmt: ast.Node) -> str:
    """The parser's fingerprint plus the comparison forms it ignores (`=`, `IN`, `= ANY`), when any but `=`."""
    forms = [node.kind.value for node in _walk(stmt) if isinstance(node, ast.A_Expr)]
    plain = fingerprint(text)
    return plain if all(form == enums.A_Expr_Kind.AEXPR_OP.value for form in forms) else f"{plain}:{forms}"


def _max_param(stmt: ast.Node) -> int:
    return max((node.number for node in _walk(stmt) if isinstance(node, ast.ParamRef)), default=0)


class _Reader:
    """Resolves one statement level's tables and records its column uses."""

    def __init__(self, snapshot: Snapshot, shape: QueryShape, names: dict[str, list[str]]) -> None:
        self.snapshot = snapshot
        self.shape = shape
        self._by_name = names

    def select(self, node: ast.SelectStmt) -> dict[str, str]:
        """Record one SELECT level's column uses; returns its scope (alias -> table key)."""
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
        return scope

    def outputs(self, node: ast.SelectStmt, scope: dict[str, str]) -> None:
        """The (table, column) pairs the outermost SELECT returns, and whether it only probes."""
        targets = node.targetList or ()
        self.shape.probe = bool(targets) and all(_is_probe(target.val) for target in targets)
        for target in targets:
            value = target.val
            if isinstance(value, ast.ColumnRef) and isinstance(value.fields[-1], ast.A_Star):
                prefix = [f.sval for f in value.fields[:-1] if isinstance(f, ast.String)]
                keys = [scope.get(prefix[-1], "")] if prefix else list(scope.values())
                for key in filter(None, keys):
                    self.shape.outputs.update((key, column) for column in self.snapshot.tables[key].columns)
            elif isinstance(value, ast.ColumnRef):
                self.shape.outputs.update(self._owners(value, scope))

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
            left = dict(scope)
            self._from_item(item.rarg, scope, joins)
            right = {alias: key for alias, key in scope.items() if alias not in left}
            if item.quals is not None:
                joins.append(item.quals)
            for name in item.usingClause or ():
                self._using(name.sval, left, right)

    def _using(self, column: str, left: dict[str, str], right: dict[str, str]) -> None:
        """`USING (column)`: the column of the one table on each side that has it, joined."""
        sides = []
        for side in (left, right):
            owners = {key for key in side.values() if column in self.snapshot.tables[key].columns}
            if len(owners) != 1:
                return
            sides.append(ColumnUse(owners.pop(), column, "join"))
        self.shape.uses.extend(sides)
        self.shape.joins.append((sides[0], sides[1]))

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

    def _owners(self, node: ast.ColumnRef, scope: dict[str, str]) -> set[tuple[str, str]]:
        """Every table a returned column may come from (an unqualified `USING` column is in both)."""
        found = self._column(node, scope)
        if found:
            return {found}
        names = [field.sval for field in node.fields if isinstance(field, ast.String)]
        if len(names) != 1:
            return set()
        return {(key, names[0]) for key in scope.values() if names[0] in self.snapshot.tables[key].columns}

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
            pair = (ColumnUse(left[0], left[1], "join"), ColumnUse(right[0], right[1], "join"))
            self.shape.uses.extend(pair)
            self.shape.joins.append(pair)
            return
        role = _role(node.kind, op)
        if role is None:
            return
        for found in (left, right):
            if found:
                self.shape.uses.append(ColumnUse(found[0], found[1], role))


def _is_probe(node: ast.Node) -> bool:
    """`count(...)`, `EXISTS (...)` or a constant (`$n` once pg_stat_statements has normalised it): a target
    that says whether rows exist, not what they hold (`SELECT 1 AS one ... LIMIT 1`)."""
    if isinstance(node, ast.FuncCall):
        return node.funcname[-1].sval == "count"
    if isinstance(node, ast.SubLink):
        return node.subLinkType == enums.SubLinkType.EXISTS_SUBLINK
    return isinstance(node, ast.A_Const | ast.ParamRef)


def _role(kind: enums.A_Expr_Kind, op: str) -> str | None:
    if kind in (enums.A_Expr_Kind.AEXPR_IN, enums.A_Expr_Kind.AEXPR_OP_ANY) and op == "=":
        return "eq"
    if kind == enums.A_Expr_Kind.AEXPR_OP:
        return "eq" if op == "=" else "range" if op in _RANGE_OPS else None
    if kind in (enums.A_Expr_Kind.AEXPR_BETWEEN, enums.A_Expr_Kind.AEXPR_LIKE):
        return "range"
    return None
