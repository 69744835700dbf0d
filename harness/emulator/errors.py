"""The one error type the emulator raises."""


class EmulatorError(Exception):
    """Starting, stopping or reaching the local AWS emulator failed."""
