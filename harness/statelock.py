"""One command at a time per Terraform state: the harness's own lock around deciding and changing it.

Terraform locks its state only while it runs, but the harness decides things about the state before
Terraform starts (the local target's stale-state check sets aside a state that belongs to a stopped
emulator). A ``make plan`` in a second terminal while ``make apply`` ran once decided that the state
being written belonged to a vanished emulator and moved it aside under the apply. So every command that
reads or changes the state's fate holds this lock from its first decision to its last write; a second
command waits for it (saying for whom) and gives up with a clear message after a timeout.

An advisory ``flock`` on ``<state folder>/.harness.lock``: the kernel releases it when the holding
process ends however it ends, so a crash never leaves a stale lock. The file also says who holds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from harness.errors import HarnessError
from harness.progress import LockWait, Progress

LOCK_FILE = ".harness.lock"
ENV_TIMEOUT = "HARNESS_LOCK_TIMEOUT"
DEFAULT_TIMEOUT = 900.0
"""Seconds a second command waits (a cold apply on the local target takes a few minutes)."""


class StateLockedError(HarnessError):
    """Another harness command holds the state and did not let go in time."""


def timeout_from_env(environ: Mapping[str, str] | None = None) -> float:
    raw = (os.environ if environ is None else environ).get(ENV_TIMEOUT)
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT


def holder(path: Path) -> dict[str, Any]:
    """Who holds (or last held) the lock: ``{"pid", "command", "since"}``; empty when unknown."""
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


def _describe(info: Mapping[str, Any]) -> str:
    if not info:
        return "another harness command"
    return f"`{info.get('command', '?')}` (pid {info.get('pid', '?')}, since {info.get('since', '?')})"


@contextlib.contextmanager
def state_lock(
    state_dir: Path,
    *,
    timeout: float | None = None,
    progress: Progress | None = None,
    command: str | None = None,
    poll: float = 0.2,
) -> Iterator[Path]:
    """Hold the state folder's lock for the block; wait up to ``timeout`` seconds for another holder."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_FILE
    wait = timeout_from_env() if timeout is None else timeout
    handle: IO[str] = open(path, "a+")  # noqa: SIM115 - held open for the block
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                other = _describe(holder(path))
                if time.monotonic() >= deadline:
                    raise StateLockedError(
                        f"the Terraform state in {state_dir} is in use by {other}",
                        hint="wait for that command to finish (the lock goes with its process), or set "
                        f"{ENV_TIMEOUT}=<seconds> to wait longer",
                    ) from None
                if not told and progress is not None:
                    progress(LockWait(other, wait))
                    told = True
                time.sleep(poll)
        handle.seek(0)
        handle.truncate()
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        handle.write(
            json.dumps({"pid": os.getpid(), "command": command or " ".join(sys.argv), "since": stamp})
        )
        handle.flush()
        yield path
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
