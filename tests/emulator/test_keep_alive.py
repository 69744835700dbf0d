"""moto's answers keep the connection open: SDK clients reuse one connection instead of a TLS
handshake (and an emulator thread) per call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_calls_over_one_client_reuse_its_connection(
    aws: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """urllib3 logs every connection it opens, and every one it finds closed by the server."""
    s3, kms = aws("s3"), aws("kms")
    s3.create_bucket(Bucket="keep-alive", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    kms.list_keys()  # each client has opened its connection
    big = bytes(range(256)) * 20_000  # 5 MB: several TLS records, streamed to the client
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        for i in range(10):
            s3.put_object(Bucket="keep-alive", Key=f"k{i}", Body=b"x" * i)
            assert s3.head_object(Bucket="keep-alive", Key=f"k{i}")["ContentLength"] == i
            assert s3.get_object(Bucket="keep-alive", Key=f"k{i}")["Body"].read() == b"x" * i
            kms.list_keys()
        s3.put_object(Bucket="keep-alive", Key="big", Body=big)
        assert s3.get_object(Bucket="keep-alive", Key="big")["Body"].read() == big
        with pytest.raises(s3.exceptions.ClientError):  # an error answer keeps the connection too
            s3.head_object(Bucket="keep-alive", Key="absent")
        assert s3.list_objects_v2(Bucket="keep-alive")["KeyCount"] == 11
    opened = [r.getMessage() for r in caplog.records if "Starting new" in r.getMessage()]
    dropped = [r.getMessage() for r in caplog.records if "Resetting dropped" in r.getMessage()]
    assert not opened and not dropped, (opened, dropped)  # 44 calls on the two connections already open
