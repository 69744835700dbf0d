"""Seeded synthetic clinical-trial subjects with a known ground truth.

Nothing here is real or personal: every subject is drawn from the distributions below, so model
quality can be asserted against a known answer (holdout AUC) without any patient data.

Features, in the order the model uses (see ``schema.FEATURE_NAMES``):

- ``age``: years, ``round(Normal(55, 16))`` clipped to [18, 90];
- ``prior_dropout``: 1 if the subject dropped out of an earlier trial, ``Bernoulli(0.3)``;
- ``missed_visit_rate``: share of scheduled visits missed so far, ``Beta(1, 2)`` rounded to 3 decimals.

Ground truth: the label ``dropout`` is drawn as ``Bernoulli(p)`` with the logistic model

    logit(p) = -4.2 + 0.05 * (age - 55) + 1.3 * prior_dropout + 4.5 * missed_visit_rate

computed on the rounded values that are written out. Properties (measured on 100 000 subjects):

- ``true_risk([72, 1, 0.85]) = 0.855``: the example subject of the platform is high risk;
- about 15 % of subjects drop out;
- the ground truth itself (the Bayes-optimal score) reaches AUC ~0.83, so a good model lands at
  ~0.80-0.83 and anything below ~0.75 on a few thousand rows means something is broken.

Reproducibility: the same ``(n, seed)`` yields the same rows and the same CSV bytes for a given numpy
version (numpy's ``Generator`` streams may change between numpy releases); the SHA-256 of every file
written is recorded so lineage never depends on that promise.

Files follow the SageMaker XGBoost CSV convention: label first, no header, one subject per line.

CLI: ``python -m harness.ml.dataset --out DIR --rows N --seed S`` writes ``DIR/train/train.csv``,
``DIR/validation/validation.csv``, ``DIR/test/test.csv`` (70/15/15) and ``DIR/manifest.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .digest import sha256_file as sha256_file  # re-exported: dataset.sha256_file is used widely
from .schema import FEATURE_NAMES, LABEL_NAME

INTERCEPT = -4.2
AGE_CENTER = 55.0
COEFFICIENTS: dict[str, float] = {"age": 0.05, "prior_dropout": 1.3, "missed_visit_rate": 4.5}
"""Ground-truth log-odds per unit of each feature (age per year away from ``AGE_CENTER``)."""

AGE_MEAN, AGE_SD, AGE_MIN, AGE_MAX = 55.0, 16.0, 18, 90
PRIOR_DROPOUT_PROBABILITY = 0.3
MISSED_VISIT_BETA = (1.0, 2.0)

DEFAULT_SPLITS: tuple[tuple[str, float], ...] = (("train", 0.70), ("validation", 0.15), ("test", 0.15))
MIN_ROWS = 20


def ground_truth() -> dict[str, object]:
    """The generating model as data, for manifests and evidence."""
    return {
        "link": "logistic",
        "formula": "logit(p) = -4.2 + 0.05*(age-55) + 1.3*prior_dropout + 4.5*missed_visit_rate",
        "intercept": INTERCEPT,
        "age_center": AGE_CENTER,
        "coefficients": dict(COEFFICIENTS),
        "features": list(FEATURE_NAMES),
        "label": LABEL_NAME,
        "distributions": {
            "age": f"round(Normal({AGE_MEAN:g}, {AGE_SD:g})) clipped to [{AGE_MIN}, {AGE_MAX}]",
            "prior_dropout": f"Bernoulli({PRIOR_DROPOUT_PROBABILITY:g})",
            "missed_visit_rate": "round(Beta({:g}, {:g}), 3)".format(*MISSED_VISIT_BETA),
        },
    }


def true_risk(features: np.ndarray | Sequence[Sequence[float]] | Sequence[float]) -> np.ndarray:
    """Ground-truth dropout probability for one subject ``[age, prior, rate]`` or an ``(n, 3)`` array."""
    x = np.atleast_2d(np.asarray(features, dtype=np.float64))
    if x.shape[1] != len(FEATURE_NAMES):
        raise ValueError(f"expected {len(FEATURE_NAMES)} features, got {x.shape[1]}")
    logit = (
        INTERCEPT
        + COEFFICIENTS["age"] * (x[:, 0] - AGE_CENTER)
        + COEFFICIENTS["prior_dropout"] * x[:, 1]
        + COEFFICIENTS["missed_visit_rate"] * x[:, 2]
    )
    return 1.0 / (1.0 + np.exp(-logit))


def generate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` synthetic subjects: ``(X, y)`` with ``X`` float64 ``(n, 3)`` and ``y`` int64 ``(n,)``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    age = np.clip(np.round(rng.normal(AGE_MEAN, AGE_SD, n)), AGE_MIN, AGE_MAX)
    prior = rng.binomial(1, PRIOR_DROPOUT_PROBABILITY, n).astype(np.float64)
    rate = np.round(rng.beta(*MISSED_VISIT_BETA, n), 3)
    x = np.column_stack([age, prior, rate])
    y = rng.binomial(1, true_risk(x)).astype(np.int64)
    return x, y


def format_row(label: int, features: Sequence[float]) -> str:
    """One CSV line (no newline): ``dropout,age,prior_dropout,missed_visit_rate``, e.g. ``1,72,1,0.850``."""
    age, prior, rate = features
    return f"{int(label)},{int(age)},{int(prior)},{float(rate):.3f}"


def write_csv(path: str | Path, x: np.ndarray, y: np.ndarray) -> Path:
    """Write subjects as SageMaker XGBoost CSV: label first, no header, ``\\n`` line endings."""
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 2 or x.shape[1] != len(FEATURE_NAMES) or len(x) != len(y):
        raise ValueError(f"expected X of shape (n, {len(FEATURE_NAMES)}) and y of shape (n,)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(format_row(label, row) + "\n" for label, row in zip(y, x, strict=True))
    path.write_bytes(text.encode("ascii"))
    return path


@dataclass(frozen=True)
class SplitFile:
    """One written split: where it is, how many rows, how many dropouts, its hash."""

    name: str
    path: str
    rows: int
    positives: int
    sha256: str


def split_sizes(n: int, splits: Sequence[tuple[str, float]] = DEFAULT_SPLITS) -> dict[str, int]:
    """Row count per split; the last split takes the remainder so the counts add up to ``n``."""
    total = sum(fraction for _, fraction in splits)
    if not splits or any(fraction <= 0 for _, fraction in splits) or abs(total - 1.0) > 1e-9:
        raise ValueError("split fractions must be positive and add up to 1")
    sizes: dict[str, int] = {}
    taken = 0
    for name, fraction in splits[:-1]:
        sizes[name] = round(n * fraction)
        taken += sizes[name]
    sizes[splits[-1][0]] = n - taken
    if any(size < 1 for size in sizes.values()):
        raise ValueError(f"{n} rows are too few for splits {[name for name, _ in splits]}")
    return sizes


def write_splits(
    out_dir: str | Path,
    rows: int,
    seed: int,
    splits: Sequence[tuple[str, float]] = DEFAULT_SPLITS,
) -> dict[str, SplitFile]:
    """Generate ``rows`` subjects and write ``out_dir/<split>/<split>.csv`` plus ``manifest.json``.

    Subjects are independent draws, so consecutive slices are random splits. Each split sits in its
    own folder so a folder can be uploaded as one SageMaker channel.
    """
    if rows < MIN_ROWS:
        raise ValueError(f"rows must be at least {MIN_ROWS}, got {rows}")
    out = Path(out_dir)
    x, y = generate(rows, seed)
    written: dict[str, SplitFile] = {}
    start = 0
    for name, size in split_sizes(rows, splits).items():
        part = slice(start, start + size)
        start += size
        path = write_csv(out / name / f"{name}.csv", x[part], y[part])
        written[name] = SplitFile(
            name=name,
            path=str(path),
            rows=size,
            positives=int(y[part].sum()),
            sha256=sha256_file(path),
        )
    manifest = {
        "generator": "harness.ml.dataset",
        "seed": seed,
        "rows": rows,
        "numpy_version": np.__version__,
        "format": "csv, label first, no header",
        "columns": [LABEL_NAME, *FEATURE_NAMES],
        "ground_truth": ground_truth(),
        "splits": {
            name: {**asdict(info), "path": f"{name}/{Path(info.path).name}"} for name, info in written.items()
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m harness.ml.dataset --out DIR --rows N --seed S``; prints the manifest path and hashes."""
    parser = argparse.ArgumentParser(
        prog="python -m harness.ml.dataset",
        description="Write seeded synthetic clinical-trial subjects as SageMaker XGBoost CSV splits.",
    )
    parser.add_argument("--out", required=True, help="output folder (train/, validation/, test/ go here)")
    parser.add_argument("--rows", type=int, default=5000, help="total subjects across splits (default 5000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    args = parser.parse_args(argv)
    try:
        written = write_splits(args.out, args.rows, args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for info in written.values():
        print(f"{info.sha256}  {info.path}  rows={info.rows} dropouts={info.positives}")
    print(f"manifest: {Path(args.out) / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
