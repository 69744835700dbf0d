"""Free TCP ports on the loopback interface: one home for the emulator and its model servers."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"
"""The emulator and everything it starts bind to the loopback interface only."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])
