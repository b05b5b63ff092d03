"""Reading the parts of a reference guide the tests check: fenced code blocks, headings, links.

Fence convention of `references/*.md` (the tests hold the guides to it):

- ```sql   runs on PostgreSQL, statement by statement in autocommit mode, in
           order, in one fresh database per guide. A block may rely on tables
           created by an earlier sql block of the same guide; BEGIN/COMMIT
           inside a block work as written.
- ```ts    is one self-contained TypeScript module (it imports or exports
           something) that must pass `tsc --noEmit --strict` against the
           packages pinned in tests/node.
- ```json    must parse as JSON (response bodies shown in the guides).
- ```bash, ```text and any other language are shown, never run: EXPLAIN
           output, HTTP exchanges and shell commands go there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
BARE_URL = re.compile(r"<(?P<target>https?://[^>\s]+)>")


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: its language, its text and the line of its opening fence (1-based)."""

    path: Path
    language: str
    text: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    line: int
    anchor: str


def code_blocks(path: Path) -> list[CodeBlock]:
    """Every fenced code block of a Markdown file, in order."""
    blocks: list[CodeBlock] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence, start = match["fence"], index
        language = match["info"].strip().split(" ")[0].lower()
        body: list[str] = []
        index += 1
        while index < len(lines):
            closing = FENCE.match(lines[index])
            if closing and closing["fence"].startswith(fence) and not closing["info"].strip():
                break
            body.append(lines[index])
            index += 1
        else:
            raise AssertionError(f"{path.name}:{start + 1}: code block is never closed")
        blocks.append(CodeBlock(path, language, "\n".join(body) + "\n", start + 1))
        index += 1
    return blocks


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line outside fenced code blocks."""
    inside: str | None = None
    result: list[tuple[int, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(line)
        if match and inside is None:
            inside = match["fence"]
            continue
        if match and inside is not None and match["fence"].startswith(inside) and not match["info"].strip():
            inside = None
            continue
        if inside is None:
            result.append((number, line))
    return result


def github_anchor(title: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", title)
    text = LINK.sub(lambda match: match["text"], text)
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def headings(path: Path) -> list[Heading]:
    """Every ATX heading outside code blocks, with GitHub's anchor (duplicates get -1, -2...)."""
    seen: dict[str, int] = {}
    result: list[Heading] = []
    for number, line in prose_lines(path):
        match = HEADING.match(line)
        if not match:
            continue
        anchor = github_anchor(match["title"])
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        result.append(
            Heading(
                len(match["hashes"]), match["title"], number, anchor if not count else f"{anchor}-{count}"
            )
        )
    return result


def links(text: str) -> list[str]:
    """Targets of the Markdown links and <autolinks> in `text`."""
    return [match["target"] for match in LINK.finditer(text)] + [
        match["target"] for match in BARE_URL.finditer(text)
    ]


def sections(path: Path, level: int = 2) -> list[tuple[Heading, str]]:
    """Each heading of `level` with the prose under it up to the next heading of that level or higher."""
    prose = prose_lines(path)
    marks = [heading for heading in headings(path) if heading.level <= level]
    result: list[tuple[Heading, str]] = []
    for position, heading in enumerate(marks):
        if heading.level != level:
            continue
        end = marks[position + 1].line if position + 1 < len(marks) else float("inf")
        text = "\n".join(line for number, line in prose if heading.line < number < end)
        result.append((heading, text))
    return result
