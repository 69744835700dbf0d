"""``make validate``: the qualification as an explicit stage pipeline, always ending in an evidence package.

The pipeline is :data:`PIPELINE`, one declarative :class:`StageSpec` per stage (its function, the stages
it needs, the :class:`Run` fields it reads and writes). One :class:`Run` object carries everything a
stage hands to the next; every stage function takes the run and returns ``(ok, detail)``, so each can be
unit-tested with a hand-made run. :func:`execute` times every stage, records a failure and goes on
(a failed qualification is evidence too): the report stage always runs.

Adding a stage is one entry in :data:`PIPELINE` (a Gherkin suite: ``StageSpec("pq", suite_stage("pq"),
needs=("deploy",), suite=True)``); adding a static scanner is one entry in :data:`SCANNERS`.

A stage declared ``overlap=True`` (the scan: it reads only the code and the plan) starts in a thread
of its own as soon as the stages it needs have finished, runs beside the stages that wait on the
platform, and is waited for where it stands in the pipeline. Its row keeps its own seconds and says it
ran overlapped (and how long the pipeline waited for it); Ctrl-C or a crash stops it and its processes.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import botocore.exceptions
import numpy as np

from harness import modelapproval, processes, workflow
from harness import progress as events
from harness import target as targets
from harness.errors import ExitStatus, HarnessError
from harness.layout import OUTPUTS_FILE
from harness.processes import stop_process
from harness.progress import Progress
from harness.provisioning import REPO_ROOT, Layout, Platform

#: What a stage function returns: did it pass, and one line saying what it did.
Outcome = tuple[bool, str]


class QualificationFailed(HarnessError):
    """The qualification ran to its end and some stage failed (the evidence package says which)."""

    exit_status = ExitStatus.QUALIFICATION_FAILED


@dataclasses.dataclass
class Stage:
    """One row of the stage table."""

    name: str
    status: str = "not run"  # passed | failed | skipped | aborted | kept | not run
    seconds: float = 0.0
    detail: str = ""
    #: The STS identity the stage ran as (:func:`stage_identity`); None: it did not run.
    identity: dict[str, Any] | None = None
    #: It ran beside other stages (:attr:`StageSpec.overlap`): its seconds are not on the run's path;
    #: ``waited`` is how long the pipeline waited for it where it stands.
    overlapped: bool = False
    waited: float = 0.0
    #: A suite's cost per feature file (pytest's seconds: setup, steps, teardown) and its process
    #: start-up (``start-up``: the stage's seconds not spent in any scenario).
    parts: dict[str, float] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "detail": self.detail,
            "identity": self.identity,
            "overlapped": self.overlapped,
            "waited": round(self.waited, 2),
            "parts": {name: round(sec, 2) for name, sec in self.parts.items()},
        }

    @property
    def on_path(self) -> float:
        """The seconds this stage added to the run's wall time (an overlapped stage: what was waited)."""
        return self.waited if self.overlapped else self.seconds

    @property
    def identity_arn(self) -> str:
        """The ARN the stage ran as, with the session's person when it carries one."""
        return events.identity_arn(self.identity)


@dataclasses.dataclass
class Run:
    """One qualification run: its settings, its stage table and what the stages handed each other."""

    target_name: str
    layout: Layout
    run_dir: Path
    progress: Progress = events.PRINT
    environ: dict[str, str] = dataclasses.field(default_factory=dict)
    converge: bool = True
    started: str = ""
    stages: list[Stage] = dataclasses.field(default_factory=list)
    # handed from stage to stage (StageSpec.inputs / .outputs name these)
    target: targets.Target | None = None
    platform: Platform | None = None
    outputs: dict[str, Any] | None = None
    scans: dict[str, ScanOutcome] | None = None
    finalized: Any = None  # harness.validation.FinalizeResult
    signed: Any = None  # harness.validation.package.SignResult
    archived: Any = None  # harness.validation.package.ArchiveResult
    verified: dict[str, Any] | None = None
    #: Deviations found by stages themselves (e.g. drift repaired by apply), added to the report's.
    deviations: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: The protocol record this run executes (``harness.validation.protocol``).
    protocol: dict[str, Any] | None = None
    #: The drift check before apply (``harness.drift.DriftResult``), against ``baseline`` when given
    #: (an evidence folder or s3:// package), else this platform's latest approved or passing package.
    drift: Any = None
    baseline: str | None = None
    #: Scan even when an earlier run scanned byte-identical inputs (``--fresh-scan``): see :func:`scan`.
    fresh_scan: bool = False
    #: An earlier run's ``checkov`` folder whose code scans (terraform/, modules/) read byte-identical
    #: code with the same checkov: copied instead of scanned (set by :func:`scan` when only the plan differs).
    code_scans_from: Path | None = None
    code_scans_reused: dict[str, Any] | None = None
    #: Earlier packages the scan would have reused but refused, and why (``scan-inputs.json`` keeps it).
    scan_refused: list[str] = dataclasses.field(default_factory=list)
    #: The STS identity that started the run (the deploying identity; the evidence's executor).
    executor: Any = None  # harness.identity.Identity
    #: The target the current stage acts through (the deploying identity's, or a validation-role
    #: session for stages declared ``runs_as=VALIDATION``); set by :func:`run_stage` (never by an
    #: overlapped stage, which acts as the deploying identity).
    acting: targets.Target | None = None
    #: The plan of the platform as this run converged it (``harness.terraform.Plan``): set by the
    #: stages that change the platform (apply, deploy), read by the scan instead of planning again.
    plan: Any = None
    #: How to plan the platform as converged when a stage changed it and left :attr:`plan` unset:
    #: called once, by :meth:`settled_plan`, when a scanner first needs the plan. A cold run's apply
    #: is followed by deploy's own apply, so planning right after the first would be thrown away.
    settle: Callable[[], Any] | None = None
    #: Set when the run is interrupted or crashes: overlapped stages stop.
    cancelled: threading.Event = dataclasses.field(default_factory=threading.Event)
    #: The processes overlapped stages run (checkov, parliament): stopped with the run, and run at a
    #: lower priority, so that the stages on the run's path keep the CPU they need.
    children: processes.Children = dataclasses.field(default_factory=lambda: processes.Children(nice=10))
    _finished: dict[str, threading.Event] = dataclasses.field(default_factory=dict, repr=False)
    _changes_platform: tuple[str, ...] = ()

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    @property
    def passed(self) -> bool:
        return all(s.status in ("passed", "kept") for s in self.stages)

    def wait_for(self, *names: str) -> None:
        """Block until the named stages have finished (whatever their outcome); Ctrl-C of the run
        ends the wait with :class:`KeyboardInterrupt`."""
        for name in names:
            event = self._finished.get(name)
            while event is not None and not event.wait(0.2):
                if self.cancelled.is_set():
                    raise KeyboardInterrupt
            if self.cancelled.is_set():
                raise KeyboardInterrupt

    def settled_plan(self) -> Any:
        """The converged plan once every stage that may change the platform has finished."""
        self.wait_for(*self._changes_platform)
        if self.plan is None and self.settle is not None:
            self.plan, self.settle = self.settle(), None
        return self.plan

    def table(self) -> str:
        width = max(len(s.name) for s in self.stages)
        lines = []
        for s in self.stages:
            lines.append(f"  {s.name:<{width}}  {s.status:<8} {s.seconds:7.1f}s  {s.detail}")
            if s.overlapped and s.status != "not run":
                lines.append(
                    f"  {'':<{width}}  ran overlapped with the stages before it; waited {s.waited:.1f}s"
                )
            if s.parts:
                lines.append(
                    f"  {'':<{width}}  cost: " + ", ".join(_part(n, sec) for n, sec in s.parts.items())
                )
            if s.identity:
                lines.append(f"  {'':<{width}}  as {s.identity_arn}")
        wall = sum(s.on_path for s in self.stages)
        lines.append(
            f"  {'total':<{width}}  {'':<8} {wall:7.1f}s  (wall: overlapped stages count what was waited)"
        )
        lines.append(f"  {'cost':<{width}}  {costs_line(self)}")
        return "\n".join(lines)

    def costs(self) -> dict[str, float]:
        """:func:`suite_costs` of this run."""
        return suite_costs(self.stages)

    def stage_table(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.stages]


