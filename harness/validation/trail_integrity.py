"""CloudTrail log file integrity validation, following AWS's documented algorithm.

What ``aws cloudtrail validate-logs`` does, as a library the qualification can call on either target
(AWS CloudTrail User Guide, "Validating CloudTrail log file integrity" and "Custom implementations"):

1. The trail (``GetTrail``) names the bucket and prefix; the digests of the trail in ``region`` are
   ``<prefix>/AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
   <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHMMSSZ>.json.gz``.
2. The public keys come from ``ListPublicKeys`` (DER PKCS#1 RSA, by MD5 fingerprint).
3. From the newest digest in the range backwards along ``previousDigestS3Object``: the digest is where
   it says it is (``digestS3Bucket``/``digestS3Object``), its key's fingerprint is known, and its
   signature (object metadata ``signature``, hex) verifies with SHA256withRSA over
   ``digestEndTime\\n<bucket>/<key>\\nhex(sha256(uncompressed digest))\\n<previousDigestSignature or null>``;
   the previous digest's SHA-256 and signature are the ones this digest quotes (the chain).
4. Every log file the digest names hashes (SHA-256 of the uncompressed file) to its ``hashValue``.

``replacements`` substitutes the bytes of given objects, so a check can show that an altered copy of a
delivered file is detected without altering the trail's own record.

The objects are read side by side (:data:`READERS` at a time: a window holds hundreds of files, each
one request); the chain is still walked, and reported, in order.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import gzip
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

#: How many objects are read at once.
READERS = 8

REQUIRED = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)


@dataclass(frozen=True)
class Finding:
    kind: str  # "digest" or "log"
    bucket: str
    key: str
    valid: bool
    reason: str = ""


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)

    def count(self, kind: str, valid: bool) -> int:
        return sum(1 for f in self.findings if f.kind == kind and f.valid is valid)

    @property
    def ok(self) -> bool:
        """At least one digest, and every digest and log file valid."""
        return self.count("digest", True) > 0 and not [f for f in self.findings if not f.valid]

    def summary(self) -> str:
        digests, logs = self.count("digest", True), self.count("log", True)
        all_digests, all_logs = digests + self.count("digest", False), logs + self.count("log", False)
        return f"{digests}/{all_digests} digest files valid, {logs}/{all_logs} log files valid"

    def invalid(self) -> list[Finding]:
        return [f for f in self.findings if not f.valid]


def validate(
    cloudtrail: Any,
    s3: Any,
    trail_arn: str,
    start: dt.datetime,
    end: dt.datetime | None = None,
    *,
    region: str | None = None,
    replacements: Mapping[tuple[str, str], bytes] | None = None,
) -> Result:
    """Validate the trail's digests and log files delivered between ``start`` and ``end`` (UTC)."""
    end = end or dt.datetime.now(dt.UTC)
    start, end = _utc(start), _utc(end)
    home_region, account, name = trail_arn.split(":")[3], trail_arn.split(":")[4], trail_arn.split("/")[-1]
    region = region or home_region
    trail = cloudtrail.get_trail(Name=trail_arn)["Trail"]
    bucket, prefix = trail["S3BucketName"], (trail.get("S3KeyPrefix") or "").strip("/")
    base = f"{prefix}/" if prefix else ""
    listing = f"{base}AWSLogs/{account}/CloudTrail-Digest/{region}/"
    pattern = re.compile(
        "^"
        + re.escape(listing)
        + r"\d{4}/\d{2}/\d{2}/"
        + re.escape(f"{account}_CloudTrail-Digest_{region}_{name}_{home_region}_")
        + r"(\d{8}T\d{6}Z)\.json\.gz$"
    )
    low, high = _stamp(start), _stamp(end + dt.timedelta(hours=1))
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=listing):
        for obj in page.get("Contents", []):
            match = pattern.match(obj["Key"])
            if match and low <= match.group(1) <= high:
                keys.append((match.group(1), obj["Key"]))
    keys.sort()
    public = {
        k["Fingerprint"]: k["Value"]
        for k in cloudtrail.list_public_keys(StartTime=start, EndTime=end + dt.timedelta(hours=2))[
            "PublicKeyList"
        ]
    }
    result = Result()
    replacements = replacements or {}
    pending = [key for _, key in keys]
    with concurrent.futures.ThreadPoolExecutor(max_workers=READERS) as pool:
        # every digest of the window is read ahead, newest first (the walk's order)
        reads = {k: pool.submit(_get, s3, bucket, k) for k in reversed(pending)}
        found: list[Finding | concurrent.futures.Future[Finding]] = []
        expected: dict[str, Any] | None = None  # what the newer digest said about this one
        key: str | None = pending.pop() if pending else None
        while key is not None:
            read = reads.pop(key, None) or pool.submit(_get, s3, bucket, key)
            digest, finding, raw = _check_digest(
                s3, bucket, key, public, replacements, expected, read.result()
            )
            found.append(finding)
            if digest is not None and finding.valid:
                found += [
                    pool.submit(_check_log, s3, log, replacements) for log in digest.get("logFiles") or []
                ]
            started = _parse(digest["digestStartTime"]) if digest and "digestStartTime" in digest else None
            if started is not None and started < start:
                break
            previous = digest.get("previousDigestS3Object") if digest else None
            if digest and previous and digest.get("previousDigestS3Bucket") == bucket:
                expected = {
                    "hash": digest.get("previousDigestHashValue"),
                    "signature": digest.get("previousDigestSignature"),
                }
                if previous in pending:
                    pending.remove(previous)
                key = previous
            else:
                expected = None
                key = pending.pop() if pending else None
            del raw
        for future in reads.values():
            future.cancel()
        result.findings = [f.result() if isinstance(f, concurrent.futures.Future) else f for f in found]
    return result


