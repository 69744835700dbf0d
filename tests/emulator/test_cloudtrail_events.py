"""CloudTrail records every call with the caller's identity, answers LookupEvents, delivers log files as
the trail's selectors ask and signs a digest chain that ``aws cloudtrail validate-logs`` accepts, and
rejects once a log file is altered. Runs on an emulator of its own that delivers every half second."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.emulator import control
from harness.validation import trail_integrity

REGION = "eu-central-1"
CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"})
LOG_KEY = re.compile(
    r"^trail/AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
    r"\1_CloudTrail_\2_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$"
)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.EmulatorInfo]:
    state_dir: Path = tmp_path_factory.mktemp("trail-emulator")
    saved = {
        k: os.environ.get(k) for k in ("EMULATOR_TRAIL_DELIVERY_SECONDS", "EMULATOR_TRAIL_DIGEST_SECONDS")
    }
    os.environ.update(EMULATOR_TRAIL_DELIVERY_SECONDS="0.5", EMULATOR_TRAIL_DIGEST_SECONDS="1")
    try:
        info = control.start(control.free_port(), state_dir=state_dir)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        yield info
    finally:
        control.stop(state_dir)


@pytest.fixture(scope="module")
def aws(emulator: control.EmulatorInfo) -> Callable[..., Any]:
    def make(service: str, credentials: dict[str, str] | None = None, region: str = REGION) -> Any:
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        if credentials:
            keys = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=emulator.endpoint_url,
            verify=str(emulator.ca_bundle),
            config=CONFIG,
            **keys,
        )

    return make


@pytest.fixture(scope="module")
def trail(aws: Callable[..., Any]) -> dict[str, str]:
    """A logging multi-region trail with SSE-KMS and validation; S3 data events on the data bucket and
    on its own bucket except its delivery prefix (advanced event selectors)."""
    s3, ct = aws("s3"), aws("cloudtrail")
    suffix = uuid.uuid4().hex[:8]
    names = {"logs": f"trail-logs-{suffix}", "data": f"trail-data-{suffix}", "other": f"trail-other-{suffix}"}
    for bucket in names.values():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    key_arn = aws("kms").create_key(Description="trail logs")["KeyMetadata"]["Arn"]
    arn = ct.create_trail(
        Name=f"trail-{suffix}",
        S3BucketName=names["logs"],
        S3KeyPrefix="trail",
        KmsKeyId=key_arn,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
    )["TrailARN"]
    logs = f"arn:aws:s3:::{names['logs']}/"
    ct.put_event_selectors(
        TrailName=arn,
        AdvancedEventSelectors=[
            {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
            {
                "Name": "data",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {
                        "Field": "resources.ARN",
                        "StartsWith": [f"arn:aws:s3:::{names['data']}/", logs],
                        "NotStartsWith": [f"{logs}trail/"],
                    },
                ],
            },
        ],
    )
    ct.start_logging(Name=arn)
    return {**names, "arn": arn, "key": key_arn}


def _persona(aws: Callable[..., Any], person: str) -> tuple[str, dict[str, str]]:
    """A role anyone may assume, assumed with ``person`` as RoleSessionName and SourceIdentity."""
    name = f"persona-{uuid.uuid4().hex[:8]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            }
        ],
    }
    role_arn = aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    credentials = aws("sts").assume_role(RoleArn=role_arn, RoleSessionName=person, SourceIdentity=person)[
        "Credentials"
    ]
    return role_arn, credentials


def _lookup(aws: Callable[..., Any], key: str, value: str) -> list[dict[str, Any]]:
    return aws("cloudtrail").lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])[
        "Events"
    ]


def _delivered(aws: Callable[..., Any], trail: dict[str, str], timeout: float = 15.0) -> list[dict[str, Any]]:
    """Every record in the trail's delivered log files (waits until the digest covering them exists)."""
    s3 = aws("s3")
    deadline = time.monotonic() + timeout
    while True:
        keys = [
            o["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=trail["logs"], Prefix="trail/")
            for o in page.get("Contents", [])
        ]
        if any("/CloudTrail-Digest/" in k for k in keys) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    records = []
    for key in keys:
        if "/CloudTrail/" in key:
            assert LOG_KEY.match(key), key
            records += json.loads(
                gzip.decompress(s3.get_object(Bucket=trail["logs"], Key=key)["Body"].read())
            )["Records"]
    return records


def _wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def test_management_events_carry_the_callers_identity_and_errors(aws: Callable[..., Any], trail: Any) -> None:
    role_arn, credentials = _persona(aws, "alice@example.com")
    scientist = aws("sagemaker", credentials)
    with pytest.raises(ClientError):
        scientist.describe_training_job(TrainingJobName="does-not-exist")

    events = _lookup(aws, "AccessKeyId", credentials["AccessKeyId"])
    assert [e["EventName"] for e in events] == ["DescribeTrainingJob"]
    assert events[0]["Username"] == "alice@example.com"
    assert events[0]["Resources"] == [
        {"ResourceType": "AWS::SageMaker::TrainingJob", "ResourceName": "does-not-exist"}
    ]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["eventSource"] == "sagemaker.amazonaws.com"
    assert record["awsRegion"] == REGION
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["eventTime"])
    # The role has no policy: IAM denies the call, the record keeps AWS's error code and message.
    assert record["errorCode"] == "AccessDeniedException"
    assert record["errorMessage"].startswith(f"User: {record['userIdentity']['arn']} is not authorized")
    assert record["requestParameters"] == {"trainingJobName": "does-not-exist"}
    assert record["readOnly"] is True and record["managementEvent"] is True
    assert (record["eventType"], record["eventCategory"]) == ("AwsApiCall", "Management")
    who = record["userIdentity"]
    assert who["type"] == "AssumedRole"
    assert who["arn"] == f"arn:aws:sts::123456789012:assumed-role/{role_arn.split('/')[-1]}/alice@example.com"
    assert who["sessionContext"]["sessionIssuer"]["arn"] == role_arn
    assert who["sessionContext"]["sourceIdentity"] == "alice@example.com"
    assert who["arn"] == aws("sts", credentials).get_caller_identity()["Arn"]

    # The AssumeRole call itself: requested by the administrator, the secret never recorded.
    assume = json.loads(_lookup(aws, "EventName", "AssumeRole")[0]["CloudTrailEvent"])
    assert assume["requestParameters"]["sourceIdentity"] == "alice@example.com"
    assert assume["responseElements"]["credentials"]["secretAccessKey"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert credentials["SecretAccessKey"] not in json.dumps(assume)
    # IAM is global: its events are in us-east-1's history, with their response elements.
    east = aws("cloudtrail", region="us-east-1")
    created = east.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": role_arn.split("/")[-1]}]
    )
    record = json.loads(created["Events"][0]["CloudTrailEvent"])
    assert record["eventName"] == "CreateRole" and record["responseElements"]["role"]["arn"] == role_arn


