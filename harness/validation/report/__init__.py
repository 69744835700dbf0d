"""The report: results + context + matrix + lineage + checkov + metrics -> the report files.

:func:`build_report` decides (:mod:`harness.validation.verdict`) and writes into the evidence folder,
one module per output:

``report.json``    everything, machine-readable (every scenario, step, status, timestamps, durations,
                   attachments, verdict, deviations, matrix, context, lineage, checkov, metrics)
``junit.xml``      :mod:`.junit`: one ``testsuite`` per stage and feature, one ``testcase`` per scenario
``cucumber.json``  :mod:`.cucumber`: Cucumber JSON (attachments as embeddings)
``matrix.csv`` ``matrix.json`` ``matrix.md``   :mod:`harness.validation.matrix`
``report.html``    :mod:`.html`: the human report (self-contained: inline CSS and SVG charts)
``report.pdf``     :mod:`.pdf`: target statement, verdict, matrix, deviations, signature block
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.validation import matrix as matrix_mod
from harness.validation.recorder import SCENARIO_STATUSES, iso, load_results, utc_now, write_json_atomic
from harness.validation.report.common import LINEAGE_ORDER, seconds
from harness.validation.report.cucumber import cucumber_json
from harness.validation.report.html import metrics_view, render_html
from harness.validation.report.junit import junit_xml
from harness.validation.requirements import RequirementSet
from harness.validation.verdict import deviations, summarize_checkov, target_statement, verdict

__all__ = [
    "LINEAGE_ORDER",
    "ReportResult",
    "build_report",
    "cucumber_json",
    "deviations",
    "junit_xml",
    "metrics_view",
    "render_html",
    "stage_summary",
    "summarize_checkov",
    "verdict",
]

REPORT_SCHEMA = "harness.validation/report/v1"
TITLE = "SageMaker platform qualification report"
SIGNATURE_ROLES = ("Prepared by", "Reviewed by", "Approved by")
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


def _requirements_from(results: Mapping[str, Any], requirements: Any) -> RequirementSet:
    if isinstance(requirements, RequirementSet):
        return requirements
    if requirements is not None:
        return RequirementSet(tuple(requirements))
    if results.get("requirements"):
        return RequirementSet.from_dict(results["requirements"])
    return RequirementSet(())


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
        s["duration"] = seconds(s["seconds"])
    return out


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
    stages: Sequence[Mapping[str, Any]] | None = None,
    protocol: Mapping[str, Any] | None = None,
    extra_deviations: Sequence[Mapping[str, Any]] = (),
    run_id: str | None = None,
    title: str = TITLE,
    pdf: bool = True,
) -> ReportResult:
    """Write every report file into ``out_dir`` (usually the run's evidence folder).

    ``results``: ``results.json`` (path, its folder, or the loaded dict) from the pytest plugin.
    ``context``: :func:`harness.validation.context.collect_context`. ``requirements``: defaults to the
    set the plugin copied into ``results.json``. ``lineage``: ``{"dataset": {...}, "training_job": ...,
    "artifact": ..., "model_package": ..., "endpoint_config": ..., "endpoint": ...}``. ``checkov``: the
    gate's :class:`~harness.validation.checkov.ScanResult` (or its dict, or checkov's JSON output).
    ``metrics``: ``{"roc": {"fpr": [...], "tpr": [...], "auc": x}, "latencies_ms": [...], ...}``.
    ``stages``: the qualification's stage table (``name``, ``status``, ``seconds``, ``detail``); any
    stage that did not pass fails the verdict. ``protocol``: the protocol record this run executed
    (``sha256``, ``approved``). ``extra_deviations``: what other checks found (e.g. drift).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    res = load_results(results)
    reqs = _requirements_from(res, requirements)
    ctx = dict(context or {})
    if stages is None and isinstance(ctx.get("stages"), Mapping):
        stages = [{"name": k, **v} for k, v in ctx["stages"].items()]
    proto = dict(protocol or ctx.get("protocol") or {})
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
        "target": target_statement(ctx),
        "verdict": verdict(res, mtx, check, context=ctx, stages=stages, protocol=proto, lineage=lineage),
        "context": ctx,
        "protocol": proto or None,
        "stage_table": list(stages) if stages is not None else None,
        "stages": stage_summary(res),
        "specification": {
            "origin": reqs.origin,
            "sha256": reqs.sha256,
            "version": reqs.version,
            "history": [dict(h) for h in reqs.history],
        },
        "requirements": [r.to_dict() for r in reqs],
        "requirements_origin": reqs.origin,
        "requirements_sha256": reqs.sha256,
        "matrix": mtx,
        "deviations": deviations(
            res, check, requirements=reqs, matrix=mtx, stages=stages, extra=list(extra_deviations)
        ),
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
        from harness.validation.report.pdf import write_pdf

        write_pdf(report, out / "report.pdf")
        written.append(out / "report.pdf")
    return ReportResult(folder=out, files=written, verdict=report["verdict"], pdf_skipped=pdf_skipped)
