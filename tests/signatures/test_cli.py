"""``harness sign`` and ``harness model approve`` through the CLI's one error -> exit-code place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import cli
from harness.errors import ExitStatus
from harness.provisioning import Layout
from harness.target import Target


@pytest.fixture
def run_cli(
    target: Target, platform: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., tuple[int, str, str]]:
    """The CLI aimed at the test emulator, with the platform's outputs served from the fixture."""
    monkeypatch.setattr(cli.Platform, "outputs", lambda _self: platform)

    def run(*argv: str) -> tuple[int, str, str]:
        done = cli.run(argv, environ={}, layout=Layout(work=tmp_path), resolve=lambda *_a, **_k: target)
        return done.status, done.stdout, done.stderr

    return run


def test_sign_then_verify(
    run_cli: Callable[..., tuple[int, str, str]], make_package: Any, platform: dict
) -> None:
    folder = make_package()
    rc, out, err = run_cli(
        "sign",
        str(folder),
        "--meaning",
        "reviewed",
        "--name",
        "Rita Reviewer",
        "--role-arn",
        platform["reviewer_role_arn"],
        "--reason",
        "read every deviation",
    )
    assert rc == 0, err
    assert out.startswith("signed: Rita Reviewer - reviewed - ")
    assert f"s3://sig-evidence/evidence/{folder.name}/approvals/" in out
    rc, out, err = run_cli("report", "verify", str(folder))
    assert rc == 0 and "reviewed by Rita Reviewer" in out


def test_executor_refused_names_the_rule(
    run_cli: Callable[..., tuple[int, str, str]], make_package: Any
) -> None:
    folder = make_package()
    rc, _, err = run_cli("sign", str(folder), "--meaning", "approved", "--name", "Eve Executor")
    assert rc == int(ExitStatus.ERROR)
    assert err.startswith("error: refused by rule SOD-1")
    assert "Traceback" not in err and not (folder / "approvals").exists()


def test_bad_name_is_a_usage_error(run_cli: Callable[..., tuple[int, str, str]], make_package: Any) -> None:
    rc, _, err = run_cli("sign", "nowhere", "--meaning", "reviewed", "--name", "?")
    assert rc == int(ExitStatus.USAGE) and "printed name" in err


def test_model_approve_defaults_to_the_approver_role(
    run_cli: Callable[..., tuple[int, str, str]], target: Target, platform: dict[str, Any]
) -> None:
    from harness import identity, modelapproval
    from tests.signatures.test_model_approval import ARTIFACT_SHA

    sm = target.client("sagemaker")
    arn = sm.create_model_package(
        ModelPackageGroupName=platform["model_package_group_name"],
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/xgb:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={
            "artifact_sha256": ARTIFACT_SHA,
            **modelapproval.trainer_metadata(identity.caller(target)),
        },
    )["ModelPackageArn"]
    version = str(sm.describe_model_package(ModelPackageName=arn)["ModelPackageVersion"])
    rc, out, err = run_cli(
        "model", "approve", "--version", version, "--name", "Alan Approver", "--reason", "ok"
    )
    assert rc == 0, err
    assert out.startswith(f"{arn}: Approved") and "acting as Alan Approver through" in err
    rc, out, err = run_cli("model", "reject", "--version", "999", "--name", "Alan Approver", "--reason", "x")
    assert rc == int(ExitStatus.ERROR) and "has no version 999" in err
