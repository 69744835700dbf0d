"""The recorder: one CloudTrail event per API call the emulator serves, built from request and answer.

AWS (CloudTrail record contents): ``eventVersion``, ``userIdentity``, ``eventTime`` (UTC,
``YYYY-MM-DDTHH:MM:SSZ``), ``eventSource``, ``eventName``, ``awsRegion``, ``sourceIPAddress``,
``userAgent``, ``errorCode``/``errorMessage`` when the call failed (an authorisation failure is
``AccessDenied``/``AccessDeniedException`` with the service's message), ``requestParameters``,
``responseElements`` (for calls that change something; null for reads), ``requestID``,
``eventID``, ``readOnly``, ``resources``, ``eventType`` ``AwsApiCall``, ``managementEvent``,
``recipientAccountId``, ``eventCategory`` (``Management``/``Data``), ``tlsDetails``.
Management events are kept for event history (LookupEvents, 90 days) whatever the trails say;
each trail that is logging and whose selectors match gets the event for delivery
(``delivery.enqueue``). S3 object-level calls are data events: logged only where a trail asks.

The recorder is WSGI middleware around the whole front router, so it sees the answer of every
application behind it, including authorisation denials. Requests the emulator's fast path answers
(InvokeEndpoint: a data event AWS does not log by default) do not pass through it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from . import identity as identities
from . import operations, selectors

log = logging.getLogger("harness.emulator.cloudtrail")

EVENT_VERSION = "1.11"
RETENTION_SECONDS = 90 * 24 * 3600
MAX_EVENTS = 50_000  # per account (a few KB each); the oldest go first
MAX_RESPONSE = 1 << 20

_READ_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "Head",
    "Lookup",
    "Search",
    "BatchGet",
    "Query",
    "Scan",
    "Check",
    "Select",
)
_READ_NAMES = frozenset(
    {
        "AssumeRole",
        "AssumeRoleWithSAML",
        "AssumeRoleWithWebIdentity",
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateRandom",
        "ReEncrypt",
        "Sign",
        "Verify",
        "FilterLogEvents",
        "SimulatePrincipalPolicy",
        "SimulateCustomPolicy",
    }
)
_ASSUME = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})
_XML_CODE = re.compile(rb"<Code>([^<]*)</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]*)</Message>", re.S)
_XML_REQUEST_ID = re.compile(rb"<RequestId>([^<]*)</RequestId>")
_ACCESS_KEY = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
_STATUS_CODES = {
    400: "BadRequest",
    403: "AccessDenied",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
}


def read_only(name: str) -> bool:
    return name in _READ_NAMES or name.startswith(_READ_PREFIXES)


def utc(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Stored = tuple[float, dict[str, Any], list[tuple[str, str]]]
"""(epoch seconds, the record, LookupEvents' (ResourceType, ResourceName) pairs)"""


class EventStore:
    """Management events per account, oldest first, for LookupEvents."""

    def __init__(self, limit: int = MAX_EVENTS) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._events: dict[str, deque[Stored]] = {}

    def add(
        self, account: str, epoch: float, record: dict[str, Any], resources: list[tuple[str, str]]
    ) -> None:
        with self._lock:
            queue = self._events.get(account)
            if queue is None:
                queue = self._events[account] = deque(maxlen=self._limit)
            queue.append((epoch, record, resources))

    def events(self, account: str) -> list[Stored]:
        """A snapshot, newest first, within the retention period."""
        cutoff = time.time() - RETENTION_SECONDS
        with self._lock:
            snapshot = list(self._events.get(account, ()))
        return [item for item in reversed(snapshot) if item[0] >= cutoff]

    def clear(self) -> None:
        with self._lock:
            self._events.clear()


STORE = EventStore()

#: called with (account, trail, record) for each trail that logs an event (the delivery queue)
_sinks: list[Callable[[str, Any, dict[str, Any]], None]] = []


def add_sink(sink: Callable[[str, Any, dict[str, Any]], None]) -> None:
    if sink not in _sinks:
        _sinks.append(sink)


class Recorder:
    """WSGI middleware: serve the request, then record the call."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            call = operations.identify(environ)
        except Exception:  # never let the trail break the call itself
            log.exception("could not identify %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            call = None
        if call is None:
            return self.app(environ, start_response)
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        started = time.time()
        result = self.app(environ, capture)
        body: bytes | None = None
        status = _status(answer.get("status"))
        if status is None or _wants_body(call, status, answer.get("headers") or []):
            chunks = list(result)
            close = getattr(result, "close", None)
            if close is not None:
                close()
            body = b"".join(chunks)
            result = [body]
            status = _status(answer.get("status")) or 500
        try:
            record(call, status, answer.get("headers") or [], body, started)
        except Exception:
            log.exception("could not record %s", call.event_name)
        return result


def _status(line: str | None) -> int | None:
    if not line:
        return None
    try:
        return int(line.split(" ", 1)[0])
    except ValueError:
        return None


def _wants_body(call: operations.Call, status: int, headers: list[tuple[str, str]]) -> bool:
    if status >= 300:
        return True
    if call.signing_name == "s3" or (read_only(call.event_name) and call.event_name not in _ASSUME):
        return False
    length = next((v for k, v in headers if k.lower() == "content-length"), None)
    return length is None or (length.isdigit() and int(length) <= MAX_RESPONSE)


def record(
    call: operations.Call, status: int, headers: list[tuple[str, str]], body: bytes | None, epoch: float
) -> dict[str, Any] | None:
    """Build the event for one answered call, keep it and hand it to the trails that log it."""
    who = identities.user_identity(call.access_key_id, call.region)
    account = who.get("accountId", "")
    ro = read_only(call.event_name)
    is_data = selectors.is_data_event(call.signing_name, call.event_name, call.protocol)
    event: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": who,
        "eventTime": utc(epoch),
        "eventSource": call.event_source,
        "eventName": call.event_name,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
    }
    header_map = {k.lower(): v for k, v in headers}
    if status >= 400 or (status >= 300 and status != 304):
        code, message = _error(status, header_map, body)
        event["errorCode"] = code
        if message:
            event["errorMessage"] = message
    event["requestParameters"] = call.request_parameters
    event["responseElements"] = (
        None if "errorCode" in event else _response_elements(call, ro, header_map, body, status)
    )
    event["requestID"] = _request_id(header_map, body)
    event["eventID"] = str(uuid.uuid4())
    event["readOnly"] = ro
    resources, named = _resources(call, account, is_data)
    if resources:
        event["resources"] = resources
    event["eventType"] = "AwsApiCall"
    event["managementEvent"] = not is_data
    event["recipientAccountId"] = account
    event["eventCategory"] = "Data" if is_data else "Management"
    if call.tls:
        event["tlsDetails"] = {"tlsVersion": "TLSv1.3", "clientProvidedHostHeader": call.host}
    if call.event_name in _ASSUME and status < 300 and body:
        _remember_session(call, body, epoch)
    if not is_data:
        STORE.add(account, epoch, event, named)
    for trail in selectors.trails(account):
        if not trail.status.is_logging or not selectors.covers_region(trail, call.region):
            continue
        if selectors.selects(trail, event):
            for sink in list(_sinks):
                sink(account, trail, event)
    return event


def _remember_session(call: operations.Call, body: bytes, epoch: float) -> None:
    match = _ACCESS_KEY.search(body)
    if match:
        source = call.raw.get("SourceIdentity") if isinstance(call.raw, dict) else None
        identities.remember_session(match.group(1).decode(), creation_date=utc(epoch), source_identity=source)


def _error(status: int, headers: dict[str, str], body: bytes | None) -> tuple[str, str | None]:
    code = message = None
    text = body or b""
    stripped = text.lstrip()
    if stripped.startswith(b"{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = {}
        if isinstance(data, dict):
            raw = data.get("__type") or data.get("code") or data.get("Code")
            code = str(raw).rsplit("#", 1)[-1] if raw else None
            message = data.get("message") or data.get("Message")
    elif stripped.startswith(b"<"):
        found = _XML_CODE.search(text)
        code = html.unescape(found.group(1).decode("utf-8", "replace")) if found else None
        found = _XML_MESSAGE.search(text)
        message = html.unescape(found.group(1).decode("utf-8", "replace")).strip() if found else None
    if not code:
        kind = headers.get("x-amzn-errortype")
        code = kind.split(":", 1)[0] if kind else _STATUS_CODES.get(status, f"Http{status}")
    return code, (str(message) if message else None)


def _request_id(headers: dict[str, str], body: bytes | None) -> str:
    for name in ("x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"):
        if headers.get(name):
            return headers[name]
    if body:
        found = _XML_REQUEST_ID.search(body)
        if found:
            return found.group(1).decode()
    return str(uuid.uuid4())


def _response_elements(
    call: operations.Call, ro: bool, headers: dict[str, str], body: bytes | None, status: int
) -> dict[str, Any] | None:
    if ro and call.event_name not in _ASSUME:
        return None
    if call.signing_name == "s3":
        found = {
            k: v
            for k, v in headers.items()
            if k.startswith("x-amz-") and k not in ("x-amz-request-id", "x-amz-id-2") and "checksum" not in k
        }
        return found or None
    if not body:
        return None
    model = operations._model(call.signing_name, (call.protocol,), call.event_name)
    if model is None:
        return None
    op = model.operation_model(call.event_name)
    if op.output_shape is None:
        return None
    try:
        from botocore.parsers import create_parser

        parsed = create_parser(model.protocol).parse(
            {"status_code": status, "headers": headers, "body": body}, op.output_shape
        )
    except Exception:
        return None
    parsed.pop("ResponseMetadata", None)
    converted = operations.to_cloudtrail(op.output_shape, parsed)
    return converted or None


_RESOURCE_PARAMS = (
    ("TrainingJobName", "AWS::SageMaker::TrainingJob"),
    ("EndpointName", "AWS::SageMaker::Endpoint"),
    ("EndpointConfigName", "AWS::SageMaker::EndpointConfig"),
    ("ModelName", "AWS::SageMaker::Model"),
    ("ModelPackageGroupName", "AWS::SageMaker::ModelPackageGroup"),
    ("RoleName", "AWS::IAM::Role"),
    ("UserName", "AWS::IAM::User"),
    ("PolicyArn", "AWS::IAM::Policy"),
    ("KeyId", "AWS::KMS::Key"),
    ("logGroupName", "AWS::Logs::LogGroup"),
    ("Name", None),
)


def _resources(
    call: operations.Call, account: str, is_data: bool
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The record's ``resources`` (ARNs) and LookupEvents' (ResourceType, ResourceName) pairs."""
    if call.signing_name == "s3":
        if not call.bucket:
            return [], []
        bucket = {"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{call.bucket}"}
        named = [("AWS::S3::Bucket", call.bucket)]
        if not is_data:
            return [bucket], named
        if call.key:
            obj = {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{call.bucket}/{call.key}"}
            return [obj, bucket], [("AWS::S3::Object", call.key), *named]
        prefix = (call.request_parameters or {}).get("prefix", "")
        return [
            {"type": "AWS::S3::Object", "ARNPrefix": f"arn:aws:s3:::{call.bucket}/{prefix}"},
            bucket,
        ], named
    raw = call.raw if isinstance(call.raw, dict) else {}
    if is_data:  # a SageMaker runtime call
        kind, member, arn_kind = selectors.SAGEMAKER_DATA_EVENTS[call.event_name]
        name = str(raw.get(member, ""))
        arn = f"arn:aws:sagemaker:{call.region}:{account}:{arn_kind}/{name.lower()}"
        return [{"accountId": account, "type": kind, "ARN": arn}], [(kind, name)]
    resources: list[dict[str, Any]] = []
    named = []
    for param, kind in _RESOURCE_PARAMS:
        value = raw.get(param)
        if not isinstance(value, str) or not value:
            continue
        if kind is None:
            if call.signing_name != "cloudtrail":
                continue
            kind = "AWS::CloudTrail::Trail"
        named.append((kind, value))
        if value.startswith("arn:"):
            resources.append({"accountId": account, "type": kind, "ARN": value})
    return resources, named
