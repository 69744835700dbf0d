"""S3 Block Public Access: a public bucket policy is refused while BlockPublicPolicy is on.

moto: PutBucketPolicy stores any policy, even one that makes the bucket public on a bucket whose
public access block has BlockPublicPolicy=true.
AWS: with BlockPublicPolicy on (bucket or account), PutBucketPolicy fails with 403 AccessDenied when
the policy is public: an Allow statement whose principal is ``*`` (or ``{"AWS": "*"}``) and whose
conditions do not fix the caller to known values (aws:SourceArn, aws:SourceAccount, aws:SourceVpc,
aws:SourceVpce, aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:userid, ...).
The existing policy stays in place.
"""

from __future__ import annotations

import json
from typing import Any

from ._util import replace

#: Condition keys that restrict a wildcard principal to known callers (AWS's "non-public" keys).
NON_PUBLIC_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:PrincipalOrgID",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:userid",
        "s3:DataAccessPointArn",
        "s3:DataAccessPointAccount",
    )
)


def _wildcard(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        values = principal.get("AWS", [])
        return "*" in (values if isinstance(values, list) else [values])
    return False


def is_public(policy: Any) -> bool:
    """Whether AWS would call the bucket policy public."""
    doc = json.loads(policy) if isinstance(policy, (str, bytes)) else policy
    statements = doc.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        if st.get("Effect") != "Allow" or not _wildcard(st.get("Principal")):
            continue
        keys = {k.lower() for cond in (st.get("Condition") or {}).values() for k in cond}
        if not keys & NON_PUBLIC_KEYS:
            return True
    return False


def apply() -> None:
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import S3Backend

    class AccessDenied(S3ClientError):
        code = 403

        def __init__(self) -> None:
            super().__init__("AccessDenied", "Access Denied")

    def put_bucket_policy_factory(original: Any) -> Any:
        def put_bucket_policy(self: Any, bucket_name: str, policy: bytes) -> None:
            block = getattr(self.get_bucket(bucket_name), "public_access_block", None)
            if block is not None and block.block_public_policy and is_public(policy):
                raise AccessDenied()
            return original(self, bucket_name, policy)

        return put_bucket_policy

    replace(S3Backend, "put_bucket_policy", put_bucket_policy_factory)
