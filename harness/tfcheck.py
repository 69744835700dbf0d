"""``python -m harness.tfcheck validate|test DIR...``: Terraform's static gates, run through the adapter.

``validate`` checks a configuration without a backend or credentials; ``test`` runs a module's
``tests/*.tftest.hcl`` (mock providers). Both use the provider mirror when the machine has one.
Directories are checked in parallel (``TFCHECK_JOBS``, default 3); each one's output is printed whole.
"""

from __future__ import annotations

import concurrent.futures
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from harness.errors import HarnessError
from harness.progress import Recorder
from harness.provisioning import REPO_ROOT
from harness.terraform import TerraformRunner, cli_config_env


def check(action: str, directory: Path) -> tuple[bool, str]:
    """Init (no backend) then validate or test one directory; returns (ok, its output)."""
    said = Recorder()
    start = time.monotonic()
    run_dir = REPO_ROOT / ".run" / f"tfcheck-{action}" / directory.resolve().name
    runner = TerraformRunner(
        directory,
        run_dir=run_dir,
        env=cli_config_env(REPO_ROOT / ".cache"),
        data_dir=REPO_ROOT / ".cache" / "terraform" / "check" / directory.resolve().name,
        progress=said if action == "test" else None,
    )
    try:
        runner.init(backend=False)
        if action == "validate":
            runner.validate()
        else:
            runner.test()
    except HarnessError as exc:
        return False, "\n".join([*said.lines(), f"FAILED {directory}: {exc}"])
    summary = [line for line in said.lines() if line.startswith(("Success!", "Failure!"))]
    return True, "\n".join([*summary, f"ok ({time.monotonic() - start:.1f}s)"])


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] not in ("validate", "test"):
        print("usage: python -m harness.tfcheck validate|test DIR...", file=sys.stderr)
        return 2
    action, dirs = args[0], [Path(d) for d in args[1:]]
    jobs = max(1, int(os.environ.get("TFCHECK_JOBS", "3")))
    failed: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(check, action, d): d for d in dirs}
        for future in concurrent.futures.as_completed(futures):
            directory = futures[future]
            ok, output = future.result()
            print(f"==> terraform {action} {directory}", flush=True)
            for line in output.splitlines():
                print(f"    {line}", flush=True)
            if not ok:
                failed.append(str(directory))
    if failed:
        print(f"terraform {action} failed in: {', '.join(sorted(failed))}", file=sys.stderr)
        return 1
    print(f"terraform {action}: {len(dirs)} of {len(dirs)} passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
