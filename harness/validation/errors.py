"""The validation package's exception root (a :class:`harness.errors.HarnessError`)."""

from __future__ import annotations

from harness.errors import ExitStatus, HarnessError


class EvidenceError(HarnessError):
    """Root of every error raised by ``harness.validation``."""


class RequirementsError(EvidenceError):
    """``requirements.yaml`` is missing or malformed; ``problems`` lists every defect found."""

    exit_status = ExitStatus.USAGE

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        text = message if not self.problems else message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(text)


class PackageError(EvidenceError):
    """The evidence package cannot be built, signed, archived or read."""
