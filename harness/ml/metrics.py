"""Model metrics shared by training (inside the container) and the harness (outside it).

One implementation of the ROC AUC for the training entry point, the registration gate and the report.
The qualification suites keep their own, deliberately independent implementation to cross-check it.
This module ships inside ``sourcedir.tar.gz``: numpy only.
"""

from __future__ import annotations

import numpy as np


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve via the rank-sum (Mann-Whitney U) formula, ties averaged."""
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    # average ranks over runs of equal scores
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(s)]))
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return float((ranks[y].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def roc_curve(y_true: np.ndarray, scores: np.ndarray, points: int = 200) -> dict[str, object]:
    """The ROC curve thinned to about ``points`` points (for the report's chart), with its AUC."""
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-s)
    tp = np.cumsum(y[order] == 1) / max(1, int((y == 1).sum()))
    fp = np.cumsum(y[order] == 0) / max(1, int((y == 0).sum()))
    step = max(1, len(order) // points)
    return {
        "fpr": [0.0, *fp[::step].round(4).tolist(), 1.0],
        "tpr": [0.0, *tp[::step].round(4).tolist(), 1.0],
        "auc": roc_auc(y, s),
    }


def log_loss(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean binary cross-entropy, probabilities clipped away from 0 and 1."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
