"""Connecting to PostgreSQL the same way in every tool.

The URL comes from `--connection` or `DATABASE_URL` (the CLIs' option reads the variable); every connection sets a
connect timeout and `application_name=senior-backend`; every message that
names a server shows the URL with its password masked. Failure to connect is
exit code 4 with a one-line reason.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg

from senior_backend.common.cli import ExitCode, fail

APPLICATION_NAME = "senior-backend"
DEFAULT_CONNECT_TIMEOUT = 10


def mask_password(url: str) -> str:
    """The URL (or key=value DSN) with any password replaced by `***`, even when the URL is malformed."""
    if "://" in url:
        try:
            parts = urlsplit(url)
        except ValueError:
            return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
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
        reason = _without_secrets(_first_line(str(exc)) or type(exc).__name__, url)
        if _INVALID_OPTION.search(reason):
            fail(
                "bad-connection-string",
                f"invalid connection string {mask_password(url)}: {reason}",
                ExitCode.BAD_INPUT,
            )
        fail(
            "unreachable-database",
            f"cannot connect to {mask_password(url)}: {reason}",
            ExitCode.UNREACHABLE,
            hint="check the host, port, credentials and that the server is running",
        )
    except psycopg.ProgrammingError as exc:
        reason = _without_secrets(_first_line(str(exc)), url)
        fail(
            "bad-connection-string",
            f"invalid connection string {mask_password(url)}: {reason}",
            ExitCode.BAD_INPUT,
        )


_INVALID_OPTION = re.compile(r"^(connection is bad: )?invalid ", re.IGNORECASE)


def _without_secrets(message: str, url: str) -> str:
    """libpq quotes parts of the URL in its messages: mask the URL and any form of its password."""
    message = message.replace(url, mask_password(url))
    for secret in _passwords(url):
        message = message.replace(secret, "***")
    return message


def _passwords(url: str) -> list[str]:
    """The password of a URL or DSN as written and percent-decoded (longest first), if it has one.

    One- and two-character passwords are left alone: replacing every such letter would garble
    the message without hiding anything a reader could not guess."""
    found = re.findall(r"://[^:/@]*:([^@]*)@", url) + re.findall(r"(?i)password=([^&\s]+)", url)
    secrets = {secret for raw in found if raw for secret in (raw, unquote(raw))}
    return sorted((s for s in secrets if len(s) >= 3 and s != "***"), key=len, reverse=True)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.lower().startswith(("connection to server at", "hint"))]
    return (meaningful or lines or [""])[-1 if not meaningful else 0]
