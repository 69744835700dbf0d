"""Start, stop and inspect the local AWS emulator (a detached process per state folder)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness.processes import pid_alive, start_session, stop_process

from .errors import EmulatorError
from .ports import free_port as free_port  # re-exported: control.free_port is the public name
from .router import HEALTH_PATH
from .server import CA_CERT, HOST

DEFAULT_PORT = 4566
DEFAULT_REGION = "eu-central-1"
PID_FILE = "emulator.pid"
INFO_FILE = "emulator.json"
LOG_FILE = "emulator.log"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class EmulatorInfo:
    port: int
    pid: int
    state_dir: Path
    host: str = HOST

    @property
    def endpoint_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def http_endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ca_bundle(self) -> Path:
        return self.state_dir / CA_CERT

    @property
    def log_file(self) -> Path:
        return self.state_dir / LOG_FILE

    @property
    def instance_id(self) -> str:
        """Identifies this emulator process; a restarted emulator (empty state) has another one."""
        try:
            started = (self.state_dir / PID_FILE).stat().st_mtime_ns
        except OSError:
            started = 0
        return f"{self.pid}:{self.port}:{started}"


@dataclass(frozen=True)
class EmulatorStatus:
    running: bool
    answering: bool
    port: int | None
    pid: int | None
    endpoint_url: str | None
    state_dir: Path


def default_port() -> int:
    return int(os.environ.get("EMULATOR_PORT", DEFAULT_PORT))


def _read_info(state_dir: Path) -> tuple[int | None, int | None]:
    pid = port = None
    with contextlib.suppress(OSError, ValueError):
        pid = int((state_dir / PID_FILE).read_text().strip())
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        port = int(json.loads((state_dir / INFO_FILE).read_text())["port"])
    return pid, port


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        _children.pop(pid, None)
        return False
    return pid_alive(pid)


def still_running(info: EmulatorInfo) -> bool:
    """True while the process ``info`` describes is alive and still the emulator of its state folder.

    Cheap (no request): callers poll it while Terraform runs to notice an emulator killed under them."""
    pid, _ = _read_info(info.state_dir)
    return pid == info.pid and _alive(info.pid)


def _answers(port: int, state_dir: Path, pid: int | None = None, timeout: float = 2.0) -> bool:
    """True when an emulator (with this pid, if given) answers on the health route over HTTPS."""
    ca = state_dir / CA_CERT
    if not ca.is_file():
        return False
    try:
        ctx = ssl.create_default_context(cafile=str(ca))
        with urllib.request.urlopen(f"https://{HOST}:{port}{HEALTH_PATH}", timeout=timeout, context=ctx) as r:
            body = json.loads(r.read())
    except (OSError, ValueError, urllib.error.URLError, ssl.SSLError):
        return False
    return body.get("status") == "ok" and (pid is None or body.get("pid") == pid)


def status(state_dir: Path) -> EmulatorStatus:
    state_dir = Path(state_dir)
    pid, port = _read_info(state_dir)
    running = pid is not None and _alive(pid)
    answering = running and port is not None and _answers(port, state_dir, pid)
    return EmulatorStatus(
        running=running,
        answering=answering,
        port=port if running else None,
        pid=pid if running else None,
        endpoint_url=f"https://{HOST}:{port}" if running and port else None,
        state_dir=state_dir,
    )


def info(state_dir: Path) -> EmulatorInfo:
    """The running emulator of ``state_dir``; EmulatorError when none runs."""
    st = status(state_dir)
    if not (st.running and st.port and st.pid):
        raise EmulatorError(f"no emulator is running for {state_dir}", hint="start it with `make up`")
    return EmulatorInfo(port=st.port, pid=st.pid, state_dir=Path(state_dir))


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def start(port: int | None = None, *, state_dir: Path, timeout: float = START_TIMEOUT) -> EmulatorInfo:
    """Start the emulator detached (own process group); return the running one if there is one."""
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    current = status(state_dir)
    if current.running and current.port is not None and current.pid is not None:
        if port is not None and port != current.port:
            raise EmulatorError(
                f"an emulator already runs for {state_dir} on port {current.port} (pid {current.pid}), "
                f"not on {port}: stop it first"
            )
        if not current.answering and not _wait_answering(current.port, state_dir, current.pid, timeout):
            raise EmulatorError(
                f"emulator pid {current.pid} runs but does not answer on port {current.port}; "
                f"see {state_dir / LOG_FILE}:\n{_log_tail(state_dir / LOG_FILE)}"
            )
        return EmulatorInfo(port=current.port, pid=current.pid, state_dir=state_dir)

    port = default_port() if port is None else port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if probe.connect_ex((HOST, port)) == 0:
            raise EmulatorError(f"port {port} on {HOST} is taken by another program; choose another port")

    log_path = state_dir / LOG_FILE
    env = dict(os.environ)
    root = str(_project_root())
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    with open(log_path, "ab") as log_file:
        proc = start_session(
            [
                sys.executable,
                "-m",
                "harness.emulator.server",
                "--port",
                str(port),
                "--state-dir",
                str(state_dir),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=root,
            env=env,
        )
    _children[proc.pid] = proc
    (state_dir / PID_FILE).write_text(f"{proc.pid}\n")
    (state_dir / INFO_FILE).write_text(json.dumps({"port": port, "pid": proc.pid}) + "\n")

    if not _wait_answering(port, state_dir, proc.pid, timeout, proc):
        rc = proc.poll()
        stop(state_dir)
        why = f"exited with code {rc}" if rc is not None else f"did not answer within {timeout:.0f} s"
        raise EmulatorError(f"emulator on port {port} {why}; see {log_path}:\n{_log_tail(log_path)}")
    return EmulatorInfo(port=port, pid=proc.pid, state_dir=state_dir)


def _wait_answering(
    port: int, state_dir: Path, pid: int, timeout: float, proc: subprocess.Popen[bytes] | None = None
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if proc is None and not _alive(pid):
            return False
        if _answers(port, state_dir, pid, timeout=1.0):
            return True
        time.sleep(0.1)
    return False


def stop(state_dir: Path, timeout: float = STOP_TIMEOUT) -> bool:
    """Terminate the emulator's whole process group. True if something was stopped."""
    state_dir = Path(state_dir).resolve()
    pid, _ = _read_info(state_dir)
    stopped = False
    if pid is not None and _alive(pid):
        stopped = True
        try:
            stop_process(pid, grace=timeout, group=True)
        except PermissionError as exc:
            raise EmulatorError(f"not allowed to signal emulator process group {pid}: {exc}") from exc
    child = _children.pop(pid, None) if pid is not None else None
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=timeout)
    for name in (PID_FILE, INFO_FILE):
        (state_dir / name).unlink(missing_ok=True)
    return stopped


def env(info: EmulatorInfo, region: str | None = None) -> dict[str, str]:
    """Environment that points Terraform, boto3 and the AWS CLI at the emulator."""
    region = region or os.environ.get("EMULATOR_REGION", DEFAULT_REGION)
    return {
        "AWS_ENDPOINT_URL": info.endpoint_url,
        "AWS_CA_BUNDLE": str(info.ca_bundle),
        "AWS_S3_USE_PATH_STYLE": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_MAX_ATTEMPTS": "2",
        "AWS_RETRY_MODE": "standard",
    }


def format_exports(environment: dict[str, str]) -> str:
    """``export K=V`` lines (shell-quoted) for ``eval "$(...)"``."""
    import shlex

    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in environment.items())