#: The run object is the qualification's result too.
Qualification = Run
StageFn = Callable[[Run], Outcome | None]


@dataclasses.dataclass(frozen=True)
class StageSpec:
    """One stage of the pipeline, declared.

    ``needs``: stages that must have passed (or been kept) first, else this one is skipped.
    ``inputs``: :class:`Run` fields that must be set before it runs; ``outputs``: fields it sets.
    ``installed``: when qualifying the platform as installed (``converge=False``), run this function
    instead; ``keep_installed``: or do not run at all and keep what is installed.
    ``suite``: a Gherkin suite whose ``results.json`` the report merges.
    ``runs_as``: :data:`DEPLOYER` (the identity that started the run) or :data:`VALIDATION` (a session
    of the platform's validation role, output ``validation_role_arn``).
    ``overlap``: start in a thread as soon as ``needs`` have finished and run beside the stages in
    between; the pipeline waits for it where it stands. It runs as the deploying identity and must not
    run Terraform (the stages beside it do).
    """

    name: str
    run: StageFn
    needs: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    installed: StageFn | None = None
    keep_installed: bool = False
    suite: bool = False
    runs_as: str = "deployer"
    overlap: bool = False


#: Who runs a stage (:attr:`StageSpec.runs_as`).
DEPLOYER = "deployer"
VALIDATION = "validation"


@dataclasses.dataclass
class ScanOutcome:
    """What one static scanner of the scan stage found; ``record`` goes into the report."""

    ok: bool
    detail: str
    record: Any = None


#: The plan JSON for a scanner: a call that waits until the platform has settled (apply and deploy
#: finished), then gives the file (None: there is no plan).
PlanSource = Callable[[], Path | None]


@dataclasses.dataclass(frozen=True)
class ScannerSpec:
    """One static scanner of the scan stage: ``run(run, out_dir, plan_json) -> ScanOutcome``; it may
    start on the code at once and call ``plan_json()`` when it needs the plan."""

    name: str
    run: Callable[[Run, Path, PlanSource], ScanOutcome]
    #: Rebuilds the outcome from results copied from an earlier run whose scan inputs were identical
    #: (``harness.validation.scan_reuse``); None: this scanner always runs.
    load: Callable[[Path], ScanOutcome] | None = None


def _utc() -> str:
    from harness.validation.recorder import iso, utc_now

    return iso(utc_now())


# ------------------------------------------------------------------------------------------------ stages


def up(run: Run) -> Outcome:
    """Reach the target (the local emulator is started when needed)."""
    run.target = targets.resolve(
        run.target_name,
        state_dir=run.layout.emulator_dir,
        autostart=True,
        environ=run.environ,
        progress=run.progress,
    )
    from harness.identity import caller

    run.executor = caller(run.target)
    return True, run.target.endpoint_url or "AWS"


def apply(run: Run) -> Outcome:
    """Converge the platform with Terraform; keep the converged plan for the scan (no second plan)."""
    assert run.target is not None
    plat = Platform(run.target, layout=run.layout, progress=run.progress)
    result = plat.apply()
    run.platform, run.outputs = plat, plat.outputs()
    _converged(run, plat)
    return True, f"{result.done} changes"


def _converged(run: Run, plat: Platform) -> None:
    """Hand the scan the plan of the platform as ``plat`` just converged it: the plan itself when there
    was nothing to do, else a plan made once the scan asks (``Run.settle``), which a later apply in
    the same run replaces."""
    run.plan = plat.converged_plan
    run.settle = None if run.plan is not None else functools.partial(plat.plan, refresh=False)


def installed(run: Run) -> Outcome:
    """Locate the platform as installed, without converging it (its plan is what the scan reads)."""
    assert run.target is not None
    plat = Platform(run.target, layout=run.layout, progress=run.progress)
    run.platform, run.outputs = plat, plat.outputs()
    if not run.outputs.get("data_lake_bucket"):
        raise HarnessError("the platform is not installed on this target", hint="run `make apply` first")
    run.plan = plat.plan()
    return True, "as installed (not converged)"


def train(run: Run) -> Outcome:
    """Train on the platform and register the model package (approved when it meets its criterion)."""
    assert run.target is not None and run.outputs is not None
    job = workflow.train(run.target, run.outputs, layout=run.layout, progress=run.progress)
    (run.run_dir / "training.json").write_text(json.dumps(job.to_dict(), indent=2))
    detail = f"{job.job_name} holdout AUC {job.holdout_auc:.3f} {job.approval}"
    if job.same_as is not None:
        detail += f" (byte-identical to version {job.same_as['version']}: not registered again)"
    return job.approval == "Approved", detail


def deploy(run: Run) -> Outcome:
    """Release the latest approved model package to the endpoint, unless the live endpoint already
    serves exactly that package (:func:`harness.workflow.release_unchanged`): then it is kept, and the
    evidence (``deploy.json``, the stage's detail) says which version and why."""
    target, outputs = run.target, run.outputs
    assert target is not None and outputs is not None
    pkg = workflow.latest_approved_package(target, outputs["model_package_group_name"])
    decision = workflow.release_unchanged(target, outputs.get("endpoint_name"), pkg, layout=run.layout)
    (run.run_dir / "deploy.json").write_text(json.dumps(decision, indent=2, default=str) + "\n")
    version = f"version {pkg.get('ModelPackageVersion')} ({pkg['ModelPackageArn']})"
    if decision["unchanged"]:
        run.progress(f"  the endpoint already serves {version}: {decision['why']}")
        return True, f"kept: {outputs['endpoint_name']} already serves {version}, InService; no redeploy"
    run.progress(f"  deploying {version}: {decision['why']}")
    workflow.write_release(run.layout, target, pkg)
    plat = Platform(target, layout=run.layout, progress=run.progress)
    # apply refreshed every resource of the platform moments ago in this run; the release changes only
    # the model behind the endpoint, so this plan compares with the state as recorded.
    plat.apply(refresh=False)
    run.platform, run.outputs = plat, plat.outputs()
    _converged(run, plat)
    ep = target.client("sagemaker").describe_endpoint(EndpointName=run.outputs["endpoint_name"])
    return ep[
        "EndpointStatus"
    ] == "InService", f"{ep['EndpointName']} {ep['EndpointStatus']} serving {version}"


def suite_stage(name: str) -> StageFn:
    """The stage function of one Gherkin suite (``features/<name>``)."""

    def run_stage(run: Run) -> Outcome:
        acting = run.acting or run.target
        credentials = acting.credential_env() if acting is not None else {}
        t0 = time.monotonic()
        outcome = run_suite(
            name,
            run.run_dir,
            run.layout,
            run.target_name,
            run.progress,
            credentials=credentials,
            outputs=run.outputs,
        )
        stage = run.stage(name) if any(s.name == name for s in run.stages) else None
        if stage is not None:
            stage.parts = suite_parts(run.run_dir / name, time.monotonic() - t0)
            if stage.parts:
                run.progress(events.StageCost(name, dict(stage.parts)))
        return outcome

    run_stage.__name__ = run_stage.__qualname__ = f"suite_{name}"
    run_stage.__doc__ = f"The {name.upper()} suite (features/{name}) against the live platform."
    return run_stage


