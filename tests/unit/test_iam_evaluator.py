"""The emulator's IAM decision in-process: operators, precedence, the KMS and trust rules, PassRole."""

from __future__ import annotations

from typing import Any

import pytest

from harness.emulator.iam import conditions, requests
from harness.emulator.iam.evaluator import Policy, Principal, Request, denial_message, evaluate

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/data-scientist"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/data-scientist/alice"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
KEY = f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/1111"


def policy(*statements: dict[str, Any], source: str = "p") -> Policy:
    return Policy(source, {"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def who(*policies: Policy, boundary: Policy | None = None, session: Policy | None = None) -> Principal:
    return Principal(SESSION, ACCOUNT, ROLE, "AssumedRole", "AROA:alice", policies, boundary, session)


def decide(
    principal: Principal,
    action: str,
    resource: str = "*",
    context: dict[str, list[str]] | None = None,
    **kw: Any,
):
    return evaluate(Request(principal, action, resource, context or {}), **kw)


# ------------------------------------------------------------------ operators


@pytest.mark.parametrize(
    ("operator", "policy_value", "request_value", "expected"),
    [
        ("StringEquals", "a", ["a"], True),
        ("StringEquals", "a", ["A"], False),
        ("StringEquals", "a", None, False),
        ("StringNotEquals", "a", ["b"], True),
        ("StringNotEquals", "a", ["a"], False),
        ("StringNotEquals", "a", None, True),
        ("StringEqualsIgnoreCase", "abc", ["ABC"], True),
        ("StringNotEqualsIgnoreCase", "abc", ["ABC"], False),
        ("StringLike", "evidence/*", ["evidence/run/1.json"], True),
        ("StringLike", "evidence/?", ["evidence/ab"], False),
        ("StringNotLike", "evidence/*", ["data/x"], True),
        ("NumericEquals", "7", ["7.0"], True),
        ("NumericNotEquals", "7", ["8"], True),
        ("NumericLessThan", "30", ["7"], True),
        ("NumericLessThanEquals", "7", ["7"], True),
        ("NumericGreaterThan", "30", ["7"], False),
        ("NumericGreaterThanEquals", "3650", ["3650"], True),
        ("NumericEquals", "7", ["seven"], False),
        ("Bool", "true", ["true"], True),
        ("Bool", "false", ["true"], False),
        ("Bool", True, ["true"], True),
        ("ArnLike", "arn:aws:iam::*:role/exec-*", ["arn:aws:iam::1:role/exec-a"], True),
        ("ArnLike", "arn:aws:iam::*:role/exec-*", ["arn:aws:iam::1:user/exec-a"], False),
        ("ArnEquals", ROLE, [ROLE], True),
        ("ArnNotEquals", ROLE, [ROLE], False),
        ("ArnNotLike", "arn:aws:iam::*:role/*", [ROLE], False),
        ("DateGreaterThan", "2020-01-01T00:00:00Z", ["2026-12-01T00:00:00Z"], True),
        ("DateLessThan", "2020-01-01T00:00:00Z", ["2026-12-01T00:00:00Z"], False),
        ("IpAddress", "10.0.0.0/8", ["10.1.2.3"], True),
        ("NotIpAddress", "10.0.0.0/8", ["10.1.2.3"], False),
    ],
)
def test_operator(operator: str, policy_value: Any, request_value: list[str] | None, expected: bool) -> None:
    context = {} if request_value is None else {"k:key": request_value}
    assert conditions.condition_holds(operator, "k:Key", policy_value, context) is expected


def test_if_exists_and_null() -> None:
    assert conditions.condition_holds("StringEqualsIfExists", "k:a", "x", {}) is True
    assert conditions.condition_holds("StringEqualsIfExists", "k:a", "x", {"k:a": ["y"]}) is False
    assert conditions.condition_holds("BoolIfExists", "aws:SecureTransport", "false", {}) is True
    assert conditions.condition_holds("Null", "k:a", "true", {}) is True
    assert conditions.condition_holds("Null", "k:a", "true", {"k:a": ["v"]}) is False
    assert conditions.condition_holds("Null", "k:a", "false", {"k:a": ["v"]}) is True


def test_set_qualifiers() -> None:
    subnets = {"sagemaker:vpcsubnets": ["subnet-a", "subnet-b"]}
    allowed = ["subnet-a", "subnet-b", "subnet-c"]
    assert conditions.condition_holds("ForAllValues:StringEquals", "sagemaker:VpcSubnets", allowed, subnets)
    assert not conditions.condition_holds(
        "ForAllValues:StringEquals", "sagemaker:VpcSubnets", ["subnet-a"], subnets
    )
    assert conditions.condition_holds(
        "ForAnyValue:StringEquals", "sagemaker:VpcSubnets", ["subnet-b"], subnets
    )
    assert not conditions.condition_holds(
        "ForAnyValue:StringEquals", "sagemaker:VpcSubnets", ["subnet-z"], subnets
    )
    # a missing key: ForAllValues holds vacuously, ForAnyValue does not
    assert conditions.condition_holds("ForAllValues:StringEquals", "sagemaker:VpcSubnets", allowed, {})
    assert not conditions.condition_holds("ForAnyValue:StringEquals", "sagemaker:VpcSubnets", allowed, {})
    assert conditions.condition_holds("ForAllValues:StringNotEquals", "k:a", ["x"], {"k:a": ["y", "z"]})
    assert conditions.condition_holds("ForAnyValue:StringNotEquals", "k:a", ["y"], {"k:a": ["y", "z"]})


def test_policy_variables_and_unknown_operator() -> None:
    ctx = {"aws:username": ["alice"]}
    assert conditions.condition_holds(
        "StringLike", "s3:prefix", "home/${aws:username}/*", {**ctx, "s3:prefix": ["home/alice/x"]}
    )
    assert not conditions.condition_holds(
        "StringLike", "s3:prefix", "home/${aws:username}/*", {**ctx, "s3:prefix": ["home/bob/x"]}
    )
    assert conditions.condition_holds("StringEquals", "k:a", "${*}", {"k:a": ["*"]})
    assert not conditions.condition_holds("StringLike", "k:a", "${*}", {"k:a": ["anything"]})
    with pytest.raises(conditions.UnknownOperator):
        conditions.condition_holds("StringSoundsLike", "k:a", "x", {"k:a": ["x"]})


# ------------------------------------------------------------------ precedence


def test_implicit_deny_allow_and_explicit_deny() -> None:
    nothing = who()
    decision = decide(nothing, "s3:GetObject", "arn:aws:s3:::b/k")
    assert not decision.allowed and decision.kind == "implicitDeny"
    assert "because no identity-based policy allows the s3:GetObject action" in decision.reason

    reader = who(policy(allow("s3:GetObject", "arn:aws:s3:::b/*")))
    assert decide(reader, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    assert decide(reader, "S3:getobject", "arn:aws:s3:::b/k").allowed  # actions are case-insensitive
    assert not decide(reader, "s3:GetObject", "arn:aws:s3:::other/k").allowed  # the resource matters
    assert not decide(reader, "s3:PutObject", "arn:aws:s3:::b/k").allowed

    denied = who(
        policy(allow("s3:*")), policy(deny("s3:GetObject", "arn:aws:s3:::b/secret*"), source="guard")
    )
    decision = decide(denied, "s3:GetObject", "arn:aws:s3:::b/secret.txt")
    assert not decision.allowed and decision.kind == "explicitDeny" and decision.source == "guard"
    assert decision.reason == "with an explicit deny in an identity-based policy"
    assert decide(denied, "s3:GetObject", "arn:aws:s3:::b/public.txt").allowed


def test_not_action_and_not_resource() -> None:
    p = who(policy(allow("*"), {"Effect": "Deny", "NotAction": ["s3:Get*", "s3:List*"], "Resource": "*"}))
    assert decide(p, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    assert not decide(p, "s3:DeleteObject", "arn:aws:s3:::b/k").allowed
    q = who(policy({"Effect": "Allow", "Action": "s3:PutObject", "NotResource": "arn:aws:s3:::b/evidence/*"}))
    assert decide(q, "s3:PutObject", "arn:aws:s3:::b/data/x").allowed
    assert not decide(q, "s3:PutObject", "arn:aws:s3:::b/evidence/x").allowed


def test_condition_failing_removes_the_statement() -> None:
    guarded = who(
        policy(
            allow("sagemaker:CreateTrainingJob"),
            deny("sagemaker:CreateTrainingJob", Condition={"Null": {"sagemaker:VpcSubnets": "true"}}),
        )
    )
    assert not decide(guarded, "sagemaker:CreateTrainingJob").allowed
    assert decide(
        guarded, "sagemaker:CreateTrainingJob", context={"sagemaker:vpcsubnets": ["subnet-a"]}
    ).allowed


def test_unknown_operator_never_widens_access() -> None:
    p = who(
        policy(
            allow("s3:GetObject", Condition={"StringSoundsLike": {"k:a": "x"}}),
            deny("s3:PutObject", Condition={"StringSoundsLike": {"k:a": "x"}}),
            allow("s3:PutObject"),
        )
    )
    assert not decide(p, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    decision = decide(p, "s3:PutObject", "arn:aws:s3:::b/k")
    assert not decision.allowed and decision.notes


def test_bucket_policy_grants_and_denies() -> None:
    bucket = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        source="bucket",
    )
    nobody = who()
    assert decide(
        nobody, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:securetransport": ["true"]}, resource_policy=bucket
    ).allowed
    plain = decide(
        nobody, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:securetransport": ["false"]}, resource_policy=bucket
    )
    assert not plain.allowed and plain.reason == "with an explicit deny in a resource-based policy"
    # an Allow naming only the account delegates to IAM: not enough on its own
    account_only = policy(
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "s3:GetObject", "Resource": "*"}
    )
    assert not decide(nobody, "s3:GetObject", "arn:aws:s3:::b/k", resource_policy=account_only).allowed
    # an administrator is bound by the explicit deny as well
    admin = Principal(
        f"arn:aws:iam::{ACCOUNT}:user/moto", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/moto", "Administrator"
    )
    assert decide(
        admin, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:securetransport": ["true"]}, resource_policy=bucket
    ).allowed
    assert not decide(
        admin, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:securetransport": ["false"]}, resource_policy=bucket
    ).allowed


def test_boundary_and_session_policy_limit() -> None:
    broad = policy(allow("s3:*"))
    bounded = who(broad, boundary=policy(allow("s3:GetObject"), source="boundary"))
    assert decide(bounded, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    decision = decide(bounded, "s3:PutObject", "arn:aws:s3:::b/k")
    assert not decision.allowed and "permissions boundary" in decision.reason
    session = who(broad, session=policy(allow("s3:List*"), source="session"))
    assert not decide(session, "s3:GetObject", "arn:aws:s3:::b/k").allowed


# ------------------------------------------------------------------ KMS key policy rule


def key_policy(*statements: dict[str, Any]) -> Policy:
    return policy(*statements, source=KEY)


def test_kms_key_policy_must_allow() -> None:
    iam_allows = who(policy(allow("kms:Decrypt")))
    silent = key_policy(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999:root"}, "Action": "kms:*", "Resource": "*"}
    )
    decision = decide(iam_allows, "kms:Decrypt", KEY, resource_policy=silent, resource_kind="kms")
    assert (
        not decision.allowed
        and decision.reason == "because no resource-based policy allows the kms:Decrypt action"
    )

    delegating = key_policy(
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
    )
    assert decide(iam_allows, "kms:Decrypt", KEY, resource_policy=delegating, resource_kind="kms").allowed
    assert not decide(who(), "kms:Decrypt", KEY, resource_policy=delegating, resource_kind="kms").allowed

    direct = key_policy(
        {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"}
    )
    assert decide(who(), "kms:Decrypt", KEY, resource_policy=direct, resource_kind="kms").allowed


def test_kms_deny_in_key_policy_binds_every_principal_but_break_glass() -> None:
    guard = key_policy(
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/break-glass"}},
        },
    )
    admin_role = who(policy(allow("kms:*")))
    ctx = {"aws:principalarn": [ROLE]}
    decision = decide(
        admin_role, "kms:ScheduleKeyDeletion", KEY, ctx, resource_policy=guard, resource_kind="kms"
    )
    assert not decision.allowed and decision.kind == "explicitDeny"
    glass = Principal(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/break-glass/bob",
        ACCOUNT,
        f"arn:aws:iam::{ACCOUNT}:role/break-glass",
        "AssumedRole",
        policies=(policy(allow("kms:*")),),
    )
    ctx = {"aws:principalarn": [glass.principal_arn]}
    assert decide(
        glass, "kms:ScheduleKeyDeletion", KEY, ctx, resource_policy=guard, resource_kind="kms"
    ).allowed


def test_kms_via_service_and_encryption_context() -> None:
    p = who(
        policy(
            allow(
                "kms:Decrypt",
                KEY,
                Condition={
                    "StringEquals": {"kms:ViaService": "s3.eu-central-1.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::evidence/*"},
                },
            )
        )
    )
    delegating = key_policy(
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
    )
    via_s3 = {
        "kms:viaservice": ["s3.eu-central-1.amazonaws.com"],
        "kms:encryptioncontext:aws:s3:arn": ["arn:aws:s3:::evidence/run.json"],
    }
    assert decide(p, "kms:Decrypt", KEY, via_s3, resource_policy=delegating, resource_kind="kms").allowed
    assert not decide(p, "kms:Decrypt", KEY, {}, resource_policy=delegating, resource_kind="kms").allowed


# ------------------------------------------------------------------ trust policy and PassRole


def test_trust_policy_rules() -> None:
    target = f"arn:aws:iam::{ACCOUNT}:role/auditor"
    names_caller = policy({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"})
    assert decide(
        who(), "sts:AssumeRole", target, resource_policy=names_caller, resource_kind="trust"
    ).allowed
    names_account = policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"})
    assert not decide(
        who(), "sts:AssumeRole", target, resource_policy=names_account, resource_kind="trust"
    ).allowed
    allowed_by_iam = who(policy(allow("sts:AssumeRole", target)))
    assert decide(
        allowed_by_iam, "sts:AssumeRole", target, resource_policy=names_account, resource_kind="trust"
    ).allowed
    names_other = policy(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/x"}, "Action": "sts:AssumeRole"}
    )
    decision = decide(
        allowed_by_iam, "sts:AssumeRole", target, resource_policy=names_other, resource_kind="trust"
    )
    assert not decision.allowed and "no resource-based policy" in decision.reason


def _call(operation: str, params: dict[str, Any]) -> requests.Call:
    return requests.Call("sagemaker", operation, params, ACCOUNT, "eu-central-1", "aws", True)


def test_sagemaker_mapping_and_pass_role() -> None:
    execution = f"arn:aws:iam::{ACCOUNT}:role/execution"
    params = {
        "TrainingJobName": "Job-1",
        "RoleArn": execution,
        "VpcConfig": {"Subnets": ["subnet-a"], "SecurityGroupIds": ["sg-1"]},
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
        "ResourceConfig": {"InstanceType": "ml.m5.large", "VolumeKmsKeyId": KEY},
        "OutputDataConfig": {"KmsKeyId": KEY, "S3OutputPath": "s3://b/out"},
    }
    found = requests.checks(_call("CreateTrainingJob", params))
    assert [c.action for c in found] == ["sagemaker:CreateTrainingJob", "iam:PassRole"]
    assert found[0].resource == f"arn:aws:sagemaker:eu-central-1:{ACCOUNT}:training-job/job-1"
    ctx = found[0].context
    assert ctx["sagemaker:vpcsubnets"] == ["subnet-a"] and ctx["sagemaker:vpcsecuritygroupids"] == ["sg-1"]
    assert ctx["sagemaker:networkisolation"] == ["true"]
    assert ctx["sagemaker:intercontainertrafficencryption"] == ["true"]
    assert ctx["sagemaker:volumekmskey"] == [KEY] and ctx["sagemaker:outputkmskey"] == [KEY]
    assert found[1].resource == execution and found[1].context["iam:passedtoservice"] == [
        "sagemaker.amazonaws.com"
    ]

    pass_only_execution = who(
        policy(
            allow(
                "iam:PassRole",
                execution,
                Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
    )
    assert decide(pass_only_execution, "iam:PassRole", execution, found[1].context).allowed
    other = f"arn:aws:iam::{ACCOUNT}:role/admin"
    decision = decide(pass_only_execution, "iam:PassRole", other, found[1].context)
    assert not decision.allowed
    assert denial_message(Request(who(), "iam:PassRole", other, {}), decision) == (
        f"User: {SESSION} is not authorized to perform: iam:PassRole on resource: {other} "
        "because no identity-based policy allows the iam:PassRole action"
    )
    assert not decide(
        pass_only_execution, "iam:PassRole", execution, {"iam:passedtoservice": ["ec2.amazonaws.com"]}
    ).allowed

    model = requests.checks(_call("CreateModel", {"ModelName": "m", "ExecutionRoleArn": execution}))
    assert [c.action for c in model] == ["sagemaker:CreateModel", "iam:PassRole"]
    processing = requests.checks(
        _call(
            "CreateProcessingJob",
            {
                "ProcessingJobName": "p",
                "RoleArn": execution,
                "NetworkConfig": {
                    "EnableNetworkIsolation": False,
                    "VpcConfig": {"Subnets": ["s"], "SecurityGroupIds": ["g"]},
                },
            },
        )
    )
    assert processing[0].context["sagemaker:networkisolation"] == ["false"]
    assert [
        c.action
        for c in requests.checks(_call("CreatePipeline", {"PipelineName": "p", "RoleArn": execution}))
    ] == [
        "sagemaker:CreatePipeline",
        "iam:PassRole",
    ]
    assert requests.checks(_call("ListTrainingJobs", {}))[0].resource == "*"
    with pytest.raises(requests.Unmapped):
        requests.checks(requests.Call("glacier", "DeleteVault", {}, ACCOUNT, "eu-central-1", "aws", True))
    glacier = requests.checks(
        requests.Call("glacier", "ListVaults", {}, ACCOUNT, "eu-central-1", "aws", True)
    )
    assert [(c.action, c.resource) for c in glacier] == [("glacier:ListVaults", "*")]


@pytest.mark.parametrize(
    ("method", "query", "has_key", "action"),
    [
        ("GET", {}, True, "GetObject"),
        ("HEAD", {}, True, "GetObject"),
        ("GET", {"versionId": ["1"]}, True, "GetObjectVersion"),
        ("PUT", {}, True, "PutObject"),
        ("PUT", {"retention": [""]}, True, "PutObjectRetention"),
        ("DELETE", {}, True, "DeleteObject"),
        ("DELETE", {"versionId": ["1"]}, True, "DeleteObjectVersion"),
        ("GET", {}, False, "ListBucket"),
        ("GET", {"versions": [""]}, False, "ListBucketVersions"),
        ("GET", {"policy": [""]}, False, "GetBucketPolicy"),
        ("PUT", {"encryption": [""]}, False, "PutEncryptionConfiguration"),
        ("DELETE", {}, False, "DeleteBucket"),
        ("POST", {"delete": [""]}, False, "DeleteObject"),
    ],
)
def test_s3_actions(method: str, query: dict[str, list[str]], has_key: bool, action: str) -> None:
    assert requests.s3_operation(method, query, has_key) == action
