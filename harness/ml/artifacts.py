"""Deterministic archives for SageMaker: ``sourcedir.tar.gz`` and ``model.tar.gz``.

Convention (script mode): the archive root holds two shims, ``inference.py`` and ``train.py``, next to
the ``harness/ml`` package, plus a ``setup.py`` that installs all of it. Set

    SAGEMAKER_PROGRAM=inference.py
    SAGEMAKER_SUBMIT_DIRECTORY=s3://<bucket>/<prefix>/sourcedir.tar.gz   (or /opt/ml/model/code)

Why shims: the container strips ``.py`` from ``SAGEMAKER_PROGRAM`` and imports the rest with
``importlib.import_module``, so ``harness/ml/inference.py`` would not import; a top-level module does.
Why ``setup.py``: the container runs ``pip install .`` on the submit directory; without a setup.py
of ours it generates one, and ours states exactly which packages and modules to install. The archive
carries its own empty ``harness/__init__.py`` so the package never depends on the rest of ``harness``.

``model.tar.gz`` holds the model folder's files at the archive root (``xgboost-model``,
``metrics.json``) and, with ``include_code=True``, the same source under ``code/`` so
``SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code`` works without a separate upload.

Archives are byte-for-byte reproducible: entries sorted, mtime fixed at 1980-01-01, owner 0/0 with no
names, modes 0644/0755, gzip header without name or time. The same inputs give the same SHA-256.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import shutil
import sys
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from .digest import sha256_file

SAGEMAKER_PROGRAM = "inference.py"
"""Value of ``SAGEMAKER_PROGRAM`` for endpoints."""

TRAINING_PROGRAM = "train.py"
"""Entry point (``sagemaker_program``) when training runs in script mode."""

FIXED_MTIME = 315532800  # 1980-01-01T00:00:00Z: zip-safe and far from "now"
PACKAGE_DIR = Path(__file__).resolve().parent

INFERENCE_SHIM = '''"""SageMaker script-mode entry point (SAGEMAKER_PROGRAM=inference.py).

The handlers live in harness.ml.inference; this module only re-exports them.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from harness.ml.inference import input_fn, model_fn, output_fn, predict_fn  # noqa: E402

