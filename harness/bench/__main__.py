"""``python -m harness.bench``: run the benchmark families, print their tables, write the JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from harness.bench import batch, cycle, growth, inference
from harness.bench.local import local_platform
from harness.progress import Printer, Progress


def table(report: dict[str, Any]) -> str:
    """Every family's section, in the order they ran."""
    lines: list[str] = []
    if report.get("inference"):
        lines += inference.table(report["inference"])
    if report.get("batch"):
        lines += batch.table(report["batch"])
    if report.get("growth"):
        lines += growth.table(report["growth"])
    if report.get("cycle"):
        lines += cycle.table(report["cycle"])
    return "\n".join(lines)


def endpoint_families(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    """Inference, batch and growth on an emulator of the bench's own with a freshly trained model."""
    from harness.ml import inference as model_code

    report: dict[str, Any] = {}
    with local_platform(progress) as (plat, tmp):
        progress(f"emulator on port {plat.info.port}; training")
        plat.train(tmp / "data")
        model_dir = tmp / "model"
        model_dir.mkdir()
        (model_dir / "xgboost-model").write_bytes(plat.model_bytes)
        model = model_code.model_fn(model_dir)
        t0 = time.monotonic()
        endpoint = plat.create_endpoint()
        report["endpoint_to_in_service_s"] = round(time.monotonic() - t0, 2)
        report["inference"] = inference.run(plat, endpoint, model, args.clients, args.requests, args.seconds)
        if not args.no_batch:
            report["batch"] = batch.run(plat, endpoint, model, args.seconds)
        plat.delete_endpoint(endpoint)
        if args.growth:
            report["growth"] = growth.run(plat, min(args.requests, 2000), args.seconds)
    return report


def main(argv: list[str] | None = None) -> int:
    import harness.bench

    parser = argparse.ArgumentParser(
        prog="python -m harness.bench", description=(harness.bench.__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--requests", type=int, default=3000, help="requests per scenario (default 3000)")
    parser.add_argument("--seconds", type=float, default=15.0, help="time cap per scenario (default 15 s)")
    parser.add_argument("--no-batch", action="store_true", help="skip batch scoring")
    parser.add_argument(
        "--no-inference",
        action="store_true",
        help="skip inference, batch and growth (no bench emulator; with --cycle: the cycle alone)",
    )
    parser.add_argument("--growth", action="store_true", help="also 1/2/4 endpoints and instances")
    parser.add_argument(
        "--cycle",
        action="store_true",
        help="also the qualification cycle (minutes), beside the previous cycle's times",
    )
    parser.add_argument("--out", type=Path, help="JSON file (default <work dir>/.run/bench-<time>.json)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.seconds <= 0:
        parser.error("--clients, --requests and --seconds must be positive")

    # the model servers run one OpenMP thread each (hosting.py); the floor runs as they do
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from harness.provisioning import layout_from_env

    progress = Printer(prefix="[bench] ")
    runs_dir = layout_from_env().runs_dir
    report: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "settings": {
            "clients": args.clients,
            "requests": args.requests,
            "seconds": args.seconds,
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        },
    }
    if not args.no_inference:
        report.update(endpoint_families(args, progress))
    if args.cycle:
        before = cycle.previous(runs_dir)
        section = cycle.run(progress)
        cycle.remember(runs_dir, section)
        report["cycle"] = cycle.compare(section, before)
    out = args.out
    if out is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = runs_dir / f"bench-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
