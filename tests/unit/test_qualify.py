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

    seen: list[tuple[str, bool]] = []

    def scanner(name: str, ok: bool) -> qualify.ScannerSpec:
        def fn(run: qualify.Run, out: Path, plan_json: qualify.PlanSource) -> qualify.ScanOutcome:
            path = plan_json()
            seen.append((name, path is not None and path.exists()))
            return qualify.ScanOutcome(ok, f"{name} {'clean' if ok else 'FAILED'}", {"name": name})

        return qualify.ScannerSpec(name, fn)

    run = _run(tmp_path)
    run.plan = Plan()  # the plan apply converged to: the scan plans nothing itself
    ok, detail = qualify.scan(run, [scanner("checkov", True), scanner("lint", False)])
    assert not ok and detail == "checkov clean; lint FAILED"
    assert sorted(seen) == [("checkov", True), ("lint", True)]
    assert run.scans is not None and set(run.scans) == {"checkov", "lint"}
    assert not (run.run_dir / "checkov" / "tfplan.json").exists()  # the plan is not kept


def test_an_overlapped_stage_runs_beside_the_next_stages_and_is_waited_for_where_it_stands(
    tmp_path: Path,
) -> None:
    """The scan starts once apply finished, runs while train and the suites run, reads the plan only
    once deploy (the last stage that changes the platform) finished, and report waits for it."""
    import threading

    order: list[str] = []
    scan_started, suite_running = threading.Event(), threading.Event()

    def stage(name: str, *, platform: bool = False) -> qualify.StageFn:
        def fn(run: qualify.Run) -> qualify.Outcome:
            order.append(f"{name} start")
            if name == "iq":
                suite_running.set()
                assert scan_started.wait(5), "the scan did not start beside the suite"
            if platform:
                run.plan = f"plan after {name}"
            order.append(f"{name} end")
            return True, name

        return fn

    def scan(run: qualify.Run) -> qualify.Outcome:
        scan_started.set()
        order.append("scan start")
        plan = run.settled_plan()
        order.append(f"scan read {plan}")
        assert suite_running.wait(5)
        return True, "scanned"

    specs = (
        qualify.StageSpec("apply", stage("apply", platform=True), outputs=("platform",)),
        qualify.StageSpec("deploy", stage("deploy", platform=True), needs=("apply",), outputs=("platform",)),
        qualify.StageSpec("iq", stage("iq"), needs=("apply",)),
        qualify.StageSpec("scan", scan, needs=("apply",), overlap=True),
        qualify.StageSpec("report", stage("report")),
    )
    run = qualify.execute(_run(tmp_path), specs)
    assert [s.status for s in run.stages] == ["passed"] * 5
    assert order.index("scan start") < order.index("iq end")  # beside the stages after apply
    assert "scan read plan after deploy" in order  # the plan once deploy finished
    assert order.index("report start") > order.index("scan read plan after deploy")
    scan_row = run.stage("scan")
    assert scan_row.overlapped and scan_row.to_dict()["overlapped"] is True
    assert "ran overlapped" in run.table()
    assert run.acting is None


def test_the_converged_plan_is_made_once_when_the_scan_asks_after_the_last_apply(tmp_path: Path) -> None:
    """A cold run's apply and deploy both change the platform: neither plans again right away; the scan
    gets one plan, of the platform as deploy left it. An apply with nothing to do hands over its plan."""

    class Plat:
        def __init__(self, name: str, changed: bool) -> None:
            self.name, self.planned = name, 0
            self.converged_plan = None if changed else f"{name}'s own plan"

        def plan(self, *, refresh: bool = True) -> str:
            assert refresh is False
            self.planned += 1
            return f"converged after {self.name}"

    applied, deployed = Plat("apply", changed=True), Plat("deploy", changed=True)
    run = _run(tmp_path)
    qualify._converged(run, applied)
    qualify._converged(run, deployed)
    assert (applied.planned, deployed.planned) == (0, 0)
    assert run.settled_plan() == "converged after deploy"
    assert run.settled_plan() == "converged after deploy"
    assert (applied.planned, deployed.planned) == (0, 1)
    warm = _run(tmp_path / "warm")
    qualify._converged(warm, Plat("apply", changed=False))
    assert warm.settled_plan() == "apply's own plan"


