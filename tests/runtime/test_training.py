"""CreateTrainingJob really trains: Completed / Failed / Stopped, artifact, metrics, logs."""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Callable
from typing import Any

import numpy as np
import xgboost as xgb

from harness.ml import train as ml_train
from harness.ml.schema import FEATURE_NAMES

from .conftest import HYPERPARAMETERS, create_training_job, wait_for, wait_training


def _artifact(aws: Callable[..., Any], uri: str) -> tuple[dict[str, Any], bytes]:
    bucket, key = uri[len("s3://") :].split("/", 1)
    head = aws("s3").head_object(Bucket=bucket, Key=key)
    return head, aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def test_training_job_completes_with_artifact_metrics_and_kms(
    aws: Callable[..., Any],
    trained: dict[str, Any],
    kms_key: str,
    bucket: str,
    data: dict[str, Any],
    tmp_path: Any,
) -> None:
    described = trained["described"]
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["SecondaryStatus"] == "Completed"
    statuses = [t["Status"] for t in described["SecondaryStatusTransitions"]]
    assert statuses == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert described["TrainingStartTime"] <= described["TrainingEndTime"]
    assert described["AlgorithmSpecification"]["MetricDefinitions"][0]["Name"] == "validation:auc"
    metrics = {m["MetricName"]: m["Value"] for m in described["FinalMetricDataList"]}
    assert set(metrics) == {"validation:auc"}
    assert 0.75 < metrics["validation:auc"] < 0.9
    uri = described["ModelArtifacts"]["S3ModelArtifacts"]
    assert uri == f"s3://{bucket}/models/{trained['name']}/output/model.tar.gz"

    head, blob = _artifact(aws, uri)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert kms_key.split("/")[-1] in head["SSEKMSKeyId"]
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        names = set(tar.getnames())
        model_bytes = tar.extractfile("xgboost-model").read()  # type: ignore[union-attr]
    assert {"xgboost-model", "metrics.json", "code/inference.py", "code/harness/ml/inference.py"} <= names

    booster = xgb.Booster()
    booster.load_model(bytearray(model_bytes))
    # the same training in-process scores the same
    paths = ml_train.Paths.from_env(
        {
            "SM_CHANNEL_TRAIN": str(data["dir"] / "train"),
            "SM_CHANNEL_VALIDATION": str(data["dir"] / "validation"),
            "SM_MODEL_DIR": str(tmp_path / "model"),
            "SM_OUTPUT_DIR": str(tmp_path / "output"),
            "SM_INPUT_CONFIG_DIR": str(tmp_path / "config"),
        }
    )
    local = ml_train.train(paths, ml_train.parse_hyperparameters(HYPERPARAMETERS), out=lambda _line: None)
    test_x = ml_train.read_channel("test", data["dir"] / "test").x
    matrix = xgb.DMatrix(test_x, feature_names=list(FEATURE_NAMES))
    np.testing.assert_allclose(booster.predict(matrix), local.booster.predict(matrix), rtol=1e-6)
    print(
        f"\ntraining job {trained['name']}: {trained['seconds']:.1f} s, "
        f"validation:auc {metrics['validation:auc']}"
    )


def test_training_logs_in_cloudwatch(aws: Callable[..., Any], trained: dict[str, Any]) -> None:
    logs = aws("logs")
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=trained["name"]
    )["logStreams"]
    assert len(streams) == 1
    assert re.fullmatch(rf"{trained['name']}/algo-1-\d{{10}}", streams[0]["logStreamName"])
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs",
        logStreamName=streams[0]["logStreamName"],
        startFromHead=True,
    )["events"]
    text = "\n".join(e["message"] for e in events)
    assert "#011validation-auc:" in text
    assert "Script mode: inference code copied to" in text


def test_corrupt_dataset_fails_with_reason(
    aws: Callable[..., Any], bucket: str, kms_key: str, data: dict[str, Any]
) -> None:
    s3 = aws("s3")
    s3.put_object(Bucket=bucket, Key="corrupt/train/train.csv", Body=b"1,72,1,0.85\n0,abc,0,0.1\n")
    sm = aws("sagemaker")
    name = create_training_job(
        sm, bucket, kms_key, f"s3://{bucket}/corrupt/train/", data["validation"], data["code"]
    )
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "InProgress"
    described = wait_training(sm, name)
    assert described["TrainingJobStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason.startswith("ClientError:") and "train.csv line 2" in reason and "non-numeric" in reason
    assert len(reason) <= 1024
    assert "ModelArtifacts" not in described


def test_missing_channel_data_fails(
    aws: Callable[..., Any], bucket: str, kms_key: str, data: dict[str, Any]
) -> None:
    sm = aws("sagemaker")
    name = create_training_job(
        sm, bucket, kms_key, f"s3://{bucket}/nothing/", data["validation"], data["code"]
    )
    described = wait_training(sm, name)
    assert described["TrainingJobStatus"] == "Failed"
    assert "No S3 objects found under S3 URL" in described["FailureReason"]


def test_max_runtime_exceeded_stops_the_job(
    aws: Callable[..., Any], bucket: str, kms_key: str, data: dict[str, Any]
) -> None:
    sm = aws("sagemaker")
    slow = {**HYPERPARAMETERS, "num_round": "10000", "max_depth": "8", "eta": "0.01"}
    name = create_training_job(
        sm,
        bucket,
        kms_key,
        data["train"],
        data["validation"],
        data["code"],
        max_runtime=2,
        hyperparameters=slow,
    )
    described = wait_training(sm, name, timeout=30)
    assert described["TrainingJobStatus"] == "Stopped"
    assert described["SecondaryStatus"] == "MaxRuntimeExceeded"
    assert (described["TrainingEndTime"] - described["TrainingStartTime"]).total_seconds() < 10


def test_stop_training_job(aws: Callable[..., Any], bucket: str, kms_key: str, data: dict[str, Any]) -> None:
    sm = aws("sagemaker")
    slow = {**HYPERPARAMETERS, "num_round": "10000", "max_depth": "8", "eta": "0.01"}
    name = create_training_job(
        sm, bucket, kms_key, data["train"], data["validation"], data["code"], hyperparameters=slow
    )
    wait_for(lambda: sm.describe_training_job(TrainingJobName=name)["SecondaryStatus"] == "Training", 20)
    sm.stop_training_job(TrainingJobName=name)
    described = wait_training(sm, name, timeout=30)
    assert described["TrainingJobStatus"] == "Stopped"
    assert described["SecondaryStatus"] == "Stopped"
