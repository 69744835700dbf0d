"""Growth: the cost of 1, 2 and 4 endpoints (one instance each), and of 1, 2 and 4 instances of one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from harness.bench.client import KeepAlive
from harness.bench.local import SINGLE, LocalPlatform
from harness.bench.measure import drive, model_server_ports, rss_kib


def run(plat: LocalPlatform, count: int, seconds: float) -> list[dict[str, Any]]:
    """Cost of 1, 2 and 4 endpoints (one instance each), and of 1, 2 and 4 instances of one endpoint."""
    results = []
    for kind in ("endpoints", "instances"):
        for k in (1, 2, 4):
            plat.progress(f"growth: {k} {kind}")
            t0 = time.monotonic()
            if kind == "endpoints":
                names = [plat.create_endpoint(wait=False) for _ in range(k)]
            else:
                names = [plat.create_endpoint(instances=k, wait=False)]
            created = time.monotonic() - t0
            for name in names:
                plat.wait_endpoint(name)
            in_service = time.monotonic() - t0
            paths = [f"/endpoints/{n}/invocations" for n in names]

            def make(paths: list[str] = paths) -> Callable[[], None]:
                conns = [KeepAlive(plat.info.port, p) for p in paths]
                turn = iter(range(1 << 62))
                return lambda: conns[next(turn) % len(conns)].post(SINGLE) and None

            measured = drive(f"{k}-{kind}", make, 8, count, seconds).summary()
            servers = {pid: port for n in names for pid, port in model_server_ports(n, plat.info.pid).items()}
            results.append(
                {
                    "kind": kind,
                    "count": k,
                    "create_calls_s": round(created, 3),
                    "to_in_service_s": round(in_service, 3),
                    "invoke_8_clients": measured,
                    "model_servers": len(servers),
                    "model_servers_rss_kib": sum(rss_kib(pid) for pid in servers),
                    "emulator_rss_kib": rss_kib(plat.info.pid),
                }
            )
            t1 = time.monotonic()
            for name in names:
                plat.delete_endpoint(name)
            results[-1]["delete_s"] = round(time.monotonic() - t1, 3)
    return results


def table(section: list[dict[str, Any]]) -> list[str]:
    """The section's lines for the terminal."""
    lines = []
    lines.append("Growth (8 clients round robin over the endpoints)")
    lines.append(
        f"  {'kind':<10} {'n':>2} {'to InService s':>14} {'p50 ms':>7} {'req/s':>7} {'servers':>7} "
        f"{'servers MiB':>11} {'emulator MiB':>12} {'delete s':>8}"
    )
    for g in section:
        r = g["invoke_8_clients"]
        lines.append(
            f"  {g['kind']:<10} {g['count']:>2} {g['to_in_service_s']:>14.2f} {r['p50_ms']:>7.2f} "
            f"{r['throughput_rps']:>7.0f} {g['model_servers']:>7} "
            f"{g['model_servers_rss_kib'] / 1024:>11.0f} {g['emulator_rss_kib'] / 1024:>12.0f} "
            f"{g['delete_s']:>8.2f}"
        )
    return lines
