"""The one report writer: results + context + matrix + lineage + checkov + metrics -> the report files.

:func:`build_report` writes into the evidence folder:

``report.json``    everything, machine-readable (every scenario, step, status, timestamps, durations,
                   attachments, verdict, deviations, matrix, context, lineage, checkov, metrics)
``junit.xml``      one ``testsuite`` per stage and feature, one ``testcase`` per scenario
``cucumber.json``  Cucumber JSON (attachments as embeddings) for tools that read it
``matrix.csv`` ``matrix.json`` ``matrix.md``   the traceability matrix
``report.html``    the human report (self-contained: inline CSS and SVG charts)
``report.pdf``     summary, matrix, deviations and signature block (when reportlab is installed)
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.validation import charts
from harness.validation import matrix as matrix_mod
from harness.validation.recorder import SCENARIO_STATUSES, iso, load_results, utc_now, write_json_atomic
from harness.validation.requirements import RequirementSet
from harness.validation.templates import HTML

REPORT_SCHEMA = "harness.validation/report/v1"
TITLE = "SageMaker platform qualification report"
SIGNATURE_ROLES = ("Prepared by", "Reviewed by", "Approved by")
LINEAGE_ORDER = (
    "dataset",
    "training_job",
    "artifact",
    "model_package",
    "model",
    "endpoint_config",
    "endpoint",
)
REPORT_FILES = (
    "report.json",
    "junit.xml",
    "cucumber.json",
    "matrix.csv",
    "matrix.json",
    "matrix.md",
    "report.html",
)


@dataclasses.dataclass
class ReportResult:
    """What :func:`build_report` wrote and what it concluded."""

    folder: Path
    files: list[Path]
    verdict: dict[str, Any]
    pdf_skipped: str | None = None

    @property
    def passed(self) -> bool:
        return self.verdict["result"] == "PASS"


# ---------------------------------------------------------------------------------------------- inputs


def summarize_checkov(data: Any) -> dict[str, Any] | None:
    """Normalise checkov output (``-o json``: one report or a list of them) or an already made summary."""
    if data is None:
        return None
    reports = data if isinstance(data, list) else [data]
    summary: dict[str, Any] = {
        "passed": 0,
        "failed": 0,
        "skipped": 0,
        "parsing_errors": 0,
        "resource_count": 0,
    }
    failed: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    passed_ids: set[str] = set()
    extra: dict[str, Any] = {}
    for rep in reports:
        if not isinstance(rep, Mapping):
            continue
        summ = rep.get("summary", rep)
        for key in summary:
            if isinstance(summ.get(key), int):
                summary[key] += summ[key]
        if summ.get("checkov_version"):
            extra["checkov_version"] = summ["checkov_version"]
        res = rep.get("results") or {}
        failed += [_check(c) for c in res.get("failed_checks", rep.get("failed_checks", []))]
        skipped += [_check(c) for c in res.get("skipped_checks", rep.get("skipped_checks", []))]
        passed_ids |= {str(c.get("check_id")) for c in res.get("passed_checks", [])}
    return {
        "summary": {**summary, **extra},
        "failed_checks": failed,
        "skipped_checks": skipped,
        "failed_ids": sorted({c["check_id"] for c in failed}),
        "passed_ids": sorted(passed_ids),
    }


def _check(c: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "check_id": str(c.get("check_id", "")),
        "check_name": c.get("check_name") or c.get("name"),
        "resource": c.get("resource"),
        "file_path": c.get("file_path"),
        "file_line_range": c.get("file_line_range"),
        "suppress_comment": c.get("suppress_comment"),
        "guideline": c.get("guideline"),
    }


def _requirements_from(results: Mapping[str, Any], requirements: Any) -> RequirementSet:
    if isinstance(requirements, RequirementSet):
        return requirements
    if requirements is not None:
        return RequirementSet(tuple(requirements))
    if results.get("requirements"):
        return RequirementSet.from_dict(results["requirements"])
    return RequirementSet(())


def _ordered_lineage(lineage: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    if not lineage:
        return []
    keys = [k for k in LINEAGE_ORDER if k in lineage] + [k for k in lineage if k not in LINEAGE_ORDER]
    return [(k, lineage[k]) for k in keys]


# ------------------------------------------------------------------------------------------ analysis


def stage_summary(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    stages: dict[str, dict[str, Any]] = {}
    for sc in results.get("scenarios", []):
        s = stages.setdefault(
            sc["stage"],
            {"stage": sc["stage"], "scenarios": 0, **dict.fromkeys(SCENARIO_STATUSES, 0), "seconds": 0.0}
            | {"steps_passed": 0, "steps_failed": 0, "steps_skipped": 0},
        )
        s["scenarios"] += 1
        s[sc["status"]] = s.get(sc["status"], 0) + 1
        s["seconds"] += sc.get("duration") or 0.0
        for st in sc.get("steps", []):
            key = f"steps_{st['status']}"
            s[key] = s.get(key, 0) + 1
    order = {"iq": 0, "oq": 1, "pq": 2}
    out = sorted(stages.values(), key=lambda s: (order.get(s["stage"], 9), s["stage"]))
    for s in out:
        s["seconds"] = round(s["seconds"], 3)
        s["duration"] = _seconds(s["seconds"])
    return out


def deviations(results: Mapping[str, Any], checkov: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every failed step, errored or skipped scenario and failed static check, numbered ``DEV-001``..."""
    out: list[dict[str, Any]] = []
    for sc in results.get("scenarios", []):
        base = {
            "stage": sc.get("stage"),
            "scenario": sc.get("scenario") + _example_suffix(sc.get("example")),
            "scenario_id": sc.get("id"),
            "nodeid": sc.get("nodeid"),
            "requirements": sc.get("requirements", []),
        }
        failed_steps = [st for st in sc.get("steps", []) if st.get("status") == "failed"]
        for st in failed_steps:
            out.append(
                {
                    **base,
                    "kind": "failed step",
                    "step": f"{st['keyword']} {st['text']}",
                    "message": st.get("error") or "",
                    "when": st.get("finished"),
                }
            )
        if sc.get("status") in ("failed", "error") and not failed_steps:
            kind = "scenario error" if sc["status"] == "error" else "scenario failed"
            out.append(
                {
                    **base,
                    "kind": kind,
                    "step": None,
                    "message": sc.get("error") or "",
                    "when": sc.get("finished"),
                }
            )
        elif sc.get("status") == "error" and failed_steps and "teardown" in (sc.get("error") or ""):
            out.append(
                {
                    **base,
                    "kind": "scenario error",
                    "step": None,
                    "message": sc["error"],
                    "when": sc.get("finished"),
                }
            )
        if sc.get("status") == "skipped":
            out.append(
                {
                    **base,
                    "kind": "skipped",
                    "step": None,
                    "message": sc.get("error") or "",
                    "when": sc.get("finished"),
                }
            )
    for c in (checkov or {}).get("failed_checks", []):
        out.append(
            {
                "stage": "static",
                "scenario": f"checkov {c['check_id']}",
                "scenario_id": None,
                "nodeid": None,
                "requirements": [],
                "kind": "failed check",
                "step": c.get("resource"),
                "message": f"{c.get('check_name') or ''} ({c.get('file_path') or ''})".strip(),
                "when": None,
            }
        )
    for i, d in enumerate(out, start=1):
        d["ref"] = f"DEV-{i:03d}"
    return out


