"""Registry deletes, flow logs to a log group ARN, caller identity of a user, Object Lock default changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.emulator.patches.ec2_flow_log_destination import group_name_from_arn

IMAGE = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def test_model_packages_and_then_their_group_can_be_deleted(aws: Callable[..., Any]) -> None:
    sm = aws("sagemaker")
    group = f"g-{uuid.uuid4().hex[:8]}"
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://b/model.tar.gz"}],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]
    with pytest.raises(ClientError) as info:
        sm.delete_model_package_group(ModelPackageGroupName=group)
    assert info.value.response["Error"]["Code"] == "ConflictException"
    sm.delete_model_package(ModelPackageName=arn)
    assert sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"] == []
    with pytest.raises(ClientError):
        sm.describe_model_package(ModelPackageName=arn)
    sm.delete_model_package_group(ModelPackageGroupName=group)


def test_flow_log_to_a_log_group_arn_delivers(aws: Callable[..., Any]) -> None:
    ec2, logs = aws("ec2"), aws("logs")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = f"/aws/vpc/flow-{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    arn = f"arn:aws:logs:eu-central-1:123456789012:log-group:{group}"
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogDestination=arn,
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow",
    )
    flow = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"][0]
    assert flow["DeliverLogsStatus"] == "SUCCESS"
    assert flow["LogGroupName"] == group
    assert flow["LogDestination"] == arn


def test_group_name_from_arn() -> None:
    assert group_name_from_arn("arn:aws:logs:r:1:log-group:/a/b:*") == "/a/b"
    assert group_name_from_arn("arn:aws:s3:::bucket") is None


def test_caller_identity_of_a_user_is_an_iam_arn(aws: Callable[..., Any]) -> None:
    arn = aws("sts").get_caller_identity()["Arn"]
    assert arn == "arn:aws:iam::123456789012:user/moto"


def test_default_retention_changes_while_the_bucket_holds_objects(aws: Callable[..., Any]) -> None:
    s3 = aws("s3")
    bucket = f"lock-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": "eu-central-1"},
        ObjectLockEnabledForBucket=True,
    )
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}
    s3.put_object_lock_configuration(
        Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    s3.put_object(Bucket=bucket, Key="evidence.json", Body=b"{}", ChecksumAlgorithm="SHA256")
    rule["DefaultRetention"]["Days"] = 2
    s3.put_object_lock_configuration(
        Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    config = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert config["Rule"]["DefaultRetention"]["Days"] == 2
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    config = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert "Rule" not in config
