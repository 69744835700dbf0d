"""The scan stage reuses an earlier run's results only when every input is byte-identical and that
run's package verifies against this platform's signing key; anything else scans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import qualify
from harness.provisioning import Layout
from harness.validation import package, scan_reuse

from .conftest import moto_kms

REGION = "eu-central-1"


@pytest.fixture(scope="module")
def kms() -> Iterator[tuple[Any, str]]:
    with moto_kms(REGION) as client:
        yield client, client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]


class _Target:
    def __init__(self, kms: Any) -> None:
        self._kms = kms

    def client(self, name: str) -> Any:
        assert name == "kms"
        return self._kms


class _Plan:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


PLAN = {"format_version": "1.2", "timestamp": "2026-12-01T03:00:00Z", "planned_values": {"root_module": {}}}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "terraform").mkdir(parents=True)
    (root / "terraform" / "main.tf").write_text('module "a" {\n  source = "../modules/a"\n}\n')
    (root / "modules" / "a").mkdir(parents=True)
    (root / "modules" / "a" / "main.tf").write_text('resource "aws_s3_bucket" "this" {}\n')
    (root / "terraform" / ".terraform").mkdir()
    (root / "terraform" / ".terraform" / "noise").write_text("not read by checkov")
    return root


class _Scanners:
    """Stand-in scanners that count their runs and write results like the real ones."""

    def __init__(self) -> None:
        self.runs = 0
        self.code_scans_from: list[Path | None] = []

    def specs(self) -> list[qualify.ScannerSpec]:
        def run(run: qualify.Run, out: Path, plan_json: qualify.PlanSource) -> qualify.ScanOutcome:
            self.runs += 1
            self.code_scans_from.append(run.code_scans_from)
            path = plan_json()
            assert path is not None and path.exists()
            for code in ("terraform", "modules"):  # where checkov keeps its code scans
                (out / code).mkdir()
                (out / code / "results_json.json").write_text("{}")
            (out / "results.json").write_text(json.dumps({"passed": 3, "plan": path.name}))
            return qualify.ScanOutcome(True, "fake passed 3", {"passed": 3})

        def load(out: Path) -> qualify.ScanOutcome:
            data = json.loads((out / "results.json").read_text())
            return qualify.ScanOutcome(True, f"fake passed {data['passed']}", data)

        return [qualify.ScannerSpec("checkov", run, load=load)]


def _validate(repo: Path, tmp_path: Path, kms: tuple[Any, str], name: str, scanners: _Scanners, **kw: Any):
    """One run's scan stage, then its package sealed as the report stage would."""
    client, key = kms
    run_dir = tmp_path / "evidence" / name
    run_dir.mkdir(parents=True)
    run = qualify.Run(
        target_name="local",
        layout=Layout(root=repo, work=tmp_path),
        run_dir=run_dir,
        progress=lambda _m: None,
        started="2026-12-01T03:00:00Z",
        **kw,
    )
    run.target = _Target(client)  # type: ignore[assignment]
    run.outputs = {"kms_key_arns": {"signing": key}}
    run.plan = _Plan({**PLAN, "timestamp": f"2026-12-01T03:00:0{len(name) % 10}Z"})
    ok, detail = qualify.scan(run, scanners.specs())
    package.sign_package(run_dir, kms_client=client, key_id=key)
    record = json.loads((run_dir / scan_reuse.RECORD).read_text())
    return ok, detail, record


def test_identical_inputs_reuse_the_earlier_results_and_record_where_they_came_from(
    repo: Path, tmp_path: Path, kms: tuple[Any, str]
) -> None:
    scanners = _Scanners()
    ok1, detail1, first = _validate(repo, tmp_path, kms, "20261201T030000Z-aaaaaa", scanners)
    assert ok1 and scanners.runs == 1 and first["reused_from"] is None and first["complete"]
    assert "reused" not in detail1
    assert not any(".terraform" in f for f in first["files"])  # what checkov skips is not an input

    ok2, detail2, second = _validate(repo, tmp_path, kms, "20261201T030100Z-bbbbbb", scanners)
    assert ok2 and scanners.runs == 1  # not scanned again: the plan differs only in its timestamp
    assert second["digest"] == first["digest"]
    assert second["reused_from"]["run"] == "20261201T030000Z-aaaaaa"
    assert second["reused_from"]["digest"] == first["digest"]
    assert "checkov" in second["reused_from"]["versions"]
    said = f"reused from 20261201T030000Z-aaaaaa (inputs identical, sha256 {first['digest']})"
    assert detail2.endswith(said)
    copied = tmp_path / "evidence" / "20261201T030100Z-bbbbbb" / "checkov" / "results.json"
    assert json.loads(copied.read_text())["passed"] == 3  # the package carries the results itself
    assert package.verify_folder(copied.parent.parent).ok

    # a third run names the run that scanned, not the one it copied from
    _, _, third = _validate(repo, tmp_path, kms, "20261201T030200Z-cccccc", scanners)
    assert scanners.runs == 1
    assert third["reused_from"]["run"] == "20261201T030000Z-aaaaaa"
    assert third["reused_from"]["copied_from"] == "20261201T030100Z-bbbbbb"


