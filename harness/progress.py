"""Progress as structured events: what long commands say while they run.

Producers (the qualification's stages, Terraform's apply, training jobs, the state lock) call a
:data:`Progress` sink with an event; a plain ``str`` is shorthand for :class:`Message`. Consumers read
fields, never text: :class:`Printer` renders each event as the one human line the terminal shows,
:class:`Recorder` keeps them for tests and ``harness.bench``, :func:`tee` feeds several sinks, and
:class:`JsonLines` writes them for another process (the CLI does when ``HARNESS_PROGRESS_EVENTS``
names a file).

Rendering lives only in :func:`render`, so the terminal's words can change without breaking a
consumer, and a consumer's needs never shape the words.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO, TypeVar


@dataclasses.dataclass(frozen=True)
class Message:
    """Free text for a person (no consumer reads into it)."""

    text: str


@dataclasses.dataclass(frozen=True)
class StageStarted:
    """A qualification stage begins; ``identity`` is the STS identity it runs as (None: not known yet)."""

    name: str
    index: int
    count: int
    identity: dict[str, Any] | None = None
    #: It runs beside the stages that follow (``harness.qualify.StageSpec.overlap``).
    overlapped: bool = False


@dataclasses.dataclass(frozen=True)
class StageFinished:
    """A qualification stage ended: passed | failed | skipped | kept (skipped and kept never started)."""

    name: str
    status: str
    seconds: float = 0.0
    detail: str = ""
    identity: dict[str, Any] | None = None
    index: int = 0
    count: int = 0


@dataclasses.dataclass(frozen=True)
class StageCost:
    """Where a stage's seconds went: a suite's seconds per feature file and its start-up
    (``harness.qualify.suite_parts``), the costliest first."""

    name: str
    parts: dict[str, float]


@dataclasses.dataclass(frozen=True)
class TerraformResource:
    """One resource of an apply or destroy finished (``done`` of ``total`` steps so far)."""

    done: int
    total: int
    address: str
    status: str  # created | updated | destroyed | read | failed | ...
    elapsed_s: float | None = None


@dataclasses.dataclass(frozen=True)
class TerraformPlanned:
    """A plan's counts of resources to add, change and destroy."""

    add: int
    change: int
    destroy: int
    #: False: planned against the state as recorded (``-refresh=false``), no resource read back.
    refreshed: bool = True


@dataclasses.dataclass(frozen=True)
class TerraformApplied:
    """An apply or destroy of a plan finished: ``done`` of ``planned`` steps in ``seconds``."""

    action: str  # apply | destroy
    done: int
    planned: int
    seconds: float


@dataclasses.dataclass(frozen=True)
class TerraformCall:
    """One plan/apply/destroy of the platform, timed: the wall time and Terraform's part of it.

    Delivered to ``harness.provisioning.observe_terraform`` observers; never printed."""

    call: str  # plan | apply | destroy
    wall_s: float
    terraform_s: float


@dataclasses.dataclass(frozen=True)
class JobStatus:
    """A SageMaker job moved to a new (secondary) status."""

    kind: str  # training | processing | monitoring ...
    name: str
    status: str
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class JobCreated:
    """A SageMaker job was created (its statuses follow as :class:`JobStatus`)."""

    kind: str
    name: str


@dataclasses.dataclass(frozen=True)
class LockWait:
    """Another command holds the Terraform state: this one waits up to ``seconds``."""

    holder: str
    seconds: float


Event = (
    Message
    | StageStarted
    | StageFinished
    | StageCost
    | TerraformResource
    | TerraformPlanned
    | TerraformApplied
    | TerraformCall
    | JobCreated
    | JobStatus
    | LockWait
)
#: Every event class by name (the JSON-lines stream names them so).
KINDS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        Message,
        StageStarted,
        StageFinished,
        StageCost,
        TerraformResource,
        TerraformPlanned,
        TerraformApplied,
        TerraformCall,
        JobCreated,
        JobStatus,
        LockWait,
    )
}
#: A file the CLI appends every event to as a JSON line (for programs that drive the CLI: tests, CI).
EVENTS_ENV = "HARNESS_PROGRESS_EVENTS"
#: What every producer calls; a ``str`` is a :class:`Message`.
Progress = Callable[[Event | str], None]

E = TypeVar("E")


def as_event(item: Event | str) -> Event:
    """The event a producer meant (a ``str`` is a :class:`Message`)."""
    return Message(item) if isinstance(item, str) else item


def identity_arn(identity: dict[str, Any] | None) -> str:
    """The ARN a stage ran as, with the session's person when it carries one ("" when unknown)."""
    if not identity:
        return ""
    who = identity.get("source_identity")
    return f"{identity.get('arn')}" + (f" (source identity {who})" if who else "")


