"""Where the harness keeps things on disk: the code, the state, caches and run folders.

Its own module so that everything that needs a path (the platform, the workflow, the CLI, the suites)
can take it without importing the platform's lifecycle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

__all__ = ["REPO_ROOT", "Layout", "layout_from_env"]

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The environment variable naming a file of the Terraform outputs ``make validate`` hands to a suite
#: (it read them after apply/deploy); without it the suite reads them itself (``terraform output``).
OUTPUTS_FILE = "HARNESS_OUTPUTS_FILE"


@dataclasses.dataclass
class Layout:
    """Where things live on disk. ``root`` holds the code; ``work`` the state, caches and run folders
    (the same folder for users; tests pass a temporary ``work`` to stay out of the user's folders)."""

    root: Path = REPO_ROOT
    work: Path | None = None

    @property
    def work_dir(self) -> Path:
        return self.work or self.root

    @property
    def terraform_dir(self) -> Path:
        return self.root / "terraform"

    @property
    def cache_dir(self) -> Path:
        return self.work_dir / ".cache"

    @property
    def emulator_dir(self) -> Path:
        return self.cache_dir / "emulator"

    @property
    def runs_dir(self) -> Path:
        return self.work_dir / ".run"

    def state_dir(self, target: str) -> Path:
        return self.work_dir / "terraform" / "state" / target

    def var_file(self, target: str) -> Path:
        return self.terraform_dir / "env" / f"{target}.tfvars"

    def release_file(self, target: str) -> Path:
        """The model release the endpoint serves: written by ``deploy``, read by every plan/apply."""
        return self.state_dir(target) / "release.tfvars.json"


def layout_from_env(environ: Mapping[str, str] | None = None) -> Layout:
    """The layout, with ``HARNESS_WORK_DIR`` moving state, caches and runs elsewhere (tests use it)."""
    import os

    environ = os.environ if environ is None else environ
    work = environ.get("HARNESS_WORK_DIR")
    return Layout(work=Path(work) if work else None)
