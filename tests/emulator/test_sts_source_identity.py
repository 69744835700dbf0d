"""AssumeRole carries the person (SourceIdentity) and refuses malformed names, as STS does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/source-identity-approver"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        }
    ],
}


@pytest.fixture(scope="module", autouse=True)
def role(aws: Callable[..., Any]) -> None:
    aws("iam").create_role(RoleName=ROLE.rsplit("/", 1)[-1], AssumeRolePolicyDocument=json.dumps(TRUST))


def test_source_identity_is_returned_and_kept(aws: Callable[..., Any]) -> None:
    sts = aws("sts")
    answer = sts.assume_role(RoleArn=ROLE, RoleSessionName="Jane.Doe", SourceIdentity="Jane.Doe")
    assert answer["SourceIdentity"] == "Jane.Doe"
    assert answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/source-identity-approver/Jane.Doe")


@pytest.mark.parametrize(
    ("field", "value"),
    [("SourceIdentity", "Jane Doe"), ("RoleSessionName", "Jane Doe"), ("SourceIdentity", "a/b")],
)
def test_malformed_names_are_refused(aws: Callable[..., Any], field: str, value: str) -> None:
    params = {"RoleArn": ROLE, "RoleSessionName": "Jane.Doe", "SourceIdentity": "Jane.Doe", field: value}
    with pytest.raises(ClientError) as excinfo:
        aws("sts").assume_role(**params)
    assert excinfo.value.response["Error"]["Code"] == "ValidationError"
