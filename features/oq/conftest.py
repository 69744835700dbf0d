"""Steps of the negative scenarios (``controls.feature``): each tries a control through the AWS API and
records the refusal (or, if the control wrongly accepts, undoes what it did and records that).

Every attempt becomes an ``attempt`` fixture: ``{"call", "refused", "error": {Code, Message}, ...}``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.exceptions
import numpy as np
import pytest
from pytest_bdd import given, parsers, then, when

from features.support import (
    Clients,
    policy_statements,
    principal_is_wildcard,
    s3_location,
    threshold,
    trim,
)
from harness import target as targets
from harness import workflow
from harness.identity import caller

#: Where negative scenarios put what they create in the data lake (removed again after each scenario).
SCRATCH_PREFIX = "qualification/negative"


def _attempt(call: str, fn: Callable[[], Any]) -> dict[str, Any]:
    """Run one AWS call that a control must refuse; its answer or its error."""
    try:
        answer = fn()
    except botocore.exceptions.ClientError as exc:
        return {
            "call": call,
            "refused": True,
            "error": exc.response.get("Error", {}),
            "http_status": exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            "RequestId": exc.response.get("ResponseMetadata", {}).get("RequestId"),
        }
    return {"call": call, "refused": False, "answer": trim(answer) if isinstance(answer, dict) else answer}


@then(parsers.parse("the request is refused with {code}"))
def refused_with(attempt: dict[str, Any], code: str, evidence: Any) -> None:
    evidence.attach(attempt["call"], attempt)
    assert attempt["refused"], f"{attempt['call']} was accepted: {attempt.get('answer')}"
    assert attempt["error"].get("Code") == code, attempt["error"]


# ----------------------------------------------------------------------------------------------- IAM


@given("the platform's SageMaker execution role", target_fixture="execution_role")
def execution_role(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    arn = outputs["execution_role_arn"]
    return aws("iam").get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]


@when("the qualification's own identity tries to assume the execution role", target_fixture="attempt")
def assume_execution_role(execution_role: dict[str, Any], aws: Clients, evidence: Any) -> dict[str, Any]:
    me = trim(aws("sts").get_caller_identity())
    evidence.attach("GetCallerIdentity", me)
    attempt = _attempt(
        "AssumeRole",
        lambda: aws("sts").assume_role(
            RoleArn=execution_role["Arn"], RoleSessionName="qualification-negative"
        ),
    )
    if not attempt["refused"]:
        attempt["answer"] = {"AssumedRoleUser": attempt["answer"].get("AssumedRoleUser")}  # no credentials
    return attempt


def _resource_arn(resource: str, outputs: dict[str, Any], key_arn_for: Callable[[str], str]) -> str:
    if resource == "any resource":
        return "*"
    if resource == "an object outside the platform":
        return "arn:aws:s3:::not-a-platform-bucket-qualification/data.csv"
    if resource.startswith("the KMS key for "):
        return key_arn_for(resource.removeprefix("the KMS key for "))
    if resource == "the platform's endpoint":
        return f"arn:aws:sagemaker:*:*:endpoint/{outputs['endpoint_name']}"
    raise AssertionError(f"unknown resource {resource!r}")


@when(
    parsers.parse("IAM simulates the execution role calling {action} on {resource}"),
    target_fixture="simulation",
)
def simulate(
    execution_role: dict[str, Any],
    action: str,
    resource: str,
    outputs: dict[str, Any],
    key_arn_for: Callable[[str], str],
    aws: Clients,
) -> dict[str, Any]:
    arn = _resource_arn(resource, outputs, key_arn_for)
    answer = aws("iam").simulate_principal_policy(
        PolicySourceArn=execution_role["Arn"], ActionNames=[action], ResourceArns=[arn]
    )
    return {"action": action, "resource": arn, "answer": trim(answer)}


@then("IAM's decision is a deny")
def simulated_deny(simulation: dict[str, Any], evidence: Any) -> None:
    evidence.attach(simulation.get("call", "SimulatePrincipalPolicy"), simulation)
    results = simulation["answer"].get("EvaluationResults", [])
    assert results, simulation
    assert all(r["EvalDecision"] in ("implicitDeny", "explicitDeny") for r in results), results


# -------------------------------------------------------------------------------------------------- S3


@when("a statement allowing anyone to read is added to the bucket policy", target_fixture="attempt")
def make_public(bucket: str, aws: Clients, evidence: Any) -> dict[str, Any]:
    s3 = aws("s3")
    original = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    policy = json.loads(original)
    policy["Statement"].append(
        {
            "Sid": "QualificationPublicReadProbe",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            # an empty prefix: even a control that wrongly accepts exposes nothing
            "Resource": f"arn:aws:s3:::{bucket}/{SCRATCH_PREFIX}/public-probe-{uuid.uuid4().hex[:8]}/*",
        }
    )
    attempt = _attempt(
        "PutBucketPolicy", lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    )
    if not attempt["refused"]:
        s3.put_bucket_policy(Bucket=bucket, Policy=original)  # undo at once
        attempt["undone"] = True
    attempt["original_policy"] = json.loads(original)
    return attempt


@then("the bucket policy is unchanged")
def policy_unchanged(bucket: str, attempt: dict[str, Any], aws: Clients, evidence: Any) -> None:
    now = json.loads(aws("s3").get_bucket_policy(Bucket=bucket)["Policy"])
    evidence.attach("GetBucketPolicy", now)
    assert now == attempt["original_policy"]


@when("the bucket is listed over plain HTTP", target_fixture="attempt")
def list_over_http(bucket: str, target: targets.Target, evidence: Any) -> dict[str, Any]:
    # Locating the plain-HTTP endpoint is the only per-target part; the assertion is the same.
    emulator = getattr(target, "emulator", None)
    url = emulator.http_endpoint_url if emulator is not None else f"http://s3.{target.region}.amazonaws.com"
    client = target.client("s3", endpoint_url=url, verify=False)
    attempt = _attempt("ListObjectsV2 over HTTP", lambda: client.list_objects_v2(Bucket=bucket, MaxKeys=1))
    attempt["endpoint"] = url
    return attempt


def _remove_probe(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    """Delete every version of a probe object; what could not be deleted (an evidence bucket's Object
    Lock keeps a locked version: it stays as evidence) is returned."""
    kept = []
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    for version in (v for v in versions if v["Key"] == key):
        try:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])
        except botocore.exceptions.ClientError as exc:
            kept.append({"VersionId": version["VersionId"], "error": exc.response.get("Error", {})})
    return kept


@given("the endpoint's live data capture location", target_fixture="capture_location")
def capture_location(outputs: dict[str, Any], aws: Clients, evidence: Any) -> dict[str, str]:
    """Where the live endpoint configuration writes captures (read from SageMaker, not from outputs)."""
    sagemaker = aws("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=outputs["endpoint_name"])
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    capture = config.get("DataCaptureConfig") or {}
    evidence.attach("DataCaptureConfig", trim(capture))
    assert capture.get("EnableCapture") is True, capture
    bucket, prefix = s3_location(capture["DestinationS3Uri"].rstrip("/"))
    return {"bucket": bucket, "prefix": prefix}


@when(
    parsers.parse("an object is put {where} asking for S3-managed encryption (AES256)"),
    target_fixture="attempt",
)
def put_asking_sse_s3(
    where: str, request: pytest.FixtureRequest, outputs: dict[str, Any], aws: Clients
) -> dict[str, Any]:
    if where == "into the bucket":
        bucket, prefix = request.getfixturevalue("bucket"), SCRATCH_PREFIX
    elif where == "under the data capture location":
        location = request.getfixturevalue("capture_location")
        bucket, prefix = location["bucket"], location["prefix"]
    else:
        raise AssertionError(f"unknown place {where!r}")
    key = f"{prefix}/qualification-encryption-probe-{uuid.uuid4().hex[:8]}.jsonl"
    s3 = aws("s3")
    attempt = _attempt(
        "PutObject with x-amz-server-side-encryption: AES256",
        lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"{}\n", ServerSideEncryption="AES256"),
    )
    attempt.update(bucket=bucket, key=key)
    if not attempt["refused"]:
        attempt["stored_as"] = trim(s3.head_object(Bucket=bucket, Key=key))
        attempt["not_removed"] = _remove_probe(s3, bucket, key)  # a control that failed open is undone
    return attempt


@then(
    parsers.parse(
        "the same write without encryption headers is stored SSE-KMS with the KMS key for {purpose}"
    )
)
def default_write_kms(
    attempt: dict[str, Any],
    purpose: str,
    aws: Clients,
    key_arn_for: Callable[[str], str],
    key_matches: Callable[..., dict[str, Any]],
    evidence: Any,
) -> None:
    """The refusal above is about the encryption asked for: the same identity may write the same key
    without encryption headers, and the bucket's default then encrypts it with the platform key."""
    s3 = aws("s3")
    bucket, key = attempt["bucket"], attempt["key"]
    written = trim(s3.put_object(Bucket=bucket, Key=key, Body=b"{}\n"))
    try:
        head = trim(s3.head_object(Bucket=bucket, Key=key))
    finally:
        kept = _remove_probe(s3, bucket, key)
    evidence.attach("PutObject without encryption headers", {"bucket": bucket, "key": key, **written})
    evidence.attach("HeadObject", {**head, "versions kept by Object Lock": kept})
    assert head.get("ServerSideEncryption") == "aws:kms", head.get("ServerSideEncryption")
    evidence.attach("KeyCompared", key_matches(head.get("SSEKMSKeyId"), key_arn_for(purpose)))


