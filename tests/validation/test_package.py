"""Signing and offline verification of the evidence package, with a KMS key from moto (AWS semantics via
the emulator's KMS Sign fix), tamper tests, S3 archive under Object Lock, the verify command."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from harness.errors import UsageError
from harness.validation import package
from harness.validation.commands import finalize, verify_command
from harness.validation.errors import PackageError
from tests.buckets import create_locked_bucket

from .conftest import moto_kms

REGION = "eu-central-1"
BUCKET = "evidence-bucket"


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    """In-process moto (Sign as AWS signs, see ``moto_kms``): two signing keys, an Object Lock bucket."""
    with moto_kms(REGION) as kms:
        s3 = boto3.client("s3", region_name=REGION)
        key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        other = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        create_locked_bucket(s3, BUCKET, REGION, mode="COMPLIANCE")
        yield {"kms": kms, "s3": s3, "key_id": key_id, "other_key_id": other}


def _content(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps({"scenarios": [], "note": "x" * 100}))
    (folder / "report.html").write_text("<html><body>report</body></html>\n")
    (folder / "attachments").mkdir()
    (folder / "attachments" / "describe-key.json").write_text('{"KeyRotationEnabled": true}\n')
    (folder / "empty.txt").write_bytes(b"")


@pytest.fixture
def signed(tmp_path: Path, aws: dict[str, Any]) -> Path:
    run = tmp_path / "evidence" / "20251128T100000Z-abc123"
    _content(run)
    package.sign_package(run, kms_client=aws["kms"], key_id=aws["key_id"])
    return run


def test_sign_and_verify(signed: Path, aws: dict[str, Any]) -> None:
    result = package.verify(signed)
    assert result.ok, result.all_problems()
    assert result.signature_valid and result.run_id == signed.name and result.files_checked == 5
    manifest = json.loads((signed / "manifest.json").read_text())
    assert [f["path"] for f in manifest["files"]] == sorted(
        ["results.json", "report.html", "attachments/describe-key.json", "empty.txt", "public_key.pem"]
    )
    entry = next(f for f in manifest["files"] if f["path"] == "report.html")
    assert entry["sha256"] == hashlib.sha256((signed / "report.html").read_bytes()).hexdigest()
    assert entry["size"] == (signed / "report.html").stat().st_size
    assert manifest["signing"]["algorithm"] == "RSASSA_PSS_SHA_256" and manifest["signing"]["key_id"]
    assert manifest["run_id"] == signed.name and manifest["created"].endswith("Z")


def test_signature_is_aws_kms_pss_over_the_manifest_digest(signed: Path, aws: dict[str, Any]) -> None:
    """Independent check: what KMS made verifies with AWS's parameters and with KMS Verify itself."""
    body = (signed / "manifest.json").read_bytes()
    signature = base64.b64decode((signed / "manifest.sig").read_text())
    der = aws["kms"].get_public_key(KeyId=aws["key_id"])["PublicKey"]
    key = serialization.load_der_public_key(der)
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        signature, body, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()
    )
    assert aws["kms"].verify(
        KeyId=aws["key_id"],
        Message=hashlib.sha256(body).digest(),
        MessageType="DIGEST",
        Signature=signature,
        SigningAlgorithm="RSASSA_PSS_SHA_256",
    )["SignatureValid"]
    assert (signed / "public_key.pem").read_bytes() == key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


ALL_FILES = [
    "results.json",
    "report.html",
    "attachments/describe-key.json",
    "public_key.pem",
    "manifest.json",
    "manifest.sig",
]


@pytest.mark.parametrize("name", ALL_FILES)
def test_one_changed_byte_in_any_file_is_named(signed: Path, name: str) -> None:
    path = signed / name
    data = bytearray(path.read_bytes())
    i = len(data) // 2
    data[i] = (data[i] + 1) % 128 or 65
    path.write_bytes(bytes(data))
    result = package.verify(signed)
    assert not result.ok
    assert any(name in problem for problem in result.all_problems()), result.all_problems()
    if name in ("results.json", "report.html", "attachments/describe-key.json", "public_key.pem"):
        assert result.altered == [name]


def test_growing_an_empty_file_is_named(signed: Path) -> None:
    (signed / "empty.txt").write_bytes(b"\x00")
    result = package.verify(signed)
    assert result.altered == ["empty.txt"] and not result.ok


