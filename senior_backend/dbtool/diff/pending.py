"""Migrations already written to the output folder but not applied to the target.

`--compare --output DIR` diffs the target as it is now. Migrations that wait in
DIR (written by an earlier `--compare` or `--suggest-indexes --output DIR`,
not yet run) are not part of that picture, so the new migration may repeat
them (the same CREATE INDEX CONCURRENTLY, failing when run after them). The
runner's tracking table tells which of DIR's migrations the target has
applied; the others are named in one warning.
"""

from __future__ import annotations

from pathlib import Path

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.common.errors import BadInput
from senior_backend.dbtool.migrate.runner import Runner, discover


def pending_warning(folder: Path, connection: str) -> Diagnostic | None:
    """One warning naming the migrations of `folder` the database at `connection` has not fully applied
    (None when there are none, or when `folder` holds no readable migrations)."""
    if not folder.is_dir():
        return None
    try:
        migrations = discover(folder)
    except BadInput:  # duplicate versions and the like: the runner reports those itself
        return None
    if not migrations:
        return None
    runner = Runner(connection)
    try:
        applied = runner.applied()
    finally:
        runner.close()
    pending = [m.path.name for m in migrations if m.version not in applied]
    if not pending:
        return None
    return warning(
        "pending-migrations",
        f"{folder} holds {len(pending)} migration(s) the target has not applied ({', '.join(pending)}): "
        "this diff does not include them and may repeat what they do; apply them first (--migrate) "
        "and compare again",
    )
