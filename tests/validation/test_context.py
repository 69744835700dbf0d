"""Run context: identity through an injected client factory, Git state, Terraform versions, packages."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from harness.validation import context


class _Sts:
    def get_caller_identity(self) -> dict[str, str]:
        return {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/qa", "UserId": "AID"}


class _BrokenSts:
    def get_caller_identity(self) -> dict[str, str]:
        raise RuntimeError("no credentials")


def _git_repo(path: Path) -> None:
    run = lambda *a: subprocess.run(["git", "-C", str(path), *a], check=True, capture_output=True)  # noqa: E731
    run("init", "-q", "-b", "main")
    (path / "a.txt").write_text("a")
    run("add", "a.txt")
    run("-c", "user.email=qa@example.com", "-c", "user.name=qa", "commit", "-q", "-m", "one")


def test_collect_context(tmp_path: Path) -> None:
    _git_repo(tmp_path)
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("# pins\npytest==0.0.1\nmoto[server]==5.2.5\nnot-installed-dist==1.0\n-e .\n")
    seen: list[str] = []

    def factory(service: str) -> Any:
        seen.append(service)
        return _Sts()

    ctx = context.collect_context(
        run_id="20251128T100000Z-abc123",
        target="local",
        region="eu-central-1",
        client_factory=factory,
        repo_dir=tmp_path,
        terraform_version={
            "terraform_version": "1.11.4",
            "platform": "linux_amd64",
            "provider_selections": {"registry.terraform.io/hashicorp/aws": "5.100.0"},
            "terraform_outdated": False,
        },
        state_serial=42,
        requirements_file=reqs,
        started="2025-11-28T10:00:00.000000Z",
        environ={"USER": "qa"},
    )
    assert seen == ["sts"]
    assert ctx["account"] == "123456789012" and ctx["caller"]["arn"].endswith("user/qa")
    assert ctx["terraform"] == {
        "version": "1.11.4",
        "platform": "linux_amd64",
        "outdated": False,
        "providers": {"hashicorp/aws": "5.100.0"},
        "state_serial": 42,
    }
    assert len(ctx["git"]["commit"]) == 40 and ctx["git"]["branch"] == "main"
    assert ctx["git"]["dirty"] is True and "requirements.txt" in ctx["git"]["changed"]
    assert ctx["packages"]["pytest"]["pinned"] == "0.0.1" and ctx["packages"]["pytest"]["installed"]
    assert ctx["packages"]["moto"]["pinned"] == "5.2.5"
    assert ctx["packages"]["not-installed-dist"]["installed"] is None
    assert ctx["operator"].startswith("qa@")
    assert ctx["finished"].endswith("Z") and ctx["python"]["version"]
    assert ctx["harness_version"]


def test_clean_tree_and_failures(tmp_path: Path) -> None:
    _git_repo(tmp_path)
    assert context.git_info(tmp_path)["dirty"] is False
    assert context.git_info(tmp_path / "nowhere")["commit"] is None
    ident = context.caller_identity(lambda _s: _BrokenSts())
    assert ident["account"] is None and "no credentials" in ident["error"]
    assert context.terraform_versions(None)["version"] is None
    assert context.package_versions(tmp_path / "absent.txt") == {}
