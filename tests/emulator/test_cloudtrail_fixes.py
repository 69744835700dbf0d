"""CloudTrail: the provider addresses trails by ARN; destroy must really delete. LookupEvents answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_trail_calls_accept_the_arn_and_delete_really_deletes(aws: Callable[..., Any]) -> None:
    s3, ct = aws("s3"), aws("cloudtrail")
    bucket = f"trail-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    name = f"trail-{uuid.uuid4().hex[:8]}"
    arn = ct.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=True)["TrailARN"]

    assert ct.get_trail(Name=arn)["Trail"]["Name"] == name
    ct.start_logging(Name=arn)
    assert ct.get_trail_status(Name=arn)["IsLogging"] is True
    ct.stop_logging(Name=arn)
    assert ct.get_trail_status(Name=arn)["IsLogging"] is False

    ct.delete_trail(Name=arn)
    assert name not in [t["Name"] for t in ct.describe_trails()["trailList"]]
    with pytest.raises(ClientError) as excinfo:
        ct.get_trail(Name=arn)
    assert excinfo.value.response["Error"]["Code"] == "TrailNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        ct.delete_trail(Name=arn)
    assert excinfo.value.response["Error"]["Code"] == "TrailNotFoundException"


def test_lookup_events_answers(aws: Callable[..., Any]) -> None:
    response = aws("cloudtrail").lookup_events(MaxResults=5)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert isinstance(response["Events"], list)
