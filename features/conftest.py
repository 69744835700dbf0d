"""Fixtures and the shared step vocabulary of the IQ/OQ suites.

The suites run against whatever target the environment selects (``TARGET``, default ``local``; the
emulator's state folder follows ``HARNESS_WORK_DIR``). Terraform outputs are read once, only to
*locate* resources (names and ARNs); every assertion reads the live resource through boto3 and
attaches what it compared with ``evidence.attach``. There is no per-target branch anywhere.

Run them with::

    .venv/bin/python -m pytest -p harness.validation.pytest_plugin --strict-markers \\
        --evidence-dir DIR features/iq features/oq
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from pytest_bdd import given, parsers, then

from features.support import BUCKETS, KEY_PURPOSES, Clients, trim
from harness import target as targets
from harness.platform import Layout, Platform, layout_from_env


@pytest.fixture(scope="session")
def layout() -> Layout:
    return layout_from_env()


@pytest.fixture(scope="session")
def target(layout: Layout) -> targets.Target:
    name = targets.target_name(os.environ)
    return targets.resolve(name, state_dir=layout.emulator_dir, environ=os.environ)


@pytest.fixture(scope="session")
def platform(target: targets.Target, layout: Layout) -> Platform:
    return Platform(target, layout=layout)


@pytest.fixture(scope="session")
def outputs(platform: Platform) -> dict[str, Any]:
    """Terraform outputs: names and ARNs that locate resources (nothing is asserted on them)."""
    values = platform.outputs()
    if not values.get("data_lake_bucket"):
        pytest.fail(f"the platform is not applied on target {platform.target.name}: run `make apply` first")
    return values


@pytest.fixture(scope="session")
def aws(target: targets.Target) -> Clients:
    return Clients(target)


@pytest.fixture(scope="session")
def key_arn_for(outputs: dict[str, Any]) -> Callable[[str], str]:
    """The ARN of the platform key for a purpose in plain words ("data at rest")."""

    def lookup(purpose: str) -> str:
        assert purpose in KEY_PURPOSES, f"unknown key purpose {purpose!r}; known: {sorted(KEY_PURPOSES)}"
        return outputs["kms_key_arns"][KEY_PURPOSES[purpose]]

    return lookup


@pytest.fixture(scope="session")
def key_matches(aws: Clients) -> Callable[[str | None, str], dict[str, Any]]:
    """Compare a key reference as a service reports it (id, ARN or alias) with a platform key, live.

    Returns what was compared; asserts that both resolve (DescribeKey) to the same key ARN.
    """

    def compare(reported: str | None, expected_arn: str) -> dict[str, Any]:
        assert reported, "no KMS key is configured"
        seen = aws("kms").describe_key(KeyId=reported)["KeyMetadata"]
        wanted = aws("kms").describe_key(KeyId=expected_arn)["KeyMetadata"]
        compared = {
            "reported": reported,
            "reported_resolves_to": seen["Arn"],
            "expected": wanted["Arn"],
            "key_manager": seen["KeyManager"],
        }
        assert seen["Arn"] == wanted["Arn"], compared
        assert seen["KeyManager"] == "CUSTOMER", compared
        return compared

    return compare


# -- shared steps ----------------------------------------------------------------------------------


@given(parsers.parse("the KMS key for {purpose}"), target_fixture="kms_key")
def the_kms_key(purpose: str, key_arn_for: Callable[[str], str], aws: Clients) -> dict[str, Any]:
    arn = key_arn_for(purpose)
    return {"purpose": purpose, "arn": arn, "metadata": aws("kms").describe_key(KeyId=arn)["KeyMetadata"]}


@given(parsers.parse("the {name} bucket"), target_fixture="bucket")
def the_bucket(name: str, outputs: dict[str, Any], aws: Clients) -> str:
    assert name in BUCKETS, f"unknown bucket {name!r}; known: {sorted(BUCKETS)}"
    bucket = outputs[BUCKETS[name]]
    aws("s3").head_bucket(Bucket=bucket)
    return bucket


@given("the SageMaker endpoint", target_fixture="endpoint")
def the_endpoint(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    name = outputs.get("endpoint_name")
    assert name, "no endpoint is deployed: run `make train deploy` first"
    return aws("sagemaker").describe_endpoint(EndpointName=name)


@then("the endpoint is InService")
def endpoint_in_service(endpoint: dict[str, Any], aws: Clients, evidence: Any) -> None:
    live = aws("sagemaker").describe_endpoint(EndpointName=endpoint["EndpointName"])
    evidence.attach("DescribeEndpoint", trim(live))
    assert live["EndpointStatus"] == "InService", live.get("FailureReason")
