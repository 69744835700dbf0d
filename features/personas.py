"""What each persona may and may not do, tried live as that persona (shared by the OQ steps and tests).

Every check makes the real API call with the persona's assumed-role credentials and reports whether
IAM authorised it: ``AccessDenied`` / ``AccessDeniedException`` / ``UnauthorizedOperation`` mean
refused; any other outcome (success, or the service refusing for another reason, e.g. a resource that
does not exist) means the call got past IAM. Probes aim at resources that do not exist where a
successful call would change the platform (``DeleteModel`` of an unknown model ...), so a control
that fails open is seen without damage; a training job that IAM lets through is stopped at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import botocore.exceptions

from harness import identity
from harness import target as targets
from harness.workflow import training_job_request

DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
PROBE_PREFIX = "oq-persona-probe"

#: persona in the scenarios' words -> the Terraform output holding its role ARN
PERSONA_OUTPUTS = {
    "data scientist": "data_scientist_role_arn",
    "approver": "approver_role_arn",
    "auditor": "auditor_role_arn",
    "validation role": "validation_role_arn",
}


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One call tried as a persona and what IAM made of it."""

    call: str
    allowed: bool
    code: str  # "" for a success
    message: str
    request_id: str = ""

    def evidence(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def attempt(call: str, operation: Callable[[], Any]) -> Attempt:
    try:
        response = operation()
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        request_id = str(exc.response.get("ResponseMetadata", {}).get("RequestId", ""))
        return Attempt(call, code not in DENIED, code, str(error.get("Message", "")), request_id)
    request_id = ""
    if isinstance(response, Mapping):
        request_id = str(response.get("ResponseMetadata", {}).get("RequestId", ""))
    return Attempt(call, True, "", "", request_id)


class Session:
    """A persona's assumed-role target whose clients are made once per service (a probe run makes many;
    the target keeps them: :meth:`~harness.target.Target.client`)."""

    def __init__(self, target: targets.Target) -> None:
        self.target = target

    def client(self, service: str) -> Any:
        return self.target.client(service)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


def assume(target: targets.Target, role_arn: str, person: str, *, purpose: str) -> Session:
    """The persona's session (RoleSessionName and SourceIdentity carry the person)."""
    return Session(identity.assume(target, role_arn, person, purpose=purpose))


def probe_name(kind: str) -> str:
    return f"{PROBE_PREFIX}-{kind}-{uuid.uuid4().hex[:8]}"


# -- training -------------------------------------------------------------------------------------

#: what a training request leaves out, in the scenarios' words
TRAINING_OMISSIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "nothing": lambda request: None,
    "VPC configuration": lambda request: request.pop("VpcConfig"),
    "KMS keys": lambda request: (
        request["ResourceConfig"].pop("VolumeKmsKeyId"),
        request["OutputDataConfig"].pop("KmsKeyId"),
    ),
    "network isolation": lambda request: request.update(EnableNetworkIsolation=False),
    "inter-container traffic encryption": lambda request: request.update(
        EnableInterContainerTrafficEncryption=False
    ),
}


def training_request(
    outputs: Mapping[str, Any], *, omit: str = "nothing", role_arn: str | None = None
) -> dict[str, Any]:
    """The platform's own CreateTrainingJob request, with one guard setting left out."""
    bucket = outputs["data_lake_bucket"]
    request = training_job_request(
        probe_name("train"), outputs, f"s3://{bucket}/{PROBE_PREFIX}/code.tar.gz", {}
    )
    TRAINING_OMISSIONS[omit](request)
    if role_arn is not None:
        request["RoleArn"] = role_arn
    return request


def try_training(persona: Any, admin: Any, request: dict[str, Any], call: str) -> Attempt:
    """CreateTrainingJob as the persona; a job IAM let through is stopped at once (by the deployer)."""
    result = attempt(call, lambda: persona.client("sagemaker").create_training_job(**request))
    if result.allowed and not result.code:
        with contextlib.suppress(botocore.exceptions.ClientError):  # already ended
            admin.client("sagemaker").stop_training_job(TrainingJobName=request["TrainingJobName"])
    return result


# -- writes and deletes ---------------------------------------------------------------------------


def write_and_delete_probes(outputs: Mapping[str, Any]) -> dict[str, Callable[[Any], Any]]:
    """Calls that change the platform, aimed where success does no harm (unknown names, a probe key)."""
    evidence, data = outputs["evidence_bucket"], outputs["data_lake_bucket"]
    key = f"evidence/{PROBE_PREFIX}/{uuid.uuid4().hex}.txt"
    return {
        "s3:PutObject in the evidence bucket": lambda c: c.client("s3").put_object(
            Bucket=evidence, Key=key, Body=b"probe"
        ),
        "s3:PutObject in the data lake": lambda c: c.client("s3").put_object(
            Bucket=data, Key=f"{PROBE_PREFIX}/{uuid.uuid4().hex}.txt", Body=b"probe"
        ),
        "s3:DeleteObject in the evidence bucket": lambda c: c.client("s3").delete_object(
            Bucket=evidence, Key=f"evidence/{PROBE_PREFIX}/absent.txt"
        ),
        "s3:DeleteObject in the data lake": lambda c: c.client("s3").delete_object(
            Bucket=data, Key=f"{PROBE_PREFIX}/absent.txt"
        ),
        "sagemaker:DeleteModel": lambda c: c.client("sagemaker").delete_model(ModelName=probe_name("model")),
        "sagemaker:DeleteEndpoint": lambda c: c.client("sagemaker").delete_endpoint(
            EndpointName=probe_name("endpoint")
        ),
        "iam:DeleteRole": lambda c: c.client("iam").delete_role(RoleName=probe_name("role")),
        "logs:DeleteLogGroup": lambda c: c.client("logs").delete_log_group(
            logGroupName=f"/{probe_name('logs')}"
        ),
        "cloudtrail:DeleteTrail": lambda c: c.client("cloudtrail").delete_trail(Name=probe_name("trail")),
        "sagemaker:DeleteModelPackageGroup": lambda c: c.client("sagemaker").delete_model_package_group(
            ModelPackageGroupName=probe_name("group")
        ),
    }


