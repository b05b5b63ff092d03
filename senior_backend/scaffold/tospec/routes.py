"""Finding routes in Express, Fastify and Koa code, and the prefixes they are mounted under.

A *router* is identified by the node that creates it (`express.Router()`,
`new Router({prefix})`, `Fastify()`) or, for a Fastify plugin, by the plugin
function (its first parameter is the instance). Routes attach to a router;
`use()`/`register()` calls attach a router under another with a prefix,
across files through imports. Paths are the concatenation of the prefixes
from every unmounted (root) router down to the route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.scaffold.tospec.autoload import autoload_mounts, is_autoload
from senior_backend.scaffold.tospec.jsast import (
    UNRESOLVED,
    Node,
    call_parts,
    line,
    literal,
    object_pairs,
    string_value,
    text,
    unwrap,
)
from senior_backend.scaffold.tospec.project import Project

VERBS = ("get", "post", "put", "patch", "delete", "del", "head", "options", "all")
FUNCTIONS = ("function_declaration", "function_expression", "arrow_function", "function")
APPS = {"express", "fastify", "Fastify"}  # an application: its routes need no mount
FACTORIES = {*APPS, "Router", "Koa", "KoaRouter"}
_PARAM = re.compile(r":([A-Za-z0-9_$]+)(\([^)]*\))?(\?)?")


@dataclass
class Route:
    """One registered route, before prefixes are applied."""

    router: Node
    methods: list[str]
    path: str
    node: Node  # the registering call
    handlers: list[Node]  # handler / middleware arguments
    options: Node | None  # Fastify route options object


@dataclass
class Mount:
    """`parent.use(prefix, child)` / `parent.register(child, { prefix })`."""

    parent: Node
    prefix: str
    child: Node


@dataclass
class Found:
    """Every route and mount of a project, with what could not be followed."""

    routes: list[Route] = field(default_factory=list)
    mounts: list[Mount] = field(default_factory=list)
    own_prefix: dict[Node, str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)


def openapi_path(path: str) -> tuple[str, list[str]]:
    """`/users/:id(\\d+)?` -> (`/users/{id}`, ["id"])."""
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return "{" + match.group(1) + "}"

    converted = re.sub(r"/+", "/", _PARAM.sub(replace, path))
    return converted or "/", names


def join(*parts: str) -> str:
    """Path pieces joined with one slash each; a trailing slash of the last piece is kept."""
    joined = "/" + "/".join(part.strip("/") for part in parts if part.strip("/"))
    last = parts[-1] if parts else ""
    return joined + "/" if last.endswith("/") and last.strip("/") and joined != "/" else joined


class _Finder:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.found = Found()
        self.routers: set[Node] = set()

    def warn(self, code: str, message: str, node: Node) -> None:
        module = self.project.module_of(node)
        where = f"{module.source.path}:{line(node)}"
        self.found.warnings.append(warning(code, message, where=where))

    def run(self) -> Found:
        calls = []
        for module in self.project.modules.values():
            calls.extend(module.source.find().get("call", []))
        for node in calls:
            self._mount_or_prefix(node)
        for node in calls:
            self._route(node)
        self._unmounted()
        return self.found

    def _unmounted(self) -> None:
        """Routers that no file read mounts: their paths lack whatever prefix the app adds."""
        mounted = {mount.child for mount in self.found.mounts}
        for router in dict.fromkeys(route.router for route in self.found.routes):
            if router not in mounted and _factory(router) not in APPS:
                self.warn(
                    "unmounted-router",
                    "no file read mounts this router; its paths lack any prefix an app adds"
                    " (pass the folder that also holds the app)",
                    router,
                )

    def identity(self, expr: Node | None) -> Node | None:
        """The router an expression denotes: a creating call, or a plugin function via its parameter."""
        expr = unwrap(expr)
        if expr is None:
            return None
        if expr.type == "call_expression":
            receiver, name, args = call_parts(expr)
            if name in ("routes", "middleware") and receiver is not None:
                return self.identity(receiver)
            if name is not None and receiver is None and args and name in ("fp", "fastifyPlugin"):
                return self.identity(args[0])
        if expr.type == "identifier":
            owner = _parameter_owner(expr)
            if owner is not None:
                return owner
        if expr.type in FUNCTIONS or expr.type == "function_declaration":
            return expr
        definition = self.project.definition(expr)
        if definition is None or definition == expr:
            return expr if expr.type in ("call_expression", "new_expression") else None
        return self.identity(definition) if definition.type != "program" else None

    def _mount_or_prefix(self, node: Node) -> None:
        receiver, name, args = call_parts(node)
        if receiver is None or name not in ("use", "register", "prefix"):
            return
        parent = self.identity(receiver)
        if parent is None:
            return
        if name == "prefix":
            value = string_value(args[0]) if args else None
            if value is not None:
                self.found.own_prefix[parent] = value
            return
        prefix = ""
        children = args
        if name == "use" and args and (args[0].type in ("string", "template_string")):
            prefix = string_value(args[0]) or ""
            children = args[1:]
        if name == "register" and args and is_autoload(self.project, args[0]):
            self._autoload(parent, node, args[1] if len(args) > 1 else None)
            return
        if name == "register":
            options = literal(args[1], self._resolve) if len(args) > 1 else {}
            if isinstance(options, dict) and isinstance(options.get("prefix"), str):
                prefix = options["prefix"]
            elif len(args) > 1 and "prefix" in object_pairs(args[1]):
                self.warn("dynamic-prefix", "the plugin prefix is computed at run time; not applied", node)
            children = args[:1]
            if _wrapped_in_fastify_plugin(args[0], self.project):
                prefix = ""  # fastify-plugin skips encapsulation, so Fastify ignores the prefix
        for child_expr in children:
            child = self.identity(child_expr)
            if child is None or child == parent:
                continue
            if name == "use" and not self._creates_router(child):
                continue
            self.routers.update((parent, child))
            self.found.mounts.append(Mount(parent, prefix, child))

    def _autoload(self, parent: Node, node: Node, options: Node | None) -> None:
        mounts = autoload_mounts(self.project, node, options)
        if mounts is None:
            self.warn("dynamic-autoload", "the autoload folder is computed at run time; not followed", node)
            return
        for prefix, plugin in mounts:
            child = self.identity(plugin)
            if child is not None and child != parent:
                self.routers.update((parent, child))
                self.found.mounts.append(Mount(parent, prefix, child))

    def _creates_router(self, node: Node) -> bool:
        if node.type in FUNCTIONS:
            return False
        if _factory(node) in FACTORIES:
            self.found.own_prefix.setdefault(node, self._koa_prefix(node))
            return True
        return node in self.routers

    def _koa_prefix(self, node: Node) -> str:
        arguments = node.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        options = literal(first, self._resolve) if first is not None else UNRESOLVED
        return (
            options["prefix"] if isinstance(options, dict) and isinstance(options.get("prefix"), str) else ""
        )

    def _resolve(self, node: Node) -> Node | None:
        return self.project.definition(node)

    def _route(self, node: Node) -> None:
        receiver, name, args = call_parts(node)
        if receiver is None or name is None:
            return
        name = name.lower() if name != "del" else "delete"
        if name == "route" and args and unwrap(args[0]) is not None and unwrap(args[0]).type == "object":
            self._fastify_route(node, receiver, args[0])
            return
        if name not in VERBS and name != "delete":
            return
        chained = self._chained(receiver)
        if chained is not None:
            router, path, path_node = chained
            self._add(router, name, path, path_node, node, args, None)
            return
        router = self.identity(receiver)
        if router is None or len(args) < 2:
            return  # a route has a handler; `app.get("port")` reads a setting
        path_index = 1 if len(args) > 2 and string_value(args[1]) is not None else 0
        path_node = args[path_index]
        if not self._is_router(router) and not (string_value(path_node) or "").startswith("/"):
            return
        rest = args[path_index + 1 :]
        first = unwrap(rest[0])
        options = None
        if (
            first is not None
            and first.type == "object"
            and (len(rest) > 1 or "handler" in object_pairs(first))
        ):
            options = rest[0]  # Fastify: (path, { schema }, handler) or (path, { schema, handler })
            if len(rest) == 1:
                rest = _hooks(first)
        for path in self._paths(path_node, node):
            self._add(router, name, path, path_node, node, rest, options)

    def _is_router(self, router: Node) -> bool:
        return router in self.routers or self._creates_router(router) or _typed_instance(router)

    def _chained(self, receiver: Node) -> tuple[Node, str, Node] | None:
        """`router.route('/x').get(a).put(b)`: the router and path of each verb in the chain."""
        current = unwrap(receiver)
        while current is not None and current.type == "call_expression":
            inner, name, args = call_parts(current)
            if name == "route" and args and inner is not None:
                router = self.identity(inner)
                path = self._path(args[0], current)
                return (router, path, args[0]) if router is not None and path is not None else None
            if name not in VERBS:
                return None
            current = unwrap(inner)
        return None

    def _path(self, path_node: Node, call: Node) -> str | None:
        paths = self._paths(path_node, call)
        return paths[0] if len(paths) == 1 else None

    def _paths(self, path_node: Node, call: Node) -> list[str]:
        """A route's path, or its paths (Express accepts an array of them)."""
        value = string_value(path_node)
        if value is not None:
            return [value]
        resolved = literal(path_node, self._resolve)
        if isinstance(resolved, str):
            return [resolved]
        if isinstance(resolved, list) and resolved and all(isinstance(item, str) for item in resolved):
            return resolved
        self.warn("dynamic-path", f"route path {text(path_node)[:60]!r} is computed at run time", call)
        return []

    def _fastify_route(self, node: Node, receiver: Node, options_node: Node) -> None:
        router = self.identity(receiver)
        if router is None:
            return
        pairs = object_pairs(options_node)
        method_value = literal(pairs["method"], self._resolve) if "method" in pairs else UNRESOLVED
        path_node = pairs.get("url") or pairs.get("path")
        if path_node is None or method_value is UNRESOLVED:
            self.warn("unresolved-route", "route() without a literal method and url", node)
            return
        path = self._path(path_node, node)
        if path is None:
            return
        methods = method_value if isinstance(method_value, list) else [method_value]
        handlers = _hooks(options_node)
        for method in methods:
            self._add(router, str(method).lower(), path, path_node, node, handlers, options_node)

    def _add(
        self,
        router: Node,
        method: str,
        path: str,
        path_node: Node,
        node: Node,
        handlers: list[Node],
        options: Node | None,
    ) -> None:
        self.routers.add(router)
        bare = _PARAM.sub("", path)
        if any(mark in bare for mark in ("*", "(", "[", "{")) or not (path.startswith("/") or path == ""):
            self.warn(
                "unsupported-path", f"route path {path!r} is a pattern OpenAPI cannot express", path_node
            )
            return
        methods = (
            ["get", "post", "put", "patch", "delete", "head", "options"] if method == "all" else [method]
        )
        if method == "all":
            self.warn("all-methods", f"{path}: app.all() documented as every method", node)
        self.found.routes.append(Route(router, methods, path, node, handlers, options))