__all__ = ["input_fn", "model_fn", "output_fn", "predict_fn"]
'''

TRAIN_SHIM = '''"""SageMaker script-mode training entry point (sagemaker_program=train.py)."""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from harness.ml.train import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(int(main()))
'''

PROCESSING_PROGRAM = "steps.py"
"""Entry point of the pipeline's processing jobs (``python3 /opt/ml/processing/input/code/steps.py``)."""

STEPS_SHIM = '''"""SageMaker Processing entry point: python3 steps.py <command> ... (harness.ml.steps)."""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from harness.ml.steps import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(int(main()))
'''

SETUP_PY = """from setuptools import setup

setup(
    name="dropout-risk-model",
    version="1.0.0",
    packages=["harness", "harness.ml"],
    py_modules=["inference", "train"],
)
"""

HARNESS_INIT = '"""Namespace for the dropout-risk model code shipped to SageMaker containers."""\n'


def source_files() -> dict[str, bytes]:
    """Archive path -> content of everything ``sourcedir.tar.gz`` carries."""
    files = {
        SAGEMAKER_PROGRAM: INFERENCE_SHIM.encode(),
        TRAINING_PROGRAM: TRAIN_SHIM.encode(),
        "setup.py": SETUP_PY.encode(),
        "harness/__init__.py": HARNESS_INIT.encode(),
    }
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        files[f"harness/ml/{path.name}"] = path.read_bytes()
    return files


def processing_files() -> dict[str, bytes]:
    """Relative path -> content of the processing code input (the package plus the ``steps.py`` shim)."""
    files = {PROCESSING_PROGRAM: STEPS_SHIM.encode(), "harness/__init__.py": HARNESS_INIT.encode()}
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        files[f"harness/ml/{path.name}"] = path.read_bytes()
    return files


def _check_name(name: str) -> str:
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or name != pure.as_posix():
        raise ValueError(f"unsafe archive path {name!r}")
    return name


def _directories(names: Iterable[str]) -> list[str]:
    found = set()
    for name in names:
        parent = PurePosixPath(name).parent
        while parent.parts:
            found.add(parent.as_posix())
            parent = parent.parent
    return sorted(found)


def tar_gz_bytes(files: Mapping[str, bytes], directories: Iterable[str] = ()) -> bytes:
    """The one deterministic ``.tar.gz`` writer: ``files`` (archive path -> bytes) plus their parent
    folders and any extra ``directories``, sorted, fixed mtime, owner 0, modes 0644/0755, GNU format,
    gzip header without name or time. The same inputs give the same bytes."""
    names = sorted(_check_name(name) for name in files)
    folders = set(_directories(names)) | {_check_name(d) for d in directories}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        entries = [(name, True) for name in folders] + [(name, False) for name in names]
        for name, is_dir in sorted(entries):
            info = tarfile.TarInfo(name)
            info.mtime = FIXED_MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if is_dir:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                data = files[name]
                info.mode = 0o644
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(buffer.getvalue())
    return out.getvalue()


def write_tar_gz(out_path: str | Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` (archive path -> bytes) as a reproducible ``.tar.gz``; returns the path."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(tar_gz_bytes(files))
    return out


def build_sourcedir(out_path: str | Path) -> Path:
    """Write ``sourcedir.tar.gz``: shims, ``setup.py``, ``harness/__init__.py``, ``harness/ml/*.py``."""
    return write_tar_gz(out_path, source_files())


def _model_files(model_dir: Path) -> dict[str, bytes]:
    if not model_dir.is_dir():
        raise FileNotFoundError(f"model folder {model_dir} does not exist")
    files = {}
    for path in sorted(model_dir.rglob("*")):
        relative = path.relative_to(model_dir).as_posix()
        if path.is_symlink():
            raise ValueError(f"model folder entry {relative} is a symbolic link; refusing to archive it")
        if path.is_file():
            files[relative] = path.read_bytes()
    if not files:
        raise ValueError(f"model folder {model_dir} is empty")
    return files


def build_model_tar(model_dir: str | Path, out_path: str | Path, *, include_code: bool = False) -> Path:
    """Write ``model.tar.gz`` from a model folder (files at the root), optionally with ``code/``."""
    files = _model_files(Path(model_dir))
    if include_code:
        clash = sorted(name for name in files if name == "code" or name.startswith("code/"))
        if clash:
            raise ValueError(f"model folder already has {clash[0]}; cannot add code/")
        files.update({f"code/{name}": data for name, data in source_files().items()})
    return write_tar_gz(out_path, files)


def unpack_model_tar(tar_path: str | Path, dest: str | Path) -> list[str]:
    """Extract a ``model.tar.gz`` safely (regular files and folders only, no escaping paths).

    Returns the extracted file names, sorted.
    """
    target = Path(dest).resolve()
    target.mkdir(parents=True, exist_ok=True)
    extracted = []
    with tarfile.open(tar_path, mode="r:*") as tar:
        for member in tar.getmembers():
            name = member.name[2:] if member.name.startswith("./") else member.name
            name = name.rstrip("/")
            if not name or name == ".":
                continue
            _check_name(name)
            path = (target / name).resolve()
            if target != path and target not in path.parents:
                raise ValueError(f"archive entry {member.name!r} escapes {target}")
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                path.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                with source, open(path, "wb") as sink:
                    shutil.copyfileobj(source, sink)
                os.chmod(path, 0o644)
                extracted.append(name)
            else:
                raise ValueError(f"archive entry {member.name!r} is not a regular file or folder")
    return sorted(extracted)


def container_environment(submit_directory: str) -> dict[str, str]:
    """Environment for the serving container's script mode."""
    return {"SAGEMAKER_PROGRAM": SAGEMAKER_PROGRAM, "SAGEMAKER_SUBMIT_DIRECTORY": submit_directory}


def training_hyperparameters(submit_directory: str) -> dict[str, str]:
    """The ``sagemaker_*`` hyperparameters that run ``train.py`` in script mode (JSON-encoded strings)."""
    return {
        "sagemaker_program": f'"{TRAINING_PROGRAM}"',
        "sagemaker_submit_directory": f'"{submit_directory}"',
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m harness.ml.artifacts sourcedir OUT`` or ``... model MODEL_DIR OUT [--include-code]``."""
    parser = argparse.ArgumentParser(
        prog="python -m harness.ml.artifacts", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    source = sub.add_parser("sourcedir", help="write sourcedir.tar.gz")
    source.add_argument("out")
    model = sub.add_parser("model", help="write model.tar.gz from a model folder")
    model.add_argument("model_dir")
    model.add_argument("out")
    model.add_argument("--include-code", action="store_true", help="add the source under code/")
    args = parser.parse_args(argv)
    try:
        if args.command == "sourcedir":
            out = build_sourcedir(args.out)
        else:
            out = build_model_tar(args.model_dir, args.out, include_code=args.include_code)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{sha256_file(out)}  {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