def test_one_changed_tf_file_scans_again(repo: Path, tmp_path: Path, kms: tuple[Any, str]) -> None:
    scanners = _Scanners()
    _validate(repo, tmp_path, kms, "20261201T030000Z-aaaaaa", scanners)
    (repo / "modules" / "a" / "main.tf").write_text('resource "aws_s3_bucket" "this" {\n}\n')
    _, detail, record = _validate(repo, tmp_path, kms, "20261201T030100Z-bbbbbb", scanners)
    assert scanners.runs == 2 and record["reused_from"] is None and "reused" not in detail


def test_the_run_time_state_under_terraform_is_not_a_scan_input(repo: Path) -> None:
    """With the work folder in the repository, state, emulator marker and release file live under
    terraform/state/: they change with every apply and restart, and no scanner reads them."""
    state = repo / "terraform" / "state" / "local"
    state.mkdir(parents=True)
    before = scan_reuse.input_files(repo)
    (state / "terraform.tfstate").write_text("{}")
    (state / "emulator.id").write_text("1234:4566:1")
    (state / "release.tfvars.json").write_text("{}")
    assert scan_reuse.input_files(repo) == before
    (repo / "terraform" / "extra.tf").write_text("locals {}\n")
    assert "terraform/extra.tf" in scan_reuse.input_files(repo)


def test_a_changed_plan_scans_again(repo: Path, tmp_path: Path, kms: tuple[Any, str]) -> None:
    scanners = _Scanners()
    _validate(repo, tmp_path, kms, "20261201T030000Z-aaaaaa", scanners)
    PLAN["planned_values"] = {"root_module": {"resources": [{"address": "x"}]}}
    try:
        _, _, record = _validate(repo, tmp_path, kms, "20261201T030100Z-bbbbbb", scanners)
    finally:
        PLAN["planned_values"] = {"root_module": {}}
    assert scanners.runs == 2 and record["reused_from"] is None
    assert "plan differs" in record["why_scanned"]
    # the code was the same: checkov's code scans are handed over, only the plan is scanned again
    earlier = tmp_path / "evidence" / "20261201T030000Z-aaaaaa"
    assert scanners.code_scans_from == [None, earlier / "checkov"]
    assert record["code_scans_reused_from"]["run"] == earlier.name
    assert record["code_scans_reused_from"]["digest"] == record["code_digest"]
    assert record["code_scanned_in"] == earlier.name


def test_a_tampered_earlier_result_scans_again(repo: Path, tmp_path: Path, kms: tuple[Any, str]) -> None:
    scanners = _Scanners()
    _validate(repo, tmp_path, kms, "20261201T030000Z-aaaaaa", scanners)
    result = tmp_path / "evidence" / "20261201T030000Z-aaaaaa" / "checkov" / "results.json"
    result.write_text(json.dumps({"passed": 4, "plan": "tfplan.json"}))
    _, _, record = _validate(repo, tmp_path, kms, "20261201T030100Z-bbbbbb", scanners)
    assert scanners.runs == 2 and record["reused_from"] is None
    assert "not verify" in record["why_scanned"] and record["code_scans_reused_from"] is None
    # the refusal is evidence of its own, not only a line on the terminal
    assert [r for r in record["earlier_packages_refused"] if r.startswith("20261201T030000Z-aaaaaa")]


def test_a_missing_earlier_result_scans_again(repo: Path, tmp_path: Path, kms: tuple[Any, str]) -> None:
    scanners = _Scanners()
    _validate(repo, tmp_path, kms, "20261201T030000Z-aaaaaa", scanners)
    (tmp_path / "evidence" / "20261201T030000Z-aaaaaa" / "checkov" / "results.json").unlink()
    _validate(repo, tmp_path, kms, "20261201T030100Z-bbbbbb", scanners)
    assert scanners.runs == 2