# ---------------------------------------------------------------------------------------------- network


@given("the live policy of the platform VPC's S3 gateway endpoint", target_fixture="endpoint_policy")
def s3_endpoint_policy(outputs: dict[str, Any], aws: Clients, target: targets.Target, evidence: Any) -> str:
    found = aws("ec2").describe_vpc_endpoints(
        Filters=[
            {"Name": "vpc-id", "Values": [outputs["vpc_id"]]},
            {"Name": "service-name", "Values": [f"com.amazonaws.{target.region}.s3"]},
            {"Name": "vpc-endpoint-type", "Values": ["Gateway"]},
        ]
    )["VpcEndpoints"]
    assert len(found) == 1, [e["VpcEndpointId"] for e in found]
    evidence.attach("DescribeVpcEndpoints", trim(found[0]))
    policy = found[0].get("PolicyDocument")
    assert policy, "the S3 gateway endpoint has no policy document"
    statements = policy_statements(policy)
    assert statements, policy
    # Every statement of the platform's endpoint policy applies to any principal; for any caller it then
    # decides exactly as the same statements in an identity policy, which is what IAM's simulator takes
    # (an identity policy may not name a Principal). A statement for some principals only would make that
    # equivalence false, so it fails the step rather than being simulated wrongly.
    assert all(principal_is_wildcard(s.get("Principal")) for s in statements), statements
    as_identity = [{k: v for k, v in s.items() if k != "Principal"} for s in statements]
    return json.dumps({"Version": "2012-10-17", "Statement": as_identity})


