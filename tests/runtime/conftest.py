"""One emulator for the folder, a bucket with data and code, a KMS key, and a trained job."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import psutil
import pytest
from botocore.config import Config

# The same small job the benchmark trains on its own emulator.
from harness.bench.local import HYPERPARAMETERS, IMAGE, REGION, ROLE
from harness.emulator import control
from harness.ml import artifacts, dataset
from harness.ml.train import METRIC_DEFINITIONS
from harness.processes import group_members
from harness.target import wait
from harness.workflow import training_channel, training_request


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.EmulatorInfo]:
    state_dir: Path = tmp_path_factory.mktemp("runtime-emulator")
    info = control.start(control.free_port(), state_dir=state_dir)
    try:
        yield info
    finally:
        control.stop(state_dir)


@pytest.fixture(scope="session")
def aws(emulator: control.EmulatorInfo) -> Callable[..., Any]:
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"})

    def make(service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=emulator.endpoint_url,
            verify=str(emulator.ca_bundle),
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    return make


@pytest.fixture(scope="session")
def kms_key(aws: Callable[..., Any]) -> str:
    return aws("kms").create_key(Description="runtime tests")["KeyMetadata"]["Arn"]


@pytest.fixture(scope="session")
def bucket(aws: Callable[..., Any]) -> str:
    name = f"ml-{uuid.uuid4().hex[:10]}"
    aws("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@pytest.fixture(scope="session")
def data(tmp_path_factory: pytest.TempPathFactory, aws: Callable[..., Any], bucket: str) -> dict[str, Any]:
    """Synthetic splits and sourcedir.tar.gz in the bucket: ``{"dir", "train", "validation", "code"}``."""
    out = tmp_path_factory.mktemp("data")
    written = dataset.write_splits(out, rows=3000, seed=7)
    s3 = aws("s3")
    uris = {"dir": out}
    for name in ("train", "validation"):
        s3.upload_file(written[name].path, bucket, f"processed/ml/{name}/{name}.csv")
        uris[name] = f"s3://{bucket}/processed/ml/{name}/"
    sourcedir = artifacts.build_sourcedir(out / "sourcedir.tar.gz")
    s3.upload_file(str(sourcedir), bucket, "code/sourcedir.tar.gz")
    uris["code"] = f"s3://{bucket}/code/"
    return uris


def channel(name: str, uri: str, content_type: str | None = "text/csv") -> dict[str, Any]:
    return training_channel(name, uri, content_type)


def create_training_job(
    sm: Any,
    bucket: str,
    kms_key: str,
    train: str,
    validation: str,
    code: str,
    *,
    max_runtime: int = 600,
    hyperparameters: dict[str, str] | None = None,
) -> str:
    """A training job the way the harness creates it (network isolation: code as a channel)."""
    name = f"dropout-{uuid.uuid4().hex[:10]}"
    hp = dict(hyperparameters or HYPERPARAMETERS)
    hp.update(artifacts.training_hyperparameters("/opt/ml/input/data/code/sourcedir.tar.gz"))
    sm.create_training_job(
        **training_request(
            name,
            role_arn=ROLE,
            image=IMAGE,
            metric_definitions=[d for d in METRIC_DEFINITIONS if d["Name"] == "validation:auc"],
            hyperparameters=hp,
            channels=[
                channel("train", train),
                channel("validation", validation),
                channel("code", code, content_type=None),
            ],
            output_path=f"s3://{bucket}/models/",
            output_kms_key=kms_key,
            max_runtime=max_runtime,
            network_isolation=True,
            vpc={"SecurityGroupIds": ["sg-12345678"], "Subnets": ["subnet-1234abcd"]},
        )
    )
    return name


def wait_for(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s")
        time.sleep(interval)


def wait_training(sm: Any, name: str, timeout: float = 120.0) -> dict[str, Any]:
    """The job's description once it has ended (Completed, Stopped or Failed)."""
    return wait(
        sm,
        "training_job_completed_or_stopped",
        what=f"training job {name}",
        timeout=timeout,
        delay=0.2,
        TrainingJobName=name,
    )


@pytest.fixture(scope="session")
def trained(aws: Callable[..., Any], bucket: str, kms_key: str, data: dict[str, Any]) -> dict[str, Any]:
    """The completed training job: ``{"name", "described", "seconds"}``."""
    sm = aws("sagemaker")
    started = time.monotonic()
    name = create_training_job(sm, bucket, kms_key, data["train"], data["validation"], data["code"])
    described = wait_training(sm, name)
    return {"name": name, "described": described, "seconds": time.monotonic() - started}


def group_processes(pgid: int) -> dict[int, str]:
    """pid -> command line of every live process in a process group (the emulator's)."""
    found = {}
    for proc in group_members(pgid):
        with contextlib.suppress(psutil.Error):
            found[proc.pid] = " ".join(proc.cmdline())
    return found


def model_servers(pgid: int, endpoint: str) -> dict[int, str]:
    return {
        pid: cmd
        for pid, cmd in group_processes(pgid).items()
        if "model_server.py" in cmd and f"/endpoints/{endpoint}-" in cmd and pid != os.getpid()
    }
