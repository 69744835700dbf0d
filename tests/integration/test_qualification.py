"""``make validate`` end to end, on an emulator of its own, exactly as a user runs it.

One emulator on a free port with its state in ``<work>/.cache/emulator``; ``python -m harness validate``
runs as a separate process with ``HARNESS_WORK_DIR`` pointing at ``<work>``: apply, train, deploy, IQ,
OQ, checkov, report, signature, archive, verify. Then: the package verifies from disk and from the
evidence bucket and a tampered copy does not; a negative control (key rotation switched off outside
Terraform) makes the qualification of the installed platform fail on URS_018; destroy leaves nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness import target as targets
from harness.progress import EVENTS_ENV, StageStarted, TerraformApplied, read_json_lines
from harness.provisioning import REPO_ROOT, Layout, Platform

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TIMEOUT = 1200
PROGRESS_FILE = "validate-progress.jsonl"


@dataclass
class Validated:
    work: Path
    layout: Layout
    env: dict[str, str]
    proc: subprocess.CompletedProcess[str]
    run_dir: Path
    target: targets.Target
    outputs: dict[str, Any]


def _harness(env: dict[str, str], *args: str, timeout: int = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


#: A latency criterion (milliseconds, or the spread of windowed latencies) is measured at the client, so
#: on this shared machine it measures the suite's other workers as much as the platform. Speed is judged
#: by ``make bench`` and never asserted by a test: a qualification run inside the suite may fail on these
#: criteria, and only on these, provided its evidence records each measurement as a deviation.
LATENCY_CRITERION = re.compile(
    r"\b(URS_\d+) criterion \w+(?:_ms|_spread) NOT met: measured ([\d.e+-]+), required <= ([\d.e+-]+)"
)
#: How far past its limit such a measurement may be and still count as the suite's load: a stall (a
#: call retried until it succeeded, an emulator that froze) shows as a latency far beyond this.
LATENCY_SLACK = 3.0


def _latency_miss(observed: str) -> re.Match[str] | None:
    """A latency criterion missed by at most :data:`LATENCY_SLACK` times its limit."""
    m = LATENCY_CRITERION.search(observed)
    return m if m and float(m.group(2)) <= LATENCY_SLACK * float(m.group(3)) else None


def _unexplained_failures(run: Path, expected: frozenset[str] = frozenset()) -> list[str]:
    """What failed in the run besides the ``expected`` requirements and measured latency criteria: every
    failed requirement and failure deviation that neither explains (a stage's own failure row is
    explained by an explained failure in that stage)."""
    report = json.loads((run / "report.json").read_text())
    failures = [d for d in report.get("deviations", []) if d["kind"] == "failure"]
    latency = {
        d["requirement"]
        for d in failures
        if (m := _latency_miss(d["observed"])) and m.group(1) == d["requirement"]
    }
    explained = expected | latency
    out = [
        f"{row['requirement']} failed"
        for row in report["matrix"]["rows"]
        if row["status"] == "failed" and row["requirement"] not in explained
    ]
    # a stage's own row ("stage pq failed: pytest exit 1") is explained by a failure explained in it
    stages = {d["stage"] for d in failures if d["requirement"] in explained}
    for d in failures:
        if d["requirement"] in expected:
            continue
        if d["requirement"] in latency and _latency_miss(d["observed"]):
            continue
        # its stage's own row, when the stage's scenarios failed (pytest exit 1, not an error)
        if d["requirement"] is None and d["stage"] in stages and d["observed"].endswith("pytest exit 1"):
            continue
        out.append(f"{d['ref']}: {d['observed']}")
    return out


def _evidence_dir(proc: subprocess.CompletedProcess[str]) -> Path:
    line = next(line for line in proc.stdout.splitlines() if line.startswith("evidence: "))
    return Path(line.split()[1])


@pytest.fixture(scope="session")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Validated]:
    from harness.emulator import control

    work = tmp_path_factory.mktemp("qualification")
    layout = Layout(work=work)
    port = control.free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EVIDENCE_DIR", "URS_FILE"))},
        "HARNESS_WORK_DIR": str(work),
        "EMULATOR_PORT": str(port),
        "TARGET": "local",
    }
    try:
        proc = _harness({**env, EVENTS_ENV: str(work / PROGRESS_FILE)}, "validate")
        target = targets.resolve("local", state_dir=layout.emulator_dir, environ={})
        outputs = Platform(target, layout=layout).outputs()
        yield Validated(work, layout, env, proc, _evidence_dir(proc), target, outputs)
    finally:
        control.stop(layout.emulator_dir)


def test_validate_passes_every_stage(validated: Validated) -> None:
    proc = validated.proc
    unexplained = _unexplained_failures(validated.run_dir)
    assert unexplained == [], proc.stdout[-6000:] + proc.stderr[-6000:]
    # PASS, or FAIL on measured latency alone (see LATENCY_CRITERION): then pq is the one failed stage
    latency_only = proc.returncode == 5 and "FAILED" in proc.stdout
    assert proc.returncode == 0 or latency_only, proc.stdout[-6000:] + proc.stderr[-6000:]
    assert "qualification" in proc.stdout and ("PASSED" in proc.stdout or latency_only)
    for stage in (
        "up",
        "drift",
        "apply",
        "train",
        "deploy",
        "iq",
        "oq",
        "pq",
        "snapshot",
        "scan",
        "report",
        "verify",
        "receipt",
    ):
        row = next(line for line in proc.stdout.splitlines() if line.strip().startswith(stage + " "))
        assert " passed " in row or (latency_only and stage == "pq" and " failed " in row), row
    # progress was reported while it ran (as events), and shown on the terminal
    said = read_json_lines(validated.work / PROGRESS_FILE)
    started = [e.name for e in said if isinstance(e, StageStarted)]
    assert {"apply", "train", "iq", "oq", "report"} <= set(started), started
    assert any(isinstance(e, TerraformApplied) and e.action == "apply" for e in said)
    assert "apply complete" in proc.stderr
    report = json.loads((validated.run_dir / "report.json").read_text())
    # the local quick start: a truthful PASS that is not release-grade
    # a truthful verdict: PASS exactly when every requirement passed; never release-grade locally
    rows = report["matrix"]["rows"]
    assert (report["verdict"]["result"] == "PASS") == all(r["status"] == "passed" for r in rows), rows
    assert report["verdict"]["release"] is False
    assert report["verdict"]["target"]["emulated"] is True
    checkov_line = next(line for line in proc.stdout.splitlines() if line.strip().startswith("scan "))
    gate = json.loads((validated.run_dir / "checkov" / "summary.json").read_text())["totals"]
    assert {k: report["checkov"]["summary"][k] for k in gate} == gate, (gate, checkov_line)
    receipt = json.loads((validated.run_dir / "receipt.json").read_text())
    assert {s["name"]: s["status"] for s in receipt["stages"]}["verify"] == "passed"
    assert receipt["archive"]["objects"] and all(o["version_id"] for o in receipt["archive"]["objects"])


def _then_steps(steps: list[dict]) -> list[dict]:
    """The outcome steps: Then, and every And/But that continues a Then (Gherkin's own rule)."""
    kind, out = None, []
    for step in steps:
        keyword = step["keyword"].strip()
        if keyword not in ("And", "But", "*"):
            kind = keyword
        if kind == "Then":
            out.append(step)
    return out


def test_report_covers_every_requirement_with_live_evidence(validated: Validated) -> None:
    run = validated.run_dir
    for name in (
        "report.json",
        "report.html",
        "junit.xml",
        "cucumber.json",
        "matrix.csv",
        "matrix.md",
        "manifest.json",
        "manifest.sig",
        "public_key.pem",
        "results.json",
    ):
        assert (run / name).is_file(), name
    matrix = json.loads((run / "matrix.json").read_text())
    status = {row["requirement"]: row["status"] for row in matrix["rows"]}
    # every requirement is proven, or the matrix says why not (no failure hides behind "passed"); a
    # latency criterion may fail on this shared machine, recorded as a measured deviation
    assert status and _unexplained_failures(run) == [], status
    results = json.loads((run / "results.json").read_text())
    scenarios = results["scenarios"]
    assert {s["stage"] for s in scenarios} == {"iq", "oq", "pq"}
    assert all(s["requirements"] for s in scenarios)
    failed = {r for s in scenarios if s["status"] != "passed" for r in s["requirements"]}
    assert failed <= {r for r, s in status.items() if s == "failed"}, failed
    then_steps = [st for s in scenarios for st in _then_steps(s["steps"])]
    assert then_steps and all(st["attachments"] for st in then_steps), [
        st["text"] for st in then_steps if not st["attachments"]
    ]
    context = json.loads((run / "report.json").read_text())["context"]
    assert context["target"] == "local" and context["account"] == "123456789012"
    assert context["terraform"]["state_serial"] is not None
    html = (run / "report.html").read_text()
    assert all(req in html for req in status)


def test_package_verifies_from_disk_and_bucket_and_tampering_is_named(
    validated: Validated, tmp_path: Path
) -> None:
    run = validated.run_dir
    ok = _harness(validated.env, "report", "verify", str(run))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    uri = f"s3://{validated.outputs['evidence_bucket']}/evidence/{run.name}"
    remote = _harness(validated.env, "report", "verify", uri)
    assert remote.returncode == 0, remote.stdout + remote.stderr
    copy = tmp_path / run.name
    shutil.copytree(run, copy)
    report = copy / "report.json"
    data = bytearray(report.read_bytes())
    data[10] ^= 0x01
    report.write_bytes(bytes(data))
    (copy / "junit.xml").unlink()
    (copy / "extra.txt").write_text("added later")
    bad = _harness(validated.env, "report", "verify", str(copy))
    assert bad.returncode != 0
    for name in ("report.json", "junit.xml", "extra.txt"):
        assert name in bad.stdout, bad.stdout


def test_drift_names_a_key_whose_rotation_was_switched_off(validated: Validated) -> None:
    """`harness drift` against the validated package: no drift; key rotation switched off outside
    Terraform: exit 6 naming the key id and the attribute, and a record for change control."""
    baseline = str(validated.run_dir)
    assert (validated.run_dir / "platform-snapshot.json").is_file()
    proc = _harness(validated.env, "drift", "--baseline", baseline)
    assert proc.returncode == 0 and "no drift against given baseline" in proc.stdout, proc.stderr[-4000:]
    kms = validated.target.client("kms")
    key_arn = validated.outputs["kms_key_arns"]["data"]
    kms.disable_key_rotation(KeyId=key_arn)
    try:
        proc = _harness(validated.env, "drift", "--baseline", baseline)
    finally:
        kms.enable_key_rotation(KeyId=key_arn)
    assert proc.returncode == 6, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert f"kms_key {key_arn.rsplit('/', 1)[-1]}: rotation_enabled switched off" in proc.stderr
    records = sorted((validated.work / "evidence" / "drift").glob("*/drift.json"))
    assert json.loads(records[-1].read_text())["result"] == "drift"


def test_a_broken_control_fails_the_qualification(validated: Validated) -> None:
    kms = validated.target.client("kms")
    data_key = validated.outputs["kms_key_arns"]["data"]
    kms.disable_key_rotation(KeyId=data_key)
    try:
        proc = _harness(validated.env, "validate", "--installed", "--baseline", str(validated.run_dir))
    finally:
        kms.enable_key_rotation(KeyId=data_key)
    assert proc.returncode == 5, proc.stdout[-4000:] + proc.stderr[-4000:]
    run = _evidence_dir(proc)
    matrix = json.loads((run / "matrix.json").read_text())
    status = {row["requirement"]: row["status"] for row in matrix["rows"]}
    assert status["URS_018"] == "failed"
    assert _unexplained_failures(run, expected=frozenset({"URS_018"})) == [], status
    report = json.loads((run / "report.json").read_text())
    assert any("key rotation is enabled" in json.dumps(d) for d in report.get("deviations", []))
    # the drift check before it names the key and the attribute; as installed, nothing repaired it
    drifted = [d for d in report["deviations"] if d["kind"] == "drift"]
    key = f"kms_key {data_key.rsplit('/', 1)[-1]}"
    assert {(d["resource"], d["repaired"]) for d in drifted} == {(key, False)}, drifted
    assert "rotation_enabled" in {d["attribute"] for d in drifted}, drifted
    # a failed qualification is evidence too: signed and verifiable
    assert _harness(validated.env, "report", "verify", str(run)).returncode == 0


def test_destroy_leaves_nothing(validated: Validated) -> None:
    proc = _harness(validated.env, "destroy")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    target = validated.target
    names = [b["Name"] for b in target.client("s3").list_buckets().get("Buckets", [])]
    assert [n for n in names if n.startswith("gxp-ml-")] == []
    sm = target.client("sagemaker")
    assert sm.list_endpoints()["Endpoints"] == []
    assert sm.list_models()["Models"] == []
    assert sm.list_model_package_groups()["ModelPackageGroupSummaryList"] == []
    assert [r for r in target.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("gxp-ml")] == []
    assert target.client("cloudtrail").describe_trails()["trailList"] == []
    from harness.emulator import control

    emulator_pid = control.status(validated.layout.emulator_dir).pid
    children = subprocess.run(
        ["pgrep", "-P", str(emulator_pid)], capture_output=True, text=True
    ).stdout.split()
    servers = [p for p in children if "model_server" in Path(f"/proc/{p}/cmdline").read_text(errors="ignore")]
    assert servers == [], "model servers still running after destroy"
