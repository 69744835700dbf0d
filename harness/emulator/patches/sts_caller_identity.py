"""GetCallerIdentity names an IAM user with an IAM ARN, as AWS does.

moto: credentials that belong to no emulated user (the emulator's dummy keys) are reported as
``arn:aws:sts::<account>:user/moto``, a form AWS never returns, which IAM rejects as a principal.
AWS: a long-term IAM user's identity is ``arn:aws:iam::<account>:user/<name>``; only assumed roles
and federated sessions have ``arn:aws:sts::`` ARNs. Trust policies built from the caller (the
platform trusts the deploying principal for its auditor and validation roles) need the real form.
"""

from __future__ import annotations

from typing import Any

from ._util import replace


def iam_form(arn: str) -> str:
    """``arn:<p>:sts::<acct>:user/<name>`` -> ``arn:<p>:iam::<acct>:user/<name>``; others unchanged."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("user/"):
        parts[2] = "iam"
        return ":".join(parts)
    return arn


def apply() -> None:
    from moto.sts.models import STSBackend

    def factory(original: Any) -> Any:
        def get_caller_identity(self: Any, access_key_id: str, region: str) -> tuple[str, str, str]:
            user_id, arn, account = original(self, access_key_id, region)
            return user_id, iam_form(arn), account

        return get_caller_identity

    replace(STSBackend, "get_caller_identity", factory)
