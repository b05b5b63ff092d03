"""Security schemes and requirements: what the generated code enforces before a handler runs.

`read_schemes` turns `components.securitySchemes` into `Scheme`s (how a credential travels and
which verifier function in the user's `security.ts` checks it); `requirements` turns an
operation's `security` (its own, or the document's) into alternatives: the request passes when
every scheme of at least one alternative accepts it (OR of requirement objects, AND within one).
`security: []` (or only `{}`) makes the operation public; `{}` beside other requirements makes
authentication optional: it stays an empty alternative, met only when no credential of the other
schemes is sent (a credential that is sent is checked, and a bad one is a 401). A requirement that
names an undeclared or unusable scheme can never be met: the operation denies every request
(fail closed) and the scaffolder warns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from senior_backend.common.diagnostics import Diagnostic, warning
from senior_backend.scaffold.naming import NameTable, identifier

KINDS = ("bearer", "basic", "http", "apiKey", "oauth2", "openIdConnect")


@dataclass(frozen=True)
class Scheme:
    """One entry of components.securitySchemes, as the generated code checks it."""

    name: str  # the key in components.securitySchemes
    function: str  # the verifier the user implements in security.ts: `verifyBearerAuth`
    kind: str  # one of KINDS; `http` is an HTTP scheme other than bearer/basic (digest, ...)
    location: str  # where the credential is: header, query or cookie
    parameter: str  # the header (lower case), query parameter or cookie name
    challenge: str  # the WWW-Authenticate scheme (`Bearer`, `Basic`), '' for API keys
    bearer_format: str = ""
    scopes: tuple[str, ...] = ()  # the scopes the scheme declares (OAuth2 flows)
    description: str = ""
    spec: dict[str, Any] = field(default_factory=dict)  # the scheme object as the spec wrote it


@dataclass(frozen=True)
class Requirement:
    """One scheme of a requirement object and the scopes it asks for."""

    scheme: str
    scopes: tuple[str, ...] = ()


@dataclass
class Security:
    """The schemes of a document, with the problems found reading them."""

    schemes: dict[str, Scheme] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)


def read_schemes(raw: Any, deref: Callable[[Any], Any], where: Callable[[list[str | int]], str]) -> Security:
    """The schemes of `components.securitySchemes` (`raw`); `where(parts)` names a place in the spec."""
    out = Security()
    if not isinstance(raw, dict):
        return out
    names = NameTable()
    for name, value in raw.items():
        scheme = deref(value)
        at = ["components", "securitySchemes", str(name)]
        if not isinstance(scheme, dict):
            out.warnings.append(
                warning("bad-security-scheme", "a security scheme must be an object", where(at))
            )
            continue
        function = names.claim("verify" + identifier(str(name), "Scheme", style="pascal"))
        made = _scheme(str(name), function, scheme)
        if isinstance(made, str):
            out.warnings.append(
                warning(
                    "bad-security-scheme",
                    f"security scheme {name!r}: {made}; operations requiring it deny every request",
                    where(at),
                )
            )
            continue
        out.schemes[str(name)] = replace(made, spec=scheme)
    return out


def _scheme(name: str, function: str, raw: dict[str, Any]) -> Scheme | str:
    """The scheme, or why it cannot be checked."""
    kind = raw.get("type")
    description = str(raw.get("description") or "")
    if kind == "http":
        http = str(raw.get("scheme") or "").strip()
        if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", http):  # an RFC 9110 token: it goes in a header
            return "an http scheme needs a `scheme` (bearer, basic, ...)"
        lowered = http.lower()
        return Scheme(
            name,
            function,
            lowered if lowered in ("bearer", "basic") else "http",
            "header",
            "authorization",
            http[:1].upper() + http[1:].lower(),
            bearer_format=str(raw.get("bearerFormat") or "") if lowered == "bearer" else "",
            description=description,
        )
    if kind == "apiKey":
        location, parameter = raw.get("in"), raw.get("name")
        if location not in ("header", "query", "cookie") or not isinstance(parameter, str) or not parameter:
            return "an apiKey scheme needs `in` (header, query or cookie) and a `name`"
        return Scheme(
            name,
            function,
            "apiKey",
            location,
            parameter.lower() if location == "header" else parameter,
            "",
            description=description,
        )
    if kind in ("oauth2", "openIdConnect"):
        return Scheme(
            name,
            function,
            kind,
            "header",
            "authorization",
            "Bearer",
            scopes=_declared_scopes(raw),
            description=description,
        )
    if kind == "mutualTLS":
        return "mutualTLS is checked by the TLS terminator, not by the generated code"
    return f"unknown type {kind!r}"


def _declared_scopes(raw: dict[str, Any]) -> tuple[str, ...]:
    flows = raw.get("flows") if isinstance(raw.get("flows"), dict) else {}
    scopes: dict[str, None] = {}
    for flow in flows.values():
        if isinstance(flow, dict) and isinstance(flow.get("scopes"), dict):
            scopes.update(dict.fromkeys(str(scope) for scope in flow["scopes"]))
    return tuple(scopes)


def requirements(
    raw: Any, schemes: dict[str, Scheme], where: str
) -> tuple[list[list[Requirement]] | None, list[Diagnostic]]:
    """The alternatives an operation accepts, or None when it is public.

    `{}` is kept as an empty alternative (anonymous access, when no credential is sent) unless it is
    the only one left, when the operation is simply public. An alternative that names an undeclared (or uncheckable) scheme, or that is not a mapping of
    scheme names to scopes, can never be met and is left out: with none left, every request is
    denied (never public by mistake)."""
    problems: list[Diagnostic] = []
    if raw is None or raw == []:
        return None, problems
    if not isinstance(raw, list):
        problems.append(warning("bad-security", "security must be a list; every request is denied", where))
        return [], problems
    alternatives: list[list[Requirement]] = []
    anonymous = False
    for item in raw:
        if not isinstance(item, dict):
            problems.append(
                warning("bad-security", "a security requirement must be a mapping; it is never met", where)
            )
            continue
        if not item:
            anonymous = True  # `{}`: anonymous access is one of the alternatives
            continue
        unknown = [str(name) for name in item if str(name) not in schemes]
        for name in unknown:
            problems.append(
                warning(
                    "unknown-security-scheme",
                    f"security scheme {name!r} is not declared (or cannot be checked); "
                    "requests needing it are denied",
                    where,
                    hint="declare it under components.securitySchemes",
                )
            )
        if not unknown:
            alternatives.append(
                [
                    Requirement(str(name), tuple(dict.fromkeys(str(s) for s in scopes or [])))
                    if isinstance(scopes, list) or scopes is None
                    else Requirement(str(name))
                    for name, scopes in item.items()
                ]
            )
    if anonymous:
        return ([[], *alternatives] if alternatives else None), problems
    return alternatives, problems


class _Guarded(Protocol):
    name: str
    security: Any
    where: str


@dataclass
class SecurityView:
    """What the templates need: the schemes, each guarded operation's alternatives, the realm."""

    used: bool
    schemes: list[dict[str, Any]]
    requirements: dict[str, list[list[dict[str, Any]]]]  # operation name -> alternatives
    spec: dict[str, Any]  # operation name -> its `security` as the spec wrote it (for --generate-spec)
    realm: str
    warnings: list[Diagnostic]


