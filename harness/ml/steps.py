"""Processing-job programs of the model's pipeline (they run inside SageMaker Processing containers).

``python3 steps.py <command> ...`` (the ``steps.py`` shim at the code input's root, see
``package.processing_files``):

- ``preprocess --input DIR --output DIR``: every ``*.csv`` under the input (label first, no header) is
  split into train / validation / test by a hash of each row (the same row always lands in the same
  split, whatever the order), written to ``<output>/<split>/<split>.csv``, and
  ``<output>/manifest/manifest.json`` records each file's rows, positives and SHA-256 (inputs too).
- ``evaluate --model DIR --test DIR --output DIR``: scores the test split with the trained model and
  writes the property file ``evaluation.json``: ROC AUC and calibration (expected calibration error
  over ten equal-width bins, Brier score), with the SHA-256 of the model and the test data.
- ``baseline --input DIR --output DIR --threshold X``: Model Monitor's ``statistics.json`` and
  ``constraints.json`` of the training split (see ``monitor``).
- ``drift --baseline DIR --captured DIR --output DIR [--since T] [--until T]``: the captured traffic in
  the window against the baseline -> ``statistics.json``, ``constraint_violations.json``,
  ``metrics.json``.

Only numpy, xgboost and this package are used: the SageMaker XGBoost framework image has them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import monitor
from .dataset import DEFAULT_SPLITS, format_row, sha256_file
from .metrics import roc_auc
from .schema import FEATURE_NAMES, MODEL_FILENAME

SPLIT_SALT = "dropout-split-v1"
CALIBRATION_BINS = 10


def read_csv_file(path: Path, display: str) -> np.ndarray:
    """The training entry point's strict reader of label-first CSV (imported when a step reads CSV: the
    training module brings xgboost, 0.3 s of CPU per job, which the drift analysis never needs)."""
    from .train import read_csv_file as read

    return read(path, display)


def _csv_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*.csv") if p.is_file())
    if not files:
        raise SystemExit(f"no *.csv under {folder}")
    return files


def split_of(row_text: str) -> str:
    """The split a row belongs to: the first 8 bytes of SHA-256(salt:row) against the split fractions."""
    digest = hashlib.sha256(f"{SPLIT_SALT}:{row_text}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    edge = 0.0
    for name, fraction in DEFAULT_SPLITS:
        edge += fraction
        if position < edge:
            return name
    return DEFAULT_SPLITS[-1][0]


def preprocess(input_dir: Path, output_dir: Path) -> dict[str, object]:
    inputs = _csv_files(input_dir)
    parts: dict[str, list[np.ndarray]] = {name: [] for name, _ in DEFAULT_SPLITS}
    for path in inputs:
        data = read_csv_file(path, path.name)
        for row in data:
            text = format_row(int(row[0]), row[1:])
            parts[split_of(text)].append(row)
    manifest: dict[str, object] = {
        "split": {"method": "sha256(salt:row)", "salt": SPLIT_SALT, "fractions": dict(DEFAULT_SPLITS)},
        "inputs": {str(p.relative_to(input_dir)): sha256_file(p) for p in inputs},
        "splits": {},
    }
    for name, rows in parts.items():
        if not rows:
            raise SystemExit(f"split {name} is empty: too few rows")
        block = np.vstack(rows)
        path = output_dir / name / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(format_row(int(r[0]), r[1:]) + "\n" for r in block))
        manifest["splits"][name] = {  # type: ignore[index]
            "rows": int(block.shape[0]),
            "positives": int(block[:, 0].sum()),
            "sha256": sha256_file(path),
        }
        print(f"{name}: {block.shape[0]} rows, sha256 {manifest['splits'][name]['sha256']}")  # type: ignore[index]
    (output_dir / "manifest").mkdir(parents=True, exist_ok=True)
    (output_dir / "manifest" / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def calibration(labels: np.ndarray, scores: np.ndarray, bins: int = CALIBRATION_BINS) -> dict[str, float]:
    """Expected calibration error (equal-width bins, weighted by count) and Brier score."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(float(scores[mask].mean()) - float(labels[mask].mean()))
    return {"ece": float(ece), "brier": float(np.mean((scores - labels) ** 2))}