def _factory(node: Node) -> str:
    """`express` for `express()`, `Router` for `new Router()`/`express.Router()`, `fastify` for
    `require("fastify")()`; '' for anything else."""
    if node.type not in ("call_expression", "new_expression"):
        return ""
    function = unwrap(node.child_by_field_name("function") or node.child_by_field_name("constructor"))
    if function is None:
        return ""
    if function.type == "call_expression" and call_parts(function)[1] == "require":
        args = call_parts(function)[2]
        return (string_value(args[0]) or "") if args else ""
    return text(function).rsplit(".", 1)[-1]


def _hooks(options: Node) -> list[Node]:
    """The validation hooks and handler of a Fastify route options object."""
    pairs = object_pairs(options)
    return [pairs[key] for key in ("preValidation", "preHandler", "handler") if key in pairs]


def _wrapped_in_fastify_plugin(expr: Node, project: Project) -> bool:
    """`fp(plugin)` / `fastifyPlugin(plugin)`, directly or through the name it is exported under."""
    for node in (unwrap(expr), project.definition(expr)):
        if node is not None and node.type == "call_expression":
            receiver, name, _ = call_parts(node)
            if receiver is None and name in ("fp", "fastifyPlugin"):
                return True
    return False


def _parameter_owner(identifier: Node) -> Node | None:
    """The function whose first parameter `identifier` names (a Fastify plugin's instance)."""
    name = text(identifier)
    current = identifier.parent
    while current is not None:
        if current.type in FUNCTIONS or current.type == "method_definition":
            params = current.child_by_field_name("parameters")
            first = params.named_children[0] if params is not None and params.named_children else None
            if first is None and current.type == "arrow_function":
                first = current.child_by_field_name("parameter")
            if first is not None:
                pattern = first.child_by_field_name("pattern") if first.type.endswith("_parameter") else first
                if pattern is not None and text(pattern) == name:
                    return current
            if params is not None and any(_param_name(p) == name for p in params.named_children[1:]):
                return None
        current = current.parent
    return None


