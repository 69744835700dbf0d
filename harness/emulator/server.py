"""The emulator process: moto in-process behind the front router, HTTPS and HTTP on one port.

Run as ``python -m harness.emulator.server --port N --state-dir DIR``. Binds 127.0.0.1 only.
Each accepted connection is peeked at: a first byte of 0x16 (a TLS handshake record) gets
wrapped in TLS with a certificate issued by the emulator's own CA (``<state-dir>/ca.pem``),
anything else is served as plain HTTP. ``wsgi.url_scheme`` tells the application which one it was.

Fast path: a request whose head is plain (no header with an underscore, no repeated header, no
``Transfer-Encoding``, no ``Expect``, an ASCII path-only target) is parsed by a lean HTTP/1.1 loop
here instead of werkzeug's request parsing, into the WSGI environ werkzeug and moto's handler would
build (test ``test_fast_and_werkzeug_paths_build_the_same_environ``), and answered with the same
``Server`` and ``Date`` headers and one write per answer. A route the front router hands to a mounted
application (the SageMaker runtime's ``POST /endpoints/<name>/invocations``, the health route) gets
that application directly; its access line is DEBUG (``EMULATOR_ACCESS_LOG=1``: INFO) since the model
server's access line already lands in CloudWatch. Everything else goes to moto behind the router's
middleware, as on werkzeug's path; sparing werkzeug's parsing saves ~140 us of a moto request's
~2 ms. Anything unusual takes werkzeug's full path, which sees the bytes it would have.
The fast path stays hand-written rather than h11's (0.16.0): parsing one InvokeEndpoint request and
writing its answer took 24-27 us here against 680-980 us with h11 in the same process and load (its
event and header validation per request); werkzeug, maintained, still parses everything unusual.

Keep-alive: every answer, moto's included, keeps an HTTP/1.1 connection open unless the client asked
to close it (``Connection: close``, HTTP/1.0 without ``keep-alive``). werkzeug's own ``run_wsgi``
answers ``Connection: close`` to everything, which cost each SDK call a TCP connect, a TLS handshake
and an emulator thread: 500 boto3 calls took 2.1 emulator and 2.1 client CPU-seconds that way and
1.1-1.2 and 0.9-1.0 on kept-alive connections. Here ``_answer`` (behind the fast path and the
``run_wsgi`` that replaces werkzeug's for everything unusual) bounds the request body
(Content-Length or chunked), frames every answer (the application's Content-Length, else one computed
when the whole body is at hand, else chunked), skips what the application left unread of the body (up
to 64 MiB; beyond, or on a malformed body, the connection ends), and closes a connection left idle for
``EMULATOR_IDLE_TIMEOUT`` seconds (30).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import io
import itertools
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import trustme
from werkzeug.serving import DechunkedInput, ThreadedWSGIServer, connection_dropped_errors

from . import connlog
from .ports import HOST
from .router import Router

TLS_HANDSHAKE = 0x16
PEEK_TIMEOUT = 10.0
MAX_LINE = 65536
MAX_HEADERS = 100
DRAIN_LIMIT = 64 * 1024 * 1024  # an unread body up to this size is skipped to keep the connection
# A kept-alive connection with no next request within this many seconds is closed (its thread ends).
# Clients handle it: urllib3 checks a pooled connection before reusing it, Go drops one the server
# closed, and a request that crosses the close was never read, so a retry cannot repeat it.
IDLE_TIMEOUT = float(os.environ.get("EMULATOR_IDLE_TIMEOUT", "30"))
NO_BODY_STATUSES = (204, 304)
FAST_METHODS = (b"POST ", b"GET ", b"PUT ", b"DELETE ", b"HEAD ")
# moto reads this key (underscored header names, which make a request leave the fast path)
PRESERVED_HEADER_NAMES = "moto.preserved_header_names"
# Access lines of fast-path requests (every InvokeEndpoint) are DEBUG: formatting one costs more than
# routing the request. EMULATOR_ACCESS_LOG=1 logs them at INFO like every other request.
FAST_LOG_LEVEL = logging.INFO if os.environ.get("EMULATOR_ACCESS_LOG") == "1" else logging.DEBUG
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
    # No TLS 1.3 session tickets: OpenSSL sends two after every handshake (~70 of ~460 us of server
    # CPU per connection), and no client here resumes a session (the SDKs keep no session cache; a
    # client keeps its connections open between calls), so each connection does a full handshake.
    ctx.num_tickets = 0
    if os.environ.get("EMULATOR_TLS_KEYLOG"):  # diagnostics: lets a packet capture be decrypted
        ctx.keylog_filename = os.environ["EMULATOR_TLS_KEYLOG"]
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

        def setup(self) -> None:
            super().setup()
            self.wfile = _AnswerWriter(self.connection, connlog.current())
            self.served = 0  # requests read on this connection

        def run_wsgi(self) -> None:
            """werkzeug's, but the connection stays open unless the client asked to close it.

            werkzeug always answers ``Connection: close`` (it cannot find the end of an unread body);
            here the body is bounded (Content-Length or chunked), skipped when the application left
            some, and the answer framed by :meth:`_answer`."""
            if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.environ = environ = self.make_environ()
            if not isinstance(environ["wsgi.input"], DechunkedInput):
                encoding = environ.get("HTTP_TRANSFER_ENCODING")
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = -1
                if encoding or length < 0:  # a body whose end cannot be found: the connection ends
                    self.close_connection = True
                    length = max(length, 0)
                environ["wsgi.input"] = _Body(self.rfile, length)
            self._answer(self.server.app, environ, logging.INFO)

        def send_response(self, code: int, message: str | None = None) -> None:
            self.wfile.hold()  # the answer's status line, headers and body leave together
            super().send_response(code, message)

        def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
            trace = connlog.current()
            if trace is not None:
                trace.mark(f"dropped:{type(error).__name__}:{error}")

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if log.isEnabledFor(logging.INFO):
                scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
                log.info('%s "%s" %s %s', scheme, self.requestline, code, size)

        def handle_one_request(self) -> None:
            """BaseHTTPRequestHandler's, with the fast path for routes the front router claims."""
            if isinstance(self.rfile, _Replay) and self.rfile.spent:
                self.rfile = self.rfile.stream  # the replayed header bytes are consumed
            if self.served:  # a kept-alive connection: wait for its next request, not forever
                try:
                    self.connection.settimeout(IDLE_TIMEOUT)
                    self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
                    self.connection.settimeout(None)
                except (TimeoutError, OSError):
                    self.close_connection = True
                    return
            try:
                if not self.served:
                    self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
                self.served += 1
                if len(self.raw_requestline) > MAX_LINE:
                    self.requestline = self.request_version = self.command = ""
                    self.send_error(414)
                    return
                if not self.raw_requestline:
                    self.close_connection = True
                    return
                trace = connlog.current()
                if trace is not None:
                    trace.requests.append(self.raw_requestline[:80].decode("latin-1").rstrip())
                    trace.mark("request")
                if self.raw_requestline.startswith(FAST_METHODS) and self._fast_path():
                    return
                if not self.parse_request():
                    return
                method = getattr(self, "do_" + self.command, None)
                if method is None:
                    self.send_error(501, f"Unsupported method ({self.command!r})")
                    return
                method()
                self.wfile.flush()
            except TimeoutError as exc:
                self.log_error("Request timed out: %r", exc)
                self.close_connection = True

        def _fast_path(self) -> bool:
            """Answer a request whose head needs none of werkzeug's parsing; False: werkzeug's path takes it.

            A route a mounted application claims gets the application itself; anything else goes to
            moto behind the router's middleware, with the environ werkzeug and moto's handler build
            for such a request (``test_fast_and_werkzeug_paths_build_the_same_environ``)."""
            parts = self.raw_requestline.split()
            if len(parts) != 3 or parts[2] not in (b"HTTP/1.1", b"HTTP/1.0") or not parts[1].startswith(b"/"):
                return False
            saved = [self.raw_requestline]
            environ = self._fast_environ(parts, saved)
            if environ is not None:
                router = self.server.app
                claimed = getattr(router, "claimed", None)
                app = claimed(environ) if claimed is not None else None
                if app is not None:
                    self._answer(app, environ, FAST_LOG_LEVEL)
                    return True
                target = parts[1]
                if target.isascii() and not target.startswith(b"//") and b"#" not in target:
                    environ[PRESERVED_HEADER_NAMES] = {}
                    self.environ = environ
                    self._answer(router, environ, logging.INFO)
                    return True
            self.rfile = _Replay(b"".join(saved[1:]), self.rfile)  # werkzeug reads the headers again
            return False

        def _fast_environ(self, parts: list[bytes], saved: list[bytes]) -> dict[str, Any] | None:
            """The WSGI environ werkzeug would build; None for anything the fast path leaves to it."""
            method, target, version = (p.decode("latin-1") for p in parts)
            path, _, query = target.partition("?")
            environ: dict[str, Any] = {
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "https" if isinstance(self.connection, ssl.SSLSocket) else "http",
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
                "werkzeug.socket": self.connection,
                "SERVER_SOFTWARE": self.server_version,
                "REQUEST_METHOD": method,
                "SCRIPT_NAME": "",
                "PATH_INFO": unquote(path).encode().decode("latin-1"),
                "QUERY_STRING": query,
                "REQUEST_URI": target,
                "RAW_URI": target,
                "REMOTE_ADDR": self.client_address[0],
                "REMOTE_PORT": self.client_address[1],
                "SERVER_NAME": self.server.server_address[0],
                "SERVER_PORT": str(self.server.server_address[1]),
                "SERVER_PROTOCOL": version,
            }
            simple = True
            readline = self.rfile.readline
            for _ in range(MAX_HEADERS + 1):
                line = readline(MAX_LINE + 1)
                saved.append(line)
                if line in (b"\r\n", b"\n", b""):
                    break
                if len(line) > MAX_LINE or line[:1] in (b" ", b"\t"):
                    return None  # too long or folded: werkzeug answers it
                name, sep, value = line.decode("latin-1").partition(":")
                if not sep or "_" in name or name != name.strip():
                    simple = False
                    continue
                key = name.upper().replace("-", "_")
                if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                    key = "HTTP_" + key
                if key in environ or key in ("HTTP_TRANSFER_ENCODING", "HTTP_EXPECT"):
                    simple = False
                environ[key] = value.lstrip(" \t").rstrip("\r\n")  # as http.client and werkzeug keep it
            else:
                return None
            if not simple:
                return None
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return None
            if length < 0:
                return None
            environ["wsgi.input"] = _Body(self.rfile, length)
            self.command, self.path, self.request_version = method, target, version
            self.requestline = self.raw_requestline.decode("latin-1").rstrip("\r\n")
            connection = environ.get("HTTP_CONNECTION", "").lower()
            self.close_connection = connection == "close" or (
                version == "HTTP/1.0" and connection != "keep-alive"
            )
            return environ

        def _answer(self, app: Any, environ: dict[str, Any], level: int) -> None:
            """Run the application and send its answer, framed so that the connection can stay open.

            Framing: the application's Content-Length; else Content-Length when the whole body is at
            hand, chunked when it streams (HTTP/1.1), or the connection's end (HTTP/1.0). HEAD, 1xx,
            204 and 304 answers carry no body. One write per answer while it is at hand (see
            :class:`_AnswerWriter`); a streamed body leaves a chunk at a time, the last one with the
            terminator. Afterwards the request body's unread rest is skipped, or the connection ends."""
            answer: list[Any] = []
            early: list[bytes] = []  # what the legacy write() callable was given

            def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                if exc_info is not None and frame.started:
                    raise exc_info[1].with_traceback(exc_info[2])
                answer[:] = [status, headers]
                return early.append

            frame = _Framing(self, environ)
            body = environ["wsgi.input"]  # the application (moto) may replace it with what it read
            try:
                result = app(environ, start_response)
                try:
                    held: bytes | None = None
                    for data in itertools.chain(early, result):
                        if data:
                            if held is not None:
                                frame.send(answer, held, last=False)
                            held = data
                    frame.send(answer, held or b"", last=True)
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            except connection_dropped_errors as exc:
                self.close_connection = True
                self.connection_dropped(exc, environ)
                return
            except Exception:
                log.exception("error on %s", self.requestline)
                self.close_connection = True
                if frame.started:
                    return  # a broken answer: the client sees the connection end early
                error = ["500 Internal Server Error", [("Content-Type", "text/plain")]]
                frame.send(error, b"Internal Server Error", last=True)
            if not self.close_connection and not _skip_rest(body):
                self.close_connection = True
            if log.isEnabledFor(level):
                scheme = environ["wsgi.url_scheme"]
                log.log(level, '%s "%s" %s %s', scheme, self.requestline, frame.code, frame.sent)

    return DualProtocolRequestHandler


