"""Baseline and drift analysis in Model Monitor's formats: in-distribution passes, a shift is named."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from harness.ml import dataset, monitor, steps

CSV = {"observedContentType": "text/csv", "encoding": "CSV"}


def _capture(folder: Path, rows: np.ndarray, when: dt.datetime) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, row in enumerate(rows):
        body = f"{int(row[0])},{int(row[1])},{row[2]:.3f}"
        stamp = (when + dt.timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        lines.append(
            json.dumps(
                {
                    "captureData": {
                        "endpointInput": {**CSV, "mode": "INPUT", "data": body},
                        "endpointOutput": {**CSV, "mode": "OUTPUT", "data": "0.1"},
                    },
                    "eventMetadata": {"eventId": str(i), "inferenceTime": stamp},
                    "eventVersion": "0",
                }
            )
        )
    (folder / f"{when:%H-%M-%S}.jsonl").write_text("\n".join(lines) + "\n")


def test_baseline_and_drift(tmp_path: Path) -> None:
    dataset.write_splits(tmp_path / "data", rows=5000, seed=42)
    steps.baseline(tmp_path / "data" / "train", tmp_path / "baseline", 0.2)
    stats = json.loads((tmp_path / "baseline" / "statistics.json").read_text())
    limits = json.loads((tmp_path / "baseline" / "constraints.json").read_text())
    assert stats["dataset"]["item_count"] == 3500
    assert [f["name"] for f in stats["features"]] == ["age", "prior_dropout", "missed_visit_rate"]
    assert len(stats["features"][0]["numerical_statistics"]["distribution"]["kll"]["buckets"]) == 10
    assert limits["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == 0.2

    x, _ = dataset.generate(400, 7)
    t0 = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    _capture(tmp_path / "captured", x, t0)
    shifted = x.copy()
    shifted[:, 2] = np.clip(shifted[:, 2] + 0.3, 0, 1)
    t1 = t0 + dt.timedelta(minutes=10)
    _capture(tmp_path / "captured", shifted, t1)

    steps.drift(tmp_path / "baseline", tmp_path / "captured", tmp_path / "ok", "", "2026-12-01T03:05:00Z")
    assert json.loads((tmp_path / "ok" / "constraint_violations.json").read_text()) == {"violations": []}
    ok_metrics = json.loads((tmp_path / "ok" / "metrics.json").read_text())
    assert ok_metrics["item_count"] == 400
    assert ok_metrics["metrics"]["feature_baseline_drift_missed_visit_rate"] < 0.1

    steps.drift(tmp_path / "baseline", tmp_path / "captured", tmp_path / "bad", "2026-12-01T03:05:00Z", "")
    violations = json.loads((tmp_path / "bad" / "constraint_violations.json").read_text())["violations"]
    assert [(v["feature_name"], v["constraint_check_type"]) for v in violations] == [
        ("missed_visit_rate", "baseline_drift_check")
    ]
    assert "exceeds threshold: 0.2" in violations[0]["description"]
    current = json.loads((tmp_path / "bad" / "statistics.json").read_text())
    assert current["dataset"]["item_count"] == 400


def test_unreadable_records_are_a_data_type_violation(tmp_path: Path) -> None:
    x, _ = dataset.generate(300, 1)
    stats, limits = monitor.statistics(x), monitor.constraints(x, 0.2)
    _, violations, _ = monitor.analyze(stats, limits, x, ["a.jsonl line 3: expected 3 features"])
    assert violations["violations"][0]["constraint_check_type"] == "data_type_check"
