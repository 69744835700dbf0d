"""Progress events: the terminal printer says what the text-based progress said, word for word."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from harness import progress as p

IDENTITY = {
    "arn": "arn:aws:sts::123456789012:assumed-role/gxp-ml-validation/qualification-x",
    "source_identity": "qualification-x",
}


def test_the_printer_renders_todays_lines() -> None:
    """Each event against the exact line the producers printed before events existed."""
    cases: list[tuple[p.Event | str, str]] = [
        ("free text", "free text"),
        (p.Message("free text"), "free text"),
        (p.StageStarted("apply", 2, 5), "[2/5] apply"),
        (
            p.StageStarted("iq", 3, 5, IDENTITY),
            f"[3/5] iq as {IDENTITY['arn']} (source identity qualification-x)",
        ),
        (
            p.StageStarted("apply", 2, 5, {"arn": "arn:aws:iam::1:user/d"}),
            "[2/5] apply as arn:aws:iam::1:user/d",
        ),
        (p.StageFinished("train", "passed", 12.345, "job-1 holdout AUC 0.800 Approved"), None),
        (
            p.StageFinished("oq", "skipped", 0.0, "needs deploy", None, 7, 13),
            "[7/13] oq: skipped (needs deploy)",
        ),
        (
            p.StageFinished("train", "kept", 0.0, "as installed (not run)", None, 4, 13),
            "[4/13] train: kept as installed",
        ),
        (p.StageFinished("scan", "failed", 3.0, ""), "  scan: failed in 3.0s"),
        (p.TerraformResource(1, 4, "aws_kms_key.a", "created", 0.5), "[1/4] aws_kms_key.a created (0.5s)"),
        (p.TerraformResource(7, 120, "aws_s3_bucket.b", "destroyed"), "[  7/120] aws_s3_bucket.b destroyed"),
        (p.TerraformResource(5, 4, "aws_vpc.d", "updated"), "[5/5] aws_vpc.d updated"),
        (p.TerraformPlanned(3, 1, 0), "plan: 3 to add, 1 to change, 0 to destroy"),
        (p.TerraformApplied("apply", 61, 61, 42.04), "apply complete: 61/61 in 42.0s"),
        (p.TerraformApplied("destroy", 60, 61, 9.96), "destroy complete: 60/61 in 10.0s"),
        (
            p.JobStatus("training", "job-1", "Training", "Training image download completed."),
            "training job-1: Training - Training image download completed.",
        ),
        (p.JobStatus("training", "job-1", "Completed", ""), "training job-1: Completed"),
        (p.JobCreated("training", "job-1"), "training job job-1 created"),
        (
            p.LockWait("`terraform apply (local)` (pid 42, since 2026-12-01T03:00:00Z)", 900.0),
            "waiting for `terraform apply (local)` (pid 42, since 2026-12-01T03:00:00Z): "
            "it holds the Terraform state (up to 900 s)",
        ),
    ]
    for event, expected in cases:
        if expected is None:
            expected = "  train: passed in 12.3s job-1 holdout AUC 0.800 Approved"
        assert p.render(event) == expected, event
    # timing is for observers, never a terminal line
    assert p.render(p.TerraformCall("apply", 1.0, 0.8)) is None


def test_the_printer_prefixes_and_streams() -> None:
    out = io.StringIO()
    printer = p.Printer(out)
    printer(p.StageStarted("up", 1, 2))
    printer(p.TerraformCall("plan", 1.0, 1.0))  # not printed
    printer("done")
    assert out.getvalue() == "==> [1/2] up\n==> done\n"
    bench = io.StringIO()
    p.Printer(bench, prefix="[bench] ")(p.Message("x"))
    assert bench.getvalue() == "[bench] x\n"


def test_the_recorder_keeps_events_for_consumers_and_lines_for_people() -> None:
    rec = p.Recorder()
    sink = p.tee(rec, None, p.null)
    sink("hello")
    sink(p.StageFinished("apply", "passed", 1.0, "3 changes", None, 2, 5))
    threads = [threading.Thread(target=sink, args=(p.Message(str(i)),)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rec.events[0] == p.Message("hello")  # a str arrives as a Message
    [finished] = rec.of(p.StageFinished)
    assert (finished.name, finished.status, finished.seconds) == ("apply", "passed", 1.0)
    assert len(rec.events) == 22
    assert rec  # a sink is truthy even when empty: producers test `if progress:`
    assert rec.lines()[:2] == ["hello", "  apply: passed in 1.0s 3 changes"]


def test_the_cli_environment_prints_events() -> None:
    from harness.cli import Environment

    err = io.StringIO()
    env = Environment(stderr=err)
    env.progress(p.TerraformPlanned(1, 0, 0))
    env.progress("plain")
    assert err.getvalue() == "==> plan: 1 to add, 0 to change, 0 to destroy\n==> plain\n"


def test_events_cross_to_another_process_as_json_lines(tmp_path: Path) -> None:
    from harness.cli import Environment

    path = tmp_path / "events.jsonl"
    sent: list[p.Event] = [
        p.StageStarted("iq", 3, 5, IDENTITY),
        p.StageFinished("iq", "passed", 2.5, "pytest exit 0", IDENTITY, 3, 5),
        p.TerraformResource(10, 61, "aws_kms_key.a", "created", 1.0),
        p.JobCreated("training", "job-1"),
        p.Message("plain"),
    ]
    env = Environment(stderr=io.StringIO(), environ={p.EVENTS_ENV: str(path)})
    for event in sent:
        env.progress(event)
    assert p.read_json_lines(path) == sent
    with path.open("a") as handle:
        handle.write('{"event": "StageStarted", "na')  # a line still being written
    assert p.read_json_lines(path) == sent
    assert p.read_json_lines(tmp_path / "none.jsonl") == []
