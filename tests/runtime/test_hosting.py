"""Endpoints really serve: InService, InvokeEndpoint (boto3 and AWS CLI), errors, logs, capture, health."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from harness.emulator import control
from harness.ml import artifacts
from harness.ml.schema import FEATURE_NAMES

from .conftest import IMAGE, ROLE, model_servers, wait_for

VENV_BIN = Path(sys.executable).parent


def create_endpoint(
    aws: Callable[..., Any], artifact: str, *, capture: dict[str, Any] | None = None, instances: int = 1
) -> str:
    sm = aws("sagemaker")
    name = f"ep-{uuid.uuid4().hex[:8]}"
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": IMAGE,
            "ModelDataUrl": artifact,
            "Environment": artifacts.container_environment("/opt/ml/model/code"),
        },
    )
    config: dict[str, Any] = {
        "EndpointConfigName": name,
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": instances,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }
        ],
    }
    if capture:
        config["DataCaptureConfig"] = capture
    sm.create_endpoint_config(**config)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


def wait_endpoint(sm: Any, name: str, timeout: float = 60) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        described = sm.describe_endpoint(EndpointName=name)
        return described if described["EndpointStatus"] not in ("Creating", "Updating") else None

    return wait_for(settled, timeout)


@pytest.fixture(scope="module")
def booster(aws: Callable[..., Any], trained: dict[str, Any]) -> xgb.Booster:
    uri = trained["described"]["ModelArtifacts"]["S3ModelArtifacts"]
    bucket, key = uri[len("s3://") :].split("/", 1)
    blob = aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        model = tar.extractfile("xgboost-model").read()  # type: ignore[union-attr]
    loaded = xgb.Booster()
    loaded.load_model(bytearray(model))
    return loaded


def expected(booster: xgb.Booster, rows: list[list[float]]) -> np.ndarray:
    return booster.predict(xgb.DMatrix(np.asarray(rows, dtype=np.float32), feature_names=list(FEATURE_NAMES)))


@pytest.fixture(scope="module")
def endpoint(aws: Callable[..., Any], trained: dict[str, Any], bucket: str, kms_key: str) -> dict[str, Any]:
    capture = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": f"s3://{bucket}/capture",
        "KmsKeyId": kms_key,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    started = time.monotonic()
    name = create_endpoint(aws, trained["described"]["ModelArtifacts"]["S3ModelArtifacts"], capture=capture)
    assert aws("sagemaker").describe_endpoint(EndpointName=name)["EndpointStatus"] == "Creating"
    described = wait_endpoint(aws("sagemaker"), name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    return {"name": name, "seconds": time.monotonic() - started}


def invoke(aws: Callable[..., Any], name: str, body: str | bytes, content_type: str, **kwargs: Any) -> Any:
    return aws("sagemaker-runtime").invoke_endpoint(
        EndpointName=name, Body=body, ContentType=content_type, **kwargs
    )


def test_invoke_single_subject_matches_xgboost(
    aws: Callable[..., Any], endpoint: dict[str, Any], booster: xgb.Booster
) -> None:
    runtime = aws("sagemaker-runtime")
    body = json.dumps({"features": [72, 1, 0.85]})
    runtime.invoke_endpoint(EndpointName=endpoint["name"], Body=body, ContentType="application/json")
    started = time.perf_counter()
    answer = runtime.invoke_endpoint(EndpointName=endpoint["name"], Body=body, ContentType="application/json")
    millis = (time.perf_counter() - started) * 1000
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["ContentType"] == "application/json"
    score = json.loads(answer["Body"].read())["risk_score"]
    assert score == pytest.approx(float(expected(booster, [[72, 1, 0.85]])[0]), abs=1e-7)
    assert 0.5 < score <= 1.0
    print(
        f"\nendpoint create {endpoint['seconds']:.1f} s; one invocation {millis:.1f} ms; "
        f"risk_score {score:.4f}"
    )


def test_invoke_batch_and_csv(
    aws: Callable[..., Any], endpoint: dict[str, Any], booster: xgb.Booster
) -> None:
    rows = [[72, 1, 0.85], [30, 0, 0.05], [55, 0, 0.4]]
    answer = invoke(aws, endpoint["name"], json.dumps({"instances": rows}), "application/json")
    scores = json.loads(answer["Body"].read())["risk_scores"]
    np.testing.assert_allclose(scores, expected(booster, rows), atol=1e-7)

    csv = "".join(",".join(str(v) for v in row) + "\n" for row in rows)
    answer = invoke(aws, endpoint["name"], csv, "text/csv", Accept="text/csv")
    assert answer["ContentType"] == "text/csv"
    np.testing.assert_allclose(
        [float(x) for x in answer["Body"].read().decode().split()], expected(booster, rows)
    )


@pytest.mark.parametrize(
    ("body", "content_type", "status", "fragment"),
    [
        ('{"features": [72, 1]}', "application/json", 400, "expected 3 features"),
        ("not json", "application/json", 400, "JSON"),
        ("72,1,0.85", "application/x-npy", 415, "unsupported content type"),
    ],
)
def test_bad_payload_is_model_error(
    aws: Callable[..., Any],
    endpoint: dict[str, Any],
    body: str,
    content_type: str,
    status: int,
    fragment: str,
) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(aws, endpoint["name"], body, content_type)
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["OriginalStatusCode"] == status
    assert fragment.lower() in error["OriginalMessage"].lower()
    assert fragment.lower() in error["Error"]["Message"].lower()
    assert error["LogStreamArn"].endswith(":log-stream:AllTraffic/" + error["LogStreamArn"].rsplit("/", 1)[1])
    # still serving
    answer = invoke(aws, endpoint["name"], json.dumps({"features": [40, 0, 0.1]}), "application/json")
    assert "risk_score" in json.loads(answer["Body"].read())


def test_validation_errors(aws: Callable[..., Any], endpoint: dict[str, Any]) -> None:
    body = json.dumps({"features": [72, 1, 0.85]})
    with pytest.raises(ClientError) as caught:
        invoke(aws, "no-such-endpoint", body, "application/json")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as caught:
        invoke(aws, endpoint["name"], body, "application/json", TargetVariant="Nope")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    answer = invoke(aws, endpoint["name"], body, "application/json", TargetVariant="AllTraffic")
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    with pytest.raises(ClientError) as caught:
        invoke(aws, endpoint["name"], b"0" * (6 * 1024 * 1024 + 1), "text/csv")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_invoke_with_aws_cli(
    emulator: control.EmulatorInfo, endpoint: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "output.json"
    env = {**os.environ, **control.env(emulator)}
    result = subprocess.run(
        [
            str(VENV_BIN / "aws"),
            "sagemaker-runtime",
            "invoke-endpoint",
            "--endpoint-name",
            endpoint["name"],
            "--content-type",
            "application/json",
            "--body",
            '{"features": [72, 1, 0.85]}',
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["InvokedProductionVariant"] == "AllTraffic"
    assert 0.5 < json.loads(out.read_text())["risk_score"] <= 1.0


def test_endpoint_logs_have_the_invocation(aws: Callable[..., Any], endpoint: dict[str, Any]) -> None:
    invoke(aws, endpoint["name"], json.dumps({"features": [72, 1, 0.85]}), "application/json")
    logs = aws("logs")
    group = f"/aws/sagemaker/Endpoints/{endpoint['name']}"

    def found() -> list[dict[str, Any]]:
        return logs.filter_log_events(logGroupName=group, filterPattern="invocations")["events"]

    events = wait_for(found, 10)
    assert all(e["logStreamName"].startswith("AllTraffic/i-") for e in events)
    text = "\n".join(e["message"] for e in logs.filter_log_events(logGroupName=group)["events"])
    assert "Loaded SAGEMAKER_PROGRAM inference.py" in text
    # the served code is the code in model.tar.gz, not the repository's
    assert "harness package from" in text and "/model/code/harness" in text


def test_data_capture_lands_in_s3_encrypted(
    aws: Callable[..., Any], endpoint: dict[str, Any], bucket: str, kms_key: str
) -> None:
    invoke(aws, endpoint["name"], json.dumps({"features": [61, 0, 0.3]}), "application/json")
    s3 = aws("s3")
    prefix = f"capture/{endpoint['name']}/AllTraffic/"

    def listed() -> list[dict[str, Any]]:
        return s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])

    objects = wait_for(listed, 10)
    key = objects[0]["Key"]
    assert key.endswith(".jsonl") and len(key[len(prefix) :].split("/")) == 5  # yyyy/mm/dd/hh/file
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms" and kms_key.split("/")[-1] in head["SSEKMSKeyId"]

    def mine() -> dict[str, Any] | None:
        for obj in listed():
            text = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            for line in text.splitlines():
                record = json.loads(line)
                if "[61, 0, 0.3]" in record["captureData"]["endpointInput"]["data"]:
                    return record
        return None

    record = wait_for(mine, 10)
    assert record["captureData"]["endpointInput"]["encoding"] == "JSON"
    assert record["captureData"]["endpointInput"]["mode"] == "INPUT"
    assert "risk_score" in record["captureData"]["endpointOutput"]["data"]
    assert record["eventVersion"] == "0" and record["eventMetadata"]["eventId"]


def test_dead_model_server_is_replaced(
    aws: Callable[..., Any], emulator: control.EmulatorInfo, endpoint: dict[str, Any]
) -> None:
    before = model_servers(emulator.pid, endpoint["name"])
    assert len(before) == 1
    os.kill(next(iter(before)), signal.SIGKILL)
    body = json.dumps({"features": [72, 1, 0.85]})

    def answers_again() -> bool:
        try:
            invoke(aws, endpoint["name"], body, "application/json")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ModelError"
            assert exc.response["OriginalStatusCode"] >= 500
            return False
        return True

    wait_for(answers_again, 30)
    after = model_servers(emulator.pid, endpoint["name"])
    assert len(after) == 1 and set(after) != set(before)
    assert aws("sagemaker").describe_endpoint(EndpointName=endpoint["name"])["EndpointStatus"] == "InService"


def test_missing_artifact_fails_the_endpoint(aws: Callable[..., Any], bucket: str) -> None:
    name = create_endpoint(aws, f"s3://{bucket}/models/none/output/model.tar.gz")
    described = wait_endpoint(aws("sagemaker"), name)
    assert described["EndpointStatus"] == "Failed"
    assert "Failed to download model data" in described["FailureReason"]
    with pytest.raises(ClientError) as caught:
        invoke(aws, name, "{}", "application/json")
    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_update_then_delete_endpoint_stops_processes(
    aws: Callable[..., Any], emulator: control.EmulatorInfo, trained: dict[str, Any]
) -> None:
    sm = aws("sagemaker")
    artifact = trained["described"]["ModelArtifacts"]["S3ModelArtifacts"]
    name = create_endpoint(aws, artifact)
    assert wait_endpoint(sm, name)["EndpointStatus"] == "InService"
    first = model_servers(emulator.pid, name)
    assert len(first) == 1

    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-2",
        ProductionVariants=[
            {
                "VariantName": "Blue",
                "ModelName": name,
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sm.update_endpoint(EndpointName=name, EndpointConfigName=f"{name}-2")
    described = wait_endpoint(sm, name)
    assert described["EndpointStatus"] == "InService" and described["EndpointConfigName"] == f"{name}-2"
    second = model_servers(emulator.pid, name)
    assert len(second) == 2 and not set(first) & set(second)
    variants = {invoke(aws, name, "72,1,0.85", "text/csv")["InvokedProductionVariant"] for _ in range(4)}
    assert variants == {"Blue"}

    sm.delete_endpoint(EndpointName=name)
    assert model_servers(emulator.pid, name) == {}
    with pytest.raises(ClientError) as caught:
        invoke(aws, name, "72,1,0.85", "text/csv")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
