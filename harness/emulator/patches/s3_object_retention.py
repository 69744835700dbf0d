"""S3 Object Lock: PutObjectRetention honours the existing lock; GetObjectRetention works.

moto: PutObjectRetention overwrites any retention, so a COMPLIANCE lock can be shortened,
downgraded to GOVERNANCE or removed; GOVERNANCE can be shortened without the bypass header.
GetObjectRetention is not routed (the request falls through to GetObject and fails).
AWS: while a COMPLIANCE retention is in force, only the same mode with an equal or later
retain-until date is accepted, anything else is 403 AccessDenied; a GOVERNANCE retention may be
extended or turned into COMPLIANCE, but shortened, changed or removed only with
``x-amz-bypass-governance-retention: true``. GetObjectRetention returns the object's
``Retention`` (Mode, RetainUntilDate), or 404 NoSuchObjectLockConfiguration when it has none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import xmltodict

from ._util import replace


def parse_date(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def change_allowed(
    current_mode: str | None,
    current_until: Any,
    new_mode: str | None,
    new_until: Any,
    bypass_governance: bool,
    now: datetime | None = None,
) -> bool:
    """Whether AWS would accept replacing the current retention by the new one."""
    now = now or datetime.now(UTC)
    until = parse_date(current_until)
    if not current_mode or until is None or until <= now:
        return True  # no retention in force
    target = parse_date(new_until)
    not_shorter = target is not None and target >= until
    if current_mode == "COMPLIANCE":
        return new_mode == "COMPLIANCE" and not_shorter
    if current_mode == "GOVERNANCE":
        if bypass_governance:
            return True
        return new_mode in ("GOVERNANCE", "COMPLIANCE") and not_shorter
    return True


def apply() -> None:
    from moto.s3.exceptions import S3ClientError
    from moto.s3.responses import S3Response

    class AccessDenied(S3ClientError):
        code = "AccessDenied"

        def __init__(self) -> None:
            super().__init__("AccessDenied", "Access Denied")

    class NoSuchObjectLockConfiguration(S3ClientError):
        code = "NoSuchObjectLockConfiguration"

        def __init__(self) -> None:
            super().__init__(
                "NoSuchObjectLockConfiguration",
                "The specified object does not have a ObjectLock configuration",
            )

    def put_object_retention_factory(original: Any) -> Any:
        def put_object_retention(self: Any) -> Any:
            bucket = self.backend.get_bucket(self.bucket_name)
            if bucket.object_lock_enabled:
                key = self.backend.get_object(
                    self.bucket_name, self.parse_key_name(), version_id=self._get_param("versionId")
                )
                if key is not None:
                    parsed = xmltodict.parse(self.body or b"<Retention/>") or {}
                    retention = parsed.get("Retention") or {}
                    bypass = self.headers.get("x-amz-bypass-governance-retention", "").lower() == "true"
                    if not change_allowed(
                        key.lock_mode,
                        key.lock_until,
                        retention.get("Mode"),
                        retention.get("RetainUntilDate"),
                        bypass,
                    ):
                        raise AccessDenied()
            return original(self)

        return put_object_retention

    replace(S3Response, "put_object_retention", put_object_retention_factory)

    def key_response_get_factory(original: Any) -> Any:
        def _key_response_get(self: Any, query: dict[str, Any], key_name: str) -> Any:
            if "retention" not in query:
                return original(self, query, key_name)
            self._set_action("KEY", "GET", query)
            self.data["Action"] = "GetObjectRetention"
            self._authenticate_and_authorize_s3_action(bucket_name=self.bucket_name, key_name=key_name)
            version_id = (query.get("versionId") or [None])[0]
            key = self.backend.get_object(self.bucket_name, key_name, version_id=version_id)
            if key is None:
                from moto.s3.exceptions import MissingKey

                raise MissingKey(key=key_name)
            if not key.lock_mode or not key.lock_until:
                raise NoSuchObjectLockConfiguration()
            until = parse_date(key.lock_until)
            assert until is not None
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Mode>{key.lock_mode}</Mode>"
                f"<RetainUntilDate>{until.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z</RetainUntilDate>"
                "</Retention>"
            )
            return 200, {"content-type": "application/xml"}, body

        return _key_response_get

    replace(S3Response, "_key_response_get", key_response_get_factory)
