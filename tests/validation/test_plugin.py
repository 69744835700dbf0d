"""The pytest plugin on a tiny pytest-bdd suite: results.json as an auditor reads it.

The suite runs in-process (pytester: a pytest session of its own inside this one, its modules
forgotten afterwards), as ``pytest -p harness.validation.pytest_plugin`` runs it; one run goes through
a separate interpreter to show the plugin loads by its module name from a clean process.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

FEATURE = """\
@URS_001
Feature: Keys
  Background:
    Given the platform

  @URS_002
  Scenario: rotation is on
    When I describe the key
    Then rotation is enabled

  Scenario: a control is broken
    When I describe the key
    Then the control holds
    And this step never runs

  Scenario Outline: size <n>
    Then <n> is small

    Examples:
      | n |
      | 1 |
      | 9 |

  Scenario: skipped on purpose
    Then skip here

  Scenario: undefined step
    Then nobody wrote this step
"""

STEPS = """\
import datetime

import pytest
from pytest_bdd import given, parsers, scenario, scenarios, then, when

scenarios("keys.feature")


@pytest.fixture
def described(evidence):
    evidence.attach("fixture-before-steps", {"phase": "setup"})
    return True


@pytest.fixture
def broken_fixture():
    raise RuntimeError("fixture exploded")


@scenario("keys.feature", "rotation is on")
def test_rotation_is_on(described):
    pass


@scenario("keys.feature", "a control is broken")
def test_broken(broken_fixture):
    pass


@given("the platform")
def platform():
    pass


@when("I describe the key")
def describe(evidence):
    evidence.attach(
        "DescribeKey",
        {"KeyMetadata": {"KeyId": "k-1", "CreationDate": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)},
         "Blob": b"\\x00\\x01"},
    )


@then("rotation is enabled")
def rotation(evidence):
    evidence.attach("GetKeyRotationStatus", {"KeyRotationEnabled": True})


@then("the control holds")
def holds():
    assert 1 == 2, "control does not hold"


@then("this step never runs")
def never():
    pass


@then(parsers.parse("{n:d} is small"))
def small(n):
    assert n < 5, f"{n} is not small"


@then("skip here")
def skip_here():
    pytest.skip("not on this target")
"""

REQUIREMENTS = """\
requirements:
  - {id: URS_001, statement: Keys rotate., risk: high, source: Governance & Security}
  - {id: URS_002, statement: Rotation is on., risk: medium, source: Governance & Security}
"""


pytest_plugins = ["pytester"]

ARGS = ("-p", "harness.validation.pytest_plugin", "--strict-markers", "-p", "no:cacheprovider", "-q")


def _project(tmp_path: Path, feature: str = FEATURE, steps: str = STEPS) -> Path:
    (tmp_path / "features" / "iq").mkdir(parents=True)
    (tmp_path / "features" / "requirements.yaml").write_text(REQUIREMENTS)
    (tmp_path / "features" / "iq" / "keys.feature").write_text(feature)
    (tmp_path / "features" / "iq" / "test_keys.py").write_text(steps)
    return tmp_path


@dataclasses.dataclass(frozen=True)
class Done:
    """A finished pytest run of the tiny suite: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Done]:
    """``run_suite(*args, env=...)``: pytest with the plugin over ``pytester.path``, in-process."""
    for name in ("EVIDENCE_DIR", "URS_FILE"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, env: dict[str, str] | None = None) -> Done:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            result = pytester.runpytest_inprocess(*ARGS, *args)
        return Done(int(result.ret), "\n".join(result.outlines), "\n".join(result.errlines))

    return run


