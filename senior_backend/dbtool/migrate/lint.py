"""Lint a migration file for operations that lock or rewrite busy tables, or lose data.

Statements are parsed with PostgreSQL's own parser (pglast). Rule names follow
squawk's where the hazard is the same, so findings are easy to compare; tables
created in the same file are exempt from the lock rules (nobody else uses
them yet), and SET NOT NULL after a VALIDATE CONSTRAINT on the same table is
the safe path (PostgreSQL uses the validated check instead of scanning);
squawk knows neither. Every rule is one row of `RULES` (level, message, fix);
a finding speaks the common problem vocabulary (rule, level, message, where
as `file:line`, hint) and also carries the line, the statement and the fix.
A hazard taken on purpose is silenced as in squawk: `-- squawk-ignore rule, ...`
on the comment lines right before a statement, `-- squawk-ignore-file [rule, ...]`
anywhere for the whole file (no rule named: every rule); text after a second
`--` is the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, DropBehavior, ObjectType, TransactionStmtKind

from senior_backend.common.diagnostics import Diagnostic, Level
from senior_backend.common.errors import BadInput
from senior_backend.dbtool.migration_files import is_no_transaction
from senior_backend.dbtool.sqltext import Statement, parse_one, read_sql, split_statements

_TRUE = {"true", "on", "1", "yes"}
_IGNORE = re.compile(r"^\s*--\s*squawk-ignore(?P<file>-file)?(?![\w-])(?P<rules>.*)$", re.MULTILINE)
_EVERY_RULE = "*"
_SAFE_DEFAULT_FUNCTIONS = {"now", "current_timestamp", "statement_timestamp", "transaction_timestamp"}


@dataclass(frozen=True)
class Rule:
    """One lint rule: how bad it is, what it says (`{table}` is filled in) and the safe way instead."""

    level: Level
    message: str
    fix: str


_W, _E = Level.WARNING, Level.ERROR
RULES: dict[str, Rule] = {
    "require-concurrent-index-creation": Rule(
        _W,
        "CREATE INDEX without CONCURRENTLY blocks writes to {table} while it builds",
        "CREATE INDEX CONCURRENTLY in a no-transaction migration",
    ),
    "require-concurrent-index-deletion": Rule(
        _W,
        "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table",
        "DROP INDEX CONCURRENTLY in a no-transaction migration",
    ),
    "adding-foreign-key-constraint": Rule(
        _W,
        "adding a validated foreign key scans {table} while blocking writes on both tables",
        "add the foreign key NOT VALID, then VALIDATE CONSTRAINT in a later statement",
    ),
    "constraint-missing-not-valid": Rule(
        _W,
        "adding a validated check scans {table} under ACCESS EXCLUSIVE",
        "add the check NOT VALID, then VALIDATE CONSTRAINT in a later statement",
    ),
    "adding-not-nullable-field": Rule(
        _W,
        "SET NOT NULL scans {table} under ACCESS EXCLUSIVE",
        "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL and drop the check",
    ),
    "changing-column-type": Rule(
        _W,
        "changing a column type usually rewrites {table} under ACCESS EXCLUSIVE",
        "add a new column, backfill in batches, switch readers, drop the old column",
    ),
    "adding-field-with-default": Rule(
        _W,
        "a volatile default rewrites {table} under ACCESS EXCLUSIVE",
        "add the column without a default, backfill in batches, then SET DEFAULT",
    ),
    "adding-required-field": Rule(
        _E,
        "a NOT NULL column without a default fails on a table with rows",
        "add the column nullable (or with a constant default), backfill, then make it NOT NULL",
    ),
    "disallowed-unique-constraint": Rule(
        _W,
        "adding a UNIQUE/PRIMARY KEY constraint builds its index under ACCESS EXCLUSIVE",
        "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX",
    ),
    "renaming-column": Rule(
        _W,
        "renaming a column breaks the running application",
        "add the new column, write to both, backfill, switch readers, then drop the old one",
    ),
    "renaming-table": Rule(
        _W,
        "renaming a table breaks the running application",
        "create a view with the old name while the application moves over",
    ),
    "ban-drop-column": Rule(
        _E,
        "dropping a column loses data",
        "stop using the column in the application first; drop it in a later, reviewed migration",
    ),
    "ban-drop-table": Rule(
        _E, "dropping a table loses data", "rename the table away first and drop it once nothing uses it"
    ),
    "ban-drop-database": Rule(_E, "dropping a database loses data", "never drop a database from a migration"),
    "ban-concurrent-index-creation-in-transaction": Rule(
        _E,
        "CONCURRENTLY cannot run inside a transaction block",
        "start the file with '-- senior-backend: no-transaction'",
    ),
    "require-lock-timeout": Rule(
        _W,
        "no lock_timeout is set before the first statement that takes a lock",
        "SET lock_timeout = '5s'; at the top of the migration",
    ),
    "require-statement-timeout": Rule(
        _W,
        "no statement_timeout is set before the first statement that takes a lock",
        "SET statement_timeout = '...'; at the top of the migration",
    ),
    "adding-exclusion-constraint": Rule(
        _W,
        "adding an exclusion constraint builds its index under ACCESS EXCLUSIVE",
        "build it during a maintenance window: it scans the table under ACCESS EXCLUSIVE",
    ),
    "ban-truncate": Rule(
        _E,
        "TRUNCATE deletes every row of {table} (and takes ACCESS EXCLUSIVE)",
        "delete the rows in batches, or truncate by hand after a reviewed backup",
    ),
    "ban-drop-schema": Rule(
        _E,
        "DROP SCHEMA ... CASCADE drops every object in the schema and its data",
        "drop the schema's objects one by one (each reviewed), then DROP SCHEMA without CASCADE",
    ),
    "ban-vacuum-full": Rule(
        _W,
        "VACUUM FULL rewrites {table} under ACCESS EXCLUSIVE: reads and writes wait",
        "use pg_repack (no long lock), or run VACUUM FULL by hand in a maintenance window",
    ),
    "ban-cluster": Rule(
        _W,
        "CLUSTER rewrites {table} under ACCESS EXCLUSIVE: reads and writes wait",
        "use pg_repack (no long lock), or run CLUSTER by hand in a maintenance window",
    ),
    "ban-drop-extension": Rule(
        _E,
        "DROP EXTENSION {table} drops every object the extension owns (types, functions, tables) and their data",
        "stop using the extension's objects first; drop it by hand after a reviewed backup",
    ),
    "ban-drop-type": Rule(
        _E,
        "DROP TYPE/DOMAIN ... CASCADE drops every column of type {table} and its data",
        "change or drop the columns that use the type one by one (each reviewed), then DROP TYPE without CASCADE",
    ),
    "ban-drop-view": Rule(
        _W,
        "dropping view {table} (not created again in this file) breaks its readers and loses its grants",
        "CREATE OR REPLACE VIEW to change it; drop it only once nothing reads it, re-granting what a new one needs",
    ),
    "ban-delete-without-where": Rule(
        _E,
        "DELETE without WHERE deletes every row of {table} and locks each one until commit",
        "delete the rows meant with a WHERE clause, in batches; or empty the table by hand after a backup",
    ),
    "update-without-where": Rule(
        _W,
        "UPDATE without WHERE rewrites every row of {table}: it locks each one until commit and overwrites old values",
        "backfill in batches (UPDATE ... WHERE id BETWEEN ...), each in its own transaction",
    ),
    "ban-new-enum-value-use-in-transaction": Rule(
        _E,
        "enum value {table} is used in the transaction that added it: PostgreSQL fails with 'unsafe use of new value'",
        "add the value in its own migration (or a no-transaction one) and use it in a later one",
    ),
}
"""Every lint rule by name (squawk's names where the hazard is the same)."""


@dataclass(frozen=True)
class Finding:
    """One hazard in one statement of a file: a problem (`where` = `file:line`, `hint` = the fix)."""

    rule: str
    level: Level
    message: str
    file: str
    line: int
    statement: str
    fix: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.level, self.rule, self.message, self.where, self.fix)

    def to_json(self) -> dict[str, Any]:
        """The problem keys (rule, level, message, where, hint) plus file, line, statement and fix."""
        return {
            **self.diagnostic.to_json(),
            "file": self.file,
            "line": self.line,
            "statement": self.statement,
            "fix": self.fix,
        }


