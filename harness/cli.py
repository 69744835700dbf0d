"""``python -m harness``: the command line. The one place where errors become messages and exit codes."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import botocore.exceptions

from harness import target as targets
from harness import terraform
from harness.errors import ExitStatus, HarnessError, UsageError
from harness.progress import EVENTS_ENV, Event, JsonLines, Printer
from harness.provisioning import Layout, Platform, layout_from_env


@dataclasses.dataclass
class Environment:
    """What the CLI touches outside itself, passed in so tests can swap it."""

    stdout: TextIO = dataclasses.field(default_factory=lambda: sys.stdout)
    stderr: TextIO = dataclasses.field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(os.environ))
    layout: Layout = dataclasses.field(default_factory=layout_from_env)
    cwd: Path = dataclasses.field(default_factory=Path.cwd)
    """Where the user stands: relative paths on the command line are read from here."""
    resolve: Callable[..., targets.Target] | None = None
    """How a target becomes reachable (default :func:`harness.target.resolve`); tests hand in their own."""

    def target(self, explicit: str | None = None, *, autostart: bool = False) -> targets.Target:
        """The target the command names (``--target``, else ``TARGET``, else local), resolved: the one
        place the CLI reaches a target, so an unreachable one is said the same way by every command."""
        resolve = self.resolve or targets.resolve
        name = targets.target_name(self.environ, explicit)
        return resolve(
            name,
            state_dir=self.layout.emulator_dir,
            autostart=autostart,
            environ=self.environ,
            progress=self.progress,
        )

    def progress(self, item: Event | str) -> None:
        """The terminal's rendering of a progress event (``==> `` lines on standard error), and the
        event as a JSON line in the file ``HARNESS_PROGRESS_EVENTS`` names, if it names one."""
        Printer(self.stderr)(item)
        events_file = self.environ.get(EVENTS_ENV)
        if events_file:
            JsonLines(events_file)(item)

    def out(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)


def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--target",
        choices=targets.TARGETS,
        default=None,
        help="local (embedded emulator, default) or aws; the TARGET environment variable sets it too",
    )
    p.add_argument(
        "--var-file",
        action="append",
        type=Path,
        default=None,
        help="extra or replacement tfvars file (default: terraform/env/<target>.tfvars)",
    )
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="set a root variable")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    emu = sub.add_parser("emulator", help="the embedded local AWS (moto server + local SageMaker runtime)")
    emu.add_argument("action", choices=["start", "stop", "status", "env"])
    emu.add_argument("--port", type=int, default=None, help="port (default: EMULATOR_PORT or 4566)")

    for name, helptext in (
        ("plan", "show what apply would change"),
        ("apply", "converge the platform (starts the local emulator when needed)"),
        ("destroy", "remove every resource of the platform"),
        ("output", "print the root outputs as JSON"),
    ):
        p = sub.add_parser(name, help=helptext)
        _add_target(p)
    p = sub.add_parser("train", help="generate data, run the training job, register the model package")
    _add_target(p)
    p.add_argument("--rows", type=int, default=5000, help="synthetic subjects to generate (default 5000)")
    p.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    p.add_argument(
        "--source",
        choices=("generator", "features"),
        default="generator",
        help="training data: the seeded generator (default) or an Athena query over the feature store",
    )

    p = sub.add_parser(
        "pipeline", help="prepare data and code, run the model's SageMaker pipeline, follow it to the end"
    )
    _add_target(p)
    p.add_argument("--rows", type=int, default=5000, help="synthetic subjects to generate (default 5000)")
    p.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")

    p = sub.add_parser("monitor", help="drift analysis of the traffic captured since the previous analysis")
    _add_target(p)

    p = sub.add_parser("traffic", help="score synthetic subjects on the endpoint (optionally shifted)")
    _add_target(p)
    p.add_argument("--requests", type=int, default=300, help="subjects to score, one request each")
    p.add_argument("--seed", type=int, default=1001, help="generator seed")
    p.add_argument("--shift", type=float, default=0.0, help="added to every missed_visit_rate (e.g. 0.3)")
    p = sub.add_parser(
        "features", help="the subjects in Feature Store: ingest them, or query the offline store"
    )
    p.add_argument("action", choices=["ingest", "query"])
    _add_target(p)
    p.add_argument("--rows", type=int, default=5000, help="subjects to ingest (default 5000)")
    p.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    p.add_argument(
        "--sql", default=None, help="query: SQL over the offline store (default: the training query)"
    )

    p = sub.add_parser("deploy", help="serve the latest approved model package on the endpoint")
    _add_target(p)

    p = sub.add_parser("invoke", help="score one subject on the endpoint")
    _add_target(p)
    p.add_argument("--features", required=True, help="comma-separated features, e.g. 72,1,0.85")
    p.add_argument("--endpoint", default=None, help="endpoint name (default: the platform's)")

    p = sub.add_parser("scan", help="checkov over terraform/, modules/ and (with a target) the plan")
    _add_target(p)
    p.add_argument("--no-plan", action="store_true", help="scan the code only, not the plan JSON")
    p.add_argument("--out", type=Path, default=None, help="results folder (default .run/<time>-scan)")
    p = sub.add_parser("validate", help="the whole IQ/OQ qualification, ending in a signed evidence package")
    p.add_argument("--target", choices=targets.TARGETS, default=None)
    p.add_argument(
        "--installed",
        action="store_true",
        help="qualify the platform as installed: do not apply, train or deploy first",
    )
    p.add_argument(
        "--baseline",
        default=None,
        metavar="PACKAGE",
        help="the package the drift check before apply compares with (default: the latest approved, "
        "else passing, package of this platform)",
    )
    p.add_argument(
        "--fresh-scan",
        action="store_true",
        help="run checkov and the policy lint even when an earlier run scanned byte-identical inputs "
        "(default: reuse that run's verified results)",
    )

    p = sub.add_parser(
        "protocol", help="print and record the qualification protocol (what validate will run)"
    )
    p.add_argument("--json", action="store_true", help="the protocol record as JSON")
    p.add_argument(
        "--target", choices=targets.TARGETS, default=None, help="whose signing key seals the record"
    )

    p = sub.add_parser("drift", help="compare the live platform with its qualified baseline")
    _add_target(p)
    p.add_argument(
        "--baseline",
        default=None,
        metavar="PACKAGE",
        help="evidence folder or s3:// package to compare with (default: the latest approved, else "
        "passing, package of this platform)",
    )

    dev = sub.add_parser("deviation", help="deviations of an evidence package and their signed resolutions")
    dev_sub = dev.add_subparsers(dest="deviation_command", required=True)
    p = dev_sub.add_parser("list", help="every deviation of a package with its status now")
    p.add_argument("package", help="evidence folder (e.g. evidence/latest)")
    p = dev_sub.add_parser("resolve", help="sign the resolution of one deviation (DEV-001 ...)")
    p.add_argument("package", help="evidence folder (e.g. evidence/latest)")
    p.add_argument("deviation", help="deviation id, e.g. DEV-001")
    p.add_argument("--impact", required=True, help="the impact assessment, in words")
    p.add_argument("--ref", required=True, help="the change that resolves it (change control id)")
    p.add_argument("--name", required=True, help="your printed name")
    p.add_argument(
        "--role-arn", default=None, help="assume this role first, carrying --name into the session"
    )
    p.add_argument("--target", choices=targets.TARGETS, default=None)

    report = sub.add_parser("report", help="evidence packages")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    verify = report_sub.add_parser("verify", help="check an evidence package's hashes and signature offline")
    verify.add_argument("package", help="evidence folder (e.g. evidence/latest) or s3://bucket/prefix")
    verify.add_argument("--public-key", type=Path, default=None, help="trusted signing public key (PEM)")
    verify.add_argument("--json", action="store_true", help="machine-readable result")
    verify.add_argument(
        "--target", choices=targets.TARGETS, default=None, help="where an s3:// package lives"
    )
    verify.add_argument(
        "--approvals-key", type=Path, default=None, help="trusted public key of people's signatures (PEM)"
    )

    p = sub.add_parser("sign", help="sign an evidence package as a person (reviewed or approved)")
    p.add_argument(
        "package", help="evidence folder (e.g. .run/evidence/latest) or s3://bucket/evidence/<run-id>/"
    )
    p.add_argument(
        "--meaning", required=True, choices=["reviewed", "approved"], help="what the signature means"
    )
    p.add_argument("--name", required=True, help='the signer\'s printed name, e.g. "Jane Doe"')
    p.add_argument("--reason", default=None, help="why (shown with the signature)")
    p.add_argument("--role-arn", default=None, help="assume this role first, as the person named by --name")
    p.add_argument("--target", choices=targets.TARGETS, default=None)

    model = sub.add_parser("model", help="approve or reject a registered model version as a person")
    model.add_argument("action", choices=["approve", "reject"])
    model.add_argument("--version", type=int, required=True, help="model package version in the group")
    model.add_argument("--name", required=True, help='the approver\'s printed name, e.g. "Jane Doe"')
    model.add_argument("--reason", required=True, help="why (shown with the signature and in the registry)")
    model.add_argument("--role-arn", default=None, help="assume this role first (default: approver_role_arn)")
    model.add_argument("--target", choices=targets.TARGETS, default=None)
    return parser


def _parse_features(text: str) -> list[float]:
    try:
        features = [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise UsageError(f"--features must be comma-separated numbers, got {text!r}") from exc
    if not features:
        raise UsageError(f"--features must name at least one number (e.g. 72,1,0.85), got {text!r}")
    return features


def _parse_vars(items: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--var {item!r} must look like NAME=VALUE")
        key = key.strip()
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def var_files_from(given: list[Path] | None, cwd: Path) -> list[Path]:
    """``--var-file`` paths resolved from where the user stands (Terraform runs inside terraform/, so a
    relative path passed on as given would be looked up there instead)."""
    resolved = [(f, (cwd / f).resolve()) for f in given or []]
    missing = [str(f) for f, path in resolved if not path.is_file()]
    if missing:
        raise UsageError(f"--var-file {', '.join(missing)}: no such file (relative to {cwd})")
    return [path for _, path in resolved]


def _platform(args: argparse.Namespace, env: Environment, *, autostart: bool) -> Platform:
    # Bad input fails before anything is contacted or started.
    variables = _parse_vars(args.var)
    extra_var_files = var_files_from(args.var_file, env.cwd)
    name = targets.target_name(env.environ, args.target)
    target = env.target(args.target, autostart=autostart)
    var_files = None
    if extra_var_files:
        var_files = [env.layout.var_file(name), *extra_var_files]
    return Platform(
        target,
        layout=env.layout,
        variables=variables,
        var_files=var_files,
        progress=env.progress,
    )


def cmd_emulator(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness.emulator import control

    state_dir = env.layout.emulator_dir
    port = args.port or (int(env.environ["EMULATOR_PORT"]) if env.environ.get("EMULATOR_PORT") else None)
    if args.action == "start":
        info = control.start(port=port, state_dir=state_dir)
        env.progress(
            f"embedded local AWS answering at {info.endpoint_url} (pid {info.pid}, log {info.log_file})"
        )
        env.progress(
            'aim the AWS CLI, boto3 and Terraform at it with: eval "$(python -m harness emulator env)"'
        )
    elif args.action == "stop":
        control.stop(state_dir)
        env.progress("embedded local AWS stopped")
    elif args.action == "status":
        st = control.status(state_dir)
        env.out(json.dumps(dataclasses.asdict(st), default=str, indent=2))
        return ExitStatus.OK if st.running and st.answering else ExitStatus.TARGET
    elif args.action == "env":
        st = control.status(state_dir)
        if not (st.running and st.answering):
            raise targets.TargetError("the embedded local AWS is not running", hint="start it with `make up`")
        env.out(control.format_exports(control.env(control.info(state_dir))))
    return ExitStatus.OK


def cmd_plan(args: argparse.Namespace, env: Environment) -> ExitStatus:
    plat = _platform(args, env, autostart=False)
    plan = plat.plan()
    changes = plan.pending  # from the plan's own stream: no `terraform show -json`...
    if any(len(rc.actions) > 1 for rc in changes):
        # ...unless a replace is pending: the JSON says the order Terraform will run it in (create
        # before delete, or delete first), which the stream does not
        changes = [rc for rc in plan.resource_changes if rc.steps]
    # by address, as the JSON lists them (the stream follows Terraform's graph walk, which varies)
    for rc in sorted(changes, key=lambda rc: rc.address):
        env.out(f"  {'/'.join(rc.actions):<16} {rc.address}")
    return ExitStatus.OK


def cmd_apply(args: argparse.Namespace, env: Environment) -> ExitStatus:
    plat = _platform(args, env, autostart=True)
    plat.apply()
    return ExitStatus.OK


def cmd_destroy(args: argparse.Namespace, env: Environment) -> ExitStatus:
    plat = _platform(args, env, autostart=False)
    plat.destroy()
    return ExitStatus.OK


def cmd_output(args: argparse.Namespace, env: Environment) -> ExitStatus:
    plat = _platform(args, env, autostart=False)
    env.out(json.dumps(plat.outputs(), indent=2, sort_keys=True))
    return ExitStatus.OK


def _applied_outputs(plat: Platform) -> dict[str, Any]:
    outputs = plat.outputs()
    if not outputs.get("data_lake_bucket"):
        raise HarnessError(
            f"the platform is not applied on target {plat.target.name}", hint="run `make apply` first"
        )
    return outputs


def cmd_train(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness import workflow

    plat = _platform(args, env, autostart=False)
    outputs = _applied_outputs(plat)
    run = workflow.train(
        plat.target,
        outputs,
        layout=env.layout,
        progress=env.progress,
        rows=args.rows,
        seed=args.seed,
        source=args.source,
    )
    (plat.run_dir / "training.json").write_text(json.dumps(run.to_dict(), indent=2))
    env.out(json.dumps(run.to_dict(), indent=2))
    env.progress(f"trained in {run.seconds:.1f}s; record: {plat.run_dir / 'training.json'}")
    return ExitStatus.OK


def cmd_pipeline(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness import mlops

    plat = _platform(args, env, autostart=False)
    outputs = _applied_outputs(plat)
    run = mlops.run_pipeline(
        plat.target, outputs, layout=env.layout, progress=env.progress, rows=args.rows, seed=args.seed
    )
    (plat.run_dir / "pipeline.json").write_text(json.dumps(run.to_dict(), indent=2))
    env.out(json.dumps(run.to_dict(), indent=2))
    env.progress(
        f"pipeline execution {run.status} in {run.seconds:.1f}s; record: {plat.run_dir / 'pipeline.json'}"
    )
    if run.status != "Succeeded":
        raise mlops.PipelineError(
            f"pipeline execution {run.execution_arn} {run.status}: {run.failure_reason or 'no reason given'}",
            hint="see the steps above; `aws sagemaker list-pipeline-execution-steps` shows them again",
        )
    return ExitStatus.OK


def cmd_monitor(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness import monitoring

    plat = _platform(args, env, autostart=False)
    outputs = _applied_outputs(plat)
    run = monitoring.run_monitor(plat.target, outputs, progress=env.progress)
    (plat.run_dir / "monitor.json").write_text(json.dumps(run.to_dict(), indent=2))
    env.out(json.dumps(run.to_dict(), indent=2))
    if run.violations:
        named = ", ".join(f"{v['constraint_check_type']} {v['feature_name']}".strip() for v in run.violations)
        env.progress(
            f"{run.job_name}: {run.item_count} captured requests, {len(run.violations)} violation(s): {named}"
        )
    else:
        env.progress(f"{run.job_name}: {run.item_count} captured requests, no violation")
    return ExitStatus.OK


def cmd_traffic(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness import monitoring

    plat = _platform(args, env, autostart=False)
    outputs = _applied_outputs(plat)
    with targets.aws_errors(plat.target, doing="sending traffic"):
        monitoring.send_traffic(
            plat.target,
            outputs["endpoint_name"],
            requests=args.requests,
            seed=args.seed,
            shift=args.shift,
            progress=env.progress,
        )
    return ExitStatus.OK


def cmd_features(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness import featurestore

    if args.rows < 1:
        raise UsageError(f"--rows must be a positive number of subjects, got {args.rows}")
    plat = _platform(args, env, autostart=False)
    outputs = _applied_outputs(plat)
    if args.action == "ingest":
        result = featurestore.ingest(
            plat.target, outputs, rows=args.rows, seed=args.seed, progress=env.progress
        )
        env.out(json.dumps(result.to_dict(), indent=2))
        env.progress(
            f"{result.records} subjects in both stores of {result.feature_group} in {result.seconds:.1f}s"
        )
        return ExitStatus.OK
    result = featurestore.run_query(plat.target, outputs, args.sql or featurestore.training_query(outputs))
    if result.state != "SUCCEEDED":
        raise featurestore.FeatureStoreError(f"query {result.execution_id} {result.state}: {result.reason}")
    env.out(featurestore.format_rows(result).rstrip("\n"))
    env.progress(
        f"query {result.execution_id}: {len(result.rows)} rows, {result.scanned_bytes} bytes scanned, "
        f"results in {result.output_location}"
    )
    return ExitStatus.OK


def cmd_deploy(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness import workflow

    plat = _platform(args, env, autostart=False)
    outputs = _applied_outputs(plat)
    model_package = workflow.latest_approved_package(plat.target, outputs["model_package_group_name"])
    release = workflow.write_release(env.layout, plat.target, model_package)
    version, arn = model_package.get("ModelPackageVersion"), model_package["ModelPackageArn"]
    approval = model_package.get("ApprovalDescription") or "no approval description"
    env.progress(
        f"deploying model version {version} ({arn}), {model_package['ModelApprovalStatus']}: {approval}"
    )
    env.progress(f"release pinned in {release}")
    # the same platform and values, now with the release file (a Platform picks it up when built)
    plat = Platform(
        plat.target,
        layout=env.layout,
        run_dir=plat.run_dir,
        variables=plat.runner.variables,
        var_files=[f for f in plat.runner.var_files if f != release],
        progress=env.progress,
    )
    plat.apply()
    outputs = plat.outputs()
    desc = plat.target.client("sagemaker").describe_endpoint(EndpointName=outputs["endpoint_name"])
    env.progress(f"endpoint {desc['EndpointName']} {desc['EndpointStatus']}")
    if desc["EndpointStatus"] != "InService":
        raise HarnessError(
            f"endpoint {desc['EndpointName']} is {desc['EndpointStatus']}: {desc.get('FailureReason')}"
        )
    return ExitStatus.OK


def cmd_invoke(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness import workflow

    features = _parse_features(args.features)  # bad input fails before anything is contacted
    target = env.target(args.target)
    endpoint = args.endpoint
    if endpoint is None:
        endpoint = Platform(target, layout=env.layout).outputs().get("endpoint_name")
        if not endpoint:
            raise HarnessError("no endpoint is deployed", hint="run `make train deploy` first")
    env.out(json.dumps(workflow.invoke(target, endpoint, features)))
    return ExitStatus.OK


def cmd_scan(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness.provisioning import new_run_dir
    from harness.validation import checkov

    out = args.out or new_run_dir(env.layout, "scan")
    plan_json = None
    if not args.no_plan:
        plat = _platform(args, env, autostart=False)
        plan = plat.plan()
        plan_json = out / "tfplan.json"
        out.mkdir(parents=True, exist_ok=True)
        plan_json.write_text(json.dumps(plan.data))
    result = checkov.scan(env.layout.root, out, plan_json=plan_json, progress=env.progress)
    totals = result.totals()
    env.progress(
        f"checkov {result.checkov_version}: passed {totals['passed']}, failed {totals['failed']}, "
        f"skipped {totals['skipped']} (results in {out})"
    )
    lint_ok = True
    if plan_json is not None:
        from harness.validation import policy_lint

        linted = policy_lint.lint(
            env.layout.root,
            out / "policy-lint",
            plan=json.loads(plan_json.read_text()),
            progress=env.progress,
        )
        t = linted.totals()
        env.progress(
            f"policy lint ({linted.tool} {linted.version}): {t['policies']} policies, "
            f"{t['findings']} findings, {t['reasoned']} reasoned, {t['unrendered']} not rendered at plan "
            f"(results in {out / 'policy-lint'})"
        )
        lint_ok = linted.ok
    if not result.ok:
        raise HarnessError("the checkov gate failed: see the FAILED lines above")
    if not lint_ok:
        raise HarnessError(
            "the policy lint failed: see the FAILED lines above",
            hint="fix the policy, or reason the finding next to it: #policy-lint:skip=ISSUE:why",
        )
    return ExitStatus.OK


def cmd_validate(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness import qualify

    name = targets.target_name(env.environ, args.target)
    result = qualify.qualify(
        target_name=name,
        layout=env.layout,
        progress=env.progress,
        environ=dict(env.environ),
        converge=not args.installed,
        baseline=args.baseline,
        fresh_scan=args.fresh_scan,
    )
    verdict = result.finalized.report.verdict if result.finalized is not None else None
    # The exit follows the signed verdict: every stage passed AND the report's verdict is PASS.
    verdict_passed = verdict is not None and verdict["result"] == "PASS"
    passed = result.passed and verdict_passed
    env.out(f"qualification {result.run_dir.name}: {'PASSED' if passed else 'FAILED'}")
    env.out(result.table())
    if verdict is not None:
        grade = "release-grade" if verdict["release"] else "not release-grade"
        env.out(f"verdict: {verdict['result']} ({grade}); {verdict['target']['statement']}")
        for reason in verdict["reasons"] + verdict["release_reasons"]:
            env.out(f"  - {reason}")
    env.out(f"evidence: {result.run_dir}  (verify: python -m harness report verify {result.run_dir})")
    if not result.passed:
        failed = [s.name for s in result.stages if s.status not in ("passed", "kept")]
        raise qualify.QualificationFailed(
            f"qualification {result.run_dir.name} failed in stage(s) {', '.join(failed)}",
            hint=f"read {result.run_dir / 'report.html'} (deviations) and the stage table above",
        )
    if not verdict_passed:
        why = "; ".join(verdict["reasons"]) if verdict else "no verdict was written"
        raise qualify.QualificationFailed(
            f"qualification {result.run_dir.name}: the verdict is FAIL ({why})",
            hint=f"read {result.run_dir / 'report.html'} (deviations, traceability matrix)",
        )
    return ExitStatus.OK


def cmd_protocol(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness.validation import protocol

    record = protocol.build_protocol(env.layout.root)
    folder = protocol.record_protocol(record, env.layout.work_dir)
    sealed = _seal_protocol(args, env, folder)
    approved = protocol.approvals(folder)
    if args.json:
        env.out(
            json.dumps({**record, "record": str(folder), "sealed": sealed, "approvals": approved}, indent=2)
        )
        return ExitStatus.OK
    env.out(protocol.describe(record))
    env.out(f"recorded: {folder / protocol.PROTOCOL_FILE}" + ("" if sealed else " (not sealed)"))
    if approved:
        env.out("approved: " + "; ".join(f"{a['manifestation']}" for a in approved))
    elif sealed:
        env.out(
            "not approved: validate runs it, but no run of it can be release-grade; a reviewer and an\n"
            f"approver sign it:  python -m harness sign {folder} --meaning reviewed|approved --name NAME"
        )
    return ExitStatus.OK


def _seal_protocol(args: argparse.Namespace, env: Environment, folder: Path) -> bool:
    """Seal the protocol record with the platform's signing key (needed before anyone can sign it)."""
    from harness.validation import package, protocol

    if (folder / package.MANIFEST).is_file():
        return True
    try:
        target = env.target(args.target)
        key_id = (Platform(target, layout=env.layout).outputs().get("kms_key_arns") or {}).get("signing")
    except HarnessError as exc:
        env.progress(
            f"the protocol record is not sealed (no platform to seal it with): {str(exc).splitlines()[0]}"
        )
        return False
    if not key_id:
        env.progress("the protocol record is not sealed: the platform has no signing key (run `make apply`)")
        return False
    from harness.identity import caller

    protocol.seal(folder, kms_client=target.client("kms"), key_id=key_id, author=caller(target).to_dict())
    env.progress(f"protocol record sealed with {key_id}")
    return True


