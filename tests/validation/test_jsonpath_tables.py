"""checkov's JSONPath parsers read their parse tables from the files ``jsonpath_tables.py`` writes, and a
scan writes them where they are missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.validation import checkov

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv-checkov" / "bin" / "python"
SCRIPT = REPO / "harness" / "validation" / "jsonpath_tables.py"

needs_checkov = pytest.mark.skipif(not PYTHON.exists(), reason="make setup installs .venv-checkov")

# Parses expressions as checkov's graph builder does, with PLY's table builder made to fail: it passes
# only when every parser reads its tables from a table module.
PARSE_WITHOUT_BUILDING = """
import ply.yacc

def refuse(*args, **kwargs):
    raise AssertionError("PLY built the LALR tables")

ply.yacc.LRGeneratedTable = refuse
from bc_jsonpath_ng import parse as base_parse
from bc_jsonpath_ng.ext import parse

document = {"a": [{"b": 1}, {"b": 2}], "c": {"d": 3}}
assert [m.value for m in parse("a[*].b").find(document)] == [1, 2]
assert [m.value for m in parse("c.d").find(document)] == [3]
assert [m.value for m in base_parse("a[1].b").find(document)] == [2]
print("ok")
"""


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of checkov's environment's ``bc_jsonpath_ng`` without table modules, first on the path."""
    found = sorted((REPO / ".venv-checkov").glob("lib/python*/site-packages/bc_jsonpath_ng"))
    assert found, "bc_jsonpath_ng is not installed in .venv-checkov"
    copy = tmp_path / "site" / "bc_jsonpath_ng"
    shutil.copytree(found[0], copy, ignore=shutil.ignore_patterns("*parsetab*", "__pycache__"))
    return copy.parent


def _python(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PYTHON), *args], capture_output=True, text=True, check=False, env={"PYTHONPATH": str(site)}
    )


@needs_checkov
def test_with_the_tables_written_the_parsers_build_none(package_copy: Path) -> None:
    without = _python(package_copy, "-c", PARSE_WITHOUT_BUILDING)
    assert without.returncode != 0 and "PLY built the LALR tables" in without.stderr
    wrote = _python(package_copy, str(SCRIPT))
    assert wrote.returncode == 0, wrote.stderr
    assert sorted(
        p.relative_to(package_copy).as_posix() for p in package_copy.rglob("*parsetab.py")
    ) == sorted(checkov.JSONPATH_TABLES)
    again = _python(package_copy, str(SCRIPT))
    assert again.returncode == 0 and again.stdout == "", "current tables are not written again"
    with_tables = _python(package_copy, "-c", PARSE_WITHOUT_BUILDING)
    assert with_tables.returncode == 0 and with_tables.stdout.strip() == "ok", with_tables.stderr


@needs_checkov
def test_tables_of_another_grammar_are_not_used(package_copy: Path) -> None:
    """PLY checks a table module's grammar signature: a stale one is ignored and the tables are built."""
    assert _python(package_copy, str(SCRIPT)).returncode == 0
    table = package_copy / checkov.JSONPATH_TABLES[1]
    text = table.read_text()
    signature = next(line for line in text.splitlines() if line.startswith("_lr_signature"))
    table.write_text(text.replace(signature, "_lr_signature = 'another grammar'"))
    stale = _python(package_copy, "-c", PARSE_WITHOUT_BUILDING)
    assert stale.returncode != 0 and "PLY built the LALR tables" in stale.stderr


def test_a_scan_writes_the_tables_once_where_they_are_missing(tmp_path: Path) -> None:
    venv = tmp_path / ".venv-checkov"
    binary = venv / "bin" / "checkov"
    binary.parent.mkdir(parents=True)
    binary.write_text("")
    (binary.parent / "python").write_text("")
    site = venv / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    calls: list[list[str]] = []

    def runner(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        for name in checkov.JSONPATH_TABLES:
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_text("")
        return subprocess.CompletedProcess(command, 0, "", "")

    checkov.ensure_jsonpath_tables(tmp_path, str(binary), runner)
    checkov.ensure_jsonpath_tables(tmp_path, str(binary), runner)
    assert calls == [[str(binary.parent / "python"), str(SCRIPT)]]
    # a checkov from elsewhere (on PATH), even with a Python beside it: its environment is left alone
    elsewhere = tmp_path / "usr" / "bin"
    elsewhere.mkdir(parents=True)
    (elsewhere / "checkov").write_text("")
    (elsewhere / "python").write_text("")
    for name in checkov.JSONPATH_TABLES:
        (site / name).unlink()
    checkov.ensure_jsonpath_tables(tmp_path, str(elsewhere / "checkov"), runner)
    assert len(calls) == 1