#: The stages the qualification's time goal is about (a warm platform: within 45 s together).
CORE_STAGES = ("apply", "train", "deploy", "iq", "oq", "scan", "report", "verify")
#: The suites added after the core, each reported with its own cost: a name and the feature files
#: (path prefixes) that are it.
SUITE_COSTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("PQ", ("features/pq/",)),
    ("MLOps", ("features/oq/mlops.feature",)),
    ("feature store", ("features/iq/featurestore.feature", "features/oq/featurestore.feature")),
    ("built-in algorithm", ("features/oq/algorithm.feature",)),
)
#: A suite's process start-up, imports and collection (its seconds not spent in any scenario).
STARTUP = "start-up"


def suite_parts(stage_dir: Path, seconds: float) -> dict[str, float]:
    """A suite's cost per feature file (pytest's seconds per scenario: setup, steps, teardown) and its
    start-up, from the ``results.json`` it recorded; the costliest first."""
    path = stage_dir / "results.json"
    if not path.is_file():
        return {}
    try:
        scenarios = json.loads(path.read_text()).get("scenarios", [])
    except ValueError:
        return {}
    parts: dict[str, float] = {}
    for sc in scenarios:
        cost = sc.get("elapsed")
        cost = sc.get("duration") if cost is None else cost
        parts[sc["feature_file"]] = parts.get(sc["feature_file"], 0.0) + float(cost or 0.0)
    ordered = dict(sorted(parts.items(), key=lambda kv: -kv[1]))
    ordered[STARTUP] = max(0.0, seconds - sum(parts.values()))
    return ordered


def _part(name: str, seconds: float) -> str:
    return f"{name.removeprefix('features/')} {seconds:.1f}s"


def suite_costs(stages: Sequence[Stage]) -> dict[str, float]:
    """Where a run's wall time went: ``core`` (the :data:`CORE_STAGES` without the later suites'
    feature files), each suite of :data:`SUITE_COSTS`, and ``other`` (up, drift, snapshot, receipt)."""
    costs = dict.fromkeys(["core", *(name for name, _ in SUITE_COSTS), "other"], 0.0)

    def suite_of(feature_file: str) -> str | None:
        return next((n for n, prefixes in SUITE_COSTS if feature_file.startswith(prefixes)), None)

    for s in stages:
        whole = suite_of(f"features/{s.name}/")
        if whole is not None:
            costs[whole] += s.on_path
            continue
        bucket = "core" if s.name in CORE_STAGES else "other"
        later = 0.0
        for feature_file, seconds in s.parts.items():
            name = suite_of(feature_file)
            if name is not None:
                costs[name] += seconds
                later += seconds
        costs[bucket] += max(0.0, s.on_path - later)
    return {k: round(v, 2) for k, v in costs.items()}


def costs_line(run: Run) -> str:
    """One line: the core stages' wall time against the goal, then each later suite's own cost."""
    costs = run.costs()
    core = f"core ({', '.join(CORE_STAGES)}) {costs['core']:.1f}s (goal: 45s warm)"
    rest = [f"{name} {costs[name]:.1f}s" for name, _ in SUITE_COSTS] + [f"other {costs['other']:.1f}s"]
    return "; ".join([core, *rest])


def drift_check(run: Run) -> Outcome:
    """Compare the live platform with its qualified baseline before apply can repair anything: every
    change becomes a deviation of kind "drift" naming the resource (its repair is checked later)."""
    from harness import drift

    assert run.target is not None
    plat = Platform(run.target, layout=run.layout, progress=run.progress)
    outputs = plat.outputs()
    if not outputs.get("data_lake_bucket"):
        return True, "nothing installed yet: no baseline to compare"
    result, _ = drift.detect(
        run.target,
        outputs,
        work_dir=run.layout.work_dir,
        state_serial=plat.state_serial(),
        baseline=run.baseline,
        progress=run.progress,
    )
    run.drift = result
    drift.write_record(result, run.run_dir / "drift")
    for change in result.changes:
        run.progress(f"  drift: {change.describe()}")
    run.deviations.extend(drift.deviations(result))
    return True, result.summary() + (" (recorded as deviations)" if result.changes else "")


def snapshot(run: Run) -> Outcome:
    """The live platform as qualified, written into the package before it is sealed (a later run's
    baseline); and whether the run's apply repaired the drift found before it."""
    from harness import drift

    assert run.target is not None and run.platform is not None
    snap = drift.take_snapshot(
        run.target, run.outputs or {}, state_serial=run.platform.state_serial(), progress=run.progress
    )
    (run.run_dir / drift.SNAPSHOT_FILE).write_text(json.dumps(snap, indent=2, default=str) + "\n")
    detail = f"{len(snap['resources'])} live resources, state serial {snap['state_serial']}"
    if run.drift is not None and run.drift.changes:
        fixed = drift.mark_repairs(run.deviations, run.drift, snap)
        detail += f"; {fixed} of {len(run.drift.changes)} drift change(s) repaired"
    return True, detail


def checkov_scanner(run: Run, out_dir: Path, plan_json: PlanSource) -> ScanOutcome:
    """checkov over terraform/, modules/ (at once) and the plan (once settled): any failed check fails
    the gate."""
    from harness.validation import checkov

    result = checkov.scan(
        run.layout.root,
        out_dir,
        plan_json=plan_json,
        progress=run.progress,
        runner=run.children.run,
        code_results=run.code_scans_from,
        reused=run.code_scans_reused if run.code_scans_from is not None else None,
    )
    return _checkov_outcome(result)


def _checkov_outcome(result: Any) -> ScanOutcome:
    t = result.totals()
    return ScanOutcome(
        ok=result.ok,
        detail=f"checkov passed {t['passed']}, failed {t['failed']}, skipped {t['skipped']}",
        record=result,
    )


def checkov_load(out_dir: Path) -> ScanOutcome:
    """checkov's results copied from an earlier run (identical inputs), read back."""
    from harness.validation import checkov

    return _checkov_outcome(checkov.load(out_dir))


def policy_lint_scanner(run: Run, out_dir: Path, plan_json: PlanSource) -> ScanOutcome:
    """parliament over the IAM/KMS/S3 policies rendered in the plan: any unreasoned finding fails the gate."""
    from harness.validation import policy_lint

    path = plan_json()
    if path is None:
        return ScanOutcome(ok=False, detail="policy lint NOT run: no plan of the platform", record=None)
    result = policy_lint.lint(
        run.layout.root,
        out_dir,
        plan=json.loads(path.read_text()),
        progress=run.progress,
        runner=run.children.run,
    )
    return _policy_lint_outcome(result)


def _policy_lint_outcome(result: Any) -> ScanOutcome:
    t = result.totals()
    return ScanOutcome(
        ok=result.ok,
        detail=f"policy lint {t['policies']} policies, {t['findings']} findings, {t['reasoned']} reasoned",
        record=result,
    )


def policy_lint_load(out_dir: Path) -> ScanOutcome:
    """The policy lint's results copied from an earlier run (identical inputs), read back."""
    from harness.validation import policy_lint

    return _policy_lint_outcome(policy_lint.load(out_dir))


#: The static scanners of the scan stage, run side by side over the same plan.
SCANNERS: tuple[ScannerSpec, ...] = (
    ScannerSpec("checkov", checkov_scanner, load=checkov_load),
    ScannerSpec("policy-lint", policy_lint_scanner, load=policy_lint_load),
)


