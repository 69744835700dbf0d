"""Who is calling: the caller's STS identity, and a person acting through a role.

An electronic signature belongs to one person (21 CFR 11.100). A role shared by several people only
says which rights were used; the person is carried into the role session twice, the way AWS
recommends: the role session name (visible in the assumed-role ARN and in CloudTrail) and the
``SourceIdentity`` (kept by STS across role chaining and recorded by CloudTrail on every call the
session makes). Two people using one role therefore stay distinguishable.

``GetCallerIdentity`` never returns the source identity; a :class:`~harness.target.Target` made by
:func:`assume` remembers the one it asked for, so :func:`caller` can report it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import botocore.exceptions

from harness.errors import HarnessError, UsageError
from harness.target import Target

#: AWS's constraint on RoleSessionName and SourceIdentity: 2-64 characters of ``[\w+=,.@-]``.
_ALLOWED = re.compile(r"[^A-Za-z0-9_+=,.@-]+")
SESSION_SECONDS = 900  # the shortest session AWS grants: a signature takes seconds


class IdentityError(HarnessError):
    """A role could not be assumed or the caller could not be identified."""


@dataclasses.dataclass(frozen=True)
class Identity:
    """An STS identity: ``arn`` as GetCallerIdentity gives it, plus the session's person if known."""

    arn: str
    account: str | None
    user_id: str | None
    session_name: str | None = None
    source_identity: str | None = None

    @property
    def kind(self) -> str:
        """``assumed-role``, ``user``, ``root``, ``federated-user`` or ``unknown``."""
        resource = self.arn.split(":", 5)[-1] if self.arn.count(":") >= 5 else ""
        if resource.startswith("assumed-role/"):
            return "assumed-role"
        if resource.startswith("user/"):
            return "user"
        if resource == "root":
            return "root"
        if resource.startswith("federated-user/"):
            return "federated-user"
        return "unknown"

    @property
    def role_name(self) -> str | None:
        """The role of an assumed-role session (``arn:aws:sts::1:assumed-role/<role>/<session>``)."""
        if self.kind != "assumed-role":
            return None
        return self.arn.split(":", 5)[-1].split("/")[1]

    @property
    def role_arn(self) -> str | None:
        """The IAM ARN of the session's role (without its path: the session ARN does not carry it)."""
        if self.role_name is None:
            return None
        partition = self.arn.split(":")[1]
        return f"arn:{partition}:iam::{self.account}:role/{self.role_name}"

    def acts_as(self, role_arn: str | None) -> bool:
        """Whether this is a session of ``role_arn`` (same account and role name; paths ignored)."""
        if not role_arn or self.role_name is None:
            return False
        parts = role_arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("role/"):
            return False
        return parts[4] == self.account and parts[5].rsplit("/", 1)[-1] == self.role_name

    @property
    def person(self) -> str:
        """What separates people: the source identity when the session carries one, else the ARN."""
        return self.source_identity or self.arn

    def aliases(self) -> set[str]:
        """Every name this identity goes by, lower-cased: compared for separation of duties."""
        names = {self.arn.lower()}
        if self.source_identity:
            names.add(self.source_identity.lower())
        if self.kind == "user":
            names.add(self.arn.rsplit("/", 1)[-1].lower())
        if self.kind == "assumed-role" and self.session_name:
            names.add(self.session_name.lower())
        return names

    def describe(self) -> str:
        who = f"{self.source_identity} via " if self.source_identity else ""
        return f"{who}{self.arn}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Identity:
        return cls(
            arn=str(data.get("arn") or ""),
            account=data.get("account"),
            user_id=data.get("user_id"),
            session_name=data.get("session_name"),
            source_identity=data.get("source_identity"),
        )


def session_name(person: str) -> str:
    """The person's printed name in AWS's session-name alphabet: ``"Jane Q. Doe"`` -> ``"Jane.Q.Doe"``."""
    ascii_name = unicodedata.normalize("NFKD", person).encode("ascii", "ignore").decode("ascii")
    slug = _ALLOWED.sub(".", ascii_name.strip()).strip(".")
    slug = re.sub(r"\.{2,}", ".", slug)[:64].rstrip(".")
    if len(slug) < 2:
        raise UsageError(
            f"--name {person!r}: a printed name needs at least two letters or digits",
            hint='give the signer\'s full name, e.g. --name "Jane Doe"',
        )
    return slug


def from_sts(response: Mapping[str, Any], *, source_identity: str | None = None) -> Identity:
    """An :class:`Identity` from a GetCallerIdentity answer."""
    arn = response.get("Arn") or ""
    session = None
    if ":assumed-role/" in arn:
        session = arn.rsplit("/", 1)[-1]
    return Identity(
        arn=arn,
        account=response.get("Account"),
        user_id=response.get("UserId"),
        session_name=session,
        source_identity=source_identity,
    )


def caller(target: Target) -> Identity:
    """The identity whose credentials ``target``'s clients use (STS GetCallerIdentity)."""
    try:
        response = target.client("sts").get_caller_identity()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise IdentityError(
            f"cannot identify the caller on target {target.name}: {exc}",
            hint="check the credentials (aws sts get-caller-identity)",
        ) from exc
    return from_sts(response, source_identity=getattr(target, "source_identity", None))


def assume(target: Target, role_arn: str, person: str, *, purpose: str) -> Target:
    """``target`` acting as ``person`` through ``role_arn`` (RoleSessionName and SourceIdentity carry
    the person). ``purpose`` says why, for the error a refusal raises."""
    name = session_name(person)
    try:
        response = target.client("sts").assume_role(
            RoleArn=role_arn,
            RoleSessionName=name,
            SourceIdentity=name,
            DurationSeconds=SESSION_SECONDS,
        )
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        raise IdentityError(
            f"{person} could not assume {role_arn} to {purpose}: "
            f"{error.get('Code', 'error')}: {error.get('Message', exc)}",
            hint="the role's trust policy must allow your identity sts:AssumeRole and sts:SetSourceIdentity",
        ) from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise IdentityError(f"{person} could not assume {role_arn} to {purpose}: {exc}") from exc
    if response.get("SourceIdentity") != name:
        raise IdentityError(
            f"STS did not carry {person} into the session of {role_arn} (SourceIdentity "
            f"{response.get('SourceIdentity')!r}): the signature could not be attributed to one person"
        )
    return target.with_session(response["Credentials"], name)
