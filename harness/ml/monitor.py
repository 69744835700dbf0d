"""Data-quality baseline and drift analysis of captured traffic, in SageMaker Model Monitor's formats.

Runs inside a SageMaker Processing job (``steps.py baseline|drift``), so the platform does not depend on
Model Monitor (closed to new customers) while its reports read the same:

- ``baseline``: ``statistics.json`` (``dataset.item_count``; per feature ``inferred_type``,
  ``numerical_statistics`` with ``common.num_present/num_missing``, mean, sum, std_dev, min, max and a
  ten-bucket ``distribution.kll``) and ``constraints.json`` (per feature ``inferred_type``,
  ``completeness``, ``num_constraints.is_non_negative``; ``monitoring_config`` with
  ``distribution_constraints.comparison_threshold``) from the training split.
- ``drift``: the endpoint's captured JSON lines (``captureData.endpointInput``, CSV or JSON bodies as
  the model accepts them) with ``eventMetadata.inferenceTime`` in ``[since, until)`` -> the same
  ``statistics.json`` for the traffic, ``constraint_violations.json`` (``violations`` of
  ``feature_name``, ``constraint_check_type`` in ``data_type_check``, ``completeness_check``,
  ``baseline_drift_check``, ``missing_column_check``, ``extra_column_check``, and ``description``) and
  ``metrics.json`` (the per-feature figures the harness publishes to CloudWatch as Model Monitor does:
  ``feature_baseline_drift_<name>``, ``feature_non_null_<name>``).

Drift distance: the largest difference between the baseline's and the traffic's cumulative
distributions at the baseline's bucket edges (the L-infinity distance Model Monitor's ``Robust``
comparison uses), against ``comparison_threshold``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .schema import FEATURE_NAMES

BUCKETS = 10
INTEGRAL = {"age", "prior_dropout"}


def _type(name: str) -> str:
    return "Integral" if name in INTEGRAL else "Fractional"


def _edges(values: np.ndarray) -> list[float]:
    low, high = float(values.min()), float(values.max())
    if high <= low:
        high = low + 1.0
    return [float(x) for x in np.linspace(low, high, BUCKETS + 1)]


def feature_statistics(name: str, values: np.ndarray, edges: Sequence[float] | None = None) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    stats: dict[str, Any] = {
        "name": name,
        "inferred_type": _type(name),
        "numerical_statistics": {
            "common": {"num_present": int(present.size), "num_missing": int(values.size - present.size)}
        },
    }
    if present.size == 0:
        return stats
    cut = list(edges) if edges is not None else _edges(present)
    counts, _ = np.histogram(np.clip(present, cut[0], cut[-1]), bins=cut)
    stats["numerical_statistics"].update(
        {
            "mean": float(present.mean()),
            "sum": float(present.sum()),
            "std_dev": float(present.std()),
            "min": float(present.min()),
            "max": float(present.max()),
            "distribution": {
                "kll": {
                    "buckets": [
                        {"lower_bound": cut[i], "upper_bound": cut[i + 1], "count": float(counts[i])}
                        for i in range(len(counts))
                    ]
                }
            },
        }
    )
    return stats


def statistics(matrix: np.ndarray) -> dict[str, Any]:
    return {
        "version": 0.0,
        "dataset": {"item_count": int(matrix.shape[0])},
        "features": [feature_statistics(n, matrix[:, i]) for i, n in enumerate(FEATURE_NAMES)],
    }


def constraints(matrix: np.ndarray, comparison_threshold: float) -> dict[str, Any]:
    features = []
    for i, name in enumerate(FEATURE_NAMES):
        column = matrix[:, i]
        features.append(
            {
                "name": name,
                "inferred_type": _type(name),
                "completeness": float((~np.isnan(column)).mean()) if column.size else 1.0,
                "num_constraints": {"is_non_negative": bool(np.nanmin(column) >= 0)},
            }
        )
    return {
        "version": 0.0,
        "features": features,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                "comparison_threshold": comparison_threshold,
                "comparison_method": "Robust",
            },
        },
    }


def _baseline_cdf(feature: dict[str, Any]) -> tuple[list[float], np.ndarray]:
    buckets = feature["numerical_statistics"]["distribution"]["kll"]["buckets"]
    edges = [buckets[0]["lower_bound"]] + [b["upper_bound"] for b in buckets]
    counts = np.array([b["count"] for b in buckets], dtype=float)
    return edges, np.concatenate([[0.0], np.cumsum(counts) / max(counts.sum(), 1.0)])


def drift_distance(baseline_feature: dict[str, Any], values: np.ndarray) -> float:
    """L-infinity distance of the cumulative distributions at the baseline's bucket edges."""
    edges, base = _baseline_cdf(baseline_feature)
    present = values[~np.isnan(values)]
    if present.size == 0:
        return 0.0
    current = np.array(
        [float((present <= e).mean()) if i else float((present < e).mean()) for i, e in enumerate(edges)]
    )
    return float(np.max(np.abs(current - base)))


