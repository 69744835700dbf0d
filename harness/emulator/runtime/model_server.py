"""Stand-in for the SageMaker XGBoost framework container's ``serve``: one model server per instance.

``python model_server.py --model-dir D --port P`` (the runtime starts it by file path so that nothing
of the emulator is imported; ``python -m harness.emulator.runtime.model_server`` works too, and drops
the repository's ``harness`` package before loading user code). Imports only the standard library;
the user code it loads brings numpy/xgboost.

Script mode as in the container: the module ``SAGEMAKER_PROGRAM`` (``.py`` stripped) is imported
from ``SAGEMAKER_SUBMIT_DIRECTORY`` (a folder; ``/opt/ml/model`` in it stands for ``--model-dir``).
``model_fn(model_dir)`` loads the model once before the port opens; per request
``transform_fn(model, body, content_type, accept)`` or
``output_fn(predict_fn(input_fn(body, content_type), model), accept)``. Bodies of JSON, CSV and text
types arrive as ``str``, others as ``bytes``. An exception with ``status_code`` (the inference
toolkit's ``BaseInferenceToolkitError`` contract) answers that status with its ``message``; any
other exception answers 500 with the error text. Accept absent or ``*/*``: the model's
``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` when set, else as sent.

Algorithm mode (no ``SAGEMAKER_PROGRAM``, ``--algorithm-version`` given by the runtime for an XGBoost
image): ``xgboost_algorithm.Scorer`` (loaded by file path from this folder) answers as the algorithm
container's ``serve`` does. Without a program and without that option the server refuses to start.

HTTP/1.1 with keep-alive on 127.0.0.1: ``GET /ping`` -> 200 once loaded, ``POST /invocations``.
A thread per connection; the handler runs one request at a time (it holds the GIL for most of its
work anyway, and threads taking turns on a lock cost far less CPU than threads fighting over the
GIL; it also spares user code from having to be thread-safe). One access line per invocation on
stdout. Exits when its parent (the emulator) goes away.

Why the HTTP loop is written here and not taken from h11 (0.16.0, the maintained bring-your-own-I/O
HTTP/1.1 library): measured with the same model and the same client in interleaved rounds (three runs of
3,000 requests each on the 2-core machine at load 6-23), h11's server side cost 90-240 us more CPU per
request (e.g. 940 against 717 us, prediction included), p50 x1.14-1.38, one-client throughput
x0.80-0.97; with h11 on the runtime's client side too (``hosting``) p50 was x1.65-3.37 and throughput
x0.59-0.72, on a route whose whole overhead budget is 1 ms. This loop handles only what the runtime and
the inference toolkit's clients send (Content-Length bodies, keep-alive, ``Connection: close``);
anything else answers 4xx and closes.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import socket
import socketserver
import sys
import threading
import time
import traceback
from typing import Any

CONTAINER_MODEL_DIR = "/opt/ml/model"
TEXT_TYPES = ("application/json", "text/csv", "text/plain", "application/jsonlines")
MAX_HEADER_LINES = 100
MAX_BODY = 64 * 1024 * 1024
REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    406: "Not Acceptable",
    500: "Internal Server Error",
}


def _isolate_imports() -> None:
    """Forget the repository's packages so ``harness.ml`` resolves to the code in the model archive."""
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    for name in [n for n in sys.modules if n == "harness" or n.startswith("harness.")]:
        del sys.modules[name]
    drop = {here, repo, "", os.getcwd()}
    sys.path[:] = [
        p for p in sys.path if os.path.abspath(p or ".") not in {os.path.abspath(d or ".") for d in drop}
    ]


