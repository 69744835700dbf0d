"""People's signatures of a sealed evidence package: signing under separation of duties, the offline
check and chain that ``report verify`` prints, and the approval sheet.

A package is sealed once (``manifest.json`` + ``manifest.sig``); signatures come later and are
linked to it by the manifest's SHA-256 (:mod:`harness.validation.signatures`). They live in
``approvals/`` of the package folder (never part of the manifest) and, as new Object Lock objects,
under the package's prefix in the evidence bucket (``<prefix>/<run-id>/approvals/<file>``).

The executor of a run is the STS identity that started it, recorded by ``collect_context`` in the
package's ``context.json`` (``executor``). Rules (:data:`signatures.RULES`): the executor signs
nothing (SOD-1); ``approved`` only through the approver role (SOD-2); nobody signs twice, so nobody
both reviews and approves (SOD-3); approval follows a review (SOD-4); no approval while a critical
deviation is open (DEV-1); the printed name is the session's person (ID-1); only a package that
verifies is signed (INT-1).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.identity import Identity, caller, session_name
from harness.target import Target
from harness.validation import package, signatures
from harness.validation.signatures import EVIDENCE, SignatureRefused

APPROVALS_DIR = package.APPROVALS_DIR
SHEET_HTML, SHEET_PDF = "approval-sheet.html", "approval-sheet.pdf"
SHEETS = frozenset({SHEET_HTML, SHEET_PDF})  # renderings, rebuilt from the records; not records
CONTEXT = "context.json"
REPORT = "report.json"


# ------------------------------------------------------------------------------------ package facts


def manifest_sha256(folder: Path) -> str | None:
    path = folder / package.MANIFEST
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def context_of(folder: Path) -> dict[str, Any]:
    """``context.json`` of the package, else the report's ``context`` block."""
    return _json(folder / CONTEXT) or dict(_json(folder / REPORT).get("context") or {})


def executor_of(folder: Path, context: dict[str, Any] | None = None) -> Identity | None:
    """The STS identity that started the run (``context.executor``; older packages: ``context.caller``).

    ``context``: the package's context when already read (it may come from a report of megabytes)."""
    context = context_of(folder) if context is None else context
    data = context.get("executor") or context.get("caller") or {}
    return Identity.from_dict(data) if data.get("arn") else None


def record_files(folder: Path) -> list[Path]:
    base = folder / APPROVALS_DIR
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.is_file() and p.name not in SHEETS)


def open_critical_deviations(folder: Path, resolved: set[str]) -> list[dict[str, Any]]:
    """``report.json`` deviations classified critical, status open, without a valid signed resolution."""
    out = []
    for dev in _json(folder / REPORT).get("deviations") or []:
        ref = dev.get("ref") or dev.get("id")
        if (
            dev.get("classification") == "critical"
            and dev.get("status", "open") == "open"
            and ref not in resolved
        ):
            out.append(dev)
    return out


def _signer(record: Mapping[str, Any]) -> Identity:
    return Identity.from_dict(record.get("signer") or {})


def _names(identity: Identity, printed_name: str | None) -> set[str]:
    names = identity.aliases()
    if printed_name:
        with contextlib.suppress(HarnessError):  # an unusable printed name simply adds no alias
            names.add(session_name(printed_name).lower())
    return names


# ------------------------------------------------------------------------------------------ check


