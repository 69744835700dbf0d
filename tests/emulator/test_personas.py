"""The persona checks of the OQ (``features/personas.py``) against stand-in persona roles, each shown to
fail once its guard is taken out of the live policies (``tests/persona_guards.py``).

The stand-ins follow the platform's persona design (conditions on SageMaker's keys, PassRole of the
execution role only, evidence/ scope, a key policy that denies key deletion to all but break-glass);
``tests/integration/test_persona_guards.py`` does the same against the applied platform's roles.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from features import personas
from harness import target as targets
from tests.persona_guards import REMOVALS, guard_removed

REGION = "eu-central-1"
ADMIN = "arn:aws:iam::123456789012:user/moto"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _role(iam: Any, name: str, *statements: dict[str, Any], trust: dict[str, Any] | None = None) -> str:
    trust = trust or {"Effect": "Allow", "Principal": {"AWS": ADMIN}, "Action": "sts:AssumeRole"}
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
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": glass}},
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
        "endpoint_name": f"standin-endpoint-{tag}",
        "trail_arn": f"arn:aws:cloudtrail:{REGION}:{account}:trail/standin-{tag}",
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


def _role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


_SESSIONS: dict[tuple[str, str], Any] = {}


def _as(admin: targets.Target, platform: dict[str, Any], persona: str) -> Any:
    """The persona's session (one per role and module run: assuming and new clients cost time)."""
    role_arn = platform[personas.PERSONA_OUTPUTS[persona]]
    if (role_arn, persona) not in _SESSIONS:
        person = f"test-{persona.replace(' ', '-')}"
        _SESSIONS[(role_arn, persona)] = personas.assume(admin, role_arn, person, purpose="tests")
    return _SESSIONS[(role_arn, persona)]


def _train(omit: str = "nothing", other_role: str | None = None) -> Callable[..., list[personas.Attempt]]:
    def check(persona: Any, admin: Any, outputs: dict[str, Any]) -> list[personas.Attempt]:
        role = outputs[personas.PERSONA_OUTPUTS[other_role]] if other_role else None
        request = personas.training_request(outputs, omit=omit, role_arn=role)
        return [personas.try_training(persona, admin, request, f"CreateTrainingJob without {omit}")]

    return check


def _probes(persona: Any, admin: Any, outputs: dict[str, Any]) -> list[personas.Attempt]:
    return [
        personas.attempt(c, lambda p=p: p(persona))
        for c, p in personas.write_and_delete_probes(outputs).items()
    ]


def _evidence(*, delete: bool, inside: bool) -> Callable[..., list[personas.Attempt]]:
    def check(persona: Any, admin: Any, outputs: dict[str, Any]) -> list[personas.Attempt]:
        return [personas.evidence_write(persona, outputs, delete=delete, inside=inside)]

    return check


def _custody(persona_names: list[str], *, disable: bool) -> Callable[..., list[personas.Attempt]]:
    def check(persona: Any, admin: Any, outputs: dict[str, Any]) -> list[personas.Attempt]:
        key = outputs["kms_key_arns"]["data"]
        callers = {"deploying identity": admin}
        callers.update({name: _as(admin, outputs, name) for name in persona_names})
        try:
            return [personas.key_custody(c, key, disable=disable, caller=n) for n, c in callers.items()]
        finally:
            personas.restore_key(admin, key)

    return check


# (scenario, persona, check, where the guard lives: "role" / "key" / "bucket", guard)
NEGATIVE = [
    (
        "data scientist: training without VPC",
        "data scientist",
        _train("VPC configuration"),
        "role",
        "training without VPC configuration",
    ),
    (
        "data scientist: training without KMS keys",
        "data scientist",
        _train("KMS keys"),
        "role",
        "training without KMS keys",
    ),
    (
        "data scientist: passing another role",
        "data scientist",
        _train(other_role="validation role"),
        "role",
        "passing another role",
    ),
    ("auditor: writes and deletes", "auditor", _probes, "role", "auditor writes"),
    (
        "validation: write outside evidence/",
        "validation role",
        _evidence(delete=False, inside=False),
        "role",
        "validation writes outside evidence/",
    ),
    (
        "validation: delete evidence",
        "validation role",
        _evidence(delete=True, inside=True),
        "role",
        "validation deletes evidence",
    ),
    ("approver: training", "approver", _train(), "role", "approver trains"),
    (
        "approver: deploying",
        "approver",
        lambda p, a, o: [personas.try_endpoint(p)],
        "role",
        "approver trains",
    ),
    (
        "nobody: data key deletion",
        "auditor",
        _custody(list(personas.PERSONA_OUTPUTS), disable=False),
        "key",
        "data key custody",
    ),
    (
        "nobody: data key disabling",
        "auditor",
        _custody(list(personas.PERSONA_OUTPUTS), disable=True),
        "key",
        "data key custody",
    ),
]
POSITIVE = [
    ("data scientist: governed training", "data scientist", _train()),
    ("validation: write under evidence/", "validation role", _evidence(delete=False, inside=True)),
    (
        "auditor: reads",
        "auditor",
        lambda p, a, o: [personas.attempt(c, lambda r=r: r(p)) for c, r in personas.read_probes(o).items()],
    ),
]


@pytest.mark.parametrize(("scenario", "persona", "check"), POSITIVE, ids=[p[0] for p in POSITIVE])
def test_positive_checks_pass(
    scenario: str, persona: str, check: Callable[..., Any], admin: targets.Target, platform: dict[str, Any]
) -> None:
    attempts = check(_as(admin, platform, persona), admin, platform)
    assert all(a.allowed for a in attempts), [(a.call, a.message) for a in attempts if not a.allowed]


@pytest.mark.parametrize(
    ("scenario", "persona", "check", "where", "guard"), NEGATIVE, ids=[n[0] for n in NEGATIVE]
)
def test_negative_check_passes_and_fails_without_its_guard(
    scenario: str,
    persona: str,
    check: Callable[..., Any],
    where: str,
    guard: str,
    admin: targets.Target,
    platform: dict[str, Any],
) -> None:
    session = _as(admin, platform, persona)
    attempts = check(session, admin, platform)
    assert attempts and not any(a.allowed for a in attempts), [
        (a.call, a.code) for a in attempts if a.allowed
    ]
    role = _role_name(platform[personas.PERSONA_OUTPUTS[persona]])
    scope: dict[str, list[str]] = (
        {"roles": [role]}
        if where == "role"
        else {"keys": [platform["kms_key_arns"]["data"].rsplit("/", 1)[-1]]}
    )
    with guard_removed(admin.client, REMOVALS[guard], **scope):
        without = check(session, admin, platform)
    assert any(a.allowed for a in without), (
        f"{scenario}: still refused without {REMOVALS[guard].description}: {without}"
    )
    again = check(session, admin, platform)  # the guard is back
    assert not any(a.allowed for a in again)
