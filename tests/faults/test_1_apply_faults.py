"""Faults during ``apply``: Ctrl-C, then the emulator killed under Terraform; both converge on a re-run.

The two scenarios share one world and run in order: the interrupted apply leaves a partial platform
that the second apply continues (and is killed in), and the third apply converges on a new emulator.
"""

from __future__ import annotations

import time

import pytest

from harness.progress import Event, TerraformResource
from tests.faults.conftest import TRACEBACK, World, assert_clear_failure

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _tenth_resource(event: Event) -> bool:
    return isinstance(event, TerraformResource) and event.done >= 10


def test_ctrl_c_during_apply_stops_terraform_releases_lock_exits_130(world: World) -> None:
    run = world.spawn("apply")
    run.wait_for_event(_tenth_resource, "the 10th resource", timeout=180)
    emulator = world.emulator_pid()
    t0 = time.monotonic()
    run.interrupt()
    rc = run.finish(timeout=60)
    assert rc == 130, run.stderr[-4000:]
    assert TRACEBACK not in run.stderr, run.stderr[-6000:]
    assert "interrupted" in run.stderr
    assert time.monotonic() - t0 < 45, "Terraform took the whole grace period to stop"
    world.no_processes_left()  # Terraform and its providers are gone; the emulator stays
    assert world.emulator_pid() == emulator
    assert not world.lock_file.exists(), "Terraform's state lock was not released"
    # What was created before the interrupt is in the state: nothing is lost, a plan works (with lock).
    assert (world.state_dir / "terraform.tfstate").read_text().count('"mode": "managed"') >= 5
    out, err = world.must("plan", timeout=120)
    assert "to add" in err and "create" in out


def test_emulator_killed_during_apply_fails_clearly_then_apply_converges(world: World) -> None:
    run = world.spawn("apply")
    run.wait_for_event(_tenth_resource, "the 10th resource", timeout=180)
    world.kill_emulator()
    rc = run.finish(timeout=180)
    assert_clear_failure(rc, run.stderr, "embedded local AWS", "stopped", "make apply")
    assert rc == 4, run.stderr[-3000:]
    world.no_processes_left(include_emulator=True)  # no terraform, provider or emulator process left
    assert not world.lock_file.exists(), "Terraform's state lock was not released"

    # A re-run starts a new emulator, sets the dead one's state aside and converges from scratch.
    _, err = world.must("apply", timeout=300)
    assert "set aside as terraform.tfstate.stale-" in err, err[-3000:]
    assert "apply complete" in err
    assert list(world.state_dir.glob("terraform.tfstate.stale-*")), "the stale state was not kept"
    _, err = world.must("plan", timeout=120)
    assert "plan: 0 to add, 0 to change, 0 to destroy" in err, err[-3000:]
    world.applied = True
