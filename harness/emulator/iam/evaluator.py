"""The IAM authorisation decision for one request, as AWS makes it within one account.

Contract (AWS "Policy evaluation logic", single account):

1. An explicit ``Deny`` in any applicable policy (identity, session, boundary, resource) wins.
2. KMS: the key policy must allow the call, either naming the principal or naming the account
   (``arn:aws:iam::<account>:root`` / the account id), which delegates to the principal's IAM
   policies; without either the call is refused whatever IAM allows.
3. ``sts:AssumeRole``: the role's trust policy must allow the caller; a trust policy that names the
   caller (or its role) is enough, one that names only the account needs the caller's IAM policies
   to allow the call too.
4. Otherwise (S3 bucket policies and the like): an ``Allow`` in an identity policy, or a resource
   policy ``Allow`` naming the principal, its role, or ``*``, permits the call.
5. A permissions boundary and a session policy, when present, must allow the call as well.
6. Nothing allows: implicit deny.

A statement applies when its ``Action``/``NotAction`` matches the action (case-insensitive,
wildcards), its ``Resource``/``NotResource`` matches the resource ARN (case-sensitive, wildcards,
policy variables), for resource policies its ``Principal``/``NotPrincipal`` matches the caller, and
its ``Condition`` holds (:mod:`.conditions`). A statement whose condition uses an operator the
evaluator does not know is treated as applying when it denies and not applying when it allows, and
the decision says so: the unknown never widens access.

Messages follow AWS's: ``User: <arn> is not authorized to perform: <action> on resource: <arn>
because no identity-based policy allows the <action> action`` (or ``with an explicit deny in an
identity-based policy``, ``... in a resource-based policy``, ``because no resource-based policy
allows ...``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .conditions import UnknownOperator, conditions_hold, substitute, wildcard_match

IDENTITY = "identity-based policy"
RESOURCE = "resource-based policy"
BOUNDARY = "permissions boundary"
SESSION = "session policy"


@dataclasses.dataclass(frozen=True)
class Policy:
    """A policy document and where it comes from (a managed policy ARN, ``role/<name>:<policy>``)."""

    source: str
    document: Mapping[str, Any]

    @classmethod
    def parse(cls, source: str, document: str | bytes | Mapping[str, Any]) -> Policy:
        if isinstance(document, bytes):
            document = document.decode()
        if isinstance(document, str):
            return _parsed(source, document)
        return cls(source, document)

    @property
    def statements(self) -> list[Mapping[str, Any]]:
        raw = self.document.get("Statement") or []
        return list(raw) if isinstance(raw, list) else [raw]


@functools.lru_cache(maxsize=1024)
def _parsed(source: str, text: str) -> Policy:
    """Policies are parsed once per text: every request of a session reads the same documents."""
    return Policy(source, _load(text))


def _load(text: str) -> Mapping[str, Any]:
    from urllib.parse import unquote

    text = text.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = unquote(text)
    return json.loads(text)


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who signed the request."""

    arn: str  # the caller: arn:aws:iam::<a>:user/<n> or arn:aws:sts::<a>:assumed-role/<r>/<s>
    account: str
    principal_arn: str  # aws:PrincipalArn: the user, or the role of a session
    kind: str  # "User", "AssumedRole" or "Administrator"
    user_id: str = ""
    policies: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    session_policy: Policy | None = None
    source_identity: str | None = None  # aws:SourceIdentity of a session (AssumeRole's SourceIdentity)

    @property
    def is_administrator(self) -> bool:
        return self.kind == "Administrator"

    @property
    def partition(self) -> str:
        return self.arn.split(":", 2)[1]

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root"


@dataclasses.dataclass(frozen=True)
class Request:
    principal: Principal
    action: str  # service:Operation as IAM names it
    resource: str  # an ARN, or "*" for actions without a resource type
    context: Mapping[str, Sequence[str]]  # lower-case condition keys -> values


@dataclasses.dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # AWS's "because ..." / "with an explicit deny ..." clause
    source: str = ""  # the policy that decided, when one did
    notes: tuple[str, ...] = ()  # e.g. conditions with operators the evaluator does not know

    @property
    def kind(self) -> str:
        if self.allowed:
            return "allowed"
        return "explicitDeny" if self.reason.startswith("with an explicit deny") else "implicitDeny"


def action_matches(patterns: Any, action: str) -> bool:
    return any(wildcard_match(str(p), action, ignore_case=True) for p in _list(patterns))


def resource_matches(patterns: Any, resource: str, context: Mapping[str, Sequence[str]]) -> bool:
    for raw in _list(patterns):
        pattern = substitute(str(raw), context)
        if pattern is None:
            continue
        if pattern == "*" or wildcard_match(pattern.replace("\x00", ""), resource):
            return True
    return False


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _principal_values(principal: Any) -> tuple[bool, list[str]]:
    """(everyone, AWS principal values) of a Principal element."""
    if principal == "*":
        return True, []
    if not isinstance(principal, Mapping):
        return False, []
    aws = [str(v) for v in _list(principal.get("AWS"))]
    return "*" in aws, aws


