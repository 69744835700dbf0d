"""Taking one guard out of the live policies for a while, to show a persona check fails without it.

A guard is whatever in the live policies makes IAM refuse a persona's call: a condition on an Allow
(``sagemaker:VpcSubnets`` must be present ...), a Deny statement (a key policy's deny of
ScheduleKeyDeletion), a resource scope (``iam:PassRole`` on the execution role only, PutObject under
``evidence/`` only), or the absence of an Allow (an auditor has no write action). :func:`guard_removed`
rewrites the role, bucket and key policies with a :class:`Removal` and restores them afterwards.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import fnmatch
import json
from collections.abc import Callable, Iterator
from typing import Any

from features import personas

Statement = dict[str, Any]


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def mentions_action(statement: Statement, patterns: list[str], *, broad: bool = True) -> bool:
    """The statement names one of the actions (``broad``: or a wildcard covering one, e.g. ``s3:*``)."""
    actions = [a.lower() for a in _list(statement.get("Action"))]
    return any(
        fnmatch.fnmatchcase(a, p.lower()) or (broad and fnmatch.fnmatchcase(p.lower(), a))
        for a in actions
        for p in patterns
    )


def condition_keys(statement: Statement) -> set[str]:
    return {k.lower() for pairs in (statement.get("Condition") or {}).values() for k in (pairs or {})}


@dataclasses.dataclass
class Removal:
    """What taking the guard out means for each statement, and what it adds."""

    description: str
    keys: frozenset[str] = frozenset()  # condition keys of the guard (lower case)
    actions: tuple[str, ...] = ()  # actions whose Deny statements and resource scopes make the guard
    widen_resources: bool = False  # Allow statements of ``actions`` get Resource "*"
    grant: tuple[Statement, ...] = ()  # statements added to the role (the guard was a missing Allow)
    key_grant: tuple[Statement, ...] = ()  # statements added to the key policies

    def with_key_grant(self, statements: tuple[Statement, ...]) -> Removal:
        return dataclasses.replace(self, key_grant=self.key_grant + statements)

    def rewrite(self, statement: Statement) -> Statement | None:
        """The statement without the guard; None drops it."""
        statement = copy.deepcopy(statement)
        keys = condition_keys(statement) & self.keys
        if statement.get("Effect") == "Deny":
            # a deny of plain HTTP or a wildcard deny is not this guard: only denies that name it
            names_it = bool(self.actions) and mentions_action(statement, list(self.actions), broad=False)
            if (keys or names_it) and "aws:securetransport" not in condition_keys(statement):
                return None
            return statement
        denies_action = bool(self.actions) and mentions_action(statement, list(self.actions))
        if keys:
            condition = {}
            for operator, pairs in statement["Condition"].items():
                kept = {k: v for k, v in pairs.items() if k.lower() not in self.keys}
                if kept:
                    condition[operator] = kept
            if condition:
                statement["Condition"] = condition
            else:
                statement.pop("Condition")
        if self.widen_resources and statement.get("Effect") == "Allow" and denies_action:
            statement["Resource"] = "*"
            statement.pop("NotResource", None)
            if not self.keys:
                statement.pop("Condition", None)
        return statement

    def document(self, document: dict[str, Any], extra: tuple[Statement, ...] = ()) -> dict[str, Any]:
        out = copy.deepcopy(document)
        statements = [self.rewrite(s) for s in _list(out.get("Statement"))]
        out["Statement"] = [s for s in statements if s is not None] + [copy.deepcopy(s) for s in extra]
        return out


def _doc(text: Any) -> dict[str, Any]:
    return json.loads(text) if isinstance(text, (str, bytes)) else dict(text)


@contextlib.contextmanager
def guard_removed(
    client: Callable[[str], Any],
    removal: Removal,
    *,
    roles: list[str] = (),  # type: ignore[assignment]
    buckets: list[str] = (),  # type: ignore[assignment]
    keys: list[str] = (),  # type: ignore[assignment]
) -> Iterator[None]:
    """Rewrite the roles' inline and attached policies, bucket and key policies; restore them after."""
    iam, s3, kms = client("iam"), client("s3"), client("kms")
    undo: list[Callable[[], Any]] = []
    try:
        for role in roles:
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
                original = _doc(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
                iam.put_role_policy(
                    RoleName=role, PolicyName=name, PolicyDocument=json.dumps(removal.document(original))
                )
                undo.append(
                    lambda r=role, n=name, d=original: iam.put_role_policy(
                        RoleName=r, PolicyName=n, PolicyDocument=json.dumps(d)
                    )
                )
            for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
                arn = attached["PolicyArn"]
                version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                original = _doc(
                    iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
                )
                iam.detach_role_policy(RoleName=role, PolicyArn=arn)
                undo.append(lambda r=role, a=arn: iam.attach_role_policy(RoleName=r, PolicyArn=a))
                copy_name = f"guard-removed-{attached['PolicyName']}"[:128]
                iam.put_role_policy(
                    RoleName=role, PolicyName=copy_name, PolicyDocument=json.dumps(removal.document(original))
                )
                undo.append(lambda r=role, n=copy_name: iam.delete_role_policy(RoleName=r, PolicyName=n))
            if removal.grant:
                grant = {"Version": "2012-10-17", "Statement": list(removal.grant)}
                iam.put_role_policy(
                    RoleName=role, PolicyName="guard-removed-grant", PolicyDocument=json.dumps(grant)
                )
                undo.append(
                    lambda r=role: iam.delete_role_policy(RoleName=r, PolicyName="guard-removed-grant")
                )
        for bucket in buckets:
            with contextlib.suppress(s3.exceptions.ClientError):
                original = _doc(s3.get_bucket_policy(Bucket=bucket)["Policy"])
                s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(removal.document(original)))
                undo.append(lambda b=bucket, d=original: s3.put_bucket_policy(Bucket=b, Policy=json.dumps(d)))
        for key in keys:
            original = _doc(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
            rewritten = removal.document(original, removal.key_grant)
            kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(rewritten))
            undo.append(
                lambda k=key, d=original: kms.put_key_policy(
                    KeyId=k, PolicyName="default", Policy=json.dumps(d)
                )
            )
        yield
    finally:
        for step in reversed(undo):
            step()


