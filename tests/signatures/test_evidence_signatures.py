"""People sign evidence packages: every separation-of-duty rule refuses by name, records are linked to
the manifest, never overwritten, and ``report verify`` checks them and prints the chain."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness import identity
from harness.target import Target
from harness.validation import approvals, package, signatures
from harness.validation.commands import verify_command
from harness.validation.signatures import SignatureRefused

Sign = Callable[..., approvals.SignOutcome]


@pytest.fixture
def sign(platform: dict[str, Any]) -> Sign:
    def run(
        location: Path | str, signer: Target, meaning: str, name: str, **kw: Any
    ) -> approvals.SignOutcome:
        return approvals.sign(
            str(location),
            signer_target=signer,
            meaning=meaning,
            printed_name=name,
            reason=kw.get("reason", f"{meaning} in a test"),
            key_id=platform["kms_key_arns"]["approvals"],
            approver_role_arn=platform["approver_role_arn"],
            s3_client=signer.client("s3"),
            evidence_bucket=platform["evidence_bucket"],
            sheet_dir=kw.get("sheet_dir"),
        )

    return run


def _verify(location: Path | str, target: Target) -> tuple[int, str]:
    out = io.StringIO()
    rc = verify_command(str(location), s3_client_factory=target.client, out=out)
    return rc, out.getvalue()


def test_identity_carries_the_person(target: Target, platform: dict[str, Any]) -> None:
    me = identity.caller(target)
    assert me.kind == "user" and me.source_identity is None
    jane = identity.caller(identity.assume(target, platform["approver_role_arn"], "Jane Q. Doe", purpose="t"))
    john = identity.caller(identity.assume(target, platform["approver_role_arn"], "John Roe", purpose="t"))
    assert jane.arn.endswith(":assumed-role/sig-approver/Jane.Q.Doe")
    assert (jane.session_name, jane.source_identity) == ("Jane.Q.Doe", "Jane.Q.Doe")
    assert jane.acts_as(platform["approver_role_arn"]) and not me.acts_as(platform["approver_role_arn"])
    assert jane.person != john.person and jane.role_arn == john.role_arn


def test_bad_printed_name_is_refused() -> None:
    from harness.errors import UsageError

    with pytest.raises(UsageError, match="printed name"):
        identity.session_name(" ! ")


def test_executed_reviewed_approved_chain(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any], target: Target
) -> None:
    folder = make_package()
    reviewer = as_person(platform["reviewer_role_arn"], "Rita Reviewer")
    approver = as_person(platform["approver_role_arn"], "Alan Approver")
    reviewed = sign(folder, reviewer, "reviewed", "Rita Reviewer")
    approved = sign(folder, approver, "approved", "Alan Approver", reason="IQ/OQ accepted")
    # Both records are in the folder and, as new objects, beside the archived package.
    assert reviewed.local_path and reviewed.local_path.parent.name == "approvals"
    assert approved.s3_uri and approved.s3_uri.startswith(
        f"s3://sig-evidence/evidence/{folder.name}/approvals/"
    )
    assert (folder / "approvals" / approvals.SHEET_HTML).is_file()
    assert (folder / "approvals" / approvals.SHEET_PDF).read_bytes().startswith(b"%PDF")
    assert "Alan Approver" in (folder / "approvals" / approvals.SHEET_HTML).read_text()
    # The manifest check is unaffected; the chain is printed, for the folder and the bucket copy.
    for location in (folder, f"s3://sig-evidence/evidence/{folder.name}/"):
        rc, text = _verify(location, target)
        assert rc == 0, text
        lines = [line.strip() for line in text.splitlines()]
        chain = lines[lines.index("signatures (chain):") + 1 :]
        assert chain[0].startswith("executed by") and "user/" in chain[0]
        assert chain[1].startswith("reviewed by Rita Reviewer (Rita.Reviewer via arn:aws:sts::")
        assert chain[2].startswith("approved by Alan Approver") and '"IQ/OQ accepted"' in chain[2]
        assert all(line.count("Z") >= 1 for line in chain)


def test_executor_cannot_sign(make_package: Callable[..., Path], sign: Sign, target: Target) -> None:
    folder = make_package()
    for meaning in ("reviewed", "approved"):
        with pytest.raises(SignatureRefused, match=r"rule SOD-1 .*executed this run") as excinfo:
            sign(folder, target, meaning, "Eve Executor")
        assert excinfo.value.rule == "SOD-1"
    assert not (folder / "approvals").exists()


def test_executor_through_a_role_is_still_the_executor(
    make_package: Callable[..., Path],
    sign: Sign,
    as_person: Any,
    platform: dict[str, Any],
    tmp_path: Path,
    target: Target,
) -> None:
    """The person who ran the qualification (by source identity) cannot approve it through any role."""
    folder = make_package(archive=False)
    runner = identity.caller(as_person(platform["data_scientist_role_arn"], "Eve Executor"))
    report = json.loads((folder / "report.json").read_text())
    report["context"]["executor"] = runner.to_dict()
    unsealed = tmp_path / "resealed"
    unsealed.mkdir()
    (unsealed / "report.json").write_text(json.dumps(report))
    package.sign_package(
        unsealed, kms_client=target.client("kms"), key_id=platform["kms_key_arns"]["signing"]
    )
    with pytest.raises(SignatureRefused, match="rule SOD-1"):
        sign(unsealed, as_person(platform["approver_role_arn"], "Eve Executor"), "reviewed", "Eve Executor")


def test_approval_needs_the_approver_role(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any]
) -> None:
    folder = make_package()
    sign(folder, as_person(platform["reviewer_role_arn"], "Rita Reviewer"), "reviewed", "Rita Reviewer")
    with pytest.raises(SignatureRefused, match=r"rule SOD-2 .*not a session of the approver role"):
        sign(folder, as_person(platform["reviewer_role_arn"], "Alan Approver"), "approved", "Alan Approver")


def test_approval_follows_a_review(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any]
) -> None:
    folder = make_package()
    with pytest.raises(SignatureRefused, match="rule SOD-4"):
        sign(folder, as_person(platform["approver_role_arn"], "Alan Approver"), "approved", "Alan Approver")


def test_one_person_cannot_review_and_approve(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any]
) -> None:
    folder = make_package()
    sign(folder, as_person(platform["approver_role_arn"], "Alan Approver"), "reviewed", "Alan Approver")
    with pytest.raises(SignatureRefused, match=r"rule SOD-3 .*already signed this package as reviewed"):
        sign(folder, as_person(platform["approver_role_arn"], "Alan Approver"), "approved", "Alan Approver")


def test_printed_name_must_be_the_sessions_person(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any]
) -> None:
    folder = make_package()
    with pytest.raises(SignatureRefused, match="rule ID-1"):
        sign(folder, as_person(platform["reviewer_role_arn"], "Rita Reviewer"), "reviewed", "Someone Else")


def test_open_critical_deviation_blocks_approval_not_review(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any]
) -> None:
    devs = [
        {"ref": "DEV-001", "classification": "critical", "status": "open"},
        {"ref": "DEV-002", "classification": "minor", "status": "open"},
    ]
    folder = make_package(deviations=devs)
    sign(folder, as_person(platform["reviewer_role_arn"], "Rita Reviewer"), "reviewed", "Rita Reviewer")
    with pytest.raises(SignatureRefused, match=r"rule DEV-1 .*DEV-001") as excinfo:
        sign(folder, as_person(platform["approver_role_arn"], "Alan Approver"), "approved", "Alan Approver")
    assert "DEV-002" not in str(excinfo.value)


def test_resolved_critical_deviation_allows_approval(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any]
) -> None:
    folder = make_package(deviations=[{"ref": "DEV-001", "classification": "critical", "status": "open"}])
    reviewer = as_person(platform["reviewer_role_arn"], "Rita Reviewer")
    sign(folder, reviewer, "reviewed", "Rita Reviewer")
    qa = as_person(platform["reviewer_role_arn"], "Quinn QA")
    record = signatures.new_record(
        subject=signatures.subject(
            signatures.DEVIATION,
            "DEV-001",
            approvals.manifest_sha256(folder) or "",
            impact="none",
            ref="CR-7",
        ),
        meaning="resolved",
        printed_name="Quinn QA",
        signer=identity.caller(qa),
        reason="impact assessed under CR-7",
    )
    doc = signatures.seal(record, kms_client=qa.client("kms"), key_id=platform["kms_key_arns"]["approvals"])
    signatures.write_new(folder / "approvals", doc)
    sign(folder, as_person(platform["approver_role_arn"], "Alan Approver"), "approved", "Alan Approver")
    result = package.verify(folder)
    assert result.ok, result.all_problems()
    assert [s["meaning"] for s in result.approvals["chain"]] == [
        "executed",
        "reviewed",
        "resolved DEV-001",
        "approved",
    ]


def test_tampered_approval_fails_verify(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any], target: Target
) -> None:
    folder = make_package()
    outcome = sign(
        folder, as_person(platform["reviewer_role_arn"], "Rita Reviewer"), "reviewed", "Rita Reviewer"
    )
    assert outcome.local_path is not None
    doc = json.loads(outcome.local_path.read_text())
    doc["record"]["reason"] = "nothing to see"
    outcome.local_path.write_text(json.dumps(doc))
    rc, text = _verify(folder, target)
    assert rc == 1
    assert f"approvals/{outcome.local_path.name}: the signature does not match the record" in text
    assert "INVALID" in text


def test_approval_of_another_manifest_fails_verify(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any], target: Target
) -> None:
    first, second = make_package(archive=False), make_package(archive=False)
    outcome = sign(
        first, as_person(platform["reviewer_role_arn"], "Rita Reviewer"), "reviewed", "Rita Reviewer"
    )
    assert outcome.local_path is not None
    (second / "approvals").mkdir()
    (second / "approvals" / outcome.local_path.name).write_bytes(outcome.local_path.read_bytes())
    rc, text = _verify(second, target)
    assert rc == 1 and "(a signature of another record)" in text


def test_an_altered_package_is_not_signed(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any]
) -> None:
    folder = make_package(archive=False)
    (folder / "results.json").write_text('{"scenarios": ["forged"]}')
    with pytest.raises(SignatureRefused, match=r"(?s)rule INT-1 .*altered: results.json"):
        sign(folder, as_person(platform["reviewer_role_arn"], "Rita Reviewer"), "reviewed", "Rita Reviewer")


def test_records_are_never_overwritten(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any], target: Target
) -> None:
    folder = make_package()
    outcome = sign(
        folder, as_person(platform["reviewer_role_arn"], "Rita Reviewer"), "reviewed", "Rita Reviewer"
    )
    assert outcome.s3_uri is not None
    key = outcome.s3_uri.split("/", 3)[3]
    s3 = target.client("s3")
    with pytest.raises(SignatureRefused, match="rule REC-1"):
        signatures.put_new(s3, platform["evidence_bucket"], key, outcome.document)
    with pytest.raises(SignatureRefused, match="rule REC-1"):
        signatures.write_new(folder / "approvals", outcome.document)
    versions = s3.list_object_versions(Bucket=platform["evidence_bucket"], Prefix=key)["Versions"]
    assert len(versions) == 1


def test_sign_an_s3_package(
    make_package: Callable[..., Path],
    sign: Sign,
    as_person: Any,
    platform: dict[str, Any],
    target: Target,
    tmp_path: Path,
) -> None:
    folder = make_package()
    uri = f"s3://{platform['evidence_bucket']}/evidence/{folder.name}/"
    outcome = sign(
        uri,
        as_person(platform["reviewer_role_arn"], "Rita Reviewer"),
        "reviewed",
        "Rita Reviewer",
        sheet_dir=tmp_path / "sheet",
    )
    assert outcome.local_path is None and outcome.s3_uri and outcome.s3_uri.startswith(uri + "approvals/")
    assert (tmp_path / "sheet" / approvals.SHEET_PDF).is_file()
    assert not (folder / "approvals").exists()  # the folder was not touched
    rc, text = _verify(uri, target)
    assert rc == 0 and "reviewed by Rita Reviewer" in text


def test_unarchived_package_keeps_the_record_locally(
    make_package: Callable[..., Path], sign: Sign, as_person: Any, platform: dict[str, Any]
) -> None:
    folder = make_package(archive=False)
    outcome = sign(
        folder, as_person(platform["reviewer_role_arn"], "Rita Reviewer"), "reviewed", "Rita Reviewer"
    )
    assert outcome.s3_uri is None and outcome.not_archived and "not archived" in outcome.not_archived
    assert outcome.local_path is not None and outcome.local_path.is_file()
