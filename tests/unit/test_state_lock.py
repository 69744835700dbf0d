"""Two commands at once on one checkout: a plan started while an apply writes the state waits for it.

Against a fake ``terraform`` (as in test_terraform.py) whose apply writes a state with resources and
then takes a while: without the harness's lock the plan's stale-state check saw a state without an
emulator marker and set it aside under the running apply.
"""

from __future__ import annotations

import json
import os
import stat
import textwrap
import threading
import time
from pathlib import Path

import pytest

from harness.emulator.control import PID_FILE, EmulatorInfo
from harness.progress import LockWait, Message, Recorder, TerraformCall
from harness.provisioning import Layout, Platform
from harness.statelock import StateLockedError, holder, state_lock
from harness.target import Target

PLAN_JSON = {
    "format_version": "1.2",
    "resource_changes": [{"address": "aws_kms_key.a", "change": {"actions": ["create"]}}],
}
STATE = {"version": 4, "serial": 1, "resources": [{"type": "aws_kms_key", "name": "a", "instances": [{}]}]}


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``terraform`` on PATH: apply writes ``$FAKE_STATE`` at once, then works for ``$FAKE_APPLY_SECONDS``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "plan.json").write_text(json.dumps(PLAN_JSON))
    (tmp_path / "state.json").write_text(json.dumps(STATE))
    event = {"type": "apply_complete", "hook": {"resource": {"addr": "aws_kms_key.a"}, "action": "create"}}
    (tmp_path / "events.jsonl").write_text(json.dumps(event) + "\n")
    script = bin_dir / "terraform"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            case "$1" in
              show) cat {tmp_path / "plan.json"} ;;
              plan) exit 2 ;;
              apply) cp {tmp_path / "state.json"} "$FAKE_STATE"; sleep "$FAKE_APPLY_SECONDS";
                     cat {tmp_path / "events.jsonl"} ;;
              output) echo '{{}}' ;;
            esac
            exit 0
            """
        )
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def _platform(work: Path, progress: Recorder | None = None) -> Platform:
    emulator_dir = work / ".cache" / "emulator"
    emulator_dir.mkdir(parents=True, exist_ok=True)
    (emulator_dir / PID_FILE).write_text(str(os.getpid()))
    info = EmulatorInfo(port=4566, pid=os.getpid(), state_dir=emulator_dir)
    target = Target(
        name="local", region="eu-central-1", env={}, endpoint_url=info.endpoint_url, emulator=info
    )
    return Platform(target, layout=Layout(work=work), progress=progress)


def test_a_plan_waits_for_a_running_apply_and_keeps_its_state(
    tmp_path: Path, fake_terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    applying = _platform(work)
    monkeypatch.setenv("FAKE_STATE", str(applying.state_file))
    monkeypatch.setenv("FAKE_APPLY_SECONDS", "1.5")
    errors: list[BaseException] = []

    def run_apply() -> None:
        try:
            applying.apply()
        except BaseException as exc:  # the assertion below shows it
            errors.append(exc)

    thread = threading.Thread(target=run_apply)
    thread.start()
    deadline = time.monotonic() + 20
    while not applying.state_file.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert applying.state_file.exists(), "the apply never wrote its state"

    said = Recorder()
    planning = _platform(work, said)  # a second command on the same checkout, meanwhile
    started = time.monotonic()
    planning.plan()
    waited = time.monotonic() - started
    thread.join(30)
    assert not errors, errors

    assert waited > 0.5  # it waited for the apply instead of deciding about a state being written
    [wait] = said.of(LockWait)
    assert wait.holder.startswith("`terraform apply (local)` (pid"), wait
    assert json.loads(applying.state_file.read_text())["resources"]  # still in place, not set aside
    assert not list(applying.state_file.parent.glob("terraform.tfstate.stale-*"))
    assert not any("set aside" in m.text for m in said.of(Message)), said.events


def test_a_second_command_refuses_with_a_clear_message_when_it_cannot_wait(
    tmp_path: Path, fake_terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    monkeypatch.setenv("HARNESS_LOCK_TIMEOUT", "0")
    planning = _platform(work)
    with (
        state_lock(planning.state_file.parent, command="terraform apply (local)"),
        pytest.raises(StateLockedError) as refused,
    ):
        planning.plan()
    message = str(refused.value)
    assert "is in use by `terraform apply (local)` (pid" in message
    assert "HARNESS_LOCK_TIMEOUT" in message
    assert holder(planning.state_file.parent / ".harness.lock")["pid"] == os.getpid()


def test_observers_see_every_terraform_call(
    tmp_path: Path, fake_terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook bench uses instead of swapping Platform's methods."""
    from harness.provisioning import observe_terraform

    platform = _platform(tmp_path / "work")
    monkeypatch.setenv("FAKE_STATE", str(platform.state_file))
    monkeypatch.setenv("FAKE_APPLY_SECONDS", "0")
    seen: list[TerraformCall] = []
    with observe_terraform(seen.append):
        platform.apply()
    platform.plan()  # after the block: not observed
    assert [e.call for e in seen] == ["plan", "apply"]
    assert all(isinstance(e.wall_s, float) and isinstance(e.terraform_s, float) for e in seen)
