"""The runtime's state: training runs and hosted endpoints per (account, region), and every child process.

Children stay in the emulator's process group, so ``control.stop`` (SIGTERM to the group) reaches them
too; ``shutdown()`` (atexit) terminates whatever is left and removes the temporary folders.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from harness.processes import pid_alive, stop_process

from .backends import LOGS

lock = threading.RLock()
"""Guards the registries below and the child list: hold it to read-modify-write them (re-entrant)."""
_children: dict[int, subprocess.Popen[bytes]] = {}
training_runs: dict[tuple[str, str, str], Any] = {}
"""(account, region, job name) -> training.TrainingContainer"""
processing_runs: dict[tuple[str, str, str], Any] = {}
"""(account, region, job name) -> processing.ProcessingRun"""
pipeline_runs: dict[str, Any] = {}
"""pipeline execution ARN -> pipelines.PipelineRun"""
endpoints: dict[tuple[str, str, str], Any] = {}
"""(account, region, endpoint name) -> hosting.EndpointHost (the one serving)"""
pending: dict[tuple[str, str, str], Any] = {}
"""(account, region, endpoint name) -> hosting.EndpointHost being created or updated"""

_root: Path | None = None

#: The runtime folders' name prefix in the system's temporary folder, and the file in each that names
#: the emulator process it belongs to.
RUNTIME_PREFIX = "emulator-runtime-"
OWNER_FILE = "emulator.pid"


def work_root() -> Path:
    """Temporary folder for job layouts and unpacked models (removed at shutdown).

    An emulator that was killed (SIGKILL, a crash) never reaches :func:`shutdown`: its folder, with the
    layouts and models of the jobs it ran, would stay in the temporary folder for good. Each folder
    names its emulator's pid, and the next emulator to create one removes those whose emulator is gone
    (:func:`remove_orphans`)."""
    global _root
    with lock:
        if _root is None:
            _root = Path(tempfile.mkdtemp(prefix=RUNTIME_PREFIX))
            if os.environ.get("EMULATOR_RUNTIME_KEEP_FILES") != "1":  # kept on purpose: claimed by none
                (_root / OWNER_FILE).write_text(f"{os.getpid()}\n")
            remove_orphans(_root.parent, keep=_root)
        return _root


def remove_orphans(parent: Path, *, keep: Path | None = None) -> list[Path]:
    """Remove the runtime folders under ``parent`` whose emulator process no longer runs; returns them.
    A folder that names a live pid, or none (one being created at this moment, one kept on purpose with
    ``EMULATOR_RUNTIME_KEEP_FILES=1``), is kept."""
    removed = []
    for folder in sorted(parent.glob(f"{RUNTIME_PREFIX}*")):
        if folder == keep or not folder.is_dir():
            continue
        try:
            pid = int((folder / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue
        if not pid_alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


CONTAINER_THREADS = {"OMP_NUM_THREADS": "1"}
"""Host defaults for every container process (training, processing, model servers) unless the host's
environment or the job's own ``Environment`` says otherwise. The containers share the machine's cores
with the emulator and each other; xgboost's idle OpenMP workers spin after every parallel region, which
on a shared, busy machine costs several times the work itself (a 5,000-row training: 5 s of CPU and
40 s of wall time with the default threads on a loaded 2-core host, 0.6 s and 4 s with one). The
trained model is the same byte for byte (``hist`` builds the same trees whatever the thread count)."""


def container_defaults(env: dict[str, str]) -> dict[str, str]:
    """``env`` with :data:`CONTAINER_THREADS` filled in where it sets nothing (returns ``env``)."""
    for name, value in CONTAINER_THREADS.items():
        env.setdefault(name, value)
    return env


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start a child in the emulator's process group and remember it."""
    proc = subprocess.Popen(args, **kwargs)
    with lock:
        _children[proc.pid] = proc
    return proc


def terminate(proc: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; reaps the child (``harness.processes``)."""
    stop_process(proc, grace=grace)
    forget(proc)


def forget(proc: subprocess.Popen[bytes]) -> None:
    with lock:
        _children.pop(proc.pid, None)


def live_children() -> list[int]:
    with lock:
        return [pid for pid, proc in _children.items() if proc.poll() is None]


_shut = False


def shutdown() -> None:
    """Stop every endpoint and training process, flush logs, remove temporary folders (idempotent)."""
    global _shut
    with lock:
        if _shut:
            return
        _shut = True
        hosts = list(endpoints.values()) + list(pending.values())
        runs = list(training_runs.values()) + list(processing_runs.values())
    for host in hosts:
        with contextlib.suppress(Exception):
            host.stop()
    for execution in list(pipeline_runs.values()):
        execution.stop_requested.set()
    for run in runs:
        with contextlib.suppress(Exception):
            run.kill()
    with lock:
        procs = list(_children.values())
    for proc in procs:
        terminate(proc, grace=2.0)
    LOGS.close()
    if _root is not None and os.environ.get("EMULATOR_RUNTIME_KEEP_FILES") != "1":
        shutil.rmtree(_root, ignore_errors=True)