def scan(run: Run, scanners: Sequence[ScannerSpec] | None = None) -> Outcome:
    """Every scanner of :data:`SCANNERS` over the code and the plan; the gate passes when all pass.

    The scanners start on the code at once; the plan they read is the one the run converged the
    platform to (:attr:`Run.plan`, from apply, or from deploy when it changed the release), handed
    over once those stages have finished: no second Terraform plan; its JSON is read when a scanner
    first needs it (``terraform show``, see :class:`~harness.terraform.Plan`).

    When an earlier run of the local evidence folder scanned byte-identical inputs (the same code,
    plan, scanner versions and options: ``harness.validation.scan_reuse``) and its package verifies
    against its manifest, signed by this platform's signing key, its results are copied into this run
    instead (``reused from <run> (inputs identical, sha256 ...)``); ``--fresh-scan`` always scans. Every
    run records its scan's inputs (``scan-inputs.json``) for the next one."""
    from harness.validation import scan_reuse

    scanners = SCANNERS if scanners is None else scanners
    names = [spec.name for spec in scanners]
    plan_dir = run.run_dir / "checkov"
    plan_dir.mkdir(parents=True, exist_ok=True)
    plan_json = plan_dir / "tfplan.json"
    lock = threading.Lock()
    written: list[Path | None] = []
    inputs = scan_reuse.Inputs.of(run.layout.root)

    def settled_plan_file() -> Path | None:
        with lock:
            if not written:
                plan = run.settled_plan()
                if plan is not None:
                    plan_json.write_text(json.dumps(scan_reuse.steady_plan(plan.data)))
                    inputs.plan = scan_reuse.plan_digest(plan.data)
                written.append(plan_json if plan is not None else None)
            return written[0]

    try:
        why, reuse = _reusable_scan(run, scanners, inputs, settled_plan_file)
        if reuse is not None:
            run.scans = reuse
        else:
            run.progress(f"  scan: scanning ({why})")
            # the plan went with copies that could not be read: write it again for the scanners
            if written and written[0] is not None and not plan_json.exists():
                plan_dir.mkdir(parents=True, exist_ok=True)
                plan_json.write_text(json.dumps(scan_reuse.steady_plan(run.plan.data)))
            with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(scanners))) as pool:
                futures = {}
                for spec in scanners:
                    out = run.run_dir / spec.name
                    out.mkdir(parents=True, exist_ok=True)
                    futures[spec.name] = pool.submit(spec.run, run, out, settled_plan_file)
                run.scans = {name: f.result() for name, f in futures.items()}
            complete = inputs.digest is not None and all(o.record is not None for o in run.scans.values())
            partial = _code_scans_reused(run)
            scan_reuse.write_record(
                run.run_dir,
                inputs,
                scanners=names,
                complete=complete,
                code_scans_reused_from=partial,
                why_scanned=why,
                refused=run.scan_refused,
            )
    finally:
        plan_json.unlink(missing_ok=True)  # the plan carries every attribute; the scans are the evidence
    ok = all(o.ok for o in run.scans.values())
    detail = "; ".join(o.detail for o in run.scans.values())
    record = json.loads((run.run_dir / scan_reuse.RECORD).read_text())
    said = record["reused_from"] or record["code_scans_reused_from"]
    if said:
        detail += f"; {scan_reuse.describe(said)}"
    return ok, detail


def _code_scans_reused(run: Run) -> dict[str, Any] | None:
    """Where the code scans handed to checkov (:attr:`Run.code_scans_from`) came from, if any."""
    return run.code_scans_reused if run.code_scans_from is not None else None


def _reusable_scan(
    run: Run, scanners: Sequence[ScannerSpec], inputs: Any, plan_file: PlanSource
) -> tuple[str, dict[str, ScanOutcome] | None]:
    """An earlier run's results for byte-identical inputs, copied into this run and read back; or
    why the scan must run (``--fresh-scan``, nothing identical, an earlier package that does not verify).

    When an earlier verified run scanned the same code with the same scanners but the plan differs,
    its code scans are handed to checkov (:attr:`Run.code_scans_from`): only the plan is scanned."""
    from harness.validation import scan_reuse
    from harness.validation.package import kms_signing_key, verify_folder

    if run.fresh_scan:
        return "--fresh-scan", None
    if any(spec.load is None for spec in scanners):
        return "a scanner that cannot be reused", None
    names = [spec.name for spec in scanners]
    found = scan_reuse.candidates(run.run_dir.parent, run.run_dir, inputs)
    if not found:
        return "no earlier run scanned this code with these scanners and options", None
    key_id = ((run.outputs or {}).get("kms_key_arns") or {}).get("signing")
    if run.target is None or not key_id:
        return "no signing key to verify an earlier run's package with", None
    try:
        trusted = kms_signing_key(run.target.client("kms"), key_id).public_key_pem
    except HarnessError as exc:
        return f"the signing key cannot be read ({str(exc).splitlines()[0]})", None
    verified: dict[Path, Any] = {}

    def lookup(match: Callable[[Any], bool], needs: list[str]) -> Any:
        hit = scan_reuse.find(
            found,
            match=match,
            needs=needs,
            verify=lambda folder: verify_folder(folder, trusted_public_key=trusted),
            verified=verified,
        )
        for why in hit.rejected:
            if why not in run.scan_refused:
                run.scan_refused.append(why)
                run.progress(f"  scan: not reusing {why}")
        return hit

    # the code scans' own results, which checkov.scan copies (a folder without them would be scanned)
    code_scans = []
    if "checkov" in names:
        code_scans = [f"checkov/{name}/results_json.json" for name in ("terraform", "modules")]
    code_hit = lookup(lambda _record: True, code_scans)
    if code_hit.run_dir is None:
        return "the earlier runs with this code do not verify", None
    if plan_file() is None:
        return "no plan of the platform", None
    hit = lookup(lambda record: record.get("digest") == inputs.digest, names)
    if hit.run_dir is None:
        if not code_scans:
            return "the plan differs from every earlier run's with this code", None
        partial = scan_reuse.reused_from(code_hit, inputs, code_only=True)
        run.code_scans_from, run.code_scans_reused = code_hit.run_dir / "checkov", partial
        run.progress(f"  scan: the plan differs; {scan_reuse.describe(partial)}")
        return "the plan differs from every earlier run's with this code", None
    reused = scan_reuse.reused_from(hit, inputs)
    scan_reuse.copy_results(hit.run_dir, run.run_dir, names)
    try:
        outcomes = {spec.name: spec.load(run.run_dir / spec.name) for spec in scanners if spec.load}
    except HarnessError as exc:
        for name in names:
            shutil.rmtree(run.run_dir / name, ignore_errors=True)
        return f"the earlier results cannot be read ({str(exc).splitlines()[0]})", None
    for name, outcome in outcomes.items():
        if hasattr(outcome.record, "reused"):
            outcome.record.reused = reused
            outcome.record.write(run.run_dir / name)
    scan_reuse.write_record(
        run.run_dir, inputs, scanners=names, complete=True, reused_from=reused, refused=run.scan_refused
    )
    run.progress(f"  scan {scan_reuse.describe(reused)}: results copied from {hit.run_dir}")
    return "", outcomes


def _checkov_record(run: Run) -> Any:
    outcome = (run.scans or {}).get("checkov")
    return None if outcome is None or outcome.record is None else outcome.record


