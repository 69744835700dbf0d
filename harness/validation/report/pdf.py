"""``report.pdf``: the target statement, verdict, stage table, matrix, deviations and signature block."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


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
        Spacer(1, 3 * mm),
        Paragraph(f"<b>{escape((report.get('target') or {}).get('statement') or '')}</b>", styles["Normal"]),
        Spacer(1, 3 * mm),
        Paragraph(
            f"Verdict: <b>{escape(verdict_['result'])}</b> - release-grade: "
            f"<b>{'yes' if verdict_.get('release') else 'no'}</b>",
            styles["Heading2"],
        ),
    ]
    story += [Paragraph("- " + escape(r), styles["Normal"]) for r in verdict_["reasons"]]
    if verdict_.get("release_reasons"):
        story.append(Paragraph("Not release-grade because:", styles["Normal"]))
        story += [Paragraph("- " + escape(r), styles["Normal"]) for r in verdict_["release_reasons"]]
    spec = report.get("specification") or {}
    proto = report.get("protocol") or {}
    story.append(
        Paragraph(
            escape(
                f"Specification version {spec.get('version') or '?'} "
                f"(sha256 {str(spec.get('sha256'))[:16]}); "
                f"protocol {str(proto.get('sha256') or 'not recorded')[:16]} "
                f"{'approved' if proto.get('approved') else 'not approved'}"
            ),
            styles["Normal"],
        )
    )
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
        rows = [["Id", "Kind", "Class", "Requirement", "Expected", "Observed", "Status"]]
        rows += [
            [
                d["id"],
                d["kind"],
                d["classification"],
                d.get("requirement") or "",
                para((d.get("expected") or "")[:400]),
                para((d.get("observed") or "")[:600]),
                d["status"],
            ]
            for d in report["deviations"]
        ]
        widths = [18 * mm, 18 * mm, 18 * mm, 22 * mm, 85 * mm, 90 * mm, 14 * mm]
        story.append(Table(rows, colWidths=widths, style=grid, repeatRows=1))
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
