"""PutBucketLogging: a least-privilege target policy with a list of resources is accepted, as in AWS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.emulator.patches.s3_logging_permissions import log_delivery_allowed


def _buckets(s3: Any) -> tuple[str, str]:
    source, target = f"src-{uuid.uuid4().hex[:8]}", f"logs-{uuid.uuid4().hex[:8]}"
    for name in (source, target):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return source, target


def _policy(target: str, resources: list[str]) -> str:
    statement = {
        "Sid": "AllowS3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": [f"arn:aws:s3:::{target}/{r}" for r in resources],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_policy_with_resource_list_allows_logging(aws: Callable[..., Any]) -> None:
    s3 = aws("s3")
    source, target = _buckets(s3)
    s3.put_bucket_policy(Bucket=target, Policy=_policy(target, ["data-lake/*", "evidence/*"]))
    s3.put_bucket_logging(
        Bucket=source,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "evidence/"}},
    )
    assert s3.get_bucket_logging(Bucket=source)["LoggingEnabled"]["TargetPrefix"] == "evidence/"


def test_policy_for_another_prefix_is_refused(aws: Callable[..., Any]) -> None:
    s3 = aws("s3")
    source, target = _buckets(s3)
    s3.put_bucket_policy(Bucket=target, Policy=_policy(target, ["data-lake/*"]))
    with pytest.raises(ClientError) as info:
        s3.put_bucket_logging(
            Bucket=source,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "evidence/"}},
        )
    assert info.value.response["Error"]["Code"] == "InvalidTargetBucketForLogging"


def test_matcher_rules() -> None:
    arn = "arn:aws:s3:::logs"
    policy = json.loads(_policy("logs", ["a/*", "b/*"]))
    assert log_delivery_allowed(policy, arn, "b/")
    assert not log_delivery_allowed(policy, arn, "c/")
    policy["Statement"][0]["Effect"] = "Deny"
    assert not log_delivery_allowed(policy, arn, "a/")