def report(run: Run) -> Outcome:
    """Report, seal and archive: runs whatever failed before it (it records the failure)."""
    from harness.validation import finalize
    from harness.validation.context import collect_context

    merge_results(run.run_dir, [s.name for s in pipeline(run.converge) if s.suite])
    # Reads, the seal and the archive act as the stage's identity (the validation role); the context
    # names the identity that started the run as its executor (people's signatures are checked
    # against it: the executor may not approve).
    target, outputs, plat = run.acting or run.target, run.outputs or {}, run.platform
    starter = run.target
    lineage: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    if target is not None and outputs.get("endpoint_name"):
        try:
            lineage, artifact = live_lineage(target, outputs)
            metrics = model_metrics(target, outputs, artifact, run.layout)
        except Exception as exc:  # evidence of what could not be read, not a crash
            lineage = {"error": f"lineage could not be read: {exc}"}
    stage_times = {
        s.name: {"status": s.status, "seconds": round(s.seconds, 2), "overlapped": s.overlapped}
        for s in run.stages
    }
    context = collect_context(
        run_id=run.run_dir.name,
        target=run.target_name,
        region=target.region if target else None,
        client_factory=starter.client if starter else None,
        repo_dir=run.layout.root,
        terraform_version=plat.runner.version() if plat else None,
        state_serial=plat.state_serial() if plat else None,
        requirements_file=run.layout.root / "requirements.txt",
        started=run.started,
        environ=run.environ,
        # where the time went so far (report and verify follow; receipt.json has the whole table)
        extra={"stages": stage_times, "costs": run.costs(), "protocol": run.protocol},
        executor=run.executor.to_dict() if run.executor is not None else None,
    )
    signing_key = (outputs.get("kms_key_arns") or {}).get("signing")
    result = finalize(
        run.run_dir,
        context=context,
        lineage=lineage,
        checkov=_checkov_record(run),
        metrics=metrics,
        stages=run.stage_table(),
        protocol=run.protocol,
        extra_deviations=run.deviations,
        kms_client=target.client("kms") if target and signing_key else None,
        key_id=signing_key,
    )
    run.finalized, run.signed = result, result.signed
    verdict = "PASS" if result.report.passed else "FAIL"
    signed = "signed" if result.signed else "UNSIGNED"
    bucket = outputs.get("evidence_bucket")
    if result.signed is None or target is None or not bucket:
        return result.signed is not None, f"verdict {verdict}, {signed}, not archived"
    try:
        run.archived = archive_evidence(
            run.run_dir, target.client("s3"), bucket, "evidence", progress=run.progress
        )
    except HarnessError as exc:
        run.progress(f"  the local evidence stays complete and signed in {run.run_dir}: {exc}")
        return False, f"verdict {verdict}, {signed}, NOT archived: {str(exc).splitlines()[0]}"
    return True, f"verdict {verdict}, {signed}, archived to s3://{bucket}"


def verify(run: Run) -> Outcome:
    """Verify the sealed package from disk and, when archived, from the evidence bucket."""
    from harness.validation.package import verify as verify_package

    local = verify_package(run.run_dir)
    for problem in local.all_problems():
        run.progress(f"  - {problem}")
    detail = f"local {'OK' if local.ok else 'FAILED'}"
    ok = local.ok
    run.verified = {"local": local.ok}
    target = run.acting or run.target
    if run.archived is not None and target is not None:
        remote_uri = f"s3://{run.archived.bucket}/{run.archived.prefix}"
        remote = verify_package(remote_uri, s3_client=target.client("s3"))
        ok = ok and remote.ok
        run.verified["archive"] = remote.ok
        detail += f", {remote_uri} {'OK' if remote.ok else 'FAILED'}"
    return ok, detail


def receipt(run: Run) -> Outcome:
    """Seal what happened after the package was signed: the whole stage table, the verify results and
    the archive's object versions, in a signed ``receipt.json`` (archived beside the package)."""
    from harness.validation.receipt import upload_receipt, write_receipt

    key_id = ((run.outputs or {}).get("kms_key_arns") or {}).get("signing")
    target = run.acting or run.target
    if target is None or not key_id:
        return False, "no signing key: no receipt"
    table = run.stage_table()
    for row in table:
        if row["name"] == "receipt":
            row["status"], row["detail"] = "running", "this receipt"
    write_receipt(
        run.run_dir,
        stages=table,
        verified=run.verified,
        archived=run.archived.to_dict() if run.archived is not None else None,
        kms_client=target.client("kms"),
        key_id=key_id,
    )
    if run.archived is None:
        return True, "receipt.json signed (not archived)"
    objects = upload_receipt(run.run_dir, target.client("s3"), run.archived.bucket, run.archived.prefix)
    return True, f"receipt.json signed, archived as {len(objects)} new object(s)"


#: The qualification, in order. Each entry is the whole declaration of a stage.
PIPELINE: tuple[StageSpec, ...] = (
    StageSpec("up", up, outputs=("target",)),
    # Before apply: apply would repair drift silently; what it repairs is recorded as a deviation.
    StageSpec("drift", drift_check, needs=("up",), inputs=("target",)),
    StageSpec(
        "apply",
        apply,
        needs=("up",),
        inputs=("target",),
        outputs=("platform", "outputs"),
        installed=installed,
    ),
    StageSpec("train", train, needs=("apply",), inputs=("target", "outputs"), keep_installed=True),
    StageSpec(
        "deploy",
        deploy,
        needs=("train",),
        inputs=("target", "outputs"),
        outputs=("platform", "outputs"),
        keep_installed=True,
    ),
    # IQ only reads: least privilege of the validation role. OQ and PQ exercise the platform (train,
    # put feature records, sign sample evidence, assume personas), which that role must not do.
    StageSpec("iq", suite_stage("iq"), needs=("apply",), suite=True, runs_as=VALIDATION),
    StageSpec("oq", suite_stage("oq"), needs=("deploy",), suite=True),
    StageSpec("pq", suite_stage("pq"), needs=("deploy",), suite=True),
    # The live platform as qualified, into the package before it is sealed (the next baseline).
    StageSpec("snapshot", snapshot, needs=("apply",), inputs=("target", "platform")),
    # Overlapped: it reads only the code and the plan apply (or deploy) converged the platform to, so
    # it runs beside the stages that wait on the platform, and report waits for it.
    StageSpec("scan", scan, needs=("apply",), inputs=("platform",), outputs=("scans",), overlap=True),
    # The report stage runs whatever failed before it: it records the failure.
    StageSpec("report", report, outputs=("finalized", "signed", "archived"), runs_as=VALIDATION),
    # A package that was signed is verified even when its archive failed (it is the local evidence).
    StageSpec("verify", verify, inputs=("signed",), outputs=("verified",), runs_as=VALIDATION),
    # What happened after sealing (verify results, archive versions), itself signed.
    StageSpec("receipt", receipt, inputs=("signed",), runs_as=VALIDATION),
)
#: The stage names, in order (the stage table shows them all).
STAGES = tuple(s.name for s in PIPELINE)


def pipeline(converge: bool = True) -> tuple[StageSpec, ...]:
    """The stages of a run (the same names whether or not the run converges the platform)."""
    del converge  # every stage appears in the table; StageSpec.installed says what changes
    return PIPELINE


def run_stage(run: Run, spec: StageSpec, index: int, count: int) -> Stage:
    """Run one stage of ``run`` and record it in the stage table (never raises but for Ctrl-C)."""
    try:
        return _run_stage(run, spec, index, count)
    finally:
        finished = run._finished.get(spec.name)
        if finished is not None:
            finished.set()


