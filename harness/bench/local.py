"""The bench's platform: an emulator of its own on a free port, a trained model, endpoints of it."""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.bench.measure import model_server_ports
from harness.progress import Progress, null

REGION = "eu-central-1"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
IMAGE = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"
HYPERPARAMETERS = {
    "num_round": "60",
    "max_depth": "3",
    "eta": "0.2",
    "eval_metric": "logloss,auc",
    "seed": "1",
}
SINGLE = json.dumps({"features": [72, 1, 0.85]}).encode()
JSON = "application/json"
# The emulator takes account and region from the credential scope; it does not verify signatures.
SCOPE = (
    f"AWS4-HMAC-SHA256 Credential=testing/20250101/{REGION}/sagemaker/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


class LocalPlatform:
    """An emulator on a free port with a trained model; ``endpoint()`` creates endpoints of it."""

    def __init__(self, state_dir: Path, progress: Progress = null) -> None:
        from harness.emulator import control

        self.state_dir = state_dir
        self.progress = progress
        self.info = control.start(control.free_port(), state_dir=state_dir)
        self.clients: dict[str, Any] = {}
        self.artifact = ""
        self.model_bytes = b""

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = self.new_client(service)
        return self.clients[service]

    def new_client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": "path"},
            max_pool_connections=32,
        )
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.info.endpoint_url,
            verify=str(self.info.ca_bundle),
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    def train(self, work: Path) -> None:
        from harness.ml import artifacts, dataset

        s3, sm = self.client("s3"), self.client("sagemaker")
        bucket = f"bench-{uuid.uuid4().hex[:10]}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        key = self.client("kms").create_key(Description="bench")["KeyMetadata"]["Arn"]
        written = dataset.write_splits(work, rows=3000, seed=7)
        for split in ("train", "validation"):
            s3.upload_file(written[split].path, bucket, f"processed/{split}/{split}.csv")
        s3.upload_file(
            str(artifacts.build_sourcedir(work / "sourcedir.tar.gz")), bucket, "code/sourcedir.tar.gz"
        )

        from harness.workflow import training_channel, training_request

        job = f"bench-{uuid.uuid4().hex[:10]}"
        hp = dict(HYPERPARAMETERS)
        hp.update(artifacts.training_hyperparameters("/opt/ml/input/data/code/sourcedir.tar.gz"))
        sm.create_training_job(
            **training_request(
                job,
                role_arn=ROLE,
                image=IMAGE,
                hyperparameters=hp,
                channels=[
                    training_channel("train", f"s3://{bucket}/processed/train/", "text/csv"),
                    training_channel("validation", f"s3://{bucket}/processed/validation/", "text/csv"),
                    training_channel("code", f"s3://{bucket}/code/"),
                ],
                output_path=f"s3://{bucket}/models/",
                output_kms_key=key,
                network_isolation=True,
            )
        )
        from harness.target import wait

        described = wait(
            sm,
            "training_job_completed_or_stopped",
            what=f"training job {job}",
            timeout=300,
            delay=0.2,
            TrainingJobName=job,
        )
        if described["TrainingJobStatus"] != "Completed":
            raise RuntimeError(f"training job {job}: {described.get('FailureReason')}")
        self.artifact = described["ModelArtifacts"]["S3ModelArtifacts"]
        b, k = self.artifact[len("s3://") :].split("/", 1)
        blob = s3.get_object(Bucket=b, Key=k)["Body"].read()
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            member = tar.extractfile("xgboost-model")
            assert member is not None
            self.model_bytes = member.read()

    def create_endpoint(self, instances: int = 1, wait: bool = True) -> str:
        from harness.ml import artifacts

        sm = self.client("sagemaker")
        name = f"bench-{uuid.uuid4().hex[:8]}"
        sm.create_model(
            ModelName=name,
            ExecutionRoleArn=ROLE,
            PrimaryContainer={
                "Image": IMAGE,
                "ModelDataUrl": self.artifact,
                "Environment": artifacts.container_environment("/opt/ml/model/code"),
            },
        )
        sm.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": name,
                    "InitialInstanceCount": instances,
                    "InstanceType": "ml.m5.large",
                    "InitialVariantWeight": 1.0,
                }
            ],
        )
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
        if wait:
            self.wait_endpoint(name)
        return name

    def wait_endpoint(self, name: str, timeout: float = 120) -> None:
        from harness.target import wait

        described = wait(
            self.client("sagemaker"),
            "endpoint_in_service",
            what=f"endpoint {name}",
            timeout=timeout,
            delay=0.1,
            EndpointName=name,
        )
        if described["EndpointStatus"] != "InService":
            raise RuntimeError(
                f"endpoint {name} {described['EndpointStatus']}: {described.get('FailureReason')}"
            )

    def delete_endpoint(self, name: str, timeout: float = 30) -> None:
        sm = self.client("sagemaker")
        sm.delete_endpoint(EndpointName=name)
        sm.delete_endpoint_config(EndpointConfigName=name)
        sm.delete_model(ModelName=name)
        deadline = time.monotonic() + timeout
        while model_server_ports(name, self.info.pid) and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        from harness.emulator import control

        control.stop(self.state_dir)


@contextlib.contextmanager
def local_platform(progress: Progress) -> Iterator[tuple[LocalPlatform, Path]]:
    """A :class:`LocalPlatform` in a temporary folder, stopped and removed after the block."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        plat = LocalPlatform(Path(tmp) / "emulator", progress)
        try:
            yield plat, Path(tmp)
        finally:
            plat.stop()