def test_lookup_events_filters_pages_and_refuses_what_aws_refuses(
    aws: Callable[..., Any], trail: Any
) -> None:
    ct = aws("cloudtrail")
    for _ in range(3):
        ct.get_trail_status(Name=trail["arn"])
    first = ct.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetTrailStatus"}], MaxResults=2
    )
    assert len(first["Events"]) == 2 and first["NextToken"]
    rest = ct.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetTrailStatus"}],
        MaxResults=2,
        NextToken=first["NextToken"],
    )
    ids = [e["EventId"] for e in first["Events"] + rest["Events"]]
    assert len(ids) == len(set(ids)) >= 3
    times = [e["EventTime"] for e in first["Events"] + rest["Events"]]
    assert times == sorted(times, reverse=True)
    assert all(e["ReadOnly"] == "true" for e in _lookup(aws, "ReadOnly", "true"))
    assert {e["EventName"] for e in _lookup(aws, "ReadOnly", "false")} >= {"CreateTrail", "StartLogging"}
    assert _lookup(aws, "EventSource", "cloudtrail.amazonaws.com")
    one = _lookup(aws, "EventId", ids[0])
    assert [e["EventId"] for e in one] == [ids[0]]
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert ct.lookup_events(StartTime=future, EndTime=future + dt.timedelta(hours=1))["Events"] == []
    for kwargs, code in (
        (
            {
                "LookupAttributes": [
                    {"AttributeKey": "EventName", "AttributeValue": "A"},
                    {"AttributeKey": "Username", "AttributeValue": "B"},
                ]
            },
            "InvalidLookupAttributesException",
        ),
        ({"StartTime": future, "EndTime": future - dt.timedelta(hours=2)}, "InvalidTimeRangeException"),
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        ({"NextToken": "bm90LWFuLWV2ZW50"}, "InvalidNextTokenException"),
    ):
        with pytest.raises(ClientError) as excinfo:
            ct.lookup_events(**kwargs)
        assert excinfo.value.response["Error"]["Code"] == code


