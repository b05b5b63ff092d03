"""The parsed files of a route folder and name resolution across them.

Only what route recovery needs: top-level declarations, ES imports/exports and
`require()`, and following an identifier or `Namespace.member` to the node
that defines it, in whichever file that is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from senior_backend.scaffold.tospec.jsast import (
    EXTENSIONS,
    Node,
    Source,
    call_parts,
    object_pairs,
    string_value,
    text,
    unwrap,
)


@dataclass
class Binding:
    """What a top-level name of a file refers to: a local node, or a name imported from a file."""

    node: Node | None = None
    module: Path | None = None
    imported: str | None = None  # export name, "default", or "*" for the whole module
    specifier: str | None = None  # the import's module specifier ("./users.js", "@fastify/autoload")


@dataclass
class Module:
    """One parsed file with its top-level names."""

    source: Source
    names: dict[str, Binding] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)  # exported name -> local name
    default: Node | None = None  # `export default <expr>` / `module.exports = <expr>`


class Project:
    """Every parsed file, indexed by absolute path."""

    def __init__(self, sources: list[Source]) -> None:
        self.modules: dict[Path, Module] = {}
        self._by_root: dict[Node, Module] = {}
        for source in sources:
            module = Module(source)
            self.modules[source.path] = module
            self._by_root[source.root] = module
        for module in self.modules.values():
            self._index(module)

    def module_of(self, node: Node) -> Module:
        root = node
        while root.parent is not None:
            root = root.parent
        return self._by_root[root]

    def locate(self, importer: Path, specifier: str) -> Path | None:
        """The file an import specifier names (relative specifiers only; `.js` may mean `.ts`)."""
        return next((path for path in candidates(importer, specifier) if path in self.modules), None)

    def _index(self, module: Module) -> None:
        path = module.source.path
        for statement in module.source.root.named_children:
            node = statement
            if statement.type == "export_statement":
                self._export(module, statement)
                declaration = statement.child_by_field_name("declaration")
                if declaration is None:
                    continue
                node = declaration
            if node.type == "import_statement":
                self._import(module, node)
            elif node.type in ("lexical_declaration", "variable_declaration"):
                for declarator in node.named_children:
                    if declarator.type == "variable_declarator":
                        self._declarator(module, path, declarator)
            elif node.type in (
                "function_declaration",
                "generator_function_declaration",
                "class_declaration",
            ):
                name = node.child_by_field_name("name")
                if name is not None:
                    module.names[text(name)] = Binding(node=node)
            elif node.type == "expression_statement":
                self._commonjs_export(module, node)

    def _declarator(self, module: Module, path: Path, declarator: Node) -> None:
        name = declarator.child_by_field_name("name")
        value = declarator.child_by_field_name("value")
        if name is None:
            return
        required = _required(value)
        if name.type == "identifier":
            if required is not None:
                module.names[text(name)] = Binding(
                    module=self.locate(path, required), imported="require", specifier=required
                )
            else:
                module.names[text(name)] = Binding(node=value)
        elif name.type == "object_pattern" and required is not None:
            target = self.locate(path, required)
            for part in name.named_children:
                if part.type == "shorthand_property_identifier_pattern":
                    module.names[text(part)] = Binding(module=target, imported=text(part))
                elif part.type == "pair_pattern":
                    key, local = part.child_by_field_name("key"), part.child_by_field_name("value")
                    if key is not None and local is not None:
                        module.names[text(local)] = Binding(module=target, imported=text(key))

    def _import(self, module: Module, node: Node) -> None:
        specifier = string_value(node.child_by_field_name("source"))
        target = self.locate(module.source.path, specifier or "")
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    module.names[text(part)] = Binding(module=target, imported="default", specifier=specifier)
                elif part.type == "namespace_import":
                    module.names[text(part.named_children[-1])] = Binding(module=target, imported="*")
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type != "import_specifier":
                            continue
                        name = spec.child_by_field_name("name")
                        alias = spec.child_by_field_name("alias") or name
                        if name is not None and alias is not None:
                            module.names[text(alias)] = Binding(module=target, imported=text(name))

    def _export(self, module: Module, statement: Node) -> None:
        declaration = statement.child_by_field_name("declaration")
        value = statement.child_by_field_name("value")
        if any(child.type == "default" for child in statement.children):
            module.default = declaration or value
            if declaration is not None and declaration.child_by_field_name("name") is not None:
                module.exports["default"] = text(declaration.child_by_field_name("name"))
            return
        if declaration is not None:
            names = [declaration.child_by_field_name("name")]
            if declaration.type in ("lexical_declaration", "variable_declaration"):
                names = [d.child_by_field_name("name") for d in declaration.named_children]
            for name in names:
                if name is not None and name.type == "identifier":
                    module.exports[text(name)] = text(name)
            return
        for clause in statement.named_children:
            if clause.type == "export_clause":
                for spec in clause.named_children:
                    name = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias") or name
                    if name is not None and alias is not None:
                        module.exports[text(alias)] = text(name)

    def _commonjs_export(self, module: Module, statement: Node) -> None:
        expression = statement.named_children[0] if statement.named_children else None
        if expression is None or expression.type != "assignment_expression":
            return
        left, right = expression.child_by_field_name("left"), expression.child_by_field_name("right")
        target = text(left) if left is not None else ""
        if target == "module.exports" and right is not None:
            module.default = right
            for key, value in object_pairs(right).items():
                module.exports[key] = text(value) if value.type in ("identifier",) else key
                module.names.setdefault(key, Binding(node=value))
        elif target.startswith(("module.exports.", "exports.")) and right is not None:
            key = target.rsplit(".", 1)[1]
            module.exports[key] = key
            module.names.setdefault(key, Binding(node=right))

    def exported(self, path: Path | None, name: str, depth: int = 0) -> Node | None:
        """The node a module exports under `name` ("default" for the default export)."""
        module = self.modules.get(path) if path is not None else None
        if module is None or depth > 16:
            return None
        if name == "default" and module.default is not None:
            return self.definition(module.default, depth + 1) or module.default
        local = module.exports.get(name)
        if local is None:
            return None
        return self._lookup(module, local, depth + 1)

    def _lookup(self, module: Module, name: str, depth: int) -> Node | None:
        binding = module.names.get(name)
        if binding is None or depth > 16:
            return None
        if binding.node is not None:
            return binding.node
        required = (
            self.modules.get(binding.module) if binding.imported == "require" and binding.module else None
        )
        if required is not None and required.default is not None:
            return self.exported(binding.module, "default", depth + 1)
        if binding.imported in ("*", "require"):
            target = self.modules.get(binding.module) if binding.module else None
            return target.source.root if target else None
        return self.exported(binding.module, binding.imported or "default", depth + 1)

    def definition(self, node: Node | None, depth: int = 0) -> Node | None:
        """Follow an identifier or `a.b` to the expression or declaration that defines it.

        A whole module (namespace import) is returned as its `program` node."""
        node = unwrap(node)
        if node is None or depth > 16:
            return None
        if node.type in ("identifier", "shorthand_property_identifier"):
            found = _local(node)
            if found is None:
                found = self._lookup(self.module_of(node), text(node), depth + 1)
            return self.definition(found, depth + 1) if found is not None else None
        if node.type == "member_expression":
            owner = self.definition(node.child_by_field_name("object"), depth + 1)
            prop = node.child_by_field_name("property")
            if owner is None or prop is None:
                return None
            if owner.type == "program":
                module = self._by_root[owner]
                return self.definition(self.exported(module.source.path, text(prop)), depth + 1)
            value = object_pairs(owner).get(text(prop))
            return self.definition(value, depth + 1) if value is not None else None
        if node.type == "call_expression" and _required(node) is not None:
            module = self.module_of(node)
            target = self.locate(module.source.path, _required(node) or "")
            return self.definition(self.exported(target, "default"), depth + 1) if target else None
        return node


def _required(node: Node | None) -> str | None:
    """The specifier of `require("x")` or `import("x")` (awaited or not), else None."""
    node = unwrap(node)
    if node is not None and node.type == "await_expression" and node.named_children:
        node = unwrap(node.named_children[0])
    if node is None or node.type != "call_expression":
        return None
    receiver, name, args = call_parts(node)
    function = node.child_by_field_name("function")
    dynamic = function is not None and function.type == "import"
    if receiver is None and (name == "require" or dynamic) and args:
        return string_value(args[0])
    return None


def _local(identifier: Node) -> Node | None:
    """The value of a `const`/`let` declared in a block enclosing `identifier` (not the file's top level)."""
    name = text(identifier)
    current = identifier.parent
    while current is not None and current.type != "program":
        if current.type == "statement_block":
            for statement in current.named_children:
                if statement.type not in ("lexical_declaration", "variable_declaration"):
                    continue
                for declarator in statement.named_children:
                    declared = declarator.child_by_field_name("name")
                    if declared is not None and declared.type == "identifier" and text(declared) == name:
                        return declarator.child_by_field_name("value")
        current = current.parent
    return None


def candidates(importer: Path, specifier: str) -> tuple[Path, ...]:
    """The files a relative import specifier may name, in Node/TypeScript resolution order."""
    return _candidates(str(importer.parent), specifier) if specifier.startswith(".") else ()


@cache
def _candidates(folder: str, specifier: str) -> tuple[Path, ...]:
    base = Path(os.path.normpath(os.path.join(folder, specifier)))
    stem = base.with_suffix("") if base.suffix in EXTENSIONS else base
    return (
        base,
        *(Path(f"{stem}{ext}") for ext in EXTENSIONS),
        *(base / f"index{ext}" for ext in EXTENSIONS),
    )


def imported_files(source: Source) -> list[Path]:
    """The existing files a parsed file imports relatively (ES imports/re-exports, require, import())."""
    specifiers = [
        string_value(statement.child_by_field_name("source"))
        for statement in source.root.named_children
        if statement.type in ("import_statement", "export_statement")
    ]
    specifiers += [_required(call) for call in source.find().get("call", [])]
    out = []
    for specifier in specifiers:
        found = next((path for path in candidates(source.path, specifier or "") if path.is_file()), None)
        if found is not None and "node_modules" not in found.parts:
            out.append(found)
    return out
