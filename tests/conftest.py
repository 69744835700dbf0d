"""Shared fixtures: an embedded local AWS on a free port, started and stopped by the tests themselves."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import target as targets
from harness import terraform
from harness.provisioning import Layout

# Fixtures that start an emulator: a test that uses one (directly or through another fixture) is an
# integration test, whatever its folder. Files whose emulator fixture has another name mark themselves.
EMULATOR_FIXTURES = frozenset({"emulator", "local_target"})


# Files that share one xdist worker, and so one session- or package-scoped fixture, under
# ``--dist loadfile``: file -> group, run in collection order. The end-to-end tests that read an applied
# platform share one apply this way; the fault scenarios run as two chains in which one scenario's
# converge is the next one's applied platform (tests/faults/conftest.py); the signature tests share
# one emulator and its personas.
SHARED_WORKER = {
    "tests/integration/test_persona_guards.py": "applied-platform",
    "tests/integration/test_platform.py": "applied-platform",
    "tests/faults/test_1_apply_faults.py": "faults-apply",
    "tests/faults/test_4_emulator_killed_in_train.py": "faults-apply",
    "tests/faults/test_2_workflow_faults.py": "faults-workflow",
    "tests/faults/test_3_evidence_faults.py": "faults-workflow",
    "tests/signatures/test_cli.py": "signatures",
    "tests/signatures/test_evidence_signatures.py": "signatures",
    "tests/signatures/test_model_approval.py": "signatures",
}

# Work units (a SHARED_WORKER group or a file) that run for minutes, costliest first. They are collected
# first in this order, then the other files with ``slow`` tests, then the rest; under ``--dist loadfile``
# workers take units in collection order, so the long ones start at once and the many short files fill
# the other workers around them instead of a long one starting last.
LONG_POLES = (
    "tests/integration/test_qualification.py",
    "applied-platform",
    "faults-apply",
    "faults-workflow",
    "tests/badinput/test_cli_battery.py",
    "signatures",
)


#: The CPU priority (nice) the xdist workers that do not run the first of ``LONG_POLES`` lower themselves
#: to, with every process they start. On a machine with fewer cores than busy processes, the suite's
#: wall time is that unit's chain (a cold qualification, then one of the installed platform): at equal
#: priority the other workers stretch it; lowered, they fill the cores around it. Nothing else changes.
#: Measured with ``make test`` on the same quiet 2-core machine and commit (d6807de): workers at nice 5
#: and the module tests at nice 10, 7 min 3 s (the cold qualification took 258 s); at nice 15 and 19,
#: 5 min 55 s (219 s). CFS gives a nice-15 process about 3 % of a nice-0 one's share, so the chain runs
#: almost as on a quiet machine and the other units take the cycles it leaves. The processes they start
#: in sessions of their own (Terraform, providers, emulators) keep it through
#: ``harness.processes.start_session`` (autogroup scheduling would otherwise run them at nice 0).
BACKGROUND_NICE = 15


def _unit(item: pytest.Item) -> str:
    path = item.nodeid.split("::")[0]
    return SHARED_WORKER.get(path, path)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """In an xdist worker, lower the priority once a unit other than the critical path's runs here."""
    if os.environ.get("PYTEST_XDIST_WORKER") and _unit(item) != LONG_POLES[0]:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if current < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, 0, BACKGROUND_NICE)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every user of an emulator fixture ``integration``, so that ``-m "not integration"`` needs none;
    then order the files longest first (``LONG_POLES``, then files with ``slow`` tests), keeping the
    order within a file and within a ``SHARED_WORKER`` group."""
    for item in items:
        if EMULATOR_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
    slow_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    poles = {unit: i for i, unit in enumerate(LONG_POLES)}

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        unit = _unit(item)
        if unit in poles:
            return poles[unit]
        return len(poles) + (0 if path in slow_files else 1)

    items.sort(key=rank)  # stable: collection order within each rank


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` with the files of one ``SHARED_WORKER`` group sent to one worker together,
    units handed out in collection order (``LONG_POLES`` first).

    (xdist's own ``loadgroup`` does not group on pytest 9: it renames ``item._nodeid``, which pytest 9
    no longer reads.) Files run in collection order within a group.
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return SHARED_WORKER.get(scope, scope)

    # Units in collection order (longest first, above), not xdist's default of most tests first, which
    # puts a file of six slow tests behind every file of many quick ones.
    config.option.loadscopereorder = False
    return SharedFileScheduling(config, log)


@pytest.fixture(scope="session", autouse=True)
def shared_providers() -> Iterator[terraform.SharedProviders]:
    """The AWS provider processes that the in-process Terraform commands of this worker's session attach
    to, as a harness command's do (``terraform.sharing_providers``): a test or fixture that drives a
    ``Platform`` (or ``cli.run``) directly would otherwise have Terraform launch the ~700 MB provider
    twice per command (about 2 CPU-seconds). One provider per binary and environment, so every emulator
    (and every assumed-role session) gets its own; each command configures it again, so an emulator
    restarted on the same port is served by the same process; one that died is replaced. Started at the
    first command that needs one, all stopped when the session ends. Tests that are not integration tests
    run outside it (``_providers_of_their_own``). The block also raises SIGTERM as KeyboardInterrupt in
    this process, so a terminated worker still stops its providers. pytest's ``PYTEST_CURRENT_TEST``,
    which names the running test in every child's environment, makes no provider of its own."""
    with terraform.sharing_providers(unkeyed={"PYTEST_CURRENT_TEST"}) as pool:
        yield pool


@pytest.fixture(autouse=True)
def _providers_of_their_own(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that are not ``integration`` tests (fake ``terraform`` binaries, the sharing's own unit tests)
    see no session-wide sharing: Terraform launches providers as outside a harness command, and a
    ``sharing_providers()`` block of theirs is a pool of its own. The session's providers keep running."""
    if request.node.get_closest_marker("integration") is None:
        monkeypatch.setattr(terraform, "_sharing", None)


@pytest.fixture(scope="session")
def emulator_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emulator")


@pytest.fixture(scope="session")
def emulator(emulator_dir: Path) -> Iterator[object]:
    """A running emulator for the whole session (its own port, CA and state folder)."""
    from harness.emulator import control

    info = control.start(port=control.free_port(), state_dir=emulator_dir)
    try:
        yield info
    finally:
        control.stop(emulator_dir)


@pytest.fixture(scope="session")
def local_target(emulator: object, emulator_dir: Path) -> targets.Target:
    return targets.resolve("local", state_dir=emulator_dir, environ={})


@pytest.fixture(scope="session")
def work_layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """The repository's Terraform code with state, caches and run folders in a temporary folder."""
    return Layout(work=tmp_path_factory.mktemp("work"))
