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


def _tls_client(port: int, state_dir: Path) -> ssl.SSLSocket:
    """A TLS 1.3 client like the Go SDKs'."""
    ctx = ssl.create_default_context(cafile=str(state_dir / "ca.pem"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def test_answer_head_and_body_arrive_in_one_record(listener: tuple[int, Path, Router]) -> None:
    """A client that acts on the first record it reads holds the whole answer, not just its head.

    Go's HTTP client (the AWS provider) was seen closing the connection right after the record with
    the head when the body came in a second record, then sending the request again; a write carried
    out the first time then failed as a duplicate. One SSL read returns one record: it must hold the
    status line, the headers and the body that Content-Length announces."""
    port, state_dir, _ = listener
    with _tls_client(port, state_dir) as conn:
        body = b"Action=AuthorizeSecurityGroupIngress&GroupId=sg-1"
        head = f"POST /x HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(body)}\r\n\r\n"
        conn.sendall(head.encode())  # head and body in two records, as Go writes them
        conn.sendall(body)
        first = conn.recv(65536)  # one TLS record
    answer_head, sep, answer_body = first.partition(b"\r\n\r\n")
    assert sep, first
    assert answer_head.startswith(b"HTTP/1.1 200")
    length = int(
        next(
            line.split(b":", 1)[1]
            for line in answer_head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
    )
    assert len(answer_body) == length and json.loads(answer_body)["path"] == "/x"


def test_continue_and_error_answers_still_leave(listener: tuple[int, Path, Router]) -> None:
    """``100 Continue`` goes out before the body is sent; an error answer (no WSGI app) still arrives."""
    port, state_dir, _ = listener
    with _tls_client(port, state_dir) as conn:
        head = "PUT /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
        conn.sendall(head.encode())
        assert conn.recv(65536).startswith(b"HTTP/1.1 100 Continue")
        conn.sendall(b"{}")
        answer = conn.recv(65536)
        while answer.startswith(b"HTTP/1.1 100 Continue"):  # http.server and werkzeug each send one
            answer = answer.partition(b"\r\n\r\n")[2] or conn.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200")
    with _tls_client(port, state_dir) as conn:
        conn.sendall(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := conn.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 414"), answer[:80]


def _read_answer(
    conn: Any, buffered: bytes = b"", *, head: bool = False
) -> tuple[bytes, dict[str, str], bytes, bytes]:
    """One framed answer off a kept-alive connection: (status line, headers, body, bytes left over)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, f"connection ended before an answer: {data!r}"
        data += chunk
    top, _, rest = data.partition(b"\r\n\r\n")
    status, *lines = top.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}

    def need(n: int) -> None:
        nonlocal rest
        while len(rest) < n:
            chunk = conn.recv(65536)
            assert chunk, "connection ended inside an answer"
            rest += chunk

    body = b""
    code = int(status.split()[1])
    if code in (204, 304) or head:
        pass
    elif "content-length" in headers:
        need(int(headers["content-length"]))
        body, rest = rest[: int(headers["content-length"])], rest[int(headers["content-length"]) :]
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            while b"\r\n" not in rest:
                need(len(rest) + 1)
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            need(size + 2)
            body, rest = body + rest[:size], rest[size + 2 :]
            if size == 0:
                break
    return status.encode(), headers, body, rest


def _streamed(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first,"
    yield b""
    yield b"second"


def _empty(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [])
    return [b"ignored"]


def _failing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise RuntimeError("application failure")


@pytest.mark.parametrize("path", ["fast", "werkzeug"])
def test_answers_keep_the_connection_open(listener: tuple[int, Path, Router], path: str) -> None:
    """Every answer is framed and the connection serves the next request, unless the client closes it.

    werkzeug answers ``Connection: close`` to every request: a TLS handshake and a thread per call for
    every SDK client. Here bodies the application left unread (plain or chunked) are skipped, streamed
    answers are chunked, HEAD and 204 carry no body, and a failing application's 500 ends the
    connection."""
    port, state_dir, router = listener
    router.mount(r"/stream", _streamed)
    router.mount(r"/empty", _empty)
    router.mount(r"/fail", _failing)
    host = f"Host: 127.0.0.1:{port}\r\n"
    if path == "werkzeug":  # a header name with an underscore: werkzeug's parsing and run_wsgi
        host += "X-Amz-Meta-Odd_Name: 1\r\n"
    with _tls_client(port, state_dir) as conn:
        left = b""
        conn.sendall(f"POST /one HTTP/1.1\r\n{host}Content-Length: 5\r\n\r\nabcde".encode())
        status, headers, body, left = _read_answer(conn, left)
        assert status.startswith(b"HTTP/1.1 200") and "connection" not in headers
        assert json.loads(body)["path"] == "/one"
        chunked = b"4\r\nwxyz\r\n3\r\nabc\r\n0\r\n\r\n"
        conn.sendall(f"PUT /two HTTP/1.1\r\n{host}Transfer-Encoding: chunked\r\n\r\n".encode() + chunked)
        status, headers, body, left = _read_answer(conn, left)
        assert json.loads(body)["path"] == "/two"
        conn.sendall(f"GET /stream HTTP/1.1\r\n{host}\r\n".encode())
        status, headers, body, left = _read_answer(conn, left)
        assert headers["transfer-encoding"] == "chunked" and body == b"first,second"
        conn.sendall(f"GET /stream HTTP/1.0\r\n{host}Connection: keep-alive\r\n\r\n".encode())
        status, headers, body, left = _read_answer(conn, left)
        assert headers["connection"] == "close"  # HTTP/1.0 cannot frame a stream: it ends with the connection
        while chunk := conn.recv(65536):
            left += chunk
        assert left == b"first,second"
    with _tls_client(port, state_dir) as conn:
        conn.sendall(f"HEAD /three HTTP/1.1\r\n{host}\r\n".encode())
        conn.sendall(f"GET /empty HTTP/1.1\r\n{host}\r\n".encode())  # pipelined
        status, headers, body, left = _read_answer(conn, head=True)
        assert status.startswith(b"HTTP/1.1 200") and int(headers["content-length"]) > 0
        status, headers, body, left = _read_answer(conn, left)
        assert status.startswith(b"HTTP/1.1 204") and body == b"" and left == b""
        conn.sendall(f"GET /fail HTTP/1.1\r\n{host}\r\n".encode())
        status, headers, body, left = _read_answer(conn, left)
        assert status.startswith(b"HTTP/1.1 500") and headers["connection"] == "close"
        assert conn.recv(65536) == b""
    with _tls_client(port, state_dir) as conn:
        conn.sendall(f"GET /last HTTP/1.1\r\n{host}Connection: close\r\n\r\n".encode())
        status, headers, body, left = _read_answer(conn)
        assert headers["connection"] == "close" and json.loads(body)["path"] == "/last"
        assert conn.recv(65536) == b""


def test_idle_connections_are_closed(
    listener: tuple[int, Path, Router], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept-alive connection without a next request ends after the idle timeout (its thread too)."""
    import harness.emulator.server as server

    monkeypatch.setattr(server, "IDLE_TIMEOUT", 0.3)
    port, _, _ = listener
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, _, _, left = _read_answer(conn)
        assert status.startswith(b"HTTP/1.1 200") and not left
        assert conn.recv(65536) == b""  # closed by the server after 0.3 s idle, not the 5 s timeout


def _environ_dump(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.input"].read()
    plain = {k: v for k, v in environ.items() if isinstance(v, str | int | tuple | dict)}
    body = json.dumps(plain, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def test_fast_and_werkzeug_paths_build_the_same_environ(tmp_path: Path) -> None:
    """A plain request reaches moto through the fast path with the environ werkzeug and moto's handler
    build; a header with an underscore sends the same request through werkzeug's path."""
    server = make_server(0, tmp_path, app=_environ_dump)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
            seen = []
            for extra in ("", "X-Amz-Meta-Odd_Name: 1\r\n"):
                conn.sendall(
                    (
                        "PUT /bucket/a%20key?uploads&x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Content-Type: application/xml\r\nX-Amz-Meta-Note:  two  words \r\n"
                        f"Authorization: AWS4-HMAC-SHA256 Credential=testing/x, Signature=1\r\n{extra}"
                        "Content-Length: 3\r\n\r\nabc"
                    ).encode()
                )
                _, _, body, left = _read_answer(conn)
                assert not left
                seen.append(json.loads(body))
        fast, full = seen
        assert full.pop("HTTP_X_AMZ_META_ODD_NAME") == "1"  # only moto's handler keeps such a header
        assert full["moto.preserved_header_names"] == {"HTTP_X_AMZ_META_ODD_NAME": "X-Amz-Meta-Odd_Name"}
        full["moto.preserved_header_names"] = {}
        assert fast == full
        assert fast["PATH_INFO"] == "/bucket/a key" and fast["QUERY_STRING"] == "uploads&x=1"
    finally:
        server.shutdown()
        thread.join(timeout=5)
