"""Traceability matrix: passed, failed, incomplete and not covered; untraced and unknown tags."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from harness.validation import matrix
from harness.validation.requirements import Requirement, RequirementSet


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "not covered"),
        (["passed"], "passed"),
        (["passed", "passed"], "passed"),
        (["passed", "failed"], "failed"),
        (["error"], "failed"),
        (["passed", "skipped"], "incomplete"),
        (["skipped", "skipped"], "not covered"),
        (["skipped", "failed"], "failed"),
    ],
)
def test_requirement_status(statuses: list[str], expected: str) -> None:
    assert matrix.requirement_status(statuses) == expected


def test_build_matrix(requirements: RequirementSet, results: dict[str, Any]) -> None:
    results["scenarios"][0]["requirements"].append("URS_099")
    m = matrix.build_matrix(requirements, results)
    status = {r["requirement"]: r["status"] for r in m["rows"]}
    assert status == {
        "URS_001": "passed",
        "URS_002": "failed",
        "URS_003": "incomplete",
        "URS_004": "not covered",
        "URS_005": "passed",
    }
    assert m["summary"] == {
        "requirements": 5,
        "passed": 2,
        "failed": 1,
        "incomplete": 1,
        "not covered": 1,
        "insufficiently covered": 0,
    }
    row3 = next(r for r in m["rows"] if r["requirement"] == "URS_003")
    assert row3["stages"] == ["oq"] and len(row3["scenarios"]) == 2
    assert [s["scenario"] for s in m["untraced_scenarios"]] == ["untraced"]
    assert list(m["unknown_requirements"]) == ["URS_099"]


def test_formats(requirements: RequirementSet, results: dict[str, Any], tmp_path: Path) -> None:
    m = matrix.build_matrix(requirements, results)
    paths = matrix.write_matrix(m, tmp_path)
    assert sorted(p.name for p in paths) == ["matrix.csv", "matrix.json", "matrix.md"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "matrix.csv").read_text())))
    assert [r["requirement"] for r in rows] == requirements.ids
    assert rows[1]["status"] == "failed" and "IQ IQ controls: bucket private" in rows[1]["scenarios"]
    assert json.loads((tmp_path / "matrix.json").read_text())["summary"]["failed"] == 1
    md = (tmp_path / "matrix.md").read_text()
    for req in requirements:
        assert f"| {req.id} |" in md
    assert "**not covered**" in md and "Scenarios tracing to no requirement" in md


def test_a_high_risk_requirement_needs_two_scenarios_one_negative(results: dict[str, Any]) -> None:
    reqs = RequirementSet((Requirement("URS_001", "Keys rotate.", "high", "Governance & Security"),))
    row = matrix.build_matrix(reqs, results)["rows"][0]
    assert row["status"] == "insufficiently covered"
    assert row["coverage"] == {
        "scenarios": 1,
        "negative": 0,
        "required_scenarios": 2,
        "required_negative": 1,
        "sufficient": False,
    }
    second = dict(results["scenarios"][0], id="x", nodeid="x", scenario="another", line=20)
    results["scenarios"].append(second)
    assert matrix.build_matrix(reqs, results)["rows"][0]["status"] == "insufficiently covered"
    second["tags"] = ["URS_001", "negative"]
    row = matrix.build_matrix(reqs, results)["rows"][0]
    assert row["status"] == "passed" and row["coverage"]["negative"] == 1
    # the examples of one outline count as one scenario
    outline = [dict(results["scenarios"][0], id=f"o{i}", example={"n": str(i)}) for i in range(3)]
    results["scenarios"] = outline
    assert matrix.build_matrix(reqs, results)["rows"][0]["coverage"]["scenarios"] == 1
