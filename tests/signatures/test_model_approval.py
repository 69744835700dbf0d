"""A person approves a model version through the approver role; the trainer and other roles are refused;
the decision is a signed record in the evidence bucket and the registry status names it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from harness import identity, modelapproval
from harness.target import Target
from harness.validation import signatures
from harness.validation.signatures import SignatureRefused

ARTIFACT_SHA = "ab" * 32


@pytest.fixture
def register(target: Target, platform: dict[str, Any]) -> Callable[[Target], int]:
    """Register a version as ``make train`` does: PendingManualApproval, the trainer in its metadata."""

    def run(trainer: Target) -> int:
        sm = trainer.client("sagemaker")
        arn = sm.create_model_package(
            ModelPackageGroupName=platform["model_package_group_name"],
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/xgb:1",
                        "ModelDataUrl": "s3://data/models/job/output/model.tar.gz",
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataProperties={
                "artifact_sha256": ARTIFACT_SHA,
                **modelapproval.trainer_metadata(identity.caller(trainer)),
            },
        )["ModelPackageArn"]
        return sm.describe_model_package(ModelPackageName=arn)["ModelPackageVersion"]

    return run


def _decide(
    target: Target, signer: Target, platform: dict[str, Any], version: int, name: str, **kw: Any
) -> Any:
    return modelapproval.decide(
        target,
        signer,
        platform,
        version=version,
        meaning=kw.get("meaning", "approved"),
        printed_name=name,
        reason="holdout AUC and calibration reviewed",
        key_id=platform["kms_key_arns"]["approvals"],
    )


def test_approver_approves(
    target: Target, platform: dict[str, Any], register: Callable[[Target], int], as_person: Any
) -> None:
    trainer = as_person(platform["data_scientist_role_arn"], "Dana Scientist")
    version = register(trainer)
    decision = _decide(
        target, as_person(platform["approver_role_arn"], "Alan Approver"), platform, version, "Alan Approver"
    )
    desc = modelapproval.find_version(
        target.client("sagemaker"), platform["model_package_group_name"], version
    )
    assert desc["ModelApprovalStatus"] == "Approved"
    assert desc["ApprovalDescription"].startswith("Approved by Alan Approver (arn:aws:sts::")
    assert decision.s3_uri in desc["ApprovalDescription"]
    assert desc["CustomerMetadataProperties"]["trained_by"].endswith("/Dana.Scientist")  # kept
    bucket, key = decision.s3_uri[5:].split("/", 1)
    assert key.startswith(f"model-approvals/sig-models/v{version}/")
    body = target.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    check = signatures.verify(body, expected={"kind": "model-package", "sha256": ARTIFACT_SHA})
    assert check.ok, check.problems
    assert check.record["trained_by"]["source_identity"] == "Dana.Scientist"
    assert check.record["automatic"] is False


def test_trainer_is_refused(
    target: Target, platform: dict[str, Any], register: Callable[[Target], int], as_person: Any
) -> None:
    version = register(as_person(platform["data_scientist_role_arn"], "Dana Scientist"))
    same_person = as_person(platform["approver_role_arn"], "Dana Scientist")
    with pytest.raises(SignatureRefused, match=r"rule SOD-1 .*started the training of version"):
        _decide(target, same_person, platform, version, "Dana Scientist")
    # the default identity trains (make train) and may not approve either
    version = register(target)
    with pytest.raises(SignatureRefused, match="rule SOD-1"):
        _decide(target, target, platform, version, "Operator")
    desc = modelapproval.find_version(
        target.client("sagemaker"), platform["model_package_group_name"], version
    )
    assert desc["ModelApprovalStatus"] == "PendingManualApproval"


def test_only_the_approver_role_decides(
    target: Target, platform: dict[str, Any], register: Callable[[Target], int], as_person: Any
) -> None:
    version = register(target)
    reviewer = as_person(platform["reviewer_role_arn"], "Rita Reviewer")
    for meaning in ("approved", "rejected"):
        with pytest.raises(SignatureRefused, match="rule SOD-2"):
            _decide(target, reviewer, platform, version, "Rita Reviewer", meaning=meaning)


def test_reject_and_automatic_approval(
    target: Target, platform: dict[str, Any], register: Callable[[Target], int], as_person: Any
) -> None:
    version = register(target)
    _decide(
        target,
        as_person(platform["approver_role_arn"], "Alan Approver"),
        platform,
        version,
        "Alan Approver",
        meaning="rejected",
    )
    group = platform["model_package_group_name"]
    assert (
        modelapproval.find_version(target.client("sagemaker"), group, version)["ModelApprovalStatus"]
        == "Rejected"
    )
    version = register(target)
    said: list[str] = []
    decision = modelapproval.approve_automatically(
        target, platform, version=version, reason="local", progress=said.append
    )
    assert decision is not None and decision.record["automatic"] is True
    assert "[automatic, not a person's signature]" in decision.record["manifestation"]
    assert "approved automatically" in said[0] and "never release-grade" in said[0]
    desc = modelapproval.find_version(target.client("sagemaker"), group, version)
    assert desc["ModelApprovalStatus"] == "Approved" and "automatically" in desc["ApprovalDescription"]
    assert desc["CustomerMetadataProperties"]["approval_automatic"] == "true"
    assert desc["CustomerMetadataProperties"]["approval_record"] == decision.s3_uri
    assert json.loads(json.dumps(decision.record))["signer"]["source_identity"] == "Automatic.Approval"


def test_an_automatic_approval_is_never_release_grade() -> None:
    from harness.validation.verdict import verdict

    matrix = {"summary": {}, "rows": []}
    scenarios = {"scenarios": [{"status": "passed"}]}
    person = {"model_package": {"version": 3, "approval": "Approved", "approval_automatic": False}}
    automatic = {"model_package": {"version": 4, "approval": "Approved", "approval_automatic": True}}
    assert not any(
        "automatically" in r for r in verdict(scenarios, matrix, None, lineage=person)["release_reasons"]
    )
    reasons = verdict(scenarios, matrix, None, lineage=automatic)["release_reasons"]
    assert "model version 4 was approved automatically, not by a person" in reasons
