"""Feature Store (control plane, records, offline store) and Athena queries over it, on a real emulator."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/feature-store"
FEATURES = [
    ("subject_id", "String"),
    ("event_time", "String"),
    ("age", "Integral"),
    ("prior_dropout", "Integral"),
    ("missed_visit_rate", "Fractional"),
]


@pytest.fixture(scope="module")
def lake(aws: Callable[..., Any]) -> dict[str, str]:
    """A data lake bucket, a KMS key, a Glue database and an enforced, encrypted Athena workgroup."""
    suffix = uuid.uuid4().hex[:8]
    bucket = f"lake-{suffix}"
    aws("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    key = aws("kms").create_key(Description="data")["KeyMetadata"]["Arn"]
    database = f"features_{suffix}"
    aws("glue").create_database(DatabaseInput={"Name": database})
    workgroup = f"wg-{suffix}"
    aws("athena").create_work_group(
        Name=workgroup,
        Configuration={
            "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": 10 * 1024 * 1024,
            "ResultConfiguration": {
                "OutputLocation": f"s3://{bucket}/athena-results/",
                "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": key},
            },
        },
    )
    return {"bucket": bucket, "key": key, "database": database, "workgroup": workgroup}


def _create_group(aws: Callable[..., Any], lake: dict[str, str], name: str) -> dict[str, Any]:
    sm = aws("sagemaker")
    sm.create_feature_group(
        FeatureGroupName=name,
        RecordIdentifierFeatureName="subject_id",
        EventTimeFeatureName="event_time",
        FeatureDefinitions=[{"FeatureName": n, "FeatureType": t} for n, t in FEATURES],
        OnlineStoreConfig={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": lake["key"]}},
        OfflineStoreConfig={
            "S3StorageConfig": {"S3Uri": f"s3://{lake['bucket']}/feature-store", "KmsKeyId": lake["key"]},
            "DataCatalogConfig": {
                "Catalog": "AwsDataCatalog",
                "Database": lake["database"],
                "TableName": name.replace("-", "_"),
            },
        },
        RoleArn=ROLE,
        Description="subjects",
    )
    return sm.describe_feature_group(FeatureGroupName=name)


def _record(subject: str, age: int, when: str = "2026-12-01T10:00:00Z") -> list[dict[str, str]]:
    values = {"subject_id": subject, "event_time": when, "age": str(age), "prior_dropout": "1"}
    values["missed_visit_rate"] = "0.25"
    return [{"FeatureName": k, "ValueAsString": v} for k, v in values.items()]


def _query(aws: Callable[..., Any], lake: dict[str, str], sql: str, **extra: Any) -> dict[str, Any]:
    athena = aws("athena")
    qid = athena.start_query_execution(
        QueryString=sql,
        QueryExecutionContext={"Database": lake["database"]},
        WorkGroup=lake["workgroup"],
        **extra,
    )["QueryExecutionId"]
    for _ in range(100):
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] not in ("QUEUED", "RUNNING"):
            return execution
        time.sleep(0.1)
    raise AssertionError(f"query {qid} did not finish")


def test_feature_group_describes_as_aws_with_glue_table(
    aws: Callable[..., Any], lake: dict[str, str]
) -> None:
    name = f"subjects-{uuid.uuid4().hex[:6]}"
    desc = _create_group(aws, lake, name)
    assert desc["FeatureGroupStatus"] == "Created"
    assert desc["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"] == lake["key"]
    assert desc["OfflineStoreStatus"]["Status"] == "Active"
    resolved = desc["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"]
    assert resolved.startswith(
        f"s3://{lake['bucket']}/feature-store/123456789012/sagemaker/eu-central-1/offline-store/"
    )
    table = aws("glue").get_table(DatabaseName=lake["database"], Name=name.replace("-", "_"))["Table"]
    columns = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    assert columns == [n for n, _ in FEATURES] + ["write_time", "api_invocation_time", "is_deleted"]
    assert table["StorageDescriptor"]["Location"] == resolved
    names = [s["FeatureGroupName"] for s in aws("sagemaker").list_feature_groups()["FeatureGroupSummaries"]]
    assert name in names
    tags = aws("sagemaker").list_tags(ResourceArn=desc["FeatureGroupArn"])["Tags"]
    assert tags == []
    aws("sagemaker").delete_feature_group(FeatureGroupName=name)
    with pytest.raises(ClientError) as err:
        aws("sagemaker").describe_feature_group(FeatureGroupName=name)
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"
    # AWS keeps the offline store's Glue table when the group is deleted
    aws("glue").get_table(DatabaseName=lake["database"], Name=name.replace("-", "_"))


def test_create_refuses_a_record_identifier_that_is_not_a_feature(aws: Callable[..., Any]) -> None:
    with pytest.raises(ClientError) as err:
        aws("sagemaker").create_feature_group(
            FeatureGroupName=f"bad-{uuid.uuid4().hex[:6]}",
            RecordIdentifierFeatureName="nope",
            EventTimeFeatureName="event_time",
            FeatureDefinitions=[{"FeatureName": "event_time", "FeatureType": "String"}],
            OnlineStoreConfig={"EnableOnlineStore": True},
        )
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "nope" in err.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ([{"FeatureName": "event_time", "ValueAsString": "2026-12-01T10:00:00Z"}], "subject_id"),
        ([{"FeatureName": "subject_id", "ValueAsString": "s-1"}], "event_time"),
        ([*_record("s-1", 70)[:2], {"FeatureName": "age", "ValueAsString": "seventy"}], "Integral"),
        ([*_record("s-1", 70), {"FeatureName": "height", "ValueAsString": "1"}], "height"),
        (_record("s-1", 70, when="01/12/2026 10:00"), "ISO 8601"),
        ([*_record("s-1", 70), {"FeatureName": "age", "ValueAsString": "71"}], "more than once"),
    ],
    ids=["no-identifier", "no-event-time", "bad-integral", "unknown-feature", "bad-event-time", "duplicate"],
)
def test_put_record_validates_as_aws(
    aws: Callable[..., Any], lake: dict[str, str], record: list[dict[str, str]], fragment: str
) -> None:
    name = f"v-{uuid.uuid4().hex[:6]}"
    _create_group(aws, lake, name)
    runtime = aws("sagemaker-featurestore-runtime")
    with pytest.raises(ClientError) as err:
        runtime.put_record(FeatureGroupName=name, Record=record)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert fragment in err.value.response["Error"]["Message"]
    assert "Record" not in runtime.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="s-1")


def test_online_offline_and_athena(aws: Callable[..., Any], lake: dict[str, str]) -> None:
    name = f"subjects-{uuid.uuid4().hex[:6]}"
    desc = _create_group(aws, lake, name)
    runtime = aws("sagemaker-featurestore-runtime")
    for i in range(20):
        runtime.put_record(FeatureGroupName=name, Record=_record(f"s-{i}", 40 + i))
    # an older event time reaches the offline store only
    runtime.put_record(FeatureGroupName=name, Record=_record("s-0", 99, when="2026-11-30T10:00:00Z"))
    got = runtime.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="s-0")["Record"]
    assert {f["FeatureName"]: f["ValueAsString"] for f in got}["age"] == "40"
    batch = runtime.batch_get_record(
        Identifiers=[{"FeatureGroupName": name, "RecordIdentifiersValueAsString": ["s-1", "s-2", "missing"]}]
    )
    assert sorted(r["RecordIdentifierValueAsString"] for r in batch["Records"]) == ["s-1", "s-2"]
    with pytest.raises(ClientError) as err:
        runtime.get_record(FeatureGroupName="no-such-group", RecordIdentifierValueAsString="s-1")
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"

    # offline: Parquet under AWS's layout, with the offline store's key
    resolved = desc["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"]
    prefix = resolved.split(lake["bucket"] + "/", 1)[1]
    s3 = aws("s3")
    deadline = time.monotonic() + 10
    keys: list[str] = []
    while time.monotonic() < deadline:
        keys = [
            o["Key"] for o in s3.list_objects_v2(Bucket=lake["bucket"], Prefix=prefix).get("Contents", [])
        ]
        if keys:
            break
        time.sleep(0.2)
    assert keys and all(k.endswith(".parquet") and "/year=" in k and "/hour=" in k for k in keys)
    head = s3.head_object(Bucket=lake["bucket"], Key=keys[0])
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"].endswith(
        lake["key"].split("/")[-1]
    )

    table = name.replace("-", "_")
    deadline = time.monotonic() + 10
    while True:
        execution = _query(aws, lake, f'SELECT count(*) AS n FROM "{table}"')
        rows = aws("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])["ResultSet"][
            "Rows"
        ]
        if rows[1]["Data"][0]["VarCharValue"] == "21" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert rows[0]["Data"][0]["VarCharValue"] == "n" and rows[1]["Data"][0]["VarCharValue"] == "21"
    assert execution["Statistics"]["DataScannedInBytes"] > 0

    # the workgroup's settings win over what the query asks for
    asked = {"ResultConfiguration": {"OutputLocation": f"s3://{lake['bucket']}/elsewhere/"}}
    execution = _query(aws, lake, f"SELECT avg(age) FROM \"{table}\" WHERE subject_id = 's-3'", **asked)
    location = execution["ResultConfiguration"]["OutputLocation"]
    assert location == f"s3://{lake['bucket']}/athena-results/{execution['QueryExecutionId']}.csv"
    result = s3.get_object(Bucket=lake["bucket"], Key=location.split(lake["bucket"] + "/", 1)[1])
    assert result["ServerSideEncryption"] == "aws:kms"
    assert result["Body"].read().decode().splitlines()[1] == '"43.0"'


def test_athena_refuses_bad_sql_and_fails_unknown_tables(
    aws: Callable[..., Any], lake: dict[str, str]
) -> None:
    with pytest.raises(ClientError) as err:
        aws("athena").start_query_execution(QueryString="SELEC 1", WorkGroup=lake["workgroup"])
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    execution = _query(aws, lake, "SELECT * FROM no_such_table")
    assert execution["Status"]["State"] == "FAILED"
    assert "no_such_table" in execution["Status"]["StateChangeReason"]
    with pytest.raises(ClientError) as err:
        aws("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    assert "FAILED" in err.value.response["Error"]["Message"]