def render(item: Event | str) -> str | None:
    """The human line for an event (None: the event is not for the terminal)."""
    event = as_event(item)
    match event:
        case Message(text=text):
            return text
        case StageStarted():
            who = f" as {identity_arn(event.identity)}" if event.identity else ""
            beside = " (overlapped: runs beside the stages that follow)" if event.overlapped else ""
            return f"[{event.index}/{event.count}] {event.name}{who}{beside}"
        case StageFinished(status="skipped"):
            return f"[{event.index}/{event.count}] {event.name}: skipped ({event.detail})"
        case StageFinished(status="kept"):
            return f"[{event.index}/{event.count}] {event.name}: kept as installed"
        case StageFinished():
            return f"  {event.name}: {event.status} in {event.seconds:.1f}s {event.detail}".rstrip()
        case StageCost():
            parts = ", ".join(
                f"{name.removeprefix('features/')} {sec:.1f}s" for name, sec in event.parts.items()
            )
            return f"  {event.name} cost: {parts}"
        case TerraformResource():
            total = max(event.total, event.done)
            width = len(str(total))
            extra = f" ({event.elapsed_s}s)" if event.elapsed_s is not None else ""
            return f"[{event.done:>{width}}/{total}] {event.address} {event.status}{extra}"
        case TerraformPlanned():
            fresh = "" if event.refreshed else " (state not refreshed)"
            return f"plan{fresh}: {event.add} to add, {event.change} to change, {event.destroy} to destroy"
        case TerraformApplied():
            return f"{event.action} complete: {event.done}/{event.planned} in {event.seconds:.1f}s"
        case JobCreated():
            return f"{event.kind} job {event.name} created"
        case JobStatus():
            return f"{event.kind} {event.name}: {event.status} - {event.detail}".rstrip(" -")
        case LockWait():
            return f"waiting for {event.holder}: it holds the Terraform state (up to {event.seconds:.0f} s)"
        case TerraformCall():
            return None
    return str(event)


class Printer:
    """The terminal: one rendered line per event, after ``prefix``, on ``stream`` (default: standard
    error, or standard output with ``stdout=True``, looked up at each call so a redirect is honoured)."""

    def __init__(self, stream: TextIO | None = None, prefix: str = "==> ", *, stdout: bool = False) -> None:
        self.stream = stream
        self.prefix = prefix
        self.stdout = stdout

    def __call__(self, item: Event | str) -> None:
        line = render(item)
        if line is not None:
            stream = self.stream or (sys.stdout if self.stdout else sys.stderr)
            print(f"{self.prefix}{line}", file=stream, flush=True)


class Recorder:
    """Keeps every event (thread-safe: scanners report from worker threads); for tests and bench."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, item: Event | str) -> None:
        with self._lock:
            self.events.append(as_event(item))

    def of(self, kind: type[E]) -> list[E]:
        """The events of one kind, in order."""
        return [e for e in self.events if isinstance(e, kind)]

    def lines(self) -> list[str]:
        """What the terminal would have shown (for tests of the words themselves)."""
        return lines_of(self.events)


def tee(*sinks: Progress | None) -> Progress:
    """One sink feeding several (None entries are left out)."""
    live = [s for s in sinks if s is not None]

    def emit(item: Event | str) -> None:
        for sink in live:
            sink(item)

    return emit


def to_json(item: Event | str) -> dict[str, Any]:
    """An event as a JSON object: ``{"event": <class name>, <its fields>}``."""
    event = as_event(item)
    return {"event": type(event).__name__, **dataclasses.asdict(event)}


def from_json(data: dict[str, Any]) -> Event:
    """The event a :func:`to_json` object holds."""
    fields = dict(data)
    return KINDS[fields.pop("event")](**fields)


class JsonLines:
    """Appends each event to a file as one JSON line (opened per event: safe across processes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __call__(self, item: Event | str) -> None:
        line = json.dumps(to_json(item), default=str) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)


def read_json_lines(path: str | Path) -> list[Event]:
    """The events a :class:`JsonLines` file holds so far (a line still being written is left out)."""
    events: list[Event] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return events
    for line in text.splitlines():
        try:
            events.append(from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return events


def null(_item: Event | str) -> None:
    """A sink that drops everything."""


def lines_of(events: Iterable[Event | str]) -> list[str]:
    """The rendered lines of some events."""
    return [line for line in map(render, events) if line is not None]


#: ``print`` for events: standard output, no prefix (the qualification's default sink).
PRINT: Progress = Printer(prefix="", stdout=True)