class _AnswerWriter(io.BufferedIOBase):
    """``wfile`` of every request: an answer's status line, headers and body leave in one write.

    werkzeug (and ``BaseHTTPRequestHandler.send_error``) writes the head of an answer, then its body,
    in two writes; over TLS each write is a record of its own, and under load the two reach the client
    a fraction of a millisecond apart. The AWS provider's Go HTTP client (aws-sdk-go-v2) was then seen
    to read the head record and close the connection (TLS close_notify, FIN) before the body record
    arrived, reset it when the body came, and send the same request again (``attempt=2``). The
    emulator had carried out the first one (200 in its access log), so a write that is not idempotent
    failed the second time: ``RevokeSecurityGroupEgress`` NotFound, ``CreateSubnet`` Conflict, KMS
    ``CreateAlias`` AlreadyExists, ``CreateSecurityGroup`` Duplicate in concurrent cold applies here,
    each preceded by that sequence on the first attempt's connection (loopback captures, decrypted with
    ``EMULATOR_TLS_KEYLOG``); reads met the same fate and were retried silently. Sent as one write (one
    TLS record up to 16 KiB), the head and body arrive together, so a client that acts on the head
    already holds the whole answer in its own buffers. The bytes on the wire are the same; only their
    segmentation changes. Known gap: an answer over 16 KiB still spans several records (the head comes
    with the first 16 KiB of the body); the writes seen failing answer a few hundred bytes.

    Holding starts at ``send_response`` (``send_error``'s answers) and ends at the next ``flush()`` (the
    request loop's, after each request); what is written outside (``100 Continue``, the answers
    ``_answer`` frames, each already one write, later chunks of a streamed body) goes out at once.
    """

    def __init__(self, sock: socket.socket, trace: connlog.ConnTrace | None = None) -> None:
        self._sock = sock
        self._trace = trace
        self._held: list[bytes] = []
        self._holding = False

    def writable(self) -> bool:
        return True

    def hold(self) -> None:
        """Keep what is written from now on until ``flush()``."""
        self._holding = True

    def write(self, data: Any) -> int:
        if self._holding:
            self._held.append(bytes(data))
        else:
            self._send(bytes(data))
        with memoryview(data) as view:
            return view.nbytes

    def flush(self) -> None:
        self._holding = False
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            self._send(data)

    def _send(self, data: bytes) -> None:
        if self._trace is None:
            self._sock.sendall(data)
        else:
            self._trace.sendall(self._sock, data)

    def fileno(self) -> int:
        return self._sock.fileno()


