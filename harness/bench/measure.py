"""Driving clients and reading processes: the measuring tools every benchmark family shares."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil

from harness.validation.charts import percentile  # the one percentile (linear interpolation)


@dataclass
class Latencies:
    """Latencies (seconds) of one scenario with some concurrent clients."""

    name: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    first_error: str = ""

    def summary(self) -> dict[str, Any]:
        ms = sorted(x * 1000 for x in self.latencies)
        return {
            "scenario": self.name,
            "clients": self.clients,
            "requests": len(ms),
            "errors": self.errors,
            "first_error": self.first_error,
            "seconds": round(self.seconds, 3),
            "p50_ms": round(percentile(ms, 0.50), 3),
            "p95_ms": round(percentile(ms, 0.95), 3),
            "p99_ms": round(percentile(ms, 0.99), 3),
            "throughput_rps": round(len(ms) / self.seconds, 1) if self.seconds else 0.0,
        }


def drive(
    name: str,
    make_call: Callable[[], Callable[[], None]],
    clients: int,
    count: int,
    seconds: float,
    warmup: int = 20,
) -> Latencies:
    """``clients`` threads, each with its own call (own connection), until ``count`` calls or ``seconds``."""
    run = Latencies(name, clients)
    lock = threading.Lock()
    issued = [0]
    ready = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker() -> None:
        call = make_call()
        for _ in range(warmup):
            with contextlib.suppress(Exception):
                call()
        ready.wait()
        local: list[float] = []
        errors = 0
        first = ""
        while True:
            with lock:
                if issued[0] >= count:
                    break
                issued[0] += 1
            if time.perf_counter() > deadline[0]:
                break
            t0 = time.perf_counter()
            try:
                call()
            except Exception as exc:
                errors += 1
                first = first or f"{type(exc).__name__}: {exc}"[:200]
                continue
            local.append(time.perf_counter() - t0)
        with lock:
            run.latencies.extend(local)
            run.errors += errors
            run.first_error = run.first_error or first

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds + 60  # until the barrier opens
    ready.wait(timeout=120)
    started = time.perf_counter()
    deadline[0] = started + seconds
    for t in threads:
        t.join(timeout=seconds + 60)
    run.seconds = time.perf_counter() - started
    return run


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB; 0 when it is gone."""
    try:
        return psutil.Process(pid).memory_info().rss // 1024
    except psutil.Error:
        return 0


def model_server_ports(endpoint: str, parent: int | None = None) -> dict[int, int]:
    """pid -> port of the model servers of an endpoint (from their command lines).

    ``parent``: the emulator's pid (its descendants are searched); None: every process of the machine.
    """
    if parent is None:
        candidates = psutil.process_iter(["cmdline"])
    else:
        try:
            candidates = iter(psutil.Process(parent).children(recursive=True))
        except psutil.Error:
            return {}
    found = {}
    for proc in candidates:
        try:
            cmd = proc.info["cmdline"] if hasattr(proc, "info") else proc.cmdline()
        except psutil.Error:
            continue
        cmd = cmd or []
        if not any(part.endswith("model_server.py") for part in cmd) or "--port" not in cmd:
            continue
        if any(f"/endpoints/{endpoint}-" in part for part in cmd):
            with contextlib.suppress(IndexError, ValueError):
                found[proc.pid] = int(cmd[cmd.index("--port") + 1])
    return found
