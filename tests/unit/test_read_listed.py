"""A poll over a growing S3 folder fetches only what is new or written again since the last poll."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from features.support import read_listed

T0 = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)


class _S3:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.gets: list[str] = []

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        self.gets.append(Key)
        return {"Body": io.BytesIO(self.objects[Key])}


def _listed(key: str, etag: str, when: dt.datetime = T0, size: int = 1) -> dict[str, Any]:
    return {"Key": key, "ETag": etag, "LastModified": when, "Size": size}


def test_a_second_poll_fetches_only_new_and_rewritten_objects() -> None:
    s3 = _S3({"a": b"A", "b": b"B"})
    seen: dict[Any, bytes] = {}
    assert read_listed(s3, "bucket", [_listed("a", '"1"'), _listed("b", '"2"')], seen) == [b"A", b"B"]
    assert sorted(s3.gets) == ["a", "b"]
    s3.gets.clear()
    s3.objects.update({"b": b"B2", "c": b"C"})
    later = T0 + dt.timedelta(seconds=1)
    listing = [_listed("a", '"1"'), _listed("b", '"3"', later, 2), _listed("c", '"4"', later)]
    assert read_listed(s3, "bucket", listing, seen) == [b"A", b"B2", b"C"]
    assert sorted(s3.gets) == ["b", "c"]


def test_bodies_are_never_shared_between_waits_or_buckets() -> None:
    """A wait's bodies are its own: another wait (another step or scenario) reads the object again."""
    s3 = _S3({"a": b"A"})
    first: dict[Any, bytes] = {}
    assert read_listed(s3, "bucket", [_listed("a", '"1"')], first) == [b"A"]
    assert read_listed(s3, "bucket", [_listed("a", '"1"')], {}) == [b"A"]
    assert read_listed(s3, "elsewhere", [_listed("a", '"1"')], first) == [b"A"]
    assert s3.gets == ["a", "a", "a"]
