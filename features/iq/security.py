"""Steps of the security scenarios (security.feature): key custody, validated-environment guards, S3 data
events, endpoint policies, security alarms, personas. Each reads the live setting through boto3;
thresholds come from the specification."""

from __future__ import annotations

from typing import Any

from pytest_bdd import then

from features.support import Clients, as_list, policy_statements, principal_is_wildcard, threshold


def _key_policy(aws: Clients, key_arn: str) -> list[dict[str, Any]]:
    return policy_statements(aws("kms").get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])


def _principal_arns(statement: dict[str, Any]) -> list[str]:
    """Who a key-policy statement names: its AWS principals, or the aws:PrincipalArn it is limited to."""
    named: list[str] = []
    for values in (statement.get("Condition") or {}).values():
        named += as_list(values.get("aws:PrincipalArn"))
    if named:
        return named
    return [str(p) for p in as_list((statement.get("Principal") or {}).get("AWS"))]


def _signers(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if s.get("Effect") == "Allow" and "kms:Sign" in as_list(s.get("Action"))]


@then("the signing key is RSA with at least the specified number of bits")
def rsa_signing_key_strength(kms_key: dict[str, Any], evidence: Any) -> None:
    meta = kms_key["metadata"]
    minimum = int(threshold("URS_057", "signing_key_min_bits"))
    shown = {k: meta.get(k) for k in ("KeyId", "KeySpec", "KeyUsage", "KeyManager", "SigningAlgorithms")}
    shown["signing_key_min_bits"] = minimum
    evidence.attach("KeySpec", shown)
    family, _, bits = meta["KeySpec"].partition("_")
    assert family == "RSA" and int(bits) >= minimum, shown
    assert meta["KeyUsage"] == "SIGN_VERIFY" and meta["KeyManager"] == "CUSTOMER", shown


@then("only the approver role and the named reviewers may sign with the key")
def approvals_key_signers(
    kms_key: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    signers = _signers(_key_policy(aws, kms_key["arn"]))
    named = sorted({arn for st in signers for arn in _principal_arns(st)})
    signing_key = outputs["kms_key_arns"]["signing"]
    evidence_signers = sorted(
        {a for s in _signers(_key_policy(aws, signing_key)) for a in _principal_arns(s)}
    )
    evidence.attach("ApprovalsKeySigners", named)
    evidence.attach("EvidenceKeySigners", evidence_signers)
    unconditioned = [s for s in signers if principal_is_wildcard(s.get("Principal")) and "Condition" not in s]
    assert signers and not unconditioned, signers
    assert outputs["approver_role_arn"] in named, named
    assert not any(a.endswith(":root") for a in named), named
    assert outputs["approver_role_arn"] not in evidence_signers, evidence_signers
