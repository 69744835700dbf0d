"""PutBucketLogging reads the target bucket's policy as AWS does (lists and wildcards).

moto: ``FakeBucket._log_permissions_enabled_policy`` only accepts a statement whose ``Resource`` is
one exact string and whose ``Action`` contains ``s3:PutObject`` literally, so a least-privilege
policy that lists one resource per log prefix (``Resource: [".../data-lake/*", ".../evidence/*"]``)
is refused with InvalidTargetBucketForLogging.
AWS: ``Action`` and ``Resource`` may be strings or lists, with ``*`` / ``?`` wildcards; delivery is
allowed when an Allow statement for ``logging.s3.amazonaws.com`` covers ``s3:PutObject`` on an
object under the target prefix.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from ._util import replace

LOGGING_PRINCIPAL = "logging.s3.amazonaws.com"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def log_delivery_allowed(policy: dict[str, Any], bucket_arn: str, target_prefix: str | None) -> bool:
    """True when ``policy`` lets the S3 logging service put objects under ``target_prefix``."""
    probe = f"{bucket_arn}/{target_prefix or ''}probe-object"
    for stmt in _as_list(policy.get("Statement", [])):
        if stmt.get("Effect") != "Allow":
            continue
        principal = stmt.get("Principal") or {}
        services = _as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
        if LOGGING_PRINCIPAL not in services:
            continue
        actions = [a.lower() for a in _as_list(stmt.get("Action", []))]
        if not any(fnmatch.fnmatchcase("s3:putobject", a) for a in actions):
            continue
        if any(fnmatch.fnmatchcase(probe, r) for r in _as_list(stmt.get("Resource", []))):
            return True
    return False


def apply() -> None:
    from moto.s3.models import FakeBucket

    def factory(_original: Any) -> Any:
        def _log_permissions_enabled_policy(target_bucket: Any, target_prefix: str | None) -> bool:
            raw = target_bucket.policy
            if not raw:
                return False
            policy = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
            bucket_arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"
            return log_delivery_allowed(policy, bucket_arn, target_prefix)

        return staticmethod(_log_permissions_enabled_policy)

    replace(FakeBucket, "_log_permissions_enabled_policy", factory)
