"""UpdateModelPackage keeps what it is not given: the trainer recorded at registration survives approval."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_approval_keeps_metadata_and_description(aws: Callable[..., Any]) -> None:
    sm = aws("sagemaker")
    group = "update-keeps-fields"
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/x:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"trained_by": "arn:aws:iam::123456789012:user/trainer"},
    )["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ok")
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"approved_by": "Jane.Doe"})
    desc = sm.describe_model_package(ModelPackageName=arn)
    assert desc["ModelApprovalStatus"] == "Approved"
    assert desc["ApprovalDescription"] == "ok"
    assert desc["CustomerMetadataProperties"] == {
        "trained_by": "arn:aws:iam::123456789012:user/trainer",
        "approved_by": "Jane.Doe",
    }
