"""The caller of a request as CloudTrail's ``userIdentity``, from the SigV4 access key.

AWS (CloudTrail userIdentity element): ``type`` (``IAMUser``, ``AssumedRole``, ``Root``, ...),
``principalId``, ``arn``, ``accountId``, ``accessKeyId``; ``userName`` for IAM users; for a role
session ``sessionContext`` with ``sessionIssuer`` (the role: type, principalId, arn, accountId,
userName), ``attributes`` (``creationDate``, ``mfaAuthenticated``) and ``sourceIdentity`` when the
session was created with one.

The emulator resolves the key as GetCallerIdentity does (moto's STS and IAM backends, with the
``sts_caller_identity`` fix): a key of an assumed-role session, of an IAM user, or else the
emulator's administrator credentials. moto keeps no SourceIdentity or creation time for sessions,
so the recorder remembers both from each successful AssumeRole (``remember_session``).
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_cache: dict[str, dict[str, Any]] = {}
_sessions: dict[str, dict[str, Any]] = {}
MAX_CACHE = 4096


def remember_session(access_key_id: str, *, creation_date: str, source_identity: str | None) -> None:
    """Keep what AssumeRole was given for the session whose temporary key is ``access_key_id``."""
    with _lock:
        if len(_sessions) > MAX_CACHE:
            _sessions.clear()
        _sessions[access_key_id] = {"creationDate": creation_date, "sourceIdentity": source_identity}
        _cache.pop(access_key_id, None)


def user_identity(access_key_id: str, region: str) -> dict[str, Any]:
    """``userIdentity`` of the caller holding ``access_key_id`` (cached: a key's owner never changes)."""
    cached = _cache.get(access_key_id)
    if cached is not None:
        return cached
    identity = _resolve(access_key_id, region)
    with _lock:
        if len(_cache) > MAX_CACHE:
            _cache.clear()
        _cache[access_key_id] = identity
    return identity


def _resolve(access_key_id: str, region: str) -> dict[str, Any]:
    from moto.iam.models import get_account_id_from, iam_backends
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    account = get_account_id_from(access_key_id)
    partition = get_partition(region)
    sts = sts_backends[account][partition]
    session = sts.get_assumed_role_from_access_key(access_key_id)
    if session is not None:
        role_name = session.role_arn.split("/")[-1]
        user_id = session.user_id
        known = _sessions.get(access_key_id, {})
        context: dict[str, Any] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": user_id.split(":", 1)[0],
                "arn": session.role_arn,
                "accountId": account,
                "userName": role_name,
            },
            "attributes": {
                "creationDate": known.get("creationDate") or "",
                "mfaAuthenticated": "false",
            },
        }
        source_identity = known.get("sourceIdentity") or getattr(session, "source_identity", None)
        if source_identity:
            context["sourceIdentity"] = source_identity
        return {
            "type": "AssumedRole",
            "principalId": user_id,
            "arn": session.arn,
            "accountId": account,
            "accessKeyId": access_key_id,
            "sessionContext": context,
        }
    user = iam_backends[account][partition].get_user_from_access_key_id(access_key_id)
    if user is not None:
        return {
            "type": "IAMUser",
            "principalId": user.id,
            "arn": user.arn,
            "accountId": account,
            "accessKeyId": access_key_id,
            "userName": user.name,
        }
    # The emulator's administrator credentials: whatever GetCallerIdentity says they are.
    user_id, arn, account = sts.get_caller_identity(access_key_id, region)
    if arn.endswith(":root"):
        return {
            "type": "Root",
            "principalId": account,
            "arn": arn,
            "accountId": account,
            "accessKeyId": access_key_id,
        }
    return {
        "type": "IAMUser",
        "principalId": user_id,
        "arn": arn,
        "accountId": account,
        "accessKeyId": access_key_id,
        "userName": arn.rsplit("/", 1)[-1],
    }


def username(identity: dict[str, Any]) -> str:
    """LookupEvents' ``Username``: the user name, the role session name, or ``root``."""
    if identity.get("type") == "AssumedRole":
        return identity.get("arn", "").rsplit("/", 1)[-1]
    if identity.get("type") == "Root":
        return "root"
    return identity.get("userName") or identity.get("arn", "").rsplit("/", 1)[-1]
