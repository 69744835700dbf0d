"""Reuse of a previous run's static scan when every input of the scan is byte-identical.

checkov and the policy lint are deterministic functions of what they read: the Terraform code under
``terraform/`` and ``modules/`` (and any other Terraform file the plan enrichment may read), the plan of
the converged platform, the scanners' own versions and their options. A warm ``validate`` over an
unchanged tree and an unchanged platform would spend some 25 CPU-seconds to find the same results again.

So every scan records its inputs' SHA-256 (:data:`RECORD` in the evidence package, sealed with it), and
the next run computes its own: when an earlier run in the local evidence folder (newest first) has the
same digest and its package still verifies against its signed manifest, that run's results are copied
into the new package (so it stays self-contained and verifiable offline) and the record says where they
came from (``reused_from``: the run that scanned, the digest, the scanners' versions). Any difference,
a missing, unreadable or altered earlier package, or ``--fresh-scan``: the scan runs.

The digest covers (each listed in the record by its own SHA-256):

- ``files``: every file under ``terraform/`` and ``modules/`` (``.terraform/`` excepted: checkov does not
  read it) and every Terraform file (``*.tf``, ``*.tf.json``, ``*.tfvars``, ``*.tfvars.json``) or checkov
  configuration (``.checkov.yaml``/``.yml``) elsewhere under the repository (hidden folders excepted);
- ``plan``: the converged plan's JSON as the scanners read it (``relevant_attributes``, which Terraform
  writes in a varying order, sorted: :func:`steady_plan`) without Terraform's top-level ``timestamp``,
  canonically serialised;
- ``environment``: every distribution installed in ``.venv-checkov`` (checkov and parliament with their
  versions, and everything they run on), the checkov options and environment
  (:func:`harness.validation.checkov.configuration`), and the source of the modules that run and read
  the scanners (``checkov.py``, ``policy_lint.py``, ``parliament_run.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from harness.ml.digest import sha256_file

#: The record of a scan's inputs, in the run folder (sealed with the package).
RECORD = "scan-inputs.json"
SCHEMA = "harness.validation/scan-inputs/v1"
#: The folders checkov scans, hashed whole.
SCANNED = ("terraform", "modules")
#: Folders checkov skips by default (and that hold no input of ours).
SKIPPED_DIRS = frozenset({".terraform", "node_modules", ".serverless", ".git", "__pycache__"})
#: The harness's run-time state under ``terraform/`` when the work folder is the repository
#: (``Layout.state_dir``: state, emulator marker, release file): no scanner reads it, it changes with
#: every apply and emulator restart, and deploy writes it while the overlapped scan hashes its inputs.
#: What it changes in the platform reaches the digest through the plan.
RUNTIME_DIRS = frozenset({"terraform/state"})
#: Files elsewhere in the repository that a scan could read (the plan enrichment reads the repo root).
TERRAFORM_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json")
CHECKOV_CONFIG = (".checkov.yaml", ".checkov.yml")
#: The modules that run the scanners and turn their output into results.
SCANNER_CODE = ("checkov.py", "policy_lint.py", "parliament_run.py")
#: How many earlier runs are looked at, newest first.
LOOK_BACK = 30


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()


def input_files(repo_root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file a scan may read (see the module's docstring)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(repo_root):
        base = Path(dirpath)
        rel_dir = base.relative_to(repo_root)
        top = rel_dir.parts[0] if rel_dir.parts else ""
        whole = top in SCANNED
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIPPED_DIRS
            and (rel_dir / d).as_posix() not in RUNTIME_DIRS
            and (whole or not d.startswith("."))
        )
        for name in filenames:
            if whole or name.endswith(TERRAFORM_SUFFIXES) or name in CHECKOV_CONFIG:
                path = base / name
                if path.is_file():
                    out[(rel_dir / name).as_posix()] = sha256_file(path)
    return dict(sorted(out.items()))


def environment(repo_root: Path) -> dict[str, Any]:
    """The scanners' installation, options and the code that runs them."""
    from harness.validation import checkov

    venv = repo_root / ".venv-checkov"
    dists = sorted(
        p.name.removesuffix(".dist-info") for p in venv.glob("lib/python*/site-packages/*.dist-info")
    )
    here = Path(__file__).parent
    return {
        "distributions": dists,
        "checkov_options": checkov.configuration(),
        "code": {name: sha256_file(here / name) for name in SCANNER_CODE},
    }


