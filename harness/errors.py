"""One exception root for the harness, and the exit codes the CLI maps them to.

Every error a user can meet derives from :class:`HarnessError`; the CLI turns them into a message and
an exit status in one place (``harness.cli``), the way httpie does.
"""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """Process exit codes of ``python -m harness``."""

    OK = 0
    ERROR = 1
    USAGE = 2
    TERRAFORM = 3
    TARGET = 4  # no emulator reachable / no AWS credentials
    QUALIFICATION_FAILED = 5
    DRIFT = 6  # the live platform differs from its qualified baseline
    INTERRUPTED = 130


class HarnessError(Exception):
    """Root of every error the harness raises on purpose."""

    exit_status: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class TargetError(HarnessError):
    """The chosen target cannot be reached (emulator down, no AWS credentials)."""

    exit_status = ExitStatus.TARGET


class UsageError(HarnessError):
    """The command line or its inputs are wrong."""

    exit_status = ExitStatus.USAGE
