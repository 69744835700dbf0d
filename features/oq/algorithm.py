"""Steps of the built-in XGBoost algorithm scenarios (``algorithm.feature``), imported by ``test_oq``.

The training request is the seed's step 3 as written, with the substitutions the README's walkthrough
explains; what a step asserts is read live (DescribeTrainingJob, the artifact in S3, the training log,
InvokeEndpoint) and scores are recomputed offline from the artifact with XGBoost.
"""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import tempfile
import uuid
from pathlib import Path
from typing import Any

import botocore.exceptions
import numpy as np
import pytest
from pytest_bdd import given, parsers, then, when

from features.support import Clients, s3_location, threshold, trim
from harness.target import wait
from harness.workflow import training_channel, training_request

#: The seed's step 3 image, as written.
SEED_IMAGE = "382416733822.dkr.ecr.eu-central-1.amazonaws.com/xgboost:1.3-1"
#: Names that cannot be mistaken for the platform's own training jobs (``dropout-model-train*``).
JOB_PREFIX = "seed-algorithm"
TRAIN_PREFIX = "processed/ml/train/"
VALIDATION_PREFIX = "processed/ml/validation/"
SEED_BODY = '{"features": [72, 1, 0.85]}'


def _hyperparameters(text: str) -> dict[str, str]:
    """``a=1,b=x`` as the AWS CLI's shorthand turns it into HyperParameters."""
    return dict(item.split("=", 1) for item in text.split(",") if item)


def _create_seed_training_job(
    aws: Clients, outputs: dict[str, Any], image: str, hyperparameters: dict[str, str], validation: bool
) -> str:
    """CreateTrainingJob as the seed writes it (plus the substitutions); returns the job's name."""
    lake = outputs["data_lake_bucket"]
    name = f"{JOB_PREFIX}-{uuid.uuid4().hex[:10]}"
    channels = [training_channel("train", f"s3://{lake}/{TRAIN_PREFIX}", "csv")]
    if validation:
        channels.append(training_channel("validation", f"s3://{lake}/{VALIDATION_PREFIX}", "csv"))
    request = training_request(
        name,
        role_arn=outputs["execution_role_arn"],
        image=image,
        channels=channels,
        output_path=f"s3://{lake}/models/dropout_xgb",
        hyperparameters=hyperparameters,
    )
    aws("sagemaker").create_training_job(**request)
    return name


def _wait_training(aws: Clients, name: str) -> dict[str, Any]:
    return wait(
        aws("sagemaker"),
        "training_job_completed_or_stopped",
        what=f"training job {name}",
        timeout=900,
        delay=0.5,
        TrainingJobName=name,
    )


@pytest.fixture(scope="session")
def seed_algorithm_jobs() -> dict[tuple[str, str, bool], Any]:
    """Described jobs by (image, hyperparameters, validation channel)."""
    return {}


def _run(
    aws: Clients,
    outputs: dict[str, Any],
    jobs: dict[tuple[str, str, bool], Any],
    which: str,
    hyperparameters: str,
    validation: bool,
) -> dict[str, Any]:
    """The described job for ``which`` image ("seed" or "platform"); each runs once per session."""
    key = (which, hyperparameters, validation)
    if key not in jobs:
        image = SEED_IMAGE if which == "seed" else outputs["training_image_uri"]
        name = _create_seed_training_job(aws, outputs, image, _hyperparameters(hyperparameters), validation)
        jobs[key] = _wait_training(aws, name)
    return jobs[key]


@when(
    parsers.parse('the seed\'s training job runs on {which} with hyperparameters "{hyperparameters}"'),
    target_fixture="algorithm_job",
)
def seed_job_runs(
    which: str,
    hyperparameters: str,
    aws: Clients,
    outputs: dict[str, Any],
    seed_algorithm_jobs: dict[tuple[str, str, bool], Any],
    evidence: Any,
) -> dict[str, Any]:
    image = "seed" if which == "the seed's image" else "platform"
    job = _run(aws, outputs, seed_algorithm_jobs, image, hyperparameters, validation=False)
    evidence.attach("DescribeTrainingJob", trim(job))
    return job


@when(
    parsers.parse(
        "the algorithm image trains on the train and validation splits "
        'with hyperparameters "{hyperparameters}"'
    ),
    target_fixture="algorithm_job",
)
def algorithm_job_with_validation(
    hyperparameters: str,
    aws: Clients,
    outputs: dict[str, Any],
    seed_algorithm_jobs: dict[tuple[str, str, bool], Any],
    evidence: Any,
) -> dict[str, Any]:
    job = _run(aws, outputs, seed_algorithm_jobs, "platform", hyperparameters, validation=True)
    evidence.attach("DescribeTrainingJob", trim(job))
    return job