@pytest.mark.parametrize("name", ALL_FILES)
def test_a_removed_file_is_named(signed: Path, name: str) -> None:
    (signed / name).unlink()
    result = package.verify(signed)
    assert not result.ok
    assert f"missing: {name}" in result.all_problems()


def test_an_added_file_is_named(signed: Path) -> None:
    (signed / "attachments" / "planted.json").write_text("{}")
    (signed / "extra.txt").write_text("x")
    result = package.verify(signed)
    assert not result.ok and result.extra == ["attachments/planted.json", "extra.txt"]
    assert result.signature_valid  # the manifest itself is intact
    assert "extra (not in the manifest): extra.txt" in result.all_problems()


def test_every_problem_is_reported_together(signed: Path) -> None:
    (signed / "report.html").write_text("changed")
    (signed / "results.json").unlink()
    (signed / "new.txt").write_text("x")
    result = package.verify(signed)
    assert (result.altered, result.missing, result.extra) == (["report.html"], ["results.json"], ["new.txt"])


def test_an_altered_signature_fails(signed: Path) -> None:
    sig = bytearray(base64.b64decode((signed / "manifest.sig").read_text()))
    sig[0] ^= 0x01
    (signed / "manifest.sig").write_text(base64.b64encode(bytes(sig)).decode())
    result = package.verify(signed)
    assert not result.ok and result.signature_valid is False
    assert not result.altered and not result.missing and not result.extra
    assert any("manifest.sig" in p for p in result.problems)


def test_a_resigned_forgery_is_caught_by_the_trusted_key(signed: Path, aws: dict[str, Any]) -> None:
    trusted = (signed / "public_key.pem").read_bytes()
    (signed / "results.json").write_text('{"forged": true}')
    package.sign_package(signed, kms_client=aws["kms"], key_id=aws["other_key_id"])
    assert package.verify(signed).ok  # self-consistent with the forger's key...
    result = package.verify(signed, trusted_public_key=trusted)
    assert not result.ok and result.key_trusted is False  # ...but not with the key the auditor trusts
    assert package.verify(signed, trusted_public_key=trusted.replace(b"\n", b"\r\n")).key_trusted is False


