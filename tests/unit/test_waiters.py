"""``harness.target.wait``: boto3 waiters at the caller's delay, the last description, clear errors.

Against botocore's Stubber (no network): the waiter polls DescribeProcessingJob as on AWS.
"""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.stub import Stubber

from harness.errors import HarnessError
from harness.target import wait

JOB = "job-1"


def _client() -> tuple[object, Stubber]:
    client = boto3.client(
        "sagemaker", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return client, Stubber(client)


def _described(status: str, **extra: object) -> dict[str, object]:
    return {
        "ProcessingJobName": JOB,
        "ProcessingJobArn": f"arn:aws:sagemaker:eu-central-1:123456789012:processing-job/{JOB}",
        "ProcessingJobStatus": status,
        "CreationTime": "2026-12-01T00:00:00Z",
        "AppSpecification": {"ImageUri": "image"},
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}
        },
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        **extra,
    }


def test_returns_the_description_once_completed_polling_at_the_callers_delay() -> None:
    client, stub = _client()
    for status in ("InProgress", "InProgress", "Completed", "Completed"):
        stub.add_response("describe_processing_job", _described(status), {"ProcessingJobName": JOB})
    with stub:
        started = time.monotonic()
        described = wait(
            client,
            "processing_job_completed_or_stopped",
            what=f"processing job {JOB}",
            timeout=5,
            delay=0.05,
            ProcessingJobName=JOB,
        )
        assert time.monotonic() - started < 2  # not the waiter's default 60 s
    assert described["ProcessingJobStatus"] == "Completed"
    stub.assert_no_pending_responses()


def test_a_failed_job_is_returned_with_its_failure_reason() -> None:
    client, stub = _client()
    stub.add_response("describe_processing_job", _described("InProgress"), {"ProcessingJobName": JOB})
    stub.add_response(
        "describe_processing_job",
        _described("Failed", FailureReason="AlgorithmError: boom"),
        {"ProcessingJobName": JOB},
    )
    with stub:
        described = wait(
            client,
            "processing_job_completed_or_stopped",
            what="job",
            timeout=5,
            delay=0.01,
            ProcessingJobName=JOB,
        )
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"] == "AlgorithmError: boom"


def test_not_ending_in_time_names_the_job_and_its_status() -> None:
    client, stub = _client()
    for _ in range(6):
        stub.add_response("describe_processing_job", _described("InProgress"), {"ProcessingJobName": JOB})
    with (
        stub,
        pytest.raises(HarnessError, match=f"processing job {JOB} still InProgress after 0 s") as caught,
    ):
        wait(
            client,
            "processing_job_completed_or_stopped",
            what=f"processing job {JOB}",
            timeout=0.04,
            delay=0.01,
            ProcessingJobName=JOB,
        )
    assert caught.value.hint


def test_an_error_answer_is_a_harness_error_with_the_services_message() -> None:
    client, stub = _client()
    stub.add_client_error(
        "describe_processing_job",
        service_error_code="ValidationException",
        service_message=f"Could not find processing job {JOB}",
        expected_params={"ProcessingJobName": JOB},
    )
    with stub, pytest.raises(HarnessError, match=f"ValidationException: Could not find processing job {JOB}"):
        wait(
            client,
            "processing_job_completed_or_stopped",
            what="job",
            timeout=5,
            delay=0.01,
            ProcessingJobName=JOB,
        )