@then("the algorithm training job is Completed")
def algorithm_job_completed(algorithm_job: dict[str, Any], evidence: Any) -> None:
    evidence.attach("TrainingJobStatus", {"status": algorithm_job["TrainingJobStatus"]})
    assert algorithm_job["TrainingJobStatus"] == "Completed", algorithm_job.get("FailureReason")


@then(parsers.parse('the algorithm training job failed with the reason "{reason}"'))
def algorithm_job_failed(algorithm_job: dict[str, Any], reason: str, evidence: Any) -> None:
    evidence.attach("FailureReason", algorithm_job.get("FailureReason"))
    assert algorithm_job["TrainingJobStatus"] == "Failed"
    assert reason in (algorithm_job.get("FailureReason") or ""), algorithm_job.get("FailureReason")


@then("the algorithm training job left no model artifact")
def algorithm_job_no_artifact(
    algorithm_job: dict[str, Any], aws: Clients, outputs: dict[str, Any], evidence: Any
) -> None:
    assert not (algorithm_job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
    key = f"models/dropout_xgb/{algorithm_job['TrainingJobName']}/output/model.tar.gz"
    listed = aws("s3").list_objects_v2(Bucket=outputs["data_lake_bucket"], Prefix=key)
    evidence.attach("ListObjectsV2", trim(listed))
    assert listed.get("KeyCount", 0) == 0


def _artifact(aws: Clients, job: dict[str, Any]) -> bytes:
    bucket, key = s3_location(job["ModelArtifacts"]["S3ModelArtifacts"])
    return aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


@then(parsers.parse('the model artifact of the algorithm training job holds only "{name}"'))
def artifact_holds(algorithm_job: dict[str, Any], name: str, aws: Clients, evidence: Any) -> None:
    with tarfile.open(fileobj=io.BytesIO(_artifact(aws, algorithm_job))) as tar:
        names = tar.getnames()
    evidence.attach("model.tar.gz members", names)
    assert names == [name]


@then("the algorithm training job lists the algorithm's metric definitions")
def algorithm_metric_definitions(algorithm_job: dict[str, Any], evidence: Any) -> None:
    definitions = {
        d["Name"]: d["Regex"] for d in algorithm_job["AlgorithmSpecification"]["MetricDefinitions"]
    }
    evidence.attach("MetricDefinitions", definitions)
    assert definitions.get("validation:auc") == ".*\\[[0-9]+\\].*#011validation-auc:(\\S+)"


@then(parsers.parse('the algorithm training job reported "{metric}" of at least the acceptance threshold'))
def algorithm_metric_reported(algorithm_job: dict[str, Any], metric: str, evidence: Any) -> None:
    reported = {m["MetricName"]: m["Value"] for m in algorithm_job.get("FinalMetricDataList") or []}
    minimum = float(threshold("URS_072", "min_validation_auc"))
    evidence.attach("FinalMetricDataList", {"reported": reported, "minimum": minimum})
    assert metric in reported, reported
    assert reported[metric] >= minimum


@then("the algorithm training job stopped before num_round")
def algorithm_stopped_early(algorithm_job: dict[str, Any], aws: Clients, evidence: Any) -> None:
    logs = aws("logs")
    group = "/aws/sagemaker/TrainingJobs"
    streams = logs.describe_log_streams(
        logGroupName=group, logStreamNamePrefix=algorithm_job["TrainingJobName"]
    )
    rounds = 0
    for stream in streams["logStreams"]:
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream["logStreamName"]}
        while True:
            page = logs.get_log_events(startFromHead=True, **kwargs)
            rounds += sum(1 for e in page["events"] if "validation-auc:" in e["message"])
            if not page["events"] or page.get("nextForwardToken") == kwargs.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextForwardToken"]
    num_round = int(algorithm_job["HyperParameters"]["num_round"])
    evidence.attach("Evaluation rounds logged", {"rounds": rounds, "num_round": num_round})
    assert 0 < rounds < num_round


@pytest.fixture(scope="session")
def seed_algorithm_endpoint(
    aws: Clients,
    outputs: dict[str, Any],
    seed_algorithm_jobs: dict[tuple[str, str, bool], Any],
    request: pytest.FixtureRequest,
) -> dict[str, Any]:
    """The seed's step 4 with the model of its step 3 (that image, no script); deleted at the end."""
    job = _run(aws, outputs, seed_algorithm_jobs, "seed", "num_round=100,objective=binary:logistic", False)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    sm = aws("sagemaker")
    name = f"{JOB_PREFIX}-{uuid.uuid4().hex[:8]}"
    sm.create_model(
        ModelName=name,
        PrimaryContainer={"Image": SEED_IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]},
        ExecutionRoleArn=outputs["execution_role_arn"],
    )
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)

    def cleanup() -> None:
        for call, argument in (
            (sm.delete_endpoint, {"EndpointName": name}),
            (sm.delete_endpoint_config, {"EndpointConfigName": name}),
            (sm.delete_model, {"ModelName": name}),
        ):
            with contextlib.suppress(botocore.exceptions.ClientError):
                call(**argument)

    request.addfinalizer(cleanup)

    described = wait(
        sm, "endpoint_in_service", what=f"endpoint {name}", timeout=1200, delay=0.5, EndpointName=name
    )
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    return {"name": name, "job": job}


