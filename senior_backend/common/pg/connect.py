"""Connecting to PostgreSQL the same way in every tool.

The URL comes from `--connection` or `DATABASE_URL`; every connection sets a
connect timeout and `application_name=senior-backend`; every message that
names a server shows the URL with its password masked. Failure to connect is
exit code 4 with a one-line reason.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

import psycopg

from senior_backend.common.cli import ExitCode, fail

APPLICATION_NAME = "senior-backend"
DEFAULT_CONNECT_TIMEOUT = 10


def resolve_url(option: str | None) -> str | None:
    """The connection URL from the option, else `DATABASE_URL`, else None."""
    return option or os.environ.get("DATABASE_URL") or None


def mask_password(url: str) -> str:
    """The URL (or key=value DSN) with any password replaced by `***`."""
    if "://" in url:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            if ":" in userinfo:
                user = userinfo.split(":", 1)[0]
                netloc = f"{user}:***@{host}"
        query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return re.sub(r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", url)


def connect(
    url: str,
    *,
    autocommit: bool = True,
    timeout: int = DEFAULT_CONNECT_TIMEOUT,
    application_name: str = APPLICATION_NAME,
) -> psycopg.Connection:
    """Open a connection or exit 4 with the masked URL and the server's reason."""
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=timeout,
            application_name=application_name,
        )
    except psycopg.OperationalError as exc:
        reason = _first_line(str(exc)) or type(exc).__name__
        reason = reason.replace(url, mask_password(url))
        fail(
            "unreachable-database",
            f"cannot connect to {mask_password(url)}: {reason}",
            ExitCode.UNREACHABLE,
            hint="check the host, port, credentials and that the server is running",
        )
    except psycopg.ProgrammingError as exc:
        fail(
            "bad-connection-string",
            f"invalid connection string {mask_password(url)}: {_first_line(str(exc))}",
            ExitCode.BAD_INPUT,
        )


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.lower().startswith(("connection to server at", "hint"))]
    return (meaningful or lines or [""])[-1 if not meaningful else 0]
