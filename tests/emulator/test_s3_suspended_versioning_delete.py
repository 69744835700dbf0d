"""A bucket whose versioning was suspended: a version or delete marker deleted by id goes, the rest stays."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any


def _suspended_bucket(s3: Any) -> str:
    bucket = f"suspended-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def _suspend(s3: Any, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})


def test_versions_and_delete_markers_deleted_by_id_empty_the_bucket(aws: Callable[..., Any]) -> None:
    """What Terraform's force_destroy does after destroying the versioning resource."""
    s3 = aws("s3")
    bucket = _suspended_bucket(s3)
    s3.put_object(Bucket=bucket, Key="probe.csv", Body=b"1\n")
    s3.delete_object(Bucket=bucket, Key="probe.csv")  # a delete marker over the version
    _suspend(s3, bucket)
    listed = s3.list_object_versions(Bucket=bucket)
    ids = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])
    ]
    assert len(ids) == 2, listed
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": ids})
    assert not answer.get("Errors"), answer
    listed = s3.list_object_versions(Bucket=bucket)
    assert not listed.get("Versions") and not listed.get("DeleteMarkers"), listed
    s3.delete_bucket(Bucket=bucket)


def test_deleting_one_version_keeps_the_others(aws: Callable[..., Any]) -> None:
    s3 = aws("s3")
    bucket = _suspended_bucket(s3)
    first = s3.put_object(Bucket=bucket, Key="model.csv", Body=b"first\n")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="model.csv", Body=b"second\n")["VersionId"]
    _suspend(s3, bucket)
    s3.delete_object(Bucket=bucket, Key="model.csv", VersionId=first)
    versions = s3.list_object_versions(Bucket=bucket).get("Versions", [])
    assert [v["VersionId"] for v in versions] == [second]
    assert s3.get_object(Bucket=bucket, Key="model.csv")["Body"].read() == b"second\n"


def test_a_version_deleted_by_id_is_notified_as_removed(aws: Callable[..., Any]) -> None:
    """The bucket's ``s3:ObjectRemoved:*`` subscribers hear of a version permanently deleted."""
    import json

    s3, sqs = aws("s3"), aws("sqs")
    bucket = _suspended_bucket(s3)
    queue = sqs.create_queue(QueueName=f"removed-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectRemoved:*"]}]
        },
    )
    first = s3.put_object(Bucket=bucket, Key="model.csv", Body=b"first\n")["VersionId"]
    s3.put_object(Bucket=bucket, Key="model.csv", Body=b"second\n")
    _suspend(s3, bucket)
    s3.delete_object(Bucket=bucket, Key="model.csv", VersionId=first)
    records = []
    for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        records += json.loads(message["Body"]).get("Records", [])
    removed = [(r["eventName"], r["s3"]["object"]["key"]) for r in records]
    assert removed == [("ObjectRemoved:Delete", "model.csv")], records
