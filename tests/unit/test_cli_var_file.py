"""``--var-file`` paths are read from where the user stands, not from inside terraform/."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import cli
from harness.errors import UsageError


def test_a_relative_var_file_resolves_from_the_users_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.tfvars").write_text("log_retention_days = 400\n")
    assert cli.var_files_from([Path("mine.tfvars")], tmp_path) == [tmp_path / "mine.tfvars"]
    nested = tmp_path / "sub"
    nested.mkdir()
    assert cli.var_files_from([Path("../mine.tfvars")], nested) == [tmp_path / "mine.tfvars"]


def test_a_path_that_exists_only_inside_terraform_is_not_found(tmp_path: Path) -> None:
    # terraform/env/local.tfvars exists in the repository; from another folder "env/local.tfvars" does not
    with pytest.raises(UsageError) as refused:
        cli.var_files_from([Path("env/local.tfvars")], tmp_path)
    assert "env/local.tfvars: no such file" in str(refused.value) and str(tmp_path) in str(refused.value)


def test_the_cli_passes_the_resolved_path_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through main() with the injectable environment: the platform gets the absolute path."""
    (tmp_path / "mine.tfvars").write_text("")
    seen: dict[str, object] = {}

    def fake_platform(target: object, **kwargs: object) -> object:
        seen.update(kwargs)
        raise UsageError("stop here")

    monkeypatch.setattr(cli, "Platform", fake_platform)
    done = cli.run(
        ["plan", "--var-file", "mine.tfvars"],
        cwd=tmp_path,
        environ={"TARGET": "aws"},
        resolve=lambda name, **_: object(),
    )
    assert done.status == cli.ExitStatus.USAGE and done.stderr == "error: stop here\n"
    assert seen["var_files"][-1] == tmp_path / "mine.tfvars"  # type: ignore[index]
