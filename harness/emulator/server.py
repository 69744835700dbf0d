"""The emulator process: moto in-process behind the front router, HTTPS and HTTP on one port.

Run as ``python -m harness.emulator.server --port N --state-dir DIR``. Binds 127.0.0.1 only.
Each accepted connection is peeked at: a first byte of 0x16 (a TLS handshake record) gets
wrapped in TLS with a certificate issued by the emulator's own CA (``<state-dir>/ca.pem``),
anything else is served as plain HTTP. ``wsgi.url_scheme`` tells the application which one it was.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import ssl
import sys
import threading
from pathlib import Path
from typing import Any

import trustme
from werkzeug.serving import ThreadedWSGIServer

from .router import Router

HOST = "127.0.0.1"
TLS_HANDSHAKE = 0x16
PEEK_TIMEOUT = 10.0
CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"

log = logging.getLogger("harness.emulator")


def load_or_create_ca(state_dir: Path) -> trustme.CA:
    """The emulator's CA; reused when present so clients' CA bundles stay valid."""
    state_dir.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = state_dir / CA_CERT, state_dir / CA_KEY
    if cert_path.is_file() and key_path.is_file():
        return trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
    ca = trustme.CA(organization_name="harness local AWS emulator")
    key_path.touch(mode=0o600)
    ca.private_key_pem.write_to_path(str(key_path))
    ca.cert_pem.write_to_path(str(cert_path))
    return ca


def make_tls_context(state_dir: Path) -> ssl.SSLContext:
    ca = load_or_create_ca(state_dir)
    leaf = ca.issue_cert("127.0.0.1", "localhost", "::1")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    leaf.configure_cert(ctx)
    return ctx


def _request_handler_class() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class DualProtocolRequestHandler(MotoRequestHandler):
        """moto's request handler, with the URL scheme taken from the real transport."""

        def make_environ(self) -> dict[str, Any]:
            environ = super().make_environ()
            environ["wsgi.url_scheme"] = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
            return environ

        def handle(self) -> None:
            try:
                super().handle()
            except ssl.SSLError as exc:
                self.log_error("TLS error: %s", exc)

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
            log.info('%s "%s" %s %s', scheme, self.requestline, code, size)

    return DualProtocolRequestHandler


class DualProtocolServer(ThreadedWSGIServer):
    """Threaded WSGI server that speaks TLS or plain HTTP per connection (first-byte peek)."""

    def __init__(self, host: str, port: int, app: Any, tls_context: ssl.SSLContext, handler: type) -> None:
        super().__init__(host, port, app, handler=handler)
        self.tls_context = tls_context

    def finish_request(self, request: Any, client_address: Any) -> None:  # runs in the worker thread
        conn = self.wrap_if_tls(request)
        if conn is None:
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            if conn is not request:
                with contextlib.suppress(OSError):
                    conn.close()

    def wrap_if_tls(self, sock: socket.socket) -> socket.socket | None:
        """Peek at the first byte; wrap in TLS when it opens a handshake. None: drop the connection."""
        try:
            sock.settimeout(PEEK_TIMEOUT)
            first = sock.recv(1, socket.MSG_PEEK)
            sock.settimeout(None)
        except OSError:
            return None
        if not first:
            return None
        if first[0] != TLS_HANDSHAKE:
            return sock
        try:
            return self.tls_context.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.info("TLS handshake failed from %s: %s", sock.getpeername() if sock else "?", exc)
            return None

    def shutdown_request(self, request: Any) -> None:
        # The TLS wrapper detaches the original socket; closing a detached socket is a no-op.
        with contextlib.suppress(OSError):
            request.shutdown(socket.SHUT_WR)
        self.close_request(request)


def build_app() -> Router:
    """moto's dispatcher (all services) behind the front router, with the fidelity fixes applied."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import patches, runtime

    patches.apply_all()
    router = Router(DomainDispatcherApplication(create_backend_app))
    runtime.install(router)  # the local SageMaker data plane (training, hosting, InvokeEndpoint)
    return router


def make_server(port: int, state_dir: Path, app: Any | None = None, host: str = HOST) -> DualProtocolServer:
    return DualProtocolServer(
        host,
        port,
        app if app is not None else build_app(),
        make_tls_context(state_dir),
        _request_handler_class(),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.emulator.server", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMULATOR_PORT", "4566")))
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(args.port, args.state_dir)

    def _terminate(signum: int, _frame: Any) -> None:
        log.info("signal %s: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    log.info("emulator listening on %s:%s (HTTPS and HTTP), pid %s", HOST, server.port, os.getpid())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
