"""Benchmarks of the local platform: inference latency and throughput, batch scoring, the cycle, growth.

``python -m harness.bench`` starts an emulator of its own on a free port (its state in a temporary
folder), trains the dropout model there, creates a model, an endpoint config and an endpoint with
boto3, and measures side by side, for 1 and for ``--clients`` (8) concurrent clients:

- ``boto3``: ``InvokeEndpoint`` with boto3 over HTTPS, as an application calls it;
- ``http``: a plain keep-alive ``http.client`` connection to the same route on the emulator;
- ``model-server``: straight to the endpoint instance's model server (``POST /invocations``);
- ``in-process``: ``harness.ml.inference.handle`` on the same model in this process (the floor).

Then batch scoring (``{"instances": ...}`` of 1, 100 and 10,000 rows, rows/s through the endpoint vs
in-process), and optionally ``--cycle`` (every stage of the qualification, Terraform's own time vs the
harness's) and ``--growth`` (1, 2 and 4 endpoints, and 1, 2 and 4 instances of one endpoint). Every
loop is bounded in count and in time; all traffic goes to 127.0.0.1. Prints a table and writes
``<work dir>/.run/bench-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import http.client
import io
import json
import os
import re
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.progress import Event, Printer, Progress, StageStarted
from harness.validation.charts import percentile  # the one percentile (linear interpolation)

REGION = "eu-central-1"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
IMAGE = "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1"
HYPERPARAMETERS = {
    "num_round": "60",
    "max_depth": "3",
    "eta": "0.2",
    "eval_metric": "logloss,auc",
    "seed": "1",
}
SINGLE = json.dumps({"features": [72, 1, 0.85]}).encode()
JSON = "application/json"
# The emulator takes account and region from the credential scope; it does not verify signatures.
SCOPE = (
    f"AWS4-HMAC-SHA256 Credential=testing/20250101/{REGION}/sagemaker/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
GOALS = {"overhead_ms_p50": 1.0, "throughput_rps_8": 1000.0}


# ----------------------------------------------------------------------------------------- statistics


@dataclass
class Run:
    """Latencies (seconds) of one scenario with some concurrent clients."""

    name: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    first_error: str = ""

    def summary(self) -> dict[str, Any]:
        ms = [x * 1000 for x in self.latencies]
        return {
            "scenario": self.name,
            "clients": self.clients,
            "requests": len(self.latencies),
            "errors": self.errors,
            "first_error": self.first_error,
            "seconds": round(self.seconds, 3),
            "p50_ms": round(percentile(sorted(ms), 0.50), 3),
            "p95_ms": round(percentile(sorted(ms), 0.95), 3),
            "p99_ms": round(percentile(sorted(ms), 0.99), 3),
            "throughput_rps": round(len(ms) / self.seconds, 1) if self.seconds else 0.0,
        }


def drive(
    name: str,
    make_call: Callable[[], Callable[[], None]],
    clients: int,
    count: int,
    seconds: float,
    warmup: int = 20,
) -> Run:
    """``clients`` threads, each with its own call (own connection), until ``count`` calls or ``seconds``."""
    run = Run(name, clients)
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


# ------------------------------------------------------------------------------------------- clients


class KeepAlive:
    """One keep-alive HTTP/1.1 connection; ``post`` raises on a non-200 answer."""

    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        self.conn: http.client.HTTPConnection | None = None

    def post(self, body: bytes, content_type: str = JSON) -> bytes:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.conn.request(
                "POST",
                self.path,
                body=body,
                headers={"Content-Type": content_type, "Accept": JSON, "Authorization": SCOPE},
            )
            response = self.conn.getresponse()
            data = response.read()
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")
        return data


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (``VmRSS`` of ``/proc/<pid>/status``); 0 when gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def model_server_ports(endpoint: str) -> dict[int, int]:
    """pid -> port of the model servers of an endpoint (from their command lines)."""
    found = {}
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            cmd = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "model_server.py" in cmd and f"/endpoints/{endpoint}-" in cmd:
            match = re.search(r"--port (\d+)", cmd)
            if match:
                found[int(cmdline.parent.name)] = int(match.group(1))
    return found


# ------------------------------------------------------------------------------------- the endpoint


class LocalPlatform:
    """An emulator on a free port with a trained model; ``endpoint()`` creates endpoints of it."""

    def __init__(self, state_dir: Path, progress: Progress) -> None:
        from harness.emulator import control

        self.state_dir = state_dir
        self.progress = progress
        self.info = control.start(control.free_port(), state_dir=state_dir)
        self.clients: dict[str, Any] = {}
        self.artifact = ""
        self.model_bytes = b""

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = self.new_client(service)
        return self.clients[service]

    def new_client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": "path"},
            max_pool_connections=32,
        )
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.info.endpoint_url,
            verify=str(self.info.ca_bundle),
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    def train(self, work: Path) -> None:
        from harness.ml import artifacts, dataset

        s3, sm = self.client("s3"), self.client("sagemaker")
        bucket = f"bench-{uuid.uuid4().hex[:10]}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        key = self.client("kms").create_key(Description="bench")["KeyMetadata"]["Arn"]
        written = dataset.write_splits(work, rows=3000, seed=7)
        for split in ("train", "validation"):
            s3.upload_file(written[split].path, bucket, f"processed/{split}/{split}.csv")
        s3.upload_file(
            str(artifacts.build_sourcedir(work / "sourcedir.tar.gz")), bucket, "code/sourcedir.tar.gz"
        )

        from harness.workflow import training_channel, training_request

        job = f"bench-{uuid.uuid4().hex[:10]}"
        hp = dict(HYPERPARAMETERS)
        hp.update(artifacts.training_hyperparameters("/opt/ml/input/data/code/sourcedir.tar.gz"))
        sm.create_training_job(
            **training_request(
                job,
                role_arn=ROLE,
                image=IMAGE,
                hyperparameters=hp,
                channels=[
                    training_channel("train", f"s3://{bucket}/processed/train/", "text/csv"),
                    training_channel("validation", f"s3://{bucket}/processed/validation/", "text/csv"),
                    training_channel("code", f"s3://{bucket}/code/"),
                ],
                output_path=f"s3://{bucket}/models/",
                output_kms_key=key,
                network_isolation=True,
            )
        )
        deadline = time.monotonic() + 300
        while True:
            described = sm.describe_training_job(TrainingJobName=job)
            if described["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"training job {job} did not finish within 300 s")
            time.sleep(0.2)
        if described["TrainingJobStatus"] != "Completed":
            raise RuntimeError(f"training job {job}: {described.get('FailureReason')}")
        self.artifact = described["ModelArtifacts"]["S3ModelArtifacts"]
        b, k = self.artifact[len("s3://") :].split("/", 1)
        blob = s3.get_object(Bucket=b, Key=k)["Body"].read()
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            member = tar.extractfile("xgboost-model")
            assert member is not None
            self.model_bytes = member.read()

    def create_endpoint(self, instances: int = 1, wait: bool = True) -> str:
        from harness.ml import artifacts

        sm = self.client("sagemaker")
        name = f"bench-{uuid.uuid4().hex[:8]}"
        sm.create_model(
            ModelName=name,
            ExecutionRoleArn=ROLE,
            PrimaryContainer={
                "Image": IMAGE,
                "ModelDataUrl": self.artifact,
                "Environment": artifacts.container_environment("/opt/ml/model/code"),
            },
        )
        sm.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": name,
                    "InitialInstanceCount": instances,
                    "InstanceType": "ml.m5.large",
                    "InitialVariantWeight": 1.0,
                }
            ],
        )
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
        if wait:
            self.wait_endpoint(name)
        return name

    def wait_endpoint(self, name: str, timeout: float = 120) -> None:
        sm = self.client("sagemaker")
        deadline = time.monotonic() + timeout
        while True:
            described = sm.describe_endpoint(EndpointName=name)
            status = described["EndpointStatus"]
            if status == "InService":
                return
            if status not in ("Creating", "Updating"):
                raise RuntimeError(f"endpoint {name} {status}: {described.get('FailureReason')}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"endpoint {name} not InService within {timeout:.0f} s")
            time.sleep(0.1)

    def delete_endpoint(self, name: str, timeout: float = 30) -> None:
        sm = self.client("sagemaker")
        sm.delete_endpoint(EndpointName=name)
        sm.delete_endpoint_config(EndpointConfigName=name)
        sm.delete_model(ModelName=name)
        deadline = time.monotonic() + timeout
        while model_server_ports(name) and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        from harness.emulator import control

        control.stop(self.state_dir)


# -------------------------------------------------------------------------------------- the benches


def bench_inference(
    plat: LocalPlatform, endpoint: str, model: Any, clients: int, count: int, seconds: float
) -> dict[str, Any]:
    from harness.ml import inference

    servers = model_server_ports(endpoint)
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


def bench_batch(plat: LocalPlatform, endpoint: str, model: Any, seconds: float) -> list[dict[str, Any]]:
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


def bench_growth(plat: LocalPlatform, count: int, seconds: float) -> list[dict[str, Any]]:
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

            run = drive(f"{k}-{kind}", make, 8, count, seconds).summary()
            servers = {pid: port for n in names for pid, port in model_server_ports(n).items()}
            results.append(
                {
                    "kind": kind,
                    "count": k,
                    "create_calls_s": round(created, 3),
                    "to_in_service_s": round(in_service, 3),
                    "invoke_8_clients": run,
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


def bench_cycle(progress: Progress) -> dict[str, Any]:
    """The qualification on the layout's local target, then destroy; Terraform's time vs the harness's."""
    from harness import qualify as q
    from harness import target as targets
    from harness.emulator import control
    from harness.provisioning import Platform, layout_from_env, observe_terraform

    layout = layout_from_env()
    was_running = control.status(layout.emulator_dir).running
    terraform: list[dict[str, Any]] = []
    stages: list[dict[str, Any]] = []
    try:
        with observe_terraform(lambda call: terraform.append(dataclasses.asdict(call))):
            marks: dict[str, int] = {}

            def progress_marking(item: Event | str) -> None:
                if isinstance(item, StageStarted):
                    marks[item.name] = len(terraform)
                progress(item)

            result = q.qualify(target_name="local", layout=layout, progress=progress_marking)
            names = [s.name for s in result.stages]
            for i, s in enumerate(result.stages):
                first = marks.get(s.name, len(terraform))
                last = marks.get(names[i + 1], len(terraform)) if i + 1 < len(names) else len(terraform)
                tf = [t for t in terraform[first:last]]
                stages.append(_stage_row(s.name, s.status, s.seconds, tf))
            t0 = time.monotonic()
            before = len(terraform)
            target = targets.resolve("local", state_dir=layout.emulator_dir, environ=dict(os.environ))
            Platform(target, layout=layout, progress=progress).destroy()
            stages.append(_stage_row("destroy", "passed", time.monotonic() - t0, terraform[before:]))
    finally:
        if not was_running:
            control.stop(layout.emulator_dir)
    total = sum(s["wall_s"] for s in stages)
    tf_total = sum(s["terraform_s"] for s in stages)
    return {
        "stages": stages,
        "wall_s": round(total, 2),
        "terraform_s": round(tf_total, 2),
        "harness_s": round(total - tf_total, 2),
    }


