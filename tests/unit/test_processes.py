"""The one process-stop routine: graceful first, SIGKILL after the grace period, the group with it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from harness.processes import group_alive, pid_alive, stop_process

POLITE = (
    "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *_: sys.exit(0)); "
    "print('ready', flush=True); time.sleep(60)"
)
STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
    "time.sleep(60)"
)


def test_a_process_that_obeys_is_not_killed() -> None:
    proc = subprocess.Popen([sys.executable, "-c", POLITE], stdout=subprocess.PIPE)
    # its handler is in place once it says so (a fixed sleep was not enough on a loaded machine)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    assert stop_process(proc, grace=5) is False
    assert proc.returncode == 0


def test_a_process_that_ignores_the_signal_is_killed_after_the_grace_period() -> None:
    proc = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    started = time.monotonic()
    assert stop_process(proc, grace=0.5) is True
    assert 0.4 < time.monotonic() - started < 5
    assert proc.returncode == -signal.SIGKILL


def test_a_group_goes_with_its_leader_by_pid() -> None:
    """As the emulator is stopped: by pid (not our Popen to wait on), its children with it."""
    leader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {STUBBORN!r}]); "
            "import time; time.sleep(60)",
        ],
        start_new_session=True,
    )
    time.sleep(0.5)
    assert group_alive(leader.pid)
    stop_process(leader.pid, grace=0.5, group=True)
    leader.wait(5)
    assert not pid_alive(leader.pid) and not group_alive(leader.pid)


def test_children_start_at_the_lower_priority_they_were_given() -> None:
    import os
    import sys

    from harness.processes import Children

    done = Children(nice=5).run([sys.executable, "-c", "import os; print(os.nice(0))"])
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == min(19, os.nice(0) + 5)


def test_a_child_in_a_session_of_its_own_keeps_its_parents_priority() -> None:
    """Autogroup scheduling gives each new session a task group weighted as nice 0: a child started
    with a session of its own would run beside its niced parent as an equal unless its group is niced."""
    from pathlib import Path

    import pytest

    if not Path("/proc/self/autogroup").is_file():
        pytest.skip("no autogroup scheduling on this kernel: a new session has no group of its own")
    parent = (
        "import os; os.setpriority(os.PRIO_PROCESS, 0, 7)\n"
        "from harness.processes import start_session, stop_process\n"
        "proc = start_session(['sleep', '30'])\n"
        "print(open(f'/proc/{proc.pid}/autogroup').read().strip())\n"
        "print(open('/proc/self/autogroup').read().strip())\n"
        "stop_process(proc, grace=1, group=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    child, own = done.stdout.splitlines()
    if not child or not own:
        # the kernel prints a task's autogroup only when it is not the default group (the root task
        # group): where it prints nothing, sessions share one group and a new one has none to escape into
        pytest.skip(f"sessions here run in no autogroup (child {child!r}, parent {own!r})")
    # a group of its own (``/autogroup-<n> nice <v>``), at the priority its parent runs at
    assert child.split()[0] != own.split()[0] and child.split()[-1] == "7", (child, own)
