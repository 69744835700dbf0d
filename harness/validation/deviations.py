"""Deviations of a sealed package and their signed resolutions.

``report.json`` lists each failure as a numbered deviation (``DEV-001``...: requirement, kind,
classification from the risk, expected, observed, status ``open``; see
:mod:`harness.validation.verdict`). The package is sealed, so a resolution is not an edit: it is a
person's signed record (:mod:`harness.validation.signatures`, subject kind ``deviation``, meaning
``resolved``) that names the deviation, its impact assessment and the change that resolves it, linked
to the package by the manifest's SHA-256. It is written under ``approvals/`` beside the package (never
overwriting) and as a new Object Lock object under the package's prefix in the evidence bucket.
:func:`current` gives each deviation's status as of now (``open`` or ``resolved`` with the record).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from harness.validation.errors import EvidenceError

REPORT = "report.json"


def _report(folder: Path) -> dict[str, Any]:
    path = folder / REPORT
    if not path.is_file():
        raise EvidenceError(f"{folder}: no {REPORT}: not an evidence package", hint="name a run folder")
    return json.loads(path.read_text(encoding="utf-8"))


def listed(folder: str | Path) -> list[dict[str, Any]]:
    """The deviations the sealed report lists."""
    return list(_report(Path(folder)).get("deviations") or [])


def resolutions(folder: str | Path) -> dict[str, dict[str, Any]]:
    """Deviation id -> the valid signed resolution record of it (checked offline)."""
    from harness.validation import approvals

    out: dict[str, dict[str, Any]] = {}
    for check in approvals.read(Path(folder)).checks:
        subject = check.record.get("subject") or {}
        if check.ok and subject.get("kind") == "deviation" and check.record.get("meaning") == "resolved":
            out.setdefault(str(subject.get("id")), check.record)
    return out


def current(folder: str | Path) -> list[dict[str, Any]]:
    """Every deviation with its status now: ``resolved`` (with who, when, impact, change) or ``open``."""
    folder = Path(folder)
    done = resolutions(folder) if (folder / "approvals").is_dir() else {}
    out = []
    for dev in listed(folder):
        ref = dev.get("id") or dev.get("ref")
        record = done.get(str(ref))
        if record is None:
            out.append(dict(dev))
            continue
        subject = record.get("subject") or {}
        out.append(
            {
                **dev,
                "status": "resolved",
                "resolution": {
                    "impact": subject.get("impact"),
                    "change": subject.get("change"),
                    "by": record.get("printed_name"),
                    "at": record.get("signed_at"),
                    "manifestation": record.get("manifestation"),
                },
            }
        )
    return out


@dataclasses.dataclass
class Resolution:
    deviation: dict[str, Any]
    record: dict[str, Any]
    local_path: Path | None
    s3_uri: str | None = None
    s3_version: str | None = None


def resolve(
    folder: str | Path,
    dev_id: str,
    *,
    impact: str,
    change: str,
    printed_name: str,
    signer_target: Any,
    key_id: str,
    s3_client: Any = None,
    evidence_bucket: str | None = None,
    evidence_prefix: str = "evidence",
) -> Resolution:
    """Sign the resolution of deviation ``dev_id`` of the sealed package in ``folder``."""
    from harness.identity import caller
    from harness.validation import approvals, package, signatures

    folder = Path(folder)
    if not impact.strip() or not change.strip():
        raise EvidenceError(
            "a resolution needs an impact assessment (--impact) and a change reference (--ref)"
        )
    deviation = next((d for d in listed(folder) if (d.get("id") or d.get("ref")) == dev_id), None)
    if deviation is None:
        known = ", ".join(str(d.get("id") or d.get("ref")) for d in listed(folder)) or "none"
        raise EvidenceError(f"{folder.name} has no deviation {dev_id} (it lists: {known})")
    if dev_id in resolutions(folder):
        raise signatures.SignatureRefused("REC-1", f"{dev_id} of {folder.name} is resolved already")
    checked = package.verify(folder)
    if not checked.ok:
        raise signatures.SignatureRefused("INT-1", "; ".join(checked.all_problems()[:3]))
    manifest = hashlib.sha256((folder / package.MANIFEST).read_bytes()).hexdigest()
    subject = signatures.subject(
        signatures.DEVIATION,
        dev_id,
        manifest,
        package=folder.name,
        deviation_sha256=hashlib.sha256(json.dumps(deviation, sort_keys=True).encode()).hexdigest(),
        classification=deviation.get("classification"),
        requirement=deviation.get("requirement"),
        impact=" ".join(impact.split()),
        change=change.strip(),
    )
    record = signatures.new_record(
        subject=subject,
        meaning="resolved",
        printed_name=printed_name,
        signer=caller(signer_target),
        reason=f"{dev_id} resolved by {change.strip()}",
    )
    document = signatures.seal(record, kms_client=signer_target.client("kms"), key_id=key_id)
    path = signatures.write_new(folder / approvals.APPROVALS_DIR, document)
    outcome = Resolution(deviation=deviation, record=document["record"], local_path=path)
    prefix = (
        approvals.archived_prefix(folder.resolve(), s3_client, evidence_bucket, evidence_prefix)
        if s3_client is not None and evidence_bucket
        else None
    )
    if prefix:
        key = f"{prefix.rstrip('/')}/{approvals.APPROVALS_DIR}/{path.name}"
        outcome.s3_version = signatures.put_new(s3_client, evidence_bucket, key, document)
        outcome.s3_uri = f"s3://{evidence_bucket}/{key}"
    return outcome
