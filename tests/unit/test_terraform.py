"""The Terraform adapter: python-terraform's defects worked around, progress, errors, CLI config."""

from __future__ import annotations

import json
import os
import stat
import textwrap
import time
from pathlib import Path

import pytest

from harness import cli
from harness.progress import Recorder, TerraformResource
from harness.terraform import (
    Plan,
    TerraformError,
    TerraformRunner,
    cli_config_env,
    find_provider_mirror,
)

PLAN_JSON = {
    "format_version": "1.2",
    "resource_changes": [
        {"address": "aws_kms_key.a", "change": {"actions": ["create"]}},
        {"address": "aws_s3_bucket.b", "change": {"actions": ["delete", "create"]}},
        {"address": "aws_iam_role.c", "change": {"actions": ["no-op"]}},
        {"address": "aws_vpc.d", "change": {"actions": ["update"]}},
    ],
}


def _stream(*messages: dict) -> str:
    """``terraform plan -json`` lines: a version message, then ``messages``."""
    return "\n".join(json.dumps(m) for m in ({"type": "version", "ui": "1.2"}, *messages)) + "\n"


def _change(addr: str, action: str, **extra: object) -> dict:
    return {"type": "planned_change", "change": {"resource": {"addr": addr}, "action": action, **extra}}


def _summary(add: int = 0, change: int = 0, remove: int = 0, imported: int = 0) -> dict:
    counts = {"add": add, "change": change, "import": imported, "remove": remove, "operation": "plan"}
    return {"type": "change_summary", "changes": counts}


#: What ``terraform plan -json`` prints for the plan PLAN_JSON shows (a no-op has no planned_change).
PLAN_STREAM = _stream(
    _change("aws_kms_key.a", "create"),
    _change("aws_s3_bucket.b", "replace", reason="cannot_update"),
    _change("aws_vpc.d", "update"),
    _summary(add=2, change=1, remove=1),
)


#: Where the fake ``init`` installs the provider the lock file below pins.
PROVIDER = "registry.terraform.io/hashicorp/aws/5.100.0"
LOCK_FILE = 'provider "registry.terraform.io/hashicorp/aws" {\n  version     = "5.100.0"\n}\n'


def _apply_events() -> str:
    lines = []
    for addr, action in (
        ("aws_kms_key.a", "create"),
        ("aws_s3_bucket.b", "delete"),
        ("aws_s3_bucket.b", "create"),
        ("aws_vpc.d", "update"),
    ):
        hook = {"resource": {"addr": addr}, "action": action, "elapsed_seconds": 1}
        lines.append(json.dumps({"type": "apply_complete", "hook": hook}))
    return "\n".join(lines)


@pytest.fixture
def fake_tf(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in terraform binary that records its argv and answers like Terraform would."""
    log = tmp_path / "argv.log"
    plan_json = tmp_path / "plan.json"
    plan_json.write_text(json.dumps(PLAN_JSON))
    events = tmp_path / "events.jsonl"
    events.write_text(_apply_events() + "\n")
    stream = tmp_path / "plan-stream.jsonl"
    stream.write_text(PLAN_STREAM)
    diag = tmp_path / "diag.json"
    message = {"severity": "error", "summary": "Invalid value for variable"}
    message["detail"] = "log_retention_days must be at least 365"
    diag.write_text(json.dumps({"type": "diagnostic", "diagnostic": message}) + "\n")
    script = tmp_path / "terraform"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            echo "$@" >> {log}
            case "$1" in
              show) cat {plan_json} ;;
              plan) cat "${{FAKE_PLAN_STREAM:-{stream}}}"; exit "${{FAKE_PLAN_EXIT:-2}}" ;;
              init) [ -n "$FAKE_INIT_FAIL" ] && exit 1
                    mkdir -p "$TF_DATA_DIR/providers/{PROVIDER}/linux_amd64"
                    touch "$TF_DATA_DIR/providers/{PROVIDER}/linux_amd64/terraform-provider-aws_v5.100.0_x5"
                    echo '{{"backend": {{"type": "local"}}}}' > "$TF_DATA_DIR/terraform.tfstate" ;;
              apply) cat {events} ;;
              output) echo '{{"bucket": {{"value": "b-1", "type": "string", "sensitive": false}}}}' ;;
              slow) echo first; sleep 1; echo second ;;
              gogc) echo "GOGC=$GOGC" ;;
              fail) cat {diag}; echo oops >&2; exit 1 ;;
            esac
            exit 0
            """
        )
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, log