SAGEMAKER_WRITES = ("sagemaker:Create*", "sagemaker:Delete*", "sagemaker:Update*", "sagemaker:Stop*")

#: the guard of each persona scenario, by the scenario's check
REMOVALS = {
    "training without VPC configuration": Removal(
        "the VPC conditions (sagemaker:VpcSubnets, sagemaker:VpcSecurityGroupIds)",
        keys=frozenset({"sagemaker:vpcsubnets", "sagemaker:vpcsecuritygroupids"}),
    ),
    "training without KMS keys": Removal(
        "the KMS key conditions (sagemaker:VolumeKmsKey, sagemaker:OutputKmsKey)",
        keys=frozenset({"sagemaker:volumekmskey", "sagemaker:outputkmskey"}),
    ),
    "passing another role": Removal(
        "the iam:PassRole scope (the execution role only)", actions=("iam:PassRole",), widen_resources=True
    ),
    "auditor writes": Removal(
        "the auditor's read-only scope (its denies, and no write action allowed)",
        actions=("s3:Put*", "s3:Delete*", *SAGEMAKER_WRITES, "iam:*", "logs:*", "cloudtrail:*"),
        grant=(
            {
                "Effect": "Allow",
                "Action": [
                    "s3:PutObject",
                    "s3:DeleteObject",
                    *SAGEMAKER_WRITES,
                    "iam:DeleteRole",
                    "logs:DeleteLogGroup",
                    "cloudtrail:DeleteTrail",
                ],
                "Resource": "*",
            },
        ),
    ),
    "validation writes outside evidence/": Removal(
        "the evidence/ scope of the validation role's PutObject",
        actions=("s3:PutObject",),
        widen_resources=True,
    ),
    "validation deletes evidence": Removal(
        "the absence of DeleteObject for the validation role (and any deny of it)",
        actions=("s3:DeleteObject", "s3:DeleteObjectVersion"),
        grant=({"Effect": "Allow", "Action": ["s3:DeleteObject"], "Resource": "*"},),
    ),
    "approver trains": Removal(
        "the approver's exclusion from training and deploying (its denies, and no such action allowed)",
        actions=(*SAGEMAKER_WRITES, "iam:PassRole"),
        grant=(
            {
                "Effect": "Allow",
                "Action": [
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:AddTags",
                    "sagemaker:CreateEndpoint",
                    "iam:PassRole",
                ],
                "Resource": "*",
            },
        ),
    ),
    "data key custody": Removal(
        "the key policy's deny of ScheduleKeyDeletion and DisableKey (personas over-granted everywhere)",
        actions=("kms:ScheduleKeyDeletion", "kms:DisableKey"),
        grant=(
            {"Effect": "Allow", "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"], "Resource": "*"},
        ),
    ),
}
#: the over-grant alone (the key policy's deny still in place): the custody check must still pass
#: (:func:`show_guard` adds the personas to the key policy as well)
OVER_GRANT = Removal(
    "personas over-granted kms:ScheduleKeyDeletion and kms:DisableKey",
    grant=({"Effect": "Allow", "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"], "Resource": "*"},),
)


