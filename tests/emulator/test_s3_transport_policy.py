"""HTTPS and plain HTTP on one port; a deny-non-TLS bucket policy is enforced from the transport."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _bucket(s3: Any) -> str:
    name = f"tls-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return name


def _deny_non_tls(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def test_https_and_plain_http_without_policy(aws: Callable[..., Any]) -> None:
    s3, s3_http = aws("s3"), aws("s3", tls=False)
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"over tls")
    assert s3_http.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"over tls"
    s3_http.put_object(Bucket=bucket, Key="b.txt", Body=b"plain")
    assert s3.get_object(Bucket=bucket, Key="b.txt")["Body"].read() == b"plain"


def test_deny_non_tls_policy_allows_https_and_denies_http(aws: Callable[..., Any]) -> None:
    s3, s3_http = aws("s3"), aws("s3", tls=False)
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="before.txt", Body=b"x")
    s3.put_bucket_policy(Bucket=bucket, Policy=_deny_non_tls(bucket))

    s3.put_object(Bucket=bucket, Key="secure.txt", Body=b"ok")
    assert s3.get_object(Bucket=bucket, Key="secure.txt")["Body"].read() == b"ok"
    assert s3.head_object(Bucket=bucket, Key="before.txt")["ContentLength"] == 1
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["before.txt", "secure.txt"]

    for call in (
        lambda: s3_http.get_object(Bucket=bucket, Key="secure.txt"),
        lambda: s3_http.put_object(Bucket=bucket, Key="insecure.txt", Body=b"no"),
        lambda: s3_http.list_objects_v2(Bucket=bucket),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert excinfo.value.response["Error"]["Code"] == "AccessDenied"
    assert "insecure.txt" not in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]


def test_other_conditions_still_work(aws: Callable[..., Any]) -> None:
    """A deny-unencrypted-uploads policy: requests with the SSE header pass, others are refused."""
    s3 = aws("s3")
    bucket = _bucket(s3)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    s3.put_object(Bucket=bucket, Key="enc.txt", Body=b"x", ServerSideEncryption="aws:kms")
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="plain.txt", Body=b"x")
    assert excinfo.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key="enc.txt")["Body"].read() == b"x"
