"""The qualification pipeline, stage by stage, without a target: hand-made runs and stand-in stages."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from harness import qualify
from harness.errors import ExitStatus, HarnessError
from harness.provisioning import Layout


def _run(tmp_path: Path, *, converge: bool = True) -> qualify.Run:
    run_dir = tmp_path / "evidence" / "run-1"
    run_dir.mkdir(parents=True)
    return qualify.Run(
        target_name="local",
        layout=Layout(work=tmp_path),
        run_dir=run_dir,
        progress=lambda _m: None,
        converge=converge,
        started="2026-12-01T03:00:00Z",
    )


def test_the_pipeline_declares_every_stage_in_order() -> None:
    assert qualify.STAGES == (
        "up",
        "drift",
        "apply",
        "train",
        "deploy",
        "iq",
        "oq",
        "pq",
        "snapshot",
        "scan",
        "report",
        "verify",
        "receipt",
    )
    names = set(qualify.STAGES)
    for spec in qualify.PIPELINE:
        assert set(spec.needs) <= names, spec
        for field in (*spec.inputs, *spec.outputs):
            assert hasattr(qualify.Run, field) or field in qualify.Run.__dataclass_fields__, field
    assert [s.name for s in qualify.PIPELINE if s.suite] == ["iq", "oq", "pq"]


def test_a_failed_stage_skips_what_needs_it_and_the_report_still_runs(tmp_path: Path) -> None:
    calls: list[str] = []

    def ok(name: str) -> qualify.StageFn:
        def fn(run: qualify.Run) -> qualify.Outcome:
            calls.append(name)
            return True, f"{name} done"

        return fn

    def broken(run: qualify.Run) -> qualify.Outcome:
        calls.append("b")
        raise HarnessError("b broke", hint="fix b")

    specs = (
        qualify.StageSpec("a", ok("a")),
        qualify.StageSpec("b", broken, needs=("a",)),
        qualify.StageSpec("c", ok("c"), needs=("b",)),
        qualify.StageSpec("report", ok("report")),
    )
    run = qualify.execute(_run(tmp_path), specs)
    table = {s.name: (s.status, s.detail) for s in run.stages}
    assert table == {
        "a": ("passed", "a done"),
        "b": ("failed", "b broke"),
        "c": ("skipped", "needs b"),
        "report": ("passed", "report done"),
    }
    assert calls == ["a", "b", "report"]
    assert not run.passed and qualify.exit_status(run) is ExitStatus.QUALIFICATION_FAILED


def test_a_stage_whose_input_is_missing_is_skipped_naming_it(tmp_path: Path) -> None:
    spec = qualify.StageSpec("verify", lambda run: (True, ""), inputs=("signed",))
    run = qualify.execute(_run(tmp_path), (spec,))
    assert (run.stages[0].status, run.stages[0].detail) == ("skipped", "needs signed")


def test_qualifying_as_installed_keeps_or_replaces_stages(tmp_path: Path) -> None:
    specs = (
        qualify.StageSpec("apply", lambda run: (False, "converged"), installed=lambda run: (True, "located")),
        qualify.StageSpec("train", lambda run: (False, "trained"), keep_installed=True),
        qualify.StageSpec("iq", lambda run: (True, "ran"), needs=("apply", "train")),
    )
    run = qualify.execute(_run(tmp_path, converge=False), specs)
    assert [(s.status, s.detail) for s in run.stages] == [
        ("passed", "located"),
        ("kept", "as installed (not run)"),
        ("passed", "ran"),
    ]
    assert run.passed and qualify.exit_status(run) is ExitStatus.OK


def test_ctrl_c_records_the_run_as_aborted(tmp_path: Path) -> None:
    def interrupted(run: qualify.Run) -> qualify.Outcome:
        raise KeyboardInterrupt

    specs = (
        qualify.StageSpec("up", lambda run: (True, "")),
        qualify.StageSpec("train", interrupted),
        qualify.StageSpec("report", lambda run: (True, "")),
    )
    run = _run(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        qualify.execute(run, specs)
    status = (run.run_dir / qualify.ABORTED_FILE).read_text()
    assert '"interrupted_stage": "train"' in status
    assert [s.status for s in run.stages] == ["passed", "aborted", "not run"]


def test_the_scan_stage_runs_every_scanner_and_fails_when_one_fails(tmp_path: Path) -> None:
    class Plan:
        data: ClassVar[dict[str, object]] = {"planned_values": {}}

    class FakePlatform:
        def plan(self) -> Plan:
            return Plan()

    seen: list[tuple[str, bool]] = []

    def scanner(name: str, ok: bool) -> qualify.ScannerSpec:
        def fn(run: qualify.Run, out: Path, plan_json: Path | None) -> qualify.ScanOutcome:
            seen.append((name, plan_json is not None and plan_json.exists()))
            return qualify.ScanOutcome(ok, f"{name} {'clean' if ok else 'FAILED'}", {"name": name})

        return qualify.ScannerSpec(name, fn)

    run = _run(tmp_path)
    run.platform = FakePlatform()  # type: ignore[assignment]
    ok, detail = qualify.scan(run, [scanner("checkov", True), scanner("lint", False)])
    assert not ok and detail == "checkov clean; lint FAILED"
    assert sorted(seen) == [("checkov", True), ("lint", True)]
    assert run.scans is not None and set(run.scans) == {"checkov", "lint"}
    assert not (run.run_dir / "checkov" / "tfplan.json").exists()  # the plan is not kept


@pytest.mark.parametrize(("verdict", "code"), [("PASS", 0), ("FAIL", int(ExitStatus.QUALIFICATION_FAILED))])
def test_validate_exits_as_the_signed_verdict_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verdict: str, code: int
) -> None:
    """Every stage passed, but a FAIL verdict (e.g. a requirement without its negative test) is a failure."""
    from types import SimpleNamespace

    from harness import cli

    run = _run(tmp_path)
    run.stages = [qualify.Stage(name, status="passed") for name in qualify.STAGES]
    run.finalized = SimpleNamespace(
        report=SimpleNamespace(
            verdict={
                "result": verdict,
                "release": False,
                "reasons": [] if verdict == "PASS" else ["1 requirement(s) insufficiently covered: URS_004"],
                "release_reasons": ["the target is local"],
                "target": {"statement": "Target: the embedded local AWS."},
            }
        )
    )
    monkeypatch.setattr(qualify, "qualify", lambda **_kw: run)
    done = cli.run(["validate"], environ={"TARGET": "local"}, layout=Layout(work=tmp_path))
    assert done.status == code
    assert ("PASSED" in done.stdout) == (verdict == "PASS")
    if verdict == "FAIL":
        assert "insufficiently covered: URS_004" in done.stderr
