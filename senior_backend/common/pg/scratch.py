"""Temporary databases on someone else's server, never left behind.

A shadow database may live on the user's own server (the target's, or
`--shadow-url`). Each one is named `sb_shadow_<unix time>_<pid>_<random>` and,
for as long as it exists, its creator holds a session advisory lock derived
from the name on a separate admin connection. The database is dropped on every
exit path Python sees (success, error, Ctrl-C). When the process dies without
cleaning up (SIGKILL, power loss), its admin connection closes and the lock
goes with it: the next run lists this tool's databases by name prefix, keeps
any whose lock is still held (another run is using it, however long it takes),
and drops the rest, saying which and how old they were.
"""

from __future__ import annotations

import os
import re
import secrets
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg

from senior_backend.common.errors import Unreachable
from senior_backend.common.pg.quoting import ident, literal

PREFIX = "sb_shadow_"
_NAME = re.compile(rf"^{PREFIX}(\d{{10}})_\d+_[0-9a-f]+$")
_LOCK_CLASS = 0x5342_5348  # "SBSH": the first key of every shadow database's liveness lock


def with_database(url: str, database: str) -> str:
    """The connection string `url` (URL or key=value DSN) pointed at `database`."""
    if "://" not in url:
        return f"{url} dbname={database}"
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def _lock_key(name: str) -> int:
    """The second key of the liveness lock: a non-negative int4 from the name."""
    return zlib.crc32(name.encode()) & 0x7FFF_FFFF


def new_name(now: float | None = None) -> str:
    """A fresh scratch database name that records its creation time and creator."""
    stamp = int(time.time() if now is None else now)
    return f"{PREFIX}{stamp:010d}_{os.getpid()}_{secrets.token_hex(3)}"


@dataclass(frozen=True)
class StaleDatabase:
    """A scratch database whose creator is gone, and how long ago it was made."""

    name: str
    age_seconds: int

    def describe(self) -> str:
        minutes, seconds = divmod(self.age_seconds, 60)
        hours, minutes = divmod(minutes, 60)
        age = (
            f"{hours} h {minutes} min"
            if hours
            else f"{minutes} min {seconds} s"
            if minutes
            else f"{seconds} s"
        )
        return f"{self.name} (created {age} ago)"


def sweep_stale(admin: psycopg.Connection) -> list[StaleDatabase]:
    """Drop this tool's scratch databases, owned by the current role, whose creator no longer holds
    their liveness lock; return what was dropped."""
    names = admin.execute(
        "SELECT d.datname FROM pg_catalog.pg_database d WHERE d.datname LIKE 'sb\\_shadow\\_%'"
        " AND d.datdba = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)"
    ).fetchall()
    held = {
        int(objid)
        for (objid,) in admin.execute(
            "SELECT objid FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND classid = %s::oid"
            " AND objsubid = 2",
            (_LOCK_CLASS,),
        ).fetchall()
    }
    now = int(time.time())
    dropped: list[StaleDatabase] = []
    for (name,) in names:
        match = _NAME.match(name)
        if match is None or _lock_key(name) in held:
            continue
        admin.execute(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")
        dropped.append(StaleDatabase(name, max(0, now - int(match.group(1)))))
    return dropped


def _creation_options(admin: psycopg.Connection) -> str:
    """CREATE DATABASE options that give the scratch database the encoding and default collation
    of the database `admin` is connected to, so collation-dependent catalog text matches."""
    version = admin.info.server_version
    provider_column = "d.datlocprovider" if version >= 150000 else "'c'"
    locale_column = "d.datlocale" if version >= 170000 else "d.daticulocale" if version >= 150000 else "NULL"
    rules_column = "d.daticurules" if version >= 160000 else "NULL"
    encoding, collate, ctype, provider, locale, rules = admin.execute(
        f"SELECT pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, {provider_column},"
        f" {locale_column}, {rules_column} FROM pg_catalog.pg_database d WHERE d.datname = current_database()"
    ).fetchone()
    options = f" ENCODING {literal(encoding)} LC_COLLATE {literal(collate)} LC_CTYPE {literal(ctype)}"
    if version < 150000:
        return options  # libc is the only provider
    if provider == "i":
        options += f" LOCALE_PROVIDER icu ICU_LOCALE {literal(locale or '')}"
        if rules:
            options += f" ICU_RULES {literal(rules)}"
    elif provider == "b":
        options += f" LOCALE_PROVIDER builtin BUILTIN_LOCALE {literal(locale or '')}"
    else:  # pinned: template0 may have another provider than this database
        options += " LOCALE_PROVIDER libc"
    return options


@contextmanager
def scratch_database(
    admin: psycopg.Connection, like_current: bool = False, hint: str | None = None
) -> Iterator[str]:
    """Create a scratch database through `admin` (autocommit), hold its liveness lock while it
    exists, and drop it on exit. With `like_current`, it copies the encoding and default collation
    of `admin`'s database. Yields the database name; a server that refuses to create it raises
    `Unreachable` with `hint`."""
    name = new_name()
    key = _lock_key(name)
    options = _creation_options(admin) if like_current else ""
    admin.execute("SELECT pg_catalog.pg_advisory_lock(%s, %s)", (_LOCK_CLASS, key))
    try:
        try:
            admin.execute(f"CREATE DATABASE {ident(name)} TEMPLATE template0{options}")
        except psycopg.Error as exc:
            reason = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
            raise Unreachable(
                "scratch-database", f"cannot create a temporary database: {reason}", hint=hint
            ) from exc
        try:
            yield name
        except BaseException:
            _drop_quietly(admin, name)  # the error that brought us here is the one to report
            raise
        admin.execute(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")
    finally:
        _quietly(admin, "SELECT pg_catalog.pg_advisory_unlock(%s, %s)", (_LOCK_CLASS, key))


def _drop_quietly(admin: psycopg.Connection, name: str) -> None:
    """Drop a scratch database while another error is on its way; if the admin connection is gone
    too, the next run's `sweep_stale` drops it (the lock went with the connection)."""
    _quietly(admin, f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")


def _quietly(admin: psycopg.Connection, sql: str, params: tuple[int, int] | None = None) -> None:
    if admin.closed:
        return
    with suppress(psycopg.Error):
        admin.execute(sql, params)
