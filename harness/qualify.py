"""``make validate``: the whole qualification, stage by stage, always ending in an evidence package.

up -> apply -> train -> deploy -> IQ -> OQ -> scan -> report -> verify. Every stage is timed; a failed
stage is recorded and the report is still written (a failed qualification is evidence too), then the
command exits non-zero.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from harness import target as targets
from harness import workflow
from harness.errors import ExitStatus, HarnessError
from harness.platform import Layout, Platform

Progress = Callable[[str], None]
STAGES = ("up", "apply", "train", "deploy", "iq", "oq", "scan", "report", "verify")


@dataclasses.dataclass
class Stage:
    name: str
    status: str = "not run"  # passed | failed | skipped | not run
    seconds: float = 0.0
    detail: str = ""


@dataclasses.dataclass
class Qualification:
    run_dir: Path
    stages: list[Stage]

    @property
    def passed(self) -> bool:
        return all(s.status == "passed" for s in self.stages)

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
        for line in proc.stdout:
            log.write(line)
            text = line.rstrip()
            if text and (
                text.startswith(("PASSED", "FAILED", "ERROR")) or "passed" in text or "failed" in text
            ):
                progress(f"  {stage}: {text}")
    rc = proc.wait()
    return rc == 0, f"pytest exit {rc}"


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
    out = run_dir / "results.json"
    out.write_text(json.dumps(merged or {"scenarios": []}, indent=2))
    return out


def live_lineage(target: targets.Target, outputs: dict[str, Any]) -> dict[str, Any]:
    """dataset -> training job -> artifact -> model package -> endpoint config -> endpoint, read live."""
    sm = target.client("sagemaker")
    s3 = target.client("s3")
    lineage: dict[str, Any] = {}
    endpoint = outputs.get("endpoint_name")
    if not endpoint:
        return {"note": "no endpoint deployed"}
    ep = sm.describe_endpoint(EndpointName=endpoint)
    cfg = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
    model = sm.describe_model(ModelName=cfg["ProductionVariants"][0]["ModelName"])
    artifact_url = model["PrimaryContainer"]["ModelDataUrl"]
    bucket, key = artifact_url[5:].split("/", 1)
    artifact = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
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
        b, prefix = uri[5:].split("/", 1)
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
    return lineage


def model_metrics(
    target: targets.Target, outputs: dict[str, Any], lineage: dict[str, Any], layout: Layout
) -> dict:
    """ROC of the served artifact on the held-out split, and the latency of 50 invocations."""
    metrics: dict[str, Any] = {}
    artifact = lineage.get("artifact", {}).get("uri")
    test_csv = layout.cache_dir / "data" / "test" / "test.csv"
    if artifact and test_csv.exists():
        from harness.ml.train import roc_auc

        bucket, key = artifact[5:].split("/", 1)
        booster = workflow.load_booster(target.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
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
) -> Qualification:
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
        blocked = [n for n in needs if by_name[n].status != "passed"]
        if blocked:
            s.status, s.detail = "skipped", f"needs {', '.join(blocked)}"
            progress(f"[{STAGES.index(name) + 1}/{len(STAGES)}] {name}: skipped ({s.detail})")
            return
        progress(f"[{STAGES.index(name) + 1}/{len(STAGES)}] {name}")
        t0 = time.monotonic()
        try:
            result = fn()
            ok, detail = result if result is not None else (True, "")
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

    stage("up", up)
    stage("apply", apply, needs=("up",))
    stage("train", train, needs=("apply",))
    stage("deploy", deploy, needs=("train",))
    stage("iq", lambda: run_suite("iq", run_dir, layout, target_name, progress), needs=("apply",))
    stage("oq", lambda: run_suite("oq", run_dir, layout, target_name, progress), needs=("deploy",))
    stage("scan", scan, needs=("apply",))

    def report() -> tuple[bool, str]:
        merge_results(run_dir, ["iq", "oq"])
        target = state.get("target")
        outputs = state.get("outputs", {})
        plat: Platform | None = state.get("platform")
        lineage: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        if target is not None and outputs.get("endpoint_name"):
            try:
                lineage = live_lineage(target, outputs)
                metrics = model_metrics(target, outputs, lineage, layout)
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
            s3_client=target.client("s3") if target else None,
            bucket=outputs.get("evidence_bucket"),
            prefix=f"evidence/{run_dir.name}",
        )
        state["archived"] = result.archived
        verdict = "PASS" if result.report.passed else "FAIL"
        signed = "signed" if result.signed else "UNSIGNED"
        archived = f"archived to s3://{outputs.get('evidence_bucket')}" if result.archived else "not archived"
        return result.signed is not None, f"verdict {verdict}, {signed}, {archived}"

    # The report stage runs whatever failed before it: it records the failure.
    stage("report", report)

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

    stage("verify", verify, needs=("report",))
    return Qualification(run_dir, stages)


def exit_status(q: Qualification) -> ExitStatus:
    return ExitStatus.OK if q.passed else ExitStatus.QUALIFICATION_FAILED