def _param_name(param: Node) -> str:
    pattern = param.child_by_field_name("pattern") if param.type.endswith("_parameter") else param
    return text(pattern) if pattern is not None else ""


def _typed_instance(function: Node) -> bool:
    """A function whose first parameter is typed FastifyInstance / Router / Express."""
    if function.type not in FUNCTIONS:
        return False
    params = function.child_by_field_name("parameters")
    first = params.named_children[0] if params is not None and params.named_children else None
    if first is None:
        return False
    annotation = first.child_by_field_name("type")
    return annotation is not None and any(
        word in text(annotation) for word in ("FastifyInstance", "Router", "Express", "Application")
    )


def compose(found: Found) -> list[tuple[Route, str]]:
    """Every route with its full path: prefixes from each root router down, in source order."""
    parents: dict[Node, list[Mount]] = {}
    for mount in found.mounts:
        parents.setdefault(mount.child, []).append(mount)

    def prefixes(router: Node, seen: frozenset[Node]) -> list[str]:
        own = found.own_prefix.get(router, "")
        above = parents.get(router, [])
        if not above or router in seen:
            return [own]
        out = []
        for mount in above:
            for base in prefixes(mount.parent, seen | {router}):
                out.append(join(base, mount.prefix, own))
        return out

    result = []
    for route in found.routes:
        for prefix in dict.fromkeys(prefixes(route.router, frozenset())):
            result.append((route, join(prefix, route.path)))
    return result


def find_routes(project: Project) -> Found:
    """Every route and mount of the project."""
    return _Finder(project).run()