# -- the persona checks of personas.feature, shared by the stand-in and the applied-platform tests --

Sessions = Callable[[str], Any]  # persona -> its session
CheckFn = Callable[[Sessions, Any, dict[str, Any]], list[personas.Attempt]]


def _train(omit: str = "nothing", other_role: str | None = None, persona: str = "data scientist") -> CheckFn:
    def check(sessions: Sessions, admin: Any, outputs: dict[str, Any]) -> list[personas.Attempt]:
        role = outputs[personas.PERSONA_OUTPUTS[other_role]] if other_role else None
        request = personas.training_request(outputs, omit=omit, role_arn=role)
        return [personas.try_training(sessions(persona), admin, request, f"CreateTrainingJob without {omit}")]

    return check


def _probes(sessions: Sessions, admin: Any, outputs: dict[str, Any]) -> list[personas.Attempt]:
    auditor = sessions("auditor")
    return [
        personas.attempt(c, lambda p=p: p(auditor))
        for c, p in personas.write_and_delete_probes(outputs).items()
    ]


def _reads(sessions: Sessions, admin: Any, outputs: dict[str, Any]) -> list[personas.Attempt]:
    auditor = sessions("auditor")
    return [personas.attempt(c, lambda r=r: r(auditor)) for c, r in personas.read_probes(outputs).items()]


def _evidence(*, delete: bool, inside: bool) -> CheckFn:
    def check(sessions: Sessions, admin: Any, outputs: dict[str, Any]) -> list[personas.Attempt]:
        return [personas.evidence_write(sessions("validation role"), outputs, delete=delete, inside=inside)]

    return check


def _endpoint(sessions: Sessions, admin: Any, outputs: dict[str, Any]) -> list[personas.Attempt]:
    return [personas.try_endpoint(sessions("approver"))]


def _custody(*, disable: bool) -> CheckFn:
    def check(sessions: Sessions, admin: Any, outputs: dict[str, Any]) -> list[personas.Attempt]:
        key = outputs["kms_key_arns"]["data"]
        try:
            return [
                personas.key_custody(sessions(name), key, disable=disable, caller=name)
                for name in personas.PERSONA_OUTPUTS
            ]
        finally:
            personas.restore_key(admin, key)

    return check


@dataclasses.dataclass(frozen=True)
class NegativeCheck:
    scenario: str  # the scenario of personas.feature
    personas: tuple[str, ...]  # whose roles carry the guard
    check: CheckFn
    guard: str  # key of REMOVALS
    key_policy: bool = False  # the guard is (also) in the data key's policy