def _run_stage(run: Run, spec: StageSpec, index: int, count: int) -> Stage:
    s = run.stage(spec.name)
    s.overlapped = spec.overlap
    fn = spec.run
    if not run.converge and spec.keep_installed:
        s.status, s.detail = "kept", "as installed (not run)"
        run.progress(events.StageFinished(spec.name, s.status, 0.0, s.detail, None, index, count))
        return s
    if not run.converge and spec.installed is not None:
        fn = spec.installed
    blocked = [n for n in spec.needs if run.stage(n).status not in ("passed", "kept")]
    if not blocked:
        blocked = [field for field in spec.inputs if getattr(run, field) is None]
    if blocked:
        s.status, s.detail = "skipped", f"needs {', '.join(blocked)}"
        run.progress(events.StageFinished(spec.name, s.status, 0.0, s.detail, None, index, count))
        return s
    t0 = time.monotonic()
    try:
        acting, s.identity, refusal = stage_identity(run, spec)
        if not spec.overlap:  # an overlapped stage acts as the deploying identity, beside the others
            run.acting = acting
        run.progress(events.StageStarted(spec.name, index, count, s.identity, overlapped=spec.overlap))
        if refusal:
            raise refusal
        result = fn(run)
        if s.identity is None and run.executor is not None:  # the stage that reached the target
            s.identity = {**run.executor.to_dict(), "runs_as": DEPLOYER}
            run.progress(f"  {spec.name} as {s.identity_arn}")
        ok, detail = result if result is not None else (True, "")
    except KeyboardInterrupt:
        s.seconds = time.monotonic() - t0
        s.status, s.detail = "aborted", "interrupted (Ctrl-C)"
        raise
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        err = targets.aws_error(exc, run.target, doing=f"stage {spec.name}")
        ok, detail = False, str(err).splitlines()[0]
        run.progress(f"  {spec.name} failed: {err}")
    except HarnessError as exc:
        ok, detail = False, str(exc).splitlines()[0]
        run.progress(f"  {spec.name} failed: {exc}")
    finally:
        if not spec.overlap:
            run.acting = None
    s.seconds = time.monotonic() - t0
    s.status, s.detail = ("passed" if ok else "failed"), detail
    run.progress(events.StageFinished(spec.name, s.status, s.seconds, detail, s.identity, index, count))
    return s


def _overlapped(run: Run, spec: StageSpec, index: int, count: int) -> None:
    """The body of an overlapped stage's thread: the stage, its outcome on its row, nothing raised."""
    try:
        run_stage(run, spec, index, count)
    except KeyboardInterrupt:  # the run was interrupted while it waited: recorded by _stop_overlapped
        pass
    except Exception as exc:  # a crash of the stage itself is its failure, not the run's
        s = run.stage(spec.name)
        s.status, s.detail = "failed", f"{type(exc).__name__}: {exc}"
        run.progress(f"  {spec.name} failed: {s.detail}")


def _stop_overlapped(run: Run, threads: dict[str, threading.Thread]) -> None:
    """Ctrl-C or a crash: stop the overlapped stages still running and their processes, wait for
    their threads, and record them as aborted (a stage that had finished keeps its outcome)."""
    running = [name for name in threads if not run._finished[name].is_set()]
    run.cancelled.set()
    run.children.stop()
    for name in running:
        threads[name].join(timeout=30)
        s = run.stage(name)
        s.status, s.detail = "aborted", "stopped: the run was interrupted"


def stage_identity(
    run: Run, spec: StageSpec
) -> tuple[targets.Target | None, dict[str, Any] | None, HarnessError | None]:
    """The target a stage acts through, the identity recorded for it, and why it may not run.

    A :data:`VALIDATION` stage assumes the validation role afresh (a short session), the person being
    ``qualification-<run id>``. When the platform has no validation role (not applied, or a platform
    from before it), the stage runs as the deploying identity and its record says why. When the role
    exists but cannot be assumed, a suite fails (it must not silently run with more rights than its
    role), while the report stages fall back, record why, and still write the evidence.
    """
    from harness.identity import IdentityError, assume, caller

    if run.target is None or run.executor is None:
        return None, None, None
    deployer = {**run.executor.to_dict(), "runs_as": DEPLOYER}
    if spec.runs_as != VALIDATION:
        return run.target, deployer, None
    role_arn = (run.outputs or {}).get("validation_role_arn")
    if not role_arn:
        return run.target, {**deployer, "note": "no validation role on this platform"}, None
    try:
        acting = assume(run.target, role_arn, f"qualification-{run.run_dir.name}", purpose=f"run {spec.name}")
        ident = caller(acting)
    except IdentityError as exc:
        if spec.suite:
            return run.target, {**deployer, "note": f"validation role refused: {exc}"}, exc
        run.progress(f"  {spec.name}: runs as the deploying identity: {exc}")
        return run.target, {**deployer, "note": f"validation role refused: {str(exc).splitlines()[0]}"}, None
    return acting, {**ident.to_dict(), "runs_as": VALIDATION, "role_arn": role_arn}, None


def execute(run: Run, specs: Sequence[StageSpec] | None = None) -> Run:
    """Run every stage of ``specs`` (default: the pipeline) in order; Ctrl-C records the run as aborted.

    An ``overlap`` stage starts in a thread once the stages it needs have finished and is waited for
    where it stands; Ctrl-C or a crash stops it (and the processes it runs) before anything is recorded.
    """
    specs = pipeline(run.converge) if specs is None else specs
    if not run.stages:
        run.stages = [Stage(s.name) for s in specs]
    run._finished = {s.name: threading.Event() for s in specs}
    run._changes_platform = tuple(s.name for s in specs if "platform" in s.outputs)
    threads: dict[str, threading.Thread] = {}
    pending = [(i, s) for i, s in enumerate(specs, 1) if s.overlap]

    def start_ready() -> None:
        for index, spec in list(pending):
            if all(run._finished[n].is_set() for n in spec.needs):
                pending.remove((index, spec))
                thread = threading.Thread(
                    target=_overlapped,
                    args=(run, spec, index, len(specs)),
                    name=f"stage-{spec.name}",
                    daemon=True,
                )
                threads[spec.name] = thread
                thread.start()

    try:
        for index, spec in enumerate(specs, 1):
            start_ready()
            if spec.overlap:
                if spec.name not in threads:  # its needs finished only now: it starts, then is waited for
                    pending.remove((index, spec))
                    run_stage(run, spec, index, len(specs))
                    continue
                t0 = time.monotonic()
                run.wait_for(spec.name)
                threads[spec.name].join()
                run.stage(spec.name).waited = time.monotonic() - t0
                run.progress(f"  {spec.name}: waited {run.stage(spec.name).waited:.1f}s for it")
                continue
            run_stage(run, spec, index, len(specs))
    except BaseException as exc:
        _stop_overlapped(run, threads)
        if not isinstance(exc, KeyboardInterrupt):
            raise
        record_aborted(
            run.run_dir,
            run.stages,
            target_name=run.target_name,
            layout=run.layout,
            started=run.started,
            environ=run.environ,
            progress=run.progress,
            suites=[s.name for s in specs if s.suite],
        )
        raise
    return run


def qualify(
    *,
    target_name: str,
    layout: Layout,
    progress: Progress,
    environ: dict[str, str] | None = None,
    evidence_root: Path | None = None,
    converge: bool = True,
    baseline: str | None = None,
    fresh_scan: bool = False,
) -> Run:
    """Run the qualification. ``converge=False`` qualifies the platform as it is installed: apply,
    train and deploy are not run (QA qualifying an installation it does not own, or a control that
    was changed outside Terraform: converging first would hide it). ``baseline``: the package the
    drift check compares with (default: the platform's latest approved, else passing, package).
    ``fresh_scan``: scan even when an earlier run scanned byte-identical inputs (:func:`scan`)."""
    from harness.validation import package

    root = evidence_root or layout.work_dir / "evidence"
    run = Run(
        target_name=target_name,
        layout=layout,
        run_dir=package.create_run_folder(root),
        progress=progress,
        environ=dict(os.environ if environ is None else environ),
        converge=converge,
        started=_utc(),
        baseline=baseline,
        fresh_scan=fresh_scan,
    )
    progress(f"qualification run {run.run_dir.name} on target {target_name} (evidence: {run.run_dir})")
    record_protocol(run)
    return execute(run)


