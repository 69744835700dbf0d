"""A world per chain of fault scenarios: a work folder, a port and the emulator the harness starts there.

Each scenario drives ``python -m harness`` as a subprocess in its own session (so a SIGINT to its
process group is what a terminal's Ctrl-C is), and looks for leftovers by environment: every process
the harness starts (Terraform, its providers, the emulator and the emulator's training jobs and model
servers) inherits ``HARNESS_WORK_DIR``, which names this world's folder only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from harness import target as targets
from harness.emulator import control
from harness.layout import REPO_ROOT, Layout
from harness.processes import group_members, start_session
from harness.progress import EVENTS_ENV, Event, read_json_lines
from harness.provisioning import Platform
from tests.conftest import SHARED_WORKER

TRACEBACK = "Traceback (most recent call last)"


@dataclasses.dataclass
class Spawned:
    """A harness command running in its own session, its stderr/stdout collected line by line."""

    proc: subprocess.Popen[str]
    command: list[str]
    #: The command's progress events (``HARNESS_PROGRESS_EVENTS``), read by :meth:`wait_for_event`.
    events_file: Path | None = None
    err: list[str] = dataclasses.field(default_factory=list)
    out: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream: Any, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    def events(self) -> list[Event]:
        """The progress events the command reported so far."""
        return read_json_lines(self.events_file) if self.events_file else []

    def wait_for_event(self, matches: Callable[[Event], bool], what: str, timeout: float) -> Event:
        """The first progress event that ``matches``; fails if the command ends or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ended = self.proc.poll() is not None
            found = next((e for e in self.events() if matches(e)), None)
            if found is not None:
                return found
            if ended:
                pytest.fail(
                    f"{self.command} ended (rc {self.proc.returncode}) before {what}:\n{self.stderr[-4000:]}"
                )
            time.sleep(0.1)
        self.interrupt_and_fail(f"no {what} within {timeout:.0f}s")
        raise AssertionError  # unreachable

    def interrupt(self) -> None:
        """Ctrl-C as a terminal sends it: SIGINT to the command's whole process group."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)

    def finish(self, timeout: float) -> int:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.interrupt_and_fail(f"{self.command} did not end within {timeout:.0f}s (hang)")
        for t in self._threads:
            t.join(timeout=5)
        return rc

    def interrupt_and_fail(self, why: str) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        pytest.fail(f"{why}\n{self.stderr[-4000:]}")


def _default_interrupt() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclasses.dataclass
class World:
    work: Path
    port: int
    applied: bool = False

    @property
    def emulator_dir(self) -> Path:
        return self.work / ".cache" / "emulator"

    @property
    def state_dir(self) -> Path:
        return self.work / "terraform" / "state" / "local"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / ".terraform.tfstate.lock.info"

    @property
    def evidence_dir(self) -> Path:
        return self.work / "evidence"

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            HARNESS_WORK_DIR=str(self.work),
            EMULATOR_PORT=str(self.port),
            TARGET="local",
            PYTHONUNBUFFERED="1",
        )
        env.pop("HARNESS_DEBUG", None)
        return env

    def spawn(self, *args: str) -> Spawned:
        command = [sys.executable, "-m", "harness", *args]
        events = self.work / f"progress-{uuid.uuid4().hex[:8]}.jsonl"
        proc = start_session(
            command,
            cwd=REPO_ROOT,
            env={**self.environ(), EVENTS_ENV: str(events)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # As a terminal's foreground job has it: a runner that started the suite in the background
            # (a shell without job control ignores SIGINT there, and children inherit that) would
            # otherwise make every Ctrl-C below a no-op.
            preexec_fn=_default_interrupt,
        )
        return Spawned(proc, list(args), events)

    def harness(self, *args: str, timeout: float = 240) -> tuple[int, str, str]:
        run = self.spawn(*args)
        rc = run.finish(timeout)
        return rc, run.stdout, run.stderr

    def must(self, *args: str, timeout: float = 240) -> tuple[str, str]:
        rc, out, err = self.harness(*args, timeout=timeout)
        assert rc == 0, f"{args} exited {rc}:\n{err[-6000:]}"
        return out, err

    # -- the emulator ---------------------------------------------------------------------------

    def emulator_pid(self) -> int | None:
        st = control.status(self.emulator_dir)
        return st.pid if st.running else None

    def kill_emulator(self) -> None:
        """SIGKILL the emulator's whole process group (it, its training jobs, its model servers)."""
        pid = self.emulator_pid()
        assert pid is not None, "no emulator runs"
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _group_members(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.applied = False

    def target(self) -> targets.Target:
        return targets.resolve("local", state_dir=self.emulator_dir, environ={})

    def outputs(self) -> dict[str, Any]:
        """The platform's Terraform outputs, read in this process (what ``harness output`` prints).

        The scenarios only locate resources with them; a subprocess per read would add an interpreter
        start each time without proving anything about the command.
        """
        layout = Layout(work=self.work)
        return Platform(self.target(), layout=layout).outputs()

    # -- leftovers --------------------------------------------------------------------------------

    def processes(self, *, include_emulator: bool = False) -> list[str]:
        """Live processes started for this world (by environment), minus the running emulator's group."""
        emulator = None if include_emulator else self.emulator_pid()
        found = []
        for proc in psutil.process_iter(["environ", "status", "cmdline"]):
            if proc.pid == os.getpid() or proc.info["status"] in (None, psutil.STATUS_ZOMBIE):
                continue
            if (proc.info["environ"] or {}).get("HARNESS_WORK_DIR") != str(self.work):
                continue
            try:
                if emulator is not None and os.getpgid(proc.pid) == emulator:
                    continue
            except OSError:
                continue
            found.append(f"{proc.pid}: {' '.join(proc.info['cmdline'] or [])[:200]}")
        return found

    def no_processes_left(self, *, include_emulator: bool = False, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while (left := self.processes(include_emulator=include_emulator)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, "processes left behind:\n" + "\n".join(left)


def _group_members(pgid: int) -> list[int]:
    return [proc.pid for proc in group_members(pgid)]


def assert_clear_failure(rc: int, err: str, *needles: str) -> None:
    """Non-zero, an ``error:`` line naming the problem, and never a Python traceback."""
    assert rc not in (0, 130), f"expected a failure, got rc {rc}:\n{err[-4000:]}"
    assert TRACEBACK not in err, err[-6000:]
    assert "error:" in err, err[-4000:]
    for needle in needles:
        assert needle.lower() in err.lower(), f"{needle!r} not in:\n{err[-4000:]}"


@pytest.fixture(scope="session")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, World]]:
    """The worlds of this session by chain; every one is stopped, and its leftovers killed, at the end."""
    made: dict[str, World] = {}
    try:
        yield made
    finally:
        for w in made.values():
            control.stop(w.emulator_dir)
            for line in w.processes(include_emulator=True):
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)


@pytest.fixture
def world(worlds: dict[str, World], request: pytest.FixtureRequest) -> World:
    """The world of this file's chain: its ``SHARED_WORKER`` group (tests/conftest.py), which runs on one
    worker in file order. The chain's first scenario starts from nothing (an interrupted apply needs an
    unapplied platform); the next ones continue from where it left the world, so that one scenario's
    converge is the next one's applied platform instead of an apply of their own."""
    path = request.node.nodeid.split("::")[0]
    chain = SHARED_WORKER.get(path, path)
    if chain not in worlds:
        work = request.getfixturevalue("tmp_path_factory").mktemp("faults-work")
        worlds[chain] = World(work=work, port=control.free_port())
    return worlds[chain]


@pytest.fixture
def applied(world: World) -> World:
    """The world with the platform applied on a live emulator (applies only when a fault undid it)."""
    if not world.applied or world.emulator_pid() is None:
        world.must("apply", timeout=300)
        world.applied = True
    return world
