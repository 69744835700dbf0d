"""The evidence package: folder layout, SHA-256 manifest, KMS signature, offline verification, archive.

Layout: ``evidence/<run-id>/`` (run id = UTC timestamp + short random, ``20251128T183000Z-3f9a1c``),
with ``evidence/latest`` a relative symlink to the newest run folder.

Signing (:func:`sign_package`):

1. ``public_key.pem``: the signing key's public half (``kms:GetPublicKey``), so the package verifies
   offline;
2. ``manifest.json``: SHA-256 and size of every file in the folder (relative POSIX paths, sorted;
   ``manifest.json`` and ``manifest.sig`` excluded, ``public_key.pem`` included) plus run id, creation
   time, key id and algorithm;
3. ``manifest.sig``: ``kms:Sign(KeyId, Message=sha256(manifest.json bytes), MessageType=DIGEST,
   SigningAlgorithm=RSASSA_PSS_SHA_256)``, stored **base64-encoded** (one line of ASCII).

Verification (:func:`verify`) needs no AWS access: it recomputes every hash, names every altered,
missing and extra file, and checks the signature with ``cryptography`` the way AWS KMS makes it
(RSASSA-PSS, MGF1 with SHA-256, salt length 32 = the digest length). A package carries its own
public key, so a forger could re-sign a forged package with a key of their own: pass the key an
auditor trusts (``trusted_public_key``: PEM from ``aws kms get-public-key`` or a key they hold) or
compare the reported ``public_key_sha256`` with it.

Archive (:func:`archive`): every file is put with ``ChecksumAlgorithm=SHA256`` (and the checksum
itself, so S3 rejects a corrupted upload), which S3 requires for buckets with Object Lock default
retention; the manifest and signature go last, so an interrupted upload never looks complete.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import json
import mimetypes
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from harness.ml.digest import sha256_file as sha256_file  # re-exported: package.sha256_file is public
from harness.validation.errors import PackageError
from harness.validation.recorder import iso, utc_now

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
LATEST = "latest"
MANIFEST_FORMAT = "harness.validation/manifest/v1"
SIGNING_ALGORITHM = "RSASSA_PSS_SHA_256"
#: Files beside the manifest, not in it: its signature, and the receipt written after sealing
#: (:mod:`harness.validation.receipt`, checked on its own).
EXCLUDED = frozenset({MANIFEST, SIGNATURE, "receipt.json", "receipt.sig"})
#: People's signatures of a sealed package (``harness.validation.approvals``): linked to the manifest by
#: its hash, never part of it (they come after the seal).
APPROVALS_DIR = "approvals"

#: Checks of what lies beside a sealed manifest, run by :func:`verify_folder` after the manifest: the
#: receipt (``harness.validation.receipt``) and people's signatures (``harness.validation.approvals``)
#: register themselves here, so this lower module knows neither. Each is called as
#: ``check(folder, result, sealed_key=<the manifest's public key when its signature is valid, else None>,
#: trusted_approvals_key=...)`` and adds its problems to ``result``.
SEALED_CHECKS: list[Callable[..., None]] = []


# ------------------------------------------------------------------------------------------ layout


def new_run_id(now: dt.datetime | None = None, token: str | None = None) -> str:
    """``20251128T183000Z-3f9a1c``: sorts by time, unique enough for concurrent runs."""
    moment = (now or utc_now()).astimezone(dt.UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{token or secrets.token_hex(3)}"


def create_run_folder(root: str | Path = "evidence", run_id: str | None = None) -> Path:
    """Make ``<root>/<run-id>/`` and point ``<root>/latest`` at it."""
    root = Path(root)
    run_dir = root / (run_id or new_run_id())
    run_dir.mkdir(parents=True, exist_ok=False)
    update_latest(root, run_dir)
    return run_dir


def update_latest(root: str | Path, run_dir: str | Path) -> Path:
    """Atomically (re)point the relative symlink ``<root>/latest`` at ``run_dir``."""
    root = Path(root)
    link = root / LATEST
    tmp = root / f".{LATEST}.{secrets.token_hex(4)}"
    os.symlink(Path(run_dir).name, tmp)
    os.replace(tmp, link)
    return link


# ---------------------------------------------------------------------------------------- manifest


def sealed(rel: str) -> bool:
    """Whether a package path is covered by the manifest (not the seal itself, not an approval)."""
    return rel not in EXCLUDED and not rel.startswith(APPROVALS_DIR + "/")


def package_files(folder: str | Path) -> list[str]:
    """Relative POSIX paths of every file the manifest covers under ``folder``, sorted (manifest,
    signature and ``approvals/`` excluded).

    A symlink inside a package is refused: its target is not part of what is hashed.
    """
    folder = Path(folder)
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        for name in list(dirnames):
            if (base / name).is_symlink():
                raise PackageError(
                    f"{(base / name).relative_to(folder)}: symlinks are not allowed in a package"
                )
        for name in filenames:
            path = base / name
            rel = path.relative_to(folder).as_posix()
            if not sealed(rel):
                continue
            if path.is_symlink():
                raise PackageError(f"{rel}: symlinks are not allowed in a package")
            out.append(rel)
    return sorted(out)


def hash_files(folder: str | Path) -> list[dict[str, Any]]:
    folder = Path(folder)
    return [
        {"path": rel, "sha256": sha256_file(folder / rel), "size": (folder / rel).stat().st_size}
        for rel in package_files(folder)
    ]


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The exact bytes written to ``manifest.json`` (and signed)."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")


def build_manifest(
    folder: str | Path,
    *,
    run_id: str,
    key_id: str | None,
    algorithm: str = SIGNING_ALGORITHM,
    created: str | None = None,
    public_key_sha256: str | None = None,
) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "run_id": run_id,
        "created": created or iso(utc_now()),
        "hash_algorithm": "SHA-256",
        "signing": {
            "key_id": key_id,
            "algorithm": algorithm,
            "message_type": "DIGEST",
            "message": "sha256 of the bytes of manifest.json",
            "signature_file": SIGNATURE,
            "signature_encoding": "base64",
            "public_key_file": PUBLIC_KEY,
            "public_key_sha256": public_key_sha256,
        },
        "files": hash_files(folder),
    }


def public_key_fingerprint(pem_or_der: bytes) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo (what ``kms:GetPublicKey`` returns)."""
    from cryptography.hazmat.primitives import serialization

    key = load_public_key(pem_or_der)
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def load_public_key(data: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    if b"-----BEGIN" in data:
        return serialization.load_pem_public_key(data)
    return serialization.load_der_public_key(data)


@dataclasses.dataclass
class SignResult:
    folder: Path
    run_id: str
    key_id: str
    algorithm: str
    manifest_sha256: str
    files: int
    public_key_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "folder": str(self.folder)}