def record_protocol(run: Run) -> None:
    """The protocol this run executes, copied into its evidence; an unapproved one is said so."""
    from harness.validation import protocol

    try:
        run.protocol = protocol.status(run.layout.root, run.layout.work_dir)
    except HarnessError as exc:  # a malformed specification: the suites will say so; the run goes on
        run.protocol = {"sha256": None, "approved": False, "note": f"no protocol: {exc}"}
        run.progress(f"protocol: none ({exc})")
        return
    shutil.copyfile(run.protocol["record"], run.run_dir / protocol.PROTOCOL_FILE)
    state = "approved" if run.protocol["approved"] else "NOT approved (the run cannot be release-grade)"
    version = run.protocol["specification_version"]
    run.progress(f"protocol {run.protocol['sha256'][:12]} (specification v{version}): {state}")


# --------------------------------------------------------------------------------------------- helpers


def run_suite(
    stage: str,
    run_dir: Path,
    layout: Layout,
    target_name: str,
    progress: Progress,
    *,
    credentials: dict[str, str] | None = None,
    outputs: dict[str, Any] | None = None,
) -> tuple[bool, str]:
    """One Gherkin stage (features/<stage>) as a pytest process recording into the run folder.

    ``credentials``: an assumed role's session for the suite (``Target.credential_env``); without
    them the suite uses the target's own credentials. ``outputs``: the Terraform outputs the run read
    after converging, handed to the suite (``terraform-outputs.json`` in the evidence) so that it locates
    the resources without starting Terraform again."""
    stage_dir = run_dir / stage
    stage_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # A deploying identity's own session (TARGET=aws with temporary keys) stays; a handed-over one
    # replaces all three keys.
    for key in (targets.EXPLICIT_CREDENTIALS, targets.SOURCE_IDENTITY):
        env.pop(key, None)
    env.update(credentials or {})
    env["TARGET"] = target_name
    if layout.work is not None:
        env["HARNESS_WORK_DIR"] = str(layout.work)
    env.pop(OUTPUTS_FILE, None)
    # The suites need pytest-bdd and the evidence plugin, both named below; the other installed plugins
    # (xdist, timeout) are for the project's tests, and importing them costs every stage's start-up.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if outputs:
        handed = run_dir / "terraform-outputs.json"
        text = json.dumps(outputs, indent=2, sort_keys=True) + "\n"
        if not handed.is_file() or handed.read_text() != text:
            # written once per change of the outputs, whole (suites side by side may be reading it)
            staged = handed.with_name(f".{handed.name}.{stage}")
            staged.write_text(text)
            staged.replace(handed)
        env[OUTPUTS_FILE] = str(handed)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "pytest_bdd.plugin",
        "-p",
        "harness.validation.pytest_plugin",
        "--strict-markers",
        "-p",
        "no:cacheprovider",
        "--evidence-dir",
        str(stage_dir),
        "-q",
        "-rN",
        str(layout.root / "features" / stage),
    ]
    proc = subprocess.Popen(
        command, cwd=layout.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    with (stage_dir / "pytest.log").open("w") as log:
        try:
            for line in proc.stdout:
                log.write(line)
                text = line.rstrip()
                if text and (
                    text.startswith(("PASSED", "FAILED", "ERROR")) or "passed" in text or "failed" in text
                ):
                    progress(f"  {stage}: {text}")
        except BaseException:
            _stop_child(proc)
            raise
    rc = proc.wait()
    return rc == 0, f"pytest exit {rc}"


def _stop_child(proc: subprocess.Popen[str], grace: float = 15.0) -> None:
    """Ctrl-C: the suite's pytest gets SIGINT too (it records what ran), then is killed if it lingers
    (the one stop routine, waiting through further Ctrl-C)."""
    stop_process(proc, grace=grace, first_signal=signal.SIGINT, absorb_interrupts=True)


def merge_results(run_dir: Path, stages: list[str]) -> Path:
    """One results.json for the report from the per-stage recordings."""
    merged: dict[str, Any] = {}
    for stage in stages:
        path = run_dir / stage / "results.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        if not merged:
            merged = {k: v for k, v in data.items() if k != "scenarios"}
            merged["scenarios"] = []
        merged["scenarios"].extend(data.get("scenarios", []))
        for key in ("finished", "ended", "end"):
            if key in data:
                merged[key] = data[key]
    if not merged:  # no suite ran (an earlier stage failed or was interrupted): an empty, valid record
        from harness.validation.recorder import RESULTS_SCHEMA
        from harness.validation.requirements import load_requirements

        merged = {"schema": RESULTS_SCHEMA, "started": None, "finished": _utc(), "scenarios": []}
        with contextlib.suppress(HarnessError, OSError):
            merged["requirements"] = load_requirements(REPO_ROOT / "features" / "requirements.yaml").to_dict()
    out = run_dir / "results.json"
    out.write_text(json.dumps(merged, indent=2))
    return out


def live_lineage(target: targets.Target, outputs: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    """dataset -> training job -> artifact -> model package -> endpoint config -> endpoint, read live.

    Also returns the served artifact's bytes (hashed here, scored by ``model_metrics``)."""
    sm = target.client("sagemaker")
    s3 = target.client("s3")
    lineage: dict[str, Any] = {}
    endpoint = outputs.get("endpoint_name")
    if not endpoint:
        return {"note": "no endpoint deployed"}, None
    ep = sm.describe_endpoint(EndpointName=endpoint)
    cfg = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
    model = sm.describe_model(ModelName=cfg["ProductionVariants"][0]["ModelName"])
    artifact_url = model["PrimaryContainer"]["ModelDataUrl"]
    artifact = workflow.download(target, artifact_url)
    summaries = sm.list_model_packages(
        ModelPackageGroupName=outputs["model_package_group_name"],
        SortBy="CreationTime",
        SortOrder="Descending",
    )["ModelPackageSummaryList"]
    model_package = None
    for summary in summaries:
        desc = sm.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        if desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == artifact_url:
            model_package = desc
            break
    job_name = (model_package or {}).get("CustomerMetadataProperties", {}).get("training_job")
    job = sm.describe_training_job(TrainingJobName=job_name) if job_name else {}
    datasets = []
    for channel in job.get("InputDataConfig", []):
        uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
        if channel["ChannelName"] == "code":
            continue
        b, prefix = workflow.s3_split(uri)
        for obj in s3.list_objects_v2(Bucket=b, Prefix=prefix).get("Contents", []):
            body = s3.get_object(Bucket=b, Key=obj["Key"])["Body"].read()
            datasets.append(
                {
                    "channel": channel["ChannelName"],
                    "object": f"s3://{b}/{obj['Key']}",
                    "sha256": hashlib.sha256(body).hexdigest(),
                }
            )
    lineage["dataset"] = datasets
    lineage["source"] = _dataset_source(target, (model_package or {}).get("CustomerMetadataProperties", {}))
    lineage["training_job"] = {
        "name": job.get("TrainingJobName"),
        "status": job.get("TrainingJobStatus"),
        "final_metrics": {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])},
    }
    lineage["artifact"] = {"uri": artifact_url, "sha256": hashlib.sha256(artifact).hexdigest()}
    meta = (model_package or {}).get("CustomerMetadataProperties") or {}
    lineage["model_package"] = {
        "arn": (model_package or {}).get("ModelPackageArn"),
        "version": (model_package or {}).get("ModelPackageVersion"),
        "approval": (model_package or {}).get("ModelApprovalStatus"),
        "approval_description": (model_package or {}).get("ApprovalDescription"),
        "approval_automatic": meta.get(modelapproval.APPROVAL_AUTOMATIC) == "true",
        "approval_record": meta.get(modelapproval.APPROVAL_RECORD),
        "trained_by": meta.get(modelapproval.TRAINED_BY),
    }
    lineage["model"] = {"name": model["ModelName"], "network_isolation": model.get("EnableNetworkIsolation")}
    lineage["endpoint_config"] = {"name": cfg["EndpointConfigName"], "kms_key": cfg.get("KmsKeyId")}
    lineage["endpoint"] = {"name": endpoint, "status": ep["EndpointStatus"], "arn": ep["EndpointArn"]}
    return lineage, artifact