def _platform_object(place: str, outputs: dict[str, Any]) -> str:
    if place == "a bucket outside the platform":
        return "arn:aws:s3:::not-a-platform-bucket-qualification/data.csv"
    if place == "the data lake":
        return f"arn:aws:s3:::{outputs['data_lake_bucket']}/processed/ml/train/data.csv"
    raise AssertionError(f"unknown place {place!r}")


@when(
    parsers.parse("IAM simulates s3:GetObject and s3:PutObject on {place} under the endpoint policy"),
    target_fixture="simulation",
)
def simulate_endpoint_policy(
    endpoint_policy: str, place: str, outputs: dict[str, Any], aws: Clients
) -> dict[str, Any]:
    arn = _platform_object(place, outputs)
    answer = aws("iam").simulate_custom_policy(
        PolicyInputList=[endpoint_policy], ActionNames=["s3:GetObject", "s3:PutObject"], ResourceArns=[arn]
    )
    return {
        "call": "SimulateCustomPolicy",
        "simulated_policy": json.loads(endpoint_policy),
        "action": "s3:GetObject, s3:PutObject",
        "resource": arn,
        "answer": trim(answer),
    }


@then("IAM's decision is an allow")
def simulated_allow(simulation: dict[str, Any], evidence: Any) -> None:
    evidence.attach(simulation["call"], simulation)
    results = simulation["answer"].get("EvaluationResults", [])
    assert results, simulation
    assert all(r["EvalDecision"] == "allowed" for r in results), results