def test_log_files_hold_what_the_selectors_ask_encrypted_with_the_trail_key(
    aws: Callable[..., Any], trail: Any
) -> None:
    s3 = aws("s3")
    s3.put_object(Bucket=trail["data"], Key="raw/subjects.csv", Body=b"age\n72\n")
    s3.get_object(Bucket=trail["data"], Key="raw/subjects.csv")
    s3.put_object(Bucket=trail["other"], Key="not-selected.txt", Body=b"x")
    s3.put_object(Bucket=trail["logs"], Key="notes/selected.txt", Body=b"x")
    s3.put_object(Bucket=trail["logs"], Key="trail/excluded.txt", Body=b"x")
    with pytest.raises(ClientError):
        s3.get_object(Bucket=trail["data"], Key="missing.csv")

    def wanted() -> list[dict[str, Any]]:
        records = _delivered(aws, trail)
        return records if any(r["eventName"] == "GetObject" and r.get("errorCode") for r in records) else []

    records = _wait_for(wanted)
    data = [(r["eventName"], r["resources"][0]["ARN"]) for r in records if r["eventCategory"] == "Data"]
    assert ("PutObject", f"arn:aws:s3:::{trail['data']}/raw/subjects.csv") in data
    assert ("GetObject", f"arn:aws:s3:::{trail['data']}/raw/subjects.csv") in data
    assert ("PutObject", f"arn:aws:s3:::{trail['logs']}/notes/selected.txt") in data
    assert not [arn for _, arn in data if trail["other"] in arn or "/trail/" in arn]
    missing = next(r for r in records if r["eventName"] == "GetObject" and r.get("errorCode"))
    assert missing["errorCode"] == "NoSuchKey" and missing["managementEvent"] is False
    put = next(
        r for r in records if r["eventName"] == "PutObject" and trail["data"] in r["resources"][0]["ARN"]
    )
    assert put["requestParameters"]["bucketName"] == trail["data"]
    assert put["requestParameters"]["key"] == "raw/subjects.csv"
    # Data events are not in the event history.
    assert not [e for e in _lookup(aws, "EventName", "PutObject")]
    log_key = next(
        o["Key"]
        for o in s3.list_objects_v2(Bucket=trail["logs"], Prefix="trail/")["Contents"]
        if "/CloudTrail/" in o["Key"]
    )
    head = s3.head_object(Bucket=trail["logs"], Key=log_key)
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", trail["key"])
    status = aws("cloudtrail").get_trail_status(Name=trail["arn"])
    assert status["IsLogging"] and status["LatestDeliveryTime"] and status["LatestDigestDeliveryTime"]


def test_stop_logging_stops_delivery(aws: Callable[..., Any], trail: Any) -> None:
    ct, s3 = aws("cloudtrail"), aws("s3")
    ct.stop_logging(Name=trail["arn"])
    s3.put_object(Bucket=trail["data"], Key="while-stopped.csv", Body=b"x")
    time.sleep(1.5)
    ct.start_logging(Name=trail["arn"])
    s3.put_object(Bucket=trail["data"], Key="after-start.csv", Body=b"x")
    records = _wait_for(
        lambda: (
            [r for r in _delivered(aws, trail) if "after-start" in json.dumps(r)] and _delivered(aws, trail)
        )
    )
    arns = {r["resources"][0]["ARN"] for r in records if r["eventCategory"] == "Data"}
    assert f"arn:aws:s3:::{trail['data']}/after-start.csv" in arns
    assert f"arn:aws:s3:::{trail['data']}/while-stopped.csv" not in arns


