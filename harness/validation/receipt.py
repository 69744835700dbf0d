"""The receipt: what happened to a sealed package after its manifest was signed.

The manifest seals the report; the report cannot record its own sealing, the verification of the sealed
package or the archive's object versions. ``receipt.json`` does: the whole stage table (report and verify
included), the verify results and every archived object's key, version id and SHA-256. It names the
manifest it belongs to by SHA-256 and is signed with the same KMS key (``receipt.sig``, RSASSA-PSS over
its SHA-256, base64), so it is as tamper-evident as the manifest. Both files sit beside the manifest
(outside it, like ``manifest.sig``) and are archived as new objects under the package's prefix.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.validation.errors import PackageError
from harness.validation.package import (
    MANIFEST,
    SEALED_CHECKS,
    SIGNING_ALGORITHM,
    VerifyResult,
    kms_sign,
    read_signature,
    verify_signature,
)
from harness.validation.recorder import iso, utc_now

RECEIPT = "receipt.json"
RECEIPT_SIGNATURE = "receipt.sig"
RECEIPT_FORMAT = "harness.validation/receipt/v1"


def receipt_bytes(receipt: Mapping[str, Any]) -> bytes:
    return (json.dumps(receipt, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")


def write_receipt(
    folder: str | Path,
    *,
    stages: Sequence[Mapping[str, Any]],
    verified: Mapping[str, Any] | None,
    archived: Mapping[str, Any] | None,
    kms_client: Any,
    key_id: str,
) -> dict[str, Any]:
    """Write and sign ``receipt.json`` for the sealed package in ``folder``; returns the receipt."""

    folder = Path(folder)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise PackageError(f"{folder}: no {MANIFEST}: a receipt belongs to a sealed package")
    receipt = {
        "format": RECEIPT_FORMAT,
        "run_id": folder.name,
        "written": iso(utc_now()),
        "manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(),
        "stages": [dict(s) for s in stages],
        "verify": dict(verified or {}),
        "archive": dict(archived) if archived else None,
        "signing": {"key_id": key_id, "algorithm": SIGNING_ALGORITHM, "message": "sha256 of receipt.json"},
    }
    body = receipt_bytes(receipt)
    signature = kms_sign(kms_client, key_id, body, what="the receipt")
    (folder / RECEIPT).write_bytes(body)
    (folder / RECEIPT_SIGNATURE).write_text(base64.b64encode(signature).decode("ascii") + "\n")
    return receipt


def check_receipt(folder: str | Path, public_key: Any) -> list[str]:
    """Problems with the receipt in ``folder`` (none when it is absent, intact and of this manifest)."""

    folder = Path(folder)
    path, sig = folder / RECEIPT, folder / RECEIPT_SIGNATURE
    if not path.exists() and not sig.exists():
        return []
    if not path.is_file() or not sig.is_file():
        return [f"{RECEIPT}: present without {RECEIPT_SIGNATURE} (or the reverse)"]
    body = path.read_bytes()
    problems = []
    try:
        receipt = json.loads(body)
    except ValueError as exc:
        return [f"{RECEIPT}: unreadable ({exc})"]
    manifest = folder / MANIFEST
    if (
        manifest.is_file()
        and receipt.get("manifest_sha256") != hashlib.sha256(manifest.read_bytes()).hexdigest()
    ):
        problems.append(f"{RECEIPT}: belongs to another manifest")
    if public_key is not None and not verify_signature(body, read_signature(sig), public_key):
        problems.append(f"{RECEIPT_SIGNATURE}: the signature does not match {RECEIPT}")
    return problems


def upload_receipt(folder: str | Path, s3_client: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    """Put the receipt beside the archived package (new objects: nothing archived is overwritten)."""
    folder = Path(folder)
    out = []
    for name in (RECEIPT, RECEIPT_SIGNATURE):
        data = (folder / name).read_bytes()
        digest = hashlib.sha256(data).digest()
        key = prefix.rstrip("/") + "/" + name
        resp = s3_client.put_object(
            Bucket=bucket,
            Key=key,
            Body=data,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=base64.b64encode(digest).decode(),
        )
        out.append({"key": key, "version_id": resp.get("VersionId"), "sha256": digest.hex()})
    return out


def _check_sealed(folder: str | Path, result: VerifyResult, *, sealed_key: Any, **_: Any) -> None:
    if sealed_key is not None:
        result.problems += check_receipt(folder, sealed_key)


SEALED_CHECKS.append(_check_sealed)
