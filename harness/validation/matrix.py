"""Traceability matrix: requirement -> scenarios -> result.

A requirement is

* ``passed`` when it has scenarios and every one of them passed;
* ``failed`` when any of its scenarios failed or errored;
* ``incomplete`` when some passed and the others were skipped (nothing failed);
* ``not covered`` when no scenario proves it, or every one was skipped;
* ``insufficiently covered`` when it passed but has fewer scenarios than its risk asks
  (:data:`COVERAGE_RULES`: a high-risk requirement needs two distinct scenarios, one of them a negative
  test tagged ``@negative``: the control rejects what it must reject).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from harness.validation.requirements import Requirement

MATRIX_STATUSES = ("passed", "failed", "incomplete", "not covered", "insufficiently covered")
#: Risk -> (distinct scenarios, of which negative) a requirement needs; examples of an outline count once.
COVERAGE_RULES: dict[str, tuple[int, int]] = {"high": (2, 1)}
NEGATIVE_TAG = "negative"


def coverage(risk: str, refs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """How deeply the scenarios ``refs`` cover a requirement of ``risk``, and whether that is enough."""
    distinct: dict[tuple[Any, ...], bool] = {}
    for r in refs:
        # one key per scenario definition: the examples of an outline share its file and line
        key = (r.get("feature_file") or r.get("feature"), r.get("line") or r.get("scenario"))
        distinct[key] = distinct.get(key, False) or NEGATIVE_TAG in (r.get("tags") or ())
    need, need_negative = COVERAGE_RULES.get(risk, (1, 0))
    negative = sum(distinct.values())
    return {
        "scenarios": len(distinct),
        "negative": negative,
        "required_scenarios": need,
        "required_negative": need_negative,
        "sufficient": len(distinct) >= need and negative >= need_negative,
    }


CSV_COLUMNS = (
    "requirement",
    "risk",
    "source",
    "statement",
    "criterion",
    "status",
    "coverage",
    "stages",
    "scenarios",
    "results",
)


def requirement_status(statuses: Iterable[str]) -> str:
    statuses = list(statuses)
    if not statuses:
        return "not covered"
    if any(s in ("failed", "error") for s in statuses):
        return "failed"
    if all(s == "passed" for s in statuses):
        return "passed"
    if any(s == "passed" for s in statuses):
        return "incomplete"
    return "not covered"


def build_matrix(requirements: Iterable[Requirement], results: Mapping[str, Any]) -> dict[str, Any]:
    """The matrix as data: one row per requirement (file order), plus scenarios tracing to no requirement
    and tags naming ids the requirements file does not know."""
    requirements = list(requirements)
    known = {r.id for r in requirements}
    scenarios = list(results.get("scenarios", []))
    by_req: dict[str, list[dict[str, Any]]] = {r.id: [] for r in requirements}
    unknown: dict[str, list[str]] = {}
    untraced: list[dict[str, Any]] = []
    for sc in scenarios:
        ref = {
            "id": sc.get("id"),
            "nodeid": sc.get("nodeid"),
            "stage": sc.get("stage"),
            "feature": sc.get("feature"),
            "scenario": sc.get("scenario"),
            "example": sc.get("example") or {},
            "status": sc.get("status"),
            "feature_file": sc.get("feature_file"),
            "line": sc.get("line"),
            "tags": list(sc.get("tags") or []),
        }
        reqs = sc.get("requirements") or []
        if not reqs:
            untraced.append(ref)
        for req_id in reqs:
            if req_id in known:
                by_req[req_id].append(ref)
            else:
                unknown.setdefault(req_id, []).append(str(sc.get("nodeid")))
    rows = []
    for req in requirements:
        refs = by_req[req.id]
        status = requirement_status(r["status"] for r in refs)
        cover = coverage(req.risk, refs)
        if status == "passed" and not cover["sufficient"]:
            status = "insufficiently covered"
        rows.append(
            {
                "requirement": req.id,
                "statement": req.statement,
                "risk": req.risk,
                "source": req.source,
                "checks": list(req.checks),
                "criterion": req.criterion,
                "status": status,
                "coverage": cover,
                "stages": sorted({str(r["stage"]) for r in refs}),
                "scenarios": refs,
            }
        )
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in MATRIX_STATUSES}
    return {
        "summary": {"requirements": len(rows), **counts},
        "rows": rows,
        "untraced_scenarios": untraced,
        "unknown_requirements": dict(sorted(unknown.items())),
    }


def _scenario_label(ref: Mapping[str, Any]) -> str:
    label = f"{str(ref.get('stage', '')).upper()} {ref.get('feature')}: {ref.get('scenario')}"
    example = ref.get("example") or {}
    if example:
        label += " [" + ", ".join(f"{k}={v}" for k, v in example.items()) + "]"
    return label


def to_csv(matrix: Mapping[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in matrix["rows"]:
        writer.writerow(
            [
                row["requirement"],
                row["risk"],
                row["source"],
                row["statement"],
                row.get("criterion", ""),
                row["status"],
                _coverage_text(row),
                " ".join(row["stages"]),
                " | ".join(_scenario_label(s) for s in row["scenarios"]),
                " | ".join(str(s["status"]) for s in row["scenarios"]),
            ]
        )
    return buf.getvalue()


def _coverage_text(row: Mapping[str, Any]) -> str:
    cov = row.get("coverage") or {}
    return f"{cov.get('scenarios', 0)} scenario(s), {cov.get('negative', 0)} negative"


def to_json(matrix: Mapping[str, Any]) -> str:
    return json.dumps(matrix, indent=2, ensure_ascii=False) + "\n"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(matrix: Mapping[str, Any]) -> str:
    s = matrix["summary"]
    lines = [
        "# Traceability matrix",
        "",
        f"{s['requirements']} requirements: {s['passed']} passed, {s['failed']} failed, "
        f"{s['incomplete']} incomplete, {s['not covered']} not covered, "
        f"{s.get('insufficiently covered', 0)} insufficiently covered.",
        "",
        "| Requirement | Risk | Source | Statement | Criterion | Status | Coverage | Scenarios |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in matrix["rows"]:
        scen = "<br>".join(f"{_md(_scenario_label(r))} ({r['status']})" for r in row["scenarios"]) or "none"
        lines.append(
            f"| {row['requirement']} | {row['risk']} | {_md(row['source'])} | {_md(row['statement'])} "
            f"| {_md(row.get('criterion', ''))} | **{row['status']}** | {_coverage_text(row)} | {scen} |"
        )
    if matrix.get("untraced_scenarios"):
        lines += ["", "## Scenarios tracing to no requirement", ""]
        lines += [f"- {_md(_scenario_label(r))} ({r['status']})" for r in matrix["untraced_scenarios"]]
    if matrix.get("unknown_requirements"):
        lines += ["", "## Tags naming unknown requirements", ""]
        lines += [f"- {k}: {', '.join(v)}" for k, v in matrix["unknown_requirements"].items()]
    return "\n".join(lines) + "\n"


def write_matrix(matrix: Mapping[str, Any], folder: str | Path) -> list[Path]:
    """``matrix.csv``, ``matrix.json`` and ``matrix.md`` in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in (
        ("matrix.csv", to_csv(matrix)),
        ("matrix.json", to_json(matrix)),
        ("matrix.md", to_markdown(matrix)),
    ):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out