def security_view(schemes: dict[str, Scheme], operations: list[_Guarded], title: str) -> SecurityView:
    """The template view of the schemes and of every operation's requirements (public ones left out)."""
    guarded: dict[str, list[list[dict[str, Any]]]] = {}
    spec: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    for operation in operations:
        needed, found = requirements(operation.security, schemes, operation.where)
        problems.extend(found)
        if needed is not None:
            spec[operation.name] = operation.security
            guarded[operation.name] = [
                [{"scheme": item.scheme, "scopes": list(item.scopes)} for item in alternative]
                for alternative in needed
            ]
    realm = re.sub(r"[^A-Za-z0-9 ._-]", "", title).strip()[:60] or "api"
    return SecurityView(
        used=bool(guarded),  # auth.ts and security.ts only when an operation is protected
        schemes=[asdict(scheme) for scheme in schemes.values()],
        requirements=guarded,
        spec=spec,
        realm=realm,
        warnings=problems,
    )


def missing_verifiers(kept: str, schemes: dict[str, Scheme], where: str) -> list[Diagnostic]:
    """A warning per scheme whose verifier the user's kept security.ts (`kept`) does not export: a scheme
    added to the spec after the file was created (auth.ts calls it, so tsc fails until it is added)."""
    return [
        warning(
            "missing-verifier",
            f"{scheme.function} (security scheme {scheme.name!r}) is not in the kept security.ts",
            where,
            hint=f"add `export async function {scheme.function}(...)`: auth.ts calls it",
        )
        for scheme in schemes.values()
        if not re.search(rf"\bexport\s+(async\s+)?function\s+{re.escape(scheme.function)}\b", kept)
        and not re.search(rf"\bexport\s+(const|let)\s+{re.escape(scheme.function)}\b", kept)
    ]
