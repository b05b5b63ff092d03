"""Splitting migration SQL into statements and classifying them, with PostgreSQL's own parser (pglast).

Used by the runner (to report the failing statement and its line, and to
time each statement in a dry run), by the lint, and by the index advisor's
--queries file (`Place`: the file:line:column of a statement, or of the
character PostgreSQL's error points at). Nothing here decides what DDL means
for the schema; that is PostgreSQL's job in the shadow database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pglast
from pglast.enums import TransactionStmtKind
from pglast.stream import RawStream

from senior_backend.common.errors import BadInput


@dataclass(frozen=True)
class Statement:
    """One statement of a file: its text, the line it starts on (1-based) and its character offset."""

    text: str
    line: int
    offset: int

    @property
    def first_line(self) -> str:
        return self.text.strip().splitlines()[0][:120] if self.text.strip() else ""


@dataclass(frozen=True)
class Place:
    """A character of a file: its name, 1-based line and 1-based column counted in characters
    (PostgreSQL's error positions count characters, not bytes)."""

    source: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"

    @property
    def line_only(self) -> str:
        """`source:line`, for what concerns a whole statement rather than one character of it."""
        return f"{self.source}:{self.line}"

    def advanced(self, text: str, offset: int) -> Place:
        """The place of character `offset` (0-based) of `text`, a text that starts at this place."""
        line, column = line_column(text, offset)
        return Place(self.source, self.line + line - 1, column if line > 1 else self.column + column - 1)


def line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column (in characters) of character `offset` (0-based) of `text`."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def place_of(text: str, offset: int, source: str) -> Place:
    """The file:line:column of character `offset` (0-based) of `text`, the whole text of `source`."""
    return Place(source, *line_column(text, offset))


def split_statements(text: str, source: str = "<sql>") -> list[Statement]:
    """The statements of `text` without their leading comments, each with its starting line.

    The whole text goes through PostgreSQL's parser: text that does not parse
    stops the run (exit 2, `source:line` and the parser's message) instead of
    being dropped, so what runs is exactly what the file says.
    """
    try:
        parsed = pglast.parse_sql(text)
    except pglast.parser.ParseError as exc:
        message, location = (*exc.args, 0)[:2] if exc.args else (str(exc), 0)
        line = text.count("\n", 0, int(location)) + 1
        first, _, rest = str(message).partition("\n")
        raise BadInput("sql-syntax", first + ('..."' if rest else ""), where=f"{source}:{line}") from exc
    found = []
    for raw in parsed:
        start = raw.stmt_location
        chunk = text[start : start + raw.stmt_len] if raw.stmt_len else text[start:]
        stripped = _skip_comments(chunk)
        start += len(chunk) - len(stripped)
        if not stripped.strip():
            continue
        found.append(
            Statement(stripped.rstrip().removesuffix(";").rstrip(), text.count("\n", 0, start) + 1, start)
        )
    return found


def read_sql(path: Path) -> str:
    """The text of a SQL file; a file that is not UTF-8 is bad input (exit 2), not a crash."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("bad-encoding", f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise BadInput("unreadable", f"cannot read {path}: {exc.strerror or exc}") from exc


def _skip_comments(chunk: str) -> str:
    rest = chunk
    while True:
        trimmed = rest.lstrip()
        if trimmed.startswith("--"):
            newline = trimmed.find("\n")
            rest = "" if newline < 0 else trimmed[newline + 1 :]
        elif trimmed.startswith("/*"):
            end = trimmed.find("*/")
            rest = "" if end < 0 else trimmed[end + 2 :]
        else:
            return trimmed


def parse_one(statement: str) -> object | None:
    """The parse tree of one statement, or None when pglast cannot parse it."""
    try:
        parsed = pglast.parse_sql(statement)
    except pglast.parser.ParseError:
        return None
    return parsed[0].stmt if parsed else None


def transaction_control(node: object | None) -> str | None:
    """'begin' / 'commit' / 'rollback' for transaction statements, else None."""
    if node is None or type(node).__name__ != "TransactionStmt":
        return None
    kind = TransactionStmtKind(node.kind).name  # type: ignore[attr-defined]
    if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
        return "begin"
    if kind in ("TRANS_STMT_COMMIT",):
        return "commit"
    if kind in ("TRANS_STMT_ROLLBACK",):
        return "rollback"
    return None


def needs_no_transaction(node: object | None) -> bool:
    """True for statements PostgreSQL refuses inside a transaction block."""
    if node is None:
        return False
    name = type(node).__name__
    if name in ("IndexStmt", "DropStmt") and getattr(node, "concurrent", False):
        return True
    if name == "ReindexStmt":
        return any(getattr(p, "defname", "") == "concurrently" for p in (node.params or ()))  # type: ignore[attr-defined]
    if name == "AlterTableStmt":
        return any(
            "DetachPartition" in str(getattr(cmd, "subtype", ""))
            and getattr(getattr(cmd, "def_", None), "concurrent", False)
            for cmd in (node.cmds or ())  # type: ignore[attr-defined]
        )
    return name in (
        "VacuumStmt",
        "CreatedbStmt",
        "DropdbStmt",
        "AlterSystemStmt",
        "CreateTableSpaceStmt",
        "DropTableSpaceStmt",
    )


def without_concurrently(node: object) -> str | None:
    """The same index statement without CONCURRENTLY (to check it inside a transaction), else None."""
    name = type(node).__name__
    if name in ("IndexStmt", "DropStmt") and getattr(node, "concurrent", False):
        node.concurrent = False  # type: ignore[attr-defined]
        try:
            return RawStream()(node)
        finally:
            node.concurrent = True  # type: ignore[attr-defined]
    return None
