"""The one S3 URI parser and the one object downloader of the harness (the emulator keeps its own
``runtime.backends.S3Uri``: it reads moto's backend in-process, not through a client).

A leaf module, so that the workflow, the feature store, monitoring and the qualification can all use it
without importing one another.
"""

from __future__ import annotations

from typing import Any

from harness.errors import HarnessError


class S3UriError(HarnessError):
    """Something that should be an ``s3://bucket/key`` URI is not one."""


def s3_split(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``."""
    if not uri.startswith("s3://"):
        raise S3UriError(f"not an S3 URI: {uri}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def download(target: Any, uri: str) -> bytes:
    """The bytes of one S3 object on the target (a ``harness.target.Target``)."""
    bucket, key = s3_split(uri)
    return target.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
