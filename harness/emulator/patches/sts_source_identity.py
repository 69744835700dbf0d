"""AssumeRole carries SourceIdentity, and checks the session name and source identity as AWS does.

moto: AssumeRole ignores ``SourceIdentity`` (the answer has none, so a person named in a role
session is lost) and checks only the length of ``RoleSessionName``.
AWS: ``SourceIdentity`` (2-64 characters of ``[\\w+=,.@-]``) is returned in the AssumeRole answer,
kept with the session and recorded by CloudTrail for every call the session makes; a malformed
``RoleSessionName`` or ``SourceIdentity`` is a 400 ``ValidationError``. The harness attributes
people's signatures to the session's source identity and refuses a session without it.
"""

from __future__ import annotations

import re
from typing import Any

from ._util import replace

_PATTERN = re.compile(r"^[\w+=,.@-]{2,64}$")


def _check(field: str, value: str | None) -> None:
    from moto.sts.exceptions import STSValidationError

    if value is not None and not _PATTERN.match(value):
        raise STSValidationError(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64"
        )


def source_identity_of(access_key_id: str) -> str | None:
    """The source identity of the session that owns ``access_key_id`` (None for other credentials)."""
    from moto.sts.models import sts_backends

    for account_backends in sts_backends.values():
        for backend in account_backends.values():
            role = backend.get_assumed_role_from_access_key(access_key_id)
            if role is not None:
                return getattr(role, "source_identity", None)
    return None


def apply() -> None:
    from moto.sts.responses import TokenResponse

    def factory(original: Any) -> Any:
        def assume_role(self: Any) -> Any:
            _check("roleSessionName", self._get_param("RoleSessionName"))
            source_identity = self._get_param("SourceIdentity")
            _check("sourceIdentity", source_identity)
            result = original(self)
            if source_identity is not None:
                body = result.result
                body["SourceIdentity"] = source_identity
                body["Credentials"].source_identity = source_identity
            return result

        return assume_role

    replace(TokenResponse, "assume_role", factory)
