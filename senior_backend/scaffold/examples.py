"""The scaffolder's examples: a stub response valid against its schema (`common/examples.py`), fitted to
the TypeScript type it is written as.

`fit` drops the properties a closed object type does not declare (an object literal may not carry
them) and the writeOnly ones a response view dropped (a response never carries them, readonly.py), and
fills in declared properties named like `Object.prototype` members (`constructor`, `toString`:
TypeScript reads an absent one as the inherited method).
"""

from __future__ import annotations

from typing import Any

from senior_backend.common.examples import SchemaExamples, is_object
from senior_backend.common.openapi import ref_name
from senior_backend.scaffold.readonly import WRITE_ONLY

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

    def synthesize(self, schema: Any, depth: int, variant: int = 0) -> Any:
        """As `SchemaExamples.synthesize`, also for 3.1 tuples (`prefixItems`) and a `$ref` with sibling
        keywords on a scalar or array (`{allOf: [{$ref: Name}], maxLength: 5}`: made as one schema)."""
        if not isinstance(schema, dict) or depth > 12:
            return super().synthesize(schema, depth, variant)
        members = schema.get("allOf")
        if (
            "type" not in schema
            and isinstance(members, list)
            and len(members) == 1
            and isinstance(members[0], dict)
            and set(members[0]) == {"$ref"}
        ):
            target = self.schemas.get(ref_name(members[0]["$ref"]))
            composed = any(key in (target or {}) for key in ("$ref", "allOf", "oneOf", "anyOf", "properties"))
            if isinstance(target, dict) and not composed and not is_object(target):
                own = {key: value for key, value in schema.items() if key != "allOf"}
                return super().synthesize({**target, **own}, depth, variant)
        kinds = schema.get("type")
        if isinstance(schema.get("prefixItems"), list) and (
            kinds == "array" or (isinstance(kinds, list) and "array" in kinds) or kinds is None
        ):
            if "x-example" in schema and not variant and self.is_valid(schema, schema["x-example"]):
                return schema["x-example"]
            value = [self.synthesize(sub, depth + 1, variant) for sub in schema["prefixItems"]]
            rest = schema.get("items", True)
            least = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
            while len(value) < least and isinstance(rest, dict) and rest != {"not": {}}:
                value.append(self.synthesize(rest, depth + 1, variant + len(value)))
            return value
        return super().synthesize(schema, depth, variant)

    def fit(self, schema: Any, value: Any, depth: int) -> Any:
        """`value` as a TypeScript literal of `schema`'s type accepts it (see module docstring)."""
        parts = self._parts(schema, depth, value)
        if isinstance(value, list) and any(isinstance(part.get("prefixItems"), list) for part in parts):
            tuples = [part for part in parts if isinstance(part.get("prefixItems"), list)]
            return [
                self.fit({"allOf": [_item_schema(part, i) for part in tuples]}, item, depth + 1)
                for i, item in enumerate(value)
            ]
        if isinstance(value, list):
            items = [part["items"] for part in parts if isinstance(part.get("items"), dict)]
            return [self.fit({"allOf": items}, item, depth + 1) for item in value] if items else value
        if not isinstance(value, dict) or depth > 12:
            return value
        declared: dict[str, list[Any]] = {}
        extras: list[Any] = []
        open_type = False
        hidden: set[str] = set()  # writeOnly properties a response view dropped (readonly.py)
        for part in parts:
            hidden.update(part.get(WRITE_ONLY) or [])
            props = part.get("properties") if isinstance(part.get("properties"), dict) else {}
            extra = part.get("additionalProperties")
            if (isinstance(extra, dict) and extra) or (is_object(part) and not props and extra is not False):
                open_type = True
                extras.extend([extra] if isinstance(extra, dict) and extra else [])
            for name, sub in props.items():
                declared.setdefault(name, []).append(sub)
        if not declared and not hidden:
            return value
        out = {}
        for name, item in value.items():
            if name in hidden:
                continue
            if name in declared:
                out[name] = self.fit({"allOf": declared[name]}, item, depth + 1)
            elif open_type:
                out[name] = self.fit({"allOf": extras}, item, depth + 1) if extras else item
        for name in sorted(PROTO_NAMES & (set(declared) - set(out))):
            out[name] = self.synthesize({"allOf": declared[name]}, depth + 1)
        return out


def _item_schema(schema: dict[str, Any], index: int) -> Any:
    """The schema of a tuple's `index`th item: its `prefixItems` entry, else `items`."""
    prefix = schema["prefixItems"]
    if index < len(prefix):
        return prefix[index]
    rest = schema.get("items")
    return rest if isinstance(rest, dict) else {}
