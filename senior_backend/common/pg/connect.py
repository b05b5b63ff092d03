"""Connecting to PostgreSQL the same way in every tool.

The URL comes from `--connection` or `DATABASE_URL` (the CLIs' option reads the variable); every connection sets a
connect timeout and `application_name=senior-backend`; every message that
names a server shows the URL with its password masked. Failure to connect raises
`Unreachable` with a one-line reason.
"""

from __future__ import annotations

import re

import psycopg

from senior_backend.common.errors import BadInput, Unreachable
from senior_backend.common.masking import mask_password, without_secrets

APPLICATION_NAME = "senior-backend"
DEFAULT_CONNECT_TIMEOUT = 10


def connect(
    url: str,
    *,
    autocommit: bool = True,
    timeout: int = DEFAULT_CONNECT_TIMEOUT,
    application_name: str = APPLICATION_NAME,
) -> psycopg.Connection:
    """Open a connection, or raise `Unreachable` (`BadInput` for a malformed connection string) with the
    masked URL and the server's reason."""
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=timeout,
            application_name=application_name,
        )
    except psycopg.OperationalError as exc:
        reason = without_secrets(_first_line(str(exc)) or type(exc).__name__, url)
        if _INVALID_OPTION.search(reason):
            raise BadInput(
                "bad-connection-string",
                f"invalid connection string {mask_password(url)}: {reason}",
            ) from exc
        raise Unreachable(
            "unreachable-database",
            f"cannot connect to {mask_password(url)}: {reason}",
            hint="check the host, port, credentials and that the server is running",
        ) from exc
    except psycopg.ProgrammingError as exc:
        reason = without_secrets(_first_line(str(exc)), url)
        raise BadInput("bad-connection-string", f"invalid connection string {mask_password(url)}: {reason}") from exc


_INVALID_OPTION = re.compile(r"^(connection is bad: )?invalid ", re.IGNORECASE)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.lower().startswith(("connection to server at", "hint"))]
    return (meaningful or lines or [""])[-1 if not meaningful else 0]
