"""Helpers every report output shares: durations in words, example suffixes, lineage order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LINEAGE_ORDER = (
    "dataset",
    "training_job",
    "artifact",
    "model_package",
    "model",
    "endpoint_config",
    "endpoint",
)


def example_suffix(example: Mapping[str, Any] | None) -> str:
    return " [" + ", ".join(f"{k}={v}" for k, v in example.items()) + "]" if example else ""


def seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.2f} s"
    return f"{int(value // 60)} min {value % 60:.0f} s"


def ordered_lineage(lineage: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    if not lineage:
        return []
    keys = [k for k in LINEAGE_ORDER if k in lineage] + [k for k in lineage if k not in LINEAGE_ORDER]
    return [(k, lineage[k]) for k in keys]
