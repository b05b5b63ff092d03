"""Which server a desired schema is loaded into, and why.

`--shadow embedded|target|URL` (or `--shadow-url URL`) decides when given.
Otherwise, with a live target, the shadow is a temporary database on the
target's own server whenever the role may create databases there: same major
version, same installed extensions (PostGIS, hypopg, ...) and collations, so
catalog text compares exactly. A role that may not create databases gets the
embedded server instead. With no target (two schema files), the embedded
server. The choice and its reason are printed by the command.
"""

from __future__ import annotations

from senior_backend.common.errors import BadInput
from senior_backend.common.pg.connect import connect
from senior_backend.dbtool.shadow import ShadowServer

EMBEDDED = "embedded"
TARGET = "target"


def choose_shadow(choice: str | None, shadow_url: str | None, target_url: str | None) -> ShadowServer:
    """The shadow server for `--compare`: explicit choice first, then the target's server when the
    role may create databases there, else the embedded server."""
    if choice and shadow_url:
        raise BadInput("usage", "give either --shadow or --shadow-url, not both")
    explicit = shadow_url or choice
    if explicit == EMBEDDED:
        return ShadowServer(reason="--shadow embedded")
    if explicit == TARGET:
        if not target_url:
            raise BadInput(
                "usage",
                "--shadow target needs a live target (--connection)",
                hint="with two schema files, use --shadow embedded or --shadow-url URL",
            )
        refusal = _cannot_create_databases(target_url)
        if refusal:
            raise BadInput("shadow-target", f"--shadow target: {refusal}", hint="use --shadow embedded")
        return ShadowServer(target_url, TARGET, "--shadow target")
    if explicit:
        return ShadowServer(explicit, "url", "--shadow-url" if shadow_url else "--shadow URL")
    if not target_url:
        return ShadowServer(reason="no live target to borrow a server from")
    refusal = _cannot_create_databases(target_url)
    if refusal:
        return ShadowServer(reason=refusal)
    return ShadowServer(target_url, TARGET, "the target's role may create databases there")


def _cannot_create_databases(url: str) -> str | None:
    """Why the target's role may not create a temporary database, or None when it may."""
    with connect(url) as conn:
        row = conn.execute(
            "SELECT current_user, rolsuper OR rolcreatedb, pg_catalog.pg_is_in_recovery(),"
            " current_setting('transaction_read_only') = 'on'"
            " FROM pg_catalog.pg_roles WHERE rolname = current_user"
        ).fetchone()
    if row is None or not row[1]:
        user = row[0] if row else "the connecting role"
        return f"role {user} may not create databases on the target's server"
    if row[2]:
        return "the target's server is a standby (read only)"
    if row[3]:
        return "the target's sessions are read only (default_transaction_read_only)"
    return None
