"""The XGBoost image without a script trains and serves as the algorithm container does."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.emulator.runtime import xgboost_algorithm
from harness.target import wait
from harness.workflow import training_request

from .conftest import REGION, ROLE, channel, wait_training

SEED_IMAGE = "382416733822.dkr.ecr.eu-central-1.amazonaws.com/xgboost:1.3-1"
REGIONAL_IMAGE = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def _train(
    aws: Callable[..., Any],
    bucket: str,
    channels: list[dict[str, Any]],
    hyperparameters: dict[str, str] | None,
    image: str = SEED_IMAGE,
) -> dict[str, Any]:
    sm = aws("sagemaker")
    name = f"algo-{uuid.uuid4().hex[:10]}"
    request = training_request(
        name,
        role_arn=ROLE,
        image=image,
        channels=channels,
        output_path=f"s3://{bucket}/algorithm/",
        hyperparameters=hyperparameters,
    )
    sm.create_training_job(**request)
    return wait_training(sm, name)


@pytest.fixture(scope="module")
def algorithm_job(aws: Callable[..., Any], bucket: str, data: dict[str, Any]) -> dict[str, Any]:
    return _train(
        aws,
        bucket,
        [channel("train", data["train"], "csv"), channel("validation", data["validation"], "text/csv")],
        {
            "num_round": "200",
            "objective": "binary:logistic",
            "eta": "0.2",
            "max_depth": "3",
            "subsample": "0.9",
            "eval_metric": "logloss,auc",
            "early_stopping_rounds": "5",
            "seed": "1",
        },
    )


def test_algorithm_mode_trains_with_its_metrics_and_early_stopping(
    aws: Callable[..., Any], algorithm_job: dict[str, Any]
) -> None:
    described = algorithm_job
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    names = [d["Name"] for d in described["AlgorithmSpecification"]["MetricDefinitions"]]
    assert "validation:auc" in names and "validation:logloss" in names
    metrics = {m["MetricName"]: m["Value"] for m in described["FinalMetricDataList"]}
    assert set(metrics) == {"validation:auc", "validation:logloss"}
    assert 0.75 < metrics["validation:auc"] < 0.95
    uri = described["ModelArtifacts"]["S3ModelArtifacts"]
    bucket, key = uri[len("s3://") :].split("/", 1)
    blob = aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        assert tar.getnames() == ["xgboost-model"]
    logs = aws("logs")
    stream = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=described["TrainingJobName"]
    )["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream)["events"]
    text = "\n".join(e["message"] for e in events)
    assert "Running XGBoost Sagemaker in algorithm mode" in text
    rounds = [line for line in text.splitlines() if line.startswith("[") and "validation-auc:" in line]
    assert 5 < len(rounds) < 200  # early stopping ended it before num_round


@pytest.mark.parametrize(
    ("hyperparameters", "expected"),
    [
        ({"objective": "binary:logistic"}, "Missing required hyperparameter: num_round"),
        (None, "Missing required hyperparameter: num_round"),
        ({"num_round": "10", "subsample": "0"}, "Hyperparameter subsample: 0.0 is not in (0, 1]"),
        ({"num_round": "10", "n_estimators": "5"}, "Extraneous hyperparameter found: n_estimators"),
        ({"num_round": "ten"}, "Hyperparameter num_round: could not parse value (caused by ValueError)"),
    ],
)
def test_algorithm_mode_fails_as_the_algorithm_does(
    aws: Callable[..., Any],
    bucket: str,
    data: dict[str, Any],
    hyperparameters: dict[str, str] | None,
    expected: str,
) -> None:
    described = _train(aws, bucket, [channel("train", data["train"], "csv")], hyperparameters)
    assert described["TrainingJobStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason.startswith("AlgorithmError: framework error: \n"), reason
    assert reason.rstrip().endswith(expected), reason
    assert "ModelArtifacts" not in described or not described["ModelArtifacts"].get("S3ModelArtifacts")


def test_algorithm_mode_rejects_a_content_type_it_does_not_read(
    aws: Callable[..., Any], bucket: str, data: dict[str, Any]
) -> None:
    described = _train(aws, bucket, [channel("train", data["train"], "application/json")], {"num_round": "5"})
    assert described["TrainingJobStatus"] == "Failed"
    assert "Channel configuration for 'train' channel is not supported" in described["FailureReason"]


def test_libsvm_channel_on_the_regional_image(
    aws: Callable[..., Any], bucket: str, data: dict[str, Any], tmp_path: Any
) -> None:
    rows = (data["dir"] / "train" / "train.csv").read_text().splitlines()[:400]
    libsvm = "".join(
        f"{r.split(',')[0]} " + " ".join(f"{i}:{v}" for i, v in enumerate(r.split(",")[1:])) + "\n"
        for r in rows
    )
    aws("s3").put_object(Bucket=bucket, Key="libsvm/train/part-0", Body=libsvm.encode())
    described = _train(
        aws,
        bucket,
        [channel("train", f"s3://{bucket}/libsvm/train/", None)],  # libsvm is the default content type
        {"num_round": "5", "objective": "binary:logistic"},
        image=REGIONAL_IMAGE,
    )
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")


@pytest.fixture(scope="module")
def algorithm_endpoint(aws: Callable[..., Any], algorithm_job: dict[str, Any]) -> str:
    sm = aws("sagemaker")
    name = f"algo-ep-{uuid.uuid4().hex[:8]}"
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": SEED_IMAGE,
            "ModelDataUrl": algorithm_job["ModelArtifacts"]["S3ModelArtifacts"],
        },
    )
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = wait(
        sm, "endpoint_in_service", what=f"endpoint {name}", timeout=60, delay=0.2, EndpointName=name
    )
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    yield name
    sm.delete_endpoint(EndpointName=name)


def test_algorithm_endpoint_serves_its_formats(aws: Callable[..., Any], algorithm_endpoint: str) -> None:
    runtime = aws("sagemaker-runtime")

    def invoke(body: str, content_type: str, accept: str | None = None) -> tuple[str, str]:
        extra = {"Accept": accept} if accept else {}
        answer = runtime.invoke_endpoint(
            EndpointName=algorithm_endpoint, Body=body.encode(), ContentType=content_type, **extra
        )
        return answer["Body"].read().decode(), answer["ContentType"]

    text, content_type = invoke("72,1,0.85\n30,0,0.05", "text/csv")
    scores = [float(line) for line in text.splitlines()]
    assert content_type == "text/csv" and len(scores) == 2 and scores[0] > scores[1]
    assert all(0.0 <= s <= 1.0 for s in scores)
    libsvm, _ = invoke("0:72 1:1 2:0.85", "text/libsvm")
    assert abs(float(libsvm) - scores[0]) < 1e-6
    as_json, json_type = invoke("72,1,0.85", "text/csv", "application/json")
    assert json_type == "application/json"
    assert json.loads(as_json) == {"predictions": [{"score": pytest.approx(scores[0], abs=1e-6)}]}
    with pytest.raises(ClientError) as refused:
        invoke('{"features": [72, 1, 0.85]}', "application/json")
    error = refused.value.response["Error"]
    assert error["Code"] == "ModelError" and refused.value.response["OriginalStatusCode"] == 415
    assert "application/json is not an accepted ContentType" in error["Message"]
    with pytest.raises(ClientError) as not_acceptable:
        invoke("72,1,0.85", "text/csv", "application/xml")
    assert not_acceptable.value.response["OriginalStatusCode"] == 406


def test_image_recognition() -> None:
    assert (
        xgboost_algorithm.image_version("382416733822.dkr.ecr.eu-central-1.amazonaws.com/xgboost:1.3-1")
        == "1.3-1"
    )
    assert (
        xgboost_algorithm.image_version(
            f"492215442770.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1"
        )
        == "1.7-1"
    )
    assert xgboost_algorithm.image_version("123.dkr.ecr.eu-central-1.amazonaws.com/linear-learner:1") is None
    with pytest.raises(KeyError):  # the container fails this way when eval_metric comes without objective
        xgboost_algorithm.validate_hyperparameters({"num_round": "1", "eval_metric": "auc"})
