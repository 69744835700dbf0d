"""What the evidence concludes: the checkov summary, the deviations, the verdict and its release grade.

``verdict.result`` is PASS only when every stage passed, every scenario passed, every requirement passed
and is covered as deeply as its risk asks, and no static check failed. ``verdict.release`` is true only
for a PASS on an AWS account, from a clean work tree, of a protocol approved before the run; a PASS on
the embedded local AWS is evidence about the code and the suites, never about an installation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.validation.recorder import SCENARIO_STATUSES
from harness.validation.requirements import RequirementSet

#: Deviation classification from the risk of the requirement it touches.
CLASSIFICATION = {"high": "critical", "medium": "major", "low": "minor"}
DEVIATION_KINDS = ("failure", "checkov", "drift", "coverage")
#: Stage statuses that count as done.
STAGE_OK = ("passed", "kept")
#: Stages whose outcome is written after the report (the receipt records them).
POST_REPORT_STAGES = ("report", "verify", "receipt")

TARGET_STATEMENTS = {
    "local": (
        "Target: the embedded local AWS, an emulated environment. This evidence is about the platform "
        "code and the qualification suites, not about an installation."
    ),
    "aws": "Target: AWS account {account} in {region}. This evidence is about the installation there.",
}


def target_statement(context: Mapping[str, Any]) -> dict[str, Any]:
    """The plain statement of what was qualified (verdict block and the PDF's first page)."""
    target = str(context.get("target") or "unknown")
    emulated = target != "aws"
    text = TARGET_STATEMENTS["local" if emulated else "aws"].format(
        account=context.get("account") or "?", region=context.get("region") or "?"
    )
    return {"target": target, "emulated": emulated, "account": context.get("account"), "statement": text}


# ---------------------------------------------------------------------------------------------- checkov


def _finding(c: Any) -> dict[str, Any]:
    get = c.get if isinstance(c, Mapping) else lambda k, d=None: getattr(c, k, d)
    lines = get("file_line_range") or get("lines")
    return {
        "check_id": str(get("check_id", "") or ""),
        "check_name": get("check_name") or get("name"),
        "resource": get("resource"),
        "file_path": get("file_path") or get("file"),
        "file_line_range": list(lines) if lines else None,
        "suppress_comment": get("suppress_comment") or get("reason"),
        "guideline": get("guideline"),
    }


def summarize_checkov(data: Any) -> dict[str, Any] | None:
    """The checkov gate's result as the report keeps it, with totals equal to the gate's own.

    Accepts :class:`harness.validation.checkov.ScanResult`, its ``to_dict()``, checkov's ``-o json``
    output (one report or a list) or an already made summary.
    """
    if data is None:
        return None
    if hasattr(data, "to_dict") and hasattr(data, "totals"):
        data = data.to_dict()
    if isinstance(data, Mapping) and "scans" in data and "totals" in data:  # the gate's own result
        scans = data["scans"]
        failed = [_finding(f) for s in scans for f in s.get("failures", [])]
        skipped = [_finding(f) for s in scans for f in s.get("skips", [])]
        totals = {k: int(data["totals"].get(k, 0)) for k in ("passed", "failed", "skipped", "parsing_errors")}
        return {
            "summary": {**totals, "checkov_version": data.get("checkov_version")},
            "gate_ok": bool(data.get("ok")),
            "scans": [
                {k: s.get(k) for k in ("name", "target", "framework", "passed", "failed", "skipped")}
                for s in scans
            ],
            "failed_checks": failed,
            "skipped_checks": skipped,
            "failed_ids": sorted({c["check_id"] for c in failed}),
            "passed_ids": [],
            # results copied from an earlier run with byte-identical inputs (scan_reuse), or None
            "reused": data.get("reused"),
        }
    if isinstance(data, Mapping) and "failed_checks" in data and "summary" in data and "failed_ids" in data:
        return dict(data)  # already a summary
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
        failed += [_finding(c) for c in res.get("failed_checks", rep.get("failed_checks", []))]
        skipped += [_finding(c) for c in res.get("skipped_checks", rep.get("skipped_checks", []))]
        passed_ids |= {str(c.get("check_id")) for c in res.get("passed_checks", [])}
    return {
        "summary": {**summary, **extra},
        "failed_checks": failed,
        "skipped_checks": skipped,
        "failed_ids": sorted({c["check_id"] for c in failed}),
        "passed_ids": sorted(passed_ids),
    }


# ------------------------------------------------------------------------------------------- deviations


def _example_suffix(example: Mapping[str, Any] | None) -> str:
    return " [" + ", ".join(f"{k}={v}" for k, v in example.items()) + "]" if example else ""


def _classify(req_ids: Sequence[str], reqs: RequirementSet, default: str = "major") -> str:
    risks = [r.risk for r in (reqs.get(i) for i in req_ids) if r is not None]
    for risk in ("high", "medium", "low"):
        if risk in risks:
            return CLASSIFICATION[risk]
    return default


def _criterion(req_ids: Sequence[str], reqs: RequirementSet) -> str:
    found = [r for r in (reqs.get(i) for i in req_ids) if r is not None]
    return " ".join(r.criterion or r.statement for r in found)


def deviations(
    results: Mapping[str, Any],
    checkov: Mapping[str, Any] | None = None,
    *,
    requirements: RequirementSet | None = None,
    matrix: Mapping[str, Any] | None = None,
    stages: Sequence[Mapping[str, Any]] | None = None,
    extra: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Every failure, numbered ``DEV-001``...: failed stages, failed or skipped scenarios, failed checkov
    checks, insufficiently covered requirements and what other checks report (``extra``, e.g. drift).

    Each has ``id``, ``requirement``, ``kind`` (failure | checkov | drift | coverage), ``classification``
    (critical | major | minor, from the risk), ``expected``, ``observed`` and ``status`` (open)."""
    reqs = requirements or RequirementSet(())
    checks_to_reqs: dict[str, list[str]] = {}
    for r in reqs:
        for c in r.checks:
            checks_to_reqs.setdefault(c, []).append(r.id)
    out: list[dict[str, Any]] = []

    def add(kind: str, req_ids: Sequence[str], expected: str, observed: str, **more: Any) -> None:
        classification = more.pop("classification", None) or _classify(req_ids, reqs)
        out.append(
            {
                "kind": kind,
                "requirement": req_ids[0] if req_ids else None,
                "requirements": list(req_ids),
                "classification": classification,
                "expected": expected,
                "observed": observed,
                "status": "open",
                **more,
            }
        )

    for st in stages or ():
        if st.get("name") in POST_REPORT_STAGES or st.get("status") in (*STAGE_OK, "not run"):
            continue
        add(
            "failure",
            [],
            f"stage {st['name']} passes",
            f"stage {st['name']} {st.get('status')}: {st.get('detail') or ''}".strip(),
            classification="critical",
            stage=st["name"],
            scenario=f"stage {st['name']}",
            step=None,
            message=st.get("detail") or "",
        )
    for sc in results.get("scenarios", []):
        req_ids = list(sc.get("requirements", []))
        base = {
            "stage": sc.get("stage"),
            "scenario": (sc.get("scenario") or "") + _example_suffix(sc.get("example")),
            "scenario_id": sc.get("id"),
            "nodeid": sc.get("nodeid"),
            "when": sc.get("finished"),
        }
        criterion = _criterion(req_ids, reqs)
        failed_steps = [st for st in sc.get("steps", []) if st.get("status") == "failed"]
        for st in failed_steps:
            step = f"{st['keyword']} {st['text']}"
            observed = st.get("error") or "failed"
            add("failure", req_ids, criterion or step, observed, **base, step=step, message=observed)
        status, error = sc.get("status"), sc.get("error") or ""
        # A scenario that failed outside its steps: (what was expected, what was observed).
        outside: tuple[str, str] | None = None
        if status in ("failed", "error") and not failed_steps:
            outside = (criterion or "the scenario runs", f"scenario {status}: {error}")
        elif status == "error" and failed_steps and "teardown" in error:
            outside = ("the scenario cleans up", error)
        elif status == "skipped":
            outside = (criterion or "the scenario runs", f"skipped: {error}")
        if outside is not None:
            expected, observed = outside
            add("failure", req_ids, expected, observed, **base, step=None, message=observed)
    for c in (checkov or {}).get("failed_checks", []):
        req_ids = checks_to_reqs.get(c["check_id"], [])
        where = f"{c.get('file_path') or ''}:{'-'.join(map(str, c.get('file_line_range') or []))}".rstrip(":")
        add(
            "checkov",
            req_ids,
            f"checkov {c['check_id']} passes on {c.get('resource')}",
            f"checkov {c['check_id']} failed on {c.get('resource')} ({where}): {c.get('check_name') or ''}",
            stage="scan",
            scenario=f"checkov {c['check_id']}",
            check_id=c["check_id"],
            resource=c.get("resource"),
            step=c.get("resource"),
            message=f"{c.get('check_name') or ''} ({where})",
        )
    for row in (matrix or {}).get("rows", []):
        if row.get("status") != "insufficiently covered":
            continue
        cov = row.get("coverage") or {}
        add(
            "coverage",
            [row["requirement"]],
            f"a {row['risk']}-risk requirement has at least {cov.get('required_scenarios')} scenarios, "
            f"{cov.get('required_negative')} of them tagged @negative",
            f"{cov.get('scenarios')} scenario(s), {cov.get('negative')} negative",
            stage=None,
            scenario=None,
            step=None,
            message=f"{row['requirement']} insufficiently covered",
        )
    for d in extra:
        req_ids = list(d.get("requirements") or ([d["requirement"]] if d.get("requirement") else []))
        add(
            str(d.get("kind", "drift")),
            req_ids,
            str(d.get("expected", "")),
            str(d.get("observed", "")),
            **{k: v for k, v in d.items() if k not in ("kind", "requirement", "requirements", "expected",
                                                       "observed", "status", "id", "ref")},
        )  # fmt: skip
    for i, d in enumerate(out, start=1):
        d["id"] = d["ref"] = f"DEV-{i:03d}"
        d.setdefault("message", d["observed"])
        d.setdefault("scenario", None)
        d.setdefault("step", None)
    return out


# ---------------------------------------------------------------------------------------------- verdict


def verdict(
    results: Mapping[str, Any],
    matrix: Mapping[str, Any],
    checkov: Mapping[str, Any] | None,
    *,
    context: Mapping[str, Any] | None = None,
    stages: Sequence[Mapping[str, Any]] | None = None,
    protocol: Mapping[str, Any] | None = None,
    lineage: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``result`` (PASS | FAIL) with its ``reasons``; ``release`` (true | false) with ``release_reasons``.
    ``lineage``'s served model version must have been approved by a person for a release."""
    ctx = context or {}
    reasons: list[str] = []
    for st in stages or ():
        if st.get("name") not in POST_REPORT_STAGES and st.get("status") not in (*STAGE_OK,):
            reasons.append(
                f"stage {st['name']} {st.get('status')}" + (f": {st['detail']}" if st.get("detail") else "")
            )
    counts = dict.fromkeys(SCENARIO_STATUSES, 0)
    for sc in results.get("scenarios", []):
        counts[sc["status"]] = counts.get(sc["status"], 0) + 1
    if not results.get("scenarios"):
        reasons.append("no scenario was recorded")
    for status in ("failed", "error", "skipped"):
        if counts.get(status):
            reasons.append(f"{counts[status]} scenario(s) {status}")
    m = matrix["summary"]
    for status in ("failed", "incomplete", "not covered", "insufficiently covered"):
        if m.get(status):
            ids = [r["requirement"] for r in matrix["rows"] if r["status"] == status]
            reasons.append(f"{m[status]} requirement(s) {status}: {', '.join(ids)}")
    if matrix.get("unknown_requirements"):
        reasons.append("tags name unknown requirements: " + ", ".join(matrix["unknown_requirements"]))
    if checkov:
        summ = checkov["summary"]
        if summ.get("failed"):
            failed = [f"{c['check_id']} on {c.get('resource')}" for c in checkov.get("failed_checks", [])]
            reasons.append(f"{summ['failed']} checkov check(s) failed: {', '.join(failed)}")
        if summ.get("parsing_errors"):
            reasons.append(f"checkov could not parse {summ['parsing_errors']} file(s)")
    elif stages is not None:
        reasons.append("no checkov result: the static gate did not run")
    result = "FAIL" if reasons else "PASS"

    target = target_statement(ctx)
    git = ctx.get("git") or {}
    proto = protocol or ctx.get("protocol") or {}
    release_reasons: list[str] = []
    if result != "PASS":
        release_reasons.append("the verdict is FAIL")
    if target["emulated"]:
        release_reasons.append(
            f"the target is {target['target']} (an emulated environment), not an AWS account"
        )
    if git.get("dirty") is not False:
        release_reasons.append(
            "the work tree had uncommitted changes" if git.get("dirty") else "the work tree state is unknown"
        )
    if not proto.get("approved"):
        release_reasons.append(
            f"protocol {str(proto.get('sha256') or '?')[:12]} was not approved before the run"
            if proto
            else "no protocol was recorded"
        )
    served = (lineage or {}).get("model_package") or {}
    if served.get("approval_automatic"):
        release_reasons.append(
            f"model version {served.get('version')} was approved automatically, not by a person"
        )
    return {
        "result": result,
        "reasons": reasons,
        "release": not release_reasons,
        "release_reasons": release_reasons,
        "target": target,
        "scenarios": counts,
    }
