"""CreateProcessingJob really runs: inputs from S3, the entry point as a process, outputs with KMS, logs."""

from __future__ import annotations

import json
import os
import textwrap
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.target import wait

from .conftest import ROLE, wait_for

SCRIPT = textwrap.dedent(
    """
    import argparse, json, os, pathlib, sys, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode")
    parser.add_argument("--data")
    parser.add_argument("--out")
    args = parser.parse_args()
    print("mode", args.mode, "env", os.environ.get("GREETING"))
    if args.mode == "sleep":
        time.sleep(60)
    if args.mode == "fail":
        root = os.environ["ML_ROOT"]
        pathlib.Path(root, "output", "message").write_text("bad rows")
        sys.exit(3)
    rows = sum(1 for p in pathlib.Path(args.data).rglob("*.csv") for _ in p.open())
    out = pathlib.Path(args.out)
    (out / "sub").mkdir(parents=True, exist_ok=True)
    aws = [k for k in os.environ if k.startswith("AWS_")]
    omp = os.environ.get("OMP_NUM_THREADS")
    (out / "summary.json").write_text(json.dumps({"rows": rows, "aws": aws, "omp": omp}))
    (out / "sub" / "note.txt").write_text("nested")
    """
)


RESOURCES = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 1}}


def _job(
    sm: Any, bucket: str, kms_key: str, mode: str, *, max_runtime: int = 120, entrypoint: bool = True
) -> str:
    name = f"proc-{mode}-{uuid.uuid4().hex[:8]}"
    app: dict[str, Any] = {
        "ImageUri": "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "ContainerArguments": [
            "--mode", mode,
            "--data", "/opt/ml/processing/input/data",
            "--out", "/opt/ml/processing/output/summary",
        ],
    }  # fmt: skip
    if entrypoint:
        app["ContainerEntrypoint"] = ["python3", "/opt/ml/processing/input/code/job.py"]
    sm.create_processing_job(
        ProcessingJobName=name,
        RoleArn=ROLE,
        AppSpecification=app,
        Environment={"GREETING": "hello", "ML_ROOT": "/opt/ml/"},
        ProcessingInputs=[
            {
                "InputName": "code",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/proc/code/job.py",
                    "LocalPath": "/opt/ml/processing/input/code",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            },
            {
                "InputName": "data",
                "S3Input": {
                    "S3Uri": f"s3://{bucket}/proc/data/",
                    "LocalPath": "/opt/ml/processing/input/data",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                },
            },
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "summary",
                    "S3Output": {
                        "S3Uri": f"s3://{bucket}/proc/out/{name}",
                        "LocalPath": "/opt/ml/processing/output/summary",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ],
            "KmsKeyId": kms_key,
        },
        ProcessingResources={
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 30,
                "VolumeKmsKeyId": kms_key,
            }
        },
        NetworkConfig={
            "EnableInterContainerTrafficEncryption": True,
            "EnableNetworkIsolation": True,
            "VpcConfig": {"SecurityGroupIds": ["sg-12345678"], "Subnets": ["subnet-1234abcd"]},
        },
        StoppingCondition={"MaxRuntimeInSeconds": max_runtime},
    )
    return name


def _done(sm: Any, name: str, timeout: float = 60.0) -> dict[str, Any]:
    return wait(
        sm,
        "processing_job_completed_or_stopped",
        what=f"processing job {name}",
        timeout=timeout,
        delay=0.2,
        ProcessingJobName=name,
    )


@pytest.fixture(scope="module")
def staged(aws: Callable[..., Any], bucket: str) -> str:
    s3 = aws("s3")
    s3.put_object(Bucket=bucket, Key="proc/code/job.py", Body=SCRIPT.encode())
    s3.put_object(Bucket=bucket, Key="proc/data/a.csv", Body=b"1,2\n3,4\n")
    s3.put_object(Bucket=bucket, Key="proc/data/more/b.csv", Body=b"5,6\n")
    return bucket


