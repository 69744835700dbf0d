"""The report writer: every file, the JSON's shape, JUnit and Cucumber JSON, HTML content, PDF."""

from __future__ import annotations

import copy
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
    assert [d["kind"] for d in devs] == ["failure", "failure", "checkov"]
    assert [d["id"] for d in devs] == [d["ref"] for d in devs]
    assert devs[0]["step"] == "Then public access is blocked" and "BlockPublicAcls" in devs[0]["observed"]
    assert devs[0]["requirement"] == "URS_002" and devs[0]["classification"] == "critical"
    assert devs[2]["requirement"] == "URS_001" and devs[2]["classification"] == "major"  # via its check id
    assert all(d["status"] == "open" and d["expected"] for d in devs)
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
    # URS_002 is high risk: a second, negative scenario covers it deeply enough
    negative = copy.deepcopy(results["scenarios"][1])
    negative.update(
        id="neg", nodeid="neg", scenario="public ACL refused", line=9, tags=["URS_002", "negative"]
    )
    results["scenarios"].append(negative)
    out = build_report(results, tmp_path / "r", pdf=False)
    assert out.passed and out.pdf_skipped == "not requested"
    assert out.verdict["release"] is False and "emulated" in " ".join(out.verdict["release_reasons"])
    assert not (tmp_path / "r" / "report.pdf").exists()
    assert "PASS" in (tmp_path / "r" / "report.html").read_text()


def test_summarize_checkov_shapes() -> None:
    assert summarize_checkov(None) is None
    merged = summarize_checkov([CHECKOV, {"summary": {"passed": 1, "failed": 0}}])
    assert merged is not None and merged["summary"]["passed"] == 121 and merged["summary"]["failed"] == 1
    plain = summarize_checkov({"passed": 3, "failed": 0, "skipped": 0})
    assert plain is not None and plain["summary"]["passed"] == 3 and plain["failed_checks"] == []


def _gate(failures: int) -> Any:
    """The checkov gate's own result (what the scan stage hands the report)."""
    from harness.validation.checkov import Finding, ScanResult, ScanSummary

    bad = Finding("CKV_AWS_7", "Ensure rotation for customer created CMKs is enabled", "aws_kms_key.data",
                  "/modules/kms/main.tf", [10, 20])  # fmt: skip
    scans = [
        ScanSummary("terraform", "terraform/", "terraform", 300, 0, 4, 0, [], [], "checkov/terraform"),
        ScanSummary("modules", "modules/", "terraform", 274, failures, 2, 0, [bad] * failures, [], "m"),
        ScanSummary("plan", "tfplan.json", "terraform_plan", 100, 0, 1, 0, [], [], "checkov/plan"),
    ]
    return ScanResult(scans, "3.2.0")


def test_one_failing_checkov_check_fails_the_verdict_with_the_gates_totals(
    tmp_path: Path, results: dict[str, Any]
) -> None:
    for sc in results["scenarios"]:  # every scenario passes: only the static gate fails
        sc["status"] = "passed"
        for st in sc["steps"]:
            st["status"] = "passed"
    gate = _gate(failures=1)
    assert not gate.ok
    out = build_report(results, tmp_path / "r", checkov=gate, pdf=False)
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    totals = gate.totals()
    assert {k: report["checkov"]["summary"][k] for k in totals} == totals == {
        "passed": 674, "failed": 1, "skipped": 7, "parsing_errors": 0,
    }  # fmt: skip
    assert not out.passed and report["verdict"]["result"] == "FAIL"
    assert any("CKV_AWS_7 on aws_kms_key.data" in r for r in report["verdict"]["reasons"])
    dev = next(d for d in report["deviations"] if d["kind"] == "checkov")
    assert (dev["check_id"], dev["resource"], dev["status"]) == ("CKV_AWS_7", "aws_kms_key.data", "open")
    assert dev["requirement"] == "URS_001"  # the requirement that lists the check
    # the same gate as a dict (what the stage once handed over) gives the same totals
    again = summarize_checkov(gate.to_dict())
    assert again is not None and again["summary"]["failed"] == 1 and again["summary"]["passed"] == 674
    clean = build_report(results, tmp_path / "c", checkov=_gate(failures=0), pdf=False)
    assert not any("checkov" in r for r in clean.verdict["reasons"])


def test_a_failed_stage_fails_the_verdict_and_release_needs_aws_clean_tree_and_approval(
    tmp_path: Path, results: dict[str, Any]
) -> None:
    for sc in results["scenarios"]:
        sc["status"] = "passed"
        for st in sc["steps"]:
            st["status"] = "passed"
    results["scenarios"][-1]["requirements"] = ["URS_004"]
    negative = copy.deepcopy(results["scenarios"][1])
    negative.update(
        id="neg", nodeid="neg", scenario="public ACL refused", line=9, tags=["URS_002", "negative"]
    )
    results["scenarios"].append(negative)
    stages = [
        {"name": "apply", "status": "passed", "seconds": 1.0, "detail": ""},
        {"name": "deploy", "status": "failed", "seconds": 1.0, "detail": "endpoint Failed"},
        {"name": "report", "status": "not run", "seconds": 0.0, "detail": ""},
    ]
    aws = {"target": "aws", "account": "111122223333", "region": "eu-central-1", "git": {"dirty": False}}
    failed = build_report(results, tmp_path / "f", context=aws, checkov=_gate(0), stages=stages, pdf=False)
    assert (
        failed.verdict["result"] == "FAIL"
        and "stage deploy failed: endpoint Failed" in failed.verdict["reasons"]
    )
    report = json.loads((tmp_path / "f" / "report.json").read_text())
    assert (
        report["deviations"][0]["kind"] == "failure"
        and report["deviations"][0]["classification"] == "critical"
    )
    stages[1]["status"] = "passed"
    unapproved = build_report(
        results, tmp_path / "u", context=aws, checkov=_gate(0), stages=stages, pdf=False
    )
    assert unapproved.passed and unapproved.verdict["release"] is False
    assert unapproved.verdict["release_reasons"] == ["no protocol was recorded"]
    approved = build_report(results, tmp_path / "a", context=aws, checkov=_gate(0), stages=stages, pdf=False,
                            protocol={"sha256": "ab" * 32, "approved": True})  # fmt: skip
    assert approved.verdict["release"] is True and approved.verdict["release_reasons"] == []
    assert approved.verdict["target"]["statement"].startswith("Target: AWS account 111122223333")
    local = build_report(results, tmp_path / "l", context={"target": "local", "git": {"dirty": True}},
                         checkov=_gate(0), stages=stages, pdf=True, protocol={"approved": True})  # fmt: skip
    assert local.passed and not local.verdict["release"]
    assert "emulated environment" in (tmp_path / "l" / "report.html").read_text()