def _runner(tmp_path: Path, binary: Path, progress=None) -> TerraformRunner:
    return TerraformRunner(
        tmp_path,
        run_dir=tmp_path / "run",
        terraform_bin=str(binary),
        variables={"region": "eu-central-1"},
        progress=progress,
    )


def test_destroy_never_passes_force(tmp_path: Path, fake_tf: tuple[Path, Path]) -> None:
    binary, log = fake_tf
    _runner(tmp_path, binary).destroy()
    calls = log.read_text().splitlines()
    assert any(c.startswith("plan ") and "-destroy" in c.split() for c in calls)
    assert all("-force" not in c.split() for c in calls)
    assert any(c.startswith("apply ") and c.rstrip().endswith("destroy.tfplan") for c in calls)


def test_apply_uses_saved_plan_so_no_prompt(tmp_path: Path, fake_tf: tuple[Path, Path]) -> None:
    binary, log = fake_tf
    said = Recorder()
    result = _runner(tmp_path, binary, progress=said).apply()
    apply_call = next(c for c in log.read_text().splitlines() if c.startswith("apply "))
    assert apply_call.rstrip().endswith("apply.tfplan")
    assert "-input=false" in apply_call.split()
    # progress: one line per apply event against the planned total (a replace counts twice)
    assert result.planned == 4 and result.done == 4
    steps = said.of(TerraformResource)
    first = steps[0]
    assert (first.done, first.total, first.address, first.status) == (1, 4, "aws_kms_key.a", "created")
    assert (steps[-1].done, steps[-1].total, steps[-1].address) == (4, 4, "aws_vpc.d")
    # and the terminal's words are today's
    assert said.lines()[0].startswith("[1/4] aws_kms_key.a created")


def test_synchronous_and_capture_options_do_not_leak(tmp_path: Path, fake_tf: tuple[Path, Path]) -> None:
    binary, log = fake_tf
    runner = _runner(tmp_path, binary)
    runner._tf.cmd("version", synchronous=False, capture_output=True, raise_on_error=True)
    call = log.read_text().splitlines()[-1]
    assert "-synchronous" not in call and "-capture-output" not in call and "-raise-on-error" not in call