def verdict(
    results: Mapping[str, Any], matrix: Mapping[str, Any], checkov: Mapping[str, Any] | None
) -> dict[str, Any]:
    """PASS only when every scenario passed, every requirement passed and no static check failed."""
    reasons: list[str] = []
    counts = {s: 0 for s in SCENARIO_STATUSES}
    for sc in results.get("scenarios", []):
        counts[sc["status"]] = counts.get(sc["status"], 0) + 1
    if not results.get("scenarios"):
        reasons.append("no scenario was recorded")
    for status in ("failed", "error", "skipped"):
        if counts.get(status):
            reasons.append(f"{counts[status]} scenario(s) {status}")
    m = matrix["summary"]
    for status in ("failed", "incomplete", "not covered"):
        if m.get(status):
            ids = [r["requirement"] for r in matrix["rows"] if r["status"] == status]
            reasons.append(f"{m[status]} requirement(s) {status}: {', '.join(ids)}")
    if matrix.get("unknown_requirements"):
        reasons.append("tags name unknown requirements: " + ", ".join(matrix["unknown_requirements"]))
    if checkov and checkov["summary"].get("failed"):
        reasons.append(f"{checkov['summary']['failed']} checkov check(s) failed")
    if checkov and checkov["summary"].get("parsing_errors"):
        reasons.append(f"checkov could not parse {checkov['summary']['parsing_errors']} file(s)")
    return {"result": "FAIL" if reasons else "PASS", "reasons": reasons, "scenarios": counts}