def test_ctrl_c_stops_an_overlapped_stage_and_its_processes(tmp_path: Path) -> None:
    import sys
    import threading
    import time

    started = threading.Event()
    pids: list[int] = []  # return codes of the scan's children

    def scan(run: qualify.Run) -> qualify.Outcome:
        started.set()
        proc = run.children.run  # a long child, as checkov is
        result = proc(
            [sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(60)"]
        )
        pids.append(result.returncode)
        return result.returncode == 0, "scanned"

    def interrupted(run: qualify.Run) -> qualify.Outcome:
        assert started.wait(5)
        time.sleep(0.5)  # the child is running
        raise KeyboardInterrupt

    specs = (
        qualify.StageSpec("apply", lambda run: (True, "")),
        qualify.StageSpec("train", interrupted, needs=("apply",)),
        qualify.StageSpec("scan", scan, needs=("apply",), overlap=True),
        qualify.StageSpec("report", lambda run: (True, "")),
    )
    run = _run(tmp_path)
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        qualify.execute(run, specs)
    assert time.monotonic() - t0 < 30  # the 60 s child was stopped, not waited for
    assert pids and pids[0] != 0  # its child ended by a signal
    table = {s.name: s.status for s in run.stages}
    assert table == {"apply": "passed", "train": "aborted", "scan": "aborted", "report": "not run"}
    status = (run.run_dir / qualify.ABORTED_FILE).read_text()
    assert '"interrupted_stage": "train"' in status  # the stage Ctrl-C hit, not the overlapped one


def test_each_suite_reports_its_own_cost_beside_the_core(tmp_path: Path) -> None:
    import json

    run = _run(tmp_path)
    oq = run.run_dir / "oq"
    oq.mkdir()
    scenarios = [
        {"feature_file": "features/oq/mlops.feature", "elapsed": 100.0, "duration": 90.0},
        {"feature_file": "features/oq/controls.feature", "elapsed": 10.0, "duration": 9.0},
        {"feature_file": "features/oq/featurestore.feature", "elapsed": 4.0, "duration": 3.0},
        {"feature_file": "features/oq/algorithm.feature", "elapsed": 5.0, "duration": 4.0},
    ]
    (oq / "results.json").write_text(json.dumps({"scenarios": scenarios}))
    parts = qualify.suite_parts(oq, 125.0)
    assert parts == {
        "features/oq/mlops.feature": 100.0,
        "features/oq/controls.feature": 10.0,
        "features/oq/algorithm.feature": 5.0,
        "features/oq/featurestore.feature": 4.0,
        qualify.STARTUP: 6.0,
    }
    run.stages = [
        qualify.Stage("up", "passed", 1.0),
        qualify.Stage("apply", "passed", 10.0),
        qualify.Stage("oq", "passed", 125.0, parts=parts),
        qualify.Stage("pq", "passed", 30.0),
        qualify.Stage("scan", "passed", 40.0, overlapped=True, waited=2.0),
        qualify.Stage("report", "passed", 5.0),
    ]
    assert run.costs() == {
        "core": 10.0 + 16.0 + 2.0 + 5.0,  # the overlapped scan counts what the run waited for it
        "PQ": 30.0,
        "MLOps": 100.0,
        "feature store": 4.0,
        "built-in algorithm": 5.0,
        "other": 1.0,
    }
    table = run.table()
    assert "core (apply, train, deploy, iq, oq, scan, report, verify) 33.0s" in table
    assert "MLOps 100.0s" in table and "oq/mlops.feature 100.0s" in table


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
