"""``python -m harness.tfcheck validate|test DIR...``: Terraform's static gates, run through the adapter.

``validate`` checks a configuration without a backend or credentials; ``test`` runs a module's
``tests/*.tftest.hcl`` (mock providers). Both use the provider mirror when the machine has one.
Directories are initialised, then checked, in parallel (``TFCHECK_JOBS``, default 3); each one's
output is printed whole.

``test`` attaches every run to one shared AWS provider process (``terraform.shared_provider``):
Terraform would otherwise launch the ~700 MB provider twice per ``run`` block only to read its schema,
which is most of the CPU time of the module tests. A test file that configures the real provider gets
a shared process of its own (:func:`_configured_provider`). ``TF_SHARED_PROVIDER=0`` launches them as
usual.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from harness.errors import HarnessError
from harness.layout import REPO_ROOT
from harness.progress import Recorder
from harness.terraform import (
    TerraformRunner,
    cli_config_env,
    installed_provider,
    provider_environment,
    shared_provider,
    sharing_enabled,
)


def _data_dir(directory: Path) -> Path:
    return REPO_ROOT / ".cache" / "terraform" / "check" / directory.resolve().name


def _runner(
    action: str, directory: Path, said: Recorder, extra_env: Mapping[str, str] | None = None
) -> TerraformRunner:
    return TerraformRunner(
        directory,
        run_dir=REPO_ROOT / ".run" / f"tfcheck-{action}" / directory.resolve().name,
        env={**cli_config_env(REPO_ROOT / ".cache"), **(extra_env or {})},
        data_dir=_data_dir(directory),
        progress=said if action == "test" else None,
    )


def init(action: str, directory: Path) -> tuple[bool, str]:
    """``terraform init`` without a backend; returns (ok, what went wrong)."""
    said = Recorder()
    try:
        _runner(action, directory, said).init(backend=False)
    except HarnessError as exc:
        return False, "\n".join([*said.lines(), f"FAILED {directory}: {exc}"])
    return True, ""


def check(action: str, directory: Path, extra_env: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """Validate or test one initialised directory; returns (ok, its output)."""
    said = Recorder()
    start = time.monotonic()
    runner = _runner(action, directory, said)
    try:
        if action == "validate":
            runner.validate()
        elif not extra_env:
            runner.test()
        else:
            configured, mocked = _test_files(directory)
            if mocked:
                _runner(action, directory, said, extra_env).test(mocked)
            for name in configured:
                with _configured_provider(directory) as own:
                    _runner(action, directory, said, own).test([name])
    except HarnessError as exc:
        return False, "\n".join([*said.lines(), f"FAILED {directory}: {exc}"])
    summary = [line for line in said.lines() if line.startswith(("Success!", "Failure!"))]
    return True, "\n".join([*summary, f"ok ({time.monotonic() - start:.1f}s)"])


def _configured_provider(directory: Path) -> contextlib.AbstractContextManager[dict[str, str]]:
    """A shared provider for ONE test file that configures the real provider (plan-time policy
    rendering: no AWS call, the identity data sources overridden).

    Such a file cannot use the mock files' shared provider, which must stay unconfigured, and
    Terraform would launch the provider twice per ``run`` block (the IAM module's two such files: 23
    launches; the IAM and KMS module tests together took 40 and 33 CPU-seconds in two runs, 30 and 26
    this way). One process per file is configured again by each of its runs, with the same values (the
    file's one ``provider`` block), one run at a time (Terraform runs a file's ``run`` blocks in order
    unless they set ``parallel = true``, which none of ours does). Its environment is
    :func:`provider_environment`'s, as for the harness's own shared providers: the AWS provider refuses
    a second configuration while ``AWS_CA_BUNDLE`` is set."""
    binary = installed_provider(_data_dir(directory))
    if binary is None:
        return contextlib.nullcontext({})
    return shared_provider(binary, env=provider_environment(os.environ))


#: A top-level ``provider "aws" {`` block in a test file: the runs configure the real provider.
_CONFIGURED_PROVIDER = re.compile(r'^provider\s+"aws"\s*\{', re.MULTILINE)


def _test_files(directory: Path) -> tuple[list[str], list[str]]:
    """A directory's test files as (those that configure the real AWS provider, the others)."""
    configured: list[str] = []
    mocked: list[str] = []
    for path in sorted((directory / "tests").glob("*.tftest.hcl")):
        name = f"tests/{path.name}"
        (configured if _CONFIGURED_PROVIDER.search(path.read_text()) else mocked).append(name)
    return configured, mocked


def _in_parallel(
    title: str, jobs: int, dirs: Sequence[Path], work: Callable[[Path], tuple[bool, str]], report: bool
) -> list[str]:
    """Run ``work`` over ``dirs``; print each one's output as it ends (``report``); the failed ones."""
    failed: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(work, d): d for d in dirs}
        for future in concurrent.futures.as_completed(futures):
            directory = futures[future]
            ok, output = future.result()
            if report or not ok:
                print(f"==> terraform {title} {directory}", flush=True)
                for line in output.splitlines():
                    print(f"    {line}", flush=True)
            if not ok:
                failed.append(str(directory))
    return failed


def _provider_env(action: str, dirs: Sequence[Path]) -> contextlib.AbstractContextManager[dict[str, str]]:
    """The shared provider for ``test`` when every directory installed the same AWS provider binary."""
    if action != "test" or not sharing_enabled():
        return contextlib.nullcontext({})
    binaries = [installed_provider(_data_dir(d)) for d in dirs]
    versions = {b.parent.parent.name if b is not None else None for b in binaries}
    if len(versions) != 1 or None in versions or binaries[0] is None:
        return contextlib.nullcontext({})
    binary = binaries[0]
    print(f"terraform {action}: one shared AWS provider {versions.pop()} for every run", flush=True)
    return shared_provider(binary)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] not in ("validate", "test"):
        print("usage: python -m harness.tfcheck validate|test DIR...", file=sys.stderr)
        return 2
    action, dirs = args[0], [Path(d) for d in args[1:]]
    jobs = max(1, int(os.environ.get("TFCHECK_JOBS", "3")))
    failed = _in_parallel("init", jobs, dirs, lambda d: init(action, d), report=False)
    ready = [d for d in dirs if str(d) not in failed]
    if ready:
        with _provider_env(action, ready) as extra_env:
            failed += _in_parallel(action, jobs, ready, lambda d: check(action, d, extra_env), report=True)
    if failed:
        print(f"terraform {action} failed in: {', '.join(sorted(failed))}", file=sys.stderr)
        return 1
    print(f"terraform {action}: {len(dirs)} of {len(dirs)} passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