NEGATIVE_CHECKS = [
    NegativeCheck(
        "The data scientist cannot start a training job without its VPC configuration",
        ("data scientist",),
        _train("VPC configuration"),
        "training without VPC configuration",
    ),
    NegativeCheck(
        "The data scientist cannot start a training job without its KMS keys",
        ("data scientist",),
        _train("KMS keys"),
        "training without KMS keys",
    ),
    NegativeCheck(
        "A data scientist cannot pass another role than the execution role",
        ("data scientist",),
        _train(other_role="validation role"),
        "passing another role",
    ),
    NegativeCheck("An auditor cannot write or delete anything", ("auditor",), _probes, "auditor writes"),
    NegativeCheck(
        "The validation role cannot write outside evidence/",
        ("validation role",),
        _evidence(delete=False, inside=False),
        "validation writes outside evidence/",
    ),
    NegativeCheck(
        "The validation role cannot delete evidence",
        ("validation role",),
        _evidence(delete=True, inside=True),
        "validation deletes evidence",
    ),
    NegativeCheck("An approver cannot train", ("approver",), _train(persona="approver"), "approver trains"),
    NegativeCheck("An approver cannot deploy", ("approver",), _endpoint, "approver trains"),
    NegativeCheck(
        "No persona can schedule deletion of the data key",
        tuple(personas.PERSONA_OUTPUTS),
        _custody(disable=False),
        "data key custody",
        key_policy=True,
    ),
    NegativeCheck(
        "No persona can disable the data key",
        tuple(personas.PERSONA_OUTPUTS),
        _custody(disable=True),
        "data key custody",
        key_policy=True,
    ),
]
POSITIVE_CHECKS: list[tuple[str, CheckFn]] = [
    (
        "A data scientist can create a training job in the VPC with KMS keys, isolation and encryption",
        _train(),
    ),
    ("The validation role can write evidence under evidence/", _evidence(delete=False, inside=True)),
    ("An auditor can read the platform's records", _reads),
]


def scope(check: NegativeCheck, outputs: dict[str, Any]) -> dict[str, list[str]]:
    """Where the guard of a check lives in the live platform (role names, key ids)."""
    roles = [outputs[personas.PERSONA_OUTPUTS[p]].rsplit("/", 1)[-1] for p in check.personas]
    keys = [outputs["kms_key_arns"]["data"].rsplit("/", 1)[-1]] if check.key_policy else []
    return {"roles": roles, "keys": keys}


def sessions_for(admin: Any, outputs: dict[str, Any]) -> Sessions:
    """One session per persona (assuming and creating clients cost time)."""
    cache: dict[str, Any] = {}

    def get(persona: str) -> Any:
        if persona not in cache:
            role_arn = outputs[personas.PERSONA_OUTPUTS[persona]]
            cache[persona] = personas.assume(
                admin, role_arn, f"guard-{persona.replace(' ', '-')}", purpose="tests"
            )
        return cache[persona]

    return get


def show_guard(
    check: NegativeCheck, sessions: Sessions, admin: Any, outputs: dict[str, Any]
) -> dict[str, Any]:
    """The check with its guard, without it, and with it again; asserts it fails only without it."""
    before = check.check(sessions, admin, outputs)
    assert before and not any(a.allowed for a in before), [(a.call, a.code) for a in before if a.allowed]
    removal = REMOVALS[check.guard]
    if check.key_policy:
        # the deny must hold even against personas over-granted in IAM and in the key policy itself
        roles = [outputs[personas.PERSONA_OUTPUTS[p]] for p in check.personas]
        key_grant = (
            {
                "Sid": "OverGrantPersonas",
                "Effect": "Allow",
                "Principal": {"AWS": roles},
                "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
                "Resource": "*",
            },
        )
        removal = removal.with_key_grant(key_grant)
        with guard_removed(admin.client, OVER_GRANT.with_key_grant(key_grant), **scope(check, outputs)):
            over_granted = check.check(sessions, admin, outputs)
        assert not any(a.allowed for a in over_granted), [a.call for a in over_granted if a.allowed]
    with guard_removed(admin.client, removal, **scope(check, outputs)):
        without = check.check(sessions, admin, outputs)
    assert any(a.allowed for a in without), f"{check.scenario}: still refused without {removal.description}"
    again = check.check(sessions, admin, outputs)
    assert not any(a.allowed for a in again), [a.call for a in again if a.allowed]
    return {"with guard": before, "without guard": without, "guard back": again}
