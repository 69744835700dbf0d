"""One AWS provider process for the Terraform commands of a harness command (terraform.SharedProviders)."""

from __future__ import annotations

import json
import os
import signal
import stat
import textwrap
import threading
import time
from pathlib import Path

import pytest

from harness.processes import pid_alive
from harness.terraform import (
    TerraformRunner,
    provider_environment,
    provider_package_hash,
    sharing_enabled,
    sharing_providers,
)

ADDRESS = "registry.terraform.io/hashicorp/aws"
CHANGE = json.dumps({"address": "aws_kms_key.a", "change": {"actions": ["create"]}})
REATTACH = {ADDRESS: {"Protocol": "grpc", "ProtocolVersion": 5, "Pid": 1, "Test": True}}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A configuration whose lock file pins the fake provider installed in its data directory, and a
    fake terraform that records each command with the TF_REATTACH_PROVIDERS it was given."""
    work = tmp_path / "root"
    data = tmp_path / "data"
    package = data / "providers" / ADDRESS / "5.100.0" / "linux_amd64"
    package.mkdir(parents=True)
    pids = tmp_path / "provider-pids"
    provider = package / "terraform-provider-aws_v5.100.0_x5"
    provider.write_text(
        "#!/bin/sh\n"
        f'echo "$$ $MARK $AWS_CA_BUNDLE $SSL_CERT_FILE" >> {pids}\n'
        f"cat <<'END'\n\tTF_REATTACH_PROVIDERS='{json.dumps(REATTACH)}'\nEND\n"
        "exec sleep 60\n"
    )
    provider.chmod(provider.stat().st_mode | stat.S_IEXEC)
    work.mkdir()
    (work / ".terraform.lock.hcl").write_text(
        f'provider "{ADDRESS}" {{\n  version     = "5.100.0"\n  hashes = [\n'
        f'    "{provider_package_hash(package)}",\n  ]\n}}\n'
    )
    calls = tmp_path / "calls.log"
    terraform = tmp_path / "terraform"
    terraform.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            echo "$1 ${{TF_REATTACH_PROVIDERS:-none}}" >> {calls}
            case "$1" in
              show) echo '{{"format_version": "1.2", "resource_changes": [{CHANGE}]}}' ;;
              plan) exit 2 ;;
              validate) echo '{{"valid": true}}' ;;
            esac
            exit 0
            """
        )
    )
    terraform.chmod(terraform.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("MARK", "world-1")
    monkeypatch.delenv("TF_SHARED_PROVIDER", raising=False)
    monkeypatch.delenv("TF_REATTACH_PROVIDERS", raising=False)
    return {"work": work, "data": data, "pids": pids, "calls": calls, "terraform": terraform, "tmp": tmp_path}


def _runner(world: dict[str, Path], *, share: bool = True) -> TerraformRunner:
    runner = TerraformRunner(
        world["work"],
        run_dir=world["tmp"] / "run",
        terraform_bin=str(world["terraform"]),
        data_dir=world["data"],
        env={"AWS_CA_BUNDLE": "/emulator/ca.pem"},
    )
    runner.share_provider = share
    return runner


def _calls(world: dict[str, Path]) -> list[tuple[str, str]]:
    lines = world["calls"].read_text().splitlines() if world["calls"].exists() else []
    return [tuple(line.split(" ", 1)) for line in lines]  # type: ignore[misc]


def _provider_pids(world: dict[str, Path]) -> list[int]:
    lines = world["pids"].read_text().splitlines() if world["pids"].exists() else []
    return [int(line.split()[0]) for line in lines]


def test_one_provider_serves_every_command_and_is_stopped_at_the_end(world: dict[str, Path]) -> None:
    runner = _runner(world)
    with sharing_providers() as pool:
        runner.init(backend=False)
        assert _provider_pids(world) == []  # init installs providers: never attached, nothing started
        plan = runner.plan()
        assert plan.data["format_version"] == "1.2"  # show -json
        runner.apply(plan)
        runner.validate()
        assert pool.started == 1
        (pid,) = _provider_pids(world)
        assert pid_alive(pid)
    assert not pid_alive(pid)
    calls = _calls(world)
    assert [c for c, _ in calls] == ["init", "plan", "show", "apply", "validate"]
    assert calls[0][1] == "none"
    assert {json.loads(r)[ADDRESS]["Protocol"] for _, r in calls[1:]} == {"grpc"}
    # it carries the commands' environment (the fault tests find it by it), its CA bundle as SSL_CERT_FILE
    assert world["pids"].read_text().split()[1:] == ["world-1", "/emulator/ca.pem"]


def test_the_provider_is_stopped_when_the_command_is_interrupted(world: dict[str, Path]) -> None:
    runner = _runner(world)
    with pytest.raises(KeyboardInterrupt), sharing_providers():
        runner.plan()
        raise KeyboardInterrupt
    (pid,) = _provider_pids(world)
    assert not pid_alive(pid)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals: main thread")
def test_sigterm_stops_the_command_like_ctrl_c_and_the_provider_with_it(world: dict[str, Path]) -> None:
    runner = _runner(world)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), sharing_providers():
        runner.plan()
        os.kill(os.getpid(), signal.SIGTERM)
        threading.Event().wait(5)  # the signal arrives here
    (pid,) = _provider_pids(world)
    assert not pid_alive(pid)
    assert signal.getsignal(signal.SIGTERM) == before


