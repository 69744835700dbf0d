"""BlockPublicPolicy: a public bucket policy is refused and the existing policy stays."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.emulator.patches.s3_block_public_policy import is_public


def _policy(bucket: str, principal: Any, condition: dict[str, Any] | None = None) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{bucket}/*"}  # fmt: skip
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_public_policy_is_refused_while_block_public_policy_is_on(aws: Callable[..., Any]) -> None:
    s3 = aws("s3")
    bucket = f"bpa-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    private = _policy(bucket, {"AWS": "arn:aws:iam::123456789012:root"})
    s3.put_bucket_policy(Bucket=bucket, Policy=private)
    s3.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, "*"))  # no block yet: accepted
    s3.put_bucket_policy(Bucket=bucket, Policy=private)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    for public in (_policy(bucket, "*"), _policy(bucket, {"AWS": "*"})):
        with pytest.raises(ClientError) as refused:
            s3.put_bucket_policy(Bucket=bucket, Policy=public)
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(private)
    # a wildcard principal fixed to the account by a condition is not public
    s3.put_bucket_policy(
        Bucket=bucket, Policy=_policy(bucket, "*", {"StringEquals": {"aws:SourceAccount": "1"}})
    )


def test_what_counts_as_public() -> None:
    assert is_public(_policy("b", "*")) and is_public(_policy("b", {"AWS": ["*"]}))
    assert is_public(_policy("b", "*", {"Bool": {"aws:SecureTransport": "true"}}))
    assert not is_public(_policy("b", "*", {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}))
    assert not is_public(_policy("b", {"Service": "cloudtrail.amazonaws.com"}))
