"""A root variable out of its validation fails at plan, naming the variable, and creates nothing.

Apart from ``test_platform.py`` on purpose: it needs an emulator but no applied platform (a state of
its own), so it runs on any worker instead of lengthening the applied platform's chain.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import target as targets
from harness.provisioning import Layout, Platform
from harness.terraform import TerraformError
from tests import variable_diagnostics
from tests.integration.conftest import project_buckets, project_roles

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_bad_variable_fails_at_plan_and_creates_nothing(
    emulator: object, emulator_dir: Path, tmp_path: Path
) -> None:
    # the running instance, resolved now: on a worker where test_platform.py ran first, its restart
    # test replaced the session's emulator, and a target of the old instance would have Terraform's
    # watchdog stop the plan as if the emulator had died
    local_target = targets.resolve("local", state_dir=emulator_dir, environ={})
    # a state of its own: the plan stops at the variable before refreshing anything (the shared
    # platform's state would cost a refresh of every resource per plan)
    work_layout = Layout(work=tmp_path)
    before = project_buckets(local_target), project_roles(local_target)
    values = {"log_retention_days": 30, "endpoint_instance_type": "ml.p4d.24xlarge"}
    bad = Platform(local_target, layout=work_layout, variables=values)
    with pytest.raises(TerraformError) as info:
        bad.plan()
    for name, value in values.items():
        diagnostic = variable_diagnostics.refusal_of(info.value, name, value)
        message = diagnostic["detail"].splitlines()[0]
        assert name in message and message in str(info.value), (message, str(info.value))
    assert (project_buckets(local_target), project_roles(local_target)) == before
