"""Faults in the workflow on an applied platform: bad data, Ctrl-C in training, a missing model artifact."""

from __future__ import annotations

import json
import time
import uuid

import psutil
import pytest

from harness import workflow
from harness.ml import dataset
from harness.progress import Event, JobCreated
from tests.faults.conftest import TRACEBACK, World, assert_clear_failure

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _job_created(event: Event) -> bool:
    return isinstance(event, JobCreated) and event.kind == "training"


def _training_processes(world: World, job: str) -> list[str]:
    """Processes of the emulator's training runtime working on ``job`` (their cwd names the job)."""
    return [
        str(proc.pid)
        for proc in psutil.process_iter(["cwd", "status"])
        if proc.info["status"] != psutil.STATUS_ZOMBIE and job in (proc.info["cwd"] or "")
    ]


def test_corrupt_dataset_fails_training_naming_file_and_line(applied: World) -> None:
    data = applied.work / ".cache" / "data"
    dataset.write_splits(data, 5000, 42)
    train_csv = data / "train" / "train.csv"
    lines = train_csv.read_text().splitlines()
    fields = lines[6].split(",")
    fields[2] = "not-a-number"
    lines[6] = ",".join(fields)
    train_csv.write_text("\n".join(lines) + "\n")  # uploaded as is: the manifest only pins rows and seed
    try:
        run = applied.spawn("train")
        rc, err = run.finish(timeout=180), run.stderr
        assert_clear_failure(rc, err, "Failed", "train.csv", "line 7", "not-a-number")
        [created] = [e for e in run.events() if isinstance(e, JobCreated)]
        job = created.name
        desc = applied.target().client("sagemaker").describe_training_job(TrainingJobName=job)
        assert desc["TrainingJobStatus"] == "Failed"
        assert "train.csv" in desc["FailureReason"] and "line 7" in desc["FailureReason"]
    finally:
        for split in ("train", "validation", "test"):
            (data / split / f"{split}.csv").unlink(missing_ok=True)
        (data / "manifest.json").unlink(missing_ok=True)  # the next train regenerates clean data


def test_missing_dataset_fails_training_with_reason(applied: World) -> None:
    target = applied.target()
    outputs = applied.outputs()
    bucket = outputs["data_lake_bucket"]
    lines: list[str] = []
    code_uri, _ = workflow.upload_code(target, bucket, lines.append)
    name = f"faults-empty-{uuid.uuid4().hex[:8]}"
    request = workflow.training_job_request(name, outputs, code_uri, workflow.DEFAULT_HYPERPARAMETERS)
    empty = f"s3://{bucket}/processed/empty-{uuid.uuid4().hex[:8]}/"
    request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = empty
    target.client("sagemaker").create_training_job(**request)
    desc = workflow.wait_for_training(target, name, lines.append, timeout=120)
    assert desc["TrainingJobStatus"] == "Failed", desc
    reason = desc.get("FailureReason") or ""
    assert reason and ("train" in reason or empty in reason), reason


def test_ctrl_c_during_train_stops_the_job_and_exits_130(applied: World) -> None:
    run = applied.spawn("train")
    created = run.wait_for_event(_job_created, "a training job", timeout=120)
    assert isinstance(created, JobCreated)
    job = created.name
    run.interrupt()
    rc = run.finish(timeout=60)
    assert rc == 130, run.stderr[-4000:]
    assert TRACEBACK not in run.stderr and "interrupted" in run.stderr, run.stderr[-4000:]
    applied.no_processes_left()
    sm = applied.target().client("sagemaker")
    deadline = time.monotonic() + 120  # a bound for a loaded machine, not a performance criterion
    while (status := sm.describe_training_job(TrainingJobName=job)["TrainingJobStatus"]) not in (
        "Stopped",
        "Completed",
        "Failed",
    ) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status in ("Stopped", "Completed"), status  # Completed if it finished before the stop arrived
    deadline = time.monotonic() + 15
    while _training_processes(applied, job) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _training_processes(applied, job), "the training process outlived the interrupt"


def test_missing_model_artifact_fails_deploy_with_reason_then_converges(applied: World) -> None:
    out, _ = applied.must("train", timeout=240)
    # The artifact of the version deploy will serve: a retraining that gives the same model registers
    # nothing new, and that version's model data is then an earlier job's artifact.
    target = applied.target()
    package = target.client("sagemaker").describe_model_package(
        ModelPackageName=json.loads(out)["model_package_arn"]
    )
    artifact = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, key = artifact[5:].split("/", 1)
    s3 = target.client("s3")
    s3.delete_object(Bucket=bucket, Key=key)  # a delete marker: GetObject now answers 404

    rc, _, err = applied.harness("deploy", timeout=300)
    assert_clear_failure(rc, err, "Failed")
    assert "model.tar.gz" in err or key in err, err[-4000:]
    endpoint = applied.outputs().get("endpoint_name") or "gxp-ml-dropout-endpoint"
    desc = target.client("sagemaker").describe_endpoint(EndpointName=endpoint)
    assert desc["EndpointStatus"] == "Failed" and desc.get("FailureReason"), desc
    applied.no_processes_left()

    # A new model: train and deploy again converge (the failed endpoint is replaced).
    applied.must("train", timeout=240)
    _, err = applied.must("deploy", timeout=300)
    assert "InService" in err, err[-3000:]
