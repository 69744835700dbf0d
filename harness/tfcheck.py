"""``python -m harness.tfcheck validate|test DIR...``: Terraform's static gates, run through the adapter.

``validate`` checks a configuration without a backend or credentials; ``test`` runs a module's
``tests/*.tftest.hcl`` (mock providers). Both use the provider mirror when the machine has one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from harness.errors import HarnessError
from harness.platform import REPO_ROOT
from harness.terraform import TerraformRunner, cli_config_env


def _runner(directory: Path, run_dir: Path, *, echo: bool) -> TerraformRunner:
    env = cli_config_env(REPO_ROOT / ".cache")
    return TerraformRunner(
        directory,
        run_dir=run_dir,
        env=env,
        data_dir=REPO_ROOT / ".cache" / "terraform" / "check" / directory.resolve().name,
        progress=(lambda line: print(f"    {line}", flush=True)) if echo else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] not in ("validate", "test"):
        print("usage: python -m harness.tfcheck validate|test DIR...", file=sys.stderr)
        return 2
    action, dirs = args[0], [Path(d) for d in args[1:]]
    run_dir = REPO_ROOT / ".run" / f"tfcheck-{action}"
    failed: list[str] = []
    for directory in dirs:
        start = time.monotonic()
        print(f"==> terraform {action} {directory}", flush=True)
        runner = _runner(directory, run_dir, echo=(action == "test"))
        try:
            runner.init(backend=False)
            if action == "validate":
                runner.validate()
            else:
                runner.test()
        except HarnessError as exc:
            print(f"FAILED {directory}: {exc}", flush=True)
            failed.append(str(directory))
            continue
        print(f"    ok ({time.monotonic() - start:.1f}s)", flush=True)
    if failed:
        print(f"terraform {action} failed in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
