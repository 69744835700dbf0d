"""harness.bench: the cycle is measured from progress events and the Terraform hook, printed beside the
previous cycle's; processes are read through psutil. No emulator, no Terraform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from harness.bench import cycle, measure
from harness.bench.__main__ import main
from harness.progress import Progress, Recorder, StageFinished, StageStarted, TerraformCall
from harness.provisioning import notify_observers


def _qualification(apply_seconds: float = 30.0, scan_in_thread: bool = False) -> cycle.Step:
    """A stand-in qualification: what run_stage and Platform report, without running anything."""

    def qualify(progress: Progress) -> None:
        progress("qualification run X on target local")
        progress(StageStarted("up", 1, 4))
        progress(StageFinished("up", "passed", 1.0, "https://127.0.0.1:4615", None, 1, 4))
        progress(StageStarted("apply", 2, 4))
        notify_observers(TerraformCall("plan", 10.0, 9.0))
        notify_observers(TerraformCall("apply", apply_seconds - 5.0, apply_seconds - 6.0))
        progress(StageFinished("apply", "passed", apply_seconds, "61 changes", None, 2, 4))
        progress(StageFinished("train", "skipped", 0.0, "needs up", None, 3, 4))

        def scan() -> None:
            progress(StageStarted("scan", 4, 4))
            notify_observers(TerraformCall("plan", 4.0, 3.5))
            progress(StageFinished("scan", "passed", 20.0, "checkov passed 1", None, 4, 4))

        if scan_in_thread:  # a stage overlapping another: its plan is still its own
            worker = threading.Thread(target=scan)
            progress(StageStarted("report", 5, 5))
            worker.start()
            worker.join()
            progress(StageFinished("report", "passed", 2.0, "verdict PASS", None, 5, 5))
        else:
            scan()

    return qualify


def _destroy(progress: Progress) -> None:
    notify_observers(TerraformCall("plan", 2.0, 2.0))
    notify_observers(TerraformCall("destroy", 8.0, 7.0))
    progress("destroy complete")


def test_the_cycle_is_timed_from_events_and_the_terraform_hook() -> None:
    shown = Recorder()
    section = cycle.measure(_qualification(), _destroy, shown)
    rows = {r["stage"]: r for r in section["stages"]}
    assert [r["stage"] for r in section["stages"]] == ["up", "apply", "train", "scan", "destroy"]
    assert rows["apply"]["wall_s"] == 30.0
    assert rows["apply"]["terraform_s"] == 9.0 + 24.0
    assert [c["call"] for c in rows["apply"]["terraform_calls"]] == ["plan", "apply"]
    assert rows["apply"]["harness_s"] == round(30.0 - 33.0, 2)
    assert rows["train"]["status"] == "skipped" and rows["train"]["wall_s"] == 0.0
    assert rows["scan"]["terraform_s"] == 3.5
    assert rows["destroy"]["terraform_s"] == 9.0 and rows["destroy"]["status"] == "passed"
    assert rows["up"]["terraform_s"] == 0.0
    # the terminal still saw every line; the bench's own marks (destroy) are not printed
    assert "[2/4] apply" in shown.lines() and "destroy complete" in shown.lines()
    assert all(e.name != "destroy" for e in shown.of(StageStarted))


def test_a_stage_running_in_another_thread_keeps_its_terraform_calls() -> None:
    section = cycle.measure(_qualification(scan_in_thread=True), _destroy, Recorder())
    rows = {r["stage"]: r for r in section["stages"]}
    assert rows["scan"]["terraform_s"] == 3.5
    assert rows["report"]["terraform_s"] == 0.0


def test_the_previous_cycle_is_printed_beside(tmp_path: Path) -> None:
    runs = tmp_path / ".run"
    assert cycle.previous(runs) is None
    first = cycle.measure(_qualification(apply_seconds=30.0), _destroy, Recorder())
    assert "previous" not in " ".join(cycle.table(cycle.compare(first, None)))
    cycle.remember(runs, first)
    second = cycle.compare(
        cycle.measure(_qualification(apply_seconds=15.0), _destroy, Recorder()), cycle.previous(runs)
    )
    apply_row = next(r for r in second["stages"] if r["stage"] == "apply")
    assert (apply_row["previous_wall_s"], apply_row["ratio"]) == (30.0, 0.5)
    lines = cycle.table(second)
    assert lines[0].endswith(f"previous cycle {first['started']}")
    assert lines[1].split()[-2:] == ["previous", "ratio"]
    apply_line = next(line for line in lines if line.split()[0] == "apply")
    assert apply_line.split()[-2:] == ["30.0", "0.50"]
    total = next(line for line in lines if line.split()[0] == "total")
    assert total.split()[-1] == f"{second['previous']['ratio']:.2f}"


def test_a_report_from_before_the_kept_file_counts_as_the_previous_cycle(tmp_path: Path) -> None:
    runs = tmp_path / ".run"
    runs.mkdir()
    older = {
        "started": "2026-12-01T05:00:00+00:00",
        "cycle": {"stages": [{"stage": "apply", "wall_s": 60.0}]},
    }
    newer = {"started": "2026-12-01T06:00:00+00:00", "inference": {}}  # no cycle: not a candidate
    (runs / "bench-20261201T050000Z.json").write_text(json.dumps(older))
    (runs / "bench-20261201T060000Z.json").write_text(json.dumps(newer))
    before = cycle.previous(runs)
    assert before is not None and before["started"] == older["started"]
    assert before["stages"][0]["wall_s"] == 60.0


def test_make_bench_cycle_prints_the_previous_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--cycle`` twice: the second run's table shows the first run's stage times and the ratio."""
    monkeypatch.setenv("HARNESS_WORK_DIR", str(tmp_path))
    seconds = iter([40.0, 20.0])
    monkeypatch.setattr(
        cycle, "run", lambda progress: cycle.measure(_qualification(next(seconds)), _destroy, progress)
    )
    assert main(["--no-inference", "--cycle", "--out", str(tmp_path / "one.json")]) == 0
    assert "previous" not in capsys.readouterr().out
    assert main(["--no-inference", "--cycle", "--out", str(tmp_path / "two.json")]) == 0
    out = capsys.readouterr().out
    apply_line = next(line for line in out.splitlines() if line.split()[:1] == ["apply"])
    assert apply_line.split()[-2:] == ["40.0", "0.50"], out
    report = json.loads((tmp_path / "two.json").read_text())
    assert (
        report["cycle"]["previous"]["wall_s"]
        == json.loads((tmp_path / "one.json").read_text())["cycle"]["wall_s"]
    )
    assert (
        json.loads((tmp_path / ".run" / cycle.PREVIOUS_FILE).read_text())["wall_s"]
        == report["cycle"]["wall_s"]
    )


def test_processes_are_read_through_psutil(tmp_path: Path) -> None:
    assert measure.rss_kib(os.getpid()) > 10_000
    model_dir = tmp_path / "work" / "endpoints" / "ep-1-0123abcd" / "model"
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)",
         str(tmp_path / "model_server.py"), "--model-dir", str(model_dir), "--port", "43210"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        # its command line is the model server's once it runs (right after fork it is still ours)
        assert sleeper.stdout is not None and sleeper.stdout.readline().strip() == b"ready"
        found = measure.model_server_ports("ep-1", parent=os.getpid())
        assert found == {sleeper.pid: 43210}
        assert measure.model_server_ports("ep-1") == found  # the whole machine, same answer
        assert measure.model_server_ports("ep-2", parent=os.getpid()) == {}
    finally:
        sleeper.kill()
        sleeper.wait()
    assert measure.rss_kib(sleeper.pid) == 0