@given("an endpoint serving the seed's algorithm model without a script", target_fixture="algorithm_endpoint")
def algorithm_endpoint(seed_algorithm_endpoint: dict[str, Any], evidence: Any) -> dict[str, Any]:
    evidence.attach("Endpoint", seed_algorithm_endpoint["name"])
    return seed_algorithm_endpoint


def _invoke(aws: Clients, endpoint: str, body: str, content_type: str, accept: str | None) -> dict[str, Any]:
    extra = {"Accept": accept} if accept else {}
    try:
        answer = aws("sagemaker-runtime").invoke_endpoint(
            EndpointName=endpoint, Body=body.encode(), ContentType=content_type, **extra
        )
    except botocore.exceptions.ClientError as error:
        return {"error": error.response}
    return {"body": answer["Body"].read().decode(), "content_type": answer["ContentType"], "sent": body}


@when(
    parsers.re(
        r'the rows "(?P<rows>[^"]+)" are sent as "(?P<content_type>[^"]+)"( accepting "(?P<accept>[^"]+)")?'
    ),
    target_fixture="algorithm_answer",
)
def rows_sent(
    rows: str,
    content_type: str,
    accept: str | None,
    algorithm_endpoint: dict[str, Any],
    aws: Clients,
    evidence: Any,
) -> dict[str, Any]:
    answer = _invoke(aws, algorithm_endpoint["name"], rows.replace(";", "\n"), content_type, accept)
    evidence.attach("InvokeEndpoint", answer)
    return answer


@when(
    parsers.parse('the seed\'s request body is sent as "{content_type}"'), target_fixture="algorithm_answer"
)
def seed_body_sent(
    content_type: str, algorithm_endpoint: dict[str, Any], aws: Clients, evidence: Any
) -> dict[str, Any]:
    answer = _invoke(aws, algorithm_endpoint["name"], SEED_BODY, content_type, None)
    evidence.attach("InvokeEndpoint", answer)
    return answer


def _offline_scores(aws: Clients, job: dict[str, Any], rows: list[list[float]]) -> list[float]:
    import xgboost as xgb

    with tarfile.open(fileobj=io.BytesIO(_artifact(aws, job))) as tar:
        model = tar.extractfile("xgboost-model")
        assert model is not None
        data = model.read()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "xgboost-model"
        path.write_bytes(data)
        booster = xgb.Booster()
        booster.load_model(str(path))
    return [float(v) for v in booster.predict(xgb.DMatrix(np.array(rows, dtype=float)))]


@then("one score in [0, 1] per row comes back, equal to the artifact's own prediction")
def scores_per_row(
    algorithm_answer: dict[str, Any], algorithm_endpoint: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    assert "body" in algorithm_answer, algorithm_answer
    assert algorithm_answer["content_type"] == "text/csv"
    served = [float(line) for line in algorithm_answer["body"].splitlines()]
    rows = [[float(x) for x in line.split(",")] for line in algorithm_answer["sent"].splitlines()]
    expected = _offline_scores(aws, algorithm_endpoint["job"], rows)
    evidence.attach("Scores", {"served": served, "recomputed offline": expected})
    assert len(served) == len(rows)
    assert all(0.0 <= s <= 1.0 for s in served)
    assert np.allclose(served, expected, atol=1e-6)


@then("the algorithm's JSON form comes back")
def json_form(algorithm_answer: dict[str, Any], evidence: Any) -> None:
    evidence.attach("InvokeEndpoint", algorithm_answer)
    assert "body" in algorithm_answer, algorithm_answer
    assert algorithm_answer["content_type"] == "application/json"
    predictions = json.loads(algorithm_answer["body"])["predictions"]
    assert len(predictions) == 1 and 0.0 <= predictions[0]["score"] <= 1.0


@then("the request is refused with the algorithm's 415")
def refused_415(algorithm_answer: dict[str, Any], evidence: Any) -> None:
    response = algorithm_answer.get("error")
    evidence.attach("InvokeEndpoint", algorithm_answer)
    assert response, f"the request was answered: {algorithm_answer}"
    assert response["Error"]["Code"] == "ModelError"
    assert response.get("OriginalStatusCode") == 415
    assert "is not an accepted ContentType" in response["Error"]["Message"]


@then("the algorithm endpoint is still InService")
def still_in_service(algorithm_endpoint: dict[str, Any], aws: Clients, evidence: Any) -> None:
    described = aws("sagemaker").describe_endpoint(EndpointName=algorithm_endpoint["name"])
    evidence.attach("DescribeEndpoint", trim(described))
    assert described["EndpointStatus"] == "InService"