@dataclasses.dataclass(frozen=True)
class SigningKey:
    """A KMS signing key as a verifier needs it: its ARN and public half."""

    key_arn: str
    public_key_pem: bytes
    public_key_sha256: str


def kms_signing_key(kms_client: Any, key_id: str) -> SigningKey:
    """The key's ARN and public key (``kms:GetPublicKey``); refuses a key that cannot sign RSASSA-PSS."""
    from botocore.exceptions import BotoCoreError, ClientError
    from cryptography.hazmat.primitives import serialization

    try:
        pub = kms_client.get_public_key(KeyId=key_id)
    except (ClientError, BotoCoreError) as exc:
        raise PackageError(f"cannot read the public key of KMS key {key_id}: {exc}") from exc
    if SIGNING_ALGORITHM not in pub.get("SigningAlgorithms", []):
        raise PackageError(
            f"KMS key {key_id} cannot sign with {SIGNING_ALGORITHM} "
            f"(KeyUsage {pub.get('KeyUsage')}, KeySpec {pub.get('KeySpec')}); use an RSA SIGN_VERIFY key"
        )
    pem = load_public_key(pub["PublicKey"]).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return SigningKey(pub.get("KeyId") or key_id, pem, public_key_fingerprint(pem))


def kms_sign(kms_client: Any, key_id: str, body: bytes, *, what: str = "the manifest") -> bytes:
    """Sign ``body`` the way every signature of the platform is made (manifests, people's signatures):
    ``kms:Sign(Message=sha256(body), MessageType=DIGEST, RSASSA_PSS_SHA_256)``; :func:`verify_signature`
    checks it offline."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        signed = kms_client.sign(
            KeyId=key_id,
            Message=hashlib.sha256(body).digest(),
            MessageType="DIGEST",
            SigningAlgorithm=SIGNING_ALGORITHM,
        )
    except (ClientError, BotoCoreError) as exc:
        raise PackageError(f"KMS could not sign {what} with {key_id}: {exc}") from exc
    return signed["Signature"]


def sign_package(
    folder: str | Path, *, kms_client: Any, key_id: str, run_id: str | None = None
) -> SignResult:
    """Write ``public_key.pem``, ``manifest.json`` and ``manifest.sig`` into ``folder`` (see module doc)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PackageError(f"{folder}: no such evidence folder")
    key = kms_signing_key(kms_client, key_id)
    (folder / PUBLIC_KEY).write_bytes(key.public_key_pem)
    for stale in (MANIFEST, SIGNATURE):
        (folder / stale).unlink(missing_ok=True)
    manifest = build_manifest(
        folder, run_id=run_id or folder.name, key_id=key.key_arn, public_key_sha256=key.public_key_sha256
    )
    body = manifest_bytes(manifest)
    signature = kms_sign(kms_client, key_id, body)
    (folder / MANIFEST).write_bytes(body)
    (folder / SIGNATURE).write_text(base64.b64encode(signature).decode("ascii") + "\n", encoding="ascii")
    return SignResult(
        folder=folder,
        run_id=manifest["run_id"],
        key_id=key.key_arn,
        algorithm=SIGNING_ALGORITHM,
        manifest_sha256=hashlib.sha256(body).hexdigest(),
        files=len(manifest["files"]),
        public_key_sha256=manifest["signing"]["public_key_sha256"],
    )


