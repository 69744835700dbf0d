"""Inference latency and throughput: one request's route, layer by layer, against the in-process floor.

For 1 and for ``clients`` concurrent clients:

- ``boto3``: ``InvokeEndpoint`` with boto3 over HTTPS, as an application calls it;
- ``http``: a plain keep-alive HTTP connection to the same route on the emulator;
- ``model-server``: straight to the endpoint instance's model server (``POST /invocations``);
- ``in-process``: ``harness.ml.inference.handle`` on the same model in this process (the floor).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.bench.client import KeepAlive
from harness.bench.local import JSON, SINGLE, LocalPlatform
from harness.bench.measure import drive, model_server_ports, rss_kib

GOALS = {"overhead_ms_p50": 1.0, "throughput_rps_8": 1000.0}


def run(
    plat: LocalPlatform, endpoint: str, model: Any, clients: int, count: int, seconds: float
) -> dict[str, Any]:
    from harness.ml import inference

    servers = model_server_ports(endpoint, plat.info.pid)
    ms_pid, ms_port = next(iter(servers.items()))
    route = f"/endpoints/{endpoint}/invocations"

    def boto_call() -> Callable[[], None]:
        runtime = plat.new_client("sagemaker-runtime")

        def call() -> None:
            runtime.invoke_endpoint(EndpointName=endpoint, Body=SINGLE, ContentType=JSON, Accept=JSON)[
                "Body"
            ].read()

        return call

    def http_call(port: int, path: str) -> Callable[[], Callable[[], None]]:
        def make() -> Callable[[], None]:
            conn = KeepAlive(port, path)
            return lambda: conn.post(SINGLE) and None

        return make

    def floor_call() -> Callable[[], None]:
        def call() -> None:
            status, _, _ = inference.handle(SINGLE, JSON, JSON, model)
            if status != 200:
                raise RuntimeError(f"in-process handle answered {status}")

        return call

    scenarios = {
        "boto3": (boto_call, max(count // 4, 200)),
        "http": (http_call(plat.info.port, route), count),
        "model-server": (http_call(ms_port, "/invocations"), count),
        "in-process": (floor_call, count),
    }
    runs = []
    rss_before = {"emulator": rss_kib(plat.info.pid), "model_server": rss_kib(ms_pid)}
    for n in sorted({1, clients}):
        for name, (make, limit) in scenarios.items():
            plat.progress(f"inference: {name} with {n} client(s)")
            runs.append(drive(name, make, n, limit, seconds).summary())
    p50 = {(r["scenario"], r["clients"]): r["p50_ms"] for r in runs}
    floor = p50[("in-process", 1)]
    overhead = {
        name: {
            "p50_ms": round(p50[(name, 1)] - floor, 3),
            "ratio_to_floor": round(p50[(name, 1)] / floor, 2) if floor else None,
        }
        for name in ("boto3", "http", "model-server")
    }
    overhead["router"] = {"p50_ms": round(p50[("http", 1)] - p50[("model-server", 1)], 3)}
    rps = {r["scenario"]: r["throughput_rps"] for r in runs if r["clients"] == clients}
    return {
        "runs": runs,
        "floor_p50_ms": floor,
        "overhead": overhead,
        "throughput_ratio_to_floor": {
            k: round(v / rps["in-process"], 2) if rps.get("in-process") else None for k, v in rps.items()
        },
        "rss_kib_before": rss_before,
        "rss_kib_after": {"emulator": rss_kib(plat.info.pid), "model_server": rss_kib(ms_pid)},
        "targets": {
            "overhead_ms_p50": {
                "target": GOALS["overhead_ms_p50"],
                "measured": overhead["http"]["p50_ms"],
                "met": overhead["http"]["p50_ms"] <= GOALS["overhead_ms_p50"],
            },
            f"throughput_rps_{clients}": {
                "target": GOALS["throughput_rps_8"],
                "measured": rps.get("http", 0.0),
                "met": rps.get("http", 0.0) >= GOALS["throughput_rps_8"],
            },
        },
    }


def table(inf: dict[str, Any]) -> list[str]:
    """The section's lines for the terminal."""
    lines = []
    lines.append("Inference ({'features': [...]}, application/json), latency in ms")
    lines.append(
        f"  {'scenario':<13} {'clients':>7} {'req':>6} {'err':>4} "
        f"{'p50':>7} {'p95':>7} {'p99':>7} {'req/s':>8}"
    )
    for r in inf["runs"]:
        lines.append(
            f"  {r['scenario']:<13} {r['clients']:>7} {r['requests']:>6} {r['errors']:>4} "
            f"{r['p50_ms']:>7.3f} {r['p95_ms']:>7.3f} {r['p99_ms']:>7.3f} {r['throughput_rps']:>8.1f}"
        )
    lines.append(f"  floor (in-process p50): {inf['floor_p50_ms']:.3f} ms")
    for name, o in inf["overhead"].items():
        ratio = f" (x{o['ratio_to_floor']} the floor)" if o.get("ratio_to_floor") else ""
        label = "router alone (http - model-server)" if name == "router" else f"{name} - floor"
        lines.append(f"  overhead {label}: {o['p50_ms']:.3f} ms p50{ratio}")
    lines.append(
        "  throughput / floor at max clients: "
        + ", ".join(f"{k} {v}" for k, v in inf["throughput_ratio_to_floor"].items())
    )
    for name, t in inf["targets"].items():
        lines.append(
            f"  target {name}: {t['measured']} vs {t['target']} -> {'MET' if t['met'] else 'NOT MET'}"
        )
    return lines
