"""Fixtures and the shared step vocabulary of the IQ/OQ suites.

The suites run against whatever target the environment selects (``TARGET``, default ``local``; the
emulator's state folder follows ``HARNESS_WORK_DIR``). Terraform outputs are read once, only to
*locate* resources (names and ARNs); every assertion reads the live resource through boto3 and
attaches what it compared with ``evidence.attach``. There is no per-target branch anywhere.

Run them with::

    .venv/bin/python -m pytest -p harness.validation.pytest_plugin --strict-markers \\
        --evidence-dir DIR features/iq features/oq
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pytest_bdd import given, parsers, then, when

from features.support import BUCKETS, KEY_PURPOSES, Clients, threshold, trim
from harness import featurestore
from harness import target as targets
from harness.layout import OUTPUTS_FILE
from harness.provisioning import Layout, Platform, layout_from_env


@pytest.fixture(scope="session")
def layout() -> Layout:
    return layout_from_env()


@pytest.fixture(scope="session")
def target(layout: Layout) -> targets.Target:
    name = targets.target_name(os.environ)
    return targets.resolve(name, state_dir=layout.emulator_dir, environ=os.environ)


@pytest.fixture(scope="session")
def platform(target: targets.Target, layout: Layout) -> Platform:
    return Platform(target, layout=layout)


@pytest.fixture(scope="session")
def outputs(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Terraform outputs: names and ARNs that locate resources (nothing is asserted on them)."""
    handed = os.environ.get(OUTPUTS_FILE)
    if handed and not Path(handed).is_file():
        pytest.fail(f"{OUTPUTS_FILE} names {handed}, which does not exist: the outputs were not handed over")
    values = json.loads(Path(handed).read_text()) if handed else request.getfixturevalue("platform").outputs()
    if not values.get("data_lake_bucket"):
        pytest.fail(
            f"the platform is not applied on target {targets.target_name(os.environ)}: run `make apply` first"
        )
    return values


@pytest.fixture(scope="session")
def aws(target: targets.Target) -> Clients:
    return Clients(target)


@pytest.fixture(scope="session")
def key_arn_for(outputs: dict[str, Any]) -> Callable[[str], str]:
    """The ARN of the platform key for a purpose in plain words ("data at rest")."""

    def lookup(purpose: str) -> str:
        assert purpose in KEY_PURPOSES, f"unknown key purpose {purpose!r}; known: {sorted(KEY_PURPOSES)}"
        return outputs["kms_key_arns"][KEY_PURPOSES[purpose]]

    return lookup


@pytest.fixture(scope="session")
def key_matches(aws: Clients) -> Callable[[str | None, str], dict[str, Any]]:
    """Compare a key reference as a service reports it (id, ARN or alias) with a platform key, live.

    Returns what was compared; asserts that both resolve (DescribeKey) to the same key ARN.
    """

    def compare(reported: str | None, expected_arn: str) -> dict[str, Any]:
        assert reported, "no KMS key is configured"
        seen = aws("kms").describe_key(KeyId=reported)["KeyMetadata"]
        wanted = aws("kms").describe_key(KeyId=expected_arn)["KeyMetadata"]
        compared = {
            "reported": reported,
            "reported_resolves_to": seen["Arn"],
            "expected": wanted["Arn"],
            "key_manager": seen["KeyManager"],
        }
        assert seen["Arn"] == wanted["Arn"], compared
        assert seen["KeyManager"] == "CUSTOMER", compared
        return compared

    return compare


# -- shared steps ----------------------------------------------------------------------------------


@given(parsers.parse("the KMS key for {purpose}"), target_fixture="kms_key")
def the_kms_key(purpose: str, key_arn_for: Callable[[str], str], aws: Clients) -> dict[str, Any]:
    arn = key_arn_for(purpose)
    return {"purpose": purpose, "arn": arn, "metadata": aws("kms").describe_key(KeyId=arn)["KeyMetadata"]}


@given(parsers.parse("the {name} bucket"), target_fixture="bucket")
def the_bucket(name: str, outputs: dict[str, Any], aws: Clients) -> str:
    assert name in BUCKETS, f"unknown bucket {name!r}; known: {sorted(BUCKETS)}"
    bucket = outputs[BUCKETS[name]]
    aws("s3").head_bucket(Bucket=bucket)
    return bucket


