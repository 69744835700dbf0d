"""The feature contract of the dropout-risk model, shared by dataset, training and inference.

Order matters: CSV columns, JSON ``features`` arrays and the trained booster all use this order.
"""

from __future__ import annotations

FEATURE_NAMES: tuple[str, ...] = ("age", "prior_dropout", "missed_visit_rate")
"""Model inputs, in order: age in years, prior trial dropout flag (0/1), share of missed visits (0-1)."""

LABEL_NAME = "dropout"
"""Training target: 1 when the subject dropped out of the trial, else 0."""

N_FEATURES = len(FEATURE_NAMES)

MODEL_FILENAME = "xgboost-model"
"""File name SageMaker's XGBoost containers (1.3-1 and later) expect inside the model directory."""

METRICS_FILENAME = "metrics.json"
"""Training summary written next to the model and into the output data directory."""


def describe_features() -> str:
    """Return ``"[age, prior_dropout, missed_visit_rate]"`` for error messages."""
    return "[" + ", ".join(FEATURE_NAMES) + "]"
