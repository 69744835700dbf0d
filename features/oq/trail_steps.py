"""Steps of ``trail.feature``: what the live trail recorded (LookupEvents, the delivered log files) and
whether its log files validate against the signed digest chain (AWS's algorithm, ``trail_integrity``).

Imported by ``test_oq.py`` so that its ``scenarios(".")`` sees them. The delivery wait and the
validation window come from the specification for the trail's ``Environment`` tag.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid
from collections.abc import Callable
from typing import Any

import botocore.exceptions
from pytest_bdd import given, parsers, then, when

from features.support import Clients, read_listed, threshold, trim, wait_for
from harness import identity
from harness.validation import trail_integrity

TRAIL_REQ = "URS_068"
INTEGRITY_REQ = "URS_069"


# ============================================================================ the trail and who calls


@given("the platform trail", target_fixture="trail")
def platform_trail(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    trail = aws("cloudtrail").get_trail(Name=outputs["trail_arn"])["Trail"]
    tags = aws("cloudtrail").list_tags(ResourceIdList=[trail["TrailARN"]])["ResourceTagList"]
    environment = next(
        (t["Value"] for entry in tags for t in entry.get("TagsList", []) if t["Key"] == "Environment"), None
    )
    return {**trail, "Environment": environment}


@given("the identity running the qualification", target_fixture="caller")
def running_identity(aws: Clients) -> dict[str, Any]:
    return trim(aws("sts").get_caller_identity())


@given("a session of the auditor role", target_fixture="persona")
def auditor_session(outputs: dict[str, Any], target: Any) -> dict[str, Any]:
    """A person acting through the auditor role (session name and SourceIdentity carry the person)."""
    person = f"oq-trail-{uuid.uuid4().hex[:8]}"
    session = identity.assume(
        target, outputs["auditor_role_arn"], person, purpose="try a call it may not make"
    )
    who = identity.caller(session)
    return {
        "client": session.client,
        "arn": who.arn,
        "session": who.session_name,
        "person": who.source_identity,
    }


# ============================================================================================ actions


@when(
    parsers.parse("a probe object is uploaded to the evidence bucket under {prefix}"),
    target_fixture="probe",
)
def upload_probe(prefix: str, outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    bucket = outputs["evidence_bucket"]
    key = f"{prefix.rstrip('/')}/{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}.txt"
    body = f"trail probe uploaded at {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}\n".encode()
    put = aws("s3").put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm="SHA256")
    return {"bucket": bucket, "key": key, "arn": f"arn:aws:s3:::{bucket}/{key}", "put": trim(put)}


@when("the auditor attempts to create a model package group", target_fixture="attempt")
def auditor_attempts(persona: dict[str, Any]) -> dict[str, Any]:
    name = f"oq-trail-denied-{uuid.uuid4().hex[:8]}"
    started = dt.datetime.now(dt.UTC)
    sagemaker = persona["client"]("sagemaker")
    try:
        sagemaker.create_model_package_group(ModelPackageGroupName=name)
    except botocore.exceptions.ClientError as exc:
        return {"name": name, "started": started, "error": exc.response["Error"]}
    sagemaker.delete_model_package_group(ModelPackageGroupName=name)  # it should never have existed
    return {"name": name, "started": started, "error": None}


# ================================================================================= what is recorded


def _delivery_wait(trail: dict[str, Any]) -> float:
    return float(threshold(TRAIL_REQ, "delivery_seconds", trail.get("Environment")))


def _log_records(
    trail: dict[str, Any],
    aws: Clients,
    since: dt.datetime,
    wanted: Callable[[dict[str, Any]], bool],
    seen: dict[Any, bytes],
) -> list[dict[str, Any]]:
    """Records of the trail's log files delivered since ``since`` (its home region) that ``wanted`` keeps."""
    account = trail["TrailARN"].split(":")[4]
    region = trail["TrailARN"].split(":")[3]
    prefix = (trail.get("S3KeyPrefix") or "").strip("/")
    base = f"{prefix}/" if prefix else ""
    s3 = aws("s3")
    found: list[dict[str, Any]] = []
    days = {since.date(), dt.datetime.now(dt.UTC).date()}
    listed: list[dict[str, Any]] = []
    for day in sorted(days):
        listing = f"{base}AWSLogs/{account}/CloudTrail/{region}/{day:%Y/%m/%d}/"
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=trail["S3BucketName"], Prefix=listing
        ):
            listed += [
                obj
                for obj in page.get("Contents", [])
                if obj["LastModified"] >= since - dt.timedelta(minutes=1)
            ]
    for body in read_listed(s3, trail["S3BucketName"], listed, seen):
        found += [r for r in json.loads(gzip.decompress(body))["Records"] if wanted(r)]
    return found


