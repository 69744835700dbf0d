"""The persona checks of the OQ (``features/personas.py``) against stand-in persona roles, each negative
one shown to fail once its guard is taken out of the live policies (``tests/persona_guards.py``).

The stand-ins follow the platform's persona design (conditions on SageMaker's keys, PassRole of the
execution role only, evidence/ scope, a key policy that denies key deletion to all but break-glass);
``tests/integration/test_persona_guards.py`` does the same against the applied platform's roles.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from features import personas
from features.support import Clients
from harness import target as targets
from tests.persona_guards import NEGATIVE_CHECKS, POSITIVE_CHECKS, NegativeCheck, sessions_for, show_guard

REGION = "eu-central-1"
ADMIN = "arn:aws:iam::123456789012:user/moto"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _role(iam: Any, name: str, *statements: dict[str, Any], trust: dict[str, Any] | None = None) -> str:
    trust = trust or {
        "Effect": "Allow",
        "Principal": {"AWS": ADMIN},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_doc(trust))["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="persona", PolicyDocument=_doc(*statements))
    return arn


@pytest.fixture(scope="module")
def admin(emulator: Any) -> targets.Target:
    """The harness's own target on the test emulator (the deploying identity)."""
    from harness.emulator import control

    env = control.env(emulator)
    return targets.Target(
        "local", env["AWS_REGION"], env, endpoint_url=env["AWS_ENDPOINT_URL"], emulator=emulator
    )


@pytest.fixture(scope="module")
def platform(admin: targets.Target) -> dict[str, Any]:
    """A stand-in platform: buckets, keys, execution and persona roles; the outputs that locate them."""
    iam, s3, kms = admin.client("iam"), admin.client("s3"), admin.client("kms")
    tag = uuid.uuid4().hex[:6]
    account = "123456789012"
    buckets = {}
    for purpose in ("data", "evidence"):
        buckets[purpose] = f"standin-{purpose}-{tag}"
        s3.create_bucket(Bucket=buckets[purpose], CreateBucketConfiguration={"LocationConstraint": REGION})
    keys = {p: kms.create_key(Description=f"standin {p}")["KeyMetadata"]["Arn"] for p in ("volume", "model")}
    glass = f"arn:aws:iam::{account}:role/standin-break-glass-{tag}"
    keys["data"] = kms.create_key(
        Description="standin data",
        Policy=_doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "OnlyBreakGlassDeletes",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
                "Resource": "*",
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [glass, ADMIN]}},
            },
        ),
    )["KeyMetadata"]["Arn"]
    service = {
        "Effect": "Allow",
        "Principal": {"Service": "sagemaker.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    execution = _role(iam, f"standin-execution-{tag}", trust=service)
    governed = {
        "Null": {
            "sagemaker:VpcSubnets": "false",
            "sagemaker:VpcSecurityGroupIds": "false",
            "sagemaker:VolumeKmsKey": "false",
            "sagemaker:OutputKmsKey": "false",
        },
        "Bool": {"sagemaker:NetworkIsolation": "true", "sagemaker:InterContainerTrafficEncryption": "true"},
    }
    read = {
        "Effect": "Allow",
        "Action": ["sagemaker:Describe*", "sagemaker:List*", "s3:GetObject", "s3:ListBucket"],
        "Resource": "*",
    }
    outputs: dict[str, Any] = {
        "data_lake_bucket": buckets["data"],
        "evidence_bucket": buckets["evidence"],
        "kms_key_arns": keys,
        "execution_role_arn": execution,
        "training_image_uri": "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "sagemaker_security_group_id": "sg-0standin",
        "private_subnet_ids": ["subnet-0standina", "subnet-0standinb"],
        "model_package_group_name": f"standin-group-{tag}",
        "trail_arn": f"arn:aws:cloudtrail:{REGION}:{account}:trail/standin-{tag}",
        "break_glass_role_arn": glass,
    }
    outputs["data_scientist_role_arn"] = _role(
        iam,
        f"standin-data-scientist-{tag}",
        read,
        {
            "Effect": "Allow",
            "Action": ["sagemaker:CreateTrainingJob"],
            "Resource": "*",
            "Condition": governed,
        },
        {"Effect": "Allow", "Action": ["sagemaker:AddTags"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": execution,
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        },
    )
    outputs["auditor_role_arn"] = _role(
        iam,
        f"standin-auditor-{tag}",
        read,
        {
            "Effect": "Allow",
            "Action": ["cloudtrail:GetTrailStatus", "cloudtrail:LookupEvents"],
            "Resource": "*",
        },
    )
    outputs["validation_role_arn"] = _role(
        iam,
        f"standin-validation-{tag}",
        read,
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{buckets['evidence']}/evidence/*",
        },
    )
    outputs["approver_role_arn"] = _role(
        iam,
        f"standin-approver-{tag}",
        read,
        {"Effect": "Allow", "Action": "sagemaker:UpdateModelPackage", "Resource": "*"},
    )
    return outputs


def test_break_glass_read_from_the_key_policy_and_simulated(
    admin: targets.Target, platform: dict[str, Any]
) -> None:
    key = platform["kms_key_arns"]["data"]
    policy = admin.client("kms").get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    glass = personas.break_glass_principals(policy)
    assert glass == [platform["break_glass_role_arn"], ADMIN]
    clients = Clients(admin)
    for arn in glass:
        assert personas.simulate_key_custody(clients, key, policy, arn) == dict.fromkeys(
            personas.CUSTODY_ACTIONS, "allowed"
        )
    for output in personas.PERSONA_OUTPUTS.values():
        decisions = personas.simulate_key_custody(clients, key, policy, platform[output])
        assert decisions == dict.fromkeys(personas.CUSTODY_ACTIONS, "explicitDeny")


@pytest.mark.parametrize("check", POSITIVE_CHECKS, ids=[c[0] for c in POSITIVE_CHECKS])
def test_positive_checks_pass(
    check: tuple[str, Any], admin: targets.Target, platform: dict[str, Any]
) -> None:
    attempts = check[1](sessions(admin, platform), admin, platform)
    assert all(a.allowed for a in attempts), [(a.call, a.message) for a in attempts if not a.allowed]


@pytest.mark.parametrize("check", NEGATIVE_CHECKS, ids=[c.scenario for c in NEGATIVE_CHECKS])
def test_negative_check_passes_and_fails_without_its_guard(
    check: NegativeCheck, admin: targets.Target, platform: dict[str, Any]
) -> None:
    show_guard(check, sessions(admin, platform), admin, platform)


_SESSIONS: dict[str, Any] = {}


def sessions(admin: targets.Target, platform: dict[str, Any]) -> Any:
    if "get" not in _SESSIONS:
        _SESSIONS["get"] = sessions_for(admin, platform)
    return _SESSIONS["get"]