def principal_matches(element: Any, principal: Principal) -> str | None:
    """How a resource policy's Principal names the caller: "direct", "account" or None."""
    everyone, values = _principal_values(element)
    if everyone:
        return "direct"
    names = {principal.arn, principal.principal_arn}
    for value in values:
        if value in names:
            return "direct"
        if value in (principal.account, principal.root_arn):
            return "account"
    return None


@dataclasses.dataclass
class _Outcome:
    allow: str | None = None  # source of the first allow
    allow_how: str | None = None  # for resource policies: "direct" / "account"
    deny: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)


def _scan(
    policies: Iterable[Policy], request: Request, *, resource_policy: bool, outcome: _Outcome | None = None
) -> _Outcome:
    outcome = outcome or _Outcome()
    for policy in policies:
        for statement in policy.statements:
            effect = statement.get("Effect")
            if "NotAction" in statement:
                if action_matches(statement["NotAction"], request.action):
                    continue
            elif not action_matches(statement.get("Action"), request.action):
                continue
            if "NotResource" in statement:
                if resource_matches(statement["NotResource"], request.resource, request.context):
                    continue
            elif "Resource" in statement:
                if not resource_matches(statement["Resource"], request.resource, request.context):
                    continue
            elif not resource_policy:
                continue  # an identity policy statement without Resource is invalid: it grants nothing
            how = "direct"
            if resource_policy:
                if "NotPrincipal" in statement:
                    if principal_matches(statement["NotPrincipal"], request.principal):
                        continue
                else:
                    how = principal_matches(statement.get("Principal"), request.principal)
                    if how is None:
                        continue
            try:
                holds = conditions_hold(statement.get("Condition"), request.context)
            except UnknownOperator as exc:
                outcome.notes.append(f"{policy.source}: condition operator {exc} is not evaluated locally")
                holds = effect == "Deny"  # the unknown never widens access
            if not holds:
                continue
            if effect == "Deny":
                outcome.deny = outcome.deny or policy.source
            elif effect == "Allow" and (
                outcome.allow is None or (how == "direct" and outcome.allow_how != "direct")
            ):
                outcome.allow, outcome.allow_how = policy.source, how
    return outcome


def evaluate(
    request: Request,
    *,
    resource_policy: Policy | None = None,
    resource_kind: str = "generic",  # "generic" | "kms" | "trust" | "none"
) -> Decision:
    """Decide one request. ``resource_kind`` selects the KMS and trust-policy rules."""
    principal = request.principal
    action = request.action
    identity = _scan(principal.policies, request, resource_policy=False)
    if principal.is_administrator and not principal.policies:
        identity.allow = "administrator"
    resource = _Outcome()
    if resource_policy is not None:
        _scan([resource_policy], request, resource_policy=True, outcome=resource)
    notes = tuple(identity.notes + resource.notes)

    if identity.deny:
        return Decision(False, f"with an explicit deny in an {IDENTITY}", identity.deny, notes)
    if resource.deny:
        return Decision(False, f"with an explicit deny in a {RESOURCE}", resource.deny, notes)
    for extra, label in ((principal.boundary, BOUNDARY), (principal.session_policy, SESSION)):
        if extra is None:
            continue
        scanned = _scan([extra], request, resource_policy=False)
        if scanned.deny:
            return Decision(False, f"with an explicit deny in a {label}", scanned.deny, notes)
        if scanned.allow is None:
            return Decision(False, f"because no {label} allows the {action} action", extra.source, notes)

    if resource_kind in ("kms", "trust"):
        if resource.allow is None:
            return Decision(False, f"because no {RESOURCE} allows the {action} action", "", notes)
        if resource.allow_how == "direct":
            return Decision(True, "", resource.allow, notes)
        if identity.allow:
            return Decision(True, "", identity.allow, notes)
        return Decision(False, f"because no {IDENTITY} allows the {action} action", "", notes)

    if identity.allow:
        return Decision(True, "", identity.allow, notes)
    if resource.allow and resource.allow_how == "direct":
        return Decision(True, "", resource.allow, notes)
    return Decision(False, f"because no {IDENTITY} allows the {action} action", "", notes)


def denial_message(request: Request, decision: Decision, *, quote_resource: bool = False) -> str:
    """AWS's AccessDenied message for a refused request."""
    resource = f'"{request.resource}"' if quote_resource else request.resource
    return (
        f"User: {request.principal.arn} is not authorized to perform: {request.action} "
        f"on resource: {resource} {decision.reason}"
    )
