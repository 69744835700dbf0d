"""Stopping a process (or its whole process group): the one routine the harness uses.

Terraform (SIGINT first, its graceful stop), the emulator (SIGTERM to its process group) and the
runtime's model servers and training programs (SIGTERM to the child) all stop the same way: one signal,
a grace period, then SIGKILL, and the child reaped. Standard library only (``/proc`` is read for
zombies, which ``kill(pid, 0)`` still counts as alive).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

Process = subprocess.Popen | int  # type: ignore[type-arg]


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return False


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def group_alive(pgid: int) -> bool:
    """True while any member of process group ``pgid`` runs (zombies do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _send(pid: int, sig: int, group: bool) -> None:
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def stop_process(
    proc: Process,
    *,
    grace: float,
    first_signal: int = signal.SIGTERM,
    group: bool = False,
    absorb_interrupts: bool = False,
    poll: float = 0.05,
) -> bool:
    """Send ``first_signal`` (to the process group when ``group``), wait up to ``grace`` seconds for it
    to end, then SIGKILL; a ``Popen`` is reaped. With ``group`` nothing of the group outlives the call.
    ``absorb_interrupts`` keeps waiting through Ctrl-C (a second SIGINT would make Terraform exit with its
    lock held and its state unwritten). True if it had to kill. A signal it may not send raises
    PermissionError."""
    popen = proc if isinstance(proc, subprocess.Popen) else None
    pid = popen.pid if popen is not None else int(proc)

    def alive() -> bool:
        leader = popen.poll() is None if popen is not None else pid_alive(pid)
        return leader or (group and popen is None and group_alive(pid))

    if not alive():
        if group:
            with contextlib.suppress(PermissionError):
                _send(pid, signal.SIGKILL, group)
        return False
    _send(pid, first_signal, group)
    deadline = time.monotonic() + grace
    while alive() and time.monotonic() < deadline:
        try:
            if popen is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    popen.wait(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
            else:
                time.sleep(poll)
        except KeyboardInterrupt:
            if not absorb_interrupts:
                raise
    killed = alive()
    if killed:
        _send(pid, signal.SIGKILL, group)
    if popen is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=max(grace, 1.0))
    elif killed:
        end = time.monotonic() + 2.0
        while alive() and time.monotonic() < end:
            time.sleep(poll)
    if group:
        # Children of the leader (Terraform's providers, the emulator's model servers) go with it.
        with contextlib.suppress(PermissionError):
            _send(pid, signal.SIGKILL, group)
    return killed