def _pytest(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """pytest with the plugin in a separate interpreter (as ``make validate`` starts it)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("EVIDENCE_DIR", "URS_FILE")}
    environ.update({"PYTHONPATH": str(REPO), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "pytest", *ARGS, *args],
        cwd=cwd, env=environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def recorded(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    root = _project(tmp_path_factory.mktemp("bdd"))
    done = _pytest(root, "--evidence-dir", "out", "features")
    data = json.loads((root / "out" / "results.json").read_text())
    return data, done


def _by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for sc in data["scenarios"]:
        key = sc["scenario"] + (f"[{sc['example']['n']}]" if sc["example"] else "")
        out[key] = sc
    return out


def _ts(text: str) -> dt.datetime:
    assert text.endswith("Z")
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def test_results_document(recorded: tuple[dict[str, Any], Any]) -> None:
    data, done = recorded
    assert done.returncode == 1, done.stdout + done.stderr
    assert "evidence: scenario results written to" in done.stdout
    assert data["schema"] == "harness.validation/results/v1"
    assert data["exit_status"] == 1 and data["pytest_bdd"] == "9.0.1"
    assert [r["id"] for r in data["requirements"]["requirements"]] == ["URS_001", "URS_002"]
    by = _by_name(data)
    assert set(by) == {
        "rotation is on",
        "a control is broken",
        "size 1[1]",
        "size 9[9]",
        "skipped on purpose",
        "undefined step",
    }
    assert {k: v["status"] for k, v in by.items()} == {
        "rotation is on": "passed",
        "a control is broken": "error",
        "size 1[1]": "passed",
        "size 9[9]": "failed",
        "skipped on purpose": "skipped",
        "undefined step": "failed",
    }
    assert data["summary"]["by_stage"]["iq"]["passed"] == 2
    assert all(sc["stage"] == "iq" and sc["feature_file"] == "features/iq/keys.feature" for sc in by.values())


def test_passing_scenario_steps_tags_and_attachments(recorded: tuple[dict[str, Any], Any]) -> None:
    sc = _by_name(recorded[0])["rotation is on"]
    assert sc["tags"] == ["URS_001", "URS_002"] and sc["requirements"] == ["URS_001", "URS_002"]
    assert [(s["keyword"], s["text"], s["status"]) for s in sc["steps"]] == [
        ("Given", "the platform", "passed"),
        ("When", "I describe the key", "passed"),
        ("Then", "rotation is enabled", "passed"),
    ]
    times = [_ts(sc["started"])]
    for st in sc["steps"]:
        assert st["duration"] >= 0 and st["error"] is None
        times += [_ts(st["started"]), _ts(st["finished"])]
    times.append(_ts(sc["finished"]))
    assert times == sorted(times)
    when, then = sc["steps"][1], sc["steps"][2]
    [described] = when["attachments"]
    assert described["name"] == "DescribeKey" and len(described["sha256"]) == 64
    assert described["data"]["KeyMetadata"]["CreationDate"] == "2025-01-01T00:00:00Z"
    assert described["data"]["Blob"] == {"base64": "AAE="}
    assert then["attachments"][0]["data"] == {"KeyRotationEnabled": True}
    # An attachment made by a fixture before the first step belongs to the scenario.
    assert [a["name"] for a in sc["attachments"]] == ["fixture-before-steps"]


def test_failed_step_message_and_following_steps(recorded: tuple[dict[str, Any], Any]) -> None:
    by = _by_name(recorded[0])
    failing = by["size 9[9]"]
    assert failing["example"] == {"n": "9"}
    [given, then] = failing["steps"]
    assert given["status"] == "passed"
    assert then["status"] == "failed" and "9 is not small" in then["error"]
    assert then["error"].startswith("AssertionError")
    assert "9 is not small" in failing["error"]
    skipped = by["skipped on purpose"]
    assert (
        skipped["steps"][-1]["status"] == "skipped" and "not on this target" in skipped["steps"][-1]["error"]
    )
    undefined = by["undefined step"]
    assert undefined["steps"][-1]["status"] == "failed"
    assert "Step definition is not found" in undefined["steps"][-1]["error"]


def test_setup_error_is_recorded_with_unrun_steps(recorded: tuple[dict[str, Any], Any]) -> None:
    sc = _by_name(recorded[0])["a control is broken"]
    assert sc["status"] == "error" and "fixture exploded" in sc["error"]
    assert [s["status"] for s in sc["steps"]] == ["skipped"] * 4
    assert sc["requirements"] == ["URS_001"]


def test_strict_markers_reject_an_unknown_requirement(
    pytester: pytest.Pytester, run_suite: Callable[..., Done]
) -> None:
    _project(pytester.path, feature=FEATURE.replace("@URS_002", "@URS_020"))
    done = run_suite("--evidence-dir", "out", "features")
    assert done.returncode != 0
    assert "URS_020" in done.stdout + done.stderr and "not found in `markers`" in done.stdout + done.stderr


def test_markers_registered_and_env_evidence_dir(
    pytester: pytest.Pytester, run_suite: Callable[..., Done], tmp_path: Path
) -> None:
    _project(pytester.path)
    listed = run_suite("--markers")
    assert "@pytest.mark.URS_001: [high] Keys rotate." in listed.stdout
    done = run_suite("features", "-k", "rotation", env={"EVIDENCE_DIR": str(tmp_path / "env-out")})
    assert done.returncode == 0, done.stdout
    assert json.loads((tmp_path / "env-out" / "results.json").read_text())["summary"]["scenarios"] == 1


def test_nothing_written_without_evidence_dir(
    pytester: pytest.Pytester, run_suite: Callable[..., Done]
) -> None:
    root = _project(pytester.path)
    done = run_suite("features", "-k", "rotation")
    assert done.returncode == 0
    assert not list(root.rglob("results.json"))


def test_a_bad_requirements_file_is_a_usage_error(
    pytester: pytest.Pytester, run_suite: Callable[..., Done]
) -> None:
    root = _project(pytester.path)
    (root / "features" / "requirements.yaml").write_text(
        textwrap.dedent("""\
            requirements:
              - {id: URS_1, statement: x, risk: high, source: IAM}
        """)
    )
    done = run_suite("features")
    assert done.returncode == 4 and "URS_1" in done.stderr
