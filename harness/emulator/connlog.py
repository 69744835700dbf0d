"""Opt-in connection log of the emulator (``EMULATOR_CONN_LOG=1``): diagnostics, off by default.

One INFO line (logger ``harness.emulator.conn``) per connection when the emulator closes it: the
client's port (to find the connection in a packet capture), TLS or not, the request lines, the bytes
the server actually handed to the socket, write errors and dropped connections (werkzeug swallows
both), the bytes left unread in the socket (closing with unread bytes makes the kernel send RST),
OpenSSL's buffered bytes, and the TCP state at close (``CLOSE_WAIT``: the client closed first;
``CLOSE``: the client reset the connection). Its cost is a few microseconds per connection, so it
changes the emulator's timing far less than the provider's debug log does. ``EMULATOR_TLS_KEYLOG=FILE``
(in ``server.make_tls_context``) writes the TLS session keys, so that a capture of the loopback port
(``tcpdump -i lo -s 0 -w FILE port N``) can be decrypted (``tshark -o tls.keylog_file:FILE``).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import ssl
import struct
import termios
import threading
import time
from typing import Any

CONN_LOG = os.environ.get("EMULATOR_CONN_LOG") == "1"

conn_log = logging.getLogger("harness.emulator.conn")
_local = threading.local()

_TCP_STATES = {
    1: "ESTABLISHED",
    2: "SYN_SENT",
    3: "SYN_RECV",
    4: "FIN_WAIT1",
    5: "FIN_WAIT2",
    6: "TIME_WAIT",
    7: "CLOSE",
    8: "CLOSE_WAIT",
    9: "LAST_ACK",
    10: "LISTEN",
    11: "CLOSING",
}


class ConnTrace:
    """What happened on one connection, for ``EMULATOR_CONN_LOG=1`` (diagnostics only)."""

    def __init__(self, client_address: Any) -> None:
        self.t0 = time.monotonic()
        self.port = client_address[1] if isinstance(client_address, tuple) else client_address
        self.tls = False
        self.requests: list[str] = []
        self.wrote = 0
        self.events: list[str] = []

    def mark(self, what: str) -> None:
        self.events.append(f"{what}@{time.monotonic() - self.t0:.3f}")

    def sendall(self, sock: socket.socket, data: bytes) -> None:
        """``sock.sendall(data)``, counting what the kernel took and recording a failed write."""
        try:
            sock.sendall(data)
        except BaseException as exc:
            self.mark(f"write-error:{type(exc).__name__}:{exc}")
            raise
        self.wrote += len(data)

    def close_line(self, conn: socket.socket) -> None:
        unread = pending = -1
        state = "?"
        with contextlib.suppress(OSError, ValueError):
            fd = conn.fileno()
            unread = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
            state = _TCP_STATES.get(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0], "?")
        if isinstance(conn, ssl.SSLSocket):
            with contextlib.suppress(OSError, ValueError):
                pending = conn.pending()
        conn_log.info(
            "conn port=%s tls=%s requests=%s wrote=%d unread=%d tls_pending=%d state=%s events=%s dur=%.3f",
            self.port,
            self.tls,
            self.requests,
            self.wrote,
            unread,
            pending,
            state,
            ",".join(self.events),
            time.monotonic() - self.t0,
        )


def begin(client_address: Any) -> ConnTrace | None:
    """The trace of the connection this worker thread serves now; None when the log is off."""
    trace = ConnTrace(client_address) if CONN_LOG else None
    _local.trace = trace
    return trace


def current() -> ConnTrace | None:
    return getattr(_local, "trace", None)
