"""S3: deleting one version in a bucket whose versioning is suspended removes that version only.

moto: once versioning is suspended, DeleteObject and DeleteObjects ignore the ``VersionId`` and drop
every version of the key; when one of them is a delete marker this fails with an internal error (500).
Terraform's destroy hits it: destroying ``aws_s3_bucket_versioning`` suspends versioning, then
``force_destroy`` deletes each listed version and delete marker by id, retrying the 500s until its
timeout, so a bucket that ever held a deleted object could not be destroyed.
AWS: with a ``VersionId``, the call permanently deletes that one version, an object version or a
delete marker (answering ``x-amz-delete-marker: true`` for a marker), whatever the bucket's versioning
state; the key's other versions stay. A version under Object Lock retention is refused (403). An object
version permanently deleted sends the bucket's ``s3:ObjectRemoved:Delete`` notification ("an object was
deleted or a versioned object was permanently deleted"), and its content is released here as moto's own
delete releases it.
"""

from __future__ import annotations

from typing import Any

from ._util import replace


def apply() -> None:
    from moto.s3 import notifications
    from moto.s3.exceptions import AccessDeniedByLock
    from moto.s3.models import FakeDeleteMarker, FakeKey, S3Backend

    def delete_object_factory(original: Any) -> Any:
        def delete_object(
            self: Any, bucket_name: str, key_name: str, version_id: str | None = None, bypass: bool = False
        ) -> tuple[bool, dict[str, Any]]:
            bucket = self.get_bucket(bucket_name)
            if version_id is None or bucket.is_versioned or bucket.versioning_status != "Suspended":
                return original(self, bucket_name, key_name, version_id=version_id, bypass=bypass)
            versions = list(bucket.keys.getlist(key_name, []))
            meta: dict[str, Any] = {"version-id": version_id}
            if not versions:
                return False, meta  # as moto answers an unknown key
            chosen = next((v for v in versions if str(v.version_id) == str(version_id)), None)
            if chosen is None:
                return True, meta  # as moto's versioned path: an unknown version removes nothing
            if isinstance(chosen, FakeKey) and chosen.is_locked(governance_bypass=bypass):
                raise AccessDeniedByLock
            if isinstance(chosen, FakeDeleteMarker):
                meta["delete-marker"] = "true"
            remaining = [v for v in versions if v is not chosen]
            if remaining:
                bucket.keys.setlist(key_name, remaining)
            else:
                dict.pop(bucket.keys, key_name)  # the store's own pop disposes of every version, markers too
            if isinstance(chosen, FakeKey):
                event = notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_EVENT
                notifications.send_event(self.account_id, event, bucket, chosen)  # reads the ETag
                chosen.dispose()
            return True, meta

        return delete_object

    replace(S3Backend, "delete_object", delete_object_factory)
