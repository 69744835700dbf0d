"""People's electronic signatures (21 CFR Part 11, EU GMP Annex 11): one signed-record format for
evidence approvals, deviation resolutions and model approvals.

A record is a JSON document::

    {
      "format": "harness.validation/signature/v1",
      "record": {
        "subject": {"kind": "evidence-package", "id": "<run id>", "sha256": "<manifest.json's SHA-256>"},
        "meaning": "approved",
        "printed_name": "Jane Doe",
        "reason": "IQ/OQ results reviewed against the protocol",
        "signed_at": "2026-12-01T03:25:07.123456Z",
        "signer": {"arn": "...:assumed-role/approver/Jane.Doe", "account": "...", "user_id": "...",
                   "session_name": "Jane.Doe", "source_identity": "Jane.Doe", "role_arn": "..."},
        "automatic": false,
        "manifestation": "Jane Doe - approved - 2026-12-01T03:25:07.123456Z - ..."
      },
      "signature": {"key_id": "<approvals key ARN>", "algorithm": "RSASSA_PSS_SHA_256",
                    "message_type": "DIGEST", "message": "...", "public_key_pem": "...",
                    "public_key_sha256": "...", "value": "<base64>"}
    }

- **11.50 manifestation:** printed name, time of signing (UTC) and meaning are in the record and in
  its ``manifestation`` line, which every human-readable rendering shows.
- **11.70 linking:** the record holds the SHA-256 of what was signed (for evidence: the manifest's
  bytes, which seal every file of the package); an approval copied to another package fails verify.
- **11.100 / 11.300:** the signer is an STS identity; with a role, the person is carried in the
  session (:mod:`harness.identity`). The key is the platform's ``approvals`` KMS key, which only
  reviewers and approvers may use (a system seal uses another key).

Signing and offline verification reuse :mod:`harness.validation.package` (``kms_sign``,
``verify_signature``): the signature is ``kms:Sign`` over ``sha256(canonical JSON of record)``,
RSASSA-PSS with SHA-256, verified offline with the public key carried in the record (compare its
fingerprint with the trusted approvals key, or pass that key).

A refusal (:class:`SignatureRefused`) names the rule of :data:`RULES` it enforces.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.identity import Identity, session_name
from harness.validation import package
from harness.validation.errors import EvidenceError
from harness.validation.recorder import iso, utc_now

FORMAT = "harness.validation/signature/v1"
EVIDENCE, MODEL, DEVIATION = "evidence-package", "model-package", "deviation"
#: What each kind of record may mean.
MEANINGS: dict[str, tuple[str, ...]] = {
    EVIDENCE: ("reviewed", "approved"),
    MODEL: ("approved", "rejected"),
    DEVIATION: ("resolved",),
}

#: The rules a refusal names (separation of duties, integrity, attribution).
RULES: dict[str, str] = {
    "SOD-1": "whoever executed a run, or trained a model, does not review, approve or reject it",
    "SOD-2": "approved (and a model's rejected) is signed only through the approver role",
    "SOD-3": "one person signs a record once: the same person cannot both review and approve",
    "SOD-4": "an evidence package is approved only after someone else reviewed it",
    "DEV-1": "a package with an open critical deviation can be reviewed but not approved",
    "ID-1": "the signer is one identified person: the printed name is the person the session carries",
    "INT-1": "only a package whose manifest and seal verify is signed",
    "REC-1": "a signed record is written once and never overwritten",
}


class SignatureRefused(EvidenceError):
    """A signature was refused by one of :data:`RULES`."""

    def __init__(self, rule: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"refused by rule {rule} ({RULES[rule]}): {message}", hint=hint)
        self.rule = rule


# ----------------------------------------------------------------------------------------- records


def subject(kind: str, id: str, sha256: str, **extra: Any) -> dict[str, Any]:
    """What a record signs: its kind, identifier and the SHA-256 binding the signature to it."""
    if kind not in MEANINGS:
        raise EvidenceError(f"unknown signature subject {kind!r}")
    return {"kind": kind, "id": id, "sha256": sha256, **extra}


def manifestation(record: Mapping[str, Any]) -> str:
    """The human-readable signature (11.50): printed name, meaning, time, reason, identity."""
    signer = record.get("signer") or {}
    who = record.get("printed_name")
    if record.get("automatic"):
        who = f"{who} [automatic, not a person's signature]"
    reason = f" - reason: {record['reason']}" if record.get("reason") else ""
    return (
        f"{who} - {record.get('meaning')} - {record.get('signed_at')}{reason} - signed as {signer.get('arn')}"
    )


def new_record(
    *,
    subject: Mapping[str, Any],
    meaning: str,
    printed_name: str,
    signer: Identity,
    reason: str | None = None,
    automatic: bool = False,
    signed_at: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The unsigned record (see the module doc)."""
    allowed = MEANINGS.get(subject.get("kind", ""), ())
    if meaning not in allowed:
        raise EvidenceError(
            f"meaning {meaning!r} is not one of {', '.join(allowed)} for a {subject.get('kind')} signature"
        )
    record = {
        "subject": dict(subject),
        "meaning": meaning,
        "printed_name": printed_name.strip(),
        "reason": reason,
        "signed_at": signed_at or iso(utc_now()),
        "signer": {**signer.to_dict(), "role_arn": signer.role_arn},
        "automatic": automatic,
        **extra,
    }
    record["manifestation"] = manifestation(record)
    return record