def _wait_for_records(
    trail: dict[str, Any], aws: Clients, since: dt.datetime, wanted: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    seen: dict[Any, bytes] = {}  # bodies this wait has read (read_listed)
    return wait_for(
        lambda: _log_records(trail, aws, since, wanted, seen), timeout=_delivery_wait(trail), interval=0.5
    )


def _history(
    aws: Clients, event_name: str, since: dt.datetime, wanted: Callable[[dict[str, Any]], bool]
) -> Any:
    """The first LookupEvents event named ``event_name`` since ``since`` whose record ``wanted`` keeps."""
    kwargs: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": event_name}],
        "StartTime": since - dt.timedelta(minutes=5),
    }
    for page in aws("cloudtrail").get_paginator("lookup_events").paginate(**kwargs):
        for event in page["Events"]:
            record = json.loads(event["CloudTrailEvent"])
            if wanted(record):
                return event, record
    return None


@then(parsers.parse("the trail's log files record the PutObject of that object by that identity"))
def upload_recorded(
    probe: dict[str, Any], caller: dict[str, Any], trail: Any, aws: Clients, evidence: Any
) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)

    def the_upload(record: dict[str, Any]) -> bool:
        return record.get("eventName") == "PutObject" and any(
            r.get("ARN") == probe["arn"] for r in record.get("resources") or []
        )

    records = _wait_for_records(trail, aws, since, the_upload)
    evidence.attach("PutObject (probe)", probe["put"])
    evidence.attach("Trail log records of the upload", records)
    assert records, (
        f"no PutObject of {probe['arn']} in the trail's log files within {_delivery_wait(trail):.0f} s "
        "(are S3 data events of the evidence bucket selected?)"
    )
    record = records[0]
    assert record["userIdentity"]["arn"] == caller["Arn"], (record["userIdentity"], caller)
    assert record["userIdentity"]["accountId"] == caller["Account"]
    assert record["eventCategory"] == "Data" and record["eventSource"] == "s3.amazonaws.com"
    assert "errorCode" not in record, record


@then(
    "the event history holds the CreateTrainingJob call that created it, with the caller's identity",
    target_fixture="trail_record",
)
def training_in_history(training_job: dict[str, Any], aws: Clients, evidence: Any) -> dict[str, Any]:
    name = training_job["TrainingJobName"]
    created = training_job["CreationTime"]

    def the_job(record: dict[str, Any]) -> bool:
        return (record.get("requestParameters") or {}).get("trainingJobName") == name

    found = _history(aws, "CreateTrainingJob", created, the_job)
    assert found, f"no CreateTrainingJob of {name} in the event history since {created:%Y-%m-%dT%H:%M:%SZ}"
    event, record = found
    evidence.attach("LookupEvents CreateTrainingJob", {**event, "CloudTrailEvent": record})
    who = record["userIdentity"]
    assert who.get("arn") and who.get("type") in ("IAMUser", "AssumedRole", "Root"), who
    assert who["accountId"] == training_job["TrainingJobArn"].split(":")[4], who
    assert record["requestParameters"]["roleArn"] == training_job["RoleArn"], record["requestParameters"]
    assert (record.get("responseElements") or {}).get("trainingJobArn") == training_job["TrainingJobArn"]
    assert "errorCode" not in record, record
    return record


@then("the trail's log files record the same call")
def same_call_delivered(trail: Any, trail_record: dict[str, Any], aws: Clients, evidence: Any) -> None:
    record = trail_record
    since = dt.datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))
    records = _wait_for_records(trail, aws, since, lambda r: r.get("eventID") == record["eventID"])
    evidence.attach("Trail log record", records)
    assert records, (
        f"event {record['eventID']} not in the trail's log files within {_delivery_wait(trail):.0f} s"
    )
    delivered = records[0]
    for field in ("eventName", "eventSource", "eventTime", "userIdentity", "errorCode", "requestParameters"):
        assert delivered.get(field) == record.get(field), (field, delivered.get(field), record.get(field))


@then("the call is refused as access denied")
def refused(attempt: dict[str, Any], evidence: Any) -> None:
    evidence.attach(
        "CreateModelPackageGroup as the auditor", {"name": attempt["name"], "error": attempt["error"]}
    )
    assert attempt["error"] is not None, "the auditor created a model package group (deleted again)"
    assert attempt["error"]["Code"] in ("AccessDenied", "AccessDeniedException"), attempt["error"]


