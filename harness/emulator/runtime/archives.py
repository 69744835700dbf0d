"""Deterministic ``.tar.gz`` of a folder (as SageMaker packs ``/opt/ml/model``) and safe unpacking."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path


def tar_folder(folder: Path) -> bytes:
    """The folder's files and sub-folders at the archive root, written by the project's one
    deterministic tar writer (``harness.ml.artifacts.tar_gz_bytes``): the same content, the same bytes."""
    from harness.ml.artifacts import tar_gz_bytes

    files: dict[str, bytes] = {}
    folders: list[str] = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            continue
        relative = path.relative_to(folder).as_posix()
        if path.is_dir():
            folders.append(relative)
        elif path.is_file():
            files[relative] = path.read_bytes()
    return tar_gz_bytes(files, folders)


def unpack(data: bytes, dest: Path) -> None:
    """Extract a (gzipped) tar safely: regular files and folders only, nothing outside ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        tar.extractall(dest, filter="data")
