"""The checkov gate: policy scans of the Terraform code and of the plan, run from checkov's own venv.

checkov pins its own boto3 (and much else), so it lives in ``.venv-checkov`` and is run as a command.
Any failed check fails the gate; suppressions are only inline (``#checkov:skip=ID:reason``) and the
reason of each is carried into the results so auditors read why.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.processes import run_captured
from harness.progress import Progress

#: Runs one command, output captured as text (``harness.processes.run_captured`` or ``Children.run``).
Runner = Callable[..., "subprocess.CompletedProcess[str]"]


class ScanError(HarnessError):
    """checkov could not run (not installed, crashed, unreadable output)."""


@dataclasses.dataclass
class Finding:
    check_id: str
    check_name: str
    resource: str
    file: str
    lines: list[int]
    reason: str | None = None  # the suppression comment of a skipped check


@dataclasses.dataclass
class ScanSummary:
    name: str
    target: str
    framework: str
    passed: int
    failed: int
    skipped: int
    parsing_errors: int
    failures: list[Finding]
    skips: list[Finding]
    output_dir: str


@dataclasses.dataclass
class ScanResult:
    scans: list[ScanSummary]
    checkov_version: str
    #: Set when the results are a previous run's, copied because the inputs were identical
    #: (``harness.validation.scan_reuse``): the run they came from, the input digest, checkov's version.
    reused: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return all(s.failed == 0 and s.parsing_errors == 0 for s in self.scans)

    def totals(self) -> dict[str, int]:
        return {
            "passed": sum(s.passed for s in self.scans),
            "failed": sum(s.failed for s in self.scans),
            "skipped": sum(s.skipped for s in self.scans),
            "parsing_errors": sum(s.parsing_errors for s in self.scans),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checkov_version": self.checkov_version,
            "totals": self.totals(),
            "scans": [dataclasses.asdict(s) for s in self.scans],
            "reused": self.reused,
        }

    def write(self, out_dir: Path) -> None:
        """``summary.json``: the package's own summary, with what :mod:`~harness.validation.scan_reuse`
        recorded when results were reused (written again by a reuse of the whole scan, after
        :func:`load`)."""
        (out_dir / "summary.json").write_text(json.dumps(self.to_dict(), indent=2))


#: How checkov is run: the code scans (name, arguments, target, framework), the plan scan's arguments
#: after ``-f <plan>``, the output options and the environment. They are the scan's configuration
#: (with inline suppressions, its only skip configuration): a change in them is a change of the
#: scan's inputs (``harness.validation.scan_reuse``).
CODE_SCANS: tuple[tuple[str, list[str], str, str], ...] = (
    ("terraform", ["-d", "terraform", "--framework", "terraform"], "terraform/", "terraform"),
    ("modules", ["-d", "modules", "--framework", "terraform"], "modules/", "terraform"),
)
#: enrichment maps plan resources back to the code, so inline suppressions apply there too
PLAN_ARGS = ("--framework", "terraform_plan", "--repo-root-for-plan-enrichment", ".")
OUTPUT_ARGS = ("--skip-download", "-o", "json", "-o", "junitxml", "--output-file-path")
ENVIRONMENT = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"}


def configuration() -> dict[str, Any]:
    """Everything that configures a scan besides the code and the plan (for the reuse digest)."""
    return {
        "code_scans": [[name, *args] for name, args, _, _ in CODE_SCANS],
        "plan_args": list(PLAN_ARGS),
        "output_args": list(OUTPUT_ARGS),
        "environment": ENVIRONMENT,
    }


def find_checkov(repo_root: Path) -> str:
    """checkov from the project's own environment, else from PATH."""
    candidate = repo_root / ".venv-checkov" / "bin" / "checkov"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("checkov")
    if found:
        return found
    raise ScanError("checkov is not installed", hint="run `make setup` (it creates .venv-checkov)")


#: The JSONPath parse tables checkov's environment reads instead of building them for every expression
#: (written by ``jsonpath_tables.py``; see there for the measurement).
JSONPATH_TABLES = (
    "bc_jsonpath_ng/parser_jsonpath_parsetab.py",
    "bc_jsonpath_ng/ext/parser_jsonpath_parsetab.py",
)


def ensure_jsonpath_tables(repo_root: Path, binary: str, runner: Runner = run_captured) -> None:
    """Write the JSONPath parse tables into ``.venv-checkov`` when they are missing (once per
    installation: a fresh one has none), when ``binary`` is that environment's checkov. A checkov found
    elsewhere (on PATH) is left as it is: its environment is not the project's to write into. A failure
    costs speed, not results, so it is not an error."""
    venv = repo_root / ".venv-checkov"
    python = venv / "bin" / "python"
    site = sorted(venv.glob("lib/python*/site-packages"))
    if Path(binary) != venv / "bin" / "checkov" or not python.is_file() or not site:
        return
    if not all((site[0] / table).is_file() for table in JSONPATH_TABLES):
        runner([str(python), str(Path(__file__).with_name("jsonpath_tables.py"))])


def _findings(items: Sequence[dict[str, Any]], *, skipped: bool) -> list[Finding]:
    out = []
    for item in items:
        out.append(
            Finding(
                check_id=item.get("check_id", ""),
                check_name=item.get("check_name", ""),
                resource=item.get("resource", ""),
                file=item.get("file_path", ""),
                lines=list(item.get("file_line_range") or []),
                reason=(item.get("check_result") or {}).get("suppress_comment") if skipped else None,
            )
        )
    return out


