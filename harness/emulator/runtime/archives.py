"""Deterministic ``.tar.gz`` of a folder (as SageMaker packs ``/opt/ml/model``) and safe unpacking."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

FIXED_MTIME = 315532800  # 1980-01-01: the same folder content gives the same bytes


def tar_folder(folder: Path) -> bytes:
    """The folder's files and sub-folders at the archive root, sorted, fixed mtime and owner."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
            if path.is_symlink():
                continue
            info = tarfile.TarInfo(path.relative_to(folder).as_posix())
            info.mtime = FIXED_MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if path.is_dir():
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            elif path.is_file():
                data = path.read_bytes()
                info.mode = 0o644
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(buffer.getvalue())
    return out.getvalue()


def unpack(data: bytes, dest: Path) -> None:
    """Extract a (gzipped) tar safely: regular files and folders only, nothing outside ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        tar.extractall(dest, filter="data")