def steady_plan(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The plan as the scanners read it: Terraform writes ``relevant_attributes`` (a set of resource and
    attribute pairs) in a varying order from one plan to the next of the same platform; sorted, two
    plans of an unchanged platform are the same bytes but for their ``timestamp``."""
    out = dict(plan)
    if isinstance(out.get("relevant_attributes"), list):
        out["relevant_attributes"] = sorted(
            out["relevant_attributes"], key=lambda item: json.dumps(item, sort_keys=True)
        )
    return out


def plan_digest(plan: Mapping[str, Any]) -> str:
    """The plan's SHA-256 (as :func:`steady_plan` gives it) without Terraform's top-level ``timestamp``
    (the moment it was made)."""
    return _sha(_canonical({k: v for k, v in steady_plan(plan).items() if k != "timestamp"}))


def version_of(dists: Iterable[str], name: str) -> str | None:
    prefix = f"{name}-"
    return next((d.removeprefix(prefix) for d in dists if d.lower().startswith(prefix)), None)


@dataclasses.dataclass
class Inputs:
    """What a scan read, hashed; ``digest`` is the one the reuse compares."""

    files: dict[str, str]
    environment: dict[str, Any]
    plan: str | None = None

    @classmethod
    def of(cls, repo_root: Path) -> Inputs:
        return cls(input_files(repo_root), environment(repo_root))

    @property
    def code_digest(self) -> str:
        """Everything but the plan (known before the platform has settled)."""
        return _sha(_canonical({"files": self.files, "environment": self.environment}))

    @property
    def digest(self) -> str | None:
        if self.plan is None:
            return None
        return _sha(_canonical({"code": self.code_digest, "plan": self.plan}))

    def versions(self) -> dict[str, str | None]:
        dists = self.environment["distributions"]
        return {"checkov": version_of(dists, "checkov"), "parliament": version_of(dists, "parliament")}


def write_record(
    run_dir: Path,
    inputs: Inputs,
    *,
    scanners: Iterable[str],
    complete: bool,
    reused_from: Mapping[str, Any] | None = None,
    code_scans_reused_from: Mapping[str, Any] | None = None,
    why_scanned: str | None = None,
    refused: Iterable[str] = (),
) -> Path:
    """The record of this run's scan inputs (and, when reused, where its results came from; ``refused``:
    the earlier packages with matching inputs that were passed over, and why: altered, signed with
    another key, incomplete)."""
    origin = (reused_from or {}).get("run") or run_dir.name
    code_origin = (code_scans_reused_from or {}).get("run") or (reused_from or {}).get("code_run") or origin
    record = {
        "schema": SCHEMA,
        "digest": inputs.digest,
        "code_digest": inputs.code_digest,
        "plan_sha256": inputs.plan,
        "versions": inputs.versions(),
        "scanners": list(scanners),
        # only a scan that produced every scanner's results can be reused by a later run
        "complete": complete,
        "scanned_in": origin,
        "reused_from": dict(reused_from) if reused_from else None,
        # the code scans (terraform/, modules/) alone, reused when only the plan differed
        "code_scanned_in": code_origin,
        "code_scans_reused_from": dict(code_scans_reused_from) if code_scans_reused_from else None,
        "why_scanned": None if reused_from else why_scanned,
        "earlier_packages_refused": list(refused),
        "files": inputs.files,
        "environment": inputs.environment,
    }
    path = run_dir / RECORD
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def _records(evidence_root: Path, exclude: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Earlier runs' scan records, newest first (run ids sort by time)."""
    out = []
    runs = sorted(
        (p for p in evidence_root.iterdir() if p.is_dir() and not p.is_symlink() and p.name != exclude.name),
        key=lambda p: p.name,
        reverse=True,
    )
    for run_dir in runs[:LOOK_BACK]:
        try:
            record = json.loads((run_dir / RECORD).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("schema") == SCHEMA and record.get("complete"):
            out.append((run_dir, record))
    return out


def candidates(evidence_root: Path, exclude: Path, inputs: Inputs) -> list[tuple[Path, dict[str, Any]]]:
    """Earlier complete scans whose code and environment were this run's (the plan is compared later,
    once the platform has settled)."""
    if not evidence_root.is_dir():
        return []
    code = inputs.code_digest
    return [(d, r) for d, r in _records(evidence_root, exclude) if r.get("code_digest") == code]


@dataclasses.dataclass
class Found:
    """An earlier run whose scan can be reused, or why none could."""

    run_dir: Path | None
    record: dict[str, Any] | None
    rejected: list[str]


def find(
    found: list[tuple[Path, dict[str, Any]]],
    *,
    match: Callable[[Mapping[str, Any]], bool],
    needs: Iterable[str],
    verify: Callable[[Path], Any],
    verified: dict[Path, Any] | None = None,
) -> Found:
    """The newest earlier run whose record ``match``-es, that holds the results (folders or files) it
    ``needs``,
    and whose package verifies; ``rejected`` says why a matching one was passed over (altered, signed
    with another key, incomplete). ``verified`` caches the verifications between calls."""
    cache = {} if verified is None else verified
    rejected: list[str] = []
    for run_dir, record in found:
        if not match(record):
            continue
        missing = [name for name in needs if not (run_dir / name).exists()]
        if missing:
            rejected.append(f"{run_dir.name}: no {', '.join(missing)} results")
            continue
        if run_dir not in cache:
            cache[run_dir] = verify(run_dir)
        result = cache[run_dir]
        if not result.ok:
            problems = result.all_problems() or ["its package does not verify"]
            rejected.append(f"{run_dir.name}: {'; '.join(problems[:3])}")
            continue
        return Found(run_dir, record, rejected)
    return Found(None, None, rejected)


def copy_results(source: Path, run_dir: Path, scanners: Iterable[str]) -> None:
    """Copy each scanner's results folder of ``source`` into the run (the package stays whole)."""
    for name in scanners:
        target = run_dir / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source / name, target)