@dataclasses.dataclass
class Approvals:
    """The package's signatures as checked offline, and the chain they form."""

    manifest_sha256: str | None
    executor: Identity | None
    executed_at: str | None
    checks: list[signatures.RecordCheck]
    problems: list[str]

    def valid(self, kind: str = EVIDENCE, meaning: str | None = None) -> list[dict[str, Any]]:
        return [
            c.record
            for c in self.checks
            if c.ok
            and (c.record.get("subject") or {}).get("kind") == kind
            and (meaning is None or c.record.get("meaning") == meaning)
        ]

    def chain(self) -> list[dict[str, Any]]:
        """Executed by, then every signature in time order, each with its time and meaning."""
        steps = [
            {
                "meaning": "executed",
                "by": self.executor.describe() if self.executor else "(not recorded)",
                "printed_name": None,
                "at": self.executed_at,
                "reason": None,
                "automatic": False,
                "ok": self.executor is not None,
                "file": CONTEXT,
            }
        ]
        # Times have one-second resolution: within a second, a review precedes an approval (SOD-4).
        rank = {"reviewed": 0, "resolved": 1, "approved": 2, "rejected": 2}
        for c in sorted(
            self.checks,
            key=lambda c: (str(c.record.get("signed_at")), rank.get(str(c.record.get("meaning")), 3)),
        ):
            rec = c.record
            subject = rec.get("subject") or {}
            meaning = rec.get("meaning")
            if subject.get("kind") == signatures.DEVIATION:
                meaning = f"{meaning} {subject.get('id')}"
            steps.append(
                {
                    "meaning": meaning,
                    "by": _signer(rec).describe(),
                    "printed_name": rec.get("printed_name"),
                    "at": rec.get("signed_at"),
                    "reason": rec.get("reason"),
                    "automatic": bool(rec.get("automatic")),
                    "ok": c.ok,
                    "file": f"{APPROVALS_DIR}/{c.name}",
                }
            )
        return steps

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest_sha256": self.manifest_sha256,
            "executor": self.executor.to_dict() if self.executor else None,
            "records": [c.to_dict() for c in self.checks],
            "chain": self.chain(),
            "problems": list(self.problems),
        }


def read(folder: str | Path, *, trusted_public_key: bytes | None = None) -> Approvals:
    """Check every record in ``approvals/`` against this package's manifest, and the duties between them."""
    folder = Path(folder)
    sha = manifest_sha256(folder)
    context = context_of(folder)
    result = Approvals(
        manifest_sha256=sha,
        executor=executor_of(folder, context),
        executed_at=context.get("finished") or context.get("started"),
        checks=[],
        problems=[],
    )
    for path in record_files(folder):
        name = path.name
        check = signatures.verify(
            path.read_bytes(), name=name, expected={"sha256": sha}, trusted_public_key=trusted_public_key
        )
        kind = (check.record.get("subject") or {}).get("kind")
        if check.record and kind not in (EVIDENCE, signatures.DEVIATION):
            check.problems.append(f"{name}: a {kind} signature does not belong in an evidence package")
        result.checks.append(check)
    # Duties, re-checked offline from the records themselves.
    executor_names = result.executor.aliases() if result.executor else set()
    seen: dict[str, str] = {}
    for check in result.checks:
        rec = check.record
        if not rec or (rec.get("subject") or {}).get("kind") != EVIDENCE:
            continue
        names = _names(_signer(rec), rec.get("printed_name"))
        if names & executor_names:
            check.problems.append(f"{check.name}: signed by the executor of the run (rule SOD-1)")
        for alias in names:
            if alias in seen and seen[alias] != check.name:
                check.problems.append(f"{check.name}: the signer also signed {seen[alias]} (rule SOD-3)")
                break
        for alias in names:
            seen.setdefault(alias, check.name)
        if rec.get("meaning") == "approved" and not _signer(rec).acts_as(rec.get("approver_role_arn")):
            check.problems.append(f"{check.name}: approved outside the approver role (rule SOD-2)")
    for check in result.checks:
        result.problems += [f"{APPROVALS_DIR}/{p}" for p in check.problems]
    base = folder / APPROVALS_DIR
    if base.is_dir():
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if path.is_dir() or (len(rel.parts) == 1 and path.is_file()):
                continue
            result.problems.append(f"{APPROVALS_DIR}/{rel.as_posix()}: not a signed record (nested file)")
    return result


def check(
    folder: str | Path, result: package.VerifyResult, *, trusted_public_key: bytes | None = None
) -> None:
    """Add the approvals and their problems to a manifest :class:`~package.VerifyResult`."""
    approvals = read(folder, trusted_public_key=trusted_public_key)
    result.approvals = approvals.to_dict()
    result.problems += approvals.problems


