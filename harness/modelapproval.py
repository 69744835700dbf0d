"""A person approves (or rejects) a registered model version; the trainer cannot.

Training (``make train``) or a pipeline execution registers each version with the identity that
started it in the version's ``CustomerMetadataProperties`` (:func:`trainer_metadata`). Approval
(``python -m harness model approve|reject``) runs as the approver role with the person carried in
the session (:mod:`harness.identity`), refuses the trainer (rule SOD-1) and anyone outside the
approver role (SOD-2), writes a signed record (:mod:`harness.validation.signatures`, subject: the
model artifact's SHA-256) as a new Object Lock object in the evidence bucket under
``model-approvals/<group>/v<version>/``, then sets ``ModelApprovalStatus`` with an
``ApprovalDescription`` that names the signer and the record.

On the local target ``make train`` approves its own version through the approver role
(:func:`approve_automatically`); that record is marked ``automatic``: a system action, never a
person's signature, so it can never make a run release-grade.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from harness.errors import HarnessError
from harness.identity import Identity, assume, caller, session_name
from harness.progress import Progress
from harness.target import Target
from harness.validation import signatures
from harness.validation.signatures import MODEL, SignatureRefused

RECORD_PREFIX = "model-approvals"
AUTOMATIC_SIGNER = "Automatic Approval"  # the session name says it: harness-automatic, never a person
STATUS = {"approved": "Approved", "rejected": "Rejected"}

# CustomerMetadataProperties keys (values <= 256 characters, as SageMaker requires)
TRAINED_BY = "trained_by"
TRAINED_BY_ACCOUNT = "trained_by_account"
TRAINED_BY_SOURCE_IDENTITY = "trained_by_source_identity"
APPROVAL_RECORD = "approval_record"  # s3:// URI of the signed record of the latest decision
DECIDED_BY = "approval_signer"
APPROVAL_AUTOMATIC = "approval_automatic"  # "true": a system action, never release-grade


class ModelApprovalError(HarnessError):
    """The model version cannot be found or its status cannot be set."""


def trainer_metadata(trainer: Identity) -> dict[str, str]:
    """What ``CreateModelPackage`` records about the identity that started the training run."""
    out = {TRAINED_BY: trainer.arn[:256]}
    if trainer.account:
        out[TRAINED_BY_ACCOUNT] = trainer.account
    if trainer.source_identity:
        out[TRAINED_BY_SOURCE_IDENTITY] = trainer.source_identity
    return out


def trainer_of(description: Mapping[str, Any]) -> Identity | None:
    meta = description.get("CustomerMetadataProperties") or {}
    if not meta.get(TRAINED_BY):
        return None
    arn = meta[TRAINED_BY]
    parts = arn.split(":")
    return Identity(
        arn=arn,
        account=meta.get(TRAINED_BY_ACCOUNT) or (parts[4] if len(parts) > 5 else None),
        user_id=None,
        session_name=arn.rsplit("/", 1)[-1] if ":assumed-role/" in arn else None,
        source_identity=meta.get(TRAINED_BY_SOURCE_IDENTITY),
    )


def find_version(sm: Any, group: str, version: int) -> dict[str, Any]:
    """``DescribeModelPackage`` of version ``version`` of ``group``."""
    paginator = sm.get_paginator("list_model_packages")
    for page in paginator.paginate(ModelPackageGroupName=group):
        for summary in page.get("ModelPackageSummaryList", []):
            if summary.get("ModelPackageVersion") == version:
                return sm.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
    raise ModelApprovalError(
        f"model package group {group} has no version {version}",
        hint=f"list the versions: aws sagemaker list-model-packages --model-package-group-name {group}",
    )


def _artifact_sha256(target: Target, url: str | None) -> str:
    """SHA-256 of the version's model artifact (pipeline versions do not record it)."""
    import hashlib

    from botocore.exceptions import BotoCoreError, ClientError

    if not url or not url.startswith("s3://"):
        raise ModelApprovalError(f"the version has no S3 model artifact to sign ({url!r})")
    bucket, _, key = url[5:].partition("/")
    digest = hashlib.sha256()
    try:
        body = target.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
        for chunk in iter(lambda: body.read(1 << 20), b""):
            digest.update(chunk)
    except (ClientError, BotoCoreError) as exc:
        raise ModelApprovalError(f"cannot read the model artifact {url} to sign its SHA-256: {exc}") from exc
    return digest.hexdigest()


@dataclasses.dataclass
class Decision:
    package_arn: str
    version: int
    status: str
    record: dict[str, Any]
    s3_uri: str
    s3_version: str | None