# ------------------------------------------------------------------------------------------ verify


@dataclasses.dataclass
class VerifyResult:
    """Everything :func:`verify` found; ``ok`` only when nothing is wrong."""

    location: str
    run_id: str | None = None
    key_id: str | None = None
    algorithm: str | None = None
    files_checked: int = 0
    altered: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)
    extra: list[str] = dataclasses.field(default_factory=list)
    signature_valid: bool | None = None
    public_key_sha256: str | None = None
    key_trusted: bool | None = None
    problems: list[str] = dataclasses.field(default_factory=list)
    #: People's signatures and the chain (``harness.validation.approvals.check``).
    approvals: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return (
            not self.problems
            and not self.altered
            and not self.missing
            and not self.extra
            and self.signature_valid is True
            and self.key_trusted is not False
        )

    def all_problems(self) -> list[str]:
        """Every defect as one line each, naming the file."""
        out = [f"altered: {p}" for p in self.altered]
        out += [f"missing: {p}" for p in self.missing]
        out += [f"extra (not in the manifest): {p}" for p in self.extra]
        out += self.problems
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ok": self.ok}


def verify_signature(body: bytes, signature: bytes, public_key: Any) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

    if not isinstance(public_key, rsa.RSAPublicKey):
        raise PackageError("the package's public key is not an RSA key")
    digest = hashlib.sha256(body).digest()
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)
    try:
        public_key.verify(signature, digest, pss, utils.Prehashed(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def read_signature(path: Path) -> bytes:
    raw = path.read_bytes()
    try:
        return base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        return raw  # a raw binary signature is accepted too


def verify_folder(
    folder: str | Path,
    *,
    trusted_public_key: bytes | None = None,
    location: str | None = None,
    trusted_approvals_key: bytes | None = None,
) -> VerifyResult:
    folder = Path(folder)
    result = VerifyResult(location=location or str(folder))
    if not folder.is_dir():
        result.problems.append(f"{folder}: no such evidence folder")
        return result
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        result.missing.append(MANIFEST)
        return result
    body = manifest_path.read_bytes()
    try:
        manifest = json.loads(body)
        entries = {e["path"]: e for e in manifest["files"]}
        signing = manifest.get("signing") or {}
    except (ValueError, KeyError, TypeError) as exc:
        result.problems.append(f"{MANIFEST}: unreadable ({type(exc).__name__}: {exc})")
        return result
    if manifest.get("format") != MANIFEST_FORMAT:
        result.problems.append(f"{MANIFEST}: unknown format {manifest.get('format')!r}")
    result.run_id = manifest.get("run_id")
    result.key_id = signing.get("key_id")
    result.algorithm = signing.get("algorithm")

    # Files: every hash recomputed; altered, missing and extra named.
    try:
        present = set(package_files(folder))
    except PackageError as exc:
        result.problems.append(str(exc))
        present = {
            p.relative_to(folder).as_posix()
            for p in folder.rglob("*")
            if p.is_file() and not p.is_symlink() and sealed(p.relative_to(folder).as_posix())
        }
    for rel, entry in sorted(entries.items()):
        path = folder / rel
        if rel not in present:
            result.missing.append(rel)
            continue
        result.files_checked += 1
        if path.stat().st_size != entry.get("size") or sha256_file(path) != entry.get("sha256"):
            result.altered.append(rel)
    result.extra = sorted(present - set(entries))

    # Signature over the manifest bytes, with the package's public key.
    if result.algorithm != SIGNING_ALGORITHM:
        result.problems.append(f"{MANIFEST}: unsupported signing algorithm {result.algorithm!r}")
    sig_path, key_path = folder / SIGNATURE, folder / PUBLIC_KEY
    if not sig_path.is_file():
        result.missing.append(SIGNATURE)
        result.signature_valid = False
    if not key_path.is_file():
        if PUBLIC_KEY not in result.missing:
            result.missing.append(PUBLIC_KEY)
        result.signature_valid = False
    sealed_key: Any = None
    if result.signature_valid is None:
        try:
            key_bytes = key_path.read_bytes()
            public_key = load_public_key(key_bytes)
            result.public_key_sha256 = public_key_fingerprint(key_bytes)
            result.signature_valid = verify_signature(body, read_signature(sig_path), public_key)
        except (ValueError, PackageError) as exc:
            result.signature_valid = False
            result.problems.append(f"{PUBLIC_KEY}: cannot be used ({exc})")
        if result.signature_valid is False and not any(p.startswith(PUBLIC_KEY) for p in result.problems):
            result.problems.append(f"{SIGNATURE}: the signature does not match {MANIFEST} and {PUBLIC_KEY}")
        if result.signature_valid:
            sealed_key = public_key
        recorded = signing.get("public_key_sha256")
        if recorded and result.public_key_sha256 and recorded != result.public_key_sha256:
            result.problems.append(f"{PUBLIC_KEY}: fingerprint differs from the one recorded in {MANIFEST}")
    if trusted_public_key is not None:
        try:
            trusted = public_key_fingerprint(trusted_public_key)
        except ValueError as exc:
            result.problems.append(f"trusted public key unreadable: {exc}")
        else:
            result.key_trusted = trusted == result.public_key_sha256
            if not result.key_trusted:
                result.problems.append(
                    f"{PUBLIC_KEY}: not the trusted key "
                    f"(package {result.public_key_sha256}, trusted {trusted})"
                )
    for check in SEALED_CHECKS:
        check(folder, result, sealed_key=sealed_key, trusted_approvals_key=trusted_approvals_key)
    return result


def parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise PackageError(f"{uri}: not an s3:// URI")
    bucket, _, prefix = uri[5:].partition("/")
    if not bucket:
        raise PackageError(f"{uri}: no bucket")
    return bucket, (prefix.rstrip("/") + "/") if prefix else ""


def download_package(uri: str, dest: str | Path, *, s3_client: Any) -> Path:
    """Copy every object under the URI's prefix into ``dest`` (relative paths kept)."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = parse_s3_uri(uri)
    dest = Path(dest)
    count = 0
    try:
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(prefix) :]
                if not rel or rel.endswith("/"):
                    continue
                parts = PurePosixPath(rel).parts
                if ".." in parts or PurePosixPath(rel).is_absolute():
                    raise PackageError(f"{uri}: object key {obj['Key']!r} escapes the package")
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3_client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
                count += 1
    except (ClientError, BotoCoreError) as exc:
        raise PackageError(f"cannot download {uri}: {exc}") from exc
    if not count:
        raise PackageError(f"{uri}: no objects under this prefix")
    return dest


def verify(
    target: str | Path,
    *,
    s3_client: Any = None,
    trusted_public_key: bytes | None = None,
    trusted_approvals_key: bytes | None = None,
) -> VerifyResult:
    """Verify a package folder, or an ``s3://bucket/prefix/<run-id>/`` copy (downloaded with
    ``s3_client`` into a temporary folder first). Never raises for a defect in the package: every
    defect is in the result."""
    text = str(target)
    if text.startswith("s3://"):
        if s3_client is None:
            raise PackageError("an s3:// package needs an S3 client")
        with tempfile.TemporaryDirectory(prefix="evidence-verify-") as tmp:
            try:
                folder = download_package(text, tmp, s3_client=s3_client)
            except PackageError as exc:
                return VerifyResult(location=text, problems=[str(exc)])
            return verify_folder(
                folder,
                trusted_public_key=trusted_public_key,
                location=text,
                trusted_approvals_key=trusted_approvals_key,
            )
    return verify_folder(
        Path(target), trusted_public_key=trusted_public_key, trusted_approvals_key=trusted_approvals_key
    )


# ----------------------------------------------------------------------------------------- archive


@dataclasses.dataclass
class ArchiveResult:
    bucket: str
    prefix: str
    objects: list[dict[str, Any]]

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def to_dict(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "prefix": self.prefix, "uri": self.uri, "objects": self.objects}


def archive(
    folder: str | Path, bucket: str, prefix: str, s3_client: Any, *, check: bool = True
) -> ArchiveResult:
    """Upload the package to ``s3://bucket/<prefix>/<run-id>/`` and report each object's version.

    With ``check`` (default) an unverifiable package is refused before anything is uploaded.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    folder = Path(folder)
    if check:
        result = verify_folder(folder)
        if not result.ok:
            raise PackageError(
                f"{folder}: refusing to archive a package that does not verify:\n  "
                + "\n  ".join(result.all_problems())
            )
    run_prefix = "/".join(p for p in (prefix.strip("/"), folder.name) if p) + "/"
    files = package_files(folder)
    last = [name for name in (PUBLIC_KEY, MANIFEST, SIGNATURE) if (folder / name).is_file()]
    ordered = [f for f in files if f not in last] + last
    objects = []
    for rel in ordered:
        path = folder / rel
        data = path.read_bytes()
        digest = hashlib.sha256(data).digest()
        key = run_prefix + rel
        try:
            resp = s3_client.put_object(
                Bucket=bucket,
                Key=key,
                Body=data,
                ContentType=mimetypes.guess_type(rel)[0] or "application/octet-stream",
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(digest).decode(),
            )
        except (ClientError, BotoCoreError) as exc:
            raise PackageError(f"upload of {rel} to s3://{bucket}/{key} failed: {exc}") from exc
        objects.append(
            {
                "key": key,
                "version_id": resp.get("VersionId"),
                "sha256": digest.hex(),
                "size": len(data),
                "etag": (resp.get("ETag") or "").strip('"'),
                "checksum_sha256": resp.get("ChecksumSHA256"),
            }
        )
    return ArchiveResult(bucket=bucket, prefix=run_prefix, objects=objects)
