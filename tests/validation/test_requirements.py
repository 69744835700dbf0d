"""requirements.yaml: the project's file is valid; every defect of a bad file is reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.validation.errors import RequirementsError
from harness.validation.requirements import (
    ID_PATTERN,
    SOURCES,
    load_requirements,
    parse_requirements,
    requirement_tags,
)

REPO = Path(__file__).resolve().parents[2]


def test_project_requirements_load() -> None:
    reqs = load_requirements(REPO / "features" / "requirements.yaml")
    assert len(reqs) >= 33
    assert len(set(reqs.ids)) == len(reqs)
    assert all(ID_PATTERN.match(i) for i in reqs.ids)
    assert {r.source for r in reqs} <= set(SOURCES)
    assert set(SOURCES[:6]) <= {r.source for r in reqs}  # every seed section has requirements
    assert reqs.version and reqs.history  # the specification is versioned with its change history
    assert reqs.ids == sorted(reqs.ids)
    assert len(reqs.sha256) == 64
    assert reqs.get("URS_001") is not None and reqs.get("URS_999") is None


def test_thresholds_per_environment() -> None:
    reqs = parse_requirements(
        _doc(GOOD | {"criterion": "c", "thresholds": {"auc": 0.75, "mode": {"default": "C", "local": "G"}}})
    )
    assert reqs.threshold("URS_001", "auc") == 0.75
    assert reqs.threshold("URS_001", "mode", "local") == "G"
    assert reqs.threshold("URS_001", "mode", "validation") == "C"
    with pytest.raises(RequirementsError, match="no threshold 'nope'"):
        reqs.threshold("URS_001", "nope")
    with pytest.raises(RequirementsError, match="thresholds"):
        parse_requirements(_doc(GOOD | {"thresholds": ["x"]}))


def _doc(*items: dict) -> dict:
    return {"requirements": list(items)}


GOOD = {"id": "URS_001", "statement": "s", "risk": "high", "source": "IAM"}


def test_every_problem_is_listed() -> None:
    with pytest.raises(RequirementsError) as info:
        parse_requirements(
            _doc(
                GOOD,
                dict(GOOD),  # duplicate
                {**GOOD, "id": "URS-3"},  # bad id
                {"id": "URS_004", "risk": "low", "source": "Data"},  # no statement
                {**GOOD, "id": "URS_005", "risk": "critical"},
                {**GOOD, "id": "URS_006", "source": "Networking"},
                {**GOOD, "id": "URS_007", "owner": "me"},
                {**GOOD, "id": "URS_008", "checks": "CKV_AWS_7"},
                "not a mapping",
            )
        )
    text = "\n".join(info.value.problems)
    assert len(info.value.problems) == 8
    for fragment in (
        "duplicate id URS_001",
        "'URS-3' does not match",
        "(URS_004): field 'statement' is missing",
        "risk 'critical'",
        "source 'Networking'",
        "unknown field(s) owner",
        "'checks' must be a list",
        "requirement #9: expected a mapping",
    ):
        assert fragment in text
    assert "8 problem(s)" in str(info.value)


@pytest.mark.parametrize("doc", [None, [], {"requirements": {}}, {"requirements": []}])
def test_wrong_shapes(doc: object) -> None:
    with pytest.raises(RequirementsError):
        parse_requirements(doc)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(RequirementsError, match="cannot read"):
        load_requirements(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("requirements: [\n")
    with pytest.raises(RequirementsError, match="not valid YAML"):
        load_requirements(bad)


def test_round_trip_and_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        yaml.safe_dump(_doc({**GOOD, "statement": "a\n   long  statement", "checks": ["CKV_AWS_7"]}))
    )
    reqs = load_requirements(path)
    assert reqs.requirements[0].statement == "a long statement"
    again = type(reqs).from_dict(reqs.to_dict())
    assert again.requirements == reqs.requirements and again.sha256 == reqs.sha256


def test_requirement_tags() -> None:
    assert requirement_tags(["@URS_002", "URS_001", "iq", "URS_01", "URS_0012", "URS_001"]) == [
        "URS_001",
        "URS_002",
    ]
