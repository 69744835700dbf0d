"""control.start/stop/status/env against real emulator processes."""

from __future__ import annotations

import os
import socket
import ssl
from pathlib import Path

import pytest

from harness.emulator import control
from harness.emulator.errors import EmulatorError
from harness.emulator.router import HEALTH_PATH

pytestmark = pytest.mark.integration


def test_start_is_idempotent(emulator: control.EmulatorInfo) -> None:
    again = control.start(state_dir=emulator.state_dir)
    assert (again.port, again.pid) == (emulator.port, emulator.pid)
    st = control.status(emulator.state_dir)
    assert st.running and st.answering
    assert st.endpoint_url == f"https://127.0.0.1:{emulator.port}"
    with pytest.raises(EmulatorError, match="already runs"):
        control.start(control.free_port(), state_dir=emulator.state_dir)


def test_env_and_exports(emulator: control.EmulatorInfo) -> None:
    env = control.env(emulator)
    assert env["AWS_ENDPOINT_URL"] == f"https://127.0.0.1:{emulator.port}"
    assert Path(env["AWS_CA_BUNDLE"]) == emulator.state_dir / "ca.pem"
    assert env["AWS_S3_USE_PATH_STYLE"] == "true"
    assert env["AWS_MAX_ATTEMPTS"] == "2" and env["AWS_RETRY_MODE"] == "standard"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"]
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    exports = control.format_exports(env)
    assert f"export AWS_ENDPOINT_URL=https://127.0.0.1:{emulator.port}\n" in exports


def test_default_port_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMULATOR_PORT", raising=False)
    assert control.default_port() == 4566
    monkeypatch.setenv("EMULATOR_PORT", "4999")
    assert control.default_port() == 4999


def test_stop_kills_the_process_group(tmp_path: Path) -> None:
    info = control.start(control.free_port(), state_dir=tmp_path)
    assert os.getpgid(info.pid) == info.pid  # its own process group
    ctx = ssl.create_default_context(cafile=str(info.ca_bundle))
    with ctx.wrap_socket(
        socket.create_connection(("127.0.0.1", info.port), timeout=5), server_hostname="127.0.0.1"
    ) as idle:
        idle.sendall(f"GET {HEALTH_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert idle.recv(65536).startswith(b"HTTP/1.1 200")  # the connection stays open, idle
        assert control.stop(tmp_path) is True
    # the emulator ended by itself on SIGTERM, an idle kept-alive connection open (its thread must not
    # hold the exit): a process that had to be killed never writes its last line
    assert (tmp_path / control.LOG_FILE).read_text().splitlines()[-1].endswith("emulator exited")
    with pytest.raises(ProcessLookupError):
        os.killpg(info.pid, 0)
    st = control.status(tmp_path)
    assert not st.running and not st.answering and st.pid is None
    assert not (tmp_path / control.PID_FILE).exists()
    assert control.stop(tmp_path) is False  # idempotent
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", info.port)) != 0


def test_start_on_a_taken_port_fails_clearly(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(EmulatorError, match=f"port {port}"):
            control.start(port, state_dir=tmp_path)


def test_start_failure_points_at_the_log(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").mkdir()  # the server cannot write its CA and exits
    with pytest.raises(EmulatorError, match=r"emulator\.log") as excinfo:
        control.start(control.free_port(), state_dir=tmp_path, timeout=20)
    assert "exited" in str(excinfo.value)
    assert not control.status(tmp_path).running