# -------------------------------------------------------------------------------------------- training


@given("a corrupt training dataset in the data lake", target_fixture="corrupt_data")
def corrupt_data(outputs: dict[str, Any], aws: Clients) -> Any:
    bucket = outputs["data_lake_bucket"]
    prefix = f"{SCRATCH_PREFIX}/corrupt-{uuid.uuid4().hex[:8]}"
    body = b"1,72,1,0.85\n0,30,zero,0.05\n1,55,0\n"  # a word where a number belongs, a short row
    keys = []
    for split in ("train", "validation"):
        key = f"{prefix}/{split}/{split}.csv"
        aws("s3").put_object(Bucket=bucket, Key=key, Body=body, ChecksumAlgorithm="SHA256")
        keys.append(key)
    data = {"bucket": bucket, "prefix": prefix, "sha256": hashlib.sha256(body).hexdigest(), "keys": keys}
    yield data
    for key in keys:  # scratch data, not evidence: removed (every version) after the scenario
        versions = aws("s3").list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
        for v in versions:
            aws("s3").delete_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])


@when("a training job is run on it with the platform's training settings", target_fixture="failed_job")
def train_on_corrupt(corrupt_data: dict[str, Any], outputs: dict[str, Any], target: targets.Target) -> Any:
    name = f"qualification-negative-{uuid.uuid4().hex[:10]}"
    code_uri, _ = workflow.upload_code(target, outputs["data_lake_bucket"], lambda _m: None)
    request = workflow.training_job_request(name, outputs, code_uri, workflow.DEFAULT_HYPERPARAMETERS)
    base = f"s3://{corrupt_data['bucket']}/{corrupt_data['prefix']}"
    for channel in request["InputDataConfig"]:
        if channel["ChannelName"] in ("train", "validation"):
            channel["DataSource"]["S3DataSource"]["S3Uri"] = f"{base}/{channel['ChannelName']}/"
    target.client("sagemaker").create_training_job(**request)
    desc = workflow.wait_for_training(target, name, lambda _m: None)
    return {
        "request": {k: request[k] for k in ("TrainingJobName", "InputDataConfig", "StoppingCondition")},
        "describe": trim(desc),
    }


@then("the training job ends Failed within its stopping condition")
def job_failed(failed_job: dict[str, Any], evidence: Any) -> None:
    desc = failed_job["describe"]
    evidence.attach("CreateTrainingJob", failed_job["request"])
    evidence.attach(
        "DescribeTrainingJob",
        {
            k: desc.get(k)
            for k in (
                "TrainingJobName",
                "TrainingJobStatus",
                "FailureReason",
                "TrainingStartTime",
                "TrainingEndTime",
                "StoppingCondition",
                "RequestId",
            )
        },
    )
    assert desc["TrainingJobStatus"] == "Failed", desc["TrainingJobStatus"]
    limit = desc["StoppingCondition"]["MaxRuntimeInSeconds"]
    ran = (desc["TrainingEndTime"] - desc["TrainingStartTime"]).total_seconds()
    assert ran <= limit, (ran, limit)


@then("its failure reason names the corrupt data")
def failure_names_data(failed_job: dict[str, Any], evidence: Any) -> None:
    reason = failed_job["describe"].get("FailureReason") or ""
    evidence.attach("FailureReason", {"FailureReason": reason})
    assert "train" in reason and any(
        w in reason.lower() for w in ("numeric", "number", "line", "row", "column")
    ), reason


# ------------------------------------------------------------------------------------------- registry