def _get(s3: Any, bucket: str, key: str) -> dict[str, Any] | ClientError:
    """One object's body and metadata (or the error reading it), read whole."""
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        return exc
    return {"Body": response["Body"].read(), "Metadata": response.get("Metadata") or {}}


def _check_digest(
    s3: Any,
    bucket: str,
    key: str,
    public: Mapping[str, bytes],
    replacements: Mapping[tuple[str, str], bytes],
    expected: dict[str, Any] | None,
    response: dict[str, Any] | ClientError | None = None,
) -> tuple[dict[str, Any] | None, Finding, bytes]:
    def bad(
        reason: str, digest: dict[str, Any] | None = None, raw: bytes = b""
    ) -> tuple[Any, Finding, bytes]:
        return digest, Finding("digest", bucket, key, False, reason), raw

    if response is None:
        response = _get(s3, bucket, key)
    if isinstance(response, ClientError):
        return bad(f"not found ({response.response['Error']['Code']})")
    compressed = replacements.get((bucket, key), response["Body"])
    metadata = {k.lower(): v for k, v in (response.get("Metadata") or {}).items()}
    try:
        raw = gzip.decompress(compressed)
        digest = json.loads(raw)
    except (OSError, ValueError):
        return bad("invalid format")
    if any(name not in digest for name in REQUIRED):
        return bad("invalid format", digest, raw)
    if digest["digestS3Bucket"] != bucket or digest["digestS3Object"] != key:
        return bad("has been moved from its original location", digest, raw)
    if "signature" not in metadata or metadata.get("signature-algorithm") != "SHA256withRSA":
        return bad("signature missing", digest, raw)
    der = public.get(digest["digestPublicKeyFingerprint"])
    if der is None:
        return bad(
            f"public key not found for fingerprint {digest['digestPublicKeyFingerprint']}", digest, raw
        )
    if expected is not None:
        if expected.get("hash") != hashlib.sha256(raw).hexdigest():
            return bad("hash differs from the one the next digest records", digest, raw)
        if expected.get("signature") != metadata["signature"]:
            return bad("signature differs from the one the next digest records", digest, raw)
    previous = digest["previousDigestSignature"]
    to_sign = (
        f"{digest['digestEndTime']}\n{bucket}/{key}\n{hashlib.sha256(raw).hexdigest()}\n"
        f"{'null' if previous is None else previous}"
    ).encode()
    if not _verify(der, bytes.fromhex(metadata["signature"]), to_sign):
        return bad("signature verification failed", digest, raw)
    return digest, Finding("digest", bucket, key, True), raw


def _check_log(s3: Any, log: dict[str, Any], replacements: Mapping[tuple[str, str], bytes]) -> Finding:
    bucket, key = log["s3Bucket"], log["s3Object"]
    try:
        compressed = replacements.get((bucket, key)) or s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        return Finding("log", bucket, key, False, f"not found ({exc.response['Error']['Code']})")
    try:
        content = gzip.decompress(compressed)
    except OSError:
        return Finding("log", bucket, key, False, "invalid format")
    if hashlib.sha256(content).hexdigest() != log.get("hashValue"):
        return Finding("log", bucket, key, False, "hash value doesn't match")
    return Finding("log", bucket, key, True)


def _verify(der: bytes, signature: bytes, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        key = serialization.load_der_public_key(_spki(der))
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    except (InvalidSignature, ValueError):
        return False
    return True


def _spki(pkcs1: bytes) -> bytes:
    """A DER PKCS#1 RSAPublicKey wrapped as SubjectPublicKeyInfo (what ``load_der_public_key`` reads)."""
    algorithm = bytes.fromhex("300d06092a864886f70d0101010500")  # rsaEncryption, NULL parameters
    bit_string = b"\x03" + _length(len(pkcs1) + 1) + b"\x00" + pkcs1
    body = algorithm + bit_string
    return b"\x30" + _length(len(body)) + body


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _stamp(value: dt.datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def _parse(text: str) -> dt.datetime:
    return _utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
