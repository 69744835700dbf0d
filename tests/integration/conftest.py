"""One applied platform per worker session, shared by the end-to-end tests that only read it.

``tests/conftest.py`` sends the files that use it to one xdist worker (``SHARED_WORKER``), so the
platform is applied once for all of them. A test that restarts the emulator or destroys the platform
calls ``spend()``; the next test that asks for the platform applies it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from harness import target as targets
from harness.progress import Recorder
from harness.provisioning import Layout, Platform
from harness.terraform import ApplyResult

PREFIX = "gxp-ml"


def project_buckets(target: targets.Target) -> list[str]:
    """The platform's buckets on the target, read live."""
    names = [b["Name"] for b in target.client("s3").list_buckets().get("Buckets", [])]
    return [n for n in names if n.startswith(PREFIX + "-")]


def project_roles(target: targets.Target) -> list[str]:
    """The platform's IAM roles on the target, read live."""
    roles = target.client("iam").list_roles()["Roles"]
    return [r["RoleName"] for r in roles if r["RoleName"].startswith(PREFIX)]


@dataclass
class Applied:
    """The applied platform, the apply's result and the progress events it reported."""

    platform: Platform
    result: ApplyResult
    progress: Recorder = field(default_factory=Recorder)
    commands: tuple[str, ...] = ()  # the Terraform commands the apply ran

    @cached_property
    def outputs(self) -> dict[str, Any]:
        """The platform's Terraform outputs, read once: they locate resources and do not change while
        the platform stays applied (a read costs a ``terraform init`` and ``output``)."""
        return self.platform.outputs()


class SharedPlatform:
    """Applies the platform on the session's emulator the first time it is asked for, then hands it out."""

    def __init__(self, emulator_dir: Path, layout: Layout) -> None:
        self.emulator_dir = emulator_dir
        self.layout = layout
        self._applied: Applied | None = None

    def get(self) -> Applied:
        if self._applied is None:
            said = Recorder()
            target = targets.resolve("local", state_dir=self.emulator_dir, environ={})
            platform = Platform(target, layout=self.layout, progress=said)
            result = platform.apply()
            self._applied = Applied(platform, result, said, tuple(platform.runner.commands))
        return self._applied

    def spend(self) -> None:
        """The platform was destroyed or its emulator restarted: apply again when next asked."""
        self._applied = None


@pytest.fixture(scope="session")
def shared_platform(emulator: object, emulator_dir: Path, work_layout: Layout) -> SharedPlatform:
    return SharedPlatform(emulator_dir, work_layout)


@pytest.fixture
def applied(shared_platform: SharedPlatform) -> Applied:
    """The platform applied on this worker's emulator (applied once, on first use)."""
    return shared_platform.get()
