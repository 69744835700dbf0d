"""The PQ suite's step logic: measurements, and criteria read from the specification.

The specification is the real ``features/requirements.yaml``; a tightened copy (one threshold moved
past what the model achieves) must make the same step fail, naming the requirement and the criterion.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from features.pq import measures
from features.pq.measures import AT_LEAST, AT_MOST, judge, require
from harness.validation.requirements import RequirementSet, parse_requirements

SPEC = Path(__file__).resolve().parents[2] / "features" / "requirements.yaml"


def tightened(req_id: str, name: str, value: Any) -> RequirementSet:
    """The real specification with one threshold changed."""
    data = copy.deepcopy(yaml.safe_load(SPEC.read_text()))
    (req,) = [r for r in data["requirements"] if r["id"] == req_id]
    req["thresholds"][name] = value
    return parse_requirements(data, origin="tightened")


class Evidence:
    def __init__(self) -> None:
        self.attached: dict[str, Any] = {}

    def attach(self, name: str, data: Any) -> None:
        self.attached[name] = data


def test_every_pq_requirement_has_a_criterion_and_its_thresholds() -> None:
    from features.support import specification

    spec = specification()
    pq = [r for r in spec if "040" <= r.id[4:] <= "049"]
    assert [r.id for r in pq] == [f"URS_{n:03d}" for n in range(40, 46)]
    assert all(r.source == "Performance" and r.criterion and r.thresholds for r in pq)
    # every threshold the criterion names is in the specification
    for r in pq:
        for name in r.thresholds:
            assert name in r.criterion, (r.id, name)


def test_judge_reads_the_threshold_from_the_specification() -> None:
    verdict = judge("URS_040", "min_auc", 0.806, AT_LEAST)
    assert verdict.met and verdict.threshold == 0.75
    assert verdict.describe() == "URS_040 criterion min_auc met: measured 0.806, required >= 0.75"


def test_a_tightened_criterion_fails_naming_it() -> None:
    spec = tightened("URS_040", "min_auc", 0.9)
    verdict = judge("URS_040", "min_auc", 0.806, AT_LEAST, spec=spec)
    assert not verdict.met
    with pytest.raises(
        AssertionError, match=r"URS_040 criterion min_auc NOT met: measured 0.806, required >= 0.9"
    ):
        require([verdict])


def test_the_pq_step_logic_fails_when_the_specification_is_tightened(monkeypatch: pytest.MonkeyPatch) -> None:
    """The steps' logic, fed a measurement, against the real and then a tightened specification."""
    measured = {"auc": 0.806, "brier": 0.106, "ece": 0.033, "p95_ms": 29.0, "error_rate": 0.0}
    assert measures.meets("ROC AUC", "URS_040", "min_auc", measured, Evidence()).met
    assert measures.meets("p95 latency", "URS_043", "max_p95_ms", measured, Evidence()).met
    monkeypatch.setattr(measures, "specification", lambda: tightened("URS_043", "max_p95_ms", 10))
    evidence = Evidence()
    with pytest.raises(
        AssertionError, match="URS_043 criterion max_p95_ms NOT met: measured 29, required <= 10"
    ):
        measures.meets("p95 latency", "URS_043", "max_p95_ms", measured, evidence)
    assert evidence.attached["Criteria"][0]["threshold"] == 10.0
    # a negative scenario: the shuffled scores' AUC must be rejected; a loosened criterion accepts it
    assert not measures.rejects("ROC AUC", "URS_040", "min_auc", {"auc": 0.54}, Evidence()).met
    monkeypatch.setattr(measures, "specification", lambda: tightened("URS_040", "min_auc", 0.5))
    with pytest.raises(AssertionError, match="accepted what it must reject: URS_040 criterion min_auc met"):
        measures.rejects("ROC AUC", "URS_040", "min_auc", {"auc": 0.54}, Evidence())


def test_a_missing_or_nan_measurement_never_meets_a_criterion() -> None:
    assert not judge("URS_043", "max_p95_ms", float("nan"), AT_MOST).met
    assert not judge("URS_042", "min_band_auc", None, AT_LEAST).met


def test_calibration_measures() -> None:
    labels = np.array([0, 0, 1, 1])
    assert measures.brier_score(labels, np.array([0.0, 0.0, 1.0, 1.0])) == 0.0
    assert measures.brier_score(labels, np.array([0.5] * 4)) == 0.25
    perfect = measures.expected_calibration_error(np.array([0, 1, 0, 1]), np.array([0.5] * 4), bins=10)
    assert perfect["ece"] == 0.0 and perfect["reliability"][0]["rows"] == 4
    off = measures.expected_calibration_error(np.array([0, 0, 0, 0]), np.array([0.9] * 4), bins=10)
    assert off["ece"] == pytest.approx(0.9)


def test_auc_by_band() -> None:
    ages = np.array([20, 30, 40, 50, 60, 70, 80, 90])
    labels = np.array([0, 1, 0, 1, 0, 1, 1, 1])
    scores = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.6, 0.5])
    bands = measures.auc_by_band(ages, labels, scores, measures.parse_bands("18-49,50-69,70-90"))
    assert [(b["band"], b["rows"], b["positives"]) for b in bands] == [
        ("18-49", 3, 1),
        ("50-69", 2, 1),
        ("70-90", 3, 3),
    ]
    assert bands[0]["auc"] == 1.0 and bands[1]["auc"] == 1.0
    assert bands[2]["auc"] is None  # one class only: no AUC, which never meets a criterion


def test_run_load_counts_requests_errors_and_windows() -> None:
    def make() -> Any:
        def invoke(n: int) -> None:
            if n % 10 == 9:
                raise ValueError("malformed")

        return invoke

    result = measures.run_load(make, clients=3, requests=50)
    summary = result.summary()
    assert (summary["requests"], summary["errors"], summary["error_rate"]) == (50, 5, 0.1)
    assert summary["first_errors"] == ["ValueError: malformed"]
    timed = measures.run_load(make, clients=2, duration=0.3)
    windows = timed.windows(0.1)
    assert len(windows) == 3 and sum(w["requests"] for w in windows) == len(timed.calls)
    with pytest.raises(ValueError):
        measures.run_load(make, clients=1)


def test_max_abs_difference() -> None:
    assert measures.max_abs_difference([0.1, 0.2], [0.1, 0.2]) == 0.0
    assert measures.max_abs_difference([0.1, 0.2], [0.1, 0.25]) == pytest.approx(0.05)
    assert measures.max_abs_difference([0.1], [0.1, 0.2]) == float("inf")
