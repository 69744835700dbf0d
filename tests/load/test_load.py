"""Load and soak on the InvokeEndpoint route: no errors, stable model server memory, every request logged.

``test_load`` (the normal test run): 12 keep-alive clients, 5,000 requests through the emulator's
route, under 60 s. ``test_soak`` (``LOAD_SOAK=1``, ``make soak``): 16 clients, 100,000 requests,
bounded at ``LOAD_SOAK_SECONDS`` (900 s). Both check that

- every request answered 200 with the score the model gives in-process (zero errors);
- the model server's resident set size (psutil's ``memory_info().rss``), averaged over the first and over the
  last 10% of the requests, grew by no more than ``RSS_TOLERANCE_KIB`` + ``RSS_TOLERANCE_FRACTION``;
- the endpoint's log group holds one model server access line per request served (the batched log
  writer is waited for, bounded).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from harness.bench import KeepAlive, LocalPlatform, model_server_ports, rss_kib
from harness.ml.schema import FEATURE_NAMES

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RSS_TOLERANCE_KIB = 8 * 1024  # allocator noise, thread stacks of reconnecting clients
RSS_TOLERANCE_FRACTION = 0.05
LOG_WAIT_SECONDS = 30.0
ACCESS_LINE = '"POST /invocations '
ROWS = [[72, 1, 0.85], [34, 0, 0.1], [55, 1, 0.4], [81, 0, 0.95], [19, 1, 0.0]]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp: Path = tmp_path_factory.mktemp("load")
    plat = LocalPlatform(tmp / "emulator", progress=lambda _line: None)
    try:
        plat.train(tmp / "data")
        name = plat.create_endpoint()
        booster = xgb.Booster()
        booster.load_model(bytearray(plat.model_bytes))
        matrix = xgb.DMatrix(np.asarray(ROWS, dtype=np.float32), feature_names=list(FEATURE_NAMES))
        (pid,) = model_server_ports(name)
        yield {
            "platform": plat,
            "name": name,
            "pid": pid,
            "expected": [float(s) for s in booster.predict(matrix)],
            "served": 0,  # requests the model server answered so far (every test adds its own)
        }
    finally:
        plat.stop()


def access_lines(plat: LocalPlatform, endpoint: str) -> int:
    """The model server's access lines in the endpoint's log group (all streams, all pages)."""
    logs = plat.client("logs")
    count, token = 0, None
    for _ in range(10_000):  # bounded: pages of up to 10,000 events
        kwargs: dict[str, Any] = {"logGroupName": f"/aws/sagemaker/Endpoints/{endpoint}"}
        if token:
            kwargs["nextToken"] = token
        page = logs.filter_log_events(**kwargs)
        count += sum(ACCESS_LINE in e["message"] for e in page["events"])
        token = page.get("nextToken")
        if not token:
            break
    return count


def run_load(endpoint: dict[str, Any], clients: int, requests: int, seconds: float) -> dict[str, Any]:
    plat: LocalPlatform = endpoint["platform"]
    path = f"/endpoints/{endpoint['name']}/invocations"
    bodies = [json.dumps({"features": row}).encode() for row in ROWS]
    lock = threading.Lock()
    issued = [0]
    done: list[int] = [0]
    errors: list[str] = []
    samples: list[tuple[int, int]] = []  # (requests done, RSS KiB)
    stop = threading.Event()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        conn = KeepAlive(plat.info.port, path)
        while not stop.is_set():
            with lock:
                if issued[0] >= requests:
                    return
                n = issued[0]
                issued[0] += 1
            if time.monotonic() > deadline:
                errors.append(f"time limit of {seconds:.0f} s reached after {n} requests")
                stop.set()
                return
            row = (n + index) % len(ROWS)
            try:
                answer = json.loads(conn.post(bodies[row]))
                score = answer["risk_score"]
                if abs(score - endpoint["expected"][row]) > 1e-6:
                    raise AssertionError(
                        f"score {score} for {ROWS[row]}, expected {endpoint['expected'][row]}"
                    )
            except Exception as exc:
                with lock:
                    errors.append(f"request {n}: {type(exc).__name__}: {exc}")
            finally:
                with lock:
                    done[0] += 1

    def sampler() -> None:
        while not stop.wait(0.05):
            samples.append((done[0], rss_kib(endpoint["pid"])))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    watcher = threading.Thread(target=sampler, daemon=True)
    started = time.monotonic()
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    elapsed = time.monotonic() - started
    stop.set()
    watcher.join(timeout=5)
    endpoint["served"] += done[0]
    return {"done": done[0], "errors": errors, "samples": samples, "seconds": elapsed}


def check(endpoint: dict[str, Any], result: dict[str, Any], requests: int) -> None:
    assert not result["errors"], f"{len(result['errors'])} errors, first: {result['errors'][:3]}"
    assert result["done"] == requests

    tenth = requests // 10
    first = [rss for n, rss in result["samples"] if n <= tenth and rss]
    last = [rss for n, rss in result["samples"] if n >= requests - tenth and rss]
    assert first and last, "too few RSS samples"
    before, after = sum(first) / len(first), sum(last) / len(last)
    allowed = before * (1 + RSS_TOLERANCE_FRACTION) + RSS_TOLERANCE_KIB
    assert after <= allowed, (
        f"model server RSS grew from {before:.0f} KiB to {after:.0f} KiB (allowed {allowed:.0f})"
    )

    plat: LocalPlatform = endpoint["platform"]
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    logged = access_lines(plat, endpoint["name"])
    while logged < endpoint["served"] and time.monotonic() < deadline:
        time.sleep(0.5)
        logged = access_lines(plat, endpoint["name"])
    assert logged == endpoint["served"], (
        f"{logged} access lines in CloudWatch for {endpoint['served']} requests"
    )


@pytest.mark.timeout(180)
def test_load(endpoint: dict[str, Any]) -> None:
    warm = run_load(endpoint, 4, 200, 30)  # connections, pools and allocator warmed up first
    assert not warm["errors"], warm["errors"][:3]
    requests = 5000
    result = run_load(endpoint, 12, requests, 60)
    check(endpoint, result, requests)
    rate = result["done"] / result["seconds"]
    print(f"load: {result['done']} requests in {result['seconds']:.1f} s ({rate:.0f}/s), 12 clients")


@pytest.mark.skipif(os.environ.get("LOAD_SOAK") != "1", reason="the soak runs with LOAD_SOAK=1 (make soak)")
@pytest.mark.timeout(int(os.environ.get("LOAD_SOAK_SECONDS", "900")) + 300)
def test_soak(endpoint: dict[str, Any]) -> None:
    seconds = float(os.environ.get("LOAD_SOAK_SECONDS", "900"))
    requests = int(os.environ.get("LOAD_SOAK_REQUESTS", "100000"))
    warm = run_load(endpoint, 4, 500, 60)
    assert not warm["errors"], warm["errors"][:3]
    result = run_load(endpoint, 16, requests, seconds)
    check(endpoint, result, requests)
    rate = result["done"] / result["seconds"]
    print(f"soak: {result['done']} requests in {result['seconds']:.1f} s ({rate:.0f}/s), 16 clients")
