"""A target makes each boto3 client once and reuses it; other credentials or settings get their own."""

from __future__ import annotations

import dataclasses

from harness import target as targets

SESSION = {"AccessKeyId": "ASIAVALIDATION", "SecretAccessKey": "secret", "SessionToken": "token"}


def _target() -> targets.Target:
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return targets.Target("local", "eu-central-1", env, endpoint_url="https://127.0.0.1:1")


def test_a_service_client_is_made_once_per_target_and_settings() -> None:
    target = _target()
    s3 = target.client("s3")
    assert target.client("s3") is s3
    assert target.client("kms") is not s3
    other = target.client("s3", endpoint_url="https://127.0.0.1:2", verify=False)
    assert other is not s3 and other.meta.endpoint_url == "https://127.0.0.1:2"
    assert target.client("s3", verify=False, endpoint_url="https://127.0.0.1:2") is other


def test_a_fresh_client_is_never_shared() -> None:
    target = _target()
    shared = target.client("sagemaker-runtime")
    fresh = target.client("sagemaker-runtime", fresh=True)
    assert fresh is not shared and fresh is not target.client("sagemaker-runtime", fresh=True)
    assert target.client("sagemaker-runtime") is shared


def test_a_target_with_other_credentials_never_gets_the_first_ones_clients() -> None:
    target = _target()
    own = target.client("sts")
    assumed = target.with_session(SESSION, "qualification")
    theirs = assumed.client("sts")
    assert theirs is not own
    assert theirs._request_signer._credentials.access_key == "ASIAVALIDATION"
    assert own._request_signer._credentials.access_key == "testing"
    assert assumed.client("sts") is theirs and target.client("sts") is own


def test_a_copy_of_a_target_starts_without_clients_and_compares_equal() -> None:
    target = _target()
    s3 = target.client("s3")
    copy = dataclasses.replace(target)
    assert copy == target
    assert copy.client("s3") is not s3
