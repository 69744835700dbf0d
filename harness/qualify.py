"""``make validate``: the whole qualification, stage by stage, always ending in an evidence package.

up -> apply -> train -> deploy -> IQ -> OQ -> scan -> report -> verify. Every stage is timed; a failed
stage is recorded and the report is still written (a failed qualification is evidence too), then the
command exits non-zero.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.exceptions
import numpy as np

from harness import target as targets
from harness import workflow
from harness.errors import ExitStatus, HarnessError
from harness.platform import REPO_ROOT, Layout, Platform

Progress = Callable[[str], None]
STAGES = ("up", "apply", "train", "deploy", "iq", "oq", "scan", "report", "verify")


@dataclasses.dataclass
class Stage:
    name: str
    status: str = "not run"  # passed | failed | skipped | aborted | not run
    seconds: float = 0.0
    detail: str = ""


@dataclasses.dataclass
class Qualification:
    run_dir: Path
    stages: list[Stage]

    @property
    def passed(self) -> bool:
        return all(s.status in ("passed", "kept") for s in self.stages)

    def table(self) -> str:
        width = max(len(s.name) for s in self.stages)
        lines = [f"  {s.name:<{width}}  {s.status:<8} {s.seconds:7.1f}s  {s.detail}" for s in self.stages]
        total = sum(s.seconds for s in self.stages)
        lines.append(f"  {'total':<{width}}  {'':<8} {total:7.1f}s")
        return "\n".join(lines)


def _utc() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def run_suite(
    stage: str, run_dir: Path, layout: Layout, target_name: str, progress: Progress
) -> tuple[bool, str]:
    """One Gherkin stage (features/<stage>) as a pytest process recording into the run folder."""
    stage_dir = run_dir / stage
    stage_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["TARGET"] = target_name
    if layout.work is not None:
        env["HARNESS_WORK_DIR"] = str(layout.work)
    command = [
        sys.executable,
        "-m",
        "pytest",
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
    """Ctrl-C: the suite's pytest gets SIGINT too (it records what ran), then is killed if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + grace
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(subprocess.TimeoutExpired, KeyboardInterrupt):
            proc.wait(timeout=0.5)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


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
    packages = sm.list_model_packages(
        ModelPackageGroupName=outputs["model_package_group_name"],
        SortBy="CreationTime",
        SortOrder="Descending",
    )["ModelPackageSummaryList"]
    package = None
    for summary in packages:
        desc = sm.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        if desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == artifact_url:
            package = desc
            break
    job_name = (package or {}).get("CustomerMetadataProperties", {}).get("training_job")
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
    lineage["training_job"] = {
        "name": job.get("TrainingJobName"),
        "status": job.get("TrainingJobStatus"),
        "final_metrics": {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])},
    }
    lineage["artifact"] = {"uri": artifact_url, "sha256": hashlib.sha256(artifact).hexdigest()}
    lineage["model_package"] = {
        "arn": (package or {}).get("ModelPackageArn"),
        "version": (package or {}).get("ModelPackageVersion"),
        "approval": (package or {}).get("ModelApprovalStatus"),
    }
    lineage["model"] = {"name": model["ModelName"], "network_isolation": model.get("EnableNetworkIsolation")}
    lineage["endpoint_config"] = {"name": cfg["EndpointConfigName"], "kms_key": cfg.get("KmsKeyId")}
    lineage["endpoint"] = {"name": endpoint, "status": ep["EndpointStatus"], "arn": ep["EndpointArn"]}
    return lineage, artifact


