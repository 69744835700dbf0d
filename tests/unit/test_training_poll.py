"""Following a training job's log: each event is shown once, however many polls read the stream."""

from __future__ import annotations

from typing import Any

from harness import workflow


class _Logs:
    class exceptions:
        ResourceNotFoundException = KeyError

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        """As AWS: no token after the last page; startTime filters."""
        self.calls.append(kwargs)
        since = kwargs.get("startTime", 0)
        return {"events": [e for e in self.events if e["timestamp"] >= since]}


class _SageMaker:
    def __init__(self, logs: _Logs) -> None:
        self.logs, self.polls = logs, 0

    def describe_training_job(self, TrainingJobName: str) -> dict[str, Any]:
        self.polls += 1
        n = self.polls
        self.logs.events.append({"eventId": str(n), "timestamp": 1000 + n, "message": f"[{n}]#011auc:0.{n}"})
        return {"TrainingJobStatus": "Completed" if n == 4 else "InProgress"}


def test_each_round_is_shown_once_and_later_polls_start_at_the_newest_event() -> None:
    logs = _Logs()
    lines: list[Any] = []
    desc = workflow._poll_training(_SageMaker(logs), logs, "job", lines.append, set(), None, 1e12, 60, 0.0)
    assert desc["TrainingJobStatus"] == "Completed"
    assert [line for line in lines if isinstance(line, str)] == [f"  [{n}]  auc:0.{n}" for n in range(1, 5)]
    assert "startTime" not in logs.calls[0] and logs.calls[-1]["startTime"] == 1003
