"""Which trails log an event: regions, event selectors and advanced event selectors.

AWS:
- A multi-region trail logs events of every region; a single-region trail only its own region's.
- A trail without selectors logs all management events (read and write) and no data events.
- Basic ``EventSelectors``: an event is logged when one selector matches it. A management event
  needs ``IncludeManagementEvents`` (default true), a matching ``ReadWriteType`` (``All``,
  ``ReadOnly``, ``WriteOnly``) and an ``eventSource`` not in ``ExcludeManagementEventSources``; an
  S3 data event needs a ``DataResources`` entry of type ``AWS::S3::Object`` whose value is a prefix
  of the object's ARN (``arn:aws:s3`` = every bucket, ``arn:aws:s3:::bucket/`` = one bucket);
  SageMaker's InvokeEndpoint and feature store record calls are data events too
  (``AWS::SageMaker::Endpoint``, ``AWS::SageMaker::FeatureGroup``).
- ``AdvancedEventSelectors`` replace them: an event is logged when one selector matches; a
  selector matches when every field selector does; a field selector holds when each operator it
  uses holds: ``Equals``/``StartsWith``/``EndsWith`` (one of the values), ``NotEquals``/
  ``NotStartsWith``/``NotEndsWith`` (none of the values). Fields: ``eventCategory``
  (Management/Data), ``resources.type``, ``resources.ARN``, ``readOnly``, ``eventName``,
  ``eventSource``, ``eventType``, ``errorCode``, ``userIdentity.arn``. A selector without an
  ``eventCategory`` field matches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

#: S3 operations CloudTrail logs as data events (resources.type AWS::S3::Object)
S3_DATA_EVENTS = frozenset(
    {
        "AbortMultipartUpload",
        "CompleteMultipartUpload",
        "CopyObject",
        "CreateMultipartUpload",
        "DeleteObject",
        "DeleteObjects",
        "DeleteObjectTagging",
        "GetObject",
        "GetObjectAcl",
        "GetObjectAttributes",
        "GetObjectLegalHold",
        "GetObjectRetention",
        "GetObjectTagging",
        "GetObjectTorrent",
        "HeadObject",
        "ListObjects",
        "ListObjectsV2",
        "ListObjectVersions",
        "ListMultipartUploads",
        "ListParts",
        "PutObject",
        "PutObjectAcl",
        "PutObjectLegalHold",
        "PutObjectRetention",
        "PutObjectTagging",
        "RestoreObject",
        "SelectObjectContent",
        "UploadPart",
        "UploadPartCopy",
    }
)


#: SageMaker data-plane operations CloudTrail logs as data events: eventName -> (resources.type,
#: request member naming the resource, ARN resource kind)
SAGEMAKER_DATA_EVENTS = {
    "InvokeEndpoint": ("AWS::SageMaker::Endpoint", "EndpointName", "endpoint"),
    "InvokeEndpointAsync": ("AWS::SageMaker::Endpoint", "EndpointName", "endpoint"),
    "InvokeEndpointWithResponseStream": ("AWS::SageMaker::Endpoint", "EndpointName", "endpoint"),
    "PutRecord": ("AWS::SageMaker::FeatureGroup", "FeatureGroupName", "feature-group"),
    "GetRecord": ("AWS::SageMaker::FeatureGroup", "FeatureGroupName", "feature-group"),
    "DeleteRecord": ("AWS::SageMaker::FeatureGroup", "FeatureGroupName", "feature-group"),
    "BatchGetRecord": ("AWS::SageMaker::FeatureGroup", "FeatureGroupName", "feature-group"),
}


def is_data_event(signing_name: str, event_name: str, protocol: str) -> bool:
    """S3 object calls and the SageMaker runtimes' calls (REST) are data events; the rest management."""
    if signing_name == "s3":
        return event_name in S3_DATA_EVENTS
    return signing_name == "sagemaker" and protocol.startswith("rest") and event_name in SAGEMAKER_DATA_EVENTS


def trails(account: str) -> Iterator[Any]:
    """Every trail of the account (moto keeps a trail in its home region's backend)."""
    from moto.cloudtrail.models import cloudtrail_backends

    if account not in cloudtrail_backends:
        return
    for backend in list(cloudtrail_backends[account].values()):
        yield from list(backend.trails.values())


def covers_region(trail: Any, region: str) -> bool:
    return bool(trail.is_multi_region) or trail.region_name == region


def selects(trail: Any, event: dict[str, Any]) -> bool:
    """Whether ``trail``'s selectors log ``event`` (a CloudTrail record)."""
    advanced = getattr(trail, "advanced_event_selectors", None) or []
    basic = getattr(trail, "event_selectors", None) or []
    if basic:
        return any(_basic(s, event) for s in basic)
    if advanced:
        return any(_advanced(s, event) for s in advanced)
    return event.get("eventCategory") == "Management"


def _read_write(selector: dict[str, Any], event: dict[str, Any]) -> bool:
    kind = selector.get("ReadWriteType") or "All"
    if kind == "ReadOnly":
        return bool(event.get("readOnly"))
    if kind == "WriteOnly":
        return not event.get("readOnly")
    return True


def _basic(selector: dict[str, Any], event: dict[str, Any]) -> bool:
    if not _read_write(selector, event):
        return False
    if event.get("eventCategory") == "Management":
        include = selector.get("IncludeManagementEvents")
        excluded = selector.get("ExcludeManagementEventSources") or []
        return (include is None or bool(include)) and event.get("eventSource") not in excluded
    for resource in selector.get("DataResources") or []:
        if resource.get("Type") not in _types(event):
            continue
        for value in resource.get("Values") or []:
            if any(arn.startswith(value) for arn in _arns(event, resource.get("Type"))):
                return True
    return False


def _advanced(selector: dict[str, Any], event: dict[str, Any]) -> bool:
    fields = selector.get("FieldSelectors") or []
    if not any(f.get("Field") == "eventCategory" for f in fields):
        return False
    return all(_field(f, event) for f in fields)


def _field(selector: dict[str, Any], event: dict[str, Any]) -> bool:
    name = selector.get("Field", "")
    values = list(_values(name, event))
    checks = (
        ("Equals", lambda v, x: v == x, True),
        ("StartsWith", lambda v, x: v.startswith(x), True),
        ("EndsWith", lambda v, x: v.endswith(x), True),
        ("NotEquals", lambda v, x: v == x, False),
        ("NotStartsWith", lambda v, x: v.startswith(x), False),
        ("NotEndsWith", lambda v, x: v.endswith(x), False),
    )
    for operator, test, positive in checks:
        operands = selector.get(operator)
        if not operands:
            continue
        hit = any(test(v, x) for v in values for x in operands)
        if hit != positive:
            return False
    return True


def _values(name: str, event: dict[str, Any]) -> Iterable[str]:
    if name == "resources.type":
        return _types(event)
    if name == "resources.ARN":
        return list(_arns(event, None))
    if name == "readOnly":
        return ["true" if event.get("readOnly") else "false"]
    if name == "userIdentity.arn":
        return [str((event.get("userIdentity") or {}).get("arn", ""))]
    value = event.get(name)
    return [] if value is None else [str(value)]


def _types(event: dict[str, Any]) -> list[str]:
    return [
        r.get("type", "") for r in event.get("resources") or [] if r.get("type") != "AWS::S3::Bucket"
    ] or [r.get("type", "") for r in event.get("resources") or []]


def _arns(event: dict[str, Any], kind: str | None) -> Iterator[str]:
    for resource in event.get("resources") or []:
        if kind is None or resource.get("type") == kind:
            yield resource.get("ARN") or resource.get("ARNPrefix") or ""
