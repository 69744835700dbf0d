"""What a training job and a processing job share: one container process in a job layout, locally.

SageMaker runs both kinds of job the same way: a container whose ``/opt/ml/`` is the job's layout (here a
temporary folder, ``<kind>/<job>-<random>/``), one process whose output becomes log events of the job's
log group, stream ``<job>/algo-1-<epoch>``, a ``MaxRuntimeInSeconds`` after which the process is killed,
a Stop call that kills it too, and a status that ends ``Completed``, ``Failed`` (with a ``FailureReason``)
or ``Stopped``. ``ContainerJob`` is that machinery; ``training.TrainingContainer`` and
``processing.ProcessingRun`` add their own request contract (channels or inputs, outputs, failure files,
metrics, secondary statuses).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from . import state
from .backends import LOGS

CONTAINER_ROOT = "/opt/ml/"
FAILURE_CHARS = 1024
"""How much of a failure SageMaker keeps (FailureReason, ExitMessage)."""


class JobError(Exception):
    """Fails the job with this message as FailureReason."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ContainerJob:
    """One job's container: its layout, its process, its deadline, its log stream, its status fields.

    Subclasses set ``kind`` (``training``/``processing``: the layout folder, the thread's name and the
    ``<kind>_start_time`` field) and ``log_group``, and implement ``_work`` (the job from layout to upload,
    returning its outcome) and ``_finish``.
    """

    kind = ""
    log_group = ""

    def __init__(self, account: str, region: str, job: Any, name: str) -> None:
        self.account, self.region, self.job = account, region, job
        self.name = name
        self.root = state.work_root() / self.kind / f"{name}-{uuid.uuid4().hex[:8]}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.stop_requested = threading.Event()
        self.timed_out = False
        self.stream = ""
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, name=f"{self.kind}-{name}", daemon=True)

    # ------------------------------------------------------------------------------------- control

    def _set(self, **attrs: Any) -> None:
        for key, value in attrs.items():
            setattr(self.job, key, value)
        self.job.last_modified_time = now()

    def log(self, line: str) -> None:
        if self.stream:
            LOGS.write(self.account, self.region, self.log_group, self.stream, line)

    def start(self) -> None:
        self.thread.start()

    def kill(self) -> None:
        self.stop_requested.set()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()

    @property
    def deadline(self) -> float | None:
        limit = (self.job.stopping_condition or {}).get("MaxRuntimeInSeconds")
        return self.started + float(limit) if limit else None

    def local(self, container_path: str) -> Path:
        """The layout path standing for a container path under ``/opt/ml/``."""
        return self.root / container_path[len(CONTAINER_ROOT) :]

    # ----------------------------------------------------------------------------------------- run

    def _run(self) -> None:
        start = now()
        self.stream = f"{self.name}/algo-1-{int(start.timestamp())}"
        self._set(**{f"{self.kind}_start_time": start})
        try:
            outcome, reason = self._work()
        except JobError as exc:
            outcome, reason = "Failed", str(exc)
        except Exception as exc:  # a defect here must still end the job
            outcome, reason = "Failed", f"InternalServerError: {type(exc).__name__}: {exc}"
        self._finish(outcome, reason)

    def _work(self) -> tuple[str, str]:
        raise NotImplementedError

    def _finish(self, outcome: str, reason: str) -> None:
        raise NotImplementedError

    def _remove_layout(self) -> None:
        if os.environ.get("EMULATOR_RUNTIME_KEEP_FILES") != "1":
            shutil.rmtree(self.root, ignore_errors=True)

    def _run_process(
        self, command: list[str], *, cwd: Path, env: dict[str, str], merge_stderr: bool
    ) -> int | None:
        """Run the container's process to its end: its exit code, or None when it was stopped or ran
        past ``MaxRuntimeInSeconds`` (then it is killed). Its lines go to the log as they come."""
        self.proc = state.spawn(
            command,
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        )
        pipes = [(self.proc.stdout, True)] + ([] if merge_stderr else [(self.proc.stderr, False)])
        readers = [threading.Thread(target=self._pump, args=pipe, daemon=True) for pipe in pipes]
        for reader in readers:
            reader.start()
        try:
            while True:
                deadline = self.deadline
                wait = 0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))
                try:
                    code = self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    if deadline is not None and time.monotonic() >= deadline:
                        self.timed_out = True
                        self.proc.kill()
                    elif self.stop_requested.is_set():  # a Stop that came before the process existed
                        self.proc.kill()
        finally:
            for reader in readers:
                reader.join(timeout=5)
            state.forget(self.proc)
        if self.timed_out or self.stop_requested.is_set():
            return None
        return code

    def _pump(self, pipe: Any, stdout: bool) -> None:
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            self.log(line)
            if stdout:
                self.on_stdout(line)
        pipe.close()

    def on_stdout(self, line: str) -> None:
        """A line the process wrote to stdout (training matches its metric definitions here)."""
