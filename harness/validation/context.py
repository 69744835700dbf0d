"""The run context: who ran what, where, with which tools, against which state.

Everything that talks to the outside is passed in: a boto3 client factory for STS, the parsed output
of ``terraform version -json`` (the Terraform adapter runs Terraform, not this module), the state
serial. Git is read with ``git`` itself; a machine without it records ``null``.
"""

from __future__ import annotations

import getpass
import platform
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.validation.recorder import iso, utc_now

HARNESS_DISTRIBUTION = "sagemaker-gxp-platform"
ClientFactory = Callable[[str], Any]


def harness_version() -> str:
    try:
        return metadata.version(HARNESS_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def caller_identity(client_factory: ClientFactory | None) -> dict[str, Any]:
    """``sts:GetCallerIdentity`` as ``harness.identity.Identity`` fields (arn, account, user_id,
    session_name, source_identity); a failure is recorded, not raised."""
    from harness.identity import from_sts

    if client_factory is None:
        return {"account": None, "arn": None, "user_id": None, "error": "no client factory given"}
    try:
        ident = client_factory("sts").get_caller_identity()
    except Exception as exc:
        return {"account": None, "arn": None, "user_id": None, "error": f"{type(exc).__name__}: {exc}"}
    return from_sts(ident).to_dict()


def _git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_info(repo: str | Path) -> dict[str, Any]:
    """Commit, branch and whether the work tree differs from it (``dirty``, with the changed paths)."""
    repo = Path(repo)
    commit = _git(repo, "rev-parse", "HEAD")
    status = _git(repo, "status", "--porcelain", "--untracked-files=normal")
    changed = [line[3:] for line in status.splitlines()] if status else []
    return {
        "commit": commit,
        "branch": _git(repo, "rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": None if status is None else bool(changed),
        "changed": changed[:200],
        "describe": _git(repo, "describe", "--always", "--dirty", "--tags"),
    }


def terraform_versions(version_json: Mapping[str, Any] | None) -> dict[str, Any]:
    """From ``terraform version -json``: ``{"version": "1.11.4", "providers": {"hashicorp/aws": "5.100.0"}}``.

    Takes the parsed JSON (the Terraform adapter runs Terraform; this module never does).
    """
    if not version_json:
        return {"version": None, "platform": None, "providers": {}}
    providers = {
        re.sub(r"^registry\.terraform\.io/", "", str(name)): str(version)
        for name, version in (version_json.get("provider_selections") or {}).items()
    }
    return {
        "version": version_json.get("terraform_version"),
        "platform": version_json.get("platform"),
        "outdated": version_json.get("terraform_outdated"),
        "providers": dict(sorted(providers.items())),
    }


_REQ_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:==\s*([^\s;#]+))?")


def package_versions(requirements_file: str | Path | None) -> dict[str, dict[str, str | None]]:
    """Installed vs pinned version of every package named in ``requirements.txt``."""
    if requirements_file is None or not Path(requirements_file).exists():
        return {}
    out: dict[str, dict[str, str | None]] = {}
    for raw in Path(requirements_file).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _REQ_LINE.match(line)
        if not match:
            continue
        name, pinned = match.group(1), match.group(2)
        try:
            installed: str | None = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        out[name] = {"pinned": pinned, "installed": installed}
    return dict(sorted(out.items(), key=lambda kv: kv[0].lower()))


def operator(environ: Mapping[str, str] | None = None) -> str:
    environ = environ or {}
    user = environ.get("USER") or environ.get("LOGNAME")
    if not user:
        try:
            user = getpass.getuser()
        except Exception:
            user = "unknown"
    return f"{user}@{socket.gethostname()}"


def collect_context(
    *,
    run_id: str,
    target: str,
    region: str | None,
    client_factory: ClientFactory | None = None,
    repo_dir: str | Path = ".",
    terraform_version: Mapping[str, Any] | None = None,
    state_serial: int | None = None,
    requirements_file: str | Path | None = None,
    started: str | None = None,
    finished: str | None = None,
    environ: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
    executor: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``context`` block of the report (also written as ``context.json``).

    ``executor`` is the STS identity that started the run (``harness.identity.caller(...).to_dict()``,
    which knows a session's source identity); default: the caller of ``client_factory``. Separation
    of duties in ``harness sign`` compares signers with it.
    ``terraform_version`` is the parsed ``terraform version -json`` (from the Terraform adapter);
    ``state_serial`` the ``serial`` of the state the suites ran against; ``started``/``finished`` ISO
    timestamps of the run (``finished`` defaults to now).
    """
    identity = caller_identity(client_factory)
    return {
        "run_id": run_id,
        "target": target,
        "region": region,
        "account": identity.get("account"),
        "caller": identity,
        "executor": dict(executor) if executor else identity,
        "operator": operator(environ),
        "started": started,
        "finished": finished or iso(utc_now()),
        "git": git_info(repo_dir),
        "terraform": {**terraform_versions(terraform_version), "state_serial": state_serial},
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
            "platform": platform.platform(),
        },
        "packages": package_versions(requirements_file),
        "harness_version": harness_version(),
        **dict(extra or {}),
    }
