"""Where output goes: the payload on stdout, everything else on stderr.

On a terminal tables are drawn with rich; when stdout is piped they are plain
tab-separated text; `NO_COLOR` turns colour off. With `--format json` the
payload is exactly one JSON document on stdout. Progress and logs always go to
stderr so that `tool --json | jq` keeps working.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from rich.console import Console as RichConsole
from rich.table import Table

_json_written = False


def json_written() -> bool:
    """Whether this process has printed its JSON document (so an error must not print a second one)."""
    return _json_written


class Output:
    """The one object a CLI prints through."""

    def __init__(
        self, fmt: str = "table", stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.format = fmt
        self._stdout = stdout or sys.stdout
        self._stderr = stderr or sys.stderr
        no_color = "NO_COLOR" in os.environ
        self.stdout_is_tty = self._stdout.isatty()
        self.stderr_is_tty = self._stderr.isatty()
        self.out = RichConsole(file=self._stdout, no_color=no_color, highlight=False, soft_wrap=True)
        self.err = RichConsole(file=self._stderr, no_color=no_color, highlight=False, soft_wrap=True)

    @property
    def is_json(self) -> bool:
        return self.format == "json"

    @property
    def rich_stdout(self) -> bool:
        """True when human output should be drawn with rich (a terminal, not JSON)."""
        return not self.is_json and self.stdout_is_tty

    def json(self, document: Any) -> None:
        """Print the one JSON document of a `--format json` run."""
        global _json_written
        _json_written = True
        self._stdout.write(json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n")
        self._stdout.flush()

    def line(self, text: str = "") -> None:
        """A line of human output on stdout (suppressed in JSON mode)."""
        if self.is_json:
            return
        if self.rich_stdout:
            self.out.print(text)
        else:
            self._stdout.write(_plain(text) + "\n")

    def log(self, text: str) -> None:
        """A progress or log line on stderr."""
        if self.stderr_is_tty:
            self.err.print(text)
        else:
            self._stderr.write(_plain(text) + "\n")
            self._stderr.flush()

    def table(self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """A table on stdout: rich on a terminal, tab-separated with a header when piped."""
        if self.is_json:
            return
        rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
        if self.rich_stdout:
            table = Table(title=title, show_lines=False)
            for column in columns:
                table.add_column(column)
            for row in rows:
                table.add_row(*row)
            self.out.print(table)
            return
        if title:
            self._stdout.write(title + "\n")
        self._stdout.write("\t".join(columns) + "\n")
        for row in rows:
            self._stdout.write("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row) + "\n")


def _plain(text: str) -> str:
    """Strip rich markup from a string meant for a non-terminal."""
    from rich.text import Text

    return Text.from_markup(text).plain