def test_processing_job_runs_and_uploads_with_kms(aws: Callable[..., Any], staged: str, kms_key: str) -> None:
    sm = aws("sagemaker")
    name = _job(sm, staged, kms_key, "ok")
    assert sm.describe_processing_job(ProcessingJobName=name)["ProcessingJobStatus"] == "InProgress"
    described = _done(sm, name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["ProcessingStartTime"] <= described["ProcessingEndTime"]
    assert "FailureReason" not in described
    # network, KMS and resources are kept and described back
    assert described["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert described["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
    assert described["NetworkConfig"]["VpcConfig"]["Subnets"] == ["subnet-1234abcd"]
    assert described["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == kms_key
    assert described["ProcessingOutputConfig"]["KmsKeyId"] == kms_key
    assert described["Environment"]["GREETING"] == "hello"
    assert described["StoppingCondition"] == {"MaxRuntimeInSeconds": 120}

    s3 = aws("s3")
    key = f"proc/out/{name}/summary.json"
    head = s3.head_object(Bucket=staged, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert kms_key.split("/")[-1] in head["SSEKMSKeyId"]
    summary = json.loads(s3.get_object(Bucket=staged, Key=key)["Body"].read())
    # both CSV files, nested keys kept; no credentials handed in; one OpenMP thread unless the host sets it
    assert summary == {"rows": 3, "aws": [], "omp": os.environ.get("OMP_NUM_THREADS", "1")}
    assert s3.get_object(Bucket=staged, Key=f"proc/out/{name}/sub/note.txt")["Body"].read() == b"nested"

    logs = aws("logs")
    group = "/aws/sagemaker/ProcessingJobs"
    streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=name)
    assert streams["logStreams"][0]["logStreamName"].startswith(f"{name}/algo-1-")
    events = logs.filter_log_events(logGroupName=group, logStreamNamePrefix=name)
    assert any("mode ok env hello" in e["message"] for e in events["events"])
    listed = sm.list_processing_jobs(NameContains=name)["ProcessingJobSummaries"]
    assert [j["ProcessingJobStatus"] for j in listed] == ["Completed"]


def test_failing_entry_point_fails_with_reason_and_exit_message(
    aws: Callable[..., Any], staged: str, kms_key: str
) -> None:
    sm = aws("sagemaker")
    name = _job(sm, staged, kms_key, "fail")
    described = _done(sm, name)
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("AlgorithmError: ")
    assert "exit code 3" in described["FailureReason"]
    assert described["ExitMessage"] == "bad rows"
    with pytest.raises(ClientError):
        aws("s3").head_object(Bucket=staged, Key=f"proc/out/{name}/summary.json")  # nothing uploaded


def test_stop_and_max_runtime_stop_the_process(aws: Callable[..., Any], staged: str, kms_key: str) -> None:
    sm = aws("sagemaker")
    name = _job(sm, staged, kms_key, "sleep")
    wait_for(lambda: "mode sleep" in str(_events(aws, name)), timeout=30)
    sm.stop_processing_job(ProcessingJobName=name)
    status = sm.describe_processing_job(ProcessingJobName=name)["ProcessingJobStatus"]
    assert status in ("Stopping", "Stopped")
    assert _done(sm, name, timeout=15)["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(ClientError, match="status Stopped"):
        sm.stop_processing_job(ProcessingJobName=name)
    timed = _job(sm, staged, kms_key, "sleep", max_runtime=2)
    assert _done(sm, timed, timeout=20)["ProcessingJobStatus"] == "Stopped"


def _events(aws: Callable[..., Any], name: str) -> list[str]:
    try:
        found = aws("logs").filter_log_events(
            logGroupName="/aws/sagemaker/ProcessingJobs", logStreamNamePrefix=name
        )
    except ClientError:
        return []
    return [e["message"] for e in found["events"]]


def test_requests_sagemaker_rejects_or_fails(aws: Callable[..., Any], staged: str, kms_key: str) -> None:
    sm = aws("sagemaker")
    name = _job(sm, staged, kms_key, "ok")
    with pytest.raises(ClientError, match="already exists"):
        sm.create_processing_job(
            ProcessingJobName=name,
            RoleArn=ROLE,
            AppSpecification={"ImageUri": "x"},
            ProcessingResources=RESOURCES,
        )
    with pytest.raises(ClientError, match="under /opt/ml/processing"):
        sm.create_processing_job(
            ProcessingJobName=f"bad-{uuid.uuid4().hex[:6]}",
            RoleArn=ROLE,
            AppSpecification={"ImageUri": "x"},
            ProcessingInputs=[
                {
                    "InputName": "a",
                    "S3Input": {
                        "S3Uri": f"s3://{staged}/proc/data/",
                        "LocalPath": "/tmp/a",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
            ],
            ProcessingResources=RESOURCES,
        )
    no_entry = _job(sm, staged, kms_key, "ok", entrypoint=False)
    described = _done(sm, no_entry)
    assert described["ProcessingJobStatus"] == "Failed"
    assert "ContainerEntrypoint" in described["FailureReason"]
    _done(sm, name)
