"""KMS automatic rotation keeps its period: EnableKeyRotation's RotationPeriodInDays is stored.

moto: ``EnableKeyRotation`` ignores ``RotationPeriodInDays`` and ``GetKeyRotationStatus`` answers
only ``KeyRotationEnabled``.
AWS: the period (90..2560 days, 365 when not given) is validated and kept; while rotation is on,
``GetKeyRotationStatus`` returns ``KeyId``, ``RotationPeriodInDays`` and ``NextRotationDate``.
Terraform reads ``rotation_period_in_days`` from that answer and would otherwise plan to set it
again on every run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ._util import replace

DEFAULT_PERIOD = 365
MIN_PERIOD = 90
MAX_PERIOD = 2560


def apply() -> None:
    from moto.kms.exceptions import ValidationException
    from moto.kms.responses import KmsResponse

    def enable_factory(original: Any) -> Any:
        def enable_key_rotation(self: Any) -> str:
            period = self._get_param("RotationPeriodInDays")
            if period is not None and not (isinstance(period, int) and MIN_PERIOD <= period <= MAX_PERIOD):
                raise ValidationException(
                    f"1 validation error detected: Value '{period}' at 'rotationPeriodInDays' failed to "
                    f"satisfy constraint: Member must have value between {MIN_PERIOD} and {MAX_PERIOD}"
                )
            result = original(self)
            key = self.kms_backend.describe_key(self._get_param("KeyId"))
            key.rotation_period_in_days = period if period is not None else DEFAULT_PERIOD
            key.rotation_enabled_at = datetime.now(UTC)
            return result

        return enable_key_rotation

    replace(KmsResponse, "enable_key_rotation", enable_factory)

    def disable_factory(original: Any) -> Any:
        def disable_key_rotation(self: Any) -> str:
            result = original(self)
            key = self.kms_backend.describe_key(self._get_param("KeyId"))
            key.rotation_period_in_days = None
            key.rotation_enabled_at = None
            return result

        return disable_key_rotation

    replace(KmsResponse, "disable_key_rotation", disable_factory)

    def status_factory(original: Any) -> Any:
        def get_key_rotation_status(self: Any) -> str:
            response = json.loads(original(self))
            key = self.kms_backend.describe_key(self._get_param("KeyId"))
            response["KeyId"] = key.id
            period = getattr(key, "rotation_period_in_days", None)
            if response.get("KeyRotationEnabled"):
                # Rotation switched on by other means (e.g. CloudFormation) has the default period.
                period = period or DEFAULT_PERIOD
                since = getattr(key, "rotation_enabled_at", None) or datetime.now(UTC)
                response["RotationPeriodInDays"] = period
                response["NextRotationDate"] = (since + timedelta(days=period)).timestamp()
            return json.dumps(response)

        return get_key_rotation_status

    replace(KmsResponse, "get_key_rotation_status", status_factory)
