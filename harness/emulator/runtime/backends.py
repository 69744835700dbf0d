"""In-process access to moto's S3 and CloudWatch Logs backends, as SageMaker's data plane uses them.

The runtime lives in the emulator's process, so it reads channel data and model artifacts from moto's
S3 backend and writes artifacts, data capture and log events straight into the backends (no HTTP, no
SigV4). A bucket policy is not evaluated on these paths: SageMaker acts with its execution role, which
the platform grants access; that evaluation is out of the emulator's scope.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_ACCOUNT = "123456789012"


class S3Error(Exception):
    """An object or bucket the runtime needs is missing."""


@dataclass(frozen=True)
class S3Uri:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Uri:
        parts = urlsplit(uri)
        if parts.scheme != "s3" or not parts.netloc:
            raise S3Error(f"not an s3:// URI: {uri!r}")
        return cls(parts.netloc, parts.path.lstrip("/"))

    def join(self, *names: str) -> S3Uri:
        key = self.key.rstrip("/")
        for name in names:
            key = f"{key}/{name.strip('/')}" if key else name.strip("/")
        return S3Uri(self.bucket, key)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def _s3(account: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account]["global"]


def _bucket(account: str, name: str) -> Any:
    try:
        return _s3(account).get_bucket(name)
    except Exception as exc:  # moto raises MissingBucket
        raise S3Error(f"bucket {name} does not exist") from exc


def get_object(account: str, uri: S3Uri) -> bytes:
    from moto.s3.models import FakeKey

    bucket = _bucket(account, uri.bucket)
    key = bucket.keys.get(uri.key)
    if not isinstance(key, FakeKey):
        raise S3Error(f"no object at {uri}")
    return bytes(key.value)


def list_objects(account: str, prefix: S3Uri) -> list[tuple[str, bytes]]:
    """``(key, bytes)`` of every object under a prefix (S3Prefix semantics: plain string prefix)."""
    from moto.s3.models import FakeKey

    bucket = _bucket(account, prefix.bucket)
    found = []
    for name in sorted(list(bucket.keys.keys())):
        if not name.startswith(prefix.key) or name.endswith("/"):
            continue
        key = bucket.keys.get(name)
        if isinstance(key, FakeKey):
            found.append((name, bytes(key.value)))
    return found


def download_prefix(account: str, prefix: S3Uri, target: Path, place: str) -> int:
    """Copy every object under an ``S3Prefix`` into ``target``, as SageMaker fills a job's input folder.

    Keys are taken relative to the prefix (a prefix naming one object gives its file name); a missing
    bucket counts as no objects. Returns how many objects were copied (0: the caller fails its job with
    the reason AWS gives for its kind of job). A key that would land outside ``target`` raises
    ``S3Error`` naming ``place`` (e.g. ``input code``, ``channel train``).
    """
    try:
        objects = list_objects(account, prefix)
    except S3Error:
        return 0
    root = target.resolve()
    for key, data in objects:
        relative = key[len(prefix.key) :].lstrip("/") or key.rsplit("/", 1)[-1]
        path = (root / relative).resolve()
        if root not in path.parents:
            raise S3Error(f"S3 key {key} cannot be placed under {place}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if objects:
        target.mkdir(parents=True, exist_ok=True)
    return len(objects)


def put_object(
    account: str,
    uri: S3Uri,
    data: bytes,
    kms_key_id: str | None = None,
    *,
    encryption: str | None = None,
    metadata: dict[str, str] | None = None,
) -> None:
    """Write an object; SSE-KMS with ``kms_key_id`` when given (else ``encryption``, e.g. ``AES256``,
    else the bucket default applies). ``metadata``: ``x-amz-meta-*`` entries. A bucket with a
    default Object Lock retention locks the new version, as S3 does for every write."""
    bucket = _bucket(account, uri.bucket)
    kwargs: dict[str, Any] = {}
    if kms_key_id:
        kwargs = {"encryption": "aws:kms", "kms_key_id": kms_key_id}
    elif encryption:
        kwargs = {"encryption": encryption}
    if getattr(bucket, "object_lock_enabled", False) and getattr(bucket, "default_lock_mode", None):
        kwargs.update(lock_mode=bucket.default_lock_mode, lock_until=bucket.default_retention())
    key = _s3(account).put_object(uri.bucket, uri.key, data, **kwargs)
    if metadata:
        key.set_metadata({f"x-amz-meta-{name}": value for name, value in metadata.items()})


# --------------------------------------------------------------------------------------------- logs


_AUTH_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/")


def caller(environ: dict[str, Any], default_region: str) -> tuple[str, str]:
    """``(account, region)`` of a signed request, as moto derives them from the access key."""
    match = _AUTH_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not match:
        return DEFAULT_ACCOUNT, default_region
    key = match.group(1)
    now = time.monotonic()
    cached = _accounts.get(key)
    if cached is not None and now - cached[1] < ACCOUNT_CACHE_SECONDS:
        return cached[0], match.group(2)
    from moto.iam.models import get_account_id_from

    try:
        account = get_account_id_from(key)
    except Exception:
        account = DEFAULT_ACCOUNT
    if len(_accounts) > 1024:
        _accounts.clear()
    _accounts[key] = (account, now)
    return account, match.group(2)


ACCOUNT_CACHE_SECONDS = 1.0
"""moto looks an access key up in every account's IAM backend; InvokeEndpoint reuses the answer briefly."""
_accounts: dict[str, tuple[str, float]] = {}


def _logs(account: str, region: str) -> Any:
    from moto.logs.models import logs_backends

    return logs_backends[account][region]


def ensure_log_stream(account: str, region: str, group: str, stream: str) -> None:
    backend = _logs(account, region)
    if group not in backend.groups:
        with contextlib.suppress(Exception):  # created concurrently: fine
            backend.create_log_group(group, {})
    backend.ensure_log_stream(group, stream)


def log_stream_arn(account: str, region: str, group: str, stream: str) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}"


class LogSink:
    """Buffers lines per (group, stream) and writes them as log events every ``interval`` seconds.

    One flusher thread for the whole runtime; ``flush()`` writes everything now (on stop, in tests).
    Tabs are shown as ``#011`` as in SageMaker's CloudWatch logs (metric regexes rely on it).
    """

    def __init__(self, interval: float = 0.25, max_batch: int = 5000) -> None:
        self.interval = interval
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def write(self, account: str, region: str, group: str, stream: str, line: str) -> None:
        event = {"timestamp": int(time.time() * 1000), "message": escape_log_line(line)}
        with self._lock:
            self._pending.setdefault((account, region, group, stream), []).append(event)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="runtime-log-sink", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for (account, region, group, stream), events in pending.items():
            events.sort(key=lambda e: e["timestamp"])
            try:
                ensure_log_stream(account, region, group, stream)
                for start in range(0, len(events), self.max_batch):
                    _logs(account, region).put_log_events(
                        group, stream, events[start : start + self.max_batch]
                    )
            except Exception:  # a deleted group must not kill the flusher
                continue

    def close(self) -> None:
        self._stop.set()
        self.flush()


def escape_log_line(line: str) -> str:
    return line.rstrip("\r\n").replace("\t", "#011") or " "


LOGS = LogSink()
