"""Secrets never printed: connection strings with their passwords masked, in every tool.

`mask_password` shows a URL or key=value DSN with any password as `***`;
`without_secrets` cleans a message (libpq quotes parts of the URL in its
errors) of the URL and of any form of its password.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"


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


def without_secrets(message: str, url: str) -> str:
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