def lint_file(path: Path) -> list[Finding]:
    """Every hazard of one migration file."""
    if not path.is_file():
        raise BadInput("no-file", f"{path} is not a file")
    return lint_sql(read_sql(path), str(path))


def lint_targets(path: Path) -> list[Path]:
    """The files `--lint PATH` reads: the file itself, or a folder's .sql files except `.down.sql` ones.

    Down migrations undo what the up file did, so their drops are expected and not reported.
    """
    if path.is_dir():
        files = sorted(f for f in path.glob("*.sql") if not f.name.endswith(".down.sql"))
        if not files:
            raise BadInput("no-migrations", f"{path} holds no .sql migration files")
        return files
    if not path.is_file():
        raise BadInput("no-file", f"{path} does not exist")
    return [path]


def lint_sql(text: str, source: str = "<sql>") -> list[Finding]:
    """Every hazard of a migration's statements, in file order, except those its comments ignore."""
    linter = _Linter(is_no_transaction(text), source)
    for_file = set().union(*(_rules(m) for m in _IGNORE.finditer(text) if m["file"]))
    for statement in split_statements(text, source):
        linter.ignored = for_file | _ignored_before(text[: statement.offset])
        linter.check(statement)
    return linter.findings


def _rules(match: re.Match[str]) -> set[str]:
    """The rules one ignore comment names (every rule when it names none)."""
    named = {rule for rule in re.split(r"[\s,]+", match["rules"].split("--")[0]) if rule}
    return named or {_EVERY_RULE}