def _run(
    binary: str,
    name: str,
    args: list[str],
    out_dir: Path,
    cwd: Path,
    target: str,
    framework: str,
    runner: Runner = run_captured,
) -> tuple[ScanSummary, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(ENVIRONMENT)
    command = [binary, *args, *OUTPUT_ARGS, str(out_dir)]
    proc = runner(command, cwd=cwd, env=env)
    (out_dir / "checkov.log").write_text(f"$ {' '.join(command)}\n{proc.stdout}\n{proc.stderr}")
    results_file = out_dir / "results_json.json"
    if proc.returncode not in (0, 1) or not results_file.exists():
        raise ScanError(
            f"checkov failed on {target} (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}",
            hint=f"see {out_dir / 'checkov.log'}",
        )
    return _summarize(name, target, framework, out_dir)


def _summarize(name: str, target: str, framework: str, out_dir: Path) -> tuple[ScanSummary, str]:
    """One scan's summary and checkov's version, read from the JSON results checkov wrote."""
    data = json.loads((out_dir / "results_json.json").read_text())
    reports = data if isinstance(data, list) else [data]
    passed = failed = skipped = parsing = 0
    failures: list[Finding] = []
    skips: list[Finding] = []
    version = ""
    for report in reports:
        summary = report.get("summary", {})
        passed += summary.get("passed", 0)
        failed += summary.get("failed", 0)
        skipped += summary.get("skipped", 0)
        parsing += summary.get("parsing_errors", 0)
        version = summary.get("checkov_version", version)
        results = report.get("results", {})
        failures += _findings(results.get("failed_checks", []), skipped=False)
        skips += _findings(results.get("skipped_checks", []), skipped=True)
    summary_obj = ScanSummary(
        name, target, framework, passed, failed, skipped, parsing, failures, skips, str(out_dir)
    )
    return summary_obj, version


def scan(
    repo_root: Path,
    out_dir: Path,
    *,
    plan_json: Path | Callable[[], Path | None] | None = None,
    progress: Progress | None = None,
    runner: Runner = run_captured,
    code_results: Path | None = None,
    reused: dict[str, Any] | None = None,
) -> ScanResult:
    """Scan the root configuration (with its modules), every module on its own, and the plan JSON.

    ``plan_json`` may be a call that waits for the plan: the code scans start first, the plan's when
    it is there. ``runner`` runs each checkov process (``harness.processes.Children.run``: stoppable).
    ``code_results``: an earlier scan's folder whose code scans read byte-identical inputs
    (``harness.validation.scan_reuse``): their results are copied instead of scanning the code again,
    and ``reused`` (what scan_reuse recorded of them) goes into ``summary.json``."""
    binary = find_checkov(repo_root)
    say = progress or (lambda _m: None)
    jobs = CODE_SCANS
    ensure_jsonpath_tables(repo_root, binary)  # not through ``runner``, which runs checkov processes only
    # The scans are independent checkov processes: run them side by side, report them in order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs) + 1) as pool:
        futures = []
        for name, args, target, framework in jobs:
            earlier = code_results / name if code_results is not None else None
            if earlier is not None and (earlier / "results_json.json").is_file():
                say(f"checkov {framework} {target}: results copied from {code_results.parent.name}")
                shutil.copytree(earlier, out_dir / name, dirs_exist_ok=True)
                futures.append(pool.submit(_summarize, name, target, framework, out_dir / name))
                continue
            say(f"checkov {framework} {target}")
            futures.append(
                pool.submit(_run, binary, name, args, out_dir / name, repo_root, target, framework, runner)
            )
        plan_file = plan_json() if callable(plan_json) else plan_json
        if plan_file is not None:
            args = ["-f", str(plan_file), *PLAN_ARGS]
            say(f"checkov terraform_plan {plan_file.name}")
            futures.append(
                pool.submit(
                    _run,
                    binary,
                    "plan",
                    args,
                    out_dir / "plan",
                    repo_root,
                    plan_file.name,
                    "terraform_plan",
                    runner,
                )
            )
        outcomes = [f.result() for f in futures]
    scans: list[ScanSummary] = []
    version = next((v for _, v in outcomes if v), "")
    for summary, _ in outcomes:
        counts = f"passed {summary.passed}, failed {summary.failed}, skipped {summary.skipped}"
        say(f"      {summary.name}: {counts}")
        for f in summary.failures:
            where = f"{f.file}:{'-'.join(map(str, f.lines))}"
            say(f"      FAILED {f.check_id} {f.resource} ({where}) {f.check_name}")
        scans.append(summary)
    result = ScanResult(scans, version, reused)
    result.write(out_dir)
    return result


def load(out_dir: Path) -> ScanResult:
    """The result of a scan whose folders were copied to ``out_dir`` (a previous run's, reused),
    read from checkov's own JSON results again; ``summary.json`` is rewritten for the new place."""
    try:
        recorded = json.loads((out_dir / "summary.json").read_text())
        scans, version = [], str(recorded.get("checkov_version") or "")
        for entry in recorded["scans"]:
            name = entry["name"]
            summary, seen = _summarize(name, entry["target"], entry["framework"], out_dir / name)
            scans.append(summary)
            version = seen or version
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScanError(f"the scan results in {out_dir} are unreadable: {exc}") from exc
    result = ScanResult(scans, version)
    result.write(out_dir)
    return result
