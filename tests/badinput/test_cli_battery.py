"""Bad input for the CLI and the root variables: each is refused with a message naming the problem.

No Python traceback, a non-zero exit, and nothing changes: no state file, no resource on the running
emulator (checked with boto3 listings before and after every case). Variable validation fails at plan
time before any API call, so one emulator serves the module and no case applies anything.

The cases run the CLI in-process (``cli.run``: ``main`` with an :class:`~harness.cli.Environment` whose
streams are captured), the same code ``python -m harness`` runs without an interpreter per case; the
last tests run the real entry point as a process. The plans share one ``terraform init`` (providers and
modules in the module's work folder) and one AWS provider process (see :func:`initialised`).

The bad root variables share plans: Terraform reports every invalid root variable of one plan as a
diagnostic of its own (type conversion errors and failed validation rules alike, in the same run), so
the cases are grouped into as few ``harness plan --var ... --var ...`` runs as keep each variable once
per plan (:func:`_plan_groups`; ``endpoint_instance_count`` has three cases, hence three plans), each
run once for the module when its first case needs it. Every case still asserts on its own variable:
its own error diagnostic (Terraform's ``-json`` diagnostics, attributed to the variable by Terraform's
own words, pointing at the value the case passed, see ``tests/variable_diagnostics.py``) with the
words it must contain, its message on the terminal, the exit status, no traceback, and nothing
changed. A search of the whole text would not do: another case's message or the command could name
the variable.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness import cli
from harness import target as targets
from harness.emulator import control
from harness.provisioning import REPO_ROOT, Layout, Platform
from harness.terraform import TerraformError, sharing_providers
from tests import variable_diagnostics

pytestmark = pytest.mark.integration

TRACEBACK = "Traceback (most recent call last)"


def _environ(work: Path, port: int, **extra: str) -> dict[str, str]:
    """A process environment for ``python -m harness`` with no AWS settings of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "HARNESS_DEBUG"}
    env.update(HARNESS_WORK_DIR=str(work), EMULATOR_PORT=str(port), TARGET="local", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def _process(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m harness`` as a user runs it: its own interpreter, exit status and streams."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclasses.dataclass(frozen=True)
class Refusal:
    """A refused ``harness plan``: exit status, everything it printed, and the error it printed."""

    status: int
    text: str
    error: TerraformError | None
    """The :class:`~harness.terraform.TerraformError` the plan raised inside the CLI (its structured
    diagnostics), None when it raised none."""


class Bench:
    """The module's work folder and emulator, and the CLI aimed at them in-process."""

    def __init__(self, work: Path, port: int) -> None:
        self.work = work
        self.port = port
        self.layout = Layout(work=work)
        self.environ = {"TARGET": "local", "EMULATOR_PORT": str(port)}
        self.state_file = self.layout.state_dir("local") / "terraform.tfstate"
        self.target = targets.resolve("local", state_dir=self.layout.emulator_dir, environ={})
        self._clients = {s: self.target.client(s) for s in ("s3", "kms", "iam", "ec2", "logs", "sagemaker")}
        self.baseline = self.snapshot()

    def harness(self, *args: str) -> tuple[int, str]:
        outcome = cli.run(args, environ=self.environ, layout=self.layout)
        return outcome.status, outcome.text

    def refused_plan(self, *args: str) -> Refusal:
        """``harness plan ARGS`` through :func:`cli.run` as every case runs it, also keeping the
        :class:`TerraformError` the CLI turned into its message (a spy on :meth:`Platform.plan` that
        re-raises it: the CLI's handling is unchanged)."""
        raised: list[TerraformError] = []
        real_plan = Platform.plan

        def plan(platform: Platform, *a: Any, **kw: Any) -> Any:
            try:
                return real_plan(platform, *a, **kw)
            except TerraformError as exc:
                raised.append(exc)
                raise

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Platform, "plan", plan)
            rc, text = self.harness("plan", *args)
        return Refusal(rc, text, raised[-1] if raised else None)

    def snapshot(self) -> dict[str, Any]:
        c = self._clients
        return {
            "buckets": sorted(b["Name"] for b in c["s3"].list_buckets().get("Buckets", [])),
            "keys": sorted(k["KeyId"] for k in c["kms"].list_keys()["Keys"]),
            "roles": sorted(r["RoleName"] for r in c["iam"].list_roles()["Roles"]),
            "vpcs": sorted(v["VpcId"] for v in c["ec2"].describe_vpcs()["Vpcs"]),
            "log_groups": sorted(g["logGroupName"] for g in c["logs"].describe_log_groups()["logGroups"]),
            "models": sorted(m["ModelName"] for m in c["sagemaker"].list_models()["Models"]),
        }


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    work = tmp_path_factory.mktemp("badinput-work")
    port = control.free_port()
    control.start(port=port, state_dir=Layout(work=work).emulator_dir)
    try:
        yield Bench(work, port)
    finally:
        control.stop(Layout(work=work).emulator_dir)


@pytest.fixture(scope="module")
def initialised(bench: Bench) -> Iterator[Bench]:
    """One real ``terraform init`` in the module's work folder; the plans after it reuse its providers
    and modules (same data folder, same backend) instead of initialising again.

    The plans attach to one AWS provider process (``terraform.sharing_providers``, as the commands of one
    harness command do, here across the module's commands; the session's own block when one is active)
    instead of each launching the ~700 MB binary, which Terraform asks for its schema every time: about
    2.5 of a refused plan's 4.3 CPU-seconds. The provider is checked against the lock file before it
    starts and runs with the environment the harness gives Terraform (the emulator's endpoint and
    credentials), so a plan that wrongly got past validation would still only talk to this module's
    emulator. ``TF_SHARED_PROVIDER=0``: launched as usual."""
    platform = Platform(bench.target, layout=bench.layout)
    platform.init()
    with pytest.MonkeyPatch.context() as patch, sharing_providers():
        patch.setattr(Platform, "init", lambda _self: None)
        yield bench


def _check_refused(bench: Bench, rc: int, text: str, needles: tuple[str, ...], status: int | None) -> None:
    assert rc != 0, text[-3000:]
    if status is not None:
        assert rc == status, f"exit {rc}, expected {status}:\n{text[-3000:]}"
    assert TRACEBACK not in text, text[-6000:]
    for needle in needles:
        assert needle.lower() in text.lower(), f"{needle!r} not in:\n{text[-3000:]}"
    assert not bench.state_file.exists(), "a state file was written"
    assert bench.snapshot() == bench.baseline, "something was created on the emulator"


# (id, arguments, words the message must contain, exit status or None for "any non-zero")
CLI_CASES = [
    ("unknown-subcommand", ["frobnicate"], ("invalid choice", "frobnicate"), 2),
    ("bad-target", ["plan", "--target", "mars"], ("--target", "mars"), 2),
    ("features-letters", ["invoke", "--features", "72,abc,0.5"], ("--features", "abc"), 2),
    ("features-empty", ["invoke", "--features", ""], ("--features",), 2),
    ("features-commas", ["invoke", "--features", ",,"], ("--features",), 2),
    ("var-without-equals", ["plan", "--var", "log_retention_days"], ("--var", "NAME=VALUE"), 2),
    ("var-without-name", ["plan", "--var", "=365"], ("--var", "NAME=VALUE"), 2),
    ("missing-var-file", ["plan", "--var-file", "/nonexistent/extra.tfvars"], ("no such file",), 2),
    (
        "unknown-variable",
        ["plan", "--var", "log_retention_dayz=365"],
        ("log_retention_dayz", "undeclared"),
        2,
    ),
    ("rows-not-int", ["train", "--rows", "many"], ("--rows", "many"), 2),
]

# (id, NAME=VALUE, words the message must contain): Terraform's type checks and validation blocks
VAR_CASES = [
    ("number-as-string", "endpoint_instance_count=abc", ("endpoint_instance_count", "number")),
    ("list-for-string", 'name_prefix=["gxp","ml"]', ("name_prefix", "string")),
    ("log-retention-30", "log_retention_days=30", ("log_retention_days",)),
    ("instance-count-0", "endpoint_instance_count=0", ("endpoint_instance_count",)),
    ("instance-count-11", "endpoint_instance_count=11", ("endpoint_instance_count",)),
    ("kms-window-3", "kms_deletion_window_in_days=3", ("kms_deletion_window_in_days",)),
    ("object-lock-foo", "object_lock_mode=FOO", ("object_lock_mode",)),
    ("bucket-name", "data_lake_bucket_name=Bad_Bucket", ("data_lake_bucket_name",)),
    ("key-rotation-off", "enable_key_rotation=false", ("enable_key_rotation",)),
    ("instance-type", "endpoint_instance_type=ml.p4d.24xlarge", ("endpoint_instance_type",)),
    ("vpc-cidr-30", "vpc_cidr=10.0.0.0/30", ("vpc_cidr",)),
    ("name-prefix-X", "name_prefix=X", ("name_prefix",)),
]


@pytest.mark.parametrize(
    ("args", "needles", "status"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES]
)
def test_cli_input_is_refused(bench: Bench, args: list[str], needles: tuple[str, ...], status: int) -> None:
    rc, text = bench.harness(*args)
    _check_refused(bench, rc, text, needles, status)


def _assigned(assignment: str) -> tuple[str, Any]:
    """``NAME=VALUE`` as the CLI reads it (``--var``: the value as JSON, else as a string)."""
    name, _, text = assignment.partition("=")
    try:
        return name, json.loads(text)
    except ValueError:
        return name, text


def _plan_groups(assignments: Sequence[str]) -> list[list[str]]:
    """The assignments in as few plans as keep every variable once per plan (first fit, case order)."""
    groups: list[list[str]] = []
    for assignment in assignments:
        name = _assigned(assignment)[0]
        group = next((g for g in groups if name not in {_assigned(a)[0] for a in g}), None)
        if group is None:
            group = []
            groups.append(group)
        group.append(assignment)
    return groups


class Plans:
    """The VAR_CASES' shared plans, each run once (when the first of its cases asks for it)."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.groups = _plan_groups([c[1] for c in VAR_CASES])
        self._done: dict[int, Refusal] = {}

    def carrying(self, assignment: str) -> Refusal:
        """The refusal of the plan that carries ``assignment``."""
        index = next(i for i, g in enumerate(self.groups) if assignment in g)
        if index not in self._done:
            self._done[index] = self.bench.refused_plan(
                *(x for a in self.groups[index] for x in ("--var", a))
            )
        return self._done[index]


@pytest.fixture(scope="module")
def plans(initialised: Bench) -> Plans:
    return Plans(initialised)


def _check_variable_refused(
    bench: Bench, refusal: Refusal, name: str, value: Any, needles: tuple[str, ...]
) -> dict[str, Any]:
    """The plan failed as a refused variable fails (exit 3, Terraform's error, nothing changed), and
    ``name`` has its own error diagnostic, pointing at ``value``, whose words hold every needle and
    whose message the user saw. Nothing about the plan's other variables: each case fails alone when
    its own rule is gone. Returns the diagnostic."""
    _check_refused(bench, refusal.status, refusal.text, ("terraform plan failed",), 3)
    assert refusal.error is not None, f"the plan raised no TerraformError:\n{refusal.text[-3000:]}"
    diagnostic = variable_diagnostics.refusal_of(refusal.error, name, value)
    words = f"{diagnostic['summary']}\n{diagnostic['detail']}"
    for needle in needles:
        assert needle.lower() in words.lower(), f"{needle!r} not in var.{name}'s diagnostic:\n{words}"
    message = diagnostic["detail"].splitlines()[0]
    assert message in refusal.text, f"var.{name}'s message {message!r} not shown:\n{refusal.text[-3000:]}"
    return diagnostic


@pytest.mark.parametrize(("assignment", "needles"), [c[1:] for c in VAR_CASES], ids=[c[0] for c in VAR_CASES])
def test_bad_variable_fails_at_plan_and_creates_nothing(
    plans: Plans, assignment: str, needles: tuple[str, ...]
) -> None:
    refusal = plans.carrying(assignment)
    _check_variable_refused(plans.bench, refusal, *_assigned(assignment), needles)


def test_tfvars_file_with_unknown_variable_is_refused(bench: Bench, tmp_path: Path) -> None:
    extra = tmp_path / "extra.tfvars"
    extra.write_text('log_retention_days = 365\nendpoint_instanse_type = "ml.m5.large"\n')
    rc, text = bench.harness("plan", "--var-file", str(extra))
    _check_refused(bench, rc, text, ("endpoint_instanse_type", str(extra), "undeclared"), 2)


def test_tfvars_file_with_out_of_range_value_is_refused(initialised: Bench, tmp_path: Path) -> None:
    extra = tmp_path / "extra.tfvars.json"
    extra.write_text('{"endpoint_instance_count": 11}')
    refusal = initialised.refused_plan("--var-file", str(extra))
    name = "endpoint_instance_count"
    diagnostic = _check_variable_refused(initialised, refusal, name, 11, (name,))
    assert Path(diagnostic["range"]["filename"]).resolve() == extra.resolve(), diagnostic["range"]


def test_local_target_without_emulator_says_which_and_what_to_run(tmp_path: Path) -> None:
    layout = Layout(work=tmp_path / "work")
    environ = {"TARGET": "local", "EMULATOR_PORT": str(control.free_port())}
    for command in ("plan", "output", "train", "deploy", "destroy"):
        outcome = cli.run([command], environ=environ, layout=layout)
        assert outcome.status == 4 and TRACEBACK not in outcome.text, f"{command}: {outcome.text[-3000:]}"
        assert "embedded local AWS is not running" in outcome.stderr and "make up" in outcome.stderr, outcome
    assert not (layout.state_dir("local") / "terraform.tfstate").exists()


# The real entry point, as a process: what the in-process cases cannot show (the interpreter's exit
# status, the process's own environment and credential chain, nothing printed as a traceback).


def test_aws_target_without_credentials_says_which_and_what_to_run(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    env = _environ(
        tmp_path / "work",
        control.free_port(),
        TARGET="aws",
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_REGION="eu-central-1",
    )
    proc = _process(env, "plan")
    text = proc.stdout + proc.stderr
    assert proc.returncode == 4 and TRACEBACK not in text, text[-3000:]
    assert "no AWS credentials" in proc.stderr and "TARGET=aws" in text and "TARGET=local" in text, text


def test_the_entry_point_exits_with_the_status_main_returns(tmp_path: Path) -> None:
    env = _environ(tmp_path / "work", control.free_port())
    proc = _process(env, "frobnicate")
    assert proc.returncode == 2 and "invalid choice: 'frobnicate'" in proc.stderr, proc.stderr
    assert proc.stdout == "" and TRACEBACK not in proc.stderr
    proc = _process(env, "--help")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: harness") and proc.stderr == ""
