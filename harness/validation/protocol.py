"""The qualification protocol: what a run will execute, fixed before it runs and approved by a person.

A protocol is the specification (``features/requirements.yaml``: its version and SHA-256) and the
SHA-256 of every ``.feature`` file and every step module under ``features/``. Its identity is the
SHA-256 of that list (:func:`protocol_sha256`), so any change to a requirement, a scenario or a step
makes a new protocol. ``python -m harness protocol`` prints it and records it in
``<work>/protocols/<sha256>/protocol.json``; a person approves it by signing that record with
``python -m harness sign`` (the signed-record format of :mod:`harness.validation.signatures`), which
writes under ``approvals/`` beside it. ``validate`` records the protocol it ran and whether that
protocol was approved before the run: an unapproved protocol is noted and can never be release-grade.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.ml.digest import sha256_file
from harness.validation.recorder import iso, to_jsonable, utc_now

PROTOCOL_FORMAT = "harness.validation/protocol/v1"
PROTOCOL_FILE = "protocol.json"
APPROVALS_DIR = "approvals"
#: What a protocol consists of, relative to the repository root.
PATTERNS = ("features/requirements.yaml", "features/**/*.feature", "features/**/*.py")


def protocol_files(root: Path) -> list[dict[str, str]]:
    """``[{"path", "kind", "sha256"}]`` of the specification, every feature file and step module."""
    found: dict[str, Path] = {}
    for pattern in PATTERNS:
        for path in root.glob(pattern):
            if path.is_file() and "__pycache__" not in path.parts:
                found[path.relative_to(root).as_posix()] = path
    out = []
    for rel in sorted(found):
        kind = (
            "specification" if rel.endswith(".yaml") else "feature" if rel.endswith(".feature") else "steps"
        )
        out.append({"path": rel, "kind": kind, "sha256": sha256_file(found[rel])})
    return out


def protocol_sha256(version: str, files: list[Mapping[str, str]]) -> str:
    """The protocol's identity: SHA-256 of its version and file hashes (not of when it was recorded)."""
    body = json.dumps({"version": version, "files": [dict(f) for f in files]}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def build_protocol(root: Path) -> dict[str, Any]:
    """The protocol of the work tree at ``root``."""
    from harness.validation.requirements import load_requirements

    spec = load_requirements(root / "features" / "requirements.yaml")
    files = protocol_files(root)
    sha = protocol_sha256(spec.version, files)
    return {
        "format": PROTOCOL_FORMAT,
        "sha256": sha,
        "specification_version": spec.version,
        "requirements_sha256": next(f["sha256"] for f in files if f["kind"] == "specification"),
        "requirements": len(spec),
        "history": to_jsonable([dict(h) for h in spec.history]),
        "files": files,
        "recorded": iso(utc_now()),
    }


def record_dir(work_dir: Path, sha256: str) -> Path:
    return work_dir / "protocols" / sha256


def record_protocol(protocol: Mapping[str, Any], work_dir: Path) -> Path:
    """Write the protocol record (once: a recorded protocol is never rewritten) and return its folder."""
    folder = record_dir(work_dir, str(protocol["sha256"]))
    path = folder / PROTOCOL_FILE
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dict(protocol), indent=2, sort_keys=True) + "\n")
    return folder


def approvals(folder: Path) -> list[dict[str, Any]]:
    """The valid ``approved`` signatures on the sealed protocol record in ``folder``.

    A protocol is approved like a package: its record folder is sealed (:func:`seal`) and people sign it
    with ``python -m harness sign <folder>`` (reviewed, then approved through the approver role); each
    signature is linked to the sealed record by its manifest's SHA-256, so an approval of another
    protocol never counts."""
    if not (folder / APPROVALS_DIR).is_dir():
        return []
    from harness.validation import approvals as signed

    return [
        {"name": r.get("printed_name"), "time": r.get("signed_at"), "manifestation": r.get("manifestation")}
        for r in signed.read(folder).valid(meaning="approved")
    ]


def seal(folder: Path, *, kms_client: Any, key_id: str, author: Mapping[str, Any] | None = None) -> bool:
    """Seal the protocol record (manifest + KMS seal, as a package) so people can sign it; once.

    ``author`` (the STS identity recording it) is kept as the record's executor: whoever wrote the
    protocol does not review or approve it."""
    from harness.validation import package

    if (folder / package.MANIFEST).is_file():
        return False
    context = {"kind": "protocol", "executor": dict(author) if author else None, "recorded": iso(utc_now())}
    (folder / "context.json").write_text(json.dumps(context, indent=2, sort_keys=True) + "\n")
    package.sign_package(folder, kms_client=kms_client, key_id=key_id, run_id=f"protocol-{folder.name[:12]}")
    return True


def status(root: Path, work_dir: Path) -> dict[str, Any]:
    """What ``validate`` records: the protocol it runs, where its record is and whether it was approved."""
    protocol = build_protocol(root)
    folder = record_protocol(protocol, work_dir)
    signed = approvals(folder)
    return {
        "sha256": protocol["sha256"],
        "specification_version": protocol["specification_version"],
        "requirements_sha256": protocol["requirements_sha256"],
        "files": len(protocol["files"]),
        "record": str(folder / PROTOCOL_FILE),
        "approved": bool(signed),
        "approvals": signed,
        "note": None
        if signed
        else "this protocol was not approved before the run: the run cannot be release-grade "
        f"(approve it with `python -m harness sign {folder} --meaning approved --name NAME`)",
    }


def describe(protocol: Mapping[str, Any]) -> str:
    """The protocol as a reviewer reads it."""
    lines = [
        f"protocol {protocol['sha256']}",
        f"  specification version {protocol['specification_version']} ({protocol['requirements']} "
        f"requirements), requirements.yaml sha256 {protocol['requirements_sha256']}",
    ]
    for h in protocol.get("history", []):
        lines.append(f"    v{h.get('version')} {h.get('date')}: {' '.join(str(h.get('change', '')).split())}")
    for f in protocol["files"]:
        lines.append(f"  {f['sha256']}  {f['kind']:<13} {f['path']}")
    return "\n".join(lines)