def _example_suffix(example: Mapping[str, Any] | None) -> str:
    return " [" + ", ".join(f"{k}={v}" for k, v in example.items()) + "]" if example else ""


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.2f} s"
    return f"{int(value // 60)} min {value % 60:.0f} s"


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


# ------------------------------------------------------------------------------------------- writers


def junit_xml(results: Mapping[str, Any]) -> bytes:
    scenarios = list(results.get("scenarios", []))
    root = ET.Element("testsuites", name="qualification")
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for sc in scenarios:
        groups.setdefault((sc["stage"], sc["feature"]), []).append(sc)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for (stage, feature), items in groups.items():
        suite = ET.SubElement(root, "testsuite", name=f"{stage.upper()}: {feature}")
        counts = {"tests": len(items), "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
        for sc in items:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{stage}.{sc.get('feature_file', feature)}",
                name=sc["scenario"] + _example_suffix(sc.get("example")),
                time=f"{sc.get('duration') or 0:.6f}",
            )
            counts["time"] += sc.get("duration") or 0.0
            props = ET.SubElement(case, "properties")
            for req in sc.get("requirements", []):
                ET.SubElement(props, "property", name="requirement", value=req)
            ET.SubElement(props, "property", name="started", value=str(sc.get("started")))
            failed = next((st for st in sc.get("steps", []) if st["status"] == "failed"), None)
            if sc["status"] == "failed":
                counts["failures"] += 1
                msg = (failed or {}).get("error") or sc.get("error") or "failed"
                el = ET.SubElement(case, "failure", message=msg.splitlines()[0][:500] if msg else "failed")
                el.text = (f"{failed['keyword']} {failed['text']}\n" if failed else "") + msg
            elif sc["status"] == "error":
                counts["errors"] += 1
                el = ET.SubElement(case, "error", message=(sc.get("error") or "error").splitlines()[0][:500])
                el.text = sc.get("error") or ""
            elif sc["status"] == "skipped":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=(sc.get("error") or "skipped")[:500])
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(
                f"[{st['status']:>7}] {st['keyword']} {st['text']}"
                + (f"  ({st['started']}, {st['duration']}s)" if st.get("started") else "")
                for st in sc.get("steps", [])
            )
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
        suite.set("time", f"{counts['time']:.6f}")
        totals["time"] += counts["time"]
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    root.set("time", f"{totals['time']:.6f}")
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def cucumber_json(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    features: dict[str, dict[str, Any]] = {}
    for sc in results.get("scenarios", []):
        feat = features.setdefault(
            sc["feature_file"],
            {
                "uri": sc["feature_file"],
                "id": sc["feature_file"],
                "keyword": "Feature",
                "name": sc["feature"],
                "line": 1,
                "description": "",
                "tags": [],
                "elements": [],
            },
        )
        steps = []
        for st in sc.get("steps", []):
            result: dict[str, Any] = {"status": st["status"]}
            if st.get("duration") is not None:
                result["duration"] = int(st["duration"] * 1e9)
            if st.get("error"):
                result["error_message"] = st["error"]
            step = {"keyword": st["keyword"] + " ", "name": st["text"], "line": st["line"], "result": result}
            if st.get("attachments"):
                step["embeddings"] = [
                    {
                        "mime_type": a.get("media_type", "application/json"),
                        "name": a["name"],
                        "data": base64.b64encode(json.dumps(a["data"], sort_keys=True).encode()).decode(),
                    }
                    for a in st["attachments"]
                ]
            steps.append(step)
        feat["elements"].append(
            {
                "id": sc["id"],
                "keyword": "Scenario",
                "name": sc["scenario"] + _example_suffix(sc.get("example")),
                "line": sc.get("line") or 0,
                "description": "",
                "type": "scenario",
                "tags": [{"name": f"@{t}", "line": sc.get("line") or 0} for t in sc.get("tags", [])],
                "steps": steps,
            }
        )
    return list(features.values())


def _scenario_tree(results: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, list[dict[str, Any]]]]]]:
    tree: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for sc in results.get("scenarios", []):
        view = dict(sc)
        view["duration_text"] = _seconds(sc.get("duration"))
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
    env.filters["seconds"] = _seconds
    results = report["results"]
    checkov = report.get("checkov") or None
    reqs = results.get("requirements") or {}
    return env.from_string(HTML).render(
        title=report["title"],
        run_id=report["run_id"],
        generated=report["generated"],
        verdict=report["verdict"],
        context=report.get("context") or {},
        stages=report["stages"],
        matrix=report["matrix"],
        deviations=report["deviations"],
        scenario_tree=_scenario_tree(results),
        checkov=checkov,
        checkov_failed_ids=set((checkov or {}).get("failed_ids", [])),
        lineage=_ordered_lineage(report.get("lineage")),
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


def write_pdf(report: Mapping[str, Any], path: Path) -> None:
    """Summary, stage table, matrix, deviations and signature block (reportlab, landscape A4)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    para = lambda text: Paragraph(escape(str(text if text is not None else "")), small)  # noqa: E731
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
        ]
    )
    ctx = report.get("context") or {}
    git = ctx.get("git") or {}
    verdict_ = report["verdict"]
    story: list[Any] = [
        Paragraph(escape(report["title"]), styles["Title"]),
        Paragraph(
            escape(
                f"Run {report['run_id']} - target {ctx.get('target')} - region {ctx.get('region')} - "
                f"account {ctx.get('account')} - generated {report['generated']}"
            ),
            styles["Normal"],
        ),
        Paragraph(
            escape(
                f"Git {git.get('commit')} (dirty: {git.get('dirty')}) - "
                f"Terraform {(ctx.get('terraform') or {}).get('version')} - "
                f"state serial {(ctx.get('terraform') or {}).get('state_serial')}"
            ),
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
        Paragraph(f"Verdict: <b>{escape(verdict_['result'])}</b>", styles["Heading2"]),
    ]
    story += [Paragraph("- " + escape(r), styles["Normal"]) for r in verdict_["reasons"]]
    story += [Spacer(1, 3 * mm), Paragraph("Summary per stage", styles["Heading2"])]
    rows = [["Stage", "Scenarios", "Passed", "Failed", "Error", "Skipped", "Duration"]]
    rows += [
        [
            s["stage"].upper(),
            s["scenarios"],
            s["passed"],
            s["failed"],
            s["error"],
            s["skipped"],
            s["duration"],
        ]
        for s in report["stages"]
    ]
    story.append(Table(rows, style=grid, hAlign="LEFT"))
    story += [Paragraph("Traceability matrix", styles["Heading2"])]
    rows = [["Requirement", "Risk", "Source", "Statement", "Status", "Scenarios"]]
    for row in report["matrix"]["rows"]:
        scen = (
            "; ".join(f"{s['stage'].upper()} {s['scenario']} ({s['status']})" for s in row["scenarios"])
            or "none"
        )
        rows.append(
            [
                row["requirement"],
                row["risk"],
                para(row["source"]),
                para(row["statement"]),
                row["status"],
                para(scen),
            ]
        )
    story.append(
        Table(
            rows, colWidths=[22 * mm, 16 * mm, 30 * mm, 95 * mm, 22 * mm, 80 * mm], style=grid, repeatRows=1
        )
    )
    story += [Paragraph("Deviations", styles["Heading2"])]
    if report["deviations"]:
        rows = [["Ref", "Kind", "Scenario", "Step", "Message"]]
        rows += [
            [
                d["ref"],
                d["kind"],
                para(d["scenario"]),
                para(d.get("step") or ""),
                para((d["message"] or "")[:600]),
            ]
            for d in report["deviations"]
        ]
        story.append(
            Table(rows, colWidths=[18 * mm, 24 * mm, 60 * mm, 60 * mm, 103 * mm], style=grid, repeatRows=1)
        )
    else:
        story.append(Paragraph("None.", styles["Normal"]))
    story += [Paragraph("Signatures", styles["Heading2"])]
    rows = [["Role", "Name", "Signature", "Date"]] + [[s["role"], "", "", ""] for s in report["signatures"]]
    sig = Table(
        rows, colWidths=[35 * mm, 70 * mm, 70 * mm, 40 * mm], rowHeights=[None] + [12 * mm] * 3, style=grid
    )
    story.append(sig)
    doc = SimpleDocTemplate(
        str(path), pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
        bottomMargin=12 * mm, title=report["title"], author="harness.validation", subject=report["run_id"],
    )  # fmt: skip
    doc.build(story)


# ------------------------------------------------------------------------------------------- entry


def build_report(
    results: Mapping[str, Any] | str | Path,
    out_dir: str | Path,
    *,
    context: Mapping[str, Any] | None = None,
    requirements: RequirementSet | Sequence[Any] | None = None,
    lineage: Mapping[str, Any] | None = None,
    checkov: Any = None,
    metrics: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    title: str = TITLE,
    pdf: bool = True,
) -> ReportResult:
    """Write every report file into ``out_dir`` (usually the run's evidence folder).

    ``results``: ``results.json`` (path, its folder, or the loaded dict) from the pytest plugin.
    ``context``: :func:`harness.validation.context.collect_context`. ``requirements``: defaults to the
    set the plugin copied into ``results.json``. ``lineage``: ``{"dataset": {...}, "training_job": ...,
    "artifact": ..., "model_package": ..., "endpoint_config": ..., "endpoint": ...}``. ``checkov``:
    checkov's JSON output or a summary. ``metrics``: ``{"roc": {"fpr": [...], "tpr": [...], "auc": x},
    "latencies_ms": [...], <name>: <number>}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    res = load_results(results)
    reqs = _requirements_from(res, requirements)
    ctx = dict(context or {})
    check = summarize_checkov(checkov)
    mtx = matrix_mod.build_matrix(reqs, res)
    svgs, metric_rows, computed = metrics_view(metrics)
    files = list(REPORT_FILES)
    pdf_skipped: str | None = None
    if pdf:
        try:
            import reportlab  # noqa: F401
        except ImportError:
            pdf_skipped = "reportlab is not installed"
        else:
            files.append("report.pdf")
    else:
        pdf_skipped = "not requested"
    report: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "title": title,
        "run_id": run_id or ctx.get("run_id") or out.name,
        "generated": iso(utc_now()),
        "verdict": verdict(res, mtx, check),
        "context": ctx,
        "stages": stage_summary(res),
        "requirements": [r.to_dict() for r in reqs],
        "requirements_origin": reqs.origin,
        "requirements_sha256": reqs.sha256,
        "matrix": mtx,
        "deviations": deviations(res, check),
        "lineage": dict(lineage) if lineage else None,
        "checkov": check,
        "metrics": {**dict(metrics or {}), **({"computed": computed} if computed else {})} or None,
        "signatures": [{"role": r, "name": None, "signature": None, "date": None} for r in SIGNATURE_ROLES],
        "files": files,
        "pdf_skipped": pdf_skipped,
        "results": res,
    }
    written = [out / "report.json"]
    write_json_atomic(out / "report.json", report)
    (out / "junit.xml").write_bytes(junit_xml(res))
    written.append(out / "junit.xml")
    write_json_atomic(out / "cucumber.json", cucumber_json(res))
    written.append(out / "cucumber.json")
    written += matrix_mod.write_matrix(mtx, out)
    (out / "report.html").write_text(render_html(report, svgs, metric_rows), encoding="utf-8")
    written.append(out / "report.html")
    if "report.pdf" in files:
        write_pdf(report, out / "report.pdf")
        written.append(out / "report.pdf")
    return ReportResult(folder=out, files=written, verdict=report["verdict"], pdf_skipped=pdf_skipped)
