"""Identity parsing and names, without AWS: what separation of duties compares."""

from __future__ import annotations

import pytest

from harness.errors import UsageError
from harness.identity import Identity, from_sts, session_name


def test_session_name_is_aws_safe() -> None:
    assert session_name("Jane Q. Doe") == "Jane.Q.Doe"
    assert session_name("  José  Müller-Lüdenscheidt ") == "Jose.Muller-Ludenscheidt"
    assert len(session_name("x" * 100)) == 64
    with pytest.raises(UsageError):
        session_name("é")


def test_assumed_role_session() -> None:
    ident = from_sts(
        {"Arn": "arn:aws:sts::111122223333:assumed-role/gxp-approver/Jane.Doe", "Account": "111122223333"},
        source_identity="Jane.Doe",
    )
    assert ident.kind == "assumed-role" and ident.role_name == "gxp-approver"
    assert ident.role_arn == "arn:aws:iam::111122223333:role/gxp-approver"
    assert ident.acts_as("arn:aws:iam::111122223333:role/team/gxp-approver")  # paths ignored
    assert not ident.acts_as("arn:aws:iam::444455556666:role/gxp-approver")  # other account
    assert ident.person == "Jane.Doe" and "jane.doe" in ident.aliases()


def test_user_and_root() -> None:
    user = Identity("arn:aws:iam::111122223333:user/alice", "111122223333", "AIDA")
    assert user.kind == "user" and user.role_name is None and not user.acts_as("arn:aws:iam::1:role/x")
    assert {"alice", "arn:aws:iam::111122223333:user/alice"} == user.aliases()
    assert Identity("arn:aws:iam::111122223333:root", "111122223333", "1").kind == "root"
    assert Identity.from_dict(user.to_dict()) == user
