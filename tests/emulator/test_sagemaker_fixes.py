"""SageMaker control-plane fixes: model network isolation, model package groups, runtime."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
IMAGE = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def test_create_model_keeps_network_isolation_and_vpc(aws: Callable[..., Any]) -> None:
    sm = aws("sagemaker")
    name = f"m-{uuid.uuid4().hex[:8]}"
    vpc = {"SecurityGroupIds": ["sg-12345678"], "Subnets": ["subnet-1234abcd", "subnet-5678abcd"]}
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE},
        EnableNetworkIsolation=True,
        VpcConfig=vpc,
    )
    described = sm.describe_model(ModelName=name)
    assert described["EnableNetworkIsolation"] is True
    assert described["VpcConfig"] == vpc

    plain = f"m-{uuid.uuid4().hex[:8]}"
    sm.create_model(ModelName=plain, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    described = sm.describe_model(ModelName=plain)
    assert described["EnableNetworkIsolation"] is False
    assert "VpcConfig" not in described


def test_model_package_group_lifecycle(aws: Callable[..., Any]) -> None:
    sm = aws("sagemaker")
    name = f"g-{uuid.uuid4().hex[:8]}"
    arn = sm.create_model_package_group(
        ModelPackageGroupName=name, ModelPackageGroupDescription="d", Tags=[{"Key": "k", "Value": "v"}]
    )["ModelPackageGroupArn"]
    assert sm.describe_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"] == arn
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]

    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Read",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": ["sagemaker:DescribeModelPackage"],
                    "Resource": arn.replace("model-package-group", "model-package") + "/*",
                }
            ],
        }
    )
    assert (
        sm.put_model_package_group_policy(ModelPackageGroupName=name, ResourcePolicy=policy)[
            "ModelPackageGroupArn"
        ]
        == arn
    )
    assert json.loads(sm.get_model_package_group_policy(ModelPackageGroupName=name)["ResourcePolicy"]) == (
        json.loads(policy)
    )
    sm.delete_model_package_group_policy(ModelPackageGroupName=name)
    with pytest.raises(ClientError):
        sm.get_model_package_group_policy(ModelPackageGroupName=name)

    sm.delete_model_package_group(ModelPackageGroupName=name)
    with pytest.raises(ClientError) as excinfo:
        sm.describe_model_package_group(ModelPackageGroupName=name)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        sm.delete_model_package_group(ModelPackageGroupName=name)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_invoke_unknown_endpoint_fails(aws: Callable[..., Any]) -> None:
    runtime = aws("sagemaker-runtime")
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(
            EndpointName="no-such-endpoint",
            ContentType="application/json",
            Body=b'{"features": [72, 1, 0.85]}',
        )
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert "no-such-endpoint" in error["Message"] and "not found" in error["Message"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