def test_our_validator_follows_the_chain_and_detects_an_altered_copy(
    aws: Callable[..., Any], trail: Any
) -> None:
    aws("s3").put_object(Bucket=trail["data"], Key="ours.csv", Body=b"x")
    _wait_for(lambda: [r for r in _delivered(aws, trail) if "ours.csv" in json.dumps(r)])
    time.sleep(1.5)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    ct, s3 = aws("cloudtrail"), aws("s3")
    result = trail_integrity.validate(ct, s3, trail["arn"], start)
    assert result.ok, result.invalid()
    assert result.count("digest", True) >= 2 and result.count("log", True) >= 2

    log = next(f for f in result.findings if f.kind == "log")
    content = gzip.decompress(s3.get_object(Bucket=log.bucket, Key=log.key)["Body"].read())
    altered = gzip.compress(content.replace(b"127.0.0.1", b"127.0.0.2", 1))
    tampered = trail_integrity.validate(
        ct, s3, trail["arn"], start, replacements={(log.bucket, log.key): altered}
    )
    assert not tampered.ok
    assert [(f.key, f.reason) for f in tampered.invalid()] == [(log.key, "hash value doesn't match")]

    digest = next(f for f in result.findings if f.kind == "digest")
    body = json.loads(gzip.decompress(s3.get_object(Bucket=digest.bucket, Key=digest.key)["Body"].read()))
    body["logFiles"] = []
    forged = trail_integrity.validate(
        ct,
        s3,
        trail["arn"],
        start,
        replacements={(digest.bucket, digest.key): gzip.compress(json.dumps(body).encode())},
    )
    reasons = {f.reason for f in forged.invalid() if f.key == digest.key}
    # the newest digest's signature fails; an older one no longer matches what its successor recorded
    assert reasons & {"signature verification failed", "hash differs from the one the next digest records"}


def _validate_logs(
    emulator: control.EmulatorInfo, trail_arn: str, start: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": emulator.endpoint_url,
        "AWS_CA_BUNDLE": str(emulator.ca_bundle),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "1",
    }
    aws_cli = str(Path(sys.executable).parent / "aws")
    return subprocess.run(
        [
            aws_cli,
            "cloudtrail",
            "validate-logs",
            "--trail-arn",
            trail_arn,
            "--start-time",
            start,
            "--verbose",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_validate_logs_accepts_the_delivered_logs_and_rejects_a_tampered_one(
    emulator: control.EmulatorInfo, aws: Callable[..., Any], trail: Any
) -> None:
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    aws("s3").put_object(Bucket=trail["data"], Key="validated.csv", Body=b"x")
    _wait_for(lambda: [r for r in _delivered(aws, trail) if "validated.csv" in json.dumps(r)])
    time.sleep(1.5)  # the digest that covers it
    good = _validate_logs(emulator, trail["arn"], start)
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"(\d+)/\1 digest files valid", good.stdout), good.stdout
    assert re.search(r"(\d+)/\1 log files valid", good.stdout), good.stdout

    s3 = aws("s3")
    log_key = next(
        o["Key"]
        for o in s3.list_objects_v2(Bucket=trail["logs"], Prefix="trail/")["Contents"]
        if "/CloudTrail/" in o["Key"]
    )
    content = json.loads(gzip.decompress(s3.get_object(Bucket=trail["logs"], Key=log_key)["Body"].read()))
    content["Records"][0]["sourceIPAddress"] = "203.0.113.7"
    s3.put_object(Bucket=trail["logs"], Key=log_key, Body=gzip.compress(json.dumps(content).encode()))
    bad = _validate_logs(emulator, trail["arn"], start)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert f"{log_key}\tINVALID: hash value doesn't match" in bad.stderr


def test_list_public_keys_is_authorised_like_any_call(aws: Callable[..., Any], trail: Any) -> None:
    """ListPublicKeys has no resource (``*``): a role needs cloudtrail:ListPublicKeys to validate logs."""
    role_arn, credentials = _persona(aws, "victor.validator")
    with pytest.raises(ClientError) as excinfo:
        aws("cloudtrail", credentials).list_public_keys()
    assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "cloudtrail:ListPublicKeys", "Resource": "*"}],
    }
    aws("iam").put_role_policy(
        RoleName=role_arn.split("/")[-1], PolicyName="validate-logs", PolicyDocument=json.dumps(policy)
    )
    keys = aws("cloudtrail", credentials).list_public_keys()["PublicKeyList"]
    assert keys and keys[0]["Fingerprint"] and keys[0]["Value"]