@given("a model trained on shuffled labels", target_fixture="poor_model")
def poor_model(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    import xgboost as xgb

    from harness.ml import artifacts as ml_package
    from harness.ml import dataset
    from harness.ml.schema import FEATURE_NAMES

    x, y = dataset.generate(2000, seed=7)
    rng = np.random.default_rng(7)
    shuffled = rng.permutation(y)  # labels unrelated to the features: no skill
    booster = xgb.train(
        {"max_depth": 3, "eta": 0.3, "objective": "binary:logistic", "seed": 7},
        xgb.DMatrix(x, label=shuffled, feature_names=list(FEATURE_NAMES)),
        num_boost_round=20,
    )
    bucket = outputs["data_lake_bucket"]
    key = f"{workflow.MODEL_PREFIX}/qualification-negative-{uuid.uuid4().hex[:8]}/output/model.tar.gz"
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "model").mkdir()
        booster.save_model(str(Path(tmp) / "model" / "xgboost-model"))
        tar = ml_package.build_model_tar(Path(tmp) / "model", Path(tmp) / "model.tar.gz")
        body = tar.read_bytes()
    aws("s3").put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ChecksumAlgorithm="SHA256",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=outputs["kms_key_arns"]["model"],
    )
    return {"uri": f"s3://{bucket}/{key}", "sha256": hashlib.sha256(body).hexdigest(), "body": body}


def _split(outputs: dict[str, Any], aws: Clients, split: str) -> dict[str, Any]:
    bucket = outputs["data_lake_bucket"]
    listing = aws("s3").list_objects_v2(Bucket=bucket, Prefix=f"{workflow.DATA_PREFIX}/{split}/")
    key = next(o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".csv"))
    body = aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return {"uri": f"s3://{bucket}/{key}", "sha256": hashlib.sha256(body).hexdigest(), "body": body}


@when("the registration gate scores it on the held-out test split and registers it", target_fixture="gated")
def gate_poor_model(
    poor_model: dict[str, Any], outputs: dict[str, Any], aws: Clients, target: targets.Target
) -> dict[str, Any]:
    group = outputs["model_package_group_name"]
    before = workflow.latest_approved_package(target, group)["ModelPackageArn"]
    splits = {s: _split(outputs, aws, s) for s in ("train", "validation", "test")}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test.csv"
        path.write_bytes(splits["test"]["body"])
        auc = workflow.holdout_auc(workflow.load_booster(poor_model["body"]), path)
    arn, approval = workflow.register_model(
        target,
        outputs,
        job_name=poor_model["uri"].split("/")[-3],
        artifact_url=poor_model["uri"],
        artifact_sha256=poor_model["sha256"],
        metrics={},
        holdout=auc,
        data={"splits": {k: {"uri": v["uri"], "sha256": v["sha256"]} for k, v in splits.items()}},
        trainer=caller(target),
    )
    return {"auc": auc, "arn": arn, "approval": approval, "approved_before": before}


@then("its holdout AUC is below the specification's criterion")
def auc_below(gated: dict[str, Any], evidence: Any) -> None:
    minimum = threshold("URS_012", "holdout_auc_min")
    evidence.attach("HoldoutScoring", {"auc": gated["auc"], "criterion": minimum})
    assert gated["auc"] < minimum, gated


@then("the registry holds it as Rejected")
def registered_rejected(gated: dict[str, Any], aws: Clients, evidence: Any) -> None:
    desc = trim(aws("sagemaker").describe_model_package(ModelPackageName=gated["arn"]))
    evidence.attach(
        "DescribeModelPackage",
        {
            k: desc.get(k)
            for k in ("ModelPackageArn", "ModelApprovalStatus", "CustomerMetadataProperties", "RequestId")
        },
    )
    assert gated["approval"] == desc["ModelApprovalStatus"] == "Rejected", desc["ModelApprovalStatus"]


@then("the latest approved model package is unchanged")
def approved_unchanged(
    gated: dict[str, Any], outputs: dict[str, Any], target: targets.Target, evidence: Any
) -> None:
    now = workflow.latest_approved_package(target, outputs["model_package_group_name"])["ModelPackageArn"]
    evidence.attach("LatestApproved", {"before": gated["approved_before"], "after": now})
    assert now == gated["approved_before"] and now != gated["arn"]


# ------------------------------------------------------------------------------------- endpoint, KMS


@when("the client invokes an endpoint that is not deployed", target_fixture="attempt")
def invoke_missing(aws: Clients) -> dict[str, Any]:
    name = f"not-deployed-{uuid.uuid4().hex[:8]}"
    attempt = _attempt(
        "InvokeEndpoint",
        lambda: aws("sagemaker-runtime").invoke_endpoint(
            EndpointName=name, ContentType="application/json", Body=b'{"features": [72, 1, 0.85]}'
        ),
    )
    attempt["endpoint"] = name
    return attempt


