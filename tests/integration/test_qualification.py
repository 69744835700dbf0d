"""The IQ/OQ suites against a platform built from scratch on an emulator of their own.

One emulator on a free port with its state in ``<work>/.cache/emulator``; the platform applied, a model
trained and deployed there; then the suites run as a separate pytest process with ``HARNESS_WORK_DIR``
pointing at ``<work>``, exactly as a user runs them. A negative control switches key rotation off on the
data key and shows the KMS scenarios catch it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness import target as targets
from harness import workflow
from harness.platform import REPO_ROOT, Layout, Platform
from harness.validation.matrix import build_matrix
from harness.validation.requirements import load_requirements

pytestmark = pytest.mark.integration

#: Proven by the harness outside pytest (the signed manifest verifies offline), not by a scenario.
PROVEN_OUTSIDE_PYTEST = {"URS_032"}
SUITE_TIMEOUT = 900


@dataclass
class Qualified:
    work: Path
    target: targets.Target
    outputs: dict[str, Any]
    env: dict[str, str]


def _quiet(_message: str) -> None:
    pass


@pytest.fixture(scope="session")
def qualified(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Qualified]:
    """Emulator on a free port, platform applied, model trained, endpoint deployed; stopped at the end."""
    from harness.emulator import control

    work = tmp_path_factory.mktemp("qualification")
    layout = Layout(work=work)
    port = control.free_port()
    control.start(port=port, state_dir=layout.emulator_dir)
    try:
        target = targets.resolve("local", state_dir=layout.emulator_dir, environ={})
        Platform(target, layout=layout, progress=_quiet).apply()
        outputs = Platform(target, layout=layout).outputs()
        workflow.train(target, outputs, layout=layout, progress=_quiet)
        package = workflow.latest_approved_package(target, outputs["model_package_group_name"])
        workflow.write_release(layout, target, package)
        Platform(target, layout=layout, progress=_quiet).apply()  # picks up the release: the endpoint
        outputs = Platform(target, layout=layout).outputs()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EVIDENCE_DIR", "URS_FILE"))},
            "HARNESS_WORK_DIR": str(work),
            "EMULATOR_PORT": str(port),
            "TARGET": "local",
        }
        yield Qualified(work=work, target=target, outputs=outputs, env=env)
    finally:
        control.stop(layout.emulator_dir)


def _run_suites(qualified: Qualified, name: str, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    evidence = qualified.work / "evidence" / name
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "harness.validation.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "--strict-markers",
        "--evidence-dir",
        str(evidence),
        "-q",
        *args,
    ]
    proc = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=qualified.env,
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT,
        check=False,
    )
    results_file = evidence / "results.json"
    assert results_file.exists(), f"no results.json\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc, json.loads(results_file.read_text())


def _failures(results: dict) -> list[str]:
    return [
        f"{s['nodeid']}: {s['status']}: {(s.get('error') or '')[:500]}"
        for s in results["scenarios"]
        if s["status"] != "passed"
    ]


def test_iq_and_oq_pass_and_cover_every_requirement(qualified: Qualified) -> None:
    proc, results = _run_suites(qualified, "iq-oq", "features/iq", "features/oq")
    assert proc.returncode == 0, "\n".join(_failures(results)) or proc.stdout[-4000:]
    scenarios = results["scenarios"]
    assert {s["stage"] for s in scenarios} == {"iq", "oq"}
    assert not _failures(results)
    assert all(s["requirements"] for s in scenarios), "a scenario proves no requirement"
    assert all(st["status"] == "passed" for s in scenarios for st in s["steps"])
    then_steps = [st for s in scenarios for st in s["steps"] if st["keyword"].strip() in ("Then", "And")]
    assert all(st["attachments"] for st in then_steps), [
        st["text"] for st in then_steps if not st["attachments"]
    ]
    matrix = build_matrix(load_requirements(REPO_ROOT / "features" / "requirements.yaml"), results)
    status = {row["requirement"]: row["status"] for row in matrix["rows"]}
    uncovered = {req for req, st in status.items() if st != "passed"} - PROVEN_OUTSIDE_PYTEST
    assert not uncovered, {req: status[req] for req in sorted(uncovered)}
    assert not matrix["unknown_requirements"]


def test_key_rotation_off_fails_the_kms_scenario(qualified: Qualified) -> None:
    kms = qualified.target.client("kms")
    data_key = qualified.outputs["kms_key_arns"]["data"]
    kms.disable_key_rotation(KeyId=data_key)
    try:
        assert kms.get_key_rotation_status(KeyId=data_key)["KeyRotationEnabled"] is False
        # The KMS feature, selected by the requirements it proves.
        proc, results = _run_suites(qualified, "negative-kms", "features/iq", "-m", "URS_018 or URS_019")
    finally:
        kms.enable_key_rotation(KeyId=data_key)
    assert proc.returncode != 0, proc.stdout[-4000:]
    scenarios = results["scenarios"]
    assert scenarios and all(s["feature_file"] == "features/iq/kms.feature" for s in scenarios)
    failed = [s for s in scenarios if s["status"] == "failed"]
    assert len(failed) == 1, _failures(results)
    rotation = failed[0]
    assert rotation["example"] == {"purpose": "data at rest"}, rotation["example"]
    assert "URS_018" in rotation["requirements"]
    failed_steps = [st["text"] for st in rotation["steps"] if st["status"] == "failed"]
    assert failed_steps == ["key rotation is enabled"], failed_steps
    assert kms.get_key_rotation_status(KeyId=data_key)["KeyRotationEnabled"] is True