def model_metrics(
    target: targets.Target, outputs: dict[str, Any], artifact: bytes | None, layout: Layout
) -> dict:
    """ROC of the served artifact on the held-out split, and the latency of 50 invocations."""
    metrics: dict[str, Any] = {}
    test_csv = layout.cache_dir / "data" / "test" / "test.csv"
    if artifact and test_csv.exists():
        from harness.ml.train import roc_auc

        booster = workflow.load_booster(artifact)
        data = np.loadtxt(test_csv, delimiter=",", ndmin=2)
        labels, scores = data[:, 0], workflow.score(booster, data[:, 1:])
        order = np.argsort(-scores)
        tp = np.cumsum(labels[order] == 1) / max(1, int((labels == 1).sum()))
        fp = np.cumsum(labels[order] == 0) / max(1, int((labels == 0).sum()))
        step = max(1, len(order) // 200)
        metrics["roc"] = {
            "fpr": [0.0, *fp[::step].round(4).tolist(), 1.0],
            "tpr": [0.0, *tp[::step].round(4).tolist(), 1.0],
            "auc": float(roc_auc(labels, scores)),
        }
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


def qualify(
    *,
    target_name: str,
    layout: Layout,
    progress: Progress,
    environ: dict[str, str] | None = None,
    evidence_root: Path | None = None,
    converge: bool = True,
) -> Qualification:
    """Run the qualification. ``converge=False`` qualifies the platform as it is installed: apply,
    train and deploy are not run (QA qualifying an installation it does not own, or a control that
    was changed outside Terraform: converging first would hide it)."""
    from harness.validation import checkov, finalize, package
    from harness.validation.context import collect_context

    environ = dict(os.environ if environ is None else environ)
    root = evidence_root or layout.work_dir / "evidence"
    run_dir = package.create_run_folder(root)
    started = _utc()
    stages = [Stage(name) for name in STAGES]
    by_name = {s.name: s for s in stages}
    state: dict[str, Any] = {}
    progress(f"qualification run {run_dir.name} on target {target_name} (evidence: {run_dir})")

    def stage(name: str, fn: Callable[[], tuple[bool, str] | None], *, needs: tuple[str, ...] = ()) -> None:
        s = by_name[name]
        blocked = [n for n in needs if by_name[n].status not in ("passed", "kept")]
        if blocked:
            s.status, s.detail = "skipped", f"needs {', '.join(blocked)}"
            progress(f"[{STAGES.index(name) + 1}/{len(STAGES)}] {name}: skipped ({s.detail})")
            return
        progress(f"[{STAGES.index(name) + 1}/{len(STAGES)}] {name}")
        t0 = time.monotonic()
        try:
            result = fn()
            ok, detail = result if result is not None else (True, "")
        except KeyboardInterrupt:
            s.seconds = time.monotonic() - t0
            s.status, s.detail = "aborted", "interrupted (Ctrl-C)"
            raise
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            err = targets.aws_error(exc, state.get("target"), doing=f"stage {name}")
            ok, detail = False, str(err).splitlines()[0]
            progress(f"  {name} failed: {err}")
        except HarnessError as exc:
            ok, detail = False, str(exc).splitlines()[0]
            progress(f"  {name} failed: {exc}")
        s.seconds = time.monotonic() - t0
        s.status, s.detail = ("passed" if ok else "failed"), detail
        progress(f"  {name}: {s.status} in {s.seconds:.1f}s {detail}".rstrip())

    def up() -> tuple[bool, str]:
        state["target"] = targets.resolve(
            target_name, state_dir=layout.emulator_dir, autostart=True, environ=environ, progress=progress
        )
        return True, state["target"].endpoint_url or "AWS"

    def apply() -> tuple[bool, str]:
        plat = Platform(state["target"], layout=layout, progress=progress)
        result = plat.apply()
        state["platform"] = plat
        state["outputs"] = plat.outputs()
        return True, f"{result.done} changes"

    def installed() -> tuple[bool, str]:
        plat = Platform(state["target"], layout=layout, progress=progress)
        state["platform"] = plat
        state["outputs"] = plat.outputs()
        if not state["outputs"].get("data_lake_bucket"):
            raise HarnessError("the platform is not installed on this target", hint="run `make apply` first")
        return True, "as installed (not converged)"

    def keep(name: str) -> None:
        s = by_name[name]
        s.status, s.detail = "kept", "as installed (not run)"
        progress(f"[{STAGES.index(name) + 1}/{len(STAGES)}] {name}: kept as installed")

    def train() -> tuple[bool, str]:
        run = workflow.train(state["target"], state["outputs"], layout=layout, progress=progress)
        (run_dir / "training.json").write_text(json.dumps(run.to_dict(), indent=2))
        return run.approval == "Approved", f"{run.job_name} holdout AUC {run.holdout_auc:.3f} {run.approval}"

    def deploy() -> tuple[bool, str]:
        target = state["target"]
        pkg = workflow.latest_approved_package(target, state["outputs"]["model_package_group_name"])
        workflow.write_release(layout, target, pkg)
        plat = Platform(target, layout=layout, progress=progress)
        plat.apply()
        state["platform"] = plat
        state["outputs"] = plat.outputs()
        ep = target.client("sagemaker").describe_endpoint(EndpointName=state["outputs"]["endpoint_name"])
        return ep["EndpointStatus"] == "InService", f"{ep['EndpointName']} {ep['EndpointStatus']}"

    def scan() -> tuple[bool, str]:
        plan = state["platform"].plan()
        out = run_dir / "checkov"
        out.mkdir(parents=True, exist_ok=True)
        plan_json = out / "tfplan.json"
        plan_json.write_text(json.dumps(plan.data))
        result = checkov.scan(layout.root, out, plan_json=plan_json, progress=progress)
        plan_json.unlink()  # the plan carries every attribute; the scan's results are the evidence
        state["checkov"] = result.to_dict()
        t = result.totals()
        return result.ok, f"passed {t['passed']}, failed {t['failed']}, skipped {t['skipped']}"

    def report() -> tuple[bool, str]:
        merge_results(run_dir, ["iq", "oq"])
        target = state.get("target")
        outputs = state.get("outputs", {})
        plat: Platform | None = state.get("platform")
        lineage: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        if target is not None and outputs.get("endpoint_name"):
            try:
                lineage, artifact = live_lineage(target, outputs)
                metrics = model_metrics(target, outputs, artifact, layout)
            except Exception as exc:  # evidence of what could not be read, not a crash
                lineage = {"error": f"lineage could not be read: {exc}"}
        stage_times = {s.name: {"status": s.status, "seconds": round(s.seconds, 2)} for s in stages}
        context = collect_context(
            run_id=run_dir.name,
            target=target_name,
            region=target.region if target else None,
            client_factory=target.client if target else None,
            repo_dir=layout.root,
            terraform_version=plat.runner.version() if plat else None,
            state_serial=plat.state_serial() if plat else None,
            requirements_file=layout.root / "requirements.txt",
            started=started,
            environ=environ,
            extra={"stages": stage_times},
        )
        signing_key = (outputs.get("kms_key_arns") or {}).get("signing")
        result = finalize(
            run_dir,
            context=context,
            lineage=lineage,
            checkov=state.get("checkov"),
            metrics=metrics,
            kms_client=target.client("kms") if target and signing_key else None,
            key_id=signing_key,
        )
        state["signed"] = result.signed is not None
        verdict = "PASS" if result.report.passed else "FAIL"
        signed = "signed" if result.signed else "UNSIGNED"
        bucket = outputs.get("evidence_bucket")
        if result.signed is None or target is None or not bucket:
            return result.signed is not None, f"verdict {verdict}, {signed}, not archived"
        try:
            state["archived"] = archive_evidence(
                run_dir, target.client("s3"), bucket, "evidence", progress=progress
            )
        except HarnessError as exc:
            progress(f"  the local evidence stays complete and signed in {run_dir}: {exc}")
            return False, f"verdict {verdict}, {signed}, NOT archived: {str(exc).splitlines()[0]}"
        return True, f"verdict {verdict}, {signed}, archived to s3://{bucket}"

    def verify() -> tuple[bool, str]:
        from harness.validation.package import verify as verify_package

        local = verify_package(run_dir)
        for problem in local.all_problems():
            progress(f"  - {problem}")
        detail = f"local {'OK' if local.ok else 'FAILED'}"
        ok = local.ok
        archived = state.get("archived")
        if archived is not None:
            remote_uri = f"s3://{archived.bucket}/{archived.prefix}"
            remote = verify_package(remote_uri, s3_client=state["target"].client("s3"))
            ok = ok and remote.ok
            detail += f", {remote_uri} {'OK' if remote.ok else 'FAILED'}"
        return ok, detail

    try:
        stage("up", up)
        if converge:
            stage("apply", apply, needs=("up",))
            stage("train", train, needs=("apply",))
            stage("deploy", deploy, needs=("train",))
        else:
            stage("apply", installed, needs=("up",))
            keep("train")
            keep("deploy")
        stage("iq", lambda: run_suite("iq", run_dir, layout, target_name, progress), needs=("apply",))
        stage("oq", lambda: run_suite("oq", run_dir, layout, target_name, progress), needs=("deploy",))
        stage("scan", scan, needs=("apply",))
        # The report stage runs whatever failed before it: it records the failure.
        stage("report", report)
        # A package that was signed is verified even when its archive failed (it is the local evidence).
        stage("verify", verify, needs=() if state.get("signed") else ("report",))
    except KeyboardInterrupt:
        record_aborted(
            run_dir,
            stages,
            target_name=target_name,
            layout=layout,
            started=started,
            environ=environ,
            progress=progress,
        )
        raise
    return Qualification(run_dir, stages)


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
        interrupted = next((s.name for s in stages if s.status == "aborted"), None)
        table = [dataclasses.asdict(s) | {"seconds": round(s.seconds, 2)} for s in stages]
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
            merge_results(run_dir, ["iq", "oq"])
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


def exit_status(q: Qualification) -> ExitStatus:
    return ExitStatus.OK if q.passed else ExitStatus.QUALIFICATION_FAILED
