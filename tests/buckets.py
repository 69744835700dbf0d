"""Buckets the tests set up as the platform's evidence bucket is: Object Lock with a default retention."""

from __future__ import annotations

from typing import Any


def create_locked_bucket(s3: Any, bucket: str, region: str, *, mode: str, days: int = 1) -> None:
    """``bucket`` with Object Lock on and a default retention of ``days`` in ``mode``."""
    s3.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": region},
        ObjectLockEnabledForBucket=True,
    )
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
        },
    )