def test_terraform_runs_with_a_larger_gc_target_unless_the_user_sets_one(
    tmp_path: Path, fake_tf: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    binary, _ = fake_tf
    monkeypatch.delenv("GOGC", raising=False)
    assert _runner(tmp_path, binary)._tf.cmd("gogc")[1].strip() == "GOGC=400"
    monkeypatch.setenv("GOGC", "150")
    assert _runner(tmp_path, binary)._tf.cmd("gogc")[1].strip() == "GOGC=150"


def test_output_is_streamed_while_running(tmp_path: Path, fake_tf: tuple[Path, Path]) -> None:
    binary, _ = fake_tf
    runner = _runner(tmp_path, binary)
    seen: list[tuple[str, float]] = []
    start = time.monotonic()
    runner._run("slow", "slow", on_line=lambda line: seen.append((line.strip(), time.monotonic() - start)))
    assert [s for s, _ in seen] == ["first", "second"]
    assert seen[0][1] < seen[1][1] - 0.5, "the first line must arrive before the command ends"
    assert "first" in (tmp_path / "run" / "terraform.log").read_text()


def test_plan_exit_code_2_means_changes_not_failure(tmp_path: Path, fake_tf: tuple[Path, Path]) -> None:
    binary, log = fake_tf
    plan = _runner(tmp_path, binary).plan()
    assert isinstance(plan, Plan)
    assert plan.summary() == {"add": 2, "change": 1, "destroy": 1}
    assert "-detailed-exitcode" in log.read_text()


def test_variables_reach_terraform_as_var_file(tmp_path: Path, fake_tf: tuple[Path, Path]) -> None:
    binary, log = fake_tf
    _runner(tmp_path, binary).plan()
    plan_call = next(c for c in log.read_text().splitlines() if c.startswith("plan "))
    assert any(a.startswith("-var-file=") for a in plan_call.split())


def test_explicit_variables_override_var_files(tmp_path: Path, fake_tf: tuple[Path, Path]) -> None:
    binary, log = fake_tf
    tfvars = tmp_path / "env.tfvars"
    tfvars.write_text('region = "us-east-1"\n')
    runner = TerraformRunner(
        tmp_path,
        run_dir=tmp_path / "run",
        terraform_bin=str(binary),
        var_files=[tfvars],
        variables={"region": "x"},
    )
    runner.plan()
    plan_call = next(c for c in log.read_text().splitlines() if c.startswith("plan "))
    files = [a.split("=", 1)[1] for a in plan_call.split() if a.startswith("-var-file=")]
    assert files[0] == str(tfvars) and len(files) == 2, "explicit variables must come last to win"


def test_error_keeps_stderr_and_diagnostics(tmp_path: Path, fake_tf: tuple[Path, Path]) -> None:
    binary, _ = fake_tf
    runner = _runner(tmp_path, binary)
    with pytest.raises(TerraformError) as info:
        runner._run("fail", "fail")
    err = info.value
    assert err.returncode == 1
    assert "oops" in err.stderr
    assert "log_retention_days must be at least 365" in str(err)
    assert err.log_path == tmp_path / "run" / "terraform.log"


def test_output_values(tmp_path: Path, fake_tf: tuple[Path, Path]) -> None:
    binary, _ = fake_tf
    assert _runner(tmp_path, binary).output() == {"bucket": "b-1"}


def test_mirror_detection_and_override(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io").mkdir(parents=True)
    assert find_provider_mirror({"TF_PROVIDER_MIRROR": str(mirror)}) == mirror
    assert find_provider_mirror({"TF_PROVIDER_MIRROR": str(tmp_path / "nope")}) is None
    env = cli_config_env(tmp_path / "cache", {"TF_PROVIDER_MIRROR": str(mirror)})
    rc = Path(env["TF_CLI_CONFIG_FILE"]).read_text()
    assert f'path    = "{mirror}"' in rc and "filesystem_mirror" in rc


def test_no_mirror_falls_back_to_registry(tmp_path: Path) -> None:
    # an explicitly empty override means "no mirror": the registry, and a missing user config is dropped
    env = cli_config_env(tmp_path, {"TF_PROVIDER_MIRROR": "", "TF_CLI_CONFIG_FILE": "/nonexistent/rc"})
    assert env == {"TF_CLI_CONFIG_FILE": ""}
    user_rc = tmp_path / "user.rc"
    user_rc.write_text("")
    env = cli_config_env(tmp_path, {"TF_PROVIDER_MIRROR": "", "TF_CLI_CONFIG_FILE": str(user_rc)})
    assert env == {"TF_CLI_CONFIG_FILE": str(user_rc)}


@pytest.mark.skipif(
    not any(os.access(os.path.join(p, "terraform"), os.X_OK) for p in os.environ["PATH"].split(":")),
    reason="terraform not on PATH",
)
def test_real_terraform_variable_validation_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        textwrap.dedent(
            """\
            variable "log_retention_days" {
              type = number
              validation {
                condition     = var.log_retention_days >= 365
                error_message = "log_retention_days must be at least 365."
              }
            }
            resource "terraform_data" "x" { input = var.log_retention_days }
            """
        )
    )
    runner = TerraformRunner(
        tmp_path,
        run_dir=tmp_path / "run",
        variables={"log_retention_days": 30},
        data_dir=tmp_path / ".tfdata",
    )
    runner.init(backend=False)
    with pytest.raises(TerraformError) as info:
        runner.plan()
    assert "log_retention_days must be at least 365" in str(info.value)
    assert not (tmp_path / "terraform.tfstate").exists()


def test_installed_provider_finds_the_newest_version_or_the_one_asked(tmp_path: Path) -> None:
    from harness.terraform import installed_provider

    aws = tmp_path / "providers" / "registry.terraform.io" / "hashicorp" / "aws"
    for version in ("5.99.0", "5.100.0"):
        (aws / version / "linux_amd64").mkdir(parents=True)
        (aws / version / "linux_amd64" / f"terraform-provider-aws_v{version}_x5").write_text("")
    newest = installed_provider(tmp_path)
    assert newest == aws / "5.100.0" / "linux_amd64" / "terraform-provider-aws_v5.100.0_x5"
    assert installed_provider(tmp_path, version="5.99.0") == (
        aws / "5.99.0" / "linux_amd64" / "terraform-provider-aws_v5.99.0_x5"
    )
    assert installed_provider(tmp_path, version="6.0.0") is None
    assert installed_provider(tmp_path, "registry.terraform.io/hashicorp/random") is None


def _fake_provider(tmp_path: Path, body: str) -> Path:
    binary = tmp_path / "terraform-provider-aws_v5.100.0_x5"
    binary.write_text("#!/bin/sh\n" + body)
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    return binary


def test_shared_provider_yields_the_reattach_setting_and_stops_the_process(tmp_path: Path) -> None:
    from harness.processes import pid_alive
    from harness.terraform import shared_provider

    pid_file = tmp_path / "pid"
    reattach = {"registry.terraform.io/hashicorp/aws": {"Protocol": "grpc", "Pid": 1}}
    binary = _fake_provider(
        tmp_path,
        f"echo $$ > {pid_file}\necho 'Provider started.'\n"
        f"cat <<'END'\n\tTF_REATTACH_PROVIDERS='{json.dumps(reattach)}'\nEND\nexec sleep 60\n",
    )
    with shared_provider(binary, timeout=10) as env:
        assert json.loads(env["TF_REATTACH_PROVIDERS"]) == reattach
        pid = int(pid_file.read_text())
        assert pid_alive(pid)
    assert not pid_alive(pid)


def test_a_provider_that_does_not_start_in_debug_mode_is_named(tmp_path: Path) -> None:
    from harness.errors import HarnessError
    from harness.terraform import shared_provider

    binary = _fake_provider(tmp_path, "echo 'flag provided but not defined: -debug'\nexit 2\n")
    with (
        pytest.raises(HarnessError, match="did not start in debug mode: flag provided") as err,
        shared_provider(binary, timeout=10),
    ):
        pass
    assert "TF_SHARED_PROVIDER=0" in (err.value.hint or "")


def test_module_test_files_that_configure_the_real_provider_are_run_apart(tmp_path: Path) -> None:
    from harness.tfcheck import _test_files

    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "a.tftest.hcl").write_text('mock_provider "aws" {}\nrun "x" {}\n')
    (tests / "b.tftest.hcl").write_text('# real rendering\nprovider "aws" {\n  region = "eu-central-1"\n}\n')
    assert _test_files(tmp_path) == (["tests/b.tftest.hcl"], ["tests/a.tftest.hcl"])


