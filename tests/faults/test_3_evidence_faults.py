"""Faults around the evidence: Ctrl-C in `validate`; an archive over retained evidence."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from harness import qualify
from harness.progress import JobCreated, StageStarted
from harness.validation import finalize, package
from tests.faults.conftest import TRACEBACK, World

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_ctrl_c_during_validate_records_the_run_as_aborted(applied: World) -> None:
    run = applied.spawn("validate")
    run.wait_for_event(lambda e: isinstance(e, StageStarted) and e.name == "train", "stage train", 180)
    run.wait_for_event(lambda e: isinstance(e, JobCreated), "a training job", timeout=120)
    run.interrupt()
    rc = run.finish(timeout=90)
    assert rc == 130, run.stderr[-4000:]
    assert TRACEBACK not in run.stderr and "interrupted" in run.stderr, run.stderr[-4000:]
    applied.no_processes_left()
    assert not applied.lock_file.exists()

    runs = [p for p in applied.evidence_dir.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(runs) == 1, runs
    status = json.loads((runs[0] / qualify.ABORTED_FILE).read_text())
    assert status["status"] == "ABORTED" and status["interrupted_stage"] == "train", status
    table = {s["name"]: s["status"] for s in status["stages"]}
    assert table["up"] == table["apply"] == "passed" and table["train"] == "aborted", table
    assert table["report"] == "not run" and not status["archived"] and not status["signed"]
    assert {"context.json", "results.json", "report.json"} <= set(status["written"]), status
    assert json.loads((runs[0] / "report.json").read_text())
    # Nothing of the aborted run reached the evidence bucket.
    bucket = applied.outputs()["evidence_bucket"]
    s3 = applied.target().client("s3")
    assert not s3.list_objects_v2(Bucket=bucket, Prefix=f"evidence/{runs[0].name}").get("Contents")


def test_archive_over_retained_evidence_is_refused_and_the_local_package_stays_whole(applied: World) -> None:
    target = applied.target()
    outputs = applied.outputs()
    bucket, signing = outputs["evidence_bucket"], outputs["kms_key_arns"]["signing"]
    run_dir = package.create_run_folder(applied.work / "evidence-conflict")
    qualify.merge_results(run_dir, [])  # an empty, valid results record
    kms = target.client("kms")
    finalize(run_dir, context={"run_id": run_dir.name}, kms_client=kms, key_id=signing, pdf=False)
    assert package.verify(run_dir).ok

    s3 = target.client("s3")
    key = f"evidence/{run_dir.name}/{run_dir.name}/report.json"
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=b'{"an": "earlier run"}',
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
        ChecksumAlgorithm="SHA256",
    )
    before = {f: (run_dir / f).read_bytes() for f in package.package_files(run_dir)}

    lines: list[str] = []
    with pytest.raises(qualify.ArchiveConflict) as info:
        qualify.archive_evidence(run_dir, s3, bucket, f"evidence/{run_dir.name}", progress=lines.append)
    message = str(info.value)
    assert "COMPLIANCE" in message and key in message and "nothing was uploaded" in message, message
    assert "report verify" in message

    # Nothing lost or changed locally; the package still verifies; the retained object is untouched.
    assert {f: (run_dir / f).read_bytes() for f in package.package_files(run_dir)} == before
    assert package.verify(run_dir).ok
    versions = s3.list_object_versions(Bucket=bucket, Prefix=f"evidence/{run_dir.name}/")
    assert [v["Key"] for v in versions.get("Versions", [])] == [key]
