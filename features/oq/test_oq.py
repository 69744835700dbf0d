"""Operational qualification: the platform operates as intended.

Training, the training data, the model registry and lineage, the endpoint (seed, batch, invalid input,
logs, data capture), evidence retention and evidence signing, each read live through boto3. Scores are
recomputed offline from the artifact downloaded from S3 with XGBoost, never taken from the platform's own
records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.exceptions
import numpy as np
import pytest
from parse import with_pattern
from pytest_bdd import given, parsers, scenarios, then, when

from features.oq.algorithm import *  # noqa: F403 - the built-in algorithm's steps (algorithm.feature)
from features.oq.mlops_steps import *  # noqa: F403 - the pipeline, drift and retraining steps (mlops.feature)
from features.oq.persona_steps import *  # noqa: F403 - the persona steps (personas.feature)
from features.oq.signature_steps import *  # noqa: F403 - people's signatures (signatures.feature)
from features.oq.trail_steps import *  # noqa: F403 - the trail scenarios' steps
from features.support import (
    TRAINING_JOB_PREFIX,
    Clients,
    independent_auc,
    s3_location,
    threshold,
    trim,
    wait_for,
)
from harness import workflow
from harness.ml.schema import FEATURE_NAMES
from harness.validation import package as evidence_package

scenarios(".")

SEED = [72.0, 1.0, 0.85]
#: The access log line of an answered invocation: ``"POST /invocations HTTP/1.1" 200``.
ANSWERED_INVOCATION = re.compile(r'"POST /invocations[^"]*" 200\b')
DATA_PREFIX = "processed/ml"


@with_pattern(r".*")
def _anything(text: str) -> str:
    """A step argument that may be empty (an empty request body)."""
    return text


# ============================================================================ shared live lookups


@pytest.fixture(scope="session")
def s3_bytes(aws: Clients) -> Callable[[str], bytes]:
    """The bytes of an S3 object (``s3://...``), read once per run."""
    cache: dict[str, bytes] = {}

    def read(uri: str) -> bytes:
        if uri not in cache:
            bucket, key = s3_location(uri)
            cache[uri] = aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return cache[uri]

    return read


@pytest.fixture(scope="session")
def approved_package(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    """The latest Approved model package version of the platform's group."""
    summaries = aws("sagemaker").list_model_packages(
        ModelPackageGroupName=outputs["model_package_group_name"],
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
    )["ModelPackageSummaryList"]
    assert summaries, f"no Approved model package in {outputs['model_package_group_name']}"
    return aws("sagemaker").describe_model_package(ModelPackageName=summaries[0]["ModelPackageArn"])


def _artifact_url(package: dict[str, Any]) -> str:
    return package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]


@pytest.fixture(scope="session")
def registered_booster(approved_package: dict[str, Any], s3_bytes: Callable[[str], bytes]) -> Any:
    """The approved package's artifact, downloaded from S3 and loaded with XGBoost."""
    return workflow.load_booster(s3_bytes(_artifact_url(approved_package)))


def offline_scores(booster: Any, rows: list[list[float]]) -> list[float]:
    """Scores of the downloaded artifact (float32 inputs, as the inference contract parses them)."""
    import xgboost as xgb

    matrix = xgb.DMatrix(np.asarray(rows, dtype=np.float32), feature_names=list(FEATURE_NAMES))
    return [float(s) for s in booster.predict(matrix)]


def _rows(datatable: list[list[str]]) -> list[list[float]]:
    return [[float(cell) for cell in row] for row in datatable[1:]]


@pytest.fixture(scope="session")
def quality_document(approved_package: dict[str, Any], s3_bytes: Callable[[str], bytes]) -> dict[str, Any]:
    """The model quality statistics the package points at (holdout AUC, dataset hashes)."""
    uri = approved_package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    return json.loads(s3_bytes(uri))


# ======================================================================================= training


@given("the latest training job of the platform", target_fixture="training_job")
def latest_training_job(aws: Clients) -> dict[str, Any]:
    jobs = aws("sagemaker").list_training_jobs(
        NameContains=TRAINING_JOB_PREFIX, SortBy="CreationTime", SortOrder="Descending"
    )["TrainingJobSummaries"]
    assert jobs, f"no training job named {TRAINING_JOB_PREFIX}*"
    return aws("sagemaker").describe_training_job(TrainingJobName=jobs[0]["TrainingJobName"])


@then("the training job is Completed")
def job_completed(training_job: dict[str, Any], evidence: Any) -> None:
    evidence.attach("DescribeTrainingJob", trim(training_job))
    assert training_job["TrainingJobStatus"] == "Completed", training_job.get("FailureReason")


@then("the training job ran no longer than its stopping condition allows")
def job_within_stopping_condition(training_job: dict[str, Any], evidence: Any) -> None:
    limit = training_job["StoppingCondition"]["MaxRuntimeInSeconds"]
    started, ended = training_job.get("TrainingStartTime"), training_job.get("TrainingEndTime")
    seconds = training_job.get("TrainingTimeInSeconds")
    if seconds is None and started and ended:
        seconds = (ended - started).total_seconds()
    shown = {
        "MaxRuntimeInSeconds": limit,
        "TrainingTimeInSeconds": seconds,
        "TrainingStartTime": started,
        "TrainingEndTime": ended,
    }
    evidence.attach("Runtime", shown)
    assert seconds is not None, "the job reports no training time"
    assert 0 <= seconds <= limit, shown


@then("the training job reported its final metrics")
def job_metrics(training_job: dict[str, Any], evidence: Any) -> None:
    metrics = training_job.get("FinalMetricDataList") or []
    evidence.attach("FinalMetricDataList", metrics)
    assert metrics, "no final metrics"
    assert all(np.isfinite(m["Value"]) for m in metrics), metrics
    names = {m["MetricName"] for m in metrics}
    assert "validation:auc" in names, sorted(names)


@then("the training job ran in the platform's private subnets with the SageMaker security group")
def job_in_vpc(training_job: dict[str, Any], outputs: dict[str, Any], evidence: Any) -> None:
    config = training_job.get("VpcConfig") or {}
    evidence.attach("VpcConfig", config)
    assert config.get("Subnets"), "the job ran outside any VPC"
    assert set(config["Subnets"]) <= set(outputs["private_subnet_ids"]), config
    assert config.get("SecurityGroupIds") == [outputs["sagemaker_security_group_id"]], config


@then("the training job ran with network isolation")
def job_isolated(training_job: dict[str, Any], evidence: Any) -> None:
    evidence.attach(
        "EnableNetworkIsolation", {"EnableNetworkIsolation": training_job.get("EnableNetworkIsolation")}
    )
    assert training_job.get("EnableNetworkIsolation") is True


@then(parsers.parse("the training volume is encrypted with the KMS key for {purpose}"))
def job_volume_kms(
    training_job: dict[str, Any],
    purpose: str,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    config = training_job["ResourceConfig"]
    evidence.attach("ResourceConfig", config)
    evidence.attach("KeyCompared", key_matches(config.get("VolumeKmsKeyId"), key_arn_for(purpose)))


@then(parsers.parse("the training output is encrypted with the KMS key for {purpose}"))
def job_output_kms(
    training_job: dict[str, Any],
    purpose: str,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    config = training_job["OutputDataConfig"]
    evidence.attach("OutputDataConfig", config)
    evidence.attach("KeyCompared", key_matches(config.get("KmsKeyId"), key_arn_for(purpose)))


@then("the model artifact exists in S3", target_fixture="artifact_head")
def artifact_exists(training_job: dict[str, Any], aws: Clients, evidence: Any) -> dict[str, Any]:
    uri = training_job["ModelArtifacts"]["S3ModelArtifacts"]
    bucket, key = s3_location(uri)
    head = trim(aws("s3").head_object(Bucket=bucket, Key=key))
    evidence.attach("HeadObject", {"uri": uri, **head})
    assert head["ContentLength"] > 0
    return head


@then(parsers.parse("the model artifact is encrypted with the KMS key for {purpose}"))
def artifact_kms(
    artifact_head: dict[str, Any],
    purpose: str,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    assert artifact_head.get("ServerSideEncryption") == "aws:kms", artifact_head.get("ServerSideEncryption")
    evidence.attach("KeyCompared", key_matches(artifact_head.get("SSEKMSKeyId"), key_arn_for(purpose)))


@then("the training jobs log group has a log stream of the training job with its output")
def job_logs(training_job: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    group = outputs["training_log_group"]
    prefix = training_job["TrainingJobName"] + "/"
    streams = aws("logs").describe_log_streams(logGroupName=group, logStreamNamePrefix=prefix)["logStreams"]
    events = aws("logs").filter_log_events(logGroupName=group, logStreamNamePrefix=prefix, limit=50)["events"]
    evidence.attach("DescribeLogStreams", streams)
    evidence.attach("FilterLogEvents (first 50)", events)
    assert streams, f"no log stream {prefix}* in {group}"
    assert events, f"the log streams {prefix}* are empty"


# =========================================================================================== data


@given(parsers.parse("the {split} split in the data lake"), target_fixture="split")
def data_split(split: str, outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    bucket = outputs["data_lake_bucket"]
    listing = aws("s3").list_objects_v2(Bucket=bucket, Prefix=f"{DATA_PREFIX}/{split}/")
    objects = [o for o in listing.get("Contents", []) if o["Key"].endswith(".csv")]
    assert len(objects) == 1, f"expected one CSV under s3://{bucket}/{DATA_PREFIX}/{split}/, found {objects}"
    key = objects[0]["Key"]
    body = aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return {"name": split, "bucket": bucket, "key": key, "uri": f"s3://{bucket}/{key}", "body": body}


@then(parsers.parse("the split is stored under {prefix}"))
def split_location(split: dict[str, Any], prefix: str, evidence: Any) -> None:
    evidence.attach("Object", {"uri": split["uri"], "bytes": len(split["body"])})
    assert split["key"].startswith(prefix), split["key"]


@then(parsers.parse("every row is a 0/1 label followed by {count:d} numeric features, with no header"))
def split_format(split: dict[str, Any], count: int, evidence: Any) -> None:
    lines = split["body"].decode("utf-8").splitlines()
    evidence.attach("FirstLines", {"uri": split["uri"], "rows": len(lines), "first": lines[:5]})
    assert lines, "the split is empty"
    labels = set()
    for number, line in enumerate(lines, start=1):
        cells = line.split(",")
        assert len(cells) == count + 1, f"line {number}: {len(cells)} columns: {line!r}"
        try:
            values = [float(cell) for cell in cells]
        except ValueError as exc:
            raise AssertionError(f"line {number} is not numeric (a header?): {line!r}") from exc
        assert values[0] in (0.0, 1.0), f"line {number}: label {cells[0]!r} is not 0 or 1"
        assert all(np.isfinite(values)), f"line {number}: {line!r}"
        labels.add(values[0])
    assert labels == {0.0, 1.0}, f"only labels {labels}"


@then("its SHA-256 equals the one recorded with the approved model package")
def split_hash(
    split: dict[str, Any],
    approved_package: dict[str, Any],
    quality_document: dict[str, Any],
    evidence: Any,
) -> None:
    recorded = quality_document.get("dataset", {}).get(split["name"], {})
    actual = hashlib.sha256(split["body"]).hexdigest()
    shown = {
        "object": split["uri"],
        "sha256": actual,
        "recorded": recorded,
        "model_package": approved_package["ModelPackageArn"],
        "statistics": approved_package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"],
    }
    evidence.attach("Sha256Compared", shown)
    assert recorded.get("uri") == split["uri"], shown
    assert recorded.get("sha256") == actual, shown


# ======================================================================================= registry


@given("the latest approved model package", target_fixture="package")
def latest_package(approved_package: dict[str, Any]) -> dict[str, Any]:
    return approved_package


@when(
    "its model artifact is downloaded and scored independently on the held-out test split",
    target_fixture="holdout",
)
def score_holdout(
    package: dict[str, Any],
    registered_booster: Any,
    outputs: dict[str, Any],
    aws: Clients,
    evidence: Any,
) -> dict[str, Any]:
    test = data_split("test", outputs, aws)
    data = np.loadtxt(test["body"].decode().splitlines(), delimiter=",", ndmin=2)
    scores = np.asarray(offline_scores(registered_booster, data[:, 1:].tolist()))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test.csv"
        path.write_bytes(test["body"])
        harness_auc = workflow.holdout_auc(registered_booster, path)
    result = {
        "artifact": _artifact_url(package),
        "test_split": test["uri"],
        "test_sha256": hashlib.sha256(test["body"]).hexdigest(),
        "rows": int(data.shape[0]),
        "auc": independent_auc(data[:, 0], scores),
        "auc_by_harness": harness_auc,
        "threshold": threshold("URS_012", "holdout_auc_min"),
    }
    evidence.attach("HoldoutScoring", result)
    return result


@then("the holdout AUC is at least the acceptance threshold")
def holdout_meets_threshold(holdout: dict[str, Any], evidence: Any) -> None:
    evidence.attach("AucCompared", {k: holdout[k] for k in ("auc", "auc_by_harness", "threshold")})
    assert abs(holdout["auc"] - holdout["auc_by_harness"]) < 1e-9, holdout
    assert holdout["auc"] >= holdout["threshold"], holdout


@then("the model package records the same holdout AUC")
def package_records_auc(package: dict[str, Any], holdout: dict[str, Any], evidence: Any) -> None:
    props = package.get("CustomerMetadataProperties", {})
    shown = {
        "ModelApprovalStatus": package.get("ModelApprovalStatus"),
        "CustomerMetadataProperties": props,
        "independent_auc": holdout["auc"],
    }
    evidence.attach("DescribeModelPackage", shown)
    assert package.get("ModelApprovalStatus") == "Approved"
    assert abs(float(props["holdout_auc"]) - holdout["auc"]) < 1e-5, shown


def _served_model(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    endpoint = aws("sagemaker").describe_endpoint(EndpointName=outputs["endpoint_name"])
    config = aws("sagemaker").describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variants = {v["VariantName"]: v for v in config["ProductionVariants"]}
    served = [v["VariantName"] for v in endpoint.get("ProductionVariants", [])] or list(variants)
    models = {
        name: aws("sagemaker").describe_model(ModelName=variants[name]["ModelName"])
        for name in served
        if name in variants
    }
    return {"endpoint": endpoint, "config": config, "models": models}


@then("the endpoint serves the model package's artifact through its endpoint configuration and model")
def lineage_endpoint(package: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    assert outputs.get("endpoint_name"), "no endpoint is deployed"
    chain = _served_model(outputs, aws)
    urls = {name: m["PrimaryContainer"]["ModelDataUrl"] for name, m in chain["models"].items()}
    evidence.attach(
        "Lineage",
        {
            "endpoint": chain["endpoint"]["EndpointArn"],
            "endpoint_config": chain["config"]["EndpointConfigArn"],
            "models": {name: m["ModelArn"] for name, m in chain["models"].items()},
            "model_data_urls": urls,
            "model_package": package["ModelPackageArn"],
            "package_model_data_url": _artifact_url(package),
        },
    )
    assert urls, "the endpoint serves no model"
    assert set(urls.values()) == {_artifact_url(package)}, urls


@then("the model package names the training job that produced its artifact")
def lineage_job(package: dict[str, Any], aws: Clients, evidence: Any) -> None:
    job_name = package.get("CustomerMetadataProperties", {}).get("training_job")
    assert job_name, "the model package names no training job"
    job = aws("sagemaker").describe_training_job(TrainingJobName=job_name)
    shown = {
        "training_job": job["TrainingJobArn"],
        "status": job["TrainingJobStatus"],
        "S3ModelArtifacts": job["ModelArtifacts"]["S3ModelArtifacts"],
        "package_model_data_url": _artifact_url(package),
    }
    evidence.attach("TrainingJobOfPackage", shown)
    assert job["TrainingJobStatus"] == "Completed", shown
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == _artifact_url(package), shown


@then("the model package records the SHA-256 of its artifact")
def lineage_artifact_hash(package: dict[str, Any], s3_bytes: Callable[[str], bytes], evidence: Any) -> None:
    recorded = package.get("CustomerMetadataProperties", {}).get("artifact_sha256")
    actual = hashlib.sha256(s3_bytes(_artifact_url(package))).hexdigest()
    evidence.attach(
        "ArtifactSha256", {"artifact": _artifact_url(package), "sha256": actual, "recorded": recorded}
    )
    assert recorded == actual


@then("the model package records the SHA-256 of the training data")
def lineage_data_hash(package: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    train = data_split("train", outputs, aws)
    recorded = package.get("CustomerMetadataProperties", {}).get("train_sha256")
    actual = hashlib.sha256(train["body"]).hexdigest()
    evidence.attach("TrainSha256", {"object": train["uri"], "sha256": actual, "recorded": recorded})
    assert recorded == actual


@then("the training job read the training data from the data lake")
def lineage_job_input(package: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    job_name = package["CustomerMetadataProperties"]["training_job"]
    job = aws("sagemaker").describe_training_job(TrainingJobName=job_name)
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in job["InputDataConfig"]}
    evidence.attach("InputDataConfig", job["InputDataConfig"])
    expected = f"s3://{outputs['data_lake_bucket']}/{DATA_PREFIX}/train/"
    assert channels.get("train", "").rstrip("/") + "/" == expected, channels


# ======================================================================================= endpoint


@then("the endpoint's production variant serves the approved model package's artifact")
def endpoint_serves_package(
    endpoint: dict[str, Any],
    approved_package: dict[str, Any],
    outputs: dict[str, Any],
    aws: Clients,
    evidence: Any,
) -> None:
    chain = _served_model(outputs, aws)
    variants = chain["endpoint"].get("ProductionVariants", [])
    shown = {
        "variants": [
            {k: v.get(k) for k in ("VariantName", "CurrentInstanceCount", "DesiredInstanceCount")}
            for v in variants
        ],
        "model_data_urls": {n: m["PrimaryContainer"]["ModelDataUrl"] for n, m in chain["models"].items()},
        "approved_package": approved_package["ModelPackageArn"],
        "approved_artifact": _artifact_url(approved_package),
    }
    evidence.attach("ServedModel", shown)
    assert variants and all((v.get("CurrentInstanceCount") or 0) >= 1 for v in variants), shown
    assert set(shown["model_data_urls"].values()) == {_artifact_url(approved_package)}, shown


def _invoke(aws: Clients, endpoint: str, body: bytes, content_type: str) -> dict[str, Any]:
    """One InvokeEndpoint call; the answer or the error, with the moment it was sent."""
    sent = dt.datetime.now(dt.UTC)
    record: dict[str, Any] = {
        "sent": sent,
        "body": body.decode("utf-8", "replace"),
        "content_type": content_type,
    }
    try:
        response = aws("sagemaker-runtime").invoke_endpoint(
            EndpointName=endpoint, ContentType=content_type, Accept="application/json", Body=body
        )
    except botocore.exceptions.ClientError as exc:
        record["error"] = {
            "code": exc.response.get("Error", {}).get("Code"),
            "message": str(exc),
            "http_status": exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            "original_status": exc.response.get("OriginalStatusCode"),
            "original_message": exc.response.get("OriginalMessage"),
        }
        return record
    raw = response["Body"].read()
    record["answer_content_type"] = response.get("ContentType")
    record["answer_raw"] = raw.decode("utf-8", "replace")
    record["answer"] = json.loads(raw)
    return record


@when(
    parsers.parse(
        "the client sends '{body:Anything}' as {content_type}", extra_types={"Anything": _anything}
    ),
    target_fixture="invocation",
)
def send(endpoint: dict[str, Any], body: str, content_type: str, aws: Clients) -> dict[str, Any]:
    return _invoke(aws, endpoint["EndpointName"], body.encode("utf-8"), content_type)


def _ok(invocation: dict[str, Any]) -> dict[str, Any]:
    assert "error" not in invocation, invocation.get("error")
    return invocation["answer"]


def _in_unit_interval(value: Any) -> bool:
    return isinstance(value, float) and 0.0 <= value <= 1.0


@then("the answer is a JSON object with a risk_score between 0 and 1")
def answer_single(invocation: dict[str, Any], evidence: Any) -> None:
    evidence.attach("InvokeEndpoint", invocation)
    answer = _ok(invocation)
    assert invocation.get("answer_content_type", "").startswith("application/json"), invocation
    assert isinstance(answer, dict) and set(answer) == {"risk_score"}, answer
    assert _in_unit_interval(answer["risk_score"]), answer


@then(parsers.parse("the risk_score equals the registered artifact's own score within {tolerance:g}"))
def answer_matches_offline(
    invocation: dict[str, Any], tolerance: float, registered_booster: Any, evidence: Any
) -> None:
    features = json.loads(invocation["body"])["features"]
    offline = offline_scores(registered_booster, [features])[0]
    online = _ok(invocation)["risk_score"]
    evidence.attach("ScoreCompared", {"features": features, "endpoint": online, "offline": offline})
    assert abs(online - offline) <= tolerance, (online, offline)


@when("the client scores the subjects one by one:", target_fixture="invocations")
def send_each(endpoint: dict[str, Any], datatable: list[list[str]], aws: Clients) -> list[dict[str, Any]]:
    return [
        _invoke(aws, endpoint["EndpointName"], json.dumps({"features": row}).encode(), "application/json")
        for row in _rows(datatable)
    ]


@then("every risk_score is between 0 and 1")
def each_in_range(invocations: list[dict[str, Any]], evidence: Any) -> None:
    evidence.attach("InvokeEndpoint", invocations)
    for invocation in invocations:
        assert _in_unit_interval(_ok(invocation).get("risk_score")), invocation


@then("the risk scores are not all the same")
def scores_differ(invocations: list[dict[str, Any]], evidence: Any) -> None:
    scores = [_ok(i)["risk_score"] for i in invocations]
    evidence.attach("RiskScores", scores)
    assert len(set(scores)) > 1, scores


@then(parsers.parse("each risk_score equals the registered artifact's own score within {tolerance:g}"))
def each_matches_offline(
    invocations: list[dict[str, Any]], tolerance: float, registered_booster: Any, evidence: Any
) -> None:
    rows = [json.loads(i["body"])["features"] for i in invocations]
    offline = offline_scores(registered_booster, rows)
    online = [_ok(i)["risk_score"] for i in invocations]
    evidence.attach("ScoresCompared", {"rows": rows, "endpoint": online, "offline": offline})
    assert np.allclose(online, offline, rtol=0, atol=tolerance), (online, offline)


@when("the client sends the subjects as one batch of instances:", target_fixture="batch")
def send_batch(endpoint: dict[str, Any], datatable: list[list[str]], aws: Clients) -> dict[str, Any]:
    rows = _rows(datatable)
    record = _invoke(
        aws, endpoint["EndpointName"], json.dumps({"instances": rows}).encode(), "application/json"
    )
    record["rows"] = rows
    return record


@then("the answer holds one risk score per row, each between 0 and 1")
def batch_shape(batch: dict[str, Any], evidence: Any) -> None:
    evidence.attach("InvokeEndpoint", batch)
    answer = _ok(batch)
    assert isinstance(answer, dict) and set(answer) == {"risk_scores"}, answer
    assert len(answer["risk_scores"]) == len(batch["rows"]), answer
    assert all(_in_unit_interval(s) for s in answer["risk_scores"]), answer


@then(parsers.parse("each score equals the registered artifact's own score for its row within {tolerance:g}"))
def batch_matches_offline(
    batch: dict[str, Any], tolerance: float, registered_booster: Any, evidence: Any
) -> None:
    offline = offline_scores(registered_booster, batch["rows"])
    online = _ok(batch)["risk_scores"]
    evidence.attach("ScoresCompared", {"rows": batch["rows"], "endpoint": online, "offline": offline})
    assert np.allclose(online, offline, rtol=0, atol=tolerance), (online, offline)


@then(parsers.parse('the request is rejected with a client error whose message names "{named}"'))
def rejected(invocation: dict[str, Any], named: str, evidence: Any) -> None:
    evidence.attach("InvokeEndpoint", invocation)
    error = invocation.get("error")
    assert error, f"the request was accepted: {invocation.get('answer_raw')}"
    assert error["code"] in ("ModelError", "ValidationError"), error
    status = error["original_status"] if error["code"] == "ModelError" else error["http_status"]
    assert status is not None and 400 <= int(status) < 500, error
    assert named.lower() in error["message"].lower(), error


@then("the endpoint still answers the seed request")
def still_answers(endpoint: dict[str, Any], aws: Clients, evidence: Any) -> None:
    record = _invoke(
        aws, endpoint["EndpointName"], json.dumps({"features": SEED}).encode(), "application/json"
    )
    evidence.attach("InvokeEndpoint", record)
    assert _in_unit_interval(_ok(record).get("risk_score")), record


@then(parsers.parse("the invocation appears in the endpoint's log group within {seconds:d} seconds"))
def invocation_logged(
    invocation: dict[str, Any], seconds: int, outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    _ok(invocation)
    group = outputs["endpoint_log_group"]
    # Log lines are stamped when the container answers, after the request was sent (0.5 s for clocks).
    since = int(invocation["sent"].timestamp() * 1000) - 500

    def probe() -> list[dict[str, Any]]:
        events = aws("logs").filter_log_events(
            logGroupName=group, logStreamNamePrefix=outputs["variant_name"] + "/", startTime=since
        )["events"]
        return [e for e in events if ANSWERED_INVOCATION.search(e["message"]) and e["timestamp"] >= since]

    found = wait_for(probe, timeout=seconds)
    evidence.attach("FilterLogEvents", {"logGroupName": group, "startTime": since, "events": found[-10:]})
    assert found, f"no invocation in {group} within {seconds}s"


@then(
    parsers.parse(
        "a capture of the invocation appears under the data capture location within {seconds:d} seconds"
    ),
    target_fixture="capture",
)
def capture_appears(
    invocation: dict[str, Any],
    seconds: int,
    endpoint: dict[str, Any],
    outputs: dict[str, Any],
    aws: Clients,
    evidence: Any,
) -> dict[str, Any]:
    _ok(invocation)
    bucket, base = s3_location(outputs["data_capture_s3_uri"].rstrip("/"))
    prefix = f"{base}/{endpoint['EndpointName']}/"
    since = invocation["sent"] - dt.timedelta(seconds=60)
    seen: set[str] = set()

    def probe() -> dict[str, Any] | None:
        pages = aws("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                if obj["Key"] in seen or obj["LastModified"] < since:
                    continue
                seen.add(obj["Key"])
                body = aws("s3").get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
                for line in body.splitlines():
                    record = json.loads(line)
                    data = record.get("captureData", {})
                    if data.get("endpointInput", {}).get("data") == invocation["body"]:
                        return {"bucket": bucket, "key": obj["Key"], "record": record}
        return None

    found = wait_for(probe, timeout=seconds, interval=2.0)
    evidence.attach("DataCaptureSearch", {"bucket": bucket, "prefix": prefix, "found": found})
    assert found, f"no capture of the request under s3://{bucket}/{prefix} within {seconds}s"
    return found


@then(parsers.parse("the data capture object is encrypted with the KMS key for {purpose}"))
def capture_kms(
    capture: dict[str, Any],
    purpose: str,
    aws: Clients,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    head = trim(aws("s3").head_object(Bucket=capture["bucket"], Key=capture["key"]))
    evidence.attach("HeadObject", {"key": capture["key"], **head})
    assert head.get("ServerSideEncryption") == "aws:kms", head.get("ServerSideEncryption")
    evidence.attach("KeyCompared", key_matches(head.get("SSEKMSKeyId"), key_arn_for(purpose)))


@then("the data capture object holds the request and the response")
def capture_content(capture: dict[str, Any], invocation: dict[str, Any], evidence: Any) -> None:
    data = capture["record"]["captureData"]
    evidence.attach("CaptureRecord", capture["record"])
    assert data["endpointInput"]["data"] == invocation["body"], data
    assert data["endpointInput"]["observedContentType"].startswith(invocation["content_type"]), data
    assert json.loads(data["endpointOutput"]["data"]) == invocation["answer"], data


# ====================================================================================== evidence


@when(
    parsers.parse("a probe object is written to the evidence bucket under {prefix}"),
    target_fixture="probe",
)
def write_probe(bucket: str, prefix: str, aws: Clients) -> dict[str, Any]:
    key = f"{prefix.rstrip('/')}/{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}.txt"
    body = f"object lock probe written at {dt.datetime.now(dt.UTC).isoformat()}\n".encode()
    put = aws("s3").put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm="SHA256")
    assert put.get("VersionId"), "the evidence bucket returned no version id"
    return {"bucket": bucket, "key": key, "body": body, "version": put["VersionId"], "put": trim(put)}


@then("the object version is retained by the bucket's default Object Lock retention")
def probe_retained(probe: dict[str, Any], aws: Clients, evidence: Any) -> None:
    retention = aws("s3").get_object_retention(
        Bucket=probe["bucket"], Key=probe["key"], VersionId=probe["version"]
    )
    evidence.attach("PutObject", probe["put"])
    evidence.attach("GetObjectRetention", trim(retention))
    mode = retention["Retention"].get("Mode")
    until = retention["Retention"].get("RetainUntilDate")
    assert mode in ("GOVERNANCE", "COMPLIANCE"), retention
    assert until is not None and until > dt.datetime.now(dt.UTC), retention


@then("deleting that object version is refused")
def probe_delete_refused(probe: dict[str, Any], aws: Clients, evidence: Any) -> None:
    s3 = aws("s3")
    try:
        answer = s3.delete_object(Bucket=probe["bucket"], Key=probe["key"], VersionId=probe["version"])
    except botocore.exceptions.ClientError as exc:
        refusal: dict[str, Any] = {"refused": True, "error": exc.response.get("Error")}
    else:
        refusal = {"refused": False, "answer": trim(answer)}
    head = trim(s3.head_object(Bucket=probe["bucket"], Key=probe["key"], VersionId=probe["version"]))
    evidence.attach("DeleteObject(VersionId)", refusal)
    evidence.attach("HeadObject(VersionId)", head)
    assert refusal["refused"], refusal
    assert refusal["error"]["Code"] == "AccessDenied", refusal
    assert head["VersionId"] == probe["version"]


@then("writing the same key again creates a new version")
def probe_overwrite(probe: dict[str, Any], aws: Clients, evidence: Any) -> None:
    put = aws("s3").put_object(
        Bucket=probe["bucket"],
        Key=probe["key"],
        Body=b"an attempt to overwrite\n",
        ChecksumAlgorithm="SHA256",
    )
    versions = aws("s3").list_object_versions(Bucket=probe["bucket"], Prefix=probe["key"])
    listed = [v for v in versions.get("Versions", []) if v["Key"] == probe["key"]]
    evidence.attach("PutObject (second)", trim(put))
    evidence.attach("ListObjectVersions", listed)
    assert put.get("VersionId") and put["VersionId"] != probe["version"], put
    assert {probe["version"], put["VersionId"]} <= {v["VersionId"] for v in listed}, listed


@then("the original version is still retrievable unchanged")
def probe_original_kept(probe: dict[str, Any], aws: Clients, evidence: Any) -> None:
    got = aws("s3").get_object(Bucket=probe["bucket"], Key=probe["key"], VersionId=probe["version"])
    body = got["Body"].read()
    evidence.attach(
        "GetObject(VersionId)",
        {
            "VersionId": got.get("VersionId"),
            "sha256": hashlib.sha256(body).hexdigest(),
            "expected_sha256": hashlib.sha256(probe["body"]).hexdigest(),
            "ObjectLockMode": got.get("ObjectLockMode"),
            "ObjectLockRetainUntilDate": got.get("ObjectLockRetainUntilDate"),
        },
    )
    assert body == probe["body"]


# ============================================================================== evidence signing

#: The small files of the sample evidence package (relative path -> content).
SAMPLE_PACKAGE = {
    "report.json": b'{"verdict": "pass", "scenarios": 3}\n',
    "results/iq.json": b'{"suite": "IQ", "passed": 2, "failed": 0}\n',
    "results/oq.json": b'{"suite": "OQ", "passed": 1, "failed": 0}\n',
    "logs/run.log": b"qualification started\nqualification finished\n",
}
FILE_DEFECTS = ("altered", "missing", "extra")


def _file_state(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {"exists": False}
    data = path.read_bytes()
    return {"exists": True, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@given("the platform's evidence signing key", target_fixture="signing_key")
def evidence_signing_key(outputs: dict[str, Any], aws: Clients, evidence: Any) -> dict[str, Any]:
    arn = outputs["kms_key_arns"]["signing"]
    meta = aws("kms").describe_key(KeyId=arn)["KeyMetadata"]
    shown = {
        k: meta.get(k) for k in ("Arn", "KeySpec", "KeyUsage", "Enabled", "KeyState", "SigningAlgorithms")
    }
    evidence.attach("DescribeKey", shown)
    family, _, bits = meta["KeySpec"].partition("_")
    assert family == "RSA" and int(bits) >= int(threshold("URS_057", "signing_key_min_bits")), shown
    assert meta["KeyUsage"] == "SIGN_VERIFY", shown
    assert meta["Enabled"] is True, shown
    return {"arn": arn, "metadata": meta}


@given("a sample evidence package is signed with it through KMS", target_fixture="signed_package")
@when("a sample evidence package is signed with it through KMS", target_fixture="signed_package")
def sign_sample_package(signing_key: dict[str, Any], aws: Clients, tmp_path: Path) -> dict[str, Any]:
    folder = tmp_path / evidence_package.new_run_id()
    for rel, data in SAMPLE_PACKAGE.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    signed = evidence_package.sign_package(folder, kms_client=aws("kms"), key_id=signing_key["arn"])
    manifest = json.loads((folder / evidence_package.MANIFEST).read_bytes())
    return {"folder": folder, "sign": signed.to_dict(), "manifest": manifest}


@then("the package verifies offline with the bundled public key")
def package_verifies(signed_package: dict[str, Any], evidence: Any) -> None:
    folder = signed_package["folder"]
    result = evidence_package.verify(folder)  # no client: hashes and signature are checked locally
    listed = sorted(e["path"] for e in signed_package["manifest"]["files"])
    evidence.attach("sign_package", signed_package["sign"])
    evidence.attach("manifest.json", signed_package["manifest"])
    evidence.attach("verify", {**result.to_dict(), "all_problems": result.all_problems()})
    assert result.ok, result.all_problems()
    assert result.signature_valid is True, result.to_dict()
    assert listed == sorted([*SAMPLE_PACKAGE, evidence_package.PUBLIC_KEY]), listed
    assert result.files_checked == len(listed), result.to_dict()
    assert result.key_id == signed_package["sign"]["key_id"], result.to_dict()


@then("the bundled public key is the one KMS returns for the signing key")
def bundled_key_is_kms_key(
    signed_package: dict[str, Any], signing_key: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    live = aws("kms").get_public_key(KeyId=signing_key["arn"])
    bundled = (signed_package["folder"] / evidence_package.PUBLIC_KEY).read_bytes()
    result = evidence_package.verify(signed_package["folder"], trusted_public_key=live["PublicKey"])
    compared = {
        "GetPublicKey": {k: live.get(k) for k in ("KeyId", "KeySpec", "KeyUsage", "SigningAlgorithms")},
        "kms_public_key_sha256": evidence_package.public_key_fingerprint(live["PublicKey"]),
        "bundled_public_key_sha256": evidence_package.public_key_fingerprint(bundled),
        "manifest_public_key_sha256": signed_package["manifest"]["signing"]["public_key_sha256"],
        "key_trusted": result.key_trusted,
    }
    evidence.attach("public key comparison", compared)
    assert compared["kms_public_key_sha256"] == compared["bundled_public_key_sha256"], compared
    assert compared["manifest_public_key_sha256"] == compared["bundled_public_key_sha256"], compared
    assert result.key_trusted is True and result.ok, result.all_problems()


@when(
    parsers.re(
        r"(?P<file>\S+) is (?P<change>altered in one byte|removed from the package|added to the package)"
    ),
    target_fixture="package_change",
)
def change_package(signed_package: dict[str, Any], file: str, change: str) -> dict[str, Any]:
    folder = signed_package["folder"]
    baseline = evidence_package.verify(folder)
    assert baseline.ok, f"the sample package does not verify before the change: {baseline.all_problems()}"
    path = folder / file
    before = _file_state(path)
    detail: dict[str, Any] = {}
    if change == "altered in one byte":
        data = bytearray(path.read_bytes())
        offset = len(data) // 2
        detail = {"offset": offset, "byte_before": data[offset]}
        data[offset] ^= 0x01
        detail["byte_after"] = data[offset]
        path.write_bytes(bytes(data))
    elif change == "removed from the package":
        path.unlink()
    else:
        assert not path.exists(), f"{file} is already in the sample package"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"a file the manifest does not list\n")
    return {
        "file": file,
        "change": change,
        **detail,
        "before": before,
        "after": _file_state(path),
        "baseline_verify": baseline.to_dict(),
    }


@then(parsers.parse("offline verification fails and names {file} as {defect}"))
def verification_names_file(
    signed_package: dict[str, Any], package_change: dict[str, Any], file: str, defect: str, evidence: Any
) -> None:
    assert defect in FILE_DEFECTS, f"unknown defect {defect!r}; known: {FILE_DEFECTS}"
    result = evidence_package.verify(signed_package["folder"])
    entry = next((e for e in signed_package["manifest"]["files"] if e["path"] == file), None)
    named = {kind: getattr(result, kind) for kind in FILE_DEFECTS}
    evidence.attach("change", package_change)
    evidence.attach("manifest entry", entry or f"{file} is not listed in the manifest")
    evidence.attach("verify", {**result.to_dict(), "all_problems": result.all_problems()})
    assert package_change["baseline_verify"]["ok"] is True, package_change["baseline_verify"]
    assert not result.ok, result.to_dict()
    assert named[defect] == [file], named
    assert all(not files for kind, files in named.items() if kind != defect), named
    assert any(file in line for line in result.all_problems()), result.all_problems()