def test_each_file_that_configures_the_real_provider_gets_a_shared_provider_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mock files share the unconfigured provider; each configured file runs in a Terraform command
    of its own, attached to a process of its own, started without ``AWS_CA_BUNDLE`` (the AWS provider
    refuses a second configuration with it)."""
    import contextlib
    from collections.abc import Iterator

    import harness.tfcheck as tfcheck

    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "a.tftest.hcl").write_text('mock_provider "aws" {}\nrun "x" {}\n')
    for name in ("b", "c"):
        (tests / f"{name}.tftest.hcl").write_text('provider "aws" {\n  region = "eu-central-1"\n}\n')
    started: list[dict[str, str]] = []
    stopped: list[int] = []

    @contextlib.contextmanager
    def fake_shared(binary: Path, *, env: dict[str, str], timeout: float = 60.0) -> Iterator[dict[str, str]]:
        started.append(env)
        yield {"TF_REATTACH_PROVIDERS": f"own-{len(started)}"}
        stopped.append(len(started))

    ran: list[tuple[list[str], dict[str, str] | None]] = []

    class FakeRunner:
        def __init__(self, extra_env: dict[str, str] | None) -> None:
            self.extra_env = extra_env

        def test(self, files: list[str] = ()) -> str:  # type: ignore[assignment]
            ran.append((list(files), self.extra_env))
            return ""

    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    monkeypatch.setattr(tfcheck, "shared_provider", fake_shared)
    monkeypatch.setattr(tfcheck, "installed_provider", lambda data_dir: tmp_path / "provider")
    monkeypatch.setattr(tfcheck, "_runner", lambda action, d, said, extra_env=None: FakeRunner(extra_env))
    ok, output = tfcheck.check("test", tmp_path, {"TF_REATTACH_PROVIDERS": "mocks"})
    assert ok, output
    assert ran == [
        (["tests/a.tftest.hcl"], {"TF_REATTACH_PROVIDERS": "mocks"}),
        (["tests/b.tftest.hcl"], {"TF_REATTACH_PROVIDERS": "own-1"}),
        (["tests/c.tftest.hcl"], {"TF_REATTACH_PROVIDERS": "own-2"}),
    ]
    assert stopped == [1, 2], "each file's provider is stopped after its command"
    assert all(
        "AWS_CA_BUNDLE" not in env and env["SSL_CERT_FILE"] == str(tmp_path / "ca.pem") for env in started
    )


def _calls(log: Path, command: str) -> int:
    return sum(1 for c in log.read_text().splitlines() if c.split()[:1] == [command]) if log.exists() else 0


def test_a_plan_without_changes_is_not_shown_unless_its_json_is_read(
    tmp_path: Path, fake_tf: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    binary, log = fake_tf
    monkeypatch.setenv("FAKE_PLAN_EXIT", "0")  # -detailed-exitcode: no changes, outputs included
    runner = _runner(tmp_path, binary)
    plan = runner.plan()
    assert (plan.has_changes, plan.pending, plan.total_steps, plan.output_changes) == (False, [], 0, [])
    assert plan.summary() == {"add": 0, "change": 0, "destroy": 0}
    assert runner.apply(plan).planned == 0
    assert _calls(log, "show") == 0 and _calls(log, "apply") == 0 and not plan.loaded
    # whoever reads the JSON (the plan scan) still gets it, read once
    assert plan.data["format_version"] == "1.2" and plan.data is plan.data
    assert _calls(log, "show") == 1


def test_a_plan_with_changes_is_shown_when_read_and_each_plan_keeps_its_file(
    tmp_path: Path, fake_tf: tuple[Path, Path]
) -> None:
    binary, log = fake_tf
    runner = _runner(tmp_path, binary)
    first, second = runner.plan(), runner.plan()
    assert (first.path.name, second.path.name) == ("apply.tfplan", "apply-2.tfplan")
    assert _calls(log, "show") == 0
    assert first.has_changes and first.total_steps == 4
    assert _calls(log, "show") == 0, "counted from the plan's own stream"
    assert [rc.actions for rc in first.resource_changes][1] == ("delete", "create")
    shown = [c for c in log.read_text().splitlines() if c.startswith("show ")]
    assert len(shown) == 1 and shown[0].split()[-1] == str(first.path)


def test_apply_counts_its_steps_from_the_plan_stream_without_show(
    tmp_path: Path, fake_tf: tuple[Path, Path]
) -> None:
    binary, log = fake_tf
    runner = _runner(tmp_path, binary)
    plan = runner.plan()
    assert plan.streamed and plan.summary() == {"add": 2, "change": 1, "destroy": 1}
    assert [(rc.address, rc.steps) for rc in plan.pending] == [
        ("aws_kms_key.a", 1),
        ("aws_s3_bucket.b", 2),
        ("aws_vpc.d", 1),
    ]
    result = runner.apply(plan)
    assert (result.planned, result.done, result.summary) == (4, 4, {"add": 2, "change": 1, "destroy": 1})
    assert runner.destroy().planned == 4
    assert _calls(log, "show") == 0 and not plan.loaded
    assert runner.commands == ["plan", "apply", "plan", "apply"]


def _as_shown(plan: Plan) -> Plan:
    """The same plan answered from its JSON, as before the stream was read."""
    return Plan(plan.path, plan.data)


def _answers(plan: Plan) -> tuple:
    """What apply, destroy and the progress lines read of a plan (a replace's order aside)."""
    pending = sorted((rc.address, sorted(rc.actions), rc.steps) for rc in plan.pending)
    return pending, plan.total_steps, plan.summary(), sorted(plan.output_changes), plan.has_changes


def _json_change(addr: str, *actions: str) -> dict:
    return {"address": addr, "change": {"actions": list(actions)}}


@pytest.mark.parametrize(
    ("messages", "json_changes", "json_outputs"),
    [
        pytest.param(
            [_change("a.x", "create"), _change("a.y", "create"), _summary(add=2)],
            [_json_change("a.x", "create"), _json_change("a.y", "create")],
            {},
            id="create",
        ),
        pytest.param(
            [_change("a.x", "update"), _summary(change=1)],
            [_json_change("a.x", "update"), _json_change("a.keep", "no-op")],
            {},
            id="update",
        ),
        pytest.param(
            [_change("a.x", "replace", reason="cannot_update"), _summary(add=1, remove=1)],
            [_json_change("a.x", "delete", "create")],
            {},
            id="replace",
        ),
        pytest.param(
            [_change("a.x", "replace", reason="cannot_update"), _summary(add=1, remove=1)],
            [_json_change("a.x", "create", "delete")],
            {},
            id="create-before-destroy-replace",
        ),
        pytest.param(
            [_change("a.x", "delete", reason="delete_because_no_resource_config"), _summary(remove=1)],
            [_json_change("a.x", "delete")],
            {},
            id="delete",
        ),
        pytest.param(
            [
                _summary(),
                {"type": "outputs", "outputs": {"o": {"action": "update"}, "p": {"action": "noop"}}},
            ],
            [_json_change("a.keep", "no-op")],
            {"o": {"actions": ["update"]}, "p": {"actions": ["no-op"]}},
            id="output-only",
        ),
        pytest.param(
            [
                _change("data.a.r", "read", reason="read_because_config_unknown"),
                _change("a.moved", "move", previous_resource={"addr": "a.old"}),
                _change("a.imp", "import", importing={"id": "i-1"}),
                _change("a.upd", "update", importing={"id": "i-2"}),
                _summary(change=1, imported=2),
                {"type": "outputs", "outputs": {"o": {"action": "create", "sensitive": True}}},
            ],
            [
                _json_change("data.a.r", "read"),
                _json_change("a.moved", "no-op"),
                _json_change("a.imp", "no-op"),
                _json_change("a.upd", "update"),
            ],
            {"o": {"actions": ["create"]}},
            id="read-move-import-and-a-new-output",
        ),
    ],
)
def test_the_plan_stream_counts_as_its_json_does(
    tmp_path: Path,
    fake_tf: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    messages: list[dict],
    json_changes: list[dict],
    json_outputs: dict,
) -> None:
    binary, log = fake_tf
    (tmp_path / "stream.jsonl").write_text(_stream(*messages))
    (tmp_path / "plan.json").write_text(
        json.dumps({"resource_changes": json_changes, "output_changes": json_outputs})
    )
    monkeypatch.setenv("FAKE_PLAN_STREAM", str(tmp_path / "stream.jsonl"))
    plan = _runner(tmp_path, binary).plan()
    streamed = _answers(plan)
    assert plan.streamed and _calls(log, "show") == 0
    assert streamed == _answers(_as_shown(plan)) and plan.has_changes


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param([_change("a.x", "create")], id="no change summary"),
        pytest.param(
            [_change("a.x", "create"), _change("a.x", "create"), _summary(add=1)], id="not the summary"
        ),
        pytest.param([_change("a.x", "remove"), _summary()], id="an action the table does not know"),
        pytest.param(
            [_change("a.x", "create"), _summary(add=1) | {"changes": {"operation": "apply"}}], id="apply"
        ),
        pytest.param(
            [_change("a.x", "create"), _summary(add=1), {"type": "deferred_change", "deferred": {}}],
            id="deferred changes",
        ),
    ],
)
def test_a_plan_stream_that_does_not_account_for_the_plan_leaves_it_to_the_json(
    tmp_path: Path, fake_tf: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, messages: list[dict]
) -> None:
    binary, log = fake_tf
    (tmp_path / "stream.jsonl").write_text(_stream(*messages))
    monkeypatch.setenv("FAKE_PLAN_STREAM", str(tmp_path / "stream.jsonl"))
    plan = _runner(tmp_path, binary).plan()
    assert not plan.streamed
    assert plan.total_steps == 4 and _calls(log, "show") == 1, "PLAN_JSON's four steps, from show"


