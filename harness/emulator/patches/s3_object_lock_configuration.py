"""The default retention of an Object Lock bucket can be changed or removed while it holds objects.

moto: ``PutObjectLockConfiguration`` is refused with InvalidBucket "Bucket needs to be empty" as soon as
the bucket holds any object, even when Object Lock is already enabled and only the default retention
changes. So a retention change, or ``terraform destroy`` of ``aws_s3_bucket_object_lock_configuration``
(which puts the configuration without a rule), fails once evidence has been archived.
AWS: on a bucket with Object Lock enabled the default retention rule can be set, changed or removed at
any time; it applies to objects put afterwards. Existing object versions keep their own retention.
"""

from __future__ import annotations

from typing import Any

from ._util import replace


def apply() -> None:
    from moto.s3.exceptions import InvalidBucketState
    from moto.s3.models import S3Backend

    def factory(original: Any) -> Any:
        def put_object_lock_configuration(
            self: Any,
            bucket_name: str,
            lock_enabled: bool,
            mode: str | None = None,
            days: int | None = None,
            years: int | None = None,
        ) -> None:
            bucket = self.get_bucket(bucket_name)
            if not getattr(bucket, "object_lock_enabled", False):
                return original(self, bucket_name, lock_enabled, mode=mode, days=days, years=years)
            if not bucket.is_versioned:
                raise InvalidBucketState(
                    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
                )
            bucket.default_lock_mode = mode
            bucket.default_lock_days = days
            bucket.default_lock_years = years
            return None

        return put_object_lock_configuration

    replace(S3Backend, "put_object_lock_configuration", factory)