def decide(
    target: Target,
    signer_target: Target,
    outputs: Mapping[str, Any],
    *,
    version: int,
    meaning: str,
    printed_name: str,
    reason: str,
    key_id: str,
    automatic: bool = False,
) -> Decision:
    """Approve or reject model version ``version`` as the caller of ``signer_target`` (rules first)."""
    group = outputs["model_package_group_name"]
    bucket = outputs.get("evidence_bucket")
    approver_role_arn = outputs.get("approver_role_arn")
    if not bucket:
        raise ModelApprovalError("the platform has no evidence bucket for the signed record")
    sm = signer_target.client("sagemaker")
    desc = find_version(sm, group, version)
    signer = caller(signer_target)
    slug = session_name(printed_name).lower()
    if signer.source_identity and signer.source_identity.lower() != slug:
        raise SignatureRefused(
            "ID-1",
            f"the session carries {signer.source_identity!r}, but the printed name is {printed_name!r}",
        )
    trainer = trainer_of(desc)
    if trainer is None:
        raise SignatureRefused(
            "SOD-1",
            f"version {version} does not record who trained it (CustomerMetadataProperties.{TRAINED_BY})",
            hint="register versions through `make train` or the pipeline, which record the trainer",
        )
    names = signer.aliases() | {slug}
    if names & trainer.aliases():
        raise SignatureRefused(
            "SOD-1",
            f"{printed_name} ({signer.arn}) started the training of version {version} "
            f"({trainer.describe()}) and cannot {meaning[:-1] if meaning.endswith('d') else meaning} it",
            hint="a person other than the trainer approves, through the approver role",
        )
    if not approver_role_arn or not signer.acts_as(approver_role_arn):
        role = approver_role_arn or "<approver_role_arn>"
        raise SignatureRefused(
            "SOD-2",
            f"{signer.arn} is not a session of the approver role {role}",
            hint=f'run with --role-arn {role} --name "<your printed name>"',
        )
    status = STATUS[meaning]
    if desc.get("ModelApprovalStatus") == status:
        raise ModelApprovalError(f"version {version} is {status} already")
    meta = desc.get("CustomerMetadataProperties") or {}
    container = (desc.get("InferenceSpecification") or {}).get("Containers", [{}])[0]
    artifact_sha, source = meta.get("artifact_sha256"), "recorded at registration"
    if not artifact_sha:
        artifact_sha, source = _artifact_sha256(target, container.get("ModelDataUrl")), "computed when signed"
    subject = signatures.subject(
        MODEL,
        desc["ModelPackageArn"],
        artifact_sha,
        version=version,
        group=group,
        model_data_url=container.get("ModelDataUrl"),
        sha256_of="the model artifact (model.tar.gz), " + source,
    )
    record = signatures.new_record(
        subject=subject,
        meaning=meaning,
        printed_name=printed_name,
        signer=signer,
        reason=reason,
        automatic=automatic,
        approver_role_arn=approver_role_arn,
        trained_by=trainer.to_dict(),
    )
    document = signatures.seal(record, kms_client=signer_target.client("kms"), key_id=key_id)
    key = f"{RECORD_PREFIX}/{group}/v{version}/{signatures.file_name(record)}"
    s3_version = signatures.put_new(signer_target.client("s3"), bucket, key, document)
    uri = f"s3://{bucket}/{key}"
    kind = "automatically " if automatic else ""
    description = f"{status} {kind}by {printed_name} ({signer.arn}) at {record['signed_at']}; record {uri}"
    description = f"{description}; reason: {reason}"[:1024]
    sm.update_model_package(
        ModelPackageArn=desc["ModelPackageArn"],
        ModelApprovalStatus=status,
        ApprovalDescription=description,
        CustomerMetadataProperties={
            APPROVAL_RECORD: uri[:256],
            DECIDED_BY: signer.arn[:256],
            APPROVAL_AUTOMATIC: "true" if automatic else "false",
        },
    )
    return Decision(desc["ModelPackageArn"], version, status, record, uri, s3_version)


def approve_automatically(
    target: Target, outputs: Mapping[str, Any], *, version: int, reason: str, progress: Progress
) -> Decision | None:
    """The local target's stand-in for a person: approve through the approver role, marked automatic.

    A platform applied without the approver role or the approvals key (older state) cannot sign: the
    version is then approved without a signed record, its ApprovalDescription says so, and None is
    returned.
    """
    role = outputs.get("approver_role_arn")
    key = (outputs.get("kms_key_arns") or {}).get("approvals")
    if not role or not key:
        sm = target.client("sagemaker")
        desc = find_version(sm, outputs["model_package_group_name"], version)
        sm.update_model_package(
            ModelPackageArn=desc["ModelPackageArn"],
            ModelApprovalStatus="Approved",
            ApprovalDescription="Approved automatically on the local target WITHOUT a signed record: the "
            "platform has no approver role or approvals key (re-apply it). Never release-grade.",
            CustomerMetadataProperties={APPROVAL_AUTOMATIC: "true"},
        )
        progress(
            f"local target: version {version} approved automatically WITHOUT a signed record (no approver "
            "role or approvals key on this platform: run `make apply`)"
        )
        return None
    signer = assume(target, role, AUTOMATIC_SIGNER, purpose=f"approve model version {version} automatically")
    decision = decide(
        target,
        signer,
        outputs,
        version=version,
        meaning="approved",
        printed_name=AUTOMATIC_SIGNER,
        reason=reason,
        key_id=key,
        automatic=True,
    )
    progress(
        f"local target: version {version} approved automatically through {role} "
        f"(record {decision.s3_uri}, marked automatic: not a person's signature, never release-grade)"
    )
    return decision
