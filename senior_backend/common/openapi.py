"""Loading an OpenAPI document into one self-contained OpenAPI 3.x dictionary.

`load_openapi` reads YAML or JSON, upgrades Swagger 2.0 to OpenAPI 3.0,
bundles `$ref`s that point into sibling files (schemas are hoisted into
`components/schemas` under a name, other objects are inlined), and checks
that every remaining local `$ref` resolves. Local references are kept as
`$ref`s, so recursive schemas stay named cycles instead of being expanded.

It never follows a reference over the network and never outside the spec's
folder unless `allow_outside=True`. Every problem is a `BadInput`
whose location is the file plus the JSON pointer of the offending node.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from senior_backend.common.diagnostics import Diagnostic
from senior_backend.common.errors import BadInput
from senior_backend.common.swagger2 import upgrade_swagger2

SCHEMA_CONTEXT_KEYS = {
    "schema",
    "schemas",
    "items",
    "properties",
    "additionalProperties",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "prefixItems",
    "patternProperties",
    "definitions",
    "$defs",
}


@dataclass
class OpenAPIDocument:
    """A loaded, bundled OpenAPI 3.x document."""

    root: dict[str, Any]
    source: Path
    original_version: str
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def version(self) -> str:
        return str(self.root.get("openapi", ""))

    @property
    def is_31(self) -> bool:
        return self.version.startswith("3.1")

    def resolve(self, ref: str) -> Any:
        """The node a local `$ref` (`#/components/...`) points at."""
        return resolve_pointer(self.root, ref[1:] if ref.startswith("#") else ref)

    def deref(self, node: Any) -> Any:
        """Follow `$ref`s from `node` until a node that is not a reference."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                return node
            seen.add(ref)
            node = self.resolve(ref)
        return node


def ref_name(ref: str) -> str:
    """The last segment of a reference: `#/components/schemas/Pet` -> `Pet`."""
    return unescape_segment(ref.rsplit("/", 1)[-1])


def escape_segment(segment: str) -> str:
    """Escape one JSON pointer segment (RFC 6901)."""
    return segment.replace("~", "~0").replace("/", "~1")


def unescape_segment(segment: str) -> str:
    """Undo `escape_segment`, also decoding percent-escapes used in URI fragments."""
    return unquote(segment).replace("~1", "/").replace("~0", "~")


def pointer(parts: list[str | int]) -> str:
    """Build a JSON pointer from path parts."""
    return "".join("/" + escape_segment(str(part)) for part in parts)


def resolve_pointer(document: Any, json_pointer: str) -> Any:
    """The node at `json_pointer` (`/a/b/0`); raises KeyError when it does not exist."""
    node = document
    if json_pointer in ("", "/"):
        return node
    for raw in json_pointer.lstrip("/").split("/"):
        segment = unescape_segment(raw)
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            raise KeyError(json_pointer)
    return node


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses large specs ~10x faster


