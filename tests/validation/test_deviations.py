"""Deviations: each failure of a sealed package is resolved by a person's signed record, never an edit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

pytest.importorskip("harness.validation.signatures")
pytest.importorskip("harness.identity")

from harness.validation import deviations, package
from harness.validation.errors import EvidenceError

from .conftest import moto_kms

REGION = "eu-central-1"


class _Target:
    """The signer: boto3 clients of one identity (what ``harness.identity.assume`` returns)."""

    region = REGION

    def client(self, service: str, **_: Any) -> Any:
        return boto3.client(service, region_name=REGION)


@pytest.fixture
def sealed(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    with moto_kms(REGION) as kms:
        seal_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        approvals_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        folder = tmp_path / "20261201T030000Z-abcdef"
        folder.mkdir()
        report = {
            "deviations": [
                {"id": "DEV-001", "ref": "DEV-001", "kind": "checkov", "requirement": "URS_018",
                 "classification": "critical", "expected": "CKV_AWS_7 passes", "observed": "failed",
                 "status": "open"},
            ]
        }  # fmt: skip
        (folder / "report.json").write_text(json.dumps(report))
        (folder / "context.json").write_text(json.dumps({"executor": {"arn": "arn:aws:iam::1:user/runner"}}))
        package.sign_package(folder, kms_client=kms, key_id=seal_key)
        yield folder, approvals_key


def test_a_resolution_is_a_signed_record_and_the_deviation_reads_resolved(sealed: tuple[Path, str]) -> None:
    folder, key = sealed
    assert [d["status"] for d in deviations.current(folder)] == ["open"]
    with pytest.raises(EvidenceError, match="no deviation DEV-009"):
        deviations.resolve(folder, "DEV-009", impact="x", change="CHG-1", printed_name="Ann Lee",
                           signer_target=_Target(), key_id=key)  # fmt: skip
    outcome = deviations.resolve(
        folder,
        "DEV-001",
        impact="rotation re-enabled; no data was encrypted under the unrotated key",
        change="CHG-1042",
        printed_name="Ann Lee",
        signer_target=_Target(),
        key_id=key,
    )
    assert outcome.local_path is not None and outcome.local_path.parent.name == "approvals"
    subject = outcome.record["subject"]
    assert (subject["kind"], subject["id"], subject["change"]) == ("deviation", "DEV-001", "CHG-1042")
    now = deviations.current(folder)
    assert now[0]["status"] == "resolved" and now[0]["resolution"]["change"] == "CHG-1042"
    assert package.verify(folder).ok  # the record sits beside the sealed package, not in it
    with pytest.raises(EvidenceError, match="REC-1"):
        deviations.resolve(folder, "DEV-001", impact="again", change="CHG-2", printed_name="Ann Lee",
                           signer_target=_Target(), key_id=key)  # fmt: skip
    # a tampered resolution no longer counts
    doc = json.loads(outcome.local_path.read_text())
    doc["record"]["subject"]["impact"] = "nothing to see"
    outcome.local_path.write_text(json.dumps(doc))
    assert deviations.current(folder)[0]["status"] == "open"