def _algorithm_scorer(model_dir: str, version: str) -> Any:
    """The algorithm container's ``serve``, from ``xgboost_algorithm.py`` beside this file."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xgboost_algorithm.py")
    spec = importlib.util.spec_from_file_location("xgboost_algorithm", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Scorer(model_dir, version)


class Handlers:
    def __init__(self, model_dir: str, algorithm_version: str | None = None) -> None:
        self.model_dir = model_dir
        self.scorer: Any = None
        program = os.environ.get("SAGEMAKER_PROGRAM", "")
        submit = os.environ.get("SAGEMAKER_SUBMIT_DIRECTORY", "") or os.path.join(model_dir, "code")
        if submit.startswith(CONTAINER_MODEL_DIR):
            submit = model_dir + submit[len(CONTAINER_MODEL_DIR) :]
        self.default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or None
        self.module: Any = None
        if not program:
            if algorithm_version is None:
                raise RuntimeError(
                    "no SAGEMAKER_PROGRAM and not an XGBoost algorithm image: "
                    "nothing to serve this model with"
                )
            self.scorer = _algorithm_scorer(model_dir, algorithm_version)
            print(
                f"Serving {model_dir} in XGBoost algorithm mode (image version {algorithm_version})",
                flush=True,
            )
            return
        if program:
            if not os.path.isdir(submit):
                raise FileNotFoundError(f"SAGEMAKER_SUBMIT_DIRECTORY {submit} is not a folder")
            sys.path.insert(0, submit)
            name = program[:-3] if program.endswith(".py") else program
            self.module = importlib.import_module(name)
            print(
                f"Loaded SAGEMAKER_PROGRAM {program} from {getattr(self.module, '__file__', '?')}", flush=True
            )
            shipped = sys.modules.get("harness")
            if shipped is not None:
                print(f"harness package from {os.path.dirname(shipped.__file__ or '?')}", flush=True)
        fn = getattr(self.module, "model_fn", None)
        if fn is None:
            raise AttributeError(f"{program} defines no model_fn(model_dir)")
        self.model = fn(model_dir)
        self.transform_fn = getattr(self.module, "transform_fn", None)
        self.input_fn = getattr(self.module, "input_fn", None)
        self.predict_fn = getattr(self.module, "predict_fn", None)
        self.output_fn = getattr(self.module, "output_fn", None)

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[int, bytes, str]:
        if self.scorer is not None:
            return self.scorer.invoke(body, content_type, accept)
        if (not accept or accept == "*/*") and self.default_accept:
            accept = self.default_accept
        data: bytes | str = body
        if content_type.split(";")[0].strip().lower() in TEXT_TYPES:
            try:
                data = body.decode("utf-8")
            except UnicodeDecodeError:
                data = body
        try:
            if self.transform_fn is not None:
                result = self.transform_fn(self.model, data, content_type, accept)
            else:
                if self.input_fn is not None:
                    data = self.input_fn(data, content_type)
                prediction = (
                    self.predict_fn(data, self.model) if self.predict_fn else self.model.predict(data)
                )
                result = self.output_fn(prediction, accept) if self.output_fn else prediction
        except Exception as error:
            status = getattr(error, "status_code", None)
            if isinstance(status, int) and 400 <= status < 600:
                return status, str(getattr(error, "message", error)).encode("utf-8"), "text/plain"
            print(traceback.format_exc(), file=sys.stderr, flush=True)
            return 500, f"{type(error).__name__}: {error}".encode(), "text/plain"
        answer_type = accept if accept and accept != "*/*" else content_type
        if isinstance(result, tuple) and len(result) == 2:
            result, answer_type = result
        if isinstance(result, str):
            result = result.encode("utf-8")
        elif not isinstance(result, (bytes, bytearray)):
            result = str(result).encode("utf-8")
        return 200, bytes(result), answer_type


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, handlers: Handlers) -> None:
        self.handlers = handlers
        self.out_lock = threading.Lock()
        self.invoke_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), Connection)


class Connection(socketserver.BaseRequestHandler):
    """A lean HTTP/1.1 keep-alive loop (Content-Length bodies; no chunked requests)."""

    server: Server

    def handle(self) -> None:
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb", buffering=65536)
        try:
            while self._one(reader, sock):
                pass
        except (ConnectionError, TimeoutError, OSError):
            pass
        finally:
            reader.close()

    def _one(self, reader: Any, sock: socket.socket) -> bool:
        line = reader.readline(65537)
        if not line:
            return False
        parts = line.decode("latin-1").split()
        if len(parts) != 3:
            self._send(sock, 400, b"bad request line", "text/plain", close=True)
            return False
        method, path, version = parts
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADER_LINES):
            raw = reader.readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
            key, _, value = raw.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._send(sock, 411, b"chunked requests are not supported", "text/plain", close=True)
            return False
        length = int(headers.get("content-length") or 0)
        if length > MAX_BODY:
            self._send(sock, 413, b"payload too large", "text/plain", close=True)
            return False
        body = reader.read(length) if length else b""
        path = path.split("?", 1)[0]
        if path == "/ping" and method == "GET":
            self._send(sock, 200, b"", "text/plain", close=not keep)
        elif path == "/invocations" and method == "POST":
            started = time.perf_counter()
            with self.server.invoke_lock:
                status, answer, answer_type = self.server.handlers.invoke(
                    body, headers.get("content-type", ""), headers.get("accept", "")
                )
            self._send(sock, status, answer, answer_type, close=not keep)
            millis = (time.perf_counter() - started) * 1000
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
            with self.server.out_lock:
                sys.stdout.write(
                    f'{stamp} 127.0.0.1 "POST /invocations {version}" {status} {len(answer)} '
                    f"{length} {millis:.3f}ms\n"
                )
                sys.stdout.flush()
        elif path in ("/ping", "/invocations"):
            self._send(sock, 405, b"method not allowed", "text/plain", close=not keep)
        else:
            self._send(sock, 404, b"not found", "text/plain", close=not keep)
        return keep

    @staticmethod
    def _send(sock: socket.socket, status: int, body: bytes, content_type: str, close: bool) -> None:
        head = (
            f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            + ("Connection: close\r\n" if close else "")
            + "\r\n"
        ).encode("latin-1")
        sock.sendall(head + body)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="SageMaker-style model server (GET /ping, POST /invocations)"
    )
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--algorithm-version", default=None, help="serve as the XGBoost algorithm image")
    args = parser.parse_args(argv)
    _isolate_imports()
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        handlers = Handlers(os.path.abspath(args.model_dir), args.algorithm_version)
    except Exception:
        print(f"Model failed to load:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
        return 1
    server = Server(args.port, handlers)
    print(f"Model server listening on 127.0.0.1:{args.port} (pid {os.getpid()})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
