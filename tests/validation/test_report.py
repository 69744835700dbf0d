"""The report writer: every file, the JSON's shape, JUnit and Cucumber JSON, HTML content, PDF."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from harness.validation.report import build_report, summarize_checkov
from harness.validation.requirements import RequirementSet

LINEAGE = {
    "dataset": {"uri": "s3://data/processed/ml/train.csv", "sha256": "d" * 64},
    "training_job": {"name": "dropout-model-train-1"},
    "artifact": {"uri": "s3://models/dropout_xgb/output/model.tar.gz", "sha256": "e" * 64},
    "model_package": {"arn": "arn:aws:sagemaker:eu-central-1:1:model-package/dropout/3", "version": 3},
    "endpoint_config": {"name": "dropout-config"},
    "endpoint": {"name": "dropout-inference"},
}
CHECKOV = {
    "check_type": "terraform",
    "summary": {"passed": 120, "failed": 1, "skipped": 2, "parsing_errors": 0, "checkov_version": "3.2.0"},
    "results": {
        "passed_checks": [{"check_id": "CKV_AWS_21"}],
        "failed_checks": [
            {
                "check_id": "CKV_AWS_7",
                "check_name": "KMS rotation",
                "resource": "aws_kms_key.this",
                "file_path": "/m.tf",
            }
        ],
        "skipped_checks": [
            {"check_id": "CKV_AWS_144", "resource": "aws_s3_bucket.this", "suppress_comment": "one"}
        ],
    },
}
METRICS = {
    "roc": {"fpr": [0.0, 0.1, 0.3, 1.0], "tpr": [0.0, 0.6, 0.9, 1.0], "auc": 0.87},
    "latencies_ms": [3.1, 4.2, 5.0, 4.4, 12.5, 3.9],
    "holdout_auc": 0.87,
}
CONTEXT = {
    "run_id": "20251128T100000Z-abc123",
    "target": "local",
    "region": "eu-central-1",
    "account": "123456789012",
    "caller": {"arn": "arn:aws:iam::123456789012:user/qa"},
    "git": {"commit": "f" * 40, "branch": "main", "dirty": False},
    "terraform": {"version": "1.11.4", "providers": {"hashicorp/aws": "5.100.0"}, "state_serial": 7},
    "packages": {"boto3": {"pinned": "1.44.8", "installed": "1.44.8"}},
}


@pytest.fixture
def built(tmp_path: Path, results: dict[str, Any]) -> tuple[Path, Any]:
    (tmp_path / "results.json").write_text(json.dumps(results))
    out = build_report(tmp_path, tmp_path, context=CONTEXT, lineage=LINEAGE, checkov=CHECKOV, metrics=METRICS)
    return tmp_path, out


def test_files_and_verdict(built: tuple[Path, Any]) -> None:
    folder, out = built
    names = {p.name for p in out.files}
    assert {"report.json", "junit.xml", "cucumber.json", "matrix.csv", "matrix.json", "matrix.md"} <= names
    assert {"report.html", "report.pdf"} <= names
    assert all(p.is_file() and p.stat().st_size > 0 for p in out.files)
    assert not out.passed
    reasons = "\n".join(out.verdict["reasons"])
    for fragment in ("1 scenario(s) failed", "1 scenario(s) skipped", "URS_004", "1 checkov check(s) failed"):
        assert fragment in reasons
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")


def test_report_json(built: tuple[Path, Any], results: dict[str, Any]) -> None:
    report = json.loads((built[0] / "report.json").read_text())
    for key in ("schema", "run_id", "generated", "verdict", "context", "stages", "requirements", "matrix"):
        assert key in report
    for key in ("deviations", "lineage", "checkov", "metrics", "signatures", "results"):
        assert key in report
    assert report["run_id"] == CONTEXT["run_id"]
    assert [s["stage"] for s in report["stages"]] == ["iq", "oq"]
    iq = report["stages"][0]
    assert (iq["scenarios"], iq["passed"], iq["failed"]) == (2, 1, 1)
    assert len(report["results"]["scenarios"]) == len(results["scenarios"])
    for sc in report["results"]["scenarios"]:
        for st in sc["steps"]:
            assert {"keyword", "text", "status", "started", "finished", "duration", "attachments"} <= set(st)
    assert report["results"]["scenarios"][0]["steps"][0]["attachments"][0]["name"] == "DescribeKey"
    devs = report["deviations"]
    assert [d["ref"] for d in devs] == ["DEV-001", "DEV-002", "DEV-003"]
    assert [d["kind"] for d in devs] == ["failed step", "skipped", "failed check"]
    assert devs[0]["step"] == "Then public access is blocked" and "BlockPublicAcls" in devs[0]["message"]
    assert [s["role"] for s in report["signatures"]] == ["Prepared by", "Reviewed by", "Approved by"]
    assert report["metrics"]["computed"]["latency_ms"]["count"] == 6
    assert report["checkov"]["failed_ids"] == ["CKV_AWS_7"]


def test_junit_and_cucumber(built: tuple[Path, Any]) -> None:
    root = ET.parse(built[0] / "junit.xml").getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("errors")) == (
        "5",
        "1",
        "1",
        "0",
    )
    failure = root.find(".//testcase[@name='bucket private']/failure")
    assert failure is not None and "BlockPublicAcls" in failure.get("message", "")
    reqs = [p.get("value") for p in root.findall(".//testcase[@name='key rotation']/properties/property")]
    assert "URS_001" in reqs and "URS_005" in reqs
    cucumber = json.loads((built[0] / "cucumber.json").read_text())
    steps = [st for feat in cucumber for el in feat["elements"] for st in el["steps"]]
    assert {st["result"]["status"] for st in steps} == {"passed", "failed", "skipped"}
    assert any(st.get("embeddings") for st in steps)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)
        self.scripts += tag == "script"


def test_html(built: tuple[Path, Any], requirements: RequirementSet) -> None:
    html = (built[0] / "report.html").read_text()
    parser = _Parser()
    parser.feed(html)
    assert parser.scripts == 0 and "svg" in parser.tags and "details" in parser.tags
    for req in requirements:
        assert f'id="{req.id}"' in html and req.statement in html
    # deviation message, escaped
    assert "AssertionError: &lt;BlockPublicAcls&gt; off" in html and "<BlockPublicAcls>" not in html
    assert "DEV-001" in html and "endpoint not deployed" in html
    for text in (
        "ROC curve",
        "Latency",
        "dropout-inference",
        "e" * 64,
        "5.100.0",
        "1.11.4",
        "state serial 7",
    ):
        assert text in html
    assert "KeyRotationEnabled" in html  # step evidence
    for role in ("Prepared by", "Reviewed by", "Approved by"):
        assert role in html
    assert "not covered" in html and "incomplete" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # self-contained


def test_minimal_inputs_and_no_pdf(tmp_path: Path, results: dict[str, Any]) -> None:
    for sc in results["scenarios"]:
        sc["status"] = "passed"
        for st in sc["steps"]:
            st["status"] = "passed"
    results["scenarios"][-1]["requirements"] = ["URS_004"]
    out = build_report(results, tmp_path / "r", pdf=False)
    assert out.passed and out.pdf_skipped == "not requested"
    assert not (tmp_path / "r" / "report.pdf").exists()
    assert "PASS" in (tmp_path / "r" / "report.html").read_text()


def test_summarize_checkov_shapes() -> None:
    assert summarize_checkov(None) is None
    merged = summarize_checkov([CHECKOV, {"summary": {"passed": 1, "failed": 0}}])
    assert merged is not None and merged["summary"]["passed"] == 121 and merged["summary"]["failed"] == 1
    plain = summarize_checkov({"passed": 3, "failed": 0, "skipped": 0})
    assert plain is not None and plain["summary"]["passed"] == 3 and plain["failed_checks"] == []
