"""Shared fixtures: one small synthetic dataset and one trained model, built once for the whole folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.ml import dataset, inference, train

ROWS = 6000
SEED = 7
NUM_ROUND = 40


def training_env(root: Path, data_dir: Path, *, validation: bool = True, test: bool = True) -> dict[str, str]:
    """Environment that points the training entry point at a temporary SageMaker-like tree."""
    env = {"SM_PREFIX": str(root), "SM_CHANNEL_TRAIN": str(data_dir / "train")}
    if validation:
        env["SM_CHANNEL_VALIDATION"] = str(data_dir / "validation")
    if test:
        env["SM_CHANNEL_TEST"] = str(data_dir / "test")
    return env


def write_hyperparameters(root: Path, values: dict[str, str]) -> Path:
    config = root / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    path = config / "hyperparameters.json"
    path.write_text(json.dumps(values))
    return path


@pytest.fixture(scope="package")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data")
    dataset.write_splits(out, ROWS, SEED)
    return out


@pytest.fixture(scope="package")
def trained(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict:
    """Train once through the entry point's functions; keep stdout lines, paths, result and model."""
    root = tmp_path_factory.mktemp("opt_ml")
    # nthread 1: OpenMP threads spin badly when the test machine's CPUs are already busy
    hyperparameters = {"num_round": str(NUM_ROUND), "seed": "1", "nthread": "1"}
    write_hyperparameters(root, {**hyperparameters, "sagemaker_program": '"train.py"'})
    lines: list[str] = []
    paths = train.Paths.from_env(training_env(root, data_dir))
    hyperparameters = train.load_hyperparameters(paths)
    result = train.train(paths, hyperparameters, out=lines.append)
    return {
        "root": root,
        "paths": paths,
        "lines": lines,
        "result": result,
        "model": inference.model_fn(paths.model_dir),
    }


@pytest.fixture(scope="package")
def model(trained: dict):
    return trained["model"]