def test_init_runs_only_when_something_it_reads_changed(
    tmp_path: Path, fake_tf: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    binary, log = fake_tf
    root = tmp_path / "root"
    module = tmp_path / "modules" / "kms"
    root.mkdir()
    module.mkdir(parents=True)
    (root / "main.tf").write_text('module "kms" { source = "../modules/kms" }\n')
    (module / "main.tf").write_text('resource "aws_kms_key" "this" {}\n')
    (root / ".terraform.lock.hcl").write_text(LOCK_FILE)
    data = tmp_path / "data"

    def runner(state: str = "a.tfstate") -> TerraformRunner:
        return TerraformRunner(
            root,
            run_dir=tmp_path / "run",
            terraform_bin=str(binary),
            backend_config={"path": str(tmp_path / state)},
            data_dir=data,
        )

    def inits_after(change: object = None, state: str = "a.tfstate") -> int:
        before = _calls(log, "init")
        runner(state).ensure_init()
        return _calls(log, "init") - before

    assert inits_after() == 1, "never initialised"
    (data / "modules").mkdir()
    (data / "modules" / "modules.json").write_text(
        json.dumps({"Modules": [{"Key": "", "Dir": "."}, {"Key": "kms", "Dir": "../modules/kms"}]})
    )
    assert inits_after() == 1, "the module manifest changed"
    assert inits_after() == 0 and inits_after() == 0, "nothing changed: no init"
    assert runner().init_needed() is None

    (module / "main.tf").write_text('resource "aws_kms_key" "this" { enable_key_rotation = true }\n')
    assert "configuration" in (runner().init_needed() or "")
    assert inits_after() == 1 and inits_after() == 0, "a module's code changed"
    (root / "versions.tf").write_text("terraform {}\n")
    assert inits_after() == 1 and inits_after() == 0, "a root file was added"
    (root / ".terraform.lock.hcl").write_text(LOCK_FILE + "# upgraded\n")
    assert inits_after() == 1 and inits_after() == 0, "the lock file changed"
    assert inits_after(state="b.tfstate") == 1, "another backend configuration"
    assert inits_after(state="b.tfstate") == 0
    next((data / "providers").rglob("terraform-provider-aws*")).unlink()
    assert "provider not installed" in (runner("b.tfstate").init_needed() or "")
    assert inits_after(state="b.tfstate") == 1, "the provider binary is gone"
    (data / "terraform.tfstate").unlink()
    assert inits_after(state="b.tfstate") == 1, "the backend record is gone"

    monkeypatch.setenv("FAKE_INIT_FAIL", "1")
    (root / "main.tf").write_text('module "kms" { source = "../modules/kms" }\n# edited\n')
    with pytest.raises(TerraformError):
        runner("b.tfstate").ensure_init()
    monkeypatch.delenv("FAKE_INIT_FAIL")
    (root / "main.tf").write_text('module "kms" { source = "../modules/kms" }\n')
    assert inits_after(state="b.tfstate") == 1, "a failed init is never trusted, even when undone"
    monkeypatch.setenv("TF_CLI_ARGS_init", "-upgrade")
    assert inits_after(state="b.tfstate") == 1, "the environment init reads changed"
    assert inits_after(state="b.tfstate") == 0


def test_outputs_are_read_from_the_local_backends_state_without_terraform(
    tmp_path: Path, fake_tf: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    binary, log = fake_tf
    state = tmp_path / "state" / "terraform.tfstate"
    data = tmp_path / "data"

    def runner(path: Path = state) -> TerraformRunner:
        return TerraformRunner(
            tmp_path,
            run_dir=tmp_path / "run",
            terraform_bin=str(binary),
            backend_config={"path": str(path)},
            data_dir=data,
        )

    assert runner().output() == {"bucket": "b-1"} and _calls(log, "output") == 1, "not initialised: Terraform"
    data.mkdir()
    record = {
        "version": 3,
        "backend": {"type": "local", "config": {"path": str(state), "workspace_dir": None}},
    }
    (data / "terraform.tfstate").write_text(json.dumps(record))
    assert runner().output() == {} and _calls(log, "output") == 1, "no state yet: no outputs"
    state.parent.mkdir()
    outputs = {"bucket": {"value": "b-2", "type": "string"}, "keys": {"value": {"a": 1}, "type": "object"}}
    state.write_text(json.dumps({"version": 4, "serial": 3, "outputs": outputs, "resources": []}))
    assert runner().output() == {"bucket": "b-2", "keys": {"a": 1}} and _calls(log, "output") == 1

    assert runner(tmp_path / "other.tfstate").output() == {"bucket": "b-1"}, "init recorded another path"
    state.write_text('{"version": 4, "outp')  # caught mid-write
    assert runner().output() == {"bucket": "b-1"}
    state.write_text(json.dumps({"version": 4, "outputs": outputs}))
    monkeypatch.setenv("TF_WORKSPACE", "staging")
    assert runner().output() == {"bucket": "b-1"}, "another workspace's state lives elsewhere"
    monkeypatch.delenv("TF_WORKSPACE")
    record["backend"]["type"] = "s3"
    (data / "terraform.tfstate").write_text(json.dumps(record))
    assert runner().output() == {"bucket": "b-1"} and _calls(log, "output") == 5, "another backend: Terraform"


def _harness_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plan: Plan) -> cli.Outcome:
    """``harness plan`` (in-process) on a platform whose plan is ``plan``."""

    class FakePlatform:
        def __init__(self, target: object, **kwargs: object) -> None:
            pass

        def plan(self) -> Plan:
            return plan

    monkeypatch.setattr(cli, "Platform", FakePlatform)
    done = cli.run(["plan"], cwd=tmp_path, environ={"TARGET": "aws"}, resolve=lambda name, **_: object())
    assert done.status == cli.ExitStatus.OK
    return done


def test_harness_plan_lists_the_plans_json_actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stream does not say which way round a replace runs; ``harness plan`` prints it from the JSON."""
    from harness.terraform import ResourceChange

    data = {
        "resource_changes": [
            {"address": "aws_s3_bucket.b", "change": {"actions": ["create", "delete"]}},
            {"address": "aws_iam_role.c", "change": {"actions": ["no-op"]}},
        ]
    }
    streamed = Plan(
        tmp_path / "apply.tfplan",
        load=lambda: data,
        changes=[ResourceChange("aws_s3_bucket.b", ("delete", "create"))],
        outputs=[],
    )
    done = _harness_plan(tmp_path, monkeypatch, streamed)
    assert done.stdout.split() == ["create/delete", "aws_s3_bucket.b"]


def test_harness_plan_without_a_replace_prints_from_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Creates, updates and deletes say all there is from the plan's stream: no ``show -json``."""
    from harness.terraform import ResourceChange

    def never() -> dict[str, object]:
        raise AssertionError("the plan's JSON was read")

    streamed = Plan(
        tmp_path / "apply.tfplan",
        load=never,
        changes=[
            ResourceChange("aws_s3_bucket.b", ("create",)),
            ResourceChange("aws_iam_role.c", ("update",)),
        ],
        outputs=[],
    )
    done = _harness_plan(tmp_path, monkeypatch, streamed)
    assert not streamed.loaded
    # by address, as `show -json` lists them (the stream's order follows Terraform's graph walk)
    assert done.stdout.split() == ["update", "aws_iam_role.c", "create", "aws_s3_bucket.b"]