def chain_lines(approvals: Mapping[str, Any]) -> list[str]:
    """The chain as ``report verify`` prints it."""
    lines = []
    for step in approvals.get("chain") or []:
        name = f"{step['printed_name']} " if step.get("printed_name") else ""
        auto = " [automatic]" if step.get("automatic") else ""
        flag = "" if step.get("ok") else "  <- INVALID"
        reason = f' - "{step["reason"]}"' if step.get("reason") else ""
        lines.append(f"{step['meaning']:>9} by {name}({step['by']}) at {step['at']}{auto}{reason}{flag}")
    return lines


# ------------------------------------------------------------------------------------------- sign


@dataclasses.dataclass
class SignOutcome:
    record: dict[str, Any]
    document: dict[str, Any]
    local_path: Path | None
    s3_uri: str | None
    s3_version: str | None
    sheet: list[Path]
    not_archived: str | None = None


def _refuse_unless_signable(
    folder: Path,
    *,
    meaning: str,
    printed_name: str,
    signer: Identity,
    approver_role_arn: str | None,
) -> str:
    """Every rule a new signature must pass; returns the manifest's SHA-256."""
    verified = package.verify_folder(folder)
    if not verified.ok:
        raise SignatureRefused(
            "INT-1",
            f"{folder} does not verify:\n  " + "\n  ".join(verified.all_problems()),
            hint="sign only the package as sealed: `python -m harness report verify <package>` must say OK",
        )
    slug = session_name(printed_name).lower()
    if signer.source_identity and signer.source_identity.lower() != slug:
        raise SignatureRefused(
            "ID-1",
            f"the session carries {signer.source_identity!r}, but the printed name is {printed_name!r}",
            hint="sign with your own name, or assume the role as yourself with --role-arn",
        )
    executor = executor_of(folder)
    if executor is None:
        raise SignatureRefused("SOD-1", f"{folder} does not record who executed the run (context.executor)")
    names = _names(signer, printed_name)
    if names & executor.aliases():
        raise SignatureRefused(
            "SOD-1",
            f"{printed_name} ({signer.arn}) executed this run ({executor.describe()}) and cannot sign it "
            f"as {meaning}",
            hint="a person other than the executor reviews and approves",
        )
    approvals = read(folder)
    for rec in approvals.valid(EVIDENCE):
        if names & _names(_signer(rec), rec.get("printed_name")):
            raise SignatureRefused(
                "SOD-3",
                f"{printed_name} already signed this package as {rec.get('meaning')} "
                f"at {rec.get('signed_at')}",
                hint="a second person signs the other meaning",
            )
    if meaning == "approved":
        if not approver_role_arn:
            raise SignatureRefused(
                "SOD-2",
                "the platform has no approver role (output approver_role_arn)",
                hint="apply the persona roles, then sign with --role-arn <approver_role_arn>",
            )
        if not signer.acts_as(approver_role_arn):
            raise SignatureRefused(
                "SOD-2",
                f"{signer.arn} is not a session of the approver role {approver_role_arn}",
                hint=f'sign with --role-arn {approver_role_arn} --name "<your printed name>"',
            )
        if not approvals.valid(EVIDENCE, "reviewed"):
            raise SignatureRefused(
                "SOD-4", "the package has no valid review yet", hint="sign --meaning reviewed first"
            )
        resolved = {(r.get("subject") or {}).get("id") for r in approvals.valid(signatures.DEVIATION)}
        open_critical = open_critical_deviations(folder, resolved)
        if open_critical:
            refs = ", ".join(str(d.get("ref") or d.get("id")) for d in open_critical)
            raise SignatureRefused(
                "DEV-1",
                f"open critical deviation(s) {refs}",
                hint="resolve each with `python -m harness deviation resolve`, then approve",
            )
    sha = manifest_sha256(folder)
    assert sha is not None  # verified above
    return sha


