"""The emulator killed while ``train`` waits for its job: a clear error, nothing left; the next run recovers.

Runs after tests/faults/test_1_apply_faults.py on its world: the platform that scenario converged from
scratch on a new emulator (after its own kill) is the one trained on here, so a training job gets under
way on a platform re-applied after a kill.
"""

from __future__ import annotations

import re

import pytest

from harness.progress import JobCreated
from tests.faults.conftest import World, assert_clear_failure

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_emulator_killed_during_train_fails_clearly_and_the_next_run_sets_its_state_aside(
    applied: World,
) -> None:
    """After the kill, what the error's hint leads to: a new emulator (``make up``), on which a plan sets the
    killed one's state aside and plans the whole platform from scratch.

    The rest of that recovery is proven elsewhere, so the chain does not apply the whole platform a third
    time: ``apply`` converging from scratch on a new emulator after a kill, by
    tests/faults/test_1_apply_faults.py::test_emulator_killed_during_apply_fails_clearly_then_apply_converges;
    ``train`` completing on a converged platform, by
    tests/faults/test_2_workflow_faults.py::test_missing_model_artifact_fails_deploy_with_reason_then_converges
    (twice) and by the qualification's ``validate`` (tests/integration/test_qualification.py).
    """
    run = applied.spawn("train")
    run.wait_for_event(lambda e: isinstance(e, JobCreated), "a training job", timeout=120)
    applied.kill_emulator()  # its process group holds the training job's process
    rc = run.finish(timeout=60)
    assert_clear_failure(rc, run.stderr, "embedded local AWS", "stopped answering", "make apply")
    assert rc == 4, run.stderr[-3000:]
    applied.no_processes_left(include_emulator=True)
    assert not applied.lock_file.exists(), "Terraform's state lock was not released"

    aside = set(applied.state_dir.glob("terraform.tfstate.stale-*"))
    applied.must("emulator", "start", timeout=120)
    assert applied.target().client("sagemaker").list_training_jobs()["TrainingJobSummaries"] == []
    out, err = applied.must("plan", timeout=120)
    assert "set aside as terraform.tfstate.stale-" in err, err[-3000:]
    assert set(applied.state_dir.glob("terraform.tfstate.stale-*")) - aside, "the stale state was not kept"
    counts = re.search(r"plan[^:]*: (\d+) to add, 0 to change, 0 to destroy", err)
    assert counts and int(counts.group(1)) > 40, err[-3000:]  # the whole platform, from scratch
    assert "create" in out
