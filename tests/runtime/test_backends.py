"""The runtime's S3 copy into a job's folders (channels, processing inputs), against in-process moto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from harness.emulator.runtime.backends import DEFAULT_ACCOUNT, S3Error, S3Uri, download_prefix


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="lake")
        yield client


def test_prefix_objects_land_relative_to_the_prefix(s3: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket="lake", Key="ml/train/a.csv", Body=b"1,2")
    s3.put_object(Bucket="lake", Key="ml/train/part/b.csv", Body=b"3,4")
    s3.put_object(Bucket="lake", Key="ml/test/c.csv", Body=b"5")
    count = download_prefix(
        DEFAULT_ACCOUNT, S3Uri.parse("s3://lake/ml/train/"), tmp_path / "train", "channel train"
    )
    assert count == 2
    assert (tmp_path / "train" / "a.csv").read_bytes() == b"1,2"
    assert (tmp_path / "train" / "part" / "b.csv").read_bytes() == b"3,4"


def test_a_prefix_naming_one_object_gives_its_file_name(s3: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket="lake", Key="code/run.py", Body=b"print()")
    assert download_prefix(DEFAULT_ACCOUNT, S3Uri.parse("s3://lake/code/run.py"), tmp_path, "input code") == 1
    assert (tmp_path / "run.py").read_bytes() == b"print()"


def test_nothing_to_copy_is_zero_and_a_missing_bucket_too(s3: Any, tmp_path: Path) -> None:
    assert download_prefix(DEFAULT_ACCOUNT, S3Uri.parse("s3://lake/none/"), tmp_path / "x", "input x") == 0
    assert download_prefix(DEFAULT_ACCOUNT, S3Uri.parse("s3://absent/a/"), tmp_path / "x", "input x") == 0
    assert not (tmp_path / "x").exists()


def test_a_key_escaping_the_folder_is_refused(s3: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket="lake", Key="in/../../escape.txt", Body=b"x")
    with pytest.raises(S3Error, match="cannot be placed under input data"):
        download_prefix(DEFAULT_ACCOUNT, S3Uri.parse("s3://lake/in/"), tmp_path / "data", "input data")
    assert not (tmp_path / "escape.txt").exists()