def sign_folder(
    folder: str | Path,
    *,
    signer_target: Target,
    meaning: str,
    printed_name: str,
    reason: str | None,
    key_id: str,
    approver_role_arn: str | None,
    s3_client: Any = None,
    bucket: str | None = None,
    s3_prefix: str | None = None,
    write_local: bool = True,
) -> SignOutcome:
    """Sign the package in ``folder`` as ``meaning`` (rules first), then store the record: as a new
    object at ``s3://bucket/<s3_prefix>approvals/<file>`` (if given) and in ``folder/approvals/``."""
    folder = Path(folder)
    signer = caller(signer_target)
    sha = _refuse_unless_signable(
        folder, meaning=meaning, printed_name=printed_name, signer=signer, approver_role_arn=approver_role_arn
    )
    run_id = json.loads((folder / package.MANIFEST).read_text()).get("run_id") or folder.name
    extra = {"approver_role_arn": approver_role_arn} if meaning == "approved" else {}
    record = signatures.new_record(
        subject=signatures.subject(EVIDENCE, run_id, sha, file=package.MANIFEST),
        meaning=meaning,
        printed_name=printed_name,
        signer=signer,
        reason=reason,
        **extra,
    )
    document = signatures.seal(record, kms_client=signer_target.client("kms"), key_id=key_id)
    outcome = SignOutcome(
        record=record, document=document, local_path=None, s3_uri=None, s3_version=None, sheet=[]
    )
    name = signatures.file_name(record)
    if s3_client is not None and bucket and s3_prefix is not None:
        key = f"{s3_prefix}{APPROVALS_DIR}/{name}"
        outcome.s3_version = signatures.put_new(s3_client, bucket, key, document)
        outcome.s3_uri = f"s3://{bucket}/{key}"
    if write_local:
        outcome.local_path = signatures.write_new(folder / APPROVALS_DIR, document)
        outcome.sheet = write_sheet(folder)
    return outcome


def archived_prefix(folder: Path, s3_client: Any, bucket: str, prefix: str) -> str | None:
    """``<prefix>/<run-id>/`` when the bucket holds this package's manifest (same bytes), else None."""
    from botocore.exceptions import ClientError

    key_prefix = "/".join(p for p in (prefix.strip("/"), folder.name) if p) + "/"
    try:
        body = s3_client.get_object(Bucket=bucket, Key=key_prefix + package.MANIFEST)["Body"].read()
    except ClientError:
        return None
    return key_prefix if hashlib.sha256(body).hexdigest() == manifest_sha256(folder) else None


def sign(
    location: str,
    *,
    signer_target: Target,
    meaning: str,
    printed_name: str,
    reason: str | None,
    key_id: str,
    approver_role_arn: str | None,
    s3_client: Any,
    evidence_bucket: str | None,
    evidence_prefix: str = "evidence",
    sheet_dir: Path | None = None,
) -> SignOutcome:
    """``harness sign``: a package folder (its archived copy in the evidence bucket gets the record
    too) or an ``s3://`` package (downloaded, checked, the record put beside it)."""
    common = {
        "signer_target": signer_target,
        "meaning": meaning,
        "printed_name": printed_name,
        "reason": reason,
        "key_id": key_id,
        "approver_role_arn": approver_role_arn,
    }
    if location.startswith("s3://"):
        bucket, prefix = package.parse_s3_uri(location)
        with tempfile.TemporaryDirectory(prefix="evidence-sign-") as tmp:
            folder = package.download_package(location, Path(tmp) / "package", s3_client=s3_client)
            outcome = sign_folder(
                folder, s3_client=s3_client, bucket=bucket, s3_prefix=prefix, write_local=False, **common
            )
            if sheet_dir is not None:
                signatures.write_new(folder / APPROVALS_DIR, outcome.document)
                outcome.sheet = write_sheet(folder, out_dir=sheet_dir)
        return outcome
    folder = Path(location)
    if not folder.is_dir():
        raise package.PackageError(f"{location}: no such evidence folder")
    prefix = (
        archived_prefix(folder.resolve(), s3_client, evidence_bucket, evidence_prefix)
        if evidence_bucket
        else None
    )
    outcome = sign_folder(
        folder, s3_client=s3_client if prefix else None, bucket=evidence_bucket, s3_prefix=prefix, **common
    )
    if prefix is None:
        outcome.not_archived = (
            f"the package is not archived in s3://{evidence_bucket}/{evidence_prefix}/{folder.resolve().name}/"
            if evidence_bucket
            else "the platform has no evidence bucket"
        )
    return outcome