@then("the invocation is refused with a ValidationError naming that endpoint")
def refused_missing(attempt: dict[str, Any], evidence: Any) -> None:
    evidence.attach("InvokeEndpoint", attempt)
    assert attempt["refused"], attempt
    assert attempt["error"].get("Code") == "ValidationError", attempt["error"]
    assert attempt["endpoint"] in attempt["error"].get("Message", ""), attempt["error"]


@when(parsers.parse("the key is asked to {operation}"), target_fixture="attempt")
def misuse_key(kms_key: dict[str, Any], operation: str, aws: Clients) -> dict[str, Any]:
    kms = aws("kms")
    if operation == "encrypt data":
        return _attempt("Encrypt", lambda: kms.encrypt(KeyId=kms_key["arn"], Plaintext=b"qualification"))
    if operation == "sign":
        return _attempt(
            "Sign",
            lambda: kms.sign(
                KeyId=kms_key["arn"],
                Message=b"\0" * 32,
                MessageType="DIGEST",
                SigningAlgorithm="RSASSA_PSS_SHA_256",
            ),
        )
    raise AssertionError(f"unknown operation {operation!r}")


@then(parsers.parse("KMS refuses with {code}"))
def kms_refused(attempt: dict[str, Any], code: str, kms_key: dict[str, Any], evidence: Any) -> None:
    evidence.attach("KeyMetadata", {k: kms_key["metadata"].get(k) for k in ("KeyId", "KeyUsage", "KeySpec")})
    refused_with(attempt, code, evidence)


@then("shortening that version's retention is refused")
def shorten_refused(probe: dict[str, Any], aws: Clients, evidence: Any) -> None:
    s3 = aws("s3")
    current = s3.get_object_retention(Bucket=probe["bucket"], Key=probe["key"], VersionId=probe["version"])
    retention = current["Retention"]
    earlier = retention["RetainUntilDate"] - dt.timedelta(hours=12)
    attempt = _attempt(
        "PutObjectRetention (shorter)",
        lambda: s3.put_object_retention(
            Bucket=probe["bucket"],
            Key=probe["key"],
            VersionId=probe["version"],
            Retention={"Mode": retention["Mode"], "RetainUntilDate": earlier},
        ),
    )
    after = s3.get_object_retention(Bucket=probe["bucket"], Key=probe["key"], VersionId=probe["version"])
    evidence.attach("GetObjectRetention (after)", trim(after))
    refused_with(attempt, "AccessDenied", evidence)
    assert after["Retention"]["RetainUntilDate"] == retention["RetainUntilDate"], after


# ------------------------------------------------------------------------------------------- personas


@given(parsers.parse("a session of the {persona} persona"), target_fixture="persona_session")
def persona_session(persona: str, outputs: dict[str, Any], target: targets.Target) -> Any:
    from features import personas

    role_arn = outputs.get(personas.PERSONA_OUTPUTS[persona])
    assert role_arn, f"the platform has no {persona} role (output {personas.PERSONA_OUTPUTS[persona]})"
    return personas.assume(target, role_arn, "oq-negative", purpose=f"negative test as the {persona}")


def _persona_attempt(
    call: str, fn: Callable[[], Any], undo: Callable[[], Any] | None = None
) -> dict[str, Any]:
    """A call as the persona; when IAM wrongly lets it through, ``undo`` removes what it made."""
    attempt = _attempt(call, fn)
    if not attempt["refused"] and undo is not None:
        with contextlib.suppress(botocore.exceptions.ClientError):
            undo()
        attempt["undone"] = True
    return attempt


@when(
    parsers.parse("the persona requests the platform's training job without its {guard}"),
    target_fixture="attempt",
)
def persona_training(
    persona_session: Any, guard: str, outputs: dict[str, Any], target: targets.Target
) -> Any:
    from features import personas

    request = personas.training_request(outputs, omit=guard)
    name = request["TrainingJobName"]
    return _persona_attempt(
        f"CreateTrainingJob without {guard}",
        lambda: persona_session.client("sagemaker").create_training_job(**request),
        lambda: target.client("sagemaker").stop_training_job(TrainingJobName=name),
    )


