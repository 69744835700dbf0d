"""One emulator for the signature tests: roles for each persona, an approvals key, a sealed package.

Everything is made through the emulator's AWS APIs (as Terraform would), so the tests exercise the
same STS, KMS and S3 calls as ``harness sign`` does against AWS.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import identity
from harness.emulator import control
from harness.target import Target
from harness.validation import package
from tests.buckets import create_locked_bucket

ACCOUNT = "123456789012"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            }
        ],
    }
)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.EmulatorInfo]:
    state_dir: Path = tmp_path_factory.mktemp("emulator-state")
    info = control.start(control.free_port(), state_dir=state_dir)
    try:
        yield info
    finally:
        control.stop(state_dir)


@pytest.fixture(scope="session")
def target(emulator: control.EmulatorInfo) -> Target:
    env = control.env(emulator)
    return Target("local", env["AWS_REGION"], env, endpoint_url=env["AWS_ENDPOINT_URL"], emulator=emulator)


@pytest.fixture(scope="session")
def platform(target: Target) -> dict[str, Any]:
    """The outputs ``harness sign`` reads from the platform, backed by real emulator resources."""
    iam, kms, s3 = target.client("iam"), target.client("kms"), target.client("s3")
    approvals = kms.create_key(KeySpec="RSA_3072", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    seal = kms.create_key(KeySpec="RSA_3072", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    bucket = "sig-evidence"
    group_arn = f"arn:aws:sagemaker:{target.region}:{ACCOUNT}:model-package*/sig-models*"
    # What a signer needs, no more: the approvals key, the evidence bucket, and (approver) the registry.
    signer = [
        {"Effect": "Allow", "Action": ["kms:Sign", "kms:GetPublicKey"], "Resource": approvals},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::{bucket}/*",
        },
        # ListModelPackages takes no resource (AWS authorises it on "*")
        {"Effect": "Allow", "Action": "sagemaker:ListModelPackages", "Resource": "*"},
    ]
    registry = ["sagemaker:DescribeModelPackage"]
    policies = {
        "sig-approver": [
            *signer,
            {"Effect": "Allow", "Action": [*registry, "sagemaker:UpdateModelPackage"], "Resource": group_arn},
        ],
        "sig-reviewer": [*signer, {"Effect": "Allow", "Action": registry, "Resource": group_arn}],
        "sig-data-scientist": [
            {"Effect": "Allow", "Action": [*registry, "sagemaker:CreateModelPackage"], "Resource": group_arn},
            {"Effect": "Allow", "Action": "sagemaker:ListModelPackages", "Resource": "*"},
        ],
    }
    roles = {}
    for name, statements in policies.items():
        roles[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=name,
            PolicyName="signer",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
    create_locked_bucket(s3, bucket, target.region, mode="GOVERNANCE")
    target.client("sagemaker").create_model_package_group(ModelPackageGroupName="sig-models")
    return {
        "approver_role_arn": roles["sig-approver"],
        "reviewer_role_arn": roles["sig-reviewer"],
        "data_scientist_role_arn": roles["sig-data-scientist"],
        "kms_key_arns": {"approvals": approvals, "signing": seal},
        "evidence_bucket": bucket,
        "model_package_group_name": "sig-models",
        "environment": "local",
    }


@pytest.fixture(scope="session")
def as_person(target: Target) -> Callable[[str, str], Target]:
    return lambda role_arn, person: identity.assume(target, role_arn, person, purpose="test")


@pytest.fixture
def make_package(target: Target, platform: dict[str, Any], tmp_path: Path) -> Callable[..., Path]:
    """A sealed (and by default archived) evidence package executed by the emulator's default identity."""

    def make(*, deviations: list[dict[str, Any]] | None = None, archive: bool = True) -> Path:
        run_dir = tmp_path / package.new_run_id()  # unique: archived copies share one bucket
        run_dir.mkdir()
        executor = identity.caller(target).to_dict()
        (run_dir / "report.json").write_text(
            json.dumps(
                {
                    "context": {"executor": executor, "finished": "2026-12-01T03:00:00Z"},
                    "deviations": deviations or [],
                }
            )
        )
        (run_dir / "results.json").write_text('{"scenarios": []}')
        package.sign_package(
            run_dir, kms_client=target.client("kms"), key_id=platform["kms_key_arns"]["signing"]
        )
        if archive:
            package.archive(run_dir, platform["evidence_bucket"], "evidence", target.client("s3"))
        return run_dir

    return make


@pytest.fixture
def copy_tree() -> Callable[[Path, Path], Path]:
    def copy(src: Path, dest: Path) -> Path:
        shutil.copytree(src, dest)
        return dest

    return copy
