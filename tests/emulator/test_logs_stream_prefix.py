"""FilterLogEvents with logStreamNamePrefix reads only the streams the prefix names (one job's log)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_a_stream_prefix_reads_only_that_jobs_streams(aws: Callable[..., Any]) -> None:
    logs = aws("logs")
    group = f"/test/prefix-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)
    for stream in ("job-a/algo-1", "job-ab/algo-1", "job-b/algo-1"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": now, "message": stream}]
        )
    page = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="job-a/")
    assert [e["message"] for e in page["events"]] == ["job-a/algo-1"]
    assert {e["logStreamName"] for e in page["events"]} == {"job-a/algo-1"}
    wider = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="job-a")
    assert sorted(e["message"] for e in wider["events"]) == ["job-a/algo-1", "job-ab/algo-1"]
    assert logs.filter_log_events(logGroupName=group, logStreamNamePrefix="none/")["events"] == []
    assert len(logs.filter_log_events(logGroupName=group)["events"]) == 3  # no prefix: every stream
    with pytest.raises(ClientError) as both:
        logs.filter_log_events(
            logGroupName=group, logStreamNamePrefix="job-a/", logStreamNames=["job-b/algo-1"]
        )
    assert both.value.response["Error"]["Code"] == "InvalidParameterException"
