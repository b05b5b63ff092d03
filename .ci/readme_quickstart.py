"""Print the shell commands of README.md's quick start, exactly as written there.

CI runs what this prints, so the commands a user copies from the README and
the ones CI runs are the same text. Exits 1 when the README has no
"## Quick start" section with a fenced bash block.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_SECTION = re.compile(r"^## Quick start\s*$(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)
_BLOCK = re.compile(r"^```(?:bash|sh|shell)\s*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def quickstart_commands(readme: str) -> list[str]:
    """The non-empty lines of the first bash block under `## Quick start`."""
    section = _SECTION.search(readme)
    block = _BLOCK.search(section.group(1)) if section else None
    if block is None:
        raise ValueError("README.md has no '## Quick start' section with a ```bash block")
    return [line for line in block.group(1).splitlines() if line.strip()]


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    try:
        commands = quickstart_commands(path.read_text())
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(commands))
    return 0


if __name__ == "__main__":
    sys.exit(main())
