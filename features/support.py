"""Pure functions and small classes the step definitions share (no pytest, no fixtures)."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from harness import target as targets
from harness.s3 import s3_split
from harness.validation.requirements import RequirementSet, load_requirements

#: The specification the suites read their acceptance criteria from.
SPECIFICATION = Path(__file__).resolve().parent / "requirements.yaml"

#: "the KMS key for <purpose>" -> key of the ``kms_key_arns`` output.
KEY_PURPOSES = {
    "data at rest": "data",
    "training volumes": "volume",
    "ML storage volumes": "volume",
    "model artifacts": "model",
    "logs": "logs",
    "evidence signing": "signing",
    "people's signatures": "approvals",
}

#: "the <name> bucket" -> output holding the bucket name.
BUCKETS = {
    "data lake": "data_lake_bucket",
    "evidence": "evidence_bucket",
    "access log": "access_log_bucket",
}

TRAINING_JOB_PREFIX = "dropout-model-train"


# ---------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def policy_statements(document: Any) -> list[dict[str, Any]]:
    """The statements of an IAM/KMS/S3 policy given as JSON text or already decoded."""
    if isinstance(document, str):
        document = json.loads(document)
    return as_list((document or {}).get("Statement"))


def principal_is_wildcard(principal: Any) -> bool:
    """``"*"`` or ``{"AWS": "*"}`` (alone or in a list): anyone."""
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in as_list(v) for v in principal.values())
    return False


def trim(data: Any, drop: Iterable[str] = ("ResponseMetadata",)) -> Any:
    """A boto3 response without its transport metadata but with its ``RequestId`` (what evidence keeps:
    the request can be found again in CloudTrail and by AWS support)."""
    if isinstance(data, dict):
        out = {k: v for k, v in data.items() if k not in set(drop)}
        request_id = (data.get("ResponseMetadata") or {}).get("RequestId")
        if request_id:
            out["RequestId"] = request_id
        return out
    return data


def read_objects(s3: Any, bucket: str, keys: Iterable[str], *, readers: int = 8) -> list[bytes]:
    """The bodies of many objects of one bucket, in the order of ``keys``, read side by side (a trail's
    window holds hundreds of log files, one request each)."""
    import concurrent.futures

    def read(key: str) -> bytes:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    with concurrent.futures.ThreadPoolExecutor(max_workers=readers) as pool:
        return list(pool.map(read, keys))


def read_listed(
    s3: Any, bucket: str, objects: Iterable[dict[str, Any]], seen: dict[tuple[str, str, str, str, int], bytes]
) -> list[bytes]:
    """The bodies of objects just listed (``ListObjectsV2`` ``Contents`` entries), in their order.

    A poll lists a folder that grows (delivered log files, data capture) and reads what it holds; an
    object whose body this client already read under the same key, ETag, LastModified and Size (S3
    changes them when an object is written again) is that same content, so only the objects that are
    new since the previous poll are fetched. ``seen`` holds the bodies read so far and belongs to one
    wait of one step (a step checks only bytes it read itself, never an earlier scenario's)."""
    objects = list(objects)

    def identity(obj: dict[str, Any]) -> tuple[str, str, str, str, int]:
        return (
            bucket,
            obj["Key"],
            str(obj.get("ETag")),
            str(obj.get("LastModified")),
            int(obj.get("Size", -1)),
        )

    missing = [obj for obj in objects if identity(obj) not in seen]
    fetched = read_objects(s3, bucket, [obj["Key"] for obj in missing])
    for obj, body in zip(missing, fetched, strict=True):
        seen[identity(obj)] = body
    return [seen[identity(obj)] for obj in objects]


def wait_for(probe: Callable[[], Any], *, timeout: float, interval: float = 1.0) -> Any:
    """Call ``probe`` until it returns something truthy or ``timeout`` seconds pass; return the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


@functools.cache
def specification() -> RequirementSet:
    """``features/requirements.yaml``, loaded once per process."""
    return load_requirements(SPECIFICATION)


def threshold(req_id: str, name: str, environment: str | None = None) -> Any:
    """An acceptance criterion's number from the specification (never from code).

    ``environment`` picks the per-environment value where the specification distinguishes one (read
    the environment from the live resource, e.g. its ``Environment`` tag)."""
    return specification().threshold(req_id, name, environment)


def independent_auc(labels: Any, scores: Any) -> float:
    """ROC AUC as the Mann-Whitney U statistic (scipy's average ranks for ties): the suites' own,
    deliberately independent of the harness's ``harness.ml.metrics.roc_auc`` that it cross-checks."""
    import numpy as np
    from scipy.stats import rankdata

    y = np.asarray(labels)
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    positives = y == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    assert n_pos and n_neg, "AUC needs both classes"
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def s3_location(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)`` (the harness's own parser)."""
    return s3_split(uri)


# -- clients --------------------------------------------------------------------------------------


class Clients:
    """boto3 clients aimed at the target, one per service, created on first use: ``aws("kms")``
    (the target keeps them: :meth:`~harness.target.Target.client`)."""

    def __init__(self, target: targets.Target) -> None:
        self._target = target

    def __call__(self, service: str) -> Any:
        return self._target.client(service)
