"""The byte-peek listener: one port, TLS or plain HTTP per connection; and the front router."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.emulator.router import HEALTH_PATH, Router
from harness.emulator.server import make_server


def _echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = json.dumps(
        {"scheme": environ["wsgi.url_scheme"], "path": environ["PATH_INFO"], "app": "default"}
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _runtime(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = b'{"app": "runtime"}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture()
def listener(tmp_path: Path) -> Iterator[tuple[int, Path, Router]]:
    router = Router(_echo)
    server = make_server(0, tmp_path, app=router)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.port, tmp_path, router
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _get(url: str, ca: Path | None = None, method: str = "GET") -> dict[str, Any]:
    ctx = ssl.create_default_context(cafile=str(ca)) if ca else None
    req = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=5, context=ctx) as response:
        return json.loads(response.read())


def test_same_port_speaks_https_and_http(listener: tuple[int, Path, Router]) -> None:
    port, state_dir, _ = listener
    assert (state_dir / "ca.pem").is_file()
    assert _get(f"https://127.0.0.1:{port}/x", state_dir / "ca.pem")["scheme"] == "https"
    assert _get(f"https://localhost:{port}/x", state_dir / "ca.pem")["scheme"] == "https"
    assert _get(f"http://127.0.0.1:{port}/x")["scheme"] == "http"


def test_broken_handshake_does_not_stop_the_listener(listener: tuple[int, Path, Router]) -> None:
    port, state_dir, _ = listener
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01\x00\x05garbage")
        s.settimeout(5)
        with contextlib.suppress(OSError):
            s.recv(100)
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # connect and close without a byte
    assert _get(f"https://127.0.0.1:{port}/again", state_dir / "ca.pem")["scheme"] == "https"


def test_tls_handshakes_issue_no_session_tickets(listener: tuple[int, Path, Router]) -> None:
    """No client here resumes a session: tickets would only cost server CPU per connection."""
    port, state_dir, _ = listener
    ctx = ssl.create_default_context(cafile=str(state_dir / "ca.pem"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    with raw, ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        assert tls.version() == "TLSv1.3"
        tls.sendall(b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := tls.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")
        # a TLS 1.3 session is resumable only once the server sent a ticket
        assert tls.session is None or not tls.session.has_ticket


def test_ca_is_reused(tmp_path: Path) -> None:
    first = make_server(0, tmp_path, app=_echo)
    first.server_close()
    ca = (tmp_path / "ca.pem").read_bytes()
    second = make_server(0, tmp_path, app=_echo)
    second.server_close()
    assert (tmp_path / "ca.pem").read_bytes() == ca


def test_router_mount_claims_routes(listener: tuple[int, Path, Router]) -> None:
    port, _, router = listener
    route = router.mount(r"/endpoints/[^/]+/invocations", _runtime, methods=["POST"])
    base = f"http://127.0.0.1:{port}"
    assert _get(f"{base}/endpoints/ep-1/invocations", method="POST")["app"] == "runtime"
    assert _get(f"{base}/endpoints/ep-1/invocations")["app"] == "default"  # GET not claimed
    assert _get(f"{base}/other")["app"] == "default"
    assert _get(f"{base}{HEALTH_PATH}")["status"] == "ok"
    router.mount(lambda environ: environ["PATH_INFO"] == "/pred", _runtime)
    assert _get(f"{base}/pred")["app"] == "runtime"
    router.unmount(route)
    assert _get(f"{base}/endpoints/ep-1/invocations", method="POST")["app"] == "default"
