"""The embedded local AWS emulator: moto in-process behind a front router, HTTPS and HTTP on one port."""

from .control import EmulatorInfo, EmulatorStatus, env, format_exports, free_port, info, start, status, stop
from .errors import EmulatorError

__all__ = [
    "EmulatorError",
    "EmulatorInfo",
    "EmulatorStatus",
    "env",
    "format_exports",
    "free_port",
    "info",
    "start",
    "status",
    "stop",
]
