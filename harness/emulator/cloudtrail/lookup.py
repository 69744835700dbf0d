"""LookupEvents: the event history (management events of the last 90 days) of the calling region.

AWS (CloudTrail API reference, LookupEvents): at most one ``LookupAttributes`` entry, its
``AttributeKey`` one of EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
EventSource, AccessKeyId (else ``InvalidLookupAttributesException``); ``StartTime`` after
``EndTime`` -> ``InvalidTimeRangeException``; ``MaxResults`` 1..50 (default 50, else
``InvalidMaxResultsException``); ``NextToken`` from a previous page (else
``InvalidNextTokenException``). Events come newest first, each with EventId, EventName, ReadOnly
(``"true"``/``"false"``), AccessKeyId, EventTime, EventSource, Username, Resources
(ResourceType, ResourceName) and ``CloudTrailEvent``: the whole record as a JSON string.
``EventCategory=insight`` asks for Insights events, which this emulator never produces.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.core.exceptions import JsonRESTError

from . import identity as identities
from .records import STORE

KEYS = (
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)
MAX_RESULTS = 50


class LookupError_(JsonRESTError):
    code = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message)


def lookup_events(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise LookupError_("InvalidLookupAttributesException", "You can only specify one lookup attribute.")
    wanted: tuple[str, str] | None = None
    if attributes:
        key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue")
        if key not in KEYS:
            raise LookupError_(
                "InvalidLookupAttributesException", f"Lookup attribute key {key!r} is not valid."
            )
        if not isinstance(value, str) or not 1 <= len(value) <= 2000:
            raise LookupError_("InvalidLookupAttributesException", "Lookup attribute value is not valid.")
        wanted = (key, value)
    start, end = _epoch(params.get("StartTime")), _epoch(params.get("EndTime"))
    if start is not None and end is not None and start > end:
        raise LookupError_("InvalidTimeRangeException", "Start time must be before end time.")
    limit = params.get("MaxResults")
    if limit is None:
        limit = MAX_RESULTS
    if not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
        raise LookupError_("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    if (params.get("EventCategory") or "").lower() == "insight":
        return {"Events": []}
    after = _decode_token(params.get("NextToken"))
    events: list[dict[str, Any]] = []
    skipping = after is not None
    more = False
    for epoch, record, named in STORE.events(account):
        if skipping:
            if record["eventID"] == after:
                skipping = False
            continue
        if record.get("awsRegion") != region:
            continue
        if (start is not None and epoch < start) or (end is not None and epoch > end):
            continue
        if wanted is not None and not _matches(wanted, record, named):
            continue
        if len(events) == limit:
            more = True
            break
        events.append(_event(record, named))
    if skipping:
        raise LookupError_("InvalidNextTokenException", "Invalid NextToken.")
    answer: dict[str, Any] = {"Events": events}
    if more:
        answer["NextToken"] = base64.urlsafe_b64encode(events[-1]["EventId"].encode()).decode()
    return answer


def _matches(wanted: tuple[str, str], record: dict[str, Any], named: list[tuple[str, str]]) -> bool:
    key, value = wanted
    if key == "EventId":
        return record["eventID"] == value
    if key == "EventName":
        return record["eventName"] == value
    if key == "EventSource":
        return record["eventSource"] == value
    if key == "ReadOnly":
        return ("true" if record["readOnly"] else "false") == value.lower()
    if key == "Username":
        return identities.username(record["userIdentity"]) == value
    if key == "AccessKeyId":
        return record["userIdentity"].get("accessKeyId") == value
    if key == "ResourceType":
        return any(kind == value for kind, _ in named)
    return any(name == value for _, name in named)  # ResourceName


def _event(record: dict[str, Any], named: list[tuple[str, str]]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": "true" if record["readOnly"] else "false",
        "EventTime": _record_epoch(record),
        "EventSource": record["eventSource"],
        "Username": identities.username(record["userIdentity"]),
        "Resources": [{"ResourceType": kind, "ResourceName": name} for kind, name in named],
        "CloudTrailEvent": json.dumps(record),
    }
    if record["userIdentity"].get("accessKeyId"):
        event["AccessKeyId"] = record["userIdentity"]["accessKeyId"]
    return event


def _record_epoch(record: dict[str, Any]) -> float:
    import calendar
    import time

    return float(calendar.timegm(time.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ")))


def _epoch(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        import datetime as dt

        try:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise LookupError_("InvalidTimeRangeException", f"Invalid time {value!r}.") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.timestamp()


def _decode_token(token: Any) -> str | None:
    if not token:
        return None
    try:
        return base64.urlsafe_b64decode(str(token).encode()).decode()
    except Exception as exc:
        raise LookupError_("InvalidNextTokenException", "Invalid NextToken.") from exc
