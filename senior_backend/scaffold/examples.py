"""The scaffolder's examples: a stub response valid against its schema (`common/examples.py`), fitted to
the TypeScript type it is written as.

`fit` drops the properties a closed object type does not declare (an object literal may not carry
them), and fills in declared properties named like `Object.prototype` members (`constructor`,
`toString`: TypeScript reads an absent one as the inherited method).
"""

from __future__ import annotations

from typing import Any

from senior_backend.common.examples import SchemaExamples, is_object

# Members of Object.prototype: TypeScript gives an object literal these, so a declared property of
# the same name must be present in a literal (else its type is the inherited method's).
PROTO_NAMES = frozenset(
    [
        "constructor",
        "toString",
        "toLocaleString",
        "valueOf",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "__proto__",
        "__defineGetter__",
        "__defineSetter__",
        "__lookupGetter__",
        "__lookupSetter__",
    ]
)


class Examples(SchemaExamples):
    """Synthesizes and validates example values against the model's named schemas, fitted to TypeScript."""

    def fit(self, schema: Any, value: Any, depth: int) -> Any:
        """`value` as a TypeScript literal of `schema`'s type accepts it (see module docstring)."""
        parts = self._parts(schema, depth, value)
        if isinstance(value, list):
            items = [part["items"] for part in parts if isinstance(part.get("items"), dict)]
            return [self.fit({"allOf": items}, item, depth + 1) for item in value] if items else value
        if not isinstance(value, dict) or depth > 12:
            return value
        declared: dict[str, list[Any]] = {}
        extras: list[Any] = []
        open_type = False
        for part in parts:
            props = part.get("properties") if isinstance(part.get("properties"), dict) else {}
            extra = part.get("additionalProperties")
            if (isinstance(extra, dict) and extra) or (is_object(part) and not props and extra is not False):
                open_type = True
                extras.extend([extra] if isinstance(extra, dict) and extra else [])
            for name, sub in props.items():
                declared.setdefault(name, []).append(sub)
        if not declared:
            return value
        out = {}
        for name, item in value.items():
            if name in declared:
                out[name] = self.fit({"allOf": declared[name]}, item, depth + 1)
            elif open_type:
                out[name] = self.fit({"allOf": extras}, item, depth + 1) if extras else item
        for name in sorted(PROTO_NAMES & (set(declared) - set(out))):
            out[name] = self.synthesize({"allOf": declared[name]}, depth + 1)
        return out