def _ignored_before(preceding: str) -> set[str]:
    """The rules ignored by the `-- squawk-ignore` lines among the comment lines right before a statement."""
    ignored: set[str] = set()
    for line in reversed(preceding.rstrip().splitlines()):
        if not line.lstrip().startswith("--"):
            break
        match = _IGNORE.match(line)
        if match and not match["file"]:
            ignored |= _rules(match)
    return ignored


def _name(range_var: object) -> str:
    schema = getattr(range_var, "schemaname", None)
    name = getattr(range_var, "relname", "?")
    return f"{schema}.{name}" if schema else str(name)


class _Linter:
    def __init__(self, no_transaction: bool, source: str) -> None:
        self.no_transaction = no_transaction
        self.source = source
        self.findings: list[Finding] = []
        self.created: set[str] = set()
        self.settings: set[str] = set()
        self.validated: set[str] = set()
        self.ignored: set[str] = set()
        self.new_enum_values: dict[str, str] = {}
        self.dropped_views: dict[str, Finding] = {}
        self.in_block = False

    def report(self, rule: str, statement: Statement, table: str = "") -> None:
        if rule in self.ignored or _EVERY_RULE in self.ignored:
            return
        found = RULES[rule]
        message = found.message.format(table=table or "the table")
        self.findings.append(
            Finding(rule, found.level, message, self.source, statement.line, statement.first_line, found.fix)
        )

    def existing(self, range_var: object) -> bool:
        return (
            _name(range_var) not in self.created and getattr(range_var, "relname", None) not in self.created
        )

    def locking(self, statement: Statement) -> None:
        for setting, rule in (
            ("lock_timeout", "require-lock-timeout"),
            ("statement_timeout", "require-statement-timeout"),
        ):
            if setting not in self.settings:
                self.report(rule, statement)
                self.settings.add(setting)

    def check(self, statement: Statement) -> None:
        node = parse_one(statement.text)
        kind = type(node).__name__
        for value in sorted(_literals(node) & self.new_enum_values.keys()):
            self.report(
                "ban-new-enum-value-use-in-transaction",
                statement,
                f"'{value}' ({self.new_enum_values[value]})",
            )
        handler = getattr(self, f"_{kind}", None)
        if handler is not None:
            handler(node, statement)
        if self.no_transaction and not self.in_block:
            self.new_enum_values.clear()  # each statement commits on its own

    def _TransactionStmt(self, node: object, statement: Statement) -> None:
        kind = TransactionStmtKind(node.kind)  # type: ignore[attr-defined]
        if kind in (TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START):
            self.in_block = True
        elif kind in (TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK):
            self.in_block = False
            if self.no_transaction:
                self.new_enum_values.clear()

    def _AlterEnumStmt(self, node: object, statement: Statement) -> None:
        if node.newVal and not node.oldVal:  # type: ignore[attr-defined]
            self.new_enum_values[node.newVal] = ".".join(n.sval for n in node.typeName)  # type: ignore[attr-defined]

    def _VariableSetStmt(self, node: object, statement: Statement) -> None:
        self.settings.add(getattr(node, "name", "") or "")

    def _CreateStmt(self, node: object, statement: Statement) -> None:
        self.created.add(_name(node.relation))  # type: ignore[attr-defined]
        self.created.add(node.relation.relname)  # type: ignore[attr-defined]

    def _CreateTableAsStmt(self, node: object, statement: Statement) -> None:
        self.created.add(_name(node.into.rel))  # type: ignore[attr-defined]
        self.created.add(node.into.rel.relname)  # type: ignore[attr-defined]
        self._recreated(node.into.rel.relname)  # type: ignore[attr-defined]

    def _IndexStmt(self, node: object, statement: Statement) -> None:
        if not self.existing(node.relation) or not node.relation.inh:  # type: ignore[attr-defined]
            return  # a new table, or ON ONLY a partitioned parent (instant)
        self.locking(statement)  # CONCURRENTLY still takes SHARE UPDATE EXCLUSIVE and waits for it
        if node.concurrent:  # type: ignore[attr-defined]
            if not self.no_transaction:
                self.report("ban-concurrent-index-creation-in-transaction", statement)
            return
        self.report("require-concurrent-index-creation", statement, _name(node.relation))  # type: ignore[attr-defined]

    def _DropStmt(self, node: object, statement: Statement) -> None:
        kind = ObjectType(node.removeType).name  # type: ignore[attr-defined]
        cascade = DropBehavior(node.behavior) is DropBehavior.DROP_CASCADE  # type: ignore[attr-defined]
        names = ", ".join(_object_name(obj) for obj in node.objects or ())  # type: ignore[attr-defined]
        self.locking(statement)
        if kind == "OBJECT_INDEX" and not node.concurrent:  # type: ignore[attr-defined]
            self.report("require-concurrent-index-deletion", statement)
        elif kind == "OBJECT_INDEX" and not self.no_transaction:
            self.report("ban-concurrent-index-creation-in-transaction", statement)
        elif kind == "OBJECT_TABLE":
            self.report("ban-drop-table", statement)
        elif kind == "OBJECT_SCHEMA" and cascade:
            self.report("ban-drop-schema", statement)
        elif kind == "OBJECT_EXTENSION":
            self.report("ban-drop-extension", statement, names)
        elif kind in ("OBJECT_TYPE", "OBJECT_DOMAIN") and cascade:
            self.report("ban-drop-type", statement, names)
        elif kind in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
            before = len(self.findings)
            self.report("ban-drop-view", statement, names)
            for finding in self.findings[before:]:
                for obj in node.objects or ():  # type: ignore[attr-defined]
                    self.dropped_views[_object_name(obj).rsplit(".", 1)[-1]] = finding

    def _ViewStmt(self, node: object, statement: Statement) -> None:
        self._recreated(node.view.relname)  # type: ignore[attr-defined]

    def _recreated(self, view: str) -> None:
        """A view dropped earlier and created again in the same file is being replaced, not lost."""
        finding = self.dropped_views.pop(view, None)
        if finding is not None and finding in self.findings:
            self.findings.remove(finding)

    def _DeleteStmt(self, node: object, statement: Statement) -> None:
        self._row_write(node, statement, "ban-delete-without-where")

    def _UpdateStmt(self, node: object, statement: Statement) -> None:
        self._row_write(node, statement, "update-without-where")

    def _row_write(self, node: object, statement: Statement, without_where: str) -> None:
        """DELETE or UPDATE of an existing table: it takes a lock, and without WHERE it reaches every row."""
        if not self.existing(node.relation):  # type: ignore[attr-defined]
            return
        self.locking(statement)  # ROW EXCLUSIVE: queues behind any ACCESS EXCLUSIVE on the table
        if node.whereClause is None:  # type: ignore[attr-defined]
            self.report(without_where, statement, _name(node.relation))  # type: ignore[attr-defined]

    def _TruncateStmt(self, node: object, statement: Statement) -> None:
        existing = [_name(rel) for rel in node.relations if self.existing(rel)]  # type: ignore[attr-defined]
        if existing:
            self.locking(statement)
            self.report("ban-truncate", statement, ", ".join(existing))

    def _VacuumStmt(self, node: object, statement: Statement) -> None:
        full = any(
            getattr(option, "defname", "") == "full" and _enabled(option.arg) for option in node.options or ()
        )  # type: ignore[attr-defined]
        tables = [_name(rel.relation) for rel in node.rels or () if self.existing(rel.relation)]  # type: ignore[attr-defined]
        if full and node.is_vacuumcmd and (tables or not node.rels):  # type: ignore[attr-defined]
            self.locking(statement)
            self.report("ban-vacuum-full", statement, ", ".join(tables) or "every table")

    def _ClusterStmt(self, node: object, statement: Statement) -> None:
        relation = getattr(node, "relation", None)
        if relation is None or self.existing(relation):
            self.locking(statement)
            self.report(
                "ban-cluster", statement, _name(relation) if relation is not None else "every clustered table"
            )

    def _DropdbStmt(self, node: object, statement: Statement) -> None:
        self.report("ban-drop-database", statement)

    def _RenameStmt(self, node: object, statement: Statement) -> None:
        kind = ObjectType(node.renameType).name  # type: ignore[attr-defined]
        relation = getattr(node, "relation", None)
        if relation is not None and self.existing(relation):
            self.locking(statement)
        if kind == "OBJECT_COLUMN":
            self.report("renaming-column", statement)
        elif kind == "OBJECT_TABLE":
            self.report("renaming-table", statement)

    def _AlterTableStmt(self, node: object, statement: Statement) -> None:
        table = _name(node.relation)  # type: ignore[attr-defined]
        if not self.existing(node.relation):  # type: ignore[attr-defined]
            return
        self.locking(statement)  # every ALTER TABLE waits for a lock on the table, most for ACCESS EXCLUSIVE
        for cmd in node.cmds or ():  # type: ignore[attr-defined]
            subtype = AlterTableType(cmd.subtype).name
            if subtype == "AT_AddConstraint":
                self._constraint(cmd.def_, statement, table)
            elif subtype == "AT_AlterColumnType":
                self.report("changing-column-type", statement, table)
            elif subtype == "AT_ValidateConstraint":
                self.validated.add(table)
            elif subtype == "AT_SetNotNull" and table not in self.validated:
                self.report("adding-not-nullable-field", statement, table)
            elif subtype == "AT_DropColumn":
                self.report("ban-drop-column", statement, table)
            elif subtype == "AT_AddColumn":
                self._add_column(cmd.def_, statement, table)

    def _constraint(self, con: object, statement: Statement, table: str) -> None:
        contype = ConstrType(con.contype).name  # type: ignore[attr-defined]
        not_valid = bool(getattr(con, "skip_validation", False))
        if contype == "CONSTR_FOREIGN" and not not_valid:
            self.report("adding-foreign-key-constraint", statement, table)
        elif contype == "CONSTR_CHECK" and not not_valid:
            self.report("constraint-missing-not-valid", statement, table)
        elif contype in ("CONSTR_UNIQUE", "CONSTR_PRIMARY") and not getattr(con, "indexname", None):
            self.report("disallowed-unique-constraint", statement, table)
        elif contype == "CONSTR_EXCLUSION":
            self.report("adding-exclusion-constraint", statement, table)

    def _add_column(self, column: object, statement: Statement, table: str) -> None:
        constraints = [ConstrType(c.contype).name for c in (column.constraints or ())]  # type: ignore[attr-defined]
        defaults = [
            c.raw_expr for c in (column.constraints or ()) if ConstrType(c.contype).name == "CONSTR_DEFAULT"
        ]  # type: ignore[attr-defined]
        if "CONSTR_NOTNULL" in constraints and not defaults and "CONSTR_IDENTITY" not in constraints:
            self.report("adding-required-field", statement, table)
        for expr in defaults:
            if _volatile(expr):
                self.report("adding-field-with-default", statement, table)
        if "CONSTR_GENERATED" in constraints or "CONSTR_IDENTITY" in constraints:
            self.report("adding-field-with-default", statement, table)