def reused_from(found: Found, inputs: Inputs, *, code_only: bool = False) -> dict[str, Any]:
    """What the new package records about the results it carries: the run that scanned, the package
    they were copied from, the digest they were reused on, the scanners' versions and the words."""
    assert found.run_dir is not None and found.record is not None
    record = found.record
    if code_only:
        origin = record.get("code_scanned_in") or record.get("scanned_in") or found.run_dir.name
        digest, what, scans = inputs.code_digest, "code identical", ["terraform", "modules"]
    else:
        origin = record.get("scanned_in") or found.run_dir.name
        digest, what, scans = inputs.digest, "inputs identical", None
    reuse: dict[str, Any] = {
        "run": origin,
        "code_run": record.get("code_scanned_in") or origin,
        "copied_from": found.run_dir.name,
        "digest": digest,
        "scans": scans,
        "versions": inputs.versions(),
        "package_verified": True,
    }
    prefix = "checkov terraform/, modules/ " if code_only else ""
    reuse["said"] = f"{prefix}reused from {origin} ({what}, sha256 {digest})"
    return reuse


def describe(reuse: Mapping[str, Any]) -> str:
    """``reused from <run> (inputs identical, sha256 <digest>)``: the words the report, the receipt
    and the terminal use."""
    return str(reuse["said"])
