"""Batch scoring: ``{"instances": ...}`` of 1, 100 and 10,000 rows, rows/s through the endpoint vs
in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness.bench.client import KeepAlive
from harness.bench.local import JSON, LocalPlatform
from harness.bench.measure import drive


def run(plat: LocalPlatform, endpoint: str, model: Any, seconds: float) -> list[dict[str, Any]]:
    import numpy as np

    from harness.ml import inference

    rng = np.random.default_rng(1)
    results = []
    for rows, count in ((1, 500), (100, 200), (10_000, 20)):
        data = np.column_stack(
            [rng.uniform(18, 90, rows).round(), rng.integers(0, 2, rows), rng.uniform(0, 1, rows).round(3)]
        ).tolist()
        body = json.dumps({"instances": data}).encode()
        conn = KeepAlive(plat.info.port, f"/endpoints/{endpoint}/invocations")
        answer = json.loads(conn.post(body))
        assert len(answer["risk_scores"]) == rows
        plat.progress(f"batch: {rows} rows per request")
        through = drive(
            f"endpoint-{rows}", lambda c=conn, b=body: lambda: c.post(b) and None, 1, count, seconds, 2
        )

        def floor(b: bytes = body) -> Callable[[], None]:
            return lambda: inference.handle(b, JSON, JSON, model) and None

        local = drive(f"in-process-{rows}", floor, 1, count, seconds, 2)
        ep_rate = rows * len(through.latencies) / through.seconds if through.seconds else 0.0
        ip_rate = rows * len(local.latencies) / local.seconds if local.seconds else 0.0
        results.append(
            {
                "rows": rows,
                "body_bytes": len(body),
                "endpoint": through.summary(),
                "in_process": local.summary(),
                "endpoint_rows_per_s": round(ep_rate, 1),
                "in_process_rows_per_s": round(ip_rate, 1),
                "ratio": round(ep_rate / ip_rate, 3) if ip_rate else None,
            }
        )
    return results


def table(section: list[dict[str, Any]]) -> list[str]:
    """The section's lines for the terminal."""
    lines = []
    lines.append("Batch scoring ({'instances': [...]}), rows/s")
    lines.append(f"  {'rows':>6} {'bytes':>9} {'endpoint':>11} {'in-process':>11} {'ratio':>6} {'p50 ms':>8}")
    for b in section:
        lines.append(
            f"  {b['rows']:>6} {b['body_bytes']:>9} {b['endpoint_rows_per_s']:>11.0f} "
            f"{b['in_process_rows_per_s']:>11.0f} {b['ratio']:>6} {b['endpoint']['p50_ms']:>8.2f}"
        )
    return lines
