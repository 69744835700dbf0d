"""SimulatePrincipalPolicy and SimulateCustomPolicy answer from the emulator's IAM evaluator.

moto: neither call exists (the request fails as not implemented), so a policy cannot be checked
before it is used.
AWS: ``SimulatePrincipalPolicy`` evaluates the identity policies of a user, group or role
(``PolicySourceArn``), plus ``PolicyInputList`` and an optional ``ResourcePolicy``, for each of
``ActionNames`` x ``ResourceArns`` (default ``*``) with the given ``ContextEntries``, and answers
``EvalDecision`` ``allowed`` / ``explicitDeny`` / ``implicitDeny`` with the matched statements and
the condition keys the policies use that the request did not supply (``MissingContextValues``).
``SimulateCustomPolicy`` does the same for the policies in ``PolicyInputList`` alone.
Here both use :func:`harness.emulator.iam.evaluator.evaluate`, the decision every request gets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._util import add


def _members(query: Mapping[str, Any], name: str) -> list[str]:
    pattern = re.compile(rf"^{re.escape(name)}\.member\.(\d+)$")
    found = []
    for key, value in query.items():
        match = pattern.match(key)
        if match:
            found.append((int(match.group(1)), value[0] if isinstance(value, list) else value))
    return [v for _, v in sorted(found)]


def _context_entries(query: Mapping[str, Any]) -> dict[str, list[str]]:
    entries: dict[int, dict[str, Any]] = {}
    pattern = re.compile(
        r"^ContextEntries\.member\.(\d+)\.(ContextKeyName|ContextKeyType|ContextKeyValues\.member\.(\d+))$"
    )
    for key, value in query.items():
        match = pattern.match(key)
        if not match:
            continue
        entry = entries.setdefault(int(match.group(1)), {"values": {}})
        value = value[0] if isinstance(value, list) else value
        if match.group(3):
            entry["values"][int(match.group(3))] = value
        else:
            entry[match.group(2)] = value
    context: dict[str, list[str]] = {}
    for entry in entries.values():
        if entry.get("ContextKeyName"):
            context[entry["ContextKeyName"].lower()] = [entry["values"][i] for i in sorted(entry["values"])]
    return context


def _condition_keys(policies: list[Any]) -> set[str]:
    keys: set[str] = set()
    for policy in policies:
        for statement in policy.statements:
            for pairs in (statement.get("Condition") or {}).values():
                keys.update(k for k in (pairs or {}))
    return keys


def simulate(response: Any, principal: Any, extra: list[Any], custom: bool) -> Any:
    from moto.core.responses import ActionResult

    from harness.emulator.iam import evaluator

    query = response.querystring or {}
    actions = _members(query, "ActionNames")
    resources = _members(query, "ResourceArns") or ["*"]
    resource_policy_text = (query.get("ResourcePolicy") or [None])[0]
    resource_policy = (
        evaluator.Policy.parse("ResourcePolicy", resource_policy_text) if resource_policy_text else None
    )
    given = _context_entries(query)
    policies = list(extra) if custom else [*principal.policies, *extra]
    subject = evaluator.Principal(
        arn=principal.arn,
        account=principal.account,
        principal_arn=principal.principal_arn,
        kind=principal.kind,
        user_id=principal.user_id,
        policies=tuple(policies),
        boundary=principal.boundary,
    )
    context = {
        "aws:principalarn": [subject.principal_arn],
        "aws:principalaccount": [subject.account],
        **given,
    }
    used = _condition_keys(policies + ([resource_policy] if resource_policy else []))
    results = []
    for action in actions:
        for resource in resources:
            request = evaluator.Request(subject, action, resource, context)
            decision = evaluator.evaluate(request, resource_policy=resource_policy)
            matched = []
            if decision.source:
                source_type = "resource" if decision.source == "ResourcePolicy" else "IAM Policy"
                matched.append({"SourcePolicyId": decision.source, "SourcePolicyType": source_type})
            results.append(
                {
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": decision.kind,
                    "MatchedStatements": matched,
                    "MissingContextValues": sorted(k for k in used if k.lower() not in context),
                    "EvalDecisionDetails": {},
                }
            )
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


def apply() -> None:
    from moto.iam.responses import IamResponse

    from harness.emulator.iam import evaluator, principals

    def _subject(self: Any) -> Any:
        arn = self._get_param("PolicySourceArn")
        backend = self.backend
        resource = arn.split(":", 5)[5]
        kind, _, rest = resource.partition("/")
        name = rest.rsplit("/", 1)[-1]
        if kind == "role":
            return principals.role_principal(backend, backend.get_role(name))
        if kind == "user":
            return principals.user_principal(backend, backend.get_user(name))
        if kind == "group":
            group = backend.get_group(name)
            policies = [evaluator.Policy.parse(f"{group.arn}:{n}", d) for n, d in group.policies.items()]
            policies.extend(principals._managed(p) for p in group.managed_policies.values())
            return evaluator.Principal(
                group.arn, group.account_id, group.arn, "Group", group.id, tuple(policies)
            )
        from moto.iam.exceptions import IAMNotFoundException

        raise IAMNotFoundException(f"PolicySourceArn {arn} is not a user, group or role")

    def _inputs(self: Any) -> list[Any]:
        return [
            evaluator.Policy.parse(f"PolicyInputList.{i}", text)
            for i, text in enumerate(_members(self.querystring or {}, "PolicyInputList"), start=1)
        ]

    def simulate_principal_policy(self: Any) -> Any:
        return simulate(self, _subject(self), _inputs(self), custom=False)

    def simulate_custom_policy(self: Any) -> Any:
        caller = self._get_param("CallerArn") or f"arn:aws:iam::{self.current_account}:user/simulated"
        subject = evaluator.Principal(caller, self.current_account, caller, "User", "")
        return simulate(self, subject, _inputs(self), custom=True)

    add(IamResponse, "simulate_principal_policy", simulate_principal_policy)
    add(IamResponse, "simulate_custom_policy", simulate_custom_policy)
