"""Writing migration files: `<YYYYMMDDHHMMSS>_<name>.up.sql` and `.down.sql`, one convention for the whole tool.

A migration whose statements cannot run inside a transaction block (CREATE
INDEX CONCURRENTLY, VACUUM, ...) starts with the line `NO_TRANSACTION_MARKER`;
the runner then executes its statements one by one outside a transaction.
Timestamps are UTC; a new file always gets a later timestamp than every file already
in the folder (several written in one second get consecutive seconds), so files keep their order.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

from senior_backend.common.errors import BadInput

NO_TRANSACTION_MARKER = "-- senior-backend: no-transaction"
_STAMP = "%Y%m%d%H%M%S"
_UNSAFE = re.compile(r"[^a-z0-9_]+")
_STAMPED = re.compile(r"^\d{14}_")
_BREAKING = {"Cc", "Cf", "Zl", "Zp"}


def migration_name(text: str) -> str:
    """A file-name-safe slug: lower case, `[a-z0-9_]`, at most 80 characters."""
    slug = _UNSAFE.sub("_", text.lower()).strip("_")
    return (slug or "migration")[:80].rstrip("_")


def write_migration(
    output_dir: Path | str, name: str, up_sql: str, down_sql: str, no_transaction: bool = False
) -> tuple[Path, Path]:
    """Write one up/down pair into `output_dir` (created if needed) and return their paths."""
    folder = Path(output_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput("bad-output", f"cannot create {folder}: {exc.strerror}") from exc
    slug = migration_name(name)
    moment = datetime.now(timezone.utc).replace(microsecond=0)
    taken = [path.name[:14] for path in folder.glob("*.sql") if _STAMPED.match(path.name)]
    latest = max(taken, default="")
    if latest >= moment.strftime(_STAMP):
        moment = datetime.strptime(latest, _STAMP).replace(tzinfo=timezone.utc) + timedelta(seconds=1)
    stem = f"{moment.strftime(_STAMP)}_{slug}"
    up_path, down_path = folder / f"{stem}.up.sql", folder / f"{stem}.down.sql"
    up_path.write_text(migration_text(up_sql, no_transaction), encoding="utf-8")
    down_path.write_text(migration_text(down_sql, no_transaction), encoding="utf-8")
    return up_path, down_path


def migration_text(sql: str, no_transaction: bool) -> str:
    """Exactly what a migration file holds: the no-transaction marker line when needed, then the SQL."""
    header = f"{NO_TRANSACTION_MARKER}\n" if no_transaction else ""
    return header + sql.rstrip("\n") + "\n"


def sql_comment(text: str) -> str:
    """`text` as one `-- ` comment line: every control or line-separator character is written
    escaped (a newline in an identifier must not end the comment and start a statement)."""
    return "-- " + "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in _BREAKING else ch
        for ch in text
    )


def is_no_transaction(sql: str) -> bool:
    """True when a migration file's first line is the no-transaction marker."""
    return sql.lstrip("\ufeff").split("\n", 1)[0].strip() == NO_TRANSACTION_MARKER
