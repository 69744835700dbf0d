"""The README's walkthrough of the seed's steps 1 to 5 runs as written, with AWS CLI v1, on an emulator.

The platform's data lake and execution role are stood in for by a bucket with the same guard rails
(SSE-KMS by default, TLS only) and a role made here, so the test needs no Terraform apply; the block
itself is read from README.md, so the documented commands are the ones that run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from harness.emulator import control

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-central-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def walkthrough_block() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(
        r"<!-- seed-walkthrough:begin -->\n```sh\n(.*?)```\n<!-- seed-walkthrough:end -->", text, re.S
    )
    assert match, "README.md has no seed walkthrough block"
    return match.group(1)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.EmulatorInfo]:
    state_dir = tmp_path_factory.mktemp("seed-emulator")
    info = control.start(control.free_port(), state_dir=state_dir)
    try:
        yield info
    finally:
        control.stop(state_dir)


def test_seed_steps_1_to_5_as_written(emulator: control.EmulatorInfo, tmp_path: Path) -> None:
    env = {**os.environ, **control.env(emulator, REGION)}
    config = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})

    def client(service: str) -> Any:
        return boto3.client(
            service,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
            endpoint_url=emulator.endpoint_url,
            verify=str(emulator.ca_bundle),
            config=config,
        )

    key = client("kms").create_key(Description="data lake")["KeyMetadata"]["Arn"]
    lake = f"gxp-ml-data-lake-{uuid.uuid4().hex[:8]}"
    s3 = client("s3")
    s3.create_bucket(Bucket=lake, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_encryption(
        Bucket=lake,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}
            ]
        },
    )
    s3.put_bucket_policy(
        Bucket=lake,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{lake}", f"arn:aws:s3:::{lake}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        ),
    )
    role = client("iam").create_role(
        RoleName="gxp-ml-sagemaker-execution", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    env.update(
        {
            "LAKE": lake,
            "ROLE": role["Role"]["Arn"],
            "PATH": f"{Path(sys.executable).parent}:{env['PATH']}",
            "PYTHONPATH": str(ROOT),
        }
    )
    run = subprocess.run(
        ["bash", "-c", walkthrough_block()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    transcript = run.stdout + run.stderr
    (tmp_path / "transcript.txt").write_text(transcript)

    sm = client("sagemaker")
    job = sm.describe_training_job(TrainingJobName="dropout-model-train")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert (
        job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{lake}/processed/ml/train/"
    )
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == (
        f"s3://{lake}/models/dropout_xgb/dropout-model-train/output/model.tar.gz"
    )
    assert (
        client("iam")
        .get_role(RoleName="SageMakerExecutionRole")["Role"]["Arn"]
        .endswith(":role/SageMakerExecutionRole")
    )
    assert sm.describe_endpoint(EndpointName="dropout-inference")["EndpointStatus"] == "InService"
    # step 5 as written: the algorithm container refuses JSON rows with 415, relayed as ModelError
    assert "ModelError" in transcript and "(415)" in transcript, transcript
    assert "application/json is not an accepted ContentType" in transcript
    assert not (tmp_path / "output.json").exists()
    score = float((tmp_path / "output.csv").read_text())
    assert 0.0 < score < 1.0, transcript
