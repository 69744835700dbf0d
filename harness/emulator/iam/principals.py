"""Who signed a request, and the policies that govern them, read from moto's IAM and STS state.

Contract: a request is signed (SigV4 ``Authorization`` header or presigned ``X-Amz-Credential``)
with an access key id. A key that moto issued to an IAM user (CreateAccessKey) makes the caller that
user; a key moto issued for a role session (AssumeRole) makes the caller the session
``arn:aws:sts::<account>:assumed-role/<role>/<session>``, whose aws:PrincipalArn is the role. The
user's policies are its inline and attached policies and those of its groups; a session's are its
role's inline and attached policies, the role's permissions boundary and the session policy passed
to AssumeRole. Any other key (the emulator's ``testing`` keys that the harness and Terraform use) is
the account administrator: every IAM action allowed, still bound by explicit denies in resource
policies. An expired session's key is refused as AWS refuses it (``ExpiredToken``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .evaluator import Policy, Principal

ADMIN_USER_ID = "AKIAIOSFODNN7EXAMPLE"


class ExpiredToken(Exception):
    """The session's credentials expired."""


def access_key_id(headers: Any, query: Any = None) -> str | None:
    """The access key id a request was signed with; None for an unsigned request."""
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    marker = "Credential="
    if marker in auth:
        return auth.partition(marker)[2].partition("/")[0].strip() or None
    if query:
        value = query.get("X-Amz-Credential")
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            return str(value).partition("/")[0] or None
    return None


def resolve(key_id: str | None, account_id: str, partition: str = "aws") -> Principal:
    """The principal a key belongs to (the administrator for keys moto did not issue)."""
    if key_id:
        session = _session(key_id, account_id, partition)
        if session is not None:
            return session
        user = _user(key_id, account_id, partition)
        if user is not None:
            return user
    return administrator(account_id, partition)


def administrator(account_id: str, partition: str = "aws") -> Principal:
    arn = f"arn:{partition}:iam::{account_id}:user/moto"  # what GetCallerIdentity says for these keys
    return Principal(arn, account_id, arn, "Administrator", ADMIN_USER_ID)


def _session(key_id: str, account_id: str, partition: str) -> Principal | None:
    """The role session of a key; moto files a session under the account of its role (the request's)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    if account_id not in sts_backends or partition not in sts_backends[account_id]:
        return None  # never instantiate a backend just to look
    for assumed in list(sts_backends[account_id][partition].assumed_roles):
        if assumed.access_key_id != key_id:
            continue
        if assumed.expiration.replace(tzinfo=None) < dt.datetime.now(dt.UTC).replace(tzinfo=None):
            raise ExpiredToken(assumed.arn)
        iam = iam_backends[assumed.account_id][partition]
        try:
            role = iam.get_role_by_arn(assumed.role_arn)
        except Exception:  # the role was deleted: the session keeps no permissions
            role = None
        session_policy = Policy.parse("session policy", assumed.policy) if assumed.policy else None
        base = role_principal(iam, role) if role is not None else None
        return Principal(
            arn=assumed.arn,
            account=assumed.account_id,
            principal_arn=role.arn if role is not None else assumed.role_arn,
            kind="AssumedRole",
            user_id=assumed.user_id,
            policies=base.policies if base else (),
            boundary=base.boundary if base else None,
            session_policy=session_policy,
            source_identity=getattr(assumed, "source_identity", None),
        )
    return None


def _find_user_key(key_id: str, account_id: str, partition: str) -> Any:
    from moto.iam.models import iam_backends

    if account_id not in iam_backends or partition not in iam_backends[account_id]:
        return None
    backend = iam_backends[account_id][partition]
    for user in list(backend.users.values()):
        for key in user.access_keys:
            if key.access_key_id == key_id:
                return backend, user, key
    return None


def role_principal(backend: Any, role: Any) -> Principal:
    """The role itself as a principal (its policies and boundary); sessions and simulations use it."""
    policies = [Policy.parse(f"{role.arn}:{n}", d) for n, d in role.policies.items()]
    policies.extend(_managed(p) for p in role.managed_policies.values())
    boundary = (
        _managed_by_arn(backend, role.permissions_boundary_arn) if role.permissions_boundary_arn else None
    )
    return Principal(role.arn, role.account_id, role.arn, "AssumedRole", role.id, tuple(policies), boundary)


def _user(key_id: str, account_id: str, partition: str) -> Principal | None:
    found = _find_user_key(key_id, account_id, partition)
    if found is None:
        return None
    backend, user, key = found
    if getattr(key, "status", "Active") != "Active":
        return None
    return user_principal(backend, user)


def user_principal(backend: Any, user: Any) -> Principal:
    """An IAM user with its own and its groups' policies."""
    policies: list[Policy] = [Policy.parse(f"{user.arn}:{n}", d) for n, d in user.policies.items()]
    policies.extend(_managed(p) for p in user.managed_policies.values())
    for group in backend.get_groups_for_user(user.name):
        policies.extend(Policy.parse(f"{group.arn}:{n}", d) for n, d in group.policies.items())
        policies.extend(_managed(p) for p in group.managed_policies.values())
    boundary_arn = getattr(user, "permissions_boundary_arn", None) or None
    boundary = _managed_by_arn(backend, boundary_arn) if boundary_arn else None
    return Principal(
        arn=user.arn,
        account=user.account_id,
        principal_arn=user.arn,
        kind="User",
        user_id=user.id,
        policies=tuple(policies),
        boundary=boundary,
    )


def _managed(policy: Any) -> Policy:
    version = next((v for v in policy.versions if v.is_default), None)
    document = version.document if version is not None else policy.document
    return Policy.parse(policy.arn, document)


def _managed_by_arn(backend: Any, arn: str) -> Policy | None:
    try:
        return _managed(backend.get_policy(arn))
    except Exception:  # a boundary that no longer exists allows nothing
        return Policy(arn, {"Statement": []})
