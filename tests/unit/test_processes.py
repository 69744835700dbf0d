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