def test_fresh_scan_always_scans(repo: Path, tmp_path: Path, kms: tuple[Any, str]) -> None:
    scanners = _Scanners()
    _validate(repo, tmp_path, kms, "20261201T030000Z-aaaaaa", scanners)
    _, _, record = _validate(repo, tmp_path, kms, "20261201T030100Z-bbbbbb", scanners, fresh_scan=True)
    assert scanners.runs == 2 and record["why_scanned"] == "--fresh-scan"


def test_the_digest_ignores_only_the_plans_timestamp_and_the_order_terraform_varies() -> None:
    assert scan_reuse.plan_digest({**PLAN, "timestamp": "x"}) == scan_reuse.plan_digest(PLAN)
    assert scan_reuse.plan_digest({**PLAN, "format_version": "1.3"}) != scan_reuse.plan_digest(PLAN)
    pairs = [{"resource": "b", "attribute": ["id"]}, {"resource": "a", "attribute": ["arn"]}]
    one = scan_reuse.plan_digest({**PLAN, "relevant_attributes": pairs})
    assert one == scan_reuse.plan_digest({**PLAN, "relevant_attributes": pairs[::-1]})
    assert one != scan_reuse.plan_digest({**PLAN, "relevant_attributes": pairs[:1]})


def test_the_real_scanners_read_back_what_they_wrote(tmp_path: Path) -> None:
    from harness.validation import checkov, policy_lint

    out = tmp_path / "checkov"
    (out / "plan").mkdir(parents=True)
    summary = {"passed": 5, "failed": 0, "skipped": 1, "parsing_errors": 0, "checkov_version": "9"}
    skipped = [{"check_id": "CKV_1", "check_result": {"suppress_comment": "why"}}]
    results = {"summary": summary, "results": {"skipped_checks": skipped}}
    (out / "plan" / "results_json.json").write_text(json.dumps(results))
    scans = [{"name": "plan", "target": "tfplan.json", "framework": "terraform_plan"}]
    (out / "summary.json").write_text(json.dumps({"checkov_version": "9", "scans": scans}))
    loaded = checkov.load(out)
    assert loaded.totals() == {"passed": 5, "failed": 0, "skipped": 1, "parsing_errors": 0}
    assert loaded.scans[0].skips[0].reason == "why" and loaded.checkov_version == "9"
    assert loaded.scans[0].output_dir == str(out / "plan")
    # the package's own summary says it was reused, as scan-inputs.json does
    loaded.reused = {"run": "20261201T030000Z-aaaaaa"}
    loaded.write(out)
    assert json.loads((out / "summary.json").read_text())["reused"] == {"run": "20261201T030000Z-aaaaaa"}
    lint_dir = tmp_path / "policy-lint"
    lint_dir.mkdir()
    linted = policy_lint.LintResult("parliament", "1.6.4", ["a"], [], [], [], str(lint_dir))
    (lint_dir / "policy-lint.json").write_text(json.dumps(linted.to_dict()))
    assert policy_lint.load(lint_dir).totals() == linted.totals()


def test_checkov_copies_handed_over_code_scans_and_scans_only_the_plan(tmp_path: Path) -> None:
    import subprocess

    from harness.provisioning import REPO_ROOT
    from harness.validation import checkov

    earlier = tmp_path / "earlier" / "checkov"
    summary = {"passed": 2, "failed": 0, "skipped": 0, "parsing_errors": 0, "checkov_version": "9"}
    for code in ("terraform", "modules"):
        (earlier / code).mkdir(parents=True)
        (earlier / code / "results_json.json").write_text(json.dumps({"summary": summary}))
    ran: list[list[str]] = []

    def runner(command: list[str], **_kw: Any) -> subprocess.CompletedProcess[str]:
        ran.append(command)
        out = Path(command[command.index("--output-file-path") + 1])
        (out / "results_json.json").write_text(json.dumps({"summary": {**summary, "passed": 7}}))
        return subprocess.CompletedProcess(command, 0, "", "")

    plan = tmp_path / "tfplan.json"
    plan.write_text("{}")
    said = {"run": "20261201T030000Z-aaaaaa", "scanners": ["checkov"]}
    result = checkov.scan(
        REPO_ROOT, tmp_path / "out", plan_json=plan, runner=runner, code_results=earlier, reused=said
    )
    assert len(ran) == 1 and "terraform_plan" in ran[0]  # one checkov process: the plan's
    assert result.totals()["passed"] == 2 + 2 + 7
    # the package's own summary says where its code scans came from
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["reused"] == said
    assert (tmp_path / "out" / "modules" / "results_json.json").read_bytes() == (
        earlier / "modules" / "results_json.json"
    ).read_bytes()
