"""KMS automatic rotation keeps the period given to EnableKeyRotation (fix ``kms_rotation_period``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_rotation_period_is_kept_and_returned(aws: Callable[..., Any]) -> None:
    kms = aws("kms")
    key_id = kms.create_key(Description="rotation period")["KeyMetadata"]["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False

    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 180
    assert status["KeyId"] == key_id
    expected = datetime.now(UTC) + timedelta(days=180)
    assert abs(status["NextRotationDate"] - expected) < timedelta(minutes=5)

    # Re-enabling with another period changes it; without a period the default is 365 days.
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=365 * 2)
    assert kms.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 730
    kms.enable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 365

    kms.disable_key_rotation(KeyId=key_id)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is False
    assert "RotationPeriodInDays" not in status


# botocore itself refuses periods below 90; the upper bound is left to the service.
@pytest.mark.parametrize("period", [2561, 36500])
def test_rotation_period_out_of_range_is_refused(aws: Callable[..., Any], period: int) -> None:
    kms = aws("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=period)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