def _dataset_source(target: targets.Target, metadata: dict[str, Any]) -> dict[str, Any]:
    """Where the training data came from, read live: the generator, or feature group -> Athena query."""
    if metadata.get("dataset_source") != "athena":
        return {"kind": metadata.get("dataset_source", "generator")}
    execution = target.client("athena").get_query_execution(QueryExecutionId=metadata["query_execution_id"])
    execution = execution["QueryExecution"]
    result_uri = execution.get("ResultConfiguration", {}).get("OutputLocation", "")
    result_sha = hashlib.sha256(workflow.download(target, result_uri)).hexdigest() if result_uri else None
    group = target.client("sagemaker").describe_feature_group(FeatureGroupName=metadata["feature_group"])
    return {
        "kind": "athena",
        "feature_group": {"name": group["FeatureGroupName"], "arn": group["FeatureGroupArn"]},
        "query_execution": {
            "id": execution["QueryExecutionId"],
            "state": execution["Status"]["State"],
            "query": execution["Query"],
            "workgroup": execution.get("WorkGroup"),
            "result_uri": result_uri,
            "result_sha256": result_sha,
            "recorded_sha256": metadata.get("query_result_sha256"),
        },
    }


def model_metrics(
    target: targets.Target, outputs: dict[str, Any], artifact: bytes | None, layout: Layout
) -> dict:
    """ROC of the served artifact on the held-out split, and the latency of 50 invocations."""
    metrics: dict[str, Any] = {}
    test_csv = layout.cache_dir / "data" / "test" / "test.csv"
    if artifact and test_csv.exists():
        from harness.ml.metrics import roc_curve

        booster = workflow.load_booster(artifact)
        data = np.loadtxt(test_csv, delimiter=",", ndmin=2)
        metrics["roc"] = roc_curve(data[:, 0], workflow.score(booster, data[:, 1:]))
    endpoint = outputs.get("endpoint_name")
    if endpoint:
        runtime = target.client("sagemaker-runtime")
        latencies = []
        body = json.dumps({"features": [72, 1, 0.85]})
        for _ in range(50):
            t0 = time.perf_counter()
            runtime.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=body)[
                "Body"
            ].read()
            latencies.append((time.perf_counter() - t0) * 1000)
        metrics["latencies_ms"] = latencies
    return metrics


ABORTED_FILE = "status.json"


class ArchiveConflict(HarnessError):
    """The evidence bucket already holds objects where this run's package would go."""


def archive_evidence(
    run_dir: Path, s3: Any, bucket: str, prefix: str, *, progress: Progress | None = None
) -> Any:
    """Archive a signed package, never over retained evidence.

    S3 accepts a PUT to a key whose current version is under Object Lock retention (it adds a version),
    so retained evidence would silently stop being what a reader gets. The run's prefix must be empty:
    otherwise :class:`ArchiveConflict` names the objects and their retention, and nothing is uploaded.
    The local package is never touched.
    """
    from harness.validation import PackageError
    from harness.validation import package as pkg

    run_prefix = "/".join(p for p in (prefix.strip("/"), run_dir.name) if p) + "/"
    with targets.aws_errors(doing=f"checking s3://{bucket}/{run_prefix}"):
        existing = [
            o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=run_prefix).get("Contents", [])
        ]
        if existing:
            described = []
            for key in existing[:3]:
                try:
                    ret = s3.get_object_retention(Bucket=bucket, Key=key)["Retention"]
                    described.append(f"{key} ({ret.get('Mode')} until {ret.get('RetainUntilDate')})")
                except botocore.exceptions.ClientError:
                    described.append(key)
            more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
            raise ArchiveConflict(
                f"s3://{bucket}/{run_prefix} already holds {len(existing)} object(s) under the evidence "
                f"bucket's retention: {', '.join(described)}{more}; refusing to archive over retained "
                f"evidence (nothing was uploaded)",
                hint=f"the local package {run_dir} is complete and signed: verify it with "
                f"`python -m harness report verify {run_dir}`; archive it under a new run id",
            )
    try:
        result = pkg.archive(run_dir, bucket, prefix, s3)
    except PackageError as exc:
        raise ArchiveConflict(
            f"archiving to s3://{bucket}/{run_prefix} failed: {exc}",
            hint=f"the local package {run_dir} is complete and signed; check the bucket and archive again",
        ) from exc
    if progress:
        progress(f"  archived {len(result.objects)} objects to {result.uri}")
    return result


def record_aborted(
    run_dir: Path,
    stages: list[Stage],
    *,
    target_name: str,
    layout: Layout,
    started: str,
    environ: dict[str, str],
    progress: Progress,
    suites: Sequence[str] = ("iq", "oq"),
) -> Path:
    """Ctrl-C: record the partial run as ABORTED in its evidence folder, without signing or archiving.

    Writes ``status.json`` first (which stage was interrupted, the stage table), then whatever can be
    written offline: ``context.json`` and the report of the scenarios that ran. Further Ctrl-Cs are
    ignored while it writes, so the record is whole.
    """
    from harness.validation.context import collect_context
    from harness.validation.report import build_report

    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: nothing to mask
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        interrupted = next((s.name for s in stages if s.status == "aborted" and not s.overlapped), None)
        table = [s.to_dict() for s in stages]
        status = {
            "status": "ABORTED",
            "run_id": run_dir.name,
            "target": target_name,
            "interrupted_stage": interrupted,
            "started": started,
            "aborted": _utc(),
            "signed": False,
            "archived": False,
            "stages": table,
            "written": [],
        }
        path = run_dir / ABORTED_FILE
        path.write_text(json.dumps(status, indent=2) + "\n")
        try:
            context = collect_context(
                run_id=run_dir.name,
                target=target_name,
                region=None,
                repo_dir=layout.root,
                requirements_file=layout.root / "requirements.txt",
                started=started,
                environ=environ,
                extra={"stages": {s["name"]: s for s in table}, "status": "ABORTED"},
            )
            (run_dir / "context.json").write_text(json.dumps(context, indent=2, default=str) + "\n")
            status["written"].append("context.json")
            merge_results(run_dir, list(suites))
            status["written"].append("results.json")
            build_report(run_dir, run_dir, context=context, pdf=False)
            status["written"].append("report.json")
        except Exception as exc:  # record what could not be written rather than lose the record
            status["incomplete"] = f"{type(exc).__name__}: {exc}"
        path.write_text(json.dumps(status, indent=2) + "\n")
        progress(
            f"qualification {run_dir.name} ABORTED in stage {interrupted or '?'}: partial record in "
            f"{path} (not signed, not archived)"
        )
        return path
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def exit_status(run: Run) -> ExitStatus:
    """The exit status of a finished run (the CLI raises :class:`QualificationFailed` instead)."""
    return ExitStatus.OK if run.passed else ExitStatus.QUALIFICATION_FAILED