@given("the SageMaker endpoint", target_fixture="endpoint")
def the_endpoint(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    name = outputs.get("endpoint_name")
    assert name, "no endpoint is deployed: run `make train deploy` first"
    return aws("sagemaker").describe_endpoint(EndpointName=name)


@then("the endpoint is InService")
def endpoint_in_service(endpoint: dict[str, Any], aws: Clients, evidence: Any) -> None:
    live = aws("sagemaker").describe_endpoint(EndpointName=endpoint["EndpointName"])
    evidence.attach("DescribeEndpoint", trim(live))
    assert live["EndpointStatus"] == "InService", live.get("FailureReason")


# -- Feature Store, Glue Data Catalog and Athena (IQ and OQ) ---------------------------------------

GLUE_TYPES = {"Integral": "bigint", "Fractional": "double", "String": "string"}


@given("the subjects' feature group", target_fixture="feature_group")
def the_feature_group(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    name = outputs.get("feature_group_name")
    assert name, "the platform has no feature group: run `make apply`"
    return aws("sagemaker").describe_feature_group(FeatureGroupName=name)


@then(
    "its features are the record identifier, the event time, the model's features and the label, "
    "typed as specified"
)
def feature_group_definitions(feature_group: dict[str, Any], evidence: Any) -> None:
    wanted = [tuple(item.split(":")) for item in str(threshold("URS_090", "features")).split(",")]
    live = [(d["FeatureName"], d["FeatureType"]) for d in feature_group["FeatureDefinitions"]]
    compared = {
        "specified": wanted,
        "live": live,
        "record_identifier": feature_group["RecordIdentifierFeatureName"],
        "event_time": feature_group["EventTimeFeatureName"],
    }
    evidence.attach("DescribeFeatureGroup", trim(feature_group))
    evidence.attach("compared", compared)
    assert live == wanted, compared
    assert feature_group["RecordIdentifierFeatureName"] == threshold("URS_090", "record_identifier"), compared
    assert feature_group["EventTimeFeatureName"] == threshold("URS_090", "event_time"), compared


@then(parsers.parse("the online store is encrypted with the KMS key for {purpose}"))
def online_store_encrypted(
    feature_group: dict[str, Any],
    purpose: str,
    key_arn_for: Callable[[str], str],
    key_matches: Any,
    evidence: Any,
) -> None:
    online = feature_group.get("OnlineStoreConfig") or {}
    evidence.attach("OnlineStoreConfig", online)
    assert online.get("EnableOnlineStore") is True, online
    evidence.attach(
        "key", key_matches((online.get("SecurityConfig") or {}).get("KmsKeyId"), key_arn_for(purpose))
    )


@then(parsers.parse("the offline store writes to the data lake encrypted with the KMS key for {purpose}"))
def offline_store_encrypted(
    feature_group: dict[str, Any],
    purpose: str,
    outputs: dict[str, Any],
    key_arn_for: Callable[[str], str],
    key_matches: Any,
    evidence: Any,
) -> None:
    storage = (feature_group.get("OfflineStoreConfig") or {}).get("S3StorageConfig") or {}
    evidence.attach("OfflineStoreConfig", feature_group.get("OfflineStoreConfig"))
    bucket, _ = featurestore_location(storage.get("S3Uri", ""))
    assert bucket == outputs["data_lake_bucket"], storage
    assert str(storage.get("ResolvedOutputS3Uri", "")).startswith(storage["S3Uri"].rstrip("/") + "/"), storage
    assert (feature_group.get("OfflineStoreStatus") or {}).get("Status") == "Active", feature_group
    evidence.attach("key", key_matches(storage.get("KmsKeyId"), key_arn_for(purpose)))


def featurestore_location(uri: str) -> tuple[str, str]:
    from features.support import s3_location

    return s3_location(uri)


@then("the offline store's Glue table has a column of the matching type for every feature")
def glue_table_columns(feature_group: dict[str, Any], aws: Clients, evidence: Any) -> None:
    catalog = feature_group["OfflineStoreConfig"]["DataCatalogConfig"]
    table = aws("glue").get_table(DatabaseName=catalog["Database"], Name=catalog["TableName"])["Table"]
    evidence.attach("GetTable", trim(table))
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    for definition in feature_group["FeatureDefinitions"]:
        name, kind = definition["FeatureName"].lower(), GLUE_TYPES[definition["FeatureType"]]
        assert columns.get(name) == kind, f"column {name}: {columns.get(name)} (expected {kind})"


@then("the Glue table points at the offline store's location in the data lake")
def glue_table_location(feature_group: dict[str, Any], aws: Clients, evidence: Any) -> None:
    config = feature_group["OfflineStoreConfig"]
    catalog = config["DataCatalogConfig"]
    table = aws("glue").get_table(DatabaseName=catalog["Database"], Name=catalog["TableName"])["Table"]
    compared = {
        "table_location": table["StorageDescriptor"]["Location"],
        "offline_store": config["S3StorageConfig"]["ResolvedOutputS3Uri"],
    }
    evidence.attach("compared", compared)
    assert compared["table_location"].rstrip("/") == compared["offline_store"].rstrip("/"), compared


@given("the platform's Athena workgroup", target_fixture="workgroup")
def the_workgroup(outputs: dict[str, Any], aws: Clients, evidence: Any) -> dict[str, Any]:
    workgroup = aws("athena").get_work_group(WorkGroup=outputs["athena_workgroup_name"])["WorkGroup"]
    evidence.attach("GetWorkGroup", trim(workgroup))
    return workgroup


@then("the workgroup enforces its configuration on every query")
def workgroup_enforced(workgroup: dict[str, Any], evidence: Any) -> None:
    evidence.attach("compared", {"State": workgroup["State"], "Configuration": workgroup["Configuration"]})
    assert workgroup["State"] == "ENABLED", workgroup
    assert workgroup["Configuration"].get("EnforceWorkGroupConfiguration") is True, workgroup["Configuration"]


@then(parsers.parse("query results go to the data lake encrypted with the KMS key for {purpose}"))
def workgroup_results_encrypted(
    workgroup: dict[str, Any],
    purpose: str,
    outputs: dict[str, Any],
    key_arn_for: Callable[[str], str],
    key_matches: Any,
    evidence: Any,
) -> None:
    result = workgroup["Configuration"].get("ResultConfiguration") or {}
    bucket, _ = featurestore_location(result.get("OutputLocation", ""))
    assert bucket == outputs["data_lake_bucket"], result
    encryption = result.get("EncryptionConfiguration") or {}
    assert encryption.get("EncryptionOption") == "SSE_KMS", encryption
    evidence.attach("key", key_matches(encryption.get("KmsKey"), key_arn_for(purpose)))


@then("a query may scan no more than the specification allows")
def workgroup_scan_limit(workgroup: dict[str, Any], evidence: Any) -> None:
    limit = workgroup["Configuration"].get("BytesScannedCutoffPerQuery")
    allowed = int(threshold("URS_093", "bytes_scanned_max"))
    evidence.attach("compared", {"BytesScannedCutoffPerQuery": limit, "specified_max": allowed})
    assert limit is not None and int(limit) <= allowed, f"cutoff {limit} (specified at most {allowed})"


@given(
    parsers.parse("{count:d} new subjects put into the subjects' feature group"),
    target_fixture="new_subjects",
)
def new_subjects(
    count: int, outputs: dict[str, Any], target: targets.Target, evidence: Any
) -> dict[str, Any]:
    prefix = f"oq-{uuid.uuid4().hex[:8]}"
    records = featurestore.subject_records(count, seed=int(prefix[3:], 16) % 10_000, prefix=prefix)
    featurestore.put_records(target, outputs["feature_group_name"], records)
    evidence.attach("PutRecord", {"feature_group": outputs["feature_group_name"], "records": records[:3]})
    return {"prefix": prefix, "records": records, "count": count}


@then("each new subject is read back from the online store with the values put")
def read_back_online(
    new_subjects: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    runtime = aws("sagemaker-featurestore-runtime")
    by_id = {
        r[0]["ValueAsString"]: {f["FeatureName"]: f["ValueAsString"] for f in r}
        for r in new_subjects["records"]
    }
    answer = runtime.batch_get_record(
        Identifiers=[
            {"FeatureGroupName": outputs["feature_group_name"], "RecordIdentifiersValueAsString": list(by_id)}
        ]
    )
    evidence.attach("BatchGetRecord", trim(answer))
    got = {
        r["RecordIdentifierValueAsString"]: {f["FeatureName"]: f["ValueAsString"] for f in r["Record"]}
        for r in answer["Records"]
    }
    assert got == by_id, {"missing": sorted(set(by_id) - set(got)), "errors": answer.get("Errors")}


@given("the new subjects have reached the offline store")
def subjects_offline(
    new_subjects: dict[str, Any], outputs: dict[str, Any], target: targets.Target, evidence: Any
) -> None:
    offline_count(new_subjects, new_subjects["count"], outputs, target, evidence)


@then(parsers.parse("an Athena count of the new subjects in the offline store equals {count:d} in time"))
def offline_count(
    new_subjects: dict[str, Any], count: int, outputs: dict[str, Any], target: targets.Target, evidence: Any
) -> None:
    within = float(threshold("URS_094", "offline_visible_seconds"))
    where = f"WHERE subject_id LIKE '{new_subjects['prefix']}-%'"
    start = time.monotonic()
    seen = featurestore.count_offline(target, outputs, where)
    while seen != count and time.monotonic() - start < within:
        time.sleep(0.5)
        seen = featurestore.count_offline(target, outputs, where)
    evidence.attach("count", {"where": where, "count": seen, "seconds": round(time.monotonic() - start, 2)})
    assert seen == count, f"the offline store holds {seen} of the {count} subjects after {within:.0f}s"


def _defective(defect: str) -> tuple[str, list[dict[str, str]]]:
    subject = f"oq-bad-{uuid.uuid4().hex[:8]}"
    values = {
        "subject_id": subject,
        "event_time": "2026-12-01T00:00:00Z",
        "age": "64",
        "prior_dropout": "0",
        "missed_visit_rate": "0.125",
        "dropout": "0",
    }
    if defect == "without its record identifier":
        values.pop("subject_id")
    elif defect == "without its event time":
        values.pop("event_time")
    elif defect == "with a non-integer age":
        values["age"] = "sixty-four"
    elif defect == "with an unknown feature":
        values["height"] = "172"
    else:
        raise AssertionError(f"unknown defect {defect!r}")
    return subject, [{"FeatureName": k, "ValueAsString": v} for k, v in values.items()]


@when(
    parsers.parse("a record {defect} is put into the subjects' feature group"), target_fixture="refused_put"
)
def put_defective(defect: str, outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    subject, record = _defective(defect)
    try:
        aws("sagemaker-featurestore-runtime").put_record(
            FeatureGroupName=outputs["feature_group_name"], Record=record
        )
    except ClientError as exc:
        return {"subject": subject, "record": record, "error": exc.response}
    return {"subject": subject, "record": record, "error": None}


@then(parsers.parse('the put is rejected with ValidationError naming "{named}"'))
def put_rejected(refused_put: dict[str, Any], named: str, evidence: Any) -> None:
    error = refused_put["error"]
    evidence.attach("PutRecord", {"record": refused_put["record"], "error": trim(error) if error else None})
    assert error is not None, "the malformed record was accepted"
    assert error["Error"]["Code"] == "ValidationError", error["Error"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400, error["ResponseMetadata"]
    assert named in error["Error"]["Message"], error["Error"]["Message"]


@then("the online store holds no record of that subject")
def nothing_stored(refused_put: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    answer = aws("sagemaker-featurestore-runtime").get_record(
        FeatureGroupName=outputs["feature_group_name"], RecordIdentifierValueAsString=refused_put["subject"]
    )
    evidence.attach("GetRecord", trim(answer))
    assert "Record" not in answer, answer


@when(
    "an Athena query over them asks for its results elsewhere without encryption",
    target_fixture="asked_query",
)
def query_elsewhere(
    new_subjects: dict[str, Any], outputs: dict[str, Any], target: targets.Target, evidence: Any
) -> dict[str, Any]:
    elsewhere = f"s3://{outputs['data_lake_bucket']}/oq-elsewhere-{uuid.uuid4().hex[:8]}/"
    sql = (
        f'SELECT count(*) AS subjects FROM "{outputs["glue_table_name"]}" '
        f"WHERE subject_id LIKE '{new_subjects['prefix']}-%'"
    )
    result = featurestore.run_query(target, outputs, sql, result_configuration={"OutputLocation": elsewhere})
    evidence.attach("query", {"sql": sql, "asked": {"OutputLocation": elsewhere}, "result": result.to_dict()})
    return {"asked": elsewhere, "result": result}


@then("the query succeeds")
def query_succeeds(asked_query: dict[str, Any], evidence: Any) -> None:
    result = asked_query["result"]
    evidence.attach(
        "GetQueryExecution", {"id": result.execution_id, "state": result.state, "reason": result.reason}
    )
    assert result.state == "SUCCEEDED", f"{result.state}: {result.reason}"


@then(
    parsers.parse(
        "its results are in the workgroup's output location encrypted with the KMS key for {purpose}"
    )
)
def results_where_workgroup_says(
    asked_query: dict[str, Any],
    purpose: str,
    outputs: dict[str, Any],
    aws: Clients,
    key_arn_for: Callable[[str], str],
    key_matches: Any,
    evidence: Any,
) -> None:
    result = asked_query["result"]
    location = result.output_location or ""
    assert location.startswith(outputs["athena_results_s3_uri"]), location
    bucket, key = featurestore_location(location)
    head = aws("s3").head_object(Bucket=bucket, Key=key)
    evidence.attach("HeadObject", trim(head))
    assert head.get("ServerSideEncryption") == "aws:kms", head.get("ServerSideEncryption")
    evidence.attach("key", key_matches(head.get("SSEKMSKeyId"), key_arn_for(purpose)))


@then("nothing was written where the query asked")
def nothing_elsewhere(asked_query: dict[str, Any], aws: Clients, evidence: Any) -> None:
    bucket, prefix = featurestore_location(asked_query["asked"])
    listed = aws("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    evidence.attach("ListObjectsV2", trim(listed))
    assert listed.get("KeyCount", 0) == 0, [o["Key"] for o in listed.get("Contents", [])]


@when("an Athena query with a syntax error is started in the platform's workgroup", target_fixture="refusal")
def start_bad_sql(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    try:
        answer = aws("athena").start_query_execution(
            QueryString=f'SELEC count(*) FROM "{outputs["glue_table_name"]}"',
            QueryExecutionContext={"Database": outputs["glue_database_name"]},
            WorkGroup=outputs["athena_workgroup_name"],
        )
    except ClientError as exc:
        return {"error": exc.response}
    return {"error": None, "answer": answer}


@then("Athena refuses it with InvalidRequestException")
def athena_refuses(refusal: dict[str, Any], evidence: Any) -> None:
    evidence.attach("StartQueryExecution", trim(refusal.get("error") or refusal.get("answer")))
    assert refusal["error"] is not None, f"the malformed query was accepted: {refusal.get('answer')}"
    assert refusal["error"]["Error"]["Code"] == "InvalidRequestException", refusal["error"]["Error"]


@when(
    "the training dataset of the new subjects is built from the Athena training query",
    target_fixture="query_dataset",
)
def build_query_dataset(
    new_subjects: dict[str, Any],
    outputs: dict[str, Any],
    target: targets.Target,
    tmp_path: Path,
    evidence: Any,
) -> dict[str, Any]:
    manifest, source = featurestore.training_dataset(
        target, outputs, tmp_path / "data", progress=lambda _m: None, prefix=new_subjects["prefix"]
    )
    evidence.attach("dataset", manifest)
    return {"manifest": manifest, "source": source}


@then("the dataset records the feature group, the query execution and the SHA-256 of its result object")
def dataset_records_source(query_dataset: dict[str, Any], outputs: dict[str, Any], evidence: Any) -> None:
    source = query_dataset["source"]
    evidence.attach("source", source)
    assert source["feature_group"] == outputs["feature_group_name"], source
    assert source["query_execution_id"] and source["result_uri"], source
    assert len(source["result_sha256"]) == 64, source


@then("the recorded SHA-256 equals that of the result object in the data lake")
def dataset_hash_matches(query_dataset: dict[str, Any], aws: Clients, evidence: Any) -> None:
    source = query_dataset["source"]
    bucket, key = featurestore_location(source["result_uri"])
    body = aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    live = hashlib.sha256(body).hexdigest()
    evidence.attach(
        "compared", {"recorded": source["result_sha256"], "live": live, "object": source["result_uri"]}
    )
    assert live == source["result_sha256"]


@then(parsers.parse("every split of the dataset is hashed and together they hold the {count:d} subjects"))
def dataset_splits(query_dataset: dict[str, Any], count: int, evidence: Any) -> None:
    splits = query_dataset["manifest"]["splits"]
    evidence.attach("splits", splits)
    assert set(splits) == {"train", "validation", "test"}, splits
    assert all(len(s["sha256"]) == 64 for s in splits.values()), splits
    assert sum(s["rows"] for s in splits.values()) == count, splits
