"""Shared inputs for the validation tests: a results document like the plugin writes, a requirement set."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from harness.validation.requirements import Requirement, RequirementSet


def step(keyword: str, text: str, status: str, *, error: str | None = None, attachments: Any = ()) -> dict:
    started = "2025-11-28T10:00:00.000000Z" if status != "skipped" else None
    return {
        "keyword": keyword,
        "text": text,
        "line": 3,
        "status": status,
        "started": started,
        "finished": "2025-11-28T10:00:00.500000Z" if started else None,
        "duration": 0.5 if started else None,
        "error": error,
        "attachments": list(attachments),
    }


def scenario(name: str, stage: str, reqs: list[str], status: str, steps: list[dict], **extra: Any) -> dict:
    nodeid = f"features/{stage}/test_x.py::test_{name.replace(' ', '_')}"
    return {
        "id": f"test_{name.replace(' ', '_')}-0000",
        "nodeid": nodeid,
        "stage": stage,
        "feature": f"{stage.upper()} controls",
        "feature_file": f"features/{stage}/x.feature",
        "scenario": name,
        "line": 5,
        "example": {},
        "tags": reqs,
        "requirements": reqs,
        "status": status,
        "started": "2025-11-28T10:00:00.000000Z",
        "finished": "2025-11-28T10:00:01.000000Z",
        "duration": 1.0,
        "error": extra.get("error"),
        "steps": steps,
        "attachments": [],
    }


REQS = RequirementSet(
    (
        Requirement("URS_001", "Keys rotate.", "medium", "Governance & Security", ("CKV_AWS_7",)),
        Requirement("URS_002", "Buckets are private.", "high", "Data"),
        Requirement("URS_003", "Endpoint answers.", "medium", "Endpoint"),
        Requirement("URS_004", "Batch works.", "low", "Validation & Outputs"),
        Requirement("URS_005", "Logs kept.", "medium", "Governance & Security"),
    ),
    origin="features/requirements.yaml",
    sha256="0" * 64,
)

ATTACHMENT = {
    "name": "DescribeKey",
    "data": {"KeyMetadata": {"KeyId": "k-1", "KeyRotationEnabled": True}},
    "attached": "2025-11-28T10:00:00.100000Z",
    "sha256": "a" * 64,
    "media_type": "application/json",
}


@pytest.fixture
def requirements() -> RequirementSet:
    return REQS


@pytest.fixture
def results() -> dict[str, Any]:
    """URS_001 passed (IQ), URS_002 failed (IQ), URS_003 incomplete (OQ pass + skip), URS_004 uncovered,
    URS_005 passed; one untraced scenario."""
    scenarios = [
        scenario(
            "key rotation",
            "iq",
            ["URS_001", "URS_005"],
            "passed",
            [
                step("Given", "the data key", "passed", attachments=[ATTACHMENT]),
                step("Then", "rotation is enabled", "passed"),
            ],
        ),
        scenario(
            "bucket private",
            "iq",
            ["URS_002"],
            "failed",
            [
                step("Given", "the data bucket", "passed"),
                step(
                    "Then",
                    "public access is blocked",
                    "failed",
                    error="AssertionError: <BlockPublicAcls> off",
                ),
                step("And", "nothing else", "skipped"),
            ],
            error="AssertionError: <BlockPublicAcls> off",
        ),
        scenario("endpoint answers", "oq", ["URS_003"], "passed", [step("When", "I invoke", "passed")]),
        scenario(
            "endpoint later",
            "oq",
            ["URS_003"],
            "skipped",
            [step("When", "I invoke later", "skipped")],
            error="endpoint not deployed",
        ),
        scenario("untraced", "oq", [], "passed", [step("Then", "all good", "passed")]),
    ]
    return {
        "schema": "harness.validation/results/v1",
        "started": "2025-11-28T10:00:00.000000Z",
        "finished": "2025-11-28T10:00:09.000000Z",
        "pytest": "9.2.0",
        "pytest_bdd": "9.0.1",
        "requirements": REQS.to_dict(),
        "summary": {},
        "scenarios": scenarios,
    }


@contextlib.contextmanager
def moto_kms(region: str = "eu-central-1") -> Iterator[Any]:
    """An in-process moto with AWS's KMS Sign semantics (the emulator's fix) and test credentials,
    free of the emulator's environment: yields a KMS client for signing keys."""
    import boto3
    from moto import mock_aws

    from harness.emulator.patches import kms_sign

    kms_sign.apply()
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_S3_USE_PATH_STYLE"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", region)
        with mock_aws():
            yield boto3.client("kms", region_name=region)
