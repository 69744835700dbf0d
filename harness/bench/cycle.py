"""The qualification cycle: every stage of ``make validate`` on the layout's local target, then destroy.

Each stage's wall time is split into Terraform's part and the harness's, and printed beside the
previous cycle's (kept in ``<work dir>/.run/bench-cycle.json``) with the ratio. Nothing is parsed:
the stages come from :mod:`harness.progress` events (``StageStarted``/``StageFinished``), Terraform's
time from the :func:`harness.provisioning.observe_terraform` hook, both into one :class:`Timeline`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.progress import (
    Event,
    Progress,
    StageFinished,
    StageStarted,
    TerraformCall,
    as_event,
    tee,
)

#: The previous cycle's section, in the runs folder (``.run/``).
PREVIOUS_FILE = "bench-cycle.json"
#: What one step of the cycle is: a callable given the progress sink to report through.
Step = Callable[[Progress], Any]


class Timeline:
    """Every event of the cycle in arrival order, with the thread that reported it (a stage's
    Terraform calls are those reported by its thread while it runs, so stages may overlap)."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, Event]] = []
        self._lock = threading.Lock()

    def __call__(self, item: Event | str) -> None:
        with self._lock:
            self.entries.append((threading.get_ident(), as_event(item)))


def stage_rows(entries: list[tuple[int, Event]]) -> list[dict[str, Any]]:
    """One row per stage (in the order they were first reported) from a timeline.

    A Terraform call belongs to the stage running in the thread that made it; with none there, to
    the stage started last."""
    order: list[str] = []
    calls: dict[str, list[TerraformCall]] = {}
    finished: dict[str, StageFinished] = {}
    running: dict[int, str] = {}
    latest: str | None = None
    for thread, event in entries:
        if isinstance(event, StageStarted | StageFinished) and event.name not in calls:
            order.append(event.name)
            calls[event.name] = []
        if isinstance(event, StageStarted):
            running[thread] = latest = event.name
        elif isinstance(event, StageFinished):
            finished[event.name] = event
            if running.get(thread) == event.name:
                del running[thread]
        elif isinstance(event, TerraformCall):
            owner = running.get(thread, latest)
            if owner is not None:
                calls[owner].append(event)
    rows = []
    for name in order:
        end = finished.get(name)
        rows.append(_row(name, end.status if end else "not run", end.seconds if end else 0.0, calls[name]))
    return rows


def _row(name: str, status: str, wall: float, calls: list[TerraformCall]) -> dict[str, Any]:
    tf = sum(c.terraform_s for c in calls)
    return {
        "stage": name,
        "status": status,
        "wall_s": round(wall, 2),
        "terraform_s": round(tf, 2),
        "harness_s": round(wall - tf, 2),
        "terraform_calls": [
            {"call": c.call, "wall_s": round(c.wall_s, 2), "terraform_s": round(c.terraform_s, 2)}
            for c in calls
        ],
    }


def measure(qualification: Step, destroy: Step, progress: Progress) -> dict[str, Any]:
    """Run the qualification, then destroy, and time both stage by stage from their events."""
    from harness.provisioning import observe_terraform

    timeline = Timeline()
    sink = tee(timeline, progress)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    t0 = time.monotonic()
    with observe_terraform(timeline):
        qualification(sink)
        timeline(StageStarted("destroy", 0, 0))  # the timeline's own marks: not printed
        t1 = time.monotonic()
        destroy(sink)
        timeline(StageFinished("destroy", "passed", time.monotonic() - t1))
    stages = stage_rows(timeline.entries)
    total = sum(s["wall_s"] for s in stages)
    tf_total = sum(s["terraform_s"] for s in stages)
    return {
        "started": started,
        "stages": stages,
        "elapsed_s": round(time.monotonic() - t0, 2),
        "wall_s": round(total, 2),
        "terraform_s": round(tf_total, 2),
        "harness_s": round(total - tf_total, 2),
    }


