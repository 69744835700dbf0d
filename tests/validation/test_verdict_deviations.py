"""Deviations for scenarios that failed outside their steps: errored, skipped, or failed in teardown."""

from __future__ import annotations

from typing import Any

from harness.validation.verdict import deviations


def _scenario(status: str, error: str = "", steps: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"scenario": "s", "stage": "oq", "status": status, "error": error, "steps": steps or []}


def _one(scenario: dict[str, Any]) -> list[tuple[str, str, Any]]:
    found = deviations({"scenarios": [scenario]})
    return [(d["expected"], d["observed"], d["step"]) for d in found]


def test_an_error_before_any_step_failed() -> None:
    assert _one(_scenario("error", "fixture broke")) == [
        ("the scenario runs", "scenario error: fixture broke", None)
    ]


def test_a_skipped_scenario() -> None:
    assert _one(_scenario("skipped", "no endpoint")) == [("the scenario runs", "skipped: no endpoint", None)]


def test_a_failed_step_and_a_teardown_error_are_two_deviations() -> None:
    step = {"keyword": "Then", "text": "it holds", "status": "failed", "error": "no"}
    assert _one(_scenario("error", "error in teardown: bucket left", [step])) == [
        ("Then it holds", "no", "Then it holds"),
        ("the scenario cleans up", "error in teardown: bucket left", None),
    ]


def test_a_passed_scenario_has_none() -> None:
    assert _one(_scenario("passed")) == []
