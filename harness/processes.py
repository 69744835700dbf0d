"""Starting a process in a session of its own, and stopping it (or its whole process group): the one
routine of each the harness uses.

Terraform (SIGINT first, its graceful stop), the emulator (SIGTERM to its process group) and the
runtime's model servers and training programs (SIGTERM to the child) all stop the same way: one signal,
a grace period, then SIGKILL, and the child reaped. Which processes are alive, and which belong to a
group, comes from psutil (a zombie, which ``kill(pid, 0)`` still counts, is not alive). psutil replaced
reading and splitting ``/proc/<pid>/stat`` by hand, and unlike that it also works where there is no
``/proc`` (a developer's macOS).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

Process = subprocess.Popen | int  # type: ignore[type-arg]


#: Linux's autogroup scheduling: the nice value of the task group a session runs in.
AUTOGROUP = "/proc/{pid}/autogroup"


def _autogroup_nice(pid: int | str) -> int | None:
    """The nice value of ``pid``'s autogroup (``/autogroup-42 nice 5``), or None where there is none."""
    try:
        return int(Path(AUTOGROUP.format(pid=pid)).read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def start_session(command: Sequence[str], *, nice: int = 0, **kwargs: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(command, start_new_session=True, **kwargs)`` that keeps this process's CPU
    priority, lowered by ``nice`` more (through nice(1), so that every process the child forks has it).

    A session of its own lets the child's whole group be stopped at once (:func:`stop_process`), but on
    Linux with autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``, the default of most
    distributions) a new session also gets a task group of its own, weighted as nice 0 against every
    other group whatever its processes' nice values. A child of a process that runs niced (``nice make
    test``, the suite's background workers, the scan beside a qualification) would escape that priority
    and compete as an equal. Measured with ``make test`` on a 2-core machine: the background workers'
    emulators and Terraform stretched the foreground qualification from 151 s alone to 235 s. So the new
    group is given the nice value its leader runs at (or this process's own group's, if higher).
    """
    niced = shutil.which("nice") if nice else None
    argv = [niced, "-n", str(nice), *command] if niced else list(command)
    proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
    own = os.getpriority(os.PRIO_PROCESS, 0)
    if nice and not niced:  # no nice(1) on this machine: as soon as it runs, at least
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, proc.pid, min(19, own + nice))
    level = max(min(19, own + nice), _autogroup_nice("self") or 0)
    if level > 0:
        _set_autogroup_nice(proc.pid, level)
    return proc


def _set_autogroup_nice(pid: int, level: int) -> None:
    """Write ``level`` to ``pid``'s autogroup. Without CAP_SYS_ADMIN the kernel accepts one such write per
    100 ms on the whole machine and answers EAGAIN to the others (``proc_sched_autogroup_set_nice``): a
    refused write is tried again, for up to 0.3 s. No autogroup here, or the child already gone: nothing."""
    path = Path(AUTOGROUP.format(pid=pid))
    for _ in range(7):
        try:
            path.write_text(f"{level}\n")
            return
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            return


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie does not count)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def group_members(pgid: int) -> list[psutil.Process]:
    """The live processes (zombies left out) of process group ``pgid``."""
    members = []
    for proc in psutil.process_iter(["status"]):
        with contextlib.suppress(psutil.Error, OSError):
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == pgid:
                members.append(proc)
    return members


def group_alive(pgid: int) -> bool:
    """True while any member of process group ``pgid`` runs (zombies do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return bool(group_members(pgid))


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


class ChildrenStopped(Exception):
    """A :class:`Children` group was stopped: no further process is started."""


class Children:
    """The processes one piece of work runs (e.g. the scan's checkov and parliament), so that another
    thread can stop them all: Ctrl-C, or a crash of the run the work ran beside. Each child leads a
    process group of its own, so its workers go with it."""

    def __init__(self, *, nice: int = 0) -> None:
        self._procs: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()
        self.stopped = False
        #: Scheduling priority added to each child (background work yields the CPU to the foreground).
        self.nice = nice

    def run(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """``subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)`` that
        :meth:`stop` can end (it then returns the stopped process's outcome)."""
        with self._lock:
            if self.stopped:
                raise ChildrenStopped(f"not started (stopped): {command[0]}")
            proc = start_session(
                command, nice=self.nice, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
            )
            self._procs.add(proc)
        try:
            out, err = proc.communicate()
        finally:
            with self._lock:
                self._procs.discard(proc)
        return subprocess.CompletedProcess(command, proc.returncode, out, err)

    def stop(self, grace: float = 5.0) -> None:
        """Stop every running child (SIGTERM to its group, SIGKILL after ``grace``); start no more."""
        with self._lock:
            self.stopped = True
            procs = list(self._procs)
        for proc in procs:
            with contextlib.suppress(PermissionError):
                stop_process(proc, grace=grace, group=True)


def run_captured(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` with output captured as text (the default runner of the scanners)."""
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
