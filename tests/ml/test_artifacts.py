"""Deterministic archives, and the package running alone from them as SageMaker's containers run it."""

from __future__ import annotations

import ast
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from harness.ml import artifacts, dataset

PACKAGE_DIR = Path(artifacts.__file__).resolve().parent
ALLOWED_THIRD_PARTY = {"numpy", "xgboost"}
OPTIONAL_CONTAINER_ONLY = {"sagemaker_inference"}  # guarded import, inside SageMaker's image only


def members(path: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(path, "r:gz") as tar:
        return tar.getmembers()


def test_sourcedir_is_byte_for_byte_reproducible(tmp_path):
    first = artifacts.build_sourcedir(tmp_path / "a" / "sourcedir.tar.gz")
    time.sleep(1.1)
    second = artifacts.build_sourcedir(tmp_path / "b" / "sourcedir.tar.gz")
    assert first.read_bytes() == second.read_bytes()
    assert dataset.sha256_file(first) == dataset.sha256_file(second)


def test_sourcedir_layout(tmp_path):
    archive = artifacts.build_sourcedir(tmp_path / "sourcedir.tar.gz")
    infos = members(archive)
    names = [info.name for info in infos]
    assert names == sorted(names)
    files = {info.name for info in infos if info.isfile()}
    expected_ml = {f"harness/ml/{p.name}" for p in PACKAGE_DIR.glob("*.py")}
    assert files == {"inference.py", "train.py", "setup.py", "harness/__init__.py"} | expected_ml
    assert {"harness/ml/inference.py", "harness/ml/train.py", "harness/ml/dataset.py"} <= files
    for info in infos:
        assert info.mtime == artifacts.FIXED_MTIME and info.uid == info.gid == 0
        assert info.uname == info.gname == ""
        assert info.mode == (0o755 if info.isdir() else 0o644)
    assert artifacts.SAGEMAKER_PROGRAM == "inference.py" and artifacts.SAGEMAKER_PROGRAM in files
    with tarfile.open(archive, "r:gz") as tar:
        init = tar.extractfile("harness/__init__.py").read().decode()
    assert "import" not in init  # the shipped harness/__init__.py never pulls in the rest of harness


def test_model_tar_reproducible_and_independent_of_mtimes(tmp_path, trained):
    model_dir = trained["paths"].model_dir
    first = artifacts.build_model_tar(model_dir, tmp_path / "1" / "model.tar.gz")
    for path in model_dir.iterdir():
        os.utime(path, (1_700_000_000, 1_700_000_000))
    second = artifacts.build_model_tar(model_dir, tmp_path / "2" / "model.tar.gz")
    assert first.read_bytes() == second.read_bytes()
    assert [m.name for m in members(first)] == ["metrics.json", "xgboost-model"]


def test_model_tar_with_code_round_trip(tmp_path, trained):
    model_dir = trained["paths"].model_dir
    archive = artifacts.build_model_tar(model_dir, tmp_path / "model.tar.gz", include_code=True)
    extracted = artifacts.unpack_model_tar(archive, tmp_path / "opt_ml_model")
    assert "xgboost-model" in extracted and "code/inference.py" in extracted
    assert "code/harness/ml/inference.py" in extracted
    unpacked = tmp_path / "opt_ml_model" / "xgboost-model"
    assert unpacked.read_bytes() == (model_dir / "xgboost-model").read_bytes()


def test_model_tar_rejects_empty_and_missing_dirs(tmp_path):
    with pytest.raises(FileNotFoundError):
        artifacts.build_model_tar(tmp_path / "absent", tmp_path / "m.tar.gz")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        artifacts.build_model_tar(tmp_path / "empty", tmp_path / "m.tar.gz")


def _tar_with(tmp_path: Path, info: tarfile.TarInfo, data: bytes = b"") -> Path:
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info.size = len(data) if info.isfile() else 0
        tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda: tarfile.TarInfo("../escape.txt"),
        lambda: tarfile.TarInfo("/abs/path.txt"),
        lambda: tarfile.TarInfo("a/../../escape.txt"),
    ],
)
def test_unpack_rejects_escaping_paths(tmp_path, make):
    archive = _tar_with(tmp_path, make(), b"x")
    with pytest.raises(ValueError):
        artifacts.unpack_model_tar(archive, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_unpack_rejects_links(tmp_path):
    link = tarfile.TarInfo("xgboost-model")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    with pytest.raises(ValueError, match="not a regular file"):
        artifacts.unpack_model_tar(_tar_with(tmp_path, link), tmp_path / "out")


def test_container_settings():
    assert artifacts.container_environment("s3://b/code/sourcedir.tar.gz") == {
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": "s3://b/code/sourcedir.tar.gz",
    }
    hp = artifacts.training_hyperparameters("s3://b/code/sourcedir.tar.gz")
    assert json.loads(hp["sagemaker_program"]) == "train.py"


def test_cli(tmp_path, trained, capsys):
    assert artifacts.main(["sourcedir", str(tmp_path / "s.tar.gz")]) == 0
    assert artifacts.main(["model", str(trained["paths"].model_dir), str(tmp_path / "m.tar.gz")]) == 0
    out = capsys.readouterr().out
    assert dataset.sha256_file(tmp_path / "s.tar.gz") in out
    assert artifacts.main(["model", str(tmp_path / "nope"), str(tmp_path / "x.tar.gz")]) == 2


# ------------------------------------------------------------------------------------------- isolation


def _imports(path: Path) -> list[tuple[str, int]]:
    """Top-level module names imported by a file, with the relative level (0 = absolute)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append(((node.module or "").split(".")[0], node.level))
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_package_imports_only_stdlib_numpy_xgboost(path):
    for module, level in _imports(path):
        if level == 1:
            continue  # a sibling inside harness.ml
        assert level == 0, f"{path.name}: relative import beyond harness.ml"
        allowed = module in sys.stdlib_module_names or module in ALLOWED_THIRD_PARTY
        assert allowed or module in OPTIONAL_CONTAINER_ONLY, f"{path.name} imports {module}"
        assert module not in {"harness", "scipy", "sklearn", "pandas", "boto3"}


def test_runs_alone_from_the_sourcedir(tmp_path, trained):
    """Extract sourcedir.tar.gz and use it the way the container does, with the repository out of reach.

    (xgboost itself may import scipy when it is installed; what our code imports is checked above.)
    """
    code = tmp_path / "code"
    with tarfile.open(artifacts.build_sourcedir(tmp_path / "sourcedir.tar.gz"), "r:gz") as tar:
        tar.extractall(code, filter="data")
    data = tmp_path / "data"
    dataset.write_splits(data, 200, 1)
    script = f"""
import importlib, json, runpy, sys
module = importlib.import_module("inference")   # what SAGEMAKER_PROGRAM=inference.py turns into
model = module.model_fn({str(trained["paths"].model_dir)!r})
request = module.input_fn('{{"features": [72, 1, 0.85]}}', "application/json")
body, content_type = module.output_fn(module.predict_fn(request, model), "application/json")
loaded = sorted(name for name in sys.modules if name.split(".")[0] == "harness")
origin = sys.modules["harness"].__file__
sys.argv = ["train.py", "--num_round", "2", "--nthread", "1"]
try:
    runpy.run_path("train.py", run_name="__main__")
except SystemExit as done:
    status = done.code
print(json.dumps({{"body": body, "loaded": loaded, "origin": origin, "train_status": status}}))
"""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "SM_"))} | {
        "SM_PREFIX": str(tmp_path / "ml"),
        "SM_CHANNEL_TRAIN": str(data / "train"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert json.loads(result["body"])["risk_score"] > 0.5
    assert result["origin"].startswith(str(code))
    assert set(result["loaded"]) <= {
        "harness",
        "harness.ml",
        "harness.ml.schema",
        "harness.ml.inference",
        "harness.ml.dataset",
        "harness.ml.train",
    }
    assert result["train_status"] == 0
    assert (tmp_path / "ml" / "model" / "xgboost-model").is_file()
