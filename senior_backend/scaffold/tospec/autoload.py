"""`app.register(AutoLoad, { dir: path.join(__dirname, "routes") })`: @fastify/autoload's mounts.

Every file under `dir` is registered as a plugin, prefixed by its folder path below
`dir` (`routes/users/index.js` -> `/users`), after `options.prefix`, and before the
file's own `autoPrefix` export. Only files that were read are mounted.
"""

from __future__ import annotations

import os
from pathlib import Path

from senior_backend.scaffold.tospec.jsast import (
    Node,
    call_parts,
    literal,
    object_pairs,
    string_value,
    text,
    unwrap,
)
from senior_backend.scaffold.tospec.project import Project

PACKAGE = "@fastify/autoload"
_HERE = ("__dirname", "import.meta.dirname", "import.meta.url")


def is_autoload(project: Project, plugin: Node) -> bool:
    plugin = unwrap(plugin)
    if plugin is None or plugin.type != "identifier":
        return False
    binding = project.module_of(plugin).names.get(text(plugin))
    return binding is not None and binding.specifier == PACKAGE


def autoload_mounts(project: Project, call: Node, options: Node | None) -> list[tuple[str, Node]] | None:
    """(prefix, plugin node) per autoloaded file; None when `dir` cannot be worked out."""
    pairs = object_pairs(options)
    folder = _folder(project, call, pairs.get("dir"))
    if folder is None:
        return None
    extra = literal(pairs["options"]) if "options" in pairs else {}
    base = extra.get("prefix", "") if isinstance(extra, dict) and isinstance(extra.get("prefix"), str) else ""
    mounts = []
    for path, module in sorted(project.modules.items()):
        if not path.is_relative_to(folder) or module.default is None:
            continue
        plugin = project.exported(path, "default")
        if plugin is None:
            continue
        own = project.exported(path, "autoPrefix")
        own_prefix = string_value(own) if own is not None else None
        parts = [base, *path.parent.relative_to(folder).parts, own_prefix or ""]
        mounts.append(("/" + "/".join(part.strip("/") for part in parts if part.strip("/")), plugin))
    return mounts


def _folder(project: Project, call: Node, node: Node | None) -> Path | None:
    """`path.join(__dirname, "routes")` and similar, relative to the registering file."""
    node = unwrap(node)
    if node is None:
        return None
    here = project.module_of(call).source.path.parent
    value = string_value(node)
    if value is not None:
        return Path(os.path.normpath(here / value))
    if node.type != "call_expression" or call_parts(node)[1] not in ("join", "resolve"):
        return None
    pieces: list[str] = []
    for arg in call_parts(node)[2]:
        piece = string_value(arg)
        if piece is None and any(marker in text(arg) for marker in _HERE):
            piece = str(here)
        if piece is None:
            return None
        pieces.append(piece)
    return Path(os.path.normpath(os.path.join(*pieces))) if pieces else None
