"""Lifecycle round trip: what GetBucketLifecycleConfiguration answers equals what was put.

Terraform's aws_s3_bucket_lifecycle_configuration (provider 5.100) polls the configuration until
it equals the request (rules and TransitionDefaultMinimumObjectSize) ten times in a row. moto's
answer matches from the first poll; the provider's own schedule (10 s delay, then 10 polls every
5 s) makes the resource take about 55 s on any target.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any


def test_lifecycle_round_trip_matches_request(aws: Callable[..., Any]) -> None:
    s3 = aws("s3")
    bucket = f"lc-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    rules = [
        {
            "ID": "noncurrent",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
        },
        {
            "ID": "abort-mpu",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        },
    ]
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={"Rules": rules},
        TransitionDefaultMinimumObjectSize="all_storage_classes_128K",
    )
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    assert sorted(got["Rules"], key=lambda r: r["ID"]) == sorted(rules, key=lambda r: r["ID"])
