"""The protocol: its identity follows the specification, features and steps; its record is kept once."""

from __future__ import annotations

import json
from pathlib import Path

from harness.validation import protocol

SPEC = """version: 3
history:
  - {version: 3, date: 2026-12-01, change: criteria}
requirements:
  - {id: URS_001, statement: Keys rotate., risk: high, source: IAM}
"""


def _tree(root: Path) -> Path:
    (root / "features" / "iq").mkdir(parents=True)
    (root / "features" / "requirements.yaml").write_text(SPEC)
    (root / "features" / "iq" / "kms.feature").write_text("Feature: keys\n")
    (root / "features" / "iq" / "test_iq.py").write_text("# steps\n")
    (root / "features" / "iq" / "__pycache__").mkdir()
    (root / "features" / "iq" / "__pycache__" / "x.py").write_text("")
    return root


def test_the_protocol_names_every_file_and_changes_with_any_of_them(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    first = protocol.build_protocol(root)
    assert first["specification_version"] == "3" and first["requirements"] == 1
    assert [(f["kind"], f["path"]) for f in first["files"]] == [
        ("feature", "features/iq/kms.feature"),
        ("steps", "features/iq/test_iq.py"),
        ("specification", "features/requirements.yaml"),
    ]
    assert protocol.build_protocol(root)["sha256"] == first["sha256"]  # not a function of the time
    (root / "features" / "iq" / "test_iq.py").write_text("# steps changed\n")
    assert protocol.build_protocol(root)["sha256"] != first["sha256"]


def test_validate_records_an_unapproved_protocol_as_such(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    state = protocol.status(root, tmp_path / "work")
    assert state["approved"] is False and "cannot be release-grade" in state["note"]
    record = Path(state["record"])
    assert json.loads(record.read_text())["sha256"] == state["sha256"]
    before = record.read_text()
    protocol.status(root, tmp_path / "work")
    assert record.read_text() == before  # a recorded protocol is never rewritten