def run(progress: Progress) -> dict[str, Any]:
    """The qualification on the layout's local target, then destroy (its emulator stopped after if the
    cycle started it)."""
    from harness import qualify
    from harness import target as targets
    from harness.emulator import control
    from harness.provisioning import Platform, layout_from_env

    layout = layout_from_env()
    was_running = control.status(layout.emulator_dir).running

    def qualification(sink: Progress) -> None:
        qualify.qualify(target_name="local", layout=layout, progress=sink)

    def destroy(sink: Progress) -> None:
        target = targets.resolve("local", state_dir=layout.emulator_dir, environ=dict(os.environ))
        Platform(target, layout=layout, progress=sink).destroy()

    try:
        return measure(qualification, destroy, progress)
    finally:
        if not was_running:
            control.stop(layout.emulator_dir)


# ------------------------------------------------------------------------------------- the previous run


def previous(runs_dir: Path) -> dict[str, Any] | None:
    """The previous cycle: ``bench-cycle.json``, else the newest ``bench-*.json`` report holding one."""
    kept = runs_dir / PREVIOUS_FILE
    if kept.exists():
        return json.loads(kept.read_text())
    for report in sorted(runs_dir.glob("bench-*.json"), reverse=True):
        try:
            data = json.loads(report.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("cycle"):
            return {"started": data.get("started"), **data["cycle"]}
    return None


def remember(runs_dir: Path, section: dict[str, Any]) -> Path:
    """Keep this cycle as the next run's previous one (without the comparison it carries)."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / PREVIOUS_FILE
    path.write_text(json.dumps({k: v for k, v in section.items() if k != "previous"}, indent=2) + "\n")
    return path


def compare(section: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """``section`` with each stage's previous wall time and the ratio now/previous (None: no figure)."""
    if not before:
        return section
    earlier = {s["stage"]: s for s in before.get("stages", [])}
    for row in section["stages"]:
        old = earlier.get(row["stage"])
        row["previous_wall_s"] = old["wall_s"] if old else None
        row["ratio"] = _ratio(row["wall_s"], old["wall_s"] if old else None)
    section["previous"] = {
        "started": before.get("started"),
        "wall_s": before.get("wall_s"),
        "ratio": _ratio(section["wall_s"], before.get("wall_s")),
    }
    return section


def _ratio(now: float, then: float | None) -> float | None:
    return round(now / then, 2) if then else None


def table(c: dict[str, Any]) -> list[str]:
    """The section's lines: each stage's time, beside the previous cycle's when there is one."""
    prev = c.get("previous")
    title = "Qualification cycle (wall = Terraform + harness), seconds"
    lines = [title + (f"; previous cycle {prev.get('started') or '?'}" if prev else "")]
    head = f"  {'stage':<8} {'status':<8} {'wall':>7} {'terraform':>9} {'harness':>8}"
    lines.append(head + (f" {'previous':>8} {'ratio':>6}" if prev else ""))

    def beside(old: float | None, ratio: float | None) -> str:
        if not prev:
            return ""
        return (
            " "
            + (f"{old:>8.1f}" if old is not None else f"{'-':>8}")
            + " "
            + (f"{ratio:>6.2f}" if ratio is not None else f"{'-':>6}")
        )

    for s in c["stages"]:
        lines.append(
            f"  {s['stage']:<8} {s['status']:<8} {s['wall_s']:>7.1f} {s['terraform_s']:>9.1f} "
            f"{s['harness_s']:>8.1f}" + beside(s.get("previous_wall_s"), s.get("ratio"))
        )
    lines.append(
        f"  {'total':<8} {'':<8} {c['wall_s']:>7.1f} {c['terraform_s']:>9.1f} {c['harness_s']:>8.1f}"
        + beside(prev.get("wall_s") if prev else None, prev.get("ratio") if prev else None)
    )
    return lines
