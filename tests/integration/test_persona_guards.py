"""The persona scenarios' checks on the applied platform, each negative one failing once its guard is
taken out of the live policies (the persona roles' policies, the data key's policy) and passing again
once it is back: the scenarios prove the guards, not the absence of a mistake elsewhere.

Reads the platform applied once for the end-to-end tests (tests/integration/conftest.py); every guard
taken out is put back, so the platform is left as applied.
"""

from __future__ import annotations

from typing import Any

import pytest

from features import personas
from features.support import Clients
from harness.target import Target
from tests.integration.conftest import SharedPlatform
from tests.persona_guards import (
    NEGATIVE_CHECKS,
    POSITIVE_CHECKS,
    NegativeCheck,
    Sessions,
    sessions_for,
    show_guard,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def outputs(shared_platform: SharedPlatform) -> dict[str, Any]:
    return shared_platform.get().outputs


@pytest.fixture(scope="module")
def sessions(local_target: Target, outputs: dict[str, Any]) -> Sessions:
    return sessions_for(local_target, outputs)


@pytest.mark.parametrize("check", POSITIVE_CHECKS, ids=[c[0] for c in POSITIVE_CHECKS])
def test_positive_check_passes(
    check: tuple[str, Any], sessions: Sessions, local_target: Target, outputs: dict[str, Any]
) -> None:
    attempts = check[1](sessions, local_target, outputs)
    assert all(a.allowed for a in attempts), [(a.call, a.message) for a in attempts if not a.allowed]


@pytest.mark.parametrize("check", NEGATIVE_CHECKS, ids=[c.scenario for c in NEGATIVE_CHECKS])
def test_negative_check_fails_without_its_guard(
    check: NegativeCheck, sessions: Sessions, local_target: Target, outputs: dict[str, Any]
) -> None:
    shown = show_guard(check, sessions, local_target, outputs)
    print(f"\n{check.scenario}:")
    for phase, attempts in shown.items():
        for a in attempts:
            print(f"  {phase:13s} {a.call}: {'let through' if a.allowed else 'refused'} {a.code}")


def test_only_break_glass_may_delete_the_data_key(local_target: Target, outputs: dict[str, Any]) -> None:
    aws = Clients(local_target)
    key = outputs["kms_key_arns"]["data"]
    policy = aws("kms").get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    glass = personas.break_glass_principals(policy)
    assert glass
    for arn in glass:
        assert set(personas.simulate_key_custody(aws, key, policy, arn).values()) == {"allowed"}
    for output in personas.PERSONA_OUTPUTS.values():
        assert set(personas.simulate_key_custody(aws, key, policy, outputs[output]).values()) == {
            "explicitDeny"
        }
