"""The emulator killed while ``train`` waits for its job: a clear error, nothing left; then it converges."""

from __future__ import annotations

import json

import pytest

from harness.progress import JobCreated
from tests.faults.conftest import World, assert_clear_failure

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_emulator_killed_during_train_fails_clearly_then_apply_and_train_converge(applied: World) -> None:
    run = applied.spawn("train")
    run.wait_for_event(lambda e: isinstance(e, JobCreated), "a training job", timeout=120)
    applied.kill_emulator()  # its process group holds the training job's process
    rc = run.finish(timeout=60)
    assert_clear_failure(rc, run.stderr, "embedded local AWS", "stopped answering", "make apply")
    assert rc == 4, run.stderr[-3000:]
    applied.no_processes_left(include_emulator=True)

    _, err = applied.must("apply", timeout=300)
    assert "set aside" in err, err[-3000:]
    out, _ = applied.must("train", timeout=240)
    assert json.loads(out)["status"] == "Completed"
    applied.applied = True