class _SpecLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader with YAML 1.2 core schema scalars, as OpenAPI asks (and JSON agrees with).

    PyYAML resolves plain scalars by YAML 1.1: `18:00` is the sexagesimal number 1080, `NO` and
    `off` are false, `0777` is octal, `1_000` is a number, and `2024-01-15` is a date. Here only
    `true`/`false` are booleans, integers and floats are the 1.2 core forms, and dates stay text.
    """

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        return sign * int(digits, 10)


_YAML12 = {
    "tag:yaml.org,2002:bool": (r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    "tag:yaml.org,2002:int": (r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    "tag:yaml.org,2002:float": (
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
}
_SpecLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag not in (*_YAML12, "tag:yaml.org,2002:timestamp")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, (_pattern, _first) in _YAML12.items():
    _SpecLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
_SpecLoader.add_constructor("tag:yaml.org,2002:int", _SpecLoader.construct_yaml_int)


def _read_document(path: Path, where: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput("file-not-found", f"{path} does not exist", where=where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput("unreadable", f"cannot read {path}: {exc}", where=where) from exc
    try:
        if path.suffix.lower() == ".json":
            return _stringify_keys(json.loads(text))
        return _stringify_keys(yaml.load(text, Loader=_SpecLoader))
    except json.JSONDecodeError as exc:
        raise BadInput("malformed-json", exc.msg, where=f"{path}:{exc.lineno}:{exc.colno}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        location = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BadInput("malformed-yaml", f"invalid YAML: {problem}", where=location) from exc


def _stringify_keys(node: Any) -> Any:
    """Mapping keys as strings (YAML reads `200:` as an int)."""
    if isinstance(node, dict):
        return {str(key): _stringify_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_stringify_keys(item) for item in node]
    return node


def _detect_version(document: Any, path: Path) -> str:
    if not isinstance(document, dict):
        raise BadInput(
            "not-openapi",
            "not an OpenAPI document: the top level must be a mapping",
            where=str(path),
        )
    if "openapi" in document:
        version = str(document["openapi"])
        if not re.match(r"^3\.[01]\.\d+", version):
            raise BadInput(
                "unsupported-version",
                f"OpenAPI version {version!r} is not supported (3.0.x, 3.1.x and Swagger 2.0 are)",
                where=f"{path}#/openapi",
            )
        return version
    if str(document.get("swagger", "")) == "2.0":
        return "2.0"
    raise BadInput(
        "not-openapi",
        "not an OpenAPI document: no 'openapi: 3.x' or 'swagger: \"2.0\"' field",
        where=str(path),
        hint="pass an OpenAPI 3.0/3.1 or Swagger 2.0 file",
    )


class _Bundler:
    """Pulls references to sibling files into the root document."""

    def __init__(
        self, root_path: Path, root: dict[str, Any], allow_outside: bool, schemas_section: list[str]
    ):
        self.root_path = root_path
        self.base_dir = root_path.parent.resolve()
        self.root = root
        self.allow_outside = allow_outside
        self.schemas_section = schemas_section
        self.files: dict[Path, Any] = {root_path.resolve(): root}
        self.hoisted: dict[tuple[Path, str], str] = {}
        self.extra_schemas: dict[str, Any] = {}
        self.inlining: list[tuple[Path, str]] = []

    def bundle(self) -> dict[str, Any]:
        """The root document with every external reference pulled in."""
        bundled = self._walk(self.root, self.root_path.resolve(), [])
        if self.extra_schemas:
            section = bundled
            for key in self.schemas_section:
                section = section.setdefault(key, {})
            section.update(self.extra_schemas)
        return bundled

    def _taken_names(self) -> set[str]:
        node: Any = self.root
        for key in self.schemas_section:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        return set(node) | set(self.extra_schemas)

    def _walk(self, node: Any, current: Path, path: list[str | int]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                rewritten = self._rewrite_ref(ref, current, path)
                if rewritten is not None:
                    return rewritten
            return {key: self._walk(value, current, [*path, key]) for key, value in node.items()}
        if isinstance(node, list):
            return [self._walk(item, current, [*path, index]) for index, item in enumerate(node)]
        return node

    def _where(self, current: Path, path: list[str | int]) -> str:
        return f"{self._display(current)}#{pointer(path)}"

    def _display(self, file: Path) -> str:
        try:
            return (
                str(file.relative_to(self.base_dir))
                if file != self.root_path.resolve()
                else str(self.root_path)
            )
        except ValueError:
            return str(file)

    def _rewrite_ref(self, ref: str, current: Path, path: list[str | int]) -> dict[str, Any] | None:
        """None keeps a local ref of the root file as it is; otherwise the replacement node."""
        file_part, _, fragment = ref.partition("#")
        is_root = current == self.root_path.resolve()
        if not file_part and is_root:
            return None
        where = self._where(current, path)
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", file_part):
            raise BadInput(
                "remote-ref",
                f"$ref {ref!r} points over the network, which is never followed",
                where=where,
                hint="download the file next to the spec and reference it by relative path",
            )
        target_file = (current.parent / file_part).resolve() if file_part else current
        if not self.allow_outside and not target_file.is_relative_to(self.base_dir):
            raise BadInput(
                "ref-outside-spec",
                f"$ref {ref!r} points outside the spec's folder {self.base_dir}",
                where=where,
                hint="move the file next to the spec, or allow it explicitly",
            )
        if target_file == self.root_path.resolve():
            return {"$ref": "#" + fragment}
        document = self._load(target_file, where)
        try:
            target = resolve_pointer(document, fragment)
        except KeyError:
            raise BadInput("broken-ref", f"$ref {ref!r} does not resolve", where=where) from None
        if _in_schema_context(path):
            return {"$ref": self._hoist(target, target_file, fragment)}
        key = (target_file, fragment)
        if key in self.inlining:
            raise BadInput("ref-cycle", f"$ref {ref!r} forms a cycle outside schemas", where=where)
        self.inlining.append(key)
        try:
            return self._walk(copy.deepcopy(target), target_file, path)
        finally:
            self.inlining.pop()

    def _load(self, file: Path, where: str) -> Any:
        if file not in self.files:
            if not file.is_file():
                raise BadInput("broken-ref", f"referenced file {file} does not exist", where=where)
            self.files[file] = _read_document(file, where)
        return self.files[file]

    def _hoist(self, target: Any, file: Path, fragment: str) -> str:
        key = (file, fragment)
        if key not in self.hoisted:
            base = ref_name(fragment) if fragment.strip("/") else _pascal(file.stem)
            base = re.sub(r"[^A-Za-z0-9_.-]", "_", base) or "Schema"
            taken = self._taken_names()
            name, counter = base, 2
            while name in taken:
                name, counter = f"{base}{counter}", counter + 1
            self.hoisted[key] = name
            self.extra_schemas[name] = {}
            self.extra_schemas[name] = self._walk(copy.deepcopy(target), file, [*self.schemas_section, name])
        return "#" + pointer([*self.schemas_section, self.hoisted[key]])


def _pascal(stem: str) -> str:
    """`pet-owner` -> `PetOwner`: the schema name for a whole-file reference."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_.\s]+", stem) if part)