def read_captured(
    folder: Path, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[np.ndarray, list[str]]:
    """Feature rows of the captured requests in the window, and the problems met (bad records)."""
    from .inference import InferenceError, input_fn

    rows: list[np.ndarray] = []
    problems: list[str] = []
    for path in sorted(folder.rglob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            when = _parse_time(record.get("eventMetadata", {}).get("inferenceTime"))
            if when is not None and ((since and when < since) or (until and when >= until)):
                continue
            request = record.get("captureData", {}).get("endpointInput")
            if not request:
                continue
            body = request.get("data", "")
            if request.get("encoding") == "BASE64":
                import base64

                body = base64.b64decode(body).decode("utf-8", errors="replace")
            try:
                parsed = input_fn(body, request.get("observedContentType"))
            except (InferenceError, ValueError) as exc:
                problems.append(f"{path.name} line {number}: {exc}")
                continue
            rows.append(np.asarray(parsed.features, dtype=float).reshape(-1, len(FEATURE_NAMES)))
    matrix = np.vstack(rows) if rows else np.empty((0, len(FEATURE_NAMES)))
    return matrix, problems


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def analyze(
    baseline_statistics: dict[str, Any],
    baseline_constraints: dict[str, Any],
    matrix: np.ndarray,
    problems: Iterable[str] = (),
) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """(statistics of the traffic, constraint_violations, per-feature metrics)."""
    threshold = float(
        baseline_constraints["monitoring_config"]["distribution_constraints"]["comparison_threshold"]
    )
    base_features = {f["name"]: f for f in baseline_statistics["features"]}
    constrained = {f["name"]: f for f in baseline_constraints["features"]}
    current = {
        "version": 0.0,
        "dataset": {"item_count": int(matrix.shape[0])},
        "features": [],
    }
    violations: list[dict[str, str]] = []
    metrics: dict[str, float] = {}
    problems = list(problems)
    if problems:
        violations.append(
            {
                "feature_name": "",
                "constraint_check_type": "data_type_check",
                "description": f"{len(problems)} captured record(s) could not be read as the model's "
                f"input: {problems[0]}",
            }
        )
    for name in constrained:
        if name not in FEATURE_NAMES:
            violations.append(
                {
                    "feature_name": name,
                    "constraint_check_type": "missing_column_check",
                    "description": f"There are missing columns in current dataset: {name}",
                }
            )
    for i, name in enumerate(FEATURE_NAMES):
        column = matrix[:, i] if matrix.size else np.empty(0)
        edges = [
            b["lower_bound"]
            for b in base_features[name]["numerical_statistics"]["distribution"]["kll"]["buckets"]
        ]
        edges.append(
            base_features[name]["numerical_statistics"]["distribution"]["kll"]["buckets"][-1]["upper_bound"]
        )
        current["features"].append(feature_statistics(name, column, edges))
        if column.size == 0:
            continue
        completeness = float((~np.isnan(column)).mean())
        metrics[f"feature_non_null_{name}"] = completeness
        if completeness < float(constrained[name]["completeness"]):
            violations.append(
                {
                    "feature_name": name,
                    "constraint_check_type": "completeness_check",
                    "description": f"Data completeness {completeness:.4f} is below the baseline's "
                    f"{constrained[name]['completeness']:.4f}",
                }
            )
        distance = drift_distance(base_features[name], column)
        metrics[f"feature_baseline_drift_{name}"] = distance
        if distance > threshold:
            violations.append(
                {
                    "feature_name": name,
                    "constraint_check_type": "baseline_drift_check",
                    "description": f"Baseline drift distance: {distance:.4f} exceeds threshold: {threshold}",
                }
            )
    return current, {"violations": violations}, metrics


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
