"""Delivery of each logging trail's events: log files, digest files, CloudWatch Logs.

AWS:
- Log files: gzip-compressed JSON ``{"Records": [...]}`` written to the trail's bucket as
  ``<prefix>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/``
  ``<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz``
  (``<region>``: where the events happened), SSE-KMS with the trail's key when it has one, a few
  minutes after the calls (here every ``EMULATOR_TRAIL_DELIVERY_SECONDS``, default 2).
- Digest files (log file validation on): per trail and region, gzip JSON naming every log file
  delivered since the previous digest with its SHA-256 (``logFiles[].hashValue``, over the
  uncompressed content), the previous digest's bucket, key, SHA-256 and signature (the chain;
  null in a starting digest: after logging starts or validation is enabled), under
  ``<prefix>/AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/``
  ``<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHMMSSZ>.json.gz``,
  signed (``signing``) and encrypted with SSE-S3. AWS writes one an hour; here one follows the
  log files by ``EMULATOR_TRAIL_DIGEST_SECONDS`` (default 10), and an empty one after an hour
  without log files. Log files delivered while validation is off are never digested.
- StopLogging stops delivery (events of that time are not logged); StartLogging starts a new chain.
- A trail with a CloudWatch Logs group also sends each event there (stream
  ``<account>_CloudTrail_<region>``).
- GetTrailStatus reports the latest delivery and digest delivery times and errors.

One background thread delivers for every trail; it stops with the emulator after a last delivery.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from . import records, selectors, signing

log = logging.getLogger("harness.emulator.cloudtrail")

DELIVERY_SECONDS = float(os.environ.get("EMULATOR_TRAIL_DELIVERY_SECONDS", "2"))
DIGEST_SECONDS = float(os.environ.get("EMULATOR_TRAIL_DIGEST_SECONDS", "10"))
EMPTY_DIGEST_SECONDS = 3600.0
MAX_RECORDS_PER_FILE = 5000
_ALPHABET = string.ascii_letters + string.digits


@dataclass
class Chain:
    """The digest chain of one trail in one region."""

    started: float
    log_files: list[dict[str, Any]] = field(default_factory=list)
    previous: dict[str, Any] | None = None  # bucket, key, hash, signature of the last digest
    last_digest: float = 0.0


class Delivery:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
        self._chains: dict[tuple[str, str], Chain] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------ intake

    def enqueue(self, account: str, trail: Any, record: dict[str, Any]) -> None:
        with self._lock:
            self._pending.setdefault((account, trail.arn), {}).setdefault(record["awsRegion"], []).append(
                record
            )
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="cloudtrail-delivery", daemon=True)
                self._thread.start()

    def reset(self, trail_arn: str) -> None:
        """Logging stopped: drop what was not delivered and end the trail's digest chains."""
        with self._lock:
            for key in [k for k in self._pending if k[1] == trail_arn]:
                del self._pending[key]
            for key in [k for k in self._chains if k[0] == trail_arn]:
                del self._chains[key]

    # ---------------------------------------------------------------------------- delivery

    def _run(self) -> None:
        while not self._stop.wait(DELIVERY_SECONDS):
            try:
                self.flush()
            except Exception:  # a bad trail must not end delivery for the others
                log.exception("trail delivery failed")

    def flush(self, *, digest_now: bool = False) -> None:
        """Deliver pending events now; write the digests that are due (all of them: ``digest_now``)."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
            now = time.time()
            for (account, arn), regions in pending.items():
                trail = _find(account, arn)
                if trail is None or not trail.status.is_logging:
                    continue
                for region, records in regions.items():
                    for start in range(0, len(records), MAX_RECORDS_PER_FILE):
                        self._deliver(trail, region, records[start : start + MAX_RECORDS_PER_FILE], now)
            self._digests(now, force=digest_now)

    def _deliver(self, trail: Any, region: str, records: list[dict[str, Any]], now: float) -> None:
        account = trail.account_id
        stamp = time.gmtime(now)
        name = (
            f"{account}_CloudTrail_{region}_{time.strftime('%Y%m%dT%H%MZ', stamp)}_"
            f"{''.join(secrets.choice(_ALPHABET) for _ in range(16))}.json.gz"
        )
        key = _prefixed(
            trail, f"AWSLogs/{account}/CloudTrail/{region}/{time.strftime('%Y/%m/%d', stamp)}/{name}"
        )
        content = json.dumps({"Records": records}, separators=(",", ":")).encode()
        try:
            _put(account, trail.bucket_name, key, gzip.compress(content), kms_key_id=_kms_key_arn(trail))
        except Exception as exc:
            _status(trail)["LatestDeliveryError"] = _error_code(exc)
            log.warning("trail %s: log delivery to %s failed: %s", trail.trail_name, trail.bucket_name, exc)
            return
        status = _status(trail)
        status["LatestDeliveryTime"] = now
        status.pop("LatestDeliveryError", None)
        times = [r["eventTime"] for r in records]
        entry = {
            "s3Bucket": trail.bucket_name,
            "s3Object": key,
            "hashValue": hashlib.sha256(content).hexdigest(),
            "hashAlgorithm": "SHA-256",
            "newestEventTime": max(times),
            "oldestEventTime": min(times),
        }
        if trail.log_validation:
            with self._lock:
                chain = self._chains.get((trail.arn, region))
                if chain is None:
                    chain = self._chains[(trail.arn, region)] = Chain(started=now)
                chain.log_files.append(entry)
        self._to_cloudwatch(trail, region, records)

    def _to_cloudwatch(self, trail: Any, region: str, records: list[dict[str, Any]]) -> None:
        group_arn = getattr(trail, "cw_log_group_arn", None)
        if not group_arn:
            return
        parts = group_arn.split(":")
        if len(parts) < 7 or parts[5] != "log-group":
            return
        from ..runtime.backends import LOGS

        for record in records:
            LOGS.write(
                parts[4], parts[3], parts[6], f"{trail.account_id}_CloudTrail_{region}", json.dumps(record)
            )

    # ------------------------------------------------------------------------------ digests

    def _digests(self, now: float, *, force: bool) -> None:
        with self._lock:
            chains = list(self._chains.items())
        for (arn, region), chain in chains:
            account = arn.split(":")[4]
            trail = _find(account, arn)
            if trail is None or not trail.status.is_logging:
                self.reset(arn)
                continue
            if not trail.log_validation:
                with self._lock:
                    self._chains.pop((arn, region), None)
                continue
            since = now - max(chain.last_digest, chain.started)
            due = (chain.log_files and (force or since >= DIGEST_SECONDS)) or since >= EMPTY_DIGEST_SECONDS
            if due and int(now) > int(chain.last_digest):
                self._write_digest(trail, region, chain, now)

    def _write_digest(self, trail: Any, region: str, chain: Chain, now: float) -> None:
        account = trail.account_id
        stamp = time.gmtime(now)
        end = time.strftime("%Y-%m-%dT%H:%M:%SZ", stamp)
        key = _prefixed(
            trail,
            f"AWSLogs/{account}/CloudTrail-Digest/{region}/{time.strftime('%Y/%m/%d', stamp)}/"
            f"{account}_CloudTrail-Digest_{region}_{trail.trail_name}_{trail.region_name}_"
            f"{time.strftime('%Y%m%dT%H%M%SZ', stamp)}.json.gz",
        )
        with self._lock:
            files, chain.log_files = chain.log_files, []
        pair = signing.key_for(region)
        previous = chain.previous or {}
        digest = {
            "awsAccountId": account,
            "digestStartTime": records.utc(chain.last_digest or chain.started),
            "digestEndTime": end,
            "digestS3Bucket": trail.bucket_name,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": pair.fingerprint,
            "digestSignatureAlgorithm": signing.ALGORITHM,
            "newestEventTime": max((f["newestEventTime"] for f in files), default=None),
            "oldestEventTime": min((f["oldestEventTime"] for f in files), default=None),
            "previousDigestS3Bucket": previous.get("bucket"),
            "previousDigestS3Object": previous.get("key"),
            "previousDigestHashValue": previous.get("hash"),
            "previousDigestHashAlgorithm": "SHA-256" if previous else None,
            "previousDigestSignature": previous.get("signature"),
            "logFiles": files,
        }
        content = json.dumps(digest, separators=(",", ":")).encode()
        signature = pair.sign(
            signing.string_to_sign(end, trail.bucket_name, key, content, previous.get("signature"))
        ).hex()
        try:
            _put(
                account,
                trail.bucket_name,
                key,
                gzip.compress(content),
                encryption="AES256",
                metadata={"signature": signature, "signature-algorithm": signing.ALGORITHM},
            )
        except Exception as exc:
            _status(trail)["LatestDigestDeliveryError"] = _error_code(exc)
            with self._lock:
                chain.log_files[:0] = files
            return
        status = _status(trail)
        status["LatestDigestDeliveryTime"] = now
        status.pop("LatestDigestDeliveryError", None)
        chain.previous = {
            "bucket": trail.bucket_name,
            "key": key,
            "hash": hashlib.sha256(content).hexdigest(),
            "signature": signature,
        }
        chain.last_digest = now

    # --------------------------------------------------------------------------------- stop

    def close(self) -> None:
        """Deliver what is pending and write the due digests; no delivery after this."""
        self._stop.set()
        try:
            self.flush(digest_now=True)
        except Exception:
            log.exception("last trail delivery failed")


DELIVERY = Delivery()


def _find(account: str, arn: str) -> Any:
    for trail in selectors.trails(account):
        if trail.arn == arn:
            return trail
    return None


def _prefixed(trail: Any, key: str) -> str:
    prefix = (trail.s3_key_prefix or "").strip("/")
    return f"{prefix}/{key}" if prefix else key


def _status(trail: Any) -> dict[str, Any]:
    extra = getattr(trail.status, "harness_delivery", None)
    if extra is None:
        extra = trail.status.harness_delivery = {}
    return extra


def _kms_key_arn(trail: Any) -> str | None:
    """The trail's key as an ARN (S3 reports SSE-KMS objects with the key ARN)."""
    key_id = getattr(trail, "kms_key_id", None)
    if not key_id:
        return None
    try:
        from moto.kms.models import kms_backends

        region = key_id.split(":")[3] if key_id.startswith("arn:") else trail.region_name
        return kms_backends[trail.account_id][region].describe_key(key_id).arn
    except Exception:
        return key_id


def _put(account: str, bucket: str, key: str, data: bytes, **kwargs: Any) -> None:
    from ..runtime.backends import S3Uri, put_object

    put_object(account, S3Uri(bucket, key), data, **kwargs)


def _error_code(exc: Exception) -> str:
    code = getattr(exc, "code", None) or getattr(exc, "error_type", None)
    return str(code) if code else ("NoSuchBucket" if "does not exist" in str(exc) else type(exc).__name__)