def _booster(model_dir: Path) -> tuple[object, str]:
    import xgboost as xgb

    archive = model_dir / "model.tar.gz"
    if archive.is_file():
        with tarfile.open(archive, mode="r:gz") as tar:
            member = tar.extractfile(MODEL_FILENAME)
            if member is None:
                raise SystemExit(f"{archive} holds no {MODEL_FILENAME}")
            raw = member.read()
        digest = sha256_file(archive)
    else:
        raw = (model_dir / MODEL_FILENAME).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return booster, digest


def evaluate(model_dir: Path, test_dir: Path, output_dir: Path) -> dict[str, object]:
    import xgboost as xgb

    booster, model_sha = _booster(model_dir)
    files = _csv_files(test_dir)
    data = np.vstack([read_csv_file(p, p.name) for p in files])
    labels, features = data[:, 0], data[:, 1:]
    matrix = xgb.DMatrix(features, feature_names=list(FEATURE_NAMES))
    scores = np.asarray(booster.predict(matrix), dtype=np.float64)  # type: ignore[attr-defined]
    cal = calibration(labels, scores)
    report = {
        "metrics": {
            "auc": {"value": roc_auc(labels, scores)},
            "calibration": {"ece": {"value": cal["ece"]}, "brier": {"value": cal["brier"]}},
        },
        "rows": int(labels.size),
        "positives": int(labels.sum()),
        "model_sha256": model_sha,
        "test_sha256": {p.name: sha256_file(p) for p in files},
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "evaluation.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    print(json.dumps(report["metrics"]))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="steps.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("preprocess")
    p.add_argument("--input", type=Path, required=True)
    p.add_argument("--output", type=Path, required=True)
    e = sub.add_parser("evaluate")
    e.add_argument("--model", type=Path, required=True)
    e.add_argument("--test", type=Path, required=True)
    e.add_argument("--output", type=Path, required=True)
    b = sub.add_parser("baseline")
    b.add_argument("--input", type=Path, required=True)
    b.add_argument("--output", type=Path, required=True)
    b.add_argument("--threshold", type=float, required=True)
    d = sub.add_parser("drift")
    d.add_argument("--baseline", type=Path, required=True)
    d.add_argument("--captured", type=Path, required=True)
    d.add_argument("--output", type=Path, required=True)
    d.add_argument("--since", default="")
    d.add_argument("--until", default="")
    args = parser.parse_args(argv)
    if args.command == "preprocess":
        preprocess(args.input, args.output)
    elif args.command == "evaluate":
        evaluate(args.model, args.test, args.output)
    elif args.command == "baseline":
        baseline(args.input, args.output, args.threshold)
    else:
        drift(args.baseline, args.captured, args.output, args.since, args.until)
    return 0


def baseline(input_dir: Path, output_dir: Path, threshold: float) -> None:
    data = np.vstack([read_csv_file(p, p.name) for p in _csv_files(input_dir)])
    features = data[:, 1:]
    monitor.write_json(output_dir / "statistics.json", monitor.statistics(features))
    monitor.write_json(output_dir / "constraints.json", monitor.constraints(features, threshold))
    print(f"baseline of {features.shape[0]} rows, comparison_threshold {threshold}")


def drift(baseline_dir: Path, captured_dir: Path, output_dir: Path, since: str, until: str) -> None:
    window = [monitor._parse_time(t) if t else None for t in (since, until)]
    matrix, problems = monitor.read_captured(captured_dir, window[0], window[1])
    stats = json.loads((baseline_dir / "statistics.json").read_text())
    limits = json.loads((baseline_dir / "constraints.json").read_text())
    current, violations, metrics = monitor.analyze(stats, limits, matrix, problems)
    monitor.write_json(output_dir / "statistics.json", current)
    monitor.write_json(output_dir / "constraint_violations.json", violations)
    monitor.write_json(output_dir / "metrics.json", {"item_count": int(matrix.shape[0]), "metrics": metrics})
    count = len(violations["violations"])
    print(f"{matrix.shape[0]} captured rows in [{since or '-'}, {until or '-'}): {count} violation(s)")
    for item in violations["violations"]:
        print(f"{item['constraint_check_type']} {item['feature_name']}: {item['description']}")


if __name__ == "__main__":
    sys.exit(main())
