"""zod 4 expressions back to JSON Schema: the inverse of zodgen.py + the `zod` template macro.

Covers every construct our generator writes (and the same calls written by
hand). Coercion wrappers (`z.preprocess(asNumber, ...)`) are dropped, since they
are how text becomes the schema's type, not part of the schema;
`splitOn(",")` is reported as the parameter's delimiter. Anything else is
returned as `{}` with a note for the caller to warn about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from senior_backend.scaffold.tospec.jsast import (
    UNRESOLVED,
    Node,
    call_parts,
    literal,
    object_pairs,
    text,
    unwrap,
)

FORMATS = {
    "email": "email",
    "uuid": "uuid",
    "url": "uri",
    "ipv4": "ipv4",
    "ipv6": "ipv6",
    "datetime": "date-time",
    "date": "date",
}
_SIGNS = {
    "positive": "exclusiveMinimum",
    "nonnegative": "minimum",
    "negative": "exclusiveMaximum",
    "nonpositive": "maximum",
}
_NO_SCHEMA_EFFECT = {"trim", "toLowerCase", "toUpperCase", "brand", "readonly", "openapi", "meta"}
_CHECKS = {
    "gte": "minimum",
    "min": "minimum",
    "lte": "maximum",
    "max": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
    "multipleOf": "multipleOf",
}


class ZodReader:
    """Reads zod expressions; `refer(identifier)` turns a named schema constant into a `$ref`."""

    def __init__(self, refer: Callable[[Node], dict[str, Any] | None]) -> None:
        self.refer = refer
        self.notes: list[tuple[Node, str]] = []
        self.delimiter: str | None = None

    def is_zod(self, node: Node | None) -> bool:
        node = unwrap(node)
        return node is not None and text(node).startswith("z.")

    def schema(self, node: Node | None) -> dict[str, Any]:
        node = unwrap(node)
        if node is None:
            return {}
        if node.type == "identifier" and text(node) == "filePart":
            return {"type": "string", "format": "binary"}  # a multipart file part (http.ts)
        if node.type in ("identifier", "member_expression"):
            ref = self.refer(node)
            if ref is not None:
                return ref
            self.notes.append((node, f"schema {text(node)[:60]!r} could not be followed"))
            return {}
        if node.type != "call_expression":
            self.notes.append((node, f"{text(node)[:60]!r} is not a zod schema"))
            return {}
        receiver, name, args = call_parts(node)
        if receiver is not None and text(receiver) in ("z", "z.iso", "z.coerce"):
            if text(receiver) == "z" and name == "date":
                return self._lost(node)  # a JavaScript Date, not JSON
            return self._base(node, name or "", args)
        if receiver is None and name in ("asNumber", "asBoolean", "asArray"):
            return {}
        if receiver is None:
            self.notes.append((node, f"{text(node)[:60]!r} is not a zod schema"))
            return {}
        return self._modifier(node, self.schema(receiver), name or "", args)

    def _base(self, node: Node, name: str, args: list[Node]) -> dict[str, Any]:
        if name == "string":
            return {"type": "string"}
        if name in FORMATS:
            return {"type": "string", "format": FORMATS[name]}
        if name in ("number", "int"):
            return {"type": "integer" if name == "int" else "number"}
        if name in ("boolean", "null"):
            return {"type": name}
        if name in ("unknown", "any"):
            return {}
        if name == "literal":
            value = literal(args[0]) if args else UNRESOLVED
            return {"const": value} if value is not UNRESOLVED else self._lost(node)
        if name == "enum":
            values = literal(args[0]) if args else UNRESOLVED
            return {"enum": values} if isinstance(values, list) else self._lost(node)
        if name == "array":
            return {"type": "array", "items": self.schema(args[0])} if args else {"type": "array"}
        if name in ("object", "strictObject", "looseObject"):
            return self._object(args[0] if args else None, strict=name == "strictObject")
        if name in ("union", "xor"):
            items = unwrap(args[0]) if args else None
            subs = [self.schema(child) for child in items.named_children] if items is not None else []
            return {"anyOf" if name == "union" else "oneOf": subs}
        if name == "intersection":
            subs: list[dict[str, Any]] = []
            for arg in args:
                sub = self.schema(arg)
                is_fold = self._is_call(arg, "intersection")
                subs.extend(sub["allOf"] if is_fold and "allOf" in sub else [sub])
            return {"allOf": subs}
        if name == "lazy":
            body = unwrap(args[0]) if args else None
            inner = body.child_by_field_name("body") if body is not None else None
            return self.schema(inner)
        if name == "preprocess":
            self._delimiter(args[0] if args else None)
            return self.schema(args[1]) if len(args) > 1 else {}
        if name == "custom":
            return self._custom(node, args)
        if name == "never":
            return {"not": {}}
        if name == "record" and args:
            return {"type": "object", "additionalProperties": self.schema(args[-1])}
        if name == "tuple" and args:
            items = unwrap(args[0])
            subs = [self.schema(child) for child in items.named_children] if items is not None else []
            return {"type": "array", "prefixItems": subs, "items": False}
        if name == "discriminatedUnion" and len(args) == 2:
            return {"anyOf": [self.schema(child) for child in args[1].named_children]}
        if name in ("optional", "nullable", "nullish") and args:
            inner = self.schema(args[0])
            return inner if name == "optional" else _nullable(inner)
        return self._lost(node)

    def _is_call(self, node: Node, name: str) -> bool:
        node = unwrap(node)
        return node is not None and node.type == "call_expression" and call_parts(node)[1] == name

    def _delimiter(self, node: Node | None) -> None:
        node = unwrap(node)
        if node is not None and node.type == "call_expression":
            _, name, args = call_parts(node)
            value = literal(args[0]) if name == "splitOn" and args else None
            if isinstance(value, str):
                self.delimiter = value

    def _custom(self, node: Node, args: list[Node]) -> dict[str, Any]:
        function = unwrap(args[0]) if args else None
        body = unwrap(function.child_by_field_name("body")) if function is not None else None
        if body is not None and body.type == "call_expression":
            _, name, call_args = call_parts(body)
            if name == "deepEqual" and len(call_args) == 2:
                value = literal(call_args[1])
                if value is not UNRESOLVED:
                    return {"const": value}
        return self._lost(node)

    def _object(self, shape: Node | None, strict: bool) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for key, value in object_pairs(shape).items():
            optional, inner = peel_optional(value)
            properties[key] = self.schema(inner)
            if not optional:
                required.append(key)
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        if strict:
            out["additionalProperties"] = False
        return out

    def _modifier(self, node: Node, base: dict[str, Any], name: str, args: list[Node]) -> dict[str, Any]:
        kind = base.get("type")
        value = literal(args[0]) if args else UNRESOLVED
        if name in ("min", "max") and kind in ("string", "array") and isinstance(value, int):
            word = "Length" if kind == "string" else "Items"
            return {**base, f"{name}{word}": value}
        if name in _CHECKS and kind in ("number", "integer") and isinstance(value, (int, float)):
            return {**base, _CHECKS[name]: value}
        if name == "int":
            return {**base, "type": "integer"}
        if kind == "string" and name in FORMATS and not args:
            return {**base, "format": FORMATS[name]}  # zod 3 style: z.string().email()
        if name in _SIGNS and kind in ("number", "integer"):
            return {**base, _SIGNS[name]: 0}
        if name in ("length", "nonempty") and kind in ("string", "array"):
            size = value if name == "length" else 1
            word = "Length" if kind == "string" else "Items"
            if isinstance(size, int):
                bounds = (
                    {f"min{word}": size} if name == "nonempty" else {f"min{word}": size, f"max{word}": size}
                )
                return {**base, **bounds}
        if name == "default" and value is not UNRESOLVED:
            return {**base, "default": value}
        if name == "array" and not args:
            return {"type": "array", "items": base}
        if name in ("or", "and") and args:
            return {("anyOf" if name == "or" else "allOf"): [base, self.schema(args[0])]}
        if name in _NO_SCHEMA_EFFECT:
            return base
        if name == "regex" and args:
            pattern = unwrap(args[0])
            if pattern is not None and pattern.type == "new_expression":
                inner = pattern.child_by_field_name("arguments")
                value = (
                    literal(inner.named_children[0]) if inner is not None and inner.named_children else None
                )
            elif pattern is not None and pattern.type == "regex":
                value = text(pattern.child_by_field_name("pattern") or pattern)
            elif pattern is not None and pattern.type == "call_expression":
                # RegExp("...") or the generated code's specPattern("...") helper
                callee = text(pattern.child_by_field_name("function") or pattern)
                inner = pattern.child_by_field_name("arguments")
                value = (
                    literal(inner.named_children[0])
                    if callee in ("RegExp", "specPattern") and inner is not None and inner.named_children
                    else None
                )
            if isinstance(value, str):
                return {**base, "pattern": value}
        if name == "optional":
            return base  # optionality belongs to the enclosing object; see peel_optional
        if name in ("nullable", "nullish"):
            return _nullable(base)  # nullish: optional too, see peel_optional
        if name == "strict":
            return {**base, "additionalProperties": False}
        if name in ("loose", "passthrough"):
            return base
        if name == "catchall" and args:
            return {**base, "additionalProperties": self.schema(args[0])}
        if name == "describe" and isinstance(value, str):
            return {**base, "description": value}
        if name == "refine" and args:
            refined = self._refine(base, args[0])
            if refined is not None:
                return refined
        return self._lost(node, base)

    def _refine(self, base: dict[str, Any], check: Node) -> dict[str, Any] | None:
        check = unwrap(check)
        if check is None:
            return None
        if text(check) == "Number.isInteger":
            return {**base, "type": "integer"}
        if text(check) == "uniqueItems":
            return {**base, "uniqueItems": True}
        body = unwrap(check.child_by_field_name("body")) if check.type == "arrow_function" else None
        if body is None:
            return None
        source = text(body)
        if body.type == "binary_expression" and source.startswith("Object.keys(value).length"):
            bound = literal(body.child_by_field_name("right"))
            operator = text(body.child_by_field_name("operator") or body)
            if isinstance(bound, int) and operator in (">=", "<="):
                return {**base, ("minProperties" if operator == ">=" else "maxProperties"): bound}
        if body.type == "unary_expression" and source.startswith("!"):
            member = unwrap(body.named_children[0])
            call = unwrap(member.child_by_field_name("object")) if member is not None else None
            receiver = call_parts(call)[0] if call is not None and call.type == "call_expression" else None
            if receiver is not None:
                return {**base, "not": self.schema(receiver)}
        return None

    def _lost(self, node: Node, base: dict[str, Any] | None = None) -> dict[str, Any]:
        self.notes.append((node, f"zod call {text(node)[:60]!r} has no JSON Schema equivalent; left out"))
        return base if base is not None else {}


def peel_optional(node: Node) -> tuple[bool, Node]:
    """`X.optional()` -> (True, X); `X.nullish()`, `X.default(v)`, `z.optional(X)` are optional too."""
    current = unwrap(node)
    if current is not None and current.type == "call_expression":
        receiver, name, args = call_parts(current)
        if name == "optional" and not args and receiver is not None:
            return True, receiver
        if (name == "nullish" and not args) or name == "default":
            return True, current  # absent is valid; the schema (nullable, default) stays
        if name == "optional" and receiver is not None and text(receiver) == "z" and args:
            return True, args[0]
    return False, node


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str) and not any(key in schema for key in ("anyOf", "allOf", "oneOf")):
        out = {**schema, "type": [kind, "null"]}
        if isinstance(out.get("enum"), list):
            out["enum"] = [*out["enum"], None]
        return out
    if isinstance(kind, list):
        return {**schema, "type": [*kind, "null"]} if "null" not in kind else schema
    return {"anyOf": [schema, {"type": "null"}]}


def object_shape(node: Node | None) -> Node | None:
    """The shape literal of `z.object({...})`, through `.loose()`/`.strict()`/`.catchall(x)`."""
    current = unwrap(node)
    while current is not None and current.type == "call_expression":
        receiver, name, args = call_parts(current)
        if name == "object" and receiver is not None and text(receiver) == "z":
            return args[0] if args else None
        if name not in ("loose", "strict", "passthrough", "catchall"):
            return None
        current = unwrap(receiver)
    return None
