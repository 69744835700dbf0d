"""A killed emulator's runtime folder (job layouts, unpacked models) is removed by the next emulator."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harness.emulator.runtime import state


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_emulator_removes_the_folders_of_emulators_that_are_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(state, "_root", None)
    killed = tmp_path / f"{state.RUNTIME_PREFIX}killed"
    (killed / "training" / "job").mkdir(parents=True)
    (killed / state.OWNER_FILE).write_text(f"{_dead_pid()}\n")
    running = tmp_path / f"{state.RUNTIME_PREFIX}running"
    running.mkdir()
    (running / state.OWNER_FILE).write_text(f"{os.getppid()}\n")
    being_made = tmp_path / f"{state.RUNTIME_PREFIX}new"  # created, its pid not written yet
    being_made.mkdir()
    other = tmp_path / "someone-else"
    other.mkdir()

    root = state.work_root()
    assert root.parent == tmp_path and (root / state.OWNER_FILE).read_text() == f"{os.getpid()}\n"
    assert not killed.exists()
    assert running.is_dir() and being_made.is_dir() and other.is_dir()
    assert state.work_root() == root, "one folder per emulator"


def test_a_folder_kept_on_purpose_is_claimed_by_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``EMULATOR_RUNTIME_KEEP_FILES=1`` keeps an emulator's files after it stops: no later one removes
    them."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(state, "_root", None)
    monkeypatch.setenv("EMULATOR_RUNTIME_KEEP_FILES", "1")
    root = state.work_root()
    assert not (root / state.OWNER_FILE).exists()
    assert state.remove_orphans(tmp_path) == [] and root.is_dir()