def test_the_off_switch_and_the_targets(world: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    assert sharing_enabled({}, local=True) and not sharing_enabled({}, local=False)
    assert not sharing_enabled({"TF_SHARED_PROVIDER": "0"}, local=True)
    assert sharing_enabled({"TF_SHARED_PROVIDER": "1"}, local=False)
    monkeypatch.setenv("TF_SHARED_PROVIDER", "0")
    runner = _runner(world, share=sharing_enabled(local=True))
    with sharing_providers() as pool:
        runner.plan()
        runner.show()
    assert pool.started == 0 and _provider_pids(world) == []
    assert [r for _, r in _calls(world)] == ["none", "none"]


def test_without_a_sharing_block_terraform_launches_its_own(world: dict[str, Path]) -> None:
    _runner(world).plan()
    assert _provider_pids(world) == [] and _calls(world) == [("plan", "none")]


def test_a_package_that_does_not_match_the_lock_file_is_not_shared(world: dict[str, Path]) -> None:
    lock = world["work"] / ".terraform.lock.hcl"
    lock.write_text(lock.read_text().replace("h1:", "h1:AAAA"))
    with sharing_providers() as pool:
        _runner(world).plan()  # Terraform launches it and reports the mismatch itself
    assert pool.started == 0 and _calls(world) == [("plan", "none")]


def test_a_command_overlapping_another_launches_its_own(world: dict[str, Path]) -> None:
    runner = _runner(world)
    with sharing_providers() as pool:
        key_env = runner._tf.environment()
        binary = next((world["data"] / "providers").rglob("terraform-provider-aws_*"))
        with pool.attach(binary, key_env, lock_hashes=[provider_package_hash(binary.parent)]) as held:
            assert "TF_REATTACH_PROVIDERS" in held
            runner.plan()  # the same provider is busy with another command of this process
        runner.plan()
    assert pool.started == 1
    assert [r == "none" for _, r in _calls(world)] == [True, False]


def test_a_provider_that_died_is_replaced_at_the_next_command(world: dict[str, Path]) -> None:
    runner = _runner(world)
    with sharing_providers() as pool:
        runner.plan()
        (first,) = _provider_pids(world)
        os.kill(first, signal.SIGKILL)
        while pid_alive(first):
            threading.Event().wait(0.05)
        runner.plan()
        assert pool.started == 2
    assert not any(pid_alive(p) for p in _provider_pids(world))


def test_unkeyed_variables_make_no_provider_of_their_own_and_do_not_reach_it(
    world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test runner's per-test marker in the environment (the suite's session-wide sharing) is not a
    different target: the commands of two tests share one provider, which never sees the marker;
    any other difference still starts a provider of its own."""
    runner = _runner(world)
    with sharing_providers(unkeyed={"PER_TEST"}) as pool:
        monkeypatch.setenv("PER_TEST", "first")
        runner.plan()
        monkeypatch.setenv("PER_TEST", "second")
        runner.plan()
        assert pool.started == 1
        monkeypatch.setenv("MARK", "world-2")
        runner.plan()
        assert pool.started == 2
        for pid in _provider_pids(world):
            assert b"PER_TEST=" not in Path(f"/proc/{pid}/environ").read_bytes()
    seen = world["pids"].read_text().splitlines()
    assert [line.split()[1] for line in seen] == ["world-1", "world-2"]
    assert not any(pid_alive(p) for p in _provider_pids(world))


def test_the_provider_environment_gives_the_ca_bundle_to_go() -> None:
    env = provider_environment({"AWS_CA_BUNDLE": "/ca.pem", "HARNESS_WORK_DIR": "/w", "TF_LOG": "DEBUG"})
    assert env == {"SSL_CERT_FILE": "/ca.pem", "HARNESS_WORK_DIR": "/w", "TF_LOG": "DEBUG"}
    quiet = provider_environment({"A": "1"})
    assert quiet["A"] == "1" and quiet["TF_LOG_SDK"] == quiet["TF_LOG_PROVIDER_AWS"] == "OFF"


def test_the_package_hash_is_kept_between_commands_until_a_file_changes(
    world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each harness command is a process of its own: the package is read once, not by every command,
    and read again as soon as any of its files is written (even with its modification time put back)."""
    from harness import terraform

    package = next((world["data"] / "providers").rglob("terraform-provider-aws_*")).parent
    cache = world["tmp"] / terraform.PROVIDER_HASHES
    read: list[Path] = []
    real = terraform.sha256_file
    monkeypatch.setattr(terraform, "sha256_file", lambda path: read.append(path) or real(path))
    first = provider_package_hash(package, cache=cache)
    assert first == provider_package_hash(package) and len(read) == 2  # without a cache: read
    read.clear()
    assert provider_package_hash(package, cache=cache) == first and read == []
    binary = package / "terraform-provider-aws_v5.100.0_x5"
    before = binary.stat()
    time.sleep(0.02)  # past a clock tick: the status-change time moves with the write
    binary.write_text(binary.read_text().replace("sleep 60", "sleep 61"))  # same size
    os.utime(binary, ns=(before.st_atime_ns, before.st_mtime_ns))
    changed = provider_package_hash(package, cache=cache)
    assert changed != first and read == [binary]
    # an unreadable cache is no cache
    cache.write_text("{not json")
    read.clear()
    assert provider_package_hash(package, cache=cache) == changed and read == [binary]


def test_a_command_keeps_the_package_hash_in_its_data_directory(world: dict[str, Path]) -> None:
    with sharing_providers() as pool:
        _runner(world).plan()
    kept = json.loads((world["data"] / "harness-provider-hashes.json").read_text())
    package = next((world["data"] / "providers").rglob("terraform-provider-aws_*")).parent
    assert pool.started == 1 and kept[str(package.resolve())]["h1"] == provider_package_hash(package)