# ------------------------------------------------------------------------------------------- sheet


_SHEET = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Approval sheet {{ run_id }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #999;padding:.4em;text-align:left;vertical-align:top}.bad{color:#b00;font-weight:bold}
.muted{color:#555}</style></head><body>
<h1>Approval sheet</h1>
<p>Evidence package <code>{{ run_id }}</code>; manifest SHA-256 <code>{{ sha }}</code>.</p>
<p class="muted">Each signature below is an electronic signature (21 CFR 11.50): printed name, date and time
(UTC) and meaning, linked to the package by the manifest's SHA-256 (11.70) and signed with the approvals
KMS key. An automatic approval is a system action, never a person's signature.</p>
<table><tr><th>Meaning</th><th>Printed name</th><th>Signed at (UTC)</th><th>Reason</th><th>Identity</th>
<th>Valid</th></tr>
{% for s in chain %}<tr><td><b>{{ s.meaning }}</b>{% if s.automatic %} (automatic){% endif %}</td>
<td>{{ s.printed_name or "" }}</td><td>{{ s.at }}</td><td>{{ s.reason or "" }}</td>
<td><code>{{ s.by }}</code></td>
<td>{% if s.ok %}yes{% else %}<span class="bad">NO</span>{% endif %}</td></tr>
{% endfor %}</table>
{% if problems %}<h2>Problems</h2>
<ul>{% for p in problems %}<li class="bad">{{ p }}</li>{% endfor %}</ul>{% endif %}
</body></html>
"""


def write_sheet(folder: str | Path, *, out_dir: Path | None = None) -> list[Path]:
    """``approval-sheet.html`` and ``.pdf`` (each signature's manifestation), rebuilt from the records."""
    import jinja2

    folder = Path(folder)
    out = out_dir or folder / APPROVALS_DIR
    out.mkdir(parents=True, exist_ok=True)
    approvals = read(folder)
    run_id = folder.name
    chain = approvals.chain()
    html = (
        jinja2.Environment(autoescape=True)
        .from_string(_SHEET)
        .render(run_id=run_id, sha=approvals.manifest_sha256, chain=chain, problems=approvals.problems)
    )
    written = [out / SHEET_HTML]
    written[0].write_text(html, encoding="utf-8")
    try:
        _write_pdf(out / SHEET_PDF, run_id, approvals.manifest_sha256, chain, approvals.problems)
        written.append(out / SHEET_PDF)
    except ImportError:
        pass
    return written


def _write_pdf(
    path: Path, run_id: str, sha: str | None, chain: list[dict[str, Any]], problems: list[str]
) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)

    def p(text: Any) -> Paragraph:
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text or "")), small)

    story: list[Any] = [
        Paragraph("Approval sheet", styles["Title"]),
        p(f"Evidence package {run_id}; manifest SHA-256 {sha}"),
        p(
            "Each signature is an electronic signature (21 CFR 11.50): printed name, date and time (UTC) "
            "and meaning, linked to the package by the manifest's SHA-256 (11.70), signed with the "
            "approvals KMS key."
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [[p(h) for h in ("Meaning", "Printed name", "Signed at (UTC)", "Reason", "Identity", "Valid")]]
    for s in chain:
        meaning = f"{s['meaning']}{' (automatic)' if s.get('automatic') else ''}"
        rows.append(
            [
                p(meaning),
                p(s.get("printed_name")),
                p(s.get("at")),
                p(s.get("reason")),
                p(s.get("by")),
                p("yes" if s.get("ok") else "NO"),
            ]
        )
    table = Table(rows, colWidths=[28 * mm, 40 * mm, 45 * mm, 60 * mm, 85 * mm, 15 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    for problem in problems:
        story.append(p(f"PROBLEM: {problem}"))
    SimpleDocTemplate(str(path), pagesize=landscape(A4), title=f"Approval sheet {run_id}").build(story)


def _check_sealed(
    folder: str | Path, result: package.VerifyResult, *, trusted_approvals_key: bytes | None = None, **_: Any
) -> None:
    check(folder, result, trusted_public_key=trusted_approvals_key)


package.SEALED_CHECKS.append(_check_sealed)