def _stage_row(name: str, status: str, wall: float, calls: list[dict[str, Any]]) -> dict[str, Any]:
    tf = sum(c["terraform_s"] for c in calls)
    return {
        "stage": name,
        "status": status,
        "wall_s": round(wall, 2),
        "terraform_s": round(tf, 2),
        "harness_s": round(wall - tf, 2),
        "terraform_calls": [
            {k: round(v, 2) if isinstance(v, float) else v for k, v in c.items()} for c in calls
        ],
    }


# ------------------------------------------------------------------------------------------ the table


def table(report: dict[str, Any]) -> str:
    lines = []
    inf = report.get("inference")
    if inf:
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
    if report.get("batch"):
        lines.append("Batch scoring ({'instances': [...]}), rows/s")
        lines.append(
            f"  {'rows':>6} {'bytes':>9} {'endpoint':>11} {'in-process':>11} {'ratio':>6} {'p50 ms':>8}"
        )
        for b in report["batch"]:
            lines.append(
                f"  {b['rows']:>6} {b['body_bytes']:>9} {b['endpoint_rows_per_s']:>11.0f} "
                f"{b['in_process_rows_per_s']:>11.0f} {b['ratio']:>6} {b['endpoint']['p50_ms']:>8.2f}"
            )
    if report.get("growth"):
        lines.append("Growth (8 clients round robin over the endpoints)")
        lines.append(
            f"  {'kind':<10} {'n':>2} {'to InService s':>14} {'p50 ms':>7} {'req/s':>7} {'servers':>7} "
            f"{'servers MiB':>11} {'emulator MiB':>12} {'delete s':>8}"
        )
        for g in report["growth"]:
            r = g["invoke_8_clients"]
            lines.append(
                f"  {g['kind']:<10} {g['count']:>2} {g['to_in_service_s']:>14.2f} {r['p50_ms']:>7.2f} "
                f"{r['throughput_rps']:>7.0f} {g['model_servers']:>7} "
                f"{g['model_servers_rss_kib'] / 1024:>11.0f} {g['emulator_rss_kib'] / 1024:>12.0f} "
                f"{g['delete_s']:>8.2f}"
            )
    if report.get("cycle"):
        c = report["cycle"]
        lines.append("Qualification cycle (wall = Terraform + harness), seconds")
        lines.append(f"  {'stage':<8} {'status':<8} {'wall':>7} {'terraform':>9} {'harness':>8}")
        for s in c["stages"]:
            lines.append(
                f"  {s['stage']:<8} {s['status']:<8} {s['wall_s']:>7.1f} "
                f"{s['terraform_s']:>9.1f} {s['harness_s']:>8.1f}"
            )
        lines.append(
            f"  {'total':<8} {'':<8} {c['wall_s']:>7.1f} {c['terraform_s']:>9.1f} {c['harness_s']:>8.1f}"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------- main


@contextlib.contextmanager
def local_platform(progress: Progress) -> Iterator[tuple[LocalPlatform, Path]]:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        plat = LocalPlatform(Path(tmp) / "emulator", progress)
        try:
            yield plat, Path(tmp)
        finally:
            plat.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--requests", type=int, default=3000, help="requests per scenario (default 3000)")
    parser.add_argument("--seconds", type=float, default=15.0, help="time cap per scenario (default 15 s)")
    parser.add_argument("--no-batch", action="store_true", help="skip batch scoring")
    parser.add_argument("--growth", action="store_true", help="also 1/2/4 endpoints and instances")
    parser.add_argument("--cycle", action="store_true", help="also the qualification cycle (minutes)")
    parser.add_argument("--out", type=Path, help="JSON file (default <work dir>/.run/bench-<time>.json)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.seconds <= 0:
        parser.error("--clients, --requests and --seconds must be positive")

    # the model servers run one OpenMP thread each (hosting.py); the floor runs as they do
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from harness.ml import inference
    from harness.provisioning import layout_from_env

    progress = Printer(prefix="[bench] ")

    report: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "settings": {
            "clients": args.clients,
            "requests": args.requests,
            "seconds": args.seconds,
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        },
    }
    with local_platform(progress) as (plat, tmp):
        progress(f"emulator on port {plat.info.port}; training")
        plat.train(tmp / "data")
        model_dir = tmp / "model"
        model_dir.mkdir()
        (model_dir / "xgboost-model").write_bytes(plat.model_bytes)
        model = inference.model_fn(model_dir)
        t0 = time.monotonic()
        endpoint = plat.create_endpoint()
        report["endpoint_to_in_service_s"] = round(time.monotonic() - t0, 2)
        report["inference"] = bench_inference(
            plat, endpoint, model, args.clients, args.requests, args.seconds
        )
        if not args.no_batch:
            report["batch"] = bench_batch(plat, endpoint, model, args.seconds)
        plat.delete_endpoint(endpoint)
        if args.growth:
            report["growth"] = bench_growth(plat, min(args.requests, 2000), args.seconds)
    if args.cycle:
        report["cycle"] = bench_cycle(progress)
    out = args.out
    if out is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = layout_from_env().runs_dir / f"bench-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