@then(
    "the event history holds the refused call with the auditor session's identity and the refusal",
    target_fixture="trail_record",
)
def refusal_in_history(
    attempt: dict[str, Any], persona: dict[str, Any], trail: Any, aws: Clients, evidence: Any
) -> dict[str, Any]:
    def the_attempt(record: dict[str, Any]) -> bool:
        return (record.get("requestParameters") or {}).get("modelPackageGroupName") == attempt["name"]

    found = wait_for(
        lambda: _history(aws, "CreateModelPackageGroup", attempt["started"], the_attempt),
        timeout=_delivery_wait(trail),
        interval=1.0,  # LookupEvents: AWS allows 2 requests per second per account and region
    )
    assert found, f"the refused CreateModelPackageGroup {attempt['name']} is not in the event history"
    event, record = found
    evidence.attach("LookupEvents CreateModelPackageGroup", {**event, "CloudTrailEvent": record})
    assert record["userIdentity"]["arn"] == persona["arn"], (record["userIdentity"], persona["arn"])
    assert record["userIdentity"]["type"] == "AssumedRole"
    assert record["errorCode"] == attempt["error"]["Code"], record
    assert record.get("errorMessage") == attempt["error"]["Message"], record
    assert event["Username"] == persona["session"], event["Username"]
    context = record["userIdentity"].get("sessionContext") or {}
    assert context.get("sourceIdentity") == persona["person"], context
    return record


# ========================================================================================= integrity


@when("the trail's digest and log files of the validation window are validated", target_fixture="validation")
def validate_window(trail: dict[str, Any], aws: Clients) -> dict[str, Any]:
    hours = float(threshold(INTEGRITY_REQ, "validation_window_hours", trail.get("Environment")))
    end = dt.datetime.now(dt.UTC)
    start = end - dt.timedelta(hours=hours)
    result = trail_integrity.validate(aws("cloudtrail"), aws("s3"), trail["TrailARN"], start, end)
    return {"start": start, "end": end, "result": result}


def _findings(result: trail_integrity.Result) -> list[dict[str, Any]]:
    return [vars(f) for f in result.findings]


@then("there is at least one digest file and every digest file's signature and chain are valid")
def digests_valid(validation: dict[str, Any], evidence: Any) -> None:
    result = validation["result"]
    evidence.attach("Trail validation", {"summary": result.summary(), "findings": _findings(result)})
    assert result.count("digest", True) >= 1, "no digest file in the validation window"
    bad = [f for f in result.invalid() if f.kind == "digest"]
    assert not bad, bad


@then("every log file's SHA-256 matches its digest")
def logs_valid(validation: dict[str, Any], evidence: Any) -> None:
    result = validation["result"]
    evidence.attach(
        "log files", [f for f in _findings(result) if f.get("kind") == "log"] or _findings(result)
    )
    assert result.count("log", True) >= 1, "no log file named by the digests"
    bad = [f for f in result.invalid() if f.kind == "log"]
    assert not bad, bad


@when("a copy of a delivered log file is altered in one record", target_fixture="altered")
def alter_copy(validation: dict[str, Any], aws: Clients) -> dict[str, Any]:
    valid_logs = [f for f in validation["result"].findings if f.kind == "log" and f.valid]
    assert valid_logs, "no valid log file to alter a copy of"
    log = valid_logs[0]
    content = json.loads(gzip.decompress(aws("s3").get_object(Bucket=log.bucket, Key=log.key)["Body"].read()))
    content["Records"][0]["sourceIPAddress"] = "203.0.113.1"  # TEST-NET-3: an address no caller has
    return {"bucket": log.bucket, "key": log.key, "bytes": gzip.compress(json.dumps(content).encode())}


@then("validating with the altered copy reports that log file's hash as not matching")
def altered_detected(
    trail: Any, validation: dict[str, Any], altered: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    result = trail_integrity.validate(
        aws("cloudtrail"),
        aws("s3"),
        trail["TrailARN"],
        validation["start"],
        validation["end"],
        replacements={(altered["bucket"], altered["key"]): altered["bytes"]},
    )
    evidence.attach(
        "Trail validation with an altered copy", {"summary": result.summary(), "findings": _findings(result)}
    )
    validation["altered_result"] = result
    invalid = [(f.key, f.reason) for f in result.invalid()]
    assert (altered["key"], "hash value doesn't match") in invalid, invalid


@then("every other file still validates")
def others_still_valid(validation: dict[str, Any], altered: dict[str, Any], evidence: Any) -> None:
    result = validation["altered_result"]
    evidence.attach("altered copy", {"key": altered["key"], "summary": result.summary()})
    others = [f for f in result.invalid() if f.key != altered["key"]]
    assert not others, others
    assert result.count("digest", True) >= 1
