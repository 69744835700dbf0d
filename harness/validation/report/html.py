"""``report.html``: the human report (self-contained: inline CSS and SVG charts)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from harness.validation import charts
from harness.validation.report.common import ordered_lineage, seconds
from harness.validation.templates import HTML


def metrics_view(
    metrics: Mapping[str, Any] | None,
) -> tuple[list[str], list[tuple[str, str]], dict[str, Any]]:
    """(SVG charts, table rows, computed values) from metrics.

    ``{"roc": {"fpr": [...], "tpr": [...], "auc": x}, "latencies_ms": [...], <name>: <value>}``.
    """
    if not metrics:
        return [], [], {}
    svgs: list[str] = []
    rows: list[tuple[str, str]] = []
    computed: dict[str, Any] = {}
    roc = metrics.get("roc")
    if isinstance(roc, Mapping) and roc.get("fpr") and roc.get("tpr"):
        auc = roc.get("auc")
        svgs.append(charts.roc_svg(roc["fpr"], roc["tpr"], float(auc) if auc is not None else None))
        if auc is not None:
            rows.append(("ROC AUC", f"{float(auc):.4f}"))
    lat = metrics.get("latencies_ms")
    if lat:
        vals = sorted(float(v) for v in lat)
        svgs.append(charts.histogram_svg(vals, unit="ms", title="Latency"))
        computed["latency_ms"] = {
            "count": len(vals),
            "min": vals[0],
            "p50": charts.percentile(vals, 0.5),
            "p95": charts.percentile(vals, 0.95),
            "p99": charts.percentile(vals, 0.99),
            "max": vals[-1],
            "mean": sum(vals) / len(vals),
        }
        for k, v in computed["latency_ms"].items():
            rows.append(
                (f"latency {k}" + ("" if k == "count" else " (ms)"), f"{v:.2f}" if k != "count" else str(v))
            )
    for k, v in metrics.items():
        if k in ("roc", "latencies_ms"):
            continue
        if isinstance(v, (int, float, str, bool)):
            rows.append((k, f"{v:.4f}" if isinstance(v, float) and math.isfinite(v) else str(v)))
        else:
            rows.append((k, json.dumps(v, default=str)[:500]))
    return svgs, rows, computed


def _scenario_tree(results: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, list[dict[str, Any]]]]]]:
    tree: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for sc in results.get("scenarios", []):
        view = dict(sc)
        view["duration_text"] = seconds(sc.get("duration"))
        view["failed_step"] = any(st["status"] == "failed" for st in sc.get("steps", []))
        tree.setdefault(sc["stage"], {}).setdefault(sc["feature"], []).append(view)
    order = {"iq": 0, "oq": 1, "pq": 2}
    return [
        (stage, list(features.items()))
        for stage, features in sorted(tree.items(), key=lambda kv: order.get(kv[0], 9))
    ]


def render_html(
    report: Mapping[str, Any], charts_svg: Sequence[str], metrics_rows: Sequence[tuple[str, str]]
) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    env.filters["seconds"] = seconds
    results = report["results"]
    checkov = report.get("checkov") or None
    reqs = results.get("requirements") or {}
    return env.from_string(HTML).render(
        title=report["title"],
        run_id=report["run_id"],
        generated=report["generated"],
        verdict=report["verdict"],
        target=report.get("target") or {},
        protocol=report.get("protocol"),
        stage_table=report.get("stage_table"),
        specification=report.get("specification") or {},
        context=report.get("context") or {},
        stages=report["stages"],
        matrix=report["matrix"],
        deviations=report["deviations"],
        scenario_tree=_scenario_tree(results),
        checkov=checkov,
        checkov_failed_ids=set((checkov or {}).get("failed_ids", [])),
        lineage=ordered_lineage(report.get("lineage")),
        charts=list(charts_svg),
        metrics_table=list(metrics_rows),
        signatures=report["signatures"],
        files=report["files"],
        results_started=results.get("started"),
        results_finished=results.get("finished"),
        results_meta={"pytest": results.get("pytest"), "pytest_bdd": results.get("pytest_bdd")},
        requirements_origin=report.get("requirements_origin") or reqs.get("origin"),
        requirements_sha=report.get("requirements_sha256") or reqs.get("sha256"),
    )
