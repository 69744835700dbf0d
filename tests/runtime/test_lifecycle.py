"""Stopping the emulator stops everything the runtime started (own emulator for this test)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from harness.emulator import control
from harness.ml import artifacts, dataset
from harness.ml import train as ml_train
from harness.target import wait

from .conftest import HYPERPARAMETERS, IMAGE, REGION, ROLE, create_training_job, group_processes, wait_for

pytestmark = pytest.mark.integration


def test_emulator_stop_leaves_no_child(tmp_path: Path) -> None:
    written = dataset.write_splits(tmp_path / "data", rows=600, seed=3)
    paths = ml_train.Paths.from_env(
        {
            "SM_CHANNEL_TRAIN": str(Path(written["train"].path).parent),
            "SM_MODEL_DIR": str(tmp_path / "model"),
            "SM_OUTPUT_DIR": str(tmp_path / "output"),
            "SM_INPUT_CONFIG_DIR": str(tmp_path / "config"),
        }
    )
    ml_train.train(paths, ml_train.parse_hyperparameters(HYPERPARAMETERS), out=lambda _line: None)
    artifact = artifacts.build_model_tar(tmp_path / "model", tmp_path / "model.tar.gz", include_code=True)
    sourcedir = artifacts.build_sourcedir(tmp_path / "sourcedir.tar.gz")

    state_dir = tmp_path / "state"
    info = control.start(control.free_port(), state_dir=state_dir)
    try:
        config = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
        kwargs = dict(
            region_name=REGION,
            endpoint_url=info.endpoint_url,
            verify=str(info.ca_bundle),
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )
        s3, sm = boto3.client("s3", **kwargs), boto3.client("sagemaker", **kwargs)
        bucket = f"b-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.upload_file(str(artifact), bucket, "m/model.tar.gz")
        s3.upload_file(written["train"].path, bucket, "d/train/train.csv")
        s3.upload_file(written["validation"].path, bucket, "d/validation/validation.csv")
        s3.upload_file(str(sourcedir), bucket, "code/sourcedir.tar.gz")
        sm.create_model(
            ModelName="m",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={
                "Image": IMAGE,
                "ModelDataUrl": f"s3://{bucket}/m/model.tar.gz",
                "Environment": artifacts.container_environment("/opt/ml/model/code"),
            },
        )
        sm.create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "InitialInstanceCount": 2,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
        described = wait(sm, "endpoint_in_service", what="endpoint", timeout=60, delay=0.2, EndpointName="e")
        assert described["EndpointStatus"] == "InService", described.get("FailureReason")
        answer = boto3.client("sagemaker-runtime", **kwargs).invoke_endpoint(
            EndpointName="e", Body=json.dumps({"features": [72, 1, 0.85]}), ContentType="application/json"
        )
        assert "risk_score" in json.loads(answer["Body"].read())
        slow = {**HYPERPARAMETERS, "num_round": "10000", "max_depth": "8", "eta": "0.01"}
        job = create_training_job(
            sm,
            bucket,
            "",
            f"s3://{bucket}/d/train/",
            f"s3://{bucket}/d/validation/",
            f"s3://{bucket}/code/",
            hyperparameters=slow,
        )
        wait_for(lambda: sm.describe_training_job(TrainingJobName=job)["SecondaryStatus"] == "Training", 20)
        time.sleep(0.5)
        children = {pid: cmd for pid, cmd in group_processes(info.pid).items() if pid != info.pid}
        assert sum("model_server.py" in cmd for cmd in children.values()) == 2
        assert any("train.py" in cmd for cmd in children.values())
    finally:
        control.stop(state_dir)
    assert group_processes(info.pid) == {}