def _object_name(obj: object) -> str:
    """A dropped object's name as written: `name`, `schema.name` (lists of strings or a type name)."""
    parts = getattr(obj, "names", None) or (obj if isinstance(obj, tuple) else (obj,))
    return ".".join(str(getattr(part, "sval", part)) for part in parts)


def _literals(node: object) -> set[str]:
    """Every string constant anywhere in a parse tree."""
    found: set[str] = set()
    if isinstance(node, (tuple, list)):
        for item in node:
            found |= _literals(item)
    elif isinstance(node, ast.A_Const):
        if isinstance(node.val, ast.String):
            found.add(node.val.sval)
    elif isinstance(node, ast.Node):
        for attribute in node.__slots__:
            found |= _literals(getattr(node, attribute, None))
    return found


def _enabled(arg: object | None) -> bool:
    """A boolean option's value: bare (`FULL`), or true/on/1 (`FULL true`, `FULL 1`)."""
    if arg is None:
        return True
    value = getattr(arg, "sval", None) or getattr(arg, "ival", None) or getattr(arg, "boolval", False)
    return str(value).lower() in _TRUE


def _volatile(expr: object) -> bool:
    """True when a default expression calls a function other than the transaction-stable clock ones."""
    if type(expr).__name__ == "FuncCall":
        name = str(expr.funcname[-1].sval).lower()  # type: ignore[attr-defined]
        return name not in _SAFE_DEFAULT_FUNCTIONS
    if type(expr).__name__ == "TypeCast":
        return _volatile(expr.arg)  # type: ignore[attr-defined]
    return False