def test_a_manifest_edited_to_match_breaks_the_signature(signed: Path) -> None:
    (signed / "report.html").write_text("forged")
    manifest = json.loads((signed / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["path"] == "report.html":
            entry["sha256"] = hashlib.sha256(b"forged").hexdigest()
            entry["size"] = 6
    (signed / "manifest.json").write_bytes(package.manifest_bytes(manifest))
    result = package.verify(signed)
    assert not result.altered and result.signature_valid is False and not result.ok


def test_symlinks_are_refused(signed: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("x")
    os.symlink(tmp_path / "outside.txt", signed / "link.txt")
    result = package.verify(signed)
    assert not result.ok and any("link.txt" in p for p in result.all_problems())
    with pytest.raises(PackageError, match="symlinks"):
        package.hash_files(signed)


def test_sign_refuses_a_key_that_cannot_sign_pss(tmp_path: Path, aws: dict[str, Any]) -> None:
    _content(tmp_path / "run")
    enc = aws["kms"].create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    with pytest.raises(PackageError, match="cannot sign"):
        package.sign_package(tmp_path / "run", kms_client=aws["kms"], key_id=enc)


def test_archive_and_verify_from_s3(signed: Path, aws: dict[str, Any]) -> None:
    s3 = aws["s3"]
    archived = package.archive(signed, BUCKET, "runs", s3)
    assert archived.uri == f"s3://{BUCKET}/runs/{signed.name}/"
    keys = [o["key"] for o in archived.objects]
    assert keys[-3:] == [
        f"runs/{signed.name}/{n}" for n in ("public_key.pem", "manifest.json", "manifest.sig")
    ]
    assert len(keys) == 7 and all(o["version_id"] for o in archived.objects)
    head = s3.head_object(Bucket=BUCKET, Key=keys[0], ChecksumMode="ENABLED")
    assert head.get("ObjectLockMode") == "COMPLIANCE"
    assert package.verify(archived.uri, s3_client=s3).ok

    # A new version of one object (the bucket keeps the old one locked): verify names it.
    s3.put_object(
        Bucket=BUCKET, Key=f"runs/{signed.name}/report.html", Body=b"forged", ChecksumAlgorithm="SHA256"
    )
    s3.put_object(Bucket=BUCKET, Key=f"runs/{signed.name}/planted.txt", Body=b"x", ChecksumAlgorithm="SHA256")
    result = package.verify(archived.uri, s3_client=s3)
    assert result.altered == ["report.html"] and result.extra == ["planted.txt"]
    assert package.verify(f"s3://{BUCKET}/nothing-here/", s3_client=s3).problems


def test_archive_refuses_a_broken_package(signed: Path, aws: dict[str, Any]) -> None:
    (signed / "report.html").write_text("changed")
    with pytest.raises(PackageError, match=r"altered: report\.html"):
        package.archive(signed, BUCKET, "runs", aws["s3"])


def test_verify_command(signed: Path, aws: dict[str, Any]) -> None:
    out = io.StringIO()
    assert verify_command(str(signed), s3_client_factory=None, out=out) == 0
    assert out.getvalue().startswith("OK:") and "signature: valid" in out.getvalue()
    (signed / "report.html").write_text("changed")
    (signed / "results.json").unlink()
    out = io.StringIO()
    assert verify_command(str(signed), s3_client_factory=None, out=out) == 1
    text = out.getvalue()
    assert text.startswith("FAILED:") and "altered: report.html" in text and "missing: results.json" in text
    with pytest.raises(UsageError) as missing:
        verify_command(str(signed / "nope"), s3_client_factory=None, out=io.StringIO())
    assert missing.value.exit_status == 2
    archived_prefix = f"s3://{BUCKET}/absent/"
    out = io.StringIO()
    assert verify_command(archived_prefix, s3_client_factory=lambda _s: aws["s3"], out=out, as_json=True) == 1
    assert json.loads(out.getvalue())["ok"] is False


def test_finalize_reports_signs_and_archives(
    tmp_path: Path, aws: dict[str, Any], results: dict[str, Any]
) -> None:
    run = package.create_run_folder(tmp_path / "evidence")
    (run / "results.json").write_text(json.dumps(results))
    done = finalize(
        run, context={"target": "local"}, kms_client=aws["kms"], key_id=aws["key_id"],
        s3_client=aws["s3"], bucket=BUCKET, prefix="evidence", pdf=False,
    )  # fmt: skip
    assert done.signed is not None and done.archived is not None
    assert {"report.html", "matrix.csv", "manifest.json", "manifest.sig"} <= {p.name for p in run.iterdir()}
    assert package.verify(run).ok
    assert package.verify(done.archived.uri, s3_client=aws["s3"]).ok


def test_run_ids_and_latest(tmp_path: Path) -> None:
    run_id = package.new_run_id(dt.datetime(2025, 11, 28, 10, 0, 0, tzinfo=dt.UTC), token="abc123")
    assert run_id == "20251128T100000Z-abc123"
    assert package.new_run_id() != package.new_run_id()
    root = tmp_path / "evidence"
    first = package.create_run_folder(root, "20251128T100000Z-aaaaaa")
    assert (root / "latest").resolve() == first.resolve()
    second = package.create_run_folder(root)
    assert os.readlink(root / "latest") == second.name  # relative link
    assert (root / "latest").resolve() == second.resolve()
    with pytest.raises(FileExistsError):
        package.create_run_folder(root, second.name)
    shutil.rmtree(second)


def test_the_receipt_is_signed_linked_to_its_manifest_and_tamper_evident(
    signed: Path, aws: dict[str, Any], tmp_path: Path
) -> None:
    from harness.validation.receipt import RECEIPT, write_receipt

    copy = tmp_path / signed.name
    shutil.copytree(signed, copy)
    stages = [{"name": "report", "status": "passed"}, {"name": "verify", "status": "passed"}]
    receipt = write_receipt(
        copy,
        stages=stages,
        verified={"local": True},
        archived=None,
        kms_client=aws["kms"],
        key_id=aws["key_id"],
    )
    assert receipt["written"].endswith("Z") and receipt["stages"][1]["status"] == "passed"
    result = package.verify(copy)
    assert result.ok, result.all_problems()
    body = json.loads((copy / RECEIPT).read_text())
    body["stages"][1]["status"] = "failed"
    (copy / RECEIPT).write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    result = package.verify(copy)
    assert not result.ok and any("receipt.sig" in p for p in result.all_problems())
