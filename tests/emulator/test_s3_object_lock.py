"""Object Lock retention: COMPLIANCE cannot be shortened or downgraded; GetObjectRetention works."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.emulator.patches.s3_object_retention import change_allowed


def _locked_object(s3: Any, mode: str, days: int) -> tuple[str, str, datetime]:
    bucket = f"lock-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": "eu-central-1"},
        ObjectLockEnabledForBucket=True,
    )
    until = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    s3.put_object(
        Bucket=bucket,
        Key="evidence.json",
        Body=b"{}",
        ChecksumAlgorithm="SHA256",
        ObjectLockMode=mode,
        ObjectLockRetainUntilDate=until,
    )
    return bucket, "evidence.json", until


def _denied(call: Callable[[], Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        call()
    assert excinfo.value.response["Error"]["Code"] == "AccessDenied"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_get_object_retention(aws: Callable[..., Any]) -> None:
    s3 = aws("s3")
    bucket, key, until = _locked_object(s3, "COMPLIANCE", 30)
    retention = s3.get_object_retention(Bucket=bucket, Key=key)["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert abs((retention["RetainUntilDate"] - until).total_seconds()) < 1


def test_compliance_cannot_be_shortened_downgraded_or_removed(aws: Callable[..., Any]) -> None:
    s3 = aws("s3")
    bucket, key, until = _locked_object(s3, "COMPLIANCE", 30)
    _denied(
        lambda: s3.put_object_retention(
            Bucket=bucket,
            Key=key,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until - timedelta(days=1)},
        )
    )
    _denied(
        lambda: s3.put_object_retention(
            Bucket=bucket,
            Key=key,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until + timedelta(days=1)},
            BypassGovernanceRetention=True,
        )
    )
    _denied(lambda: s3.put_object_retention(Bucket=bucket, Key=key, Retention={}))
    # extending is allowed
    later = until + timedelta(days=10)
    s3.put_object_retention(
        Bucket=bucket, Key=key, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later}
    )
    retention = s3.get_object_retention(Bucket=bucket, Key=key)["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert abs((retention["RetainUntilDate"] - later).total_seconds()) < 1


def test_governance_needs_bypass_to_shorten(aws: Callable[..., Any]) -> None:
    s3 = aws("s3")
    bucket, key, until = _locked_object(s3, "GOVERNANCE", 30)
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": until - timedelta(days=20)}
    _denied(lambda: s3.put_object_retention(Bucket=bucket, Key=key, Retention=shorter))
    s3.put_object_retention(Bucket=bucket, Key=key, Retention=shorter, BypassGovernanceRetention=True)
    assert s3.get_object_retention(Bucket=bucket, Key=key)["Retention"]["Mode"] == "GOVERNANCE"


def test_change_allowed_rules() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    future, past = "2030-02-01T00:00:00Z", "2029-12-01T00:00:00Z"
    assert change_allowed("COMPLIANCE", future, "COMPLIANCE", "2030-03-01T00:00:00Z", False, now)
    assert not change_allowed("COMPLIANCE", future, "COMPLIANCE", "2030-01-15T00:00:00Z", True, now)
    assert not change_allowed("COMPLIANCE", future, "GOVERNANCE", "2030-03-01T00:00:00Z", True, now)
    assert change_allowed("COMPLIANCE", past, "GOVERNANCE", "2030-01-15T00:00:00Z", False, now)
    assert change_allowed("GOVERNANCE", future, "COMPLIANCE", "2030-02-01T00:00:00Z", False, now)
    assert not change_allowed("GOVERNANCE", future, None, None, False, now)
    assert change_allowed("GOVERNANCE", future, None, None, True, now)
