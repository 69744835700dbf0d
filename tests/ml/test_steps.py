"""The pipeline's processing programs: hash split (stable, complete) and evaluation property file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import xgboost as xgb

from harness.ml import artifacts, dataset, steps
from harness.ml.schema import FEATURE_NAMES


def test_preprocess_splits_by_row_hash_and_hashes_files(tmp_path: Path) -> None:
    dataset.write_splits(tmp_path / "in", rows=2000, seed=3)
    manifest = steps.preprocess(tmp_path / "in", tmp_path / "out")
    splits = manifest["splits"]
    assert sum(s["rows"] for s in splits.values()) == 2000  # type: ignore[union-attr]
    assert 0.6 < splits["train"]["rows"] / 2000 < 0.8  # type: ignore[index]
    for name, info in splits.items():  # type: ignore[union-attr]
        path = tmp_path / "out" / name / f"{name}.csv"
        assert dataset.sha256_file(path) == info["sha256"]
        for line in path.read_text().splitlines()[:50]:
            assert steps.split_of(line) == name
    # the same rows in another order and file layout give the same splits
    rows = sorted((tmp_path / "in").rglob("*.csv"))
    text = "".join(p.read_text() for p in rows)
    (tmp_path / "shuffled").mkdir()
    (tmp_path / "shuffled" / "all.csv").write_text("\n".join(reversed(text.splitlines())) + "\n")
    again = steps.preprocess(tmp_path / "shuffled", tmp_path / "out2")
    assert {k: v["rows"] for k, v in again["splits"].items()} == {k: v["rows"] for k, v in splits.items()}  # type: ignore[union-attr]
    written = json.loads((tmp_path / "out" / "manifest" / "manifest.json").read_text())
    assert written["splits"] == splits


def test_evaluate_writes_auc_and_calibration(tmp_path: Path) -> None:
    x, y = dataset.generate(3000, 5)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 3, "eta": 0.1},
        xgb.DMatrix(x[:2000], label=y[:2000], feature_names=list(FEATURE_NAMES)),
        80,
    )
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    booster.save_model(str(model_dir / "xgboost-model"))
    artifacts.build_model_tar(model_dir, tmp_path / "m" / "model.tar.gz")
    dataset.write_csv(tmp_path / "test" / "test.csv", x[2000:], y[2000:])
    # through the shim, as the processing job runs it
    code = tmp_path / "code"
    for rel, content in artifacts.processing_files().items():
        (code / rel).parent.mkdir(parents=True, exist_ok=True)
        (code / rel).write_bytes(content)
    subprocess.run(
        [sys.executable, str(code / "steps.py"), "evaluate", "--model", str(tmp_path / "m"),
         "--test", str(tmp_path / "test"), "--output", str(tmp_path / "eval")],
        check=True, cwd=tmp_path,
    )  # fmt: skip
    report = json.loads((tmp_path / "eval" / "evaluation.json").read_text())
    assert 0.75 < report["metrics"]["auc"]["value"] < 0.92
    assert 0 <= report["metrics"]["calibration"]["ece"]["value"] < 0.08
    assert report["rows"] == 1000
    perfect = steps.calibration(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert perfect == {"ece": 0.0, "brier": 0.0}