def _in_schema_context(path: list[str | int]) -> bool:
    return any(isinstance(part, str) and part in SCHEMA_CONTEXT_KEYS for part in path)


def _check_local_refs(document: dict[str, Any], source: Path) -> None:
    """Every `$ref` left must resolve inside the document."""
    broken: list[tuple[str, str]] = []

    def walk(node: Any, path: list[str | int]) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    resolve_pointer(document, ref.partition("#")[2])
                except KeyError:
                    broken.append((ref, pointer(path)))
            for key, value in node.items():
                walk(value, [*path, key])
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, [*path, index])

    walk(document, [])
    if broken:
        ref, where = broken[0]
        more = f" (and {len(broken) - 1} more broken $refs)" if len(broken) > 1 else ""
        raise BadInput("broken-ref", f"$ref {ref!r} does not resolve{more}", where=f"{source}#{where}")


def _check_shape(document: dict[str, Any], source: Path) -> list[Diagnostic]:
    from senior_backend.common.diagnostics import warning

    problems: list[Diagnostic] = []
    paths = document.get("paths", {})
    if paths is None:
        document["paths"] = paths = {}
    if not isinstance(paths, dict):
        raise BadInput("bad-paths", "'paths' must be a mapping", where=f"{source}#/paths")
    for path_key in paths:
        if not path_key.startswith("/"):
            raise BadInput(
                "bad-path",
                f"path {path_key!r} must start with '/'",
                where=f"{source}#{pointer(['paths', path_key])}",
            )
    if not isinstance(document.get("info"), dict):
        problems.append(warning("missing-info", "the document has no 'info' object", where=f"{source}#/info"))
    return problems


def load_openapi(path: str | Path, allow_outside: bool = False) -> OpenAPIDocument:
    """Load, upgrade and bundle an OpenAPI document; raise `BadInput` with a pointer on any problem."""
    source = Path(path)
    if source.is_dir():
        raise BadInput("not-a-file", f"{source} is a folder, not a spec file")
    document = _read_document(source, str(source))
    original_version = _detect_version(document, source)
    section = ["definitions"] if original_version == "2.0" else ["components", "schemas"]
    document = _Bundler(source, document, allow_outside, section).bundle()
    _check_local_refs(document, source)
    warnings: list[Diagnostic] = []
    if original_version == "2.0":
        document, warnings = upgrade_swagger2(document, str(source))
        _check_local_refs(document, source)
    warnings.extend(_check_shape(document, source))
    return OpenAPIDocument(document, source, original_version, warnings)