def _served_model(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    endpoint = aws("sagemaker").describe_endpoint(EndpointName=outputs["endpoint_name"])
    config = aws("sagemaker").describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    return {
        "config": config,
        "model": aws("sagemaker").describe_model(ModelName=config["ProductionVariants"][0]["ModelName"]),
    }


@when(
    "the persona creates a model of the served artifact without network isolation", target_fixture="attempt"
)
def persona_model(persona_session: Any, outputs: dict[str, Any], aws: Clients) -> Any:
    served = _served_model(outputs, aws)["model"]
    name = f"oq-negative-model-{uuid.uuid4().hex[:8]}"
    request = {
        "ModelName": name,
        "PrimaryContainer": {
            k: served["PrimaryContainer"][k]
            for k in ("Image", "ModelDataUrl", "Environment")
            if k in served["PrimaryContainer"]
        },
        "ExecutionRoleArn": served["ExecutionRoleArn"],
        "VpcConfig": served["VpcConfig"],
        "EnableNetworkIsolation": False,
    }
    return _persona_attempt(
        "CreateModel without network isolation",
        lambda: persona_session.client("sagemaker").create_model(**request),
        lambda: aws("sagemaker").delete_model(ModelName=name),
    )


@when(
    "the persona creates an endpoint configuration of the served model without a KMS key",
    target_fixture="attempt",
)
def persona_endpoint_config(persona_session: Any, outputs: dict[str, Any], aws: Clients) -> Any:
    config = _served_model(outputs, aws)["config"]
    name = f"oq-negative-config-{uuid.uuid4().hex[:8]}"
    variant = {
        k: v
        for k, v in config["ProductionVariants"][0].items()
        if k in ("VariantName", "ModelName", "InitialInstanceCount", "InstanceType", "InitialVariantWeight")
    }
    return _persona_attempt(
        "CreateEndpointConfig without KmsKeyId",
        lambda: persona_session.client("sagemaker").create_endpoint_config(
            EndpointConfigName=name, ProductionVariants=[variant]
        ),
        lambda: aws("sagemaker").delete_endpoint_config(EndpointConfigName=name),
    )


@when(parsers.parse("the persona asks the KMS key for {purpose} to encrypt data"), target_fixture="attempt")
def persona_encrypt(persona_session: Any, purpose: str, key_arn_for: Callable[[str], str]) -> Any:
    key = key_arn_for(purpose)
    return _persona_attempt(
        f"Encrypt with the KMS key for {purpose}",
        lambda: persona_session.client("kms").encrypt(KeyId=key, Plaintext=b"qualification"),
    )


@when(
    parsers.parse("the persona sets the retention of the training jobs log group to {days:d} day"),
    target_fixture="attempt",
)
def persona_retention(persona_session: Any, days: int, aws: Clients) -> Any:
    group = "/aws/sagemaker/TrainingJobs"
    before = aws("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"][0].get("retentionInDays")
    attempt = _persona_attempt(
        f"PutRetentionPolicy {days} day",
        lambda: persona_session.client("logs").put_retention_policy(logGroupName=group, retentionInDays=days),
        lambda: aws("logs").put_retention_policy(logGroupName=group, retentionInDays=before),
    )
    attempt["log_group"] = group
    return attempt


@then("the persona is refused as access denied")
def persona_refused(attempt: dict[str, Any], evidence: Any) -> None:
    from features import personas

    evidence.attach(attempt["call"], attempt)
    assert attempt["refused"], f"{attempt['call']} was let through (and undone): {attempt.get('answer')}"
    assert attempt["error"].get("Code") in personas.DENIED, attempt["error"]


@then("the log group still retains events for at least the days the specification sets")
def retention_kept(attempt: dict[str, Any], aws: Clients, evidence: Any) -> None:
    group = aws("logs").describe_log_groups(logGroupNamePrefix=attempt["log_group"])["logGroups"][0]
    days = int(threshold("URS_023", "min_retention_days"))
    shown = {
        "logGroupName": group["logGroupName"],
        "retentionInDays": group.get("retentionInDays"),
        "required_min_days": days,
    }
    evidence.attach("DescribeLogGroups", shown)
    assert (group.get("retentionInDays") or 0) >= days, shown