class _Body:
    """``wsgi.input`` of the fast path: at most Content-Length bytes of the connection."""

    __slots__ = ("_stream", "remaining")

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self.remaining = length

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        if size <= 0:
            return b""
        data = self._stream.read(size)
        self.remaining -= len(data)
        if not data:
            self.remaining = 0
        return data

    def readline(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        if size <= 0:
            return b""
        data = self._stream.readline(size)
        self.remaining -= len(data)
        if not data:
            self.remaining = 0
        return data

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def drain(self) -> bool:
        """Skip what the application left unread; False when the connection ended first."""
        try:
            while self.remaining:
                if not self.read(min(self.remaining, 1 << 16)):
                    return False
        except OSError:  # the client went away meanwhile
            return False
        return True


class _Framing:
    """How one answer's body is delimited on the wire, chosen when its head leaves."""

    __slots__ = ("_chunked", "_handler", "_head_request", "_length", "_no_body", "code", "sent", "started")

    def __init__(self, handler: Any, environ: dict[str, Any]) -> None:
        self._handler = handler
        self._head_request = environ["REQUEST_METHOD"] == "HEAD"
        self._no_body = self._chunked = self.started = False
        self._length: int | None = None
        self.code = 0
        self.sent = 0

    def send(self, answer: list[Any], data: bytes, *, last: bool) -> None:
        """Write ``data`` (with the head first, and the terminator when ``last``) in one write."""
        parts: list[bytes] = []
        if not self.started:
            parts.append(self._head(answer[0], answer[1], data, last))
            self.started = True
        if data and not self._no_body:
            if self._chunked:
                parts.extend((b"%x\r\n" % len(data), data, b"\r\n"))
            else:
                parts.append(data)
            self.sent += len(data)
        if last:
            if self._chunked:
                parts.append(b"0\r\n\r\n")
            elif self._length is not None and self.sent != self._length:
                self._handler.close_connection = True  # the application's length was wrong
        self._handler.wfile.write(b"".join(parts))

    def _head(self, status: str, headers: list[tuple[str, str]], data: bytes, last: bool) -> bytes:
        handler = self._handler
        self.code = code = int(status[:3])
        self._no_body = self._head_request or 100 <= code < 200 or code in NO_BODY_STATUSES
        lines = [f"{handler.protocol_version} {status}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers)
        names = {name.lower(): value for name, value in headers}
        if "server" not in names:
            lines.append(f"Server: {handler.version_string()}\r\n")
        if "date" not in names:
            lines.append(f"Date: {_http_date()}\r\n")
        if "transfer-encoding" in names or names.get("connection", "").lower() == "close":
            handler.close_connection = True  # framed by the application itself: end with the answer
        elif self._no_body:
            pass
        elif "content-length" in names:
            try:
                self._length = int(names["content-length"])
            except ValueError:
                handler.close_connection = True
        elif last:
            self._length = len(data)
            lines.append(f"Content-Length: {self._length}\r\n")
        elif handler.request_version == "HTTP/1.1":
            self._chunked = True
            lines.append("Transfer-Encoding: chunked\r\n")
        else:
            handler.close_connection = True  # HTTP/1.0: the body ends with the connection
        if "connection" not in names:
            if handler.close_connection:
                lines.append("Connection: close\r\n")
            elif handler.request_version == "HTTP/1.0":
                lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")


def _skip_rest(stream: Any) -> bool:
    """Skip what the application left unread of the request body; False: end the connection instead."""
    if isinstance(stream, _Body):
        return not stream.remaining or (stream.remaining <= DRAIN_LIMIT and stream.drain())
    skipped = 0
    try:
        while skipped <= DRAIN_LIMIT:  # a chunked body (DechunkedInput): to its last chunk
            data = stream.read(1 << 16)
            if not data:
                return bool(getattr(stream, "_done", False))
            skipped += len(data)
    except (OSError, ValueError):
        pass
    return False


class _Replay:
    """The request's header bytes once more, then the connection: werkzeug parses what it would have."""

    def __init__(self, head: bytes, stream: Any) -> None:
        self._head = io.BytesIO(head)
        self._stream = stream
        self._left = len(head)

    @property
    def spent(self) -> bool:
        return not self._left

    @property
    def stream(self) -> Any:
        return self._stream

    def readline(self, size: int = -1) -> bytes:
        if self._left:
            line = self._head.readline(size)
            self._left -= len(line)
            return line
        return self._stream.readline(size)

    def read(self, size: int = -1) -> bytes:
        if self._left:
            data = self._head.read(size if size is not None and size >= 0 else -1)
            self._left -= len(data)
            if size is None or size < 0:
                return data + self._stream.read()
            return data
        return self._stream.read(size)

    def read1(self, size: int = -1) -> bytes:
        return self.read(size) if self._left else self._stream.read1(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_date_cache: list[Any] = [0, ""]


def _http_date() -> str:
    """The ``Date`` header (RFC 7231), formatted once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, usegmt=True)]
    return _date_cache[1]


class DualProtocolServer(ThreadedWSGIServer):
    """Threaded WSGI server that speaks TLS or plain HTTP per connection (first-byte peek)."""

    def __init__(self, host: str, port: int, app: Any, tls_context: ssl.SSLContext, handler: type) -> None:
        super().__init__(host, port, app, handler=handler)
        self.tls_context = tls_context

    def finish_request(self, request: Any, client_address: Any) -> None:  # runs in the worker thread
        with contextlib.suppress(OSError):  # answers leave in one write; no waiting on Nagle
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        trace = connlog.begin(client_address)
        conn = self.wrap_if_tls(request)
        if conn is None:
            if trace is not None:
                trace.mark("no-request")
                trace.close_line(request)
            return
        if trace is not None:
            trace.tls = conn is not request
            trace.mark("handshake")
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except BaseException as exc:
            if trace is not None:
                trace.mark(f"handler-error:{type(exc).__name__}:{exc}")
            raise
        finally:
            if trace is not None:
                trace.close_line(conn)
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
    from moto.moto_server.werkzeug_app import create_backend_app

    from . import cloudtrail, lookups, patches, runtime

    lookups.install()  # moto's per-request lookups, answered without repeating moto's work
    patches.apply_all()
    router = Router(lookups.dispatcher(create_backend_app))
    runtime.install(router)  # the local SageMaker data plane (training, hosting, InvokeEndpoint)
    cloudtrail.install(router)  # last: the recorder wraps everything else
    return router


def make_server(port: int, state_dir: Path, app: Any | None = None, host: str = HOST) -> DualProtocolServer:
    # The TLS context first: a state folder the server cannot use fails before moto is loaded.
    tls = make_tls_context(state_dir)
    return DualProtocolServer(
        host,
        port,
        app if app is not None else build_app(),
        tls,
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
    # The last line of a process that ended by itself (registered before the application's own exit
    # handlers, so written after them: atexit runs them in reverse order, once the interpreter has
    # joined every non-daemon thread). A stop that had to SIGKILL it leaves the line unwritten.
    atexit.register(log.info, "emulator exited")
    server = make_server(args.port, args.state_dir)
    # Step Functions' AWS SDK integrations call back into this server (plain HTTP on the same port).
    os.environ["MOTO_PORT"] = str(server.port)

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