def key_custody(persona: Any, key_arn: str, *, disable: bool, caller: str) -> Attempt:
    """ScheduleKeyDeletion (7 days, the shortest window) or DisableKey of a key, as ``caller``."""
    key_id = key_arn.rsplit("/", 1)[-1]  # moto's ScheduleKeyDeletion takes the key id, not the ARN
    kms = persona.client("kms")
    if disable:
        return attempt(f"kms:DisableKey as the {caller}", lambda: kms.disable_key(KeyId=key_id))
    return attempt(
        f"kms:ScheduleKeyDeletion as the {caller}",
        lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7),
    )


def restore_key(admin: Any, key_arn: str) -> None:
    """Undo a deletion or a disabling that a control failing open let through."""
    kms = admin.client("kms")
    key_id = key_arn.rsplit("/", 1)[-1]
    state = kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]
    if state == "PendingDeletion":
        kms.cancel_key_deletion(KeyId=key_id)
        state = "Disabled"
    if state == "Disabled":
        kms.enable_key(KeyId=key_id)


def try_endpoint(persona: Any) -> Attempt:
    """CreateEndpoint from an endpoint configuration that does not exist (harmless if let through)."""
    name = probe_name("endpoint")
    return attempt(
        "sagemaker:CreateEndpoint",
        lambda: persona.client("sagemaker").create_endpoint(EndpointName=name, EndpointConfigName=name),
    )


def read_probes(outputs: Mapping[str, Any]) -> dict[str, Callable[[Any], Any]]:
    """Reads an auditor's work needs: evidence, training jobs, endpoints, the model registry, the trail."""
    return {
        "s3:ListBucket on the evidence bucket": lambda c: c.client("s3").list_objects_v2(
            Bucket=outputs["evidence_bucket"], Prefix="evidence/", MaxKeys=5
        ),
        "sagemaker:ListTrainingJobs": lambda c: c.client("sagemaker").list_training_jobs(MaxResults=5),
        "sagemaker:ListEndpoints": lambda c: c.client("sagemaker").list_endpoints(MaxResults=5),
        "sagemaker:DescribeModelPackageGroup": lambda c: c.client("sagemaker").describe_model_package_group(
            ModelPackageGroupName=outputs["model_package_group_name"]
        ),
        "cloudtrail:GetTrailStatus": lambda c: c.client("cloudtrail").get_trail_status(
            Name=outputs["trail_arn"]
        ),
    }


def evidence_write(persona: Any, outputs: Mapping[str, Any], *, delete: bool, inside: bool) -> Attempt:
    """PutObject / DeleteObject in the evidence bucket, under ``evidence/`` or outside it."""
    bucket = outputs["evidence_bucket"]
    key = f"{'evidence/' if inside else ''}{PROBE_PREFIX}/{uuid.uuid4().hex}.txt"
    s3 = persona.client("s3")
    if delete:
        return attempt(
            f"s3:DeleteObject s3://{bucket}/{key}", lambda: s3.delete_object(Bucket=bucket, Key=key)
        )
    return attempt(
        f"s3:PutObject s3://{bucket}/{key}", lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"probe")
    )


CUSTODY_ACTIONS = ("kms:ScheduleKeyDeletion", "kms:DisableKey")
_EXEMPTING = ("ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike")


def break_glass_principals(key_policy: str | Mapping[str, Any]) -> list[str]:
    """The principals a key policy exempts from its Deny of deletion/disabling (``aws:PrincipalArn``)."""
    document = json.loads(key_policy) if isinstance(key_policy, str) else key_policy
    statements = document.get("Statement") or []
    found: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        if statement.get("Effect") != "Deny" or not any(a in actions for a in CUSTODY_ACTIONS):
            continue
        for operator, pairs in (statement.get("Condition") or {}).items():
            if operator.replace("IfExists", "") not in _EXEMPTING:
                continue
            for key, values in (pairs or {}).items():
                if key.lower() == "aws:principalarn":
                    found.extend(
                        v for v in (values if isinstance(values, list) else [values]) if v not in found
                    )
    return found


def simulate_key_custody(aws: Any, key_arn: str, key_policy: str, principal_arn: str) -> dict[str, str]:
    """IAM's decision on deleting/disabling the key for a principal that IAM lets do anything with KMS."""
    everything = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
    )
    caller = aws("sts").get_caller_identity()["Arn"]
    extra = {"CallerArn": caller} if ":user/" in caller else {}  # IAM takes only a user as the caller
    answer = aws("iam").simulate_custom_policy(
        **extra,
        PolicyInputList=[everything],
        ActionNames=list(CUSTODY_ACTIONS),
        ResourceArns=[key_arn],
        ResourcePolicy=key_policy,
        ContextEntries=[
            {
                "ContextKeyName": "aws:PrincipalArn",
                "ContextKeyValues": [principal_arn],
                "ContextKeyType": "string",
            }
        ],
    )
    return {r["EvalActionName"]: r["EvalDecision"] for r in answer["EvaluationResults"]}