def record_bytes(record: Mapping[str, Any]) -> bytes:
    """The canonical bytes that are signed: compact, sorted, ASCII JSON of the record."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def seal(record: Mapping[str, Any], *, kms_client: Any, key_id: str) -> dict[str, Any]:
    """Sign ``record`` with the approvals key (KMS); the document carries its public key."""
    key = package.kms_signing_key(kms_client, key_id)
    signature = package.kms_sign(
        kms_client, key_id, record_bytes(record), what=f"the {record.get('meaning')} signature"
    )
    return {
        "format": FORMAT,
        "record": dict(record),
        "signature": {
            "key_id": key.key_arn,
            "algorithm": package.SIGNING_ALGORITHM,
            "message_type": "DIGEST",
            "message": "sha256 of the canonical JSON of record (sorted keys, no spaces, ASCII)",
            "public_key_pem": key.public_key_pem.decode("ascii"),
            "public_key_sha256": key.public_key_sha256,
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


def document_bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")


def file_name(record: Mapping[str, Any]) -> str:
    """``20261201T032507.123456Z-approved-Jane.Doe.json``: sorts by time, names meaning and person."""
    stamp = str(record.get("signed_at", "")).replace("-", "").replace(":", "")
    return (
        f"{stamp}-{record.get('meaning')}-{session_name(str(record.get('printed_name') or 'unnamed'))}.json"
    )


# ------------------------------------------------------------------------------------------ verify


@dataclasses.dataclass
class RecordCheck:
    """One record checked offline: ``ok`` only when nothing is wrong."""

    name: str
    record: dict[str, Any] = dataclasses.field(default_factory=dict)
    signature_valid: bool = False
    public_key_sha256: str | None = None
    key_id: str | None = None
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.signature_valid and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ok": self.ok}


def verify(
    data: bytes | Mapping[str, Any],
    *,
    name: str = "record",
    expected: Mapping[str, Any] | None = None,
    trusted_public_key: bytes | None = None,
) -> RecordCheck:
    """Check a record's signature with its public key and, with ``expected`` (e.g. ``{"kind":
    "evidence-package", "sha256": <manifest sha256>}``), that it signs that subject. Never raises for
    a defect of the record: every defect is in the result."""
    check = RecordCheck(name=name)
    try:
        document = json.loads(data) if isinstance(data, (bytes, str)) else dict(data)
        record, sig = dict(document["record"]), dict(document["signature"])
    except (ValueError, KeyError, TypeError) as exc:
        check.problems.append(f"{name}: unreadable signed record ({type(exc).__name__}: {exc})")
        return check
    check.record, check.key_id = record, sig.get("key_id")
    if document.get("format") != FORMAT:
        check.problems.append(f"{name}: unknown format {document.get('format')!r}")
    if sig.get("algorithm") != package.SIGNING_ALGORITHM:
        check.problems.append(f"{name}: unsupported signing algorithm {sig.get('algorithm')!r}")
    try:
        pem = str(sig["public_key_pem"]).encode("ascii")
        check.public_key_sha256 = package.public_key_fingerprint(pem)
        value = base64.b64decode(str(sig["value"]), validate=True)
        check.signature_valid = package.verify_signature(
            record_bytes(record), value, package.load_public_key(pem)
        )
    except (KeyError, ValueError, binascii.Error, package.PackageError) as exc:
        check.problems.append(f"{name}: signature cannot be checked ({exc})")
        return check
    if not check.signature_valid:
        check.problems.append(f"{name}: the signature does not match the record (tampered or re-signed)")
    if sig.get("public_key_sha256") and sig["public_key_sha256"] != check.public_key_sha256:
        check.problems.append(f"{name}: public key fingerprint differs from the one recorded")
    if record.get("manifestation") != manifestation(
        {k: v for k, v in record.items() if k != "manifestation"}
    ):
        check.problems.append(f"{name}: the manifestation does not show the record's name, meaning and time")
    for field, value in (expected or {}).items():
        if (record.get("subject") or {}).get(field) != value:
            check.problems.append(
                f"{name}: signs {field} {(record.get('subject') or {}).get(field)!r}, not {value!r}"
                + (" (a signature of another record)" if field == "sha256" else "")
            )
    if trusted_public_key is not None:
        try:
            trusted = package.public_key_fingerprint(trusted_public_key)
        except ValueError as exc:
            check.problems.append(f"trusted approvals key unreadable: {exc}")
        else:
            if trusted != check.public_key_sha256:
                check.problems.append(f"{name}: not signed with the trusted approvals key")
    return check


# ------------------------------------------------------------------------------------------- store


def write_new(folder: str | Path, document: Mapping[str, Any]) -> Path:
    """Write the record into ``folder`` under :func:`file_name`; an existing file is never replaced."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(document["record"])
    try:
        with path.open("xb") as fh:
            fh.write(document_bytes(document))
    except FileExistsError as exc:
        raise SignatureRefused("REC-1", f"{path} exists already") from exc
    return path


def put_new(s3_client: Any, bucket: str, key: str, document: Mapping[str, Any]) -> str | None:
    """Put the record as a new object (refused if the key exists: S3 conditional write
    ``If-None-Match: *``, checked first with HeadObject); returns its version id."""
    from botocore.exceptions import ClientError

    try:
        s3_client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    else:
        raise SignatureRefused("REC-1", f"s3://{bucket}/{key} exists already")
    body = document_bytes(document)
    try:
        response = s3_client.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            IfNoneMatch="*",
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode(),
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "PreconditionFailed":
            raise SignatureRefused("REC-1", f"s3://{bucket}/{key} exists already") from exc
        raise
    return response.get("VersionId")
