"""A real emulator process shared by every test in this folder (free port, temporary state folder)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from harness.emulator import control

REGION = "eu-central-1"


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.EmulatorInfo]:
    state_dir: Path = tmp_path_factory.mktemp("emulator-state")
    info = control.start(control.free_port(), state_dir=state_dir)
    try:
        yield info
    finally:
        control.stop(state_dir)


@pytest.fixture(scope="session")
def aws(emulator: control.EmulatorInfo) -> Callable[..., Any]:
    """``aws("s3")``: a boto3 client aimed at the emulator over HTTPS; ``tls=False``: plain HTTP."""
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"})

    def make(service: str, *, tls: bool = True) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=emulator.endpoint_url if tls else emulator.http_endpoint_url,
            verify=str(emulator.ca_bundle) if tls else False,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    return make