def cmd_drift(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness import drift

    plat = _platform(args, env, autostart=False)
    outputs = _applied_outputs(plat)
    env.progress(f"reading the live platform on target {plat.target.name}")
    result, _ = drift.detect(
        plat.target,
        outputs,
        work_dir=env.layout.work_dir,
        state_serial=plat.state_serial(),
        baseline=args.baseline,
        progress=env.progress,
    )
    written = drift.write_record(
        result, drift.records_dir(env.layout.work_dir) / result.checked.replace(":", "")
    )
    env.progress(f"drift record: {written[0]} and {written[1].name}")
    if result.baseline is None:
        raise HarnessError(
            result.summary(), hint="qualify the platform first: `make validate` records its baseline"
        )
    drift.raise_if_drifted(result)
    env.out(result.summary())
    return ExitStatus.OK


def cmd_deviation(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness.validation import deviations

    if args.deviation_command == "list":
        for d in deviations.current(args.package):
            head = f"{d['id']}  {d['classification']:<8} {d['status']:<8} {d['kind']:<8}"
            env.out(f"{head} {d.get('requirement') or '-':<8} {d.get('observed', '')[:120]}")
            if d.get("resolution"):
                env.out(f"        resolved: {d['resolution']['manifestation']}")
        return ExitStatus.OK
    _, signer, outputs = _signing_setup(args, env, purpose=f"resolve {args.deviation} of {args.package}")
    key_id = _approvals_key(outputs)
    outcome = deviations.resolve(
        args.package,
        args.deviation,
        impact=args.impact,
        change=args.ref,
        printed_name=args.name,
        signer_target=signer,
        key_id=key_id,
        s3_client=signer.client("s3"),
        evidence_bucket=outputs.get("evidence_bucket"),
    )
    env.out(f"resolved {args.deviation}: {outcome.record['manifestation']}")
    env.out(f"  record: {outcome.local_path}")
    if outcome.s3_uri:
        env.out(f"  record: {outcome.s3_uri} (version {outcome.s3_version}, Object Lock)")
    return ExitStatus.OK


def cmd_report(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness.validation import verify_command

    def s3_factory(service: str) -> Any:
        return env.target(args.target).client(service)

    rc = verify_command(
        args.package,
        s3_client_factory=s3_factory,
        out=env.stdout,
        trusted_public_key=args.public_key,
        as_json=args.json,
        trusted_approvals_key=args.approvals_key,
    )
    return ExitStatus(rc)


def _signing_setup(
    args: argparse.Namespace, env: Environment, *, purpose: str
) -> tuple[Any, Any, dict[str, Any]]:
    """The platform's target and outputs, and the signer's target (the role assumed as the person)."""
    from harness import identity

    identity.session_name(args.name)  # a bad name fails before anything is contacted
    target = env.target(args.target)
    outputs = Platform(target, layout=env.layout).outputs()
    role_arn = args.role_arn
    if role_arn is None and args.command == "model":
        role_arn = outputs.get("approver_role_arn")
    signer = target
    if role_arn:
        signer = identity.assume(target, role_arn, args.name, purpose=purpose)
        env.progress(f"acting as {args.name} through {role_arn}")
    return target, signer, outputs


def _approvals_key(outputs: Mapping[str, Any]) -> str:
    key = (outputs.get("kms_key_arns") or {}).get("approvals")
    if not key:
        raise HarnessError(
            "the platform has no approvals signing key (output kms_key_arns.approvals)",
            hint="apply the platform (`make apply`): people's signatures use that key",
        )
    return key


def cmd_sign(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness.validation import approvals

    _, signer, outputs = _signing_setup(args, env, purpose=f"sign {args.package} as {args.meaning}")
    outcome = approvals.sign(
        args.package,
        signer_target=signer,
        meaning=args.meaning,
        printed_name=args.name,
        reason=args.reason,
        key_id=_approvals_key(outputs),
        approver_role_arn=outputs.get("approver_role_arn"),
        s3_client=signer.client("s3"),
        evidence_bucket=outputs.get("evidence_bucket"),
        sheet_dir=env.layout.work_dir / "approvals",
    )
    env.out(f"signed: {outcome.record['manifestation']}")
    if outcome.local_path:
        env.out(f"  record: {outcome.local_path}")
    if outcome.s3_uri:
        env.out(f"  record: {outcome.s3_uri} (version {outcome.s3_version}, Object Lock)")
    if outcome.not_archived:
        env.progress(f"the record is kept in the package folder only: {outcome.not_archived}")
    for path in outcome.sheet:
        env.out(f"  approval sheet: {path}")
    return ExitStatus.OK


def cmd_model(args: argparse.Namespace, env: Environment) -> ExitStatus:
    from harness import modelapproval

    meaning = "approved" if args.action == "approve" else "rejected"
    target, signer, outputs = _signing_setup(args, env, purpose=f"{args.action} model version {args.version}")
    outcome = modelapproval.decide(
        target,
        signer,
        outputs,
        version=args.version,
        meaning=meaning,
        printed_name=args.name,
        reason=args.reason,
        key_id=_approvals_key(outputs),
    )
    env.out(f"{outcome.package_arn}: {outcome.status}")
    env.out(f"  signed: {outcome.record['manifestation']}")
    env.out(f"  record: {outcome.s3_uri} (version {outcome.s3_version}, Object Lock)")
    return ExitStatus.OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Environment], ExitStatus]] = {
    "emulator": cmd_emulator,
    "plan": cmd_plan,
    "apply": cmd_apply,
    "destroy": cmd_destroy,
    "output": cmd_output,
    "train": cmd_train,
    "pipeline": cmd_pipeline,
    "monitor": cmd_monitor,
    "traffic": cmd_traffic,
    "features": cmd_features,
    "deploy": cmd_deploy,
    "invoke": cmd_invoke,
    "scan": cmd_scan,
    "validate": cmd_validate,
    "drift": cmd_drift,
    "report": cmd_report,
    "protocol": cmd_protocol,
    "deviation": cmd_deviation,
    "sign": cmd_sign,
    "model": cmd_model,
}


def _parse(argv: Sequence[str] | None, env: Environment) -> argparse.Namespace | int:
    """The parsed command line, or argparse's exit status (2 for bad input, 0 after ``--help``), with
    argparse's usage, help and error text written to the environment's streams instead of the process's."""
    try:
        with contextlib.redirect_stdout(env.stdout), contextlib.redirect_stderr(env.stderr):
            return build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(ExitStatus.USAGE)


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run one command; every error becomes a message on ``env.stderr`` and an :class:`ExitStatus`.

    Never exits the interpreter (``python -m harness`` does that with the returned status), so the
    whole command line runs in-process with an :class:`Environment` of one's own: see :func:`run`."""
    env = env or Environment()
    args = _parse(argv, env)
    if isinstance(args, int):
        return args
    try:
        # the Terraform commands of this command share one AWS provider process per target, stopped
        # when the command ends (harness.terraform.SharedProviders); SIGTERM stops it like Ctrl-C
        with terraform.sharing_providers():
            return int(COMMANDS[args.command](args, env))
    except KeyboardInterrupt:
        print(
            f"interrupted: `{args.command}` stopped (child processes were stopped and Terraform's state lock "
            "released); run it again to converge",
            file=env.stderr,
            flush=True,
        )
        return int(ExitStatus.INTERRUPTED)
    except HarnessError as exc:
        print(f"error: {exc}", file=env.stderr, flush=True)
        return int(exc.exit_status)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        err = targets.aws_error(exc, doing=args.command)
        print(f"error: {err}", file=env.stderr, flush=True)
        return int(err.exit_status)
    except Exception as exc:
        if env.environ.get("HARNESS_DEBUG"):
            raise
        print(
            f"error: {args.command} failed unexpectedly: {type(exc).__name__}: {exc}\n"
            "  hint: run again with HARNESS_DEBUG=1 for the Python traceback",
            file=env.stderr,
            flush=True,
        )
        return int(ExitStatus.ERROR)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one in-process command left behind: its exit status and everything it printed."""

    status: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def run(
    argv: Sequence[str],
    *,
    environ: Mapping[str, str] | None = None,
    layout: Layout | None = None,
    cwd: Path | None = None,
    resolve: Callable[..., targets.Target] | None = None,
) -> Outcome:
    """:func:`main` in-process with its output captured (``environ`` replaces the process's
    environment for the command, ``layout`` says where state, caches and runs live, ``resolve``
    replaces how a target is reached)."""
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        stdout=out,
        stderr=err,
        environ=dict(environ if environ is not None else os.environ),
        layout=layout if layout is not None else layout_from_env(environ),
        cwd=cwd if cwd is not None else Path.cwd(),
        resolve=resolve,
    )
    status = main(list(argv), env)
    return Outcome(status, out.getvalue(), err.getvalue())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
