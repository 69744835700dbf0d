"""Benchmarks of the local platform: inference latency and throughput, batch scoring, growth, the cycle.

``python -m harness.bench`` (``make bench``) starts an emulator of its own on a free port (its state in
a temporary folder), trains the dropout model there, creates an endpoint with boto3 and measures, for 1
and for ``--clients`` (8) concurrent clients, the routes of :mod:`harness.bench.inference`; then batch
scoring (:mod:`~harness.bench.batch`), and optionally ``--growth`` (:mod:`~harness.bench.growth`) and
``--cycle`` (:mod:`~harness.bench.cycle`: every stage of the qualification on the layout's local
target, Terraform's own time vs the harness's, beside the previous cycle's). Every loop is bounded in
count and in time; all traffic goes to 127.0.0.1. Prints a table and writes
``<work dir>/.run/bench-<UTC time>.json``.

One module per benchmark family, each with ``run(...)`` (its JSON section) and ``table(section)`` (its
lines); :mod:`~harness.bench.measure` drives clients and reads processes (psutil),
:mod:`~harness.bench.client` is the HTTP client, :mod:`~harness.bench.local` the emulator with a
trained model. Nothing is swapped or parsed: the cycle consumes :mod:`harness.progress` events and the
``harness.provisioning.observe_terraform`` hook.
"""

from __future__ import annotations

from harness.bench.client import KeepAlive as KeepAlive
from harness.bench.local import LocalPlatform as LocalPlatform
from harness.bench.measure import model_server_ports as model_server_ports
from harness.bench.measure import rss_kib as rss_kib
