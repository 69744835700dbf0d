"""The one error type the emulator raises."""

from harness.errors import TargetError


class EmulatorError(TargetError):
    """Starting, stopping or reaching the local AWS emulator failed."""
