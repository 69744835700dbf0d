"""What a qualification run did, step by step: the data behind ``results.json``.

The pytest plugin (:mod:`harness.validation.pytest_plugin`) feeds a :class:`Recorder` from
pytest-bdd's hooks; the report writer reads the resulting ``results.json``. Timestamps are UTC ISO 8601
with microseconds (``2025-11-28T18:30:00.123456Z``); durations are seconds from a monotonic clock.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath
from typing import Any

from harness.validation.requirements import requirement_tags

RESULTS_FILE = "results.json"
RESULTS_SCHEMA = "harness.validation/results/v1"
SUITES = ("iq", "oq", "pq")
STEP_STATUSES = ("passed", "failed", "skipped")
#: ``error``: the scenario never started (a fixture failed during setup).
SCENARIO_STATUSES = ("passed", "failed", "skipped", "error")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: The one timestamp format of every evidence file: UTC ISO 8601 with a ``Z`` (2026-12-01T03:25:07Z).
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso(moment: dt.datetime) -> str:
    """UTC ISO 8601 with a ``Z``, to the second (durations carry the sub-second precision); a naive
    datetime (as some AWS responses parse) is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime(TIMESTAMP_FORMAT)


def to_jsonable(value: Any) -> Any:
    """Turn what boto3 returns (datetimes, bytes, Decimals, streams' leftovers) into plain JSON data."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v) for v in value), key=lambda x: json.dumps(x, sort_keys=True))
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return to_jsonable(value.tolist())
    return repr(value)


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def stage_of(path: str | PurePath) -> str:
    """``features/iq/kms.feature`` -> ``iq``: the first folder named after a qualification stage."""
    for part in PurePath(path).parts[:-1]:
        if part.lower() in SUITES:
            return part.lower()
    return "unstaged"


def write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80] or "x"


@dataclasses.dataclass
class Attachment:
    name: str
    data: Any
    attached: str
    sha256: str
    media_type: str = "application/json"

    @classmethod
    def make(cls, name: str, data: Any) -> Attachment:
        plain = to_jsonable(data)
        return cls(
            name=name,
            data=plain,
            attached=iso(utc_now()),
            sha256=hashlib.sha256(canonical_json(plain)).hexdigest(),
        )


@dataclasses.dataclass
class StepRecord:
    keyword: str
    text: str
    line: int
    status: str = "skipped"
    started: str | None = None
    finished: str | None = None
    duration: float | None = None
    error: str | None = None
    attachments: list[Attachment] = dataclasses.field(default_factory=list)
    _t0: float | None = dataclasses.field(default=None, repr=False)

    def begin(self) -> None:
        self.status = "running"
        self.started = iso(utc_now())
        self._t0 = time.perf_counter()

    def end(self, status: str, error: str | None = None) -> None:
        self.status = status
        self.finished = iso(utc_now())
        if self._t0 is not None:
            self.duration = round(time.perf_counter() - self._t0, 6)
        if error is not None:
            self.error = error

    def to_dict(self) -> dict[str, Any]:
        return {
            "keyword": self.keyword,
            "text": self.text,
            "line": self.line,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "duration": self.duration,
            "error": self.error,
            "attachments": [dataclasses.asdict(a) for a in self.attachments],
        }


@dataclasses.dataclass
class ScenarioRecord:
    nodeid: str
    feature: str
    feature_file: str
    scenario: str
    line: int | None
    stage: str
    tags: list[str]
    requirements: list[str]
    example: dict[str, str] = dataclasses.field(default_factory=dict)
    status: str = "skipped"
    started: str | None = None
    finished: str | None = None
    duration: float | None = None
    error: str | None = None
    steps: list[StepRecord] = dataclasses.field(default_factory=list)
    attachments: list[Attachment] = dataclasses.field(default_factory=list)
    _t0: float | None = dataclasses.field(default=None, repr=False)

    @property
    def id(self) -> str:
        """A stable, file-name-safe id of the scenario (from the pytest node id)."""
        return (
            _slug(self.nodeid.split("::", 1)[-1]) + "-" + hashlib.sha256(self.nodeid.encode()).hexdigest()[:8]
        )

    def current_step(self) -> StepRecord | None:
        return next((s for s in self.steps if s.status == "running"), None)

    def step_for(self, keyword: str, text: str, line: int) -> StepRecord:
        for step in self.steps:
            if step.line == line and step.text == text and step.status == "skipped" and step.started is None:
                return step
        step = StepRecord(keyword=keyword, text=text, line=line)
        self.steps.append(step)
        return step

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nodeid": self.nodeid,
            "stage": self.stage,
            "feature": self.feature,
            "feature_file": self.feature_file,
            "scenario": self.scenario,
            "line": self.line,
            "example": self.example,
            "tags": self.tags,
            "requirements": self.requirements,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "duration": self.duration,
            "error": self.error,
            "steps": [s.to_dict() for s in self.steps],
            "attachments": [dataclasses.asdict(a) for a in self.attachments],
        }


class Recorder:
    """Collects :class:`ScenarioRecord` s keyed by pytest node id and serialises them."""

    def __init__(self, *, rootdir: Path | None = None) -> None:
        self.rootdir = rootdir
        self.scenarios: dict[str, ScenarioRecord] = {}
        self.started = iso(utc_now())
        self.finished: str | None = None
        self.meta: dict[str, Any] = {}
        #: pytest's own seconds per node id (setup + call + teardown, fixtures included): what each
        #: scenario cost the suite, beside ``duration`` (the scenario's steps alone).
        self.elapsed: dict[str, float] = {}

    def relpath(self, filename: str) -> str:
        path = Path(filename)
        if self.rootdir is not None:
            try:
                return path.resolve().relative_to(self.rootdir.resolve()).as_posix()
            except ValueError:
                pass
        return path.as_posix()

    def open_scenario(
        self,
        nodeid: str,
        *,
        feature_name: str,
        feature_file: str,
        scenario_name: str,
        line: int | None,
        tags: Iterable[str],
        steps: Iterable[tuple[str, str, int]],
        example: Mapping[str, Any] | None = None,
    ) -> ScenarioRecord:
        rel = self.relpath(feature_file)
        tag_list = sorted({t.lstrip("@") for t in tags})
        record = ScenarioRecord(
            nodeid=nodeid,
            feature=feature_name,
            feature_file=rel,
            scenario=scenario_name,
            line=line,
            stage=stage_of(rel),
            tags=tag_list,
            requirements=requirement_tags(tag_list),
            example={str(k): str(v) for k, v in (example or {}).items()},
        )
        record.steps = [StepRecord(keyword=k, text=t, line=n) for k, t, n in steps]
        self.scenarios[nodeid] = record
        return record

    def get(self, nodeid: str) -> ScenarioRecord | None:
        return self.scenarios.get(nodeid)

    def begin_scenario(self, record: ScenarioRecord) -> None:
        record.status = "running"
        record.started = iso(utc_now())
        record._t0 = time.perf_counter()

    def end_scenario(self, record: ScenarioRecord, outcome: str, longrepr: str | None = None) -> None:
        """Close a scenario with pytest's outcome; a step still running takes the outcome and message."""
        running = record.current_step()
        if running is not None:
            status = "skipped" if outcome == "skipped" else "failed"
            running.end(status, error=longrepr)
        failed_steps = [s for s in record.steps if s.status == "failed"]
        if outcome == "passed" and failed_steps:
            outcome = "failed"
        record.status = outcome
        record.finished = iso(utc_now())
        if record._t0 is not None:
            record.duration = round(time.perf_counter() - record._t0, 6)
        if outcome in ("failed", "error", "skipped") and record.error is None:
            if failed_steps and failed_steps[0].error:
                record.error = failed_steps[0].error
            elif longrepr:
                record.error = longrepr

    def attach(self, nodeid: str, name: str, data: Any) -> Attachment:
        record = self.scenarios.get(nodeid)
        if record is None:
            raise LookupError(f"no scenario is being recorded for {nodeid}")
        attachment = Attachment.make(name, data)
        step = record.current_step()
        (step.attachments if step is not None else record.attachments).append(attachment)
        return attachment

    def summary(self) -> dict[str, Any]:
        by_stage: dict[str, dict[str, int]] = {}
        totals = dict.fromkeys(SCENARIO_STATUSES, 0)
        steps = dict.fromkeys(STEP_STATUSES, 0)
        for rec in self.scenarios.values():
            stage = by_stage.setdefault(rec.stage, dict.fromkeys(SCENARIO_STATUSES, 0))
            stage[rec.status] = stage.get(rec.status, 0) + 1
            totals[rec.status] = totals.get(rec.status, 0) + 1
            for step in rec.steps:
                steps[step.status] = steps.get(step.status, 0) + 1
        return {"scenarios": len(self.scenarios), "by_status": totals, "by_stage": by_stage, "steps": steps}

    def to_dict(self) -> dict[str, Any]:
        ordered = sorted(
            self.scenarios.values(), key=lambda r: (r.stage, r.feature_file, r.line or 0, r.nodeid)
        )
        return {
            "schema": RESULTS_SCHEMA,
            "started": self.started,
            "finished": self.finished,
            **self.meta,
            "summary": self.summary(),
            "scenarios": [{**r.to_dict(), "elapsed": self._elapsed(r.nodeid)} for r in ordered],
        }

    def _elapsed(self, nodeid: str) -> float | None:
        seconds = self.elapsed.get(nodeid)
        return None if seconds is None else round(seconds, 6)

    def write(self, folder: Path) -> Path:
        self.finished = self.finished or iso(utc_now())
        path = Path(folder) / RESULTS_FILE
        write_json_atomic(path, self.to_dict())
        return path


def load_results(source: Path | str | Mapping[str, Any]) -> dict[str, Any]:
    """``results.json`` as a dict (a folder holding it, the file, or the already loaded mapping)."""
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    if path.is_dir():
        path = path / RESULTS_FILE
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("schema") != RESULTS_SCHEMA:
        raise ValueError(f"{path}: not a results file of schema {RESULTS_SCHEMA}")
    return data
