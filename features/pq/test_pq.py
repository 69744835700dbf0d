"""Performance qualification: the model service performs as intended in its real use.

Held-out performance (discrimination, calibration, per age band) scored through the endpoint, the
endpoint under representative and sustained load through the sagemaker-runtime API, and reproducible
training through the SageMaker API. Every number a step holds a measurement against comes from the
specification (``features/requirements.yaml``) through :func:`features.pq.measures.judge`; nothing here
depends on the target.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from features.pq import measures
from features.pq.measures import AT_LEAST, AT_MOST, judge, require, spec_value
from features.support import Clients, independent_auc, s3_location, trim
from harness import target as targets
from harness import workflow

scenarios(".")

SEED_REQUEST = {"features": [72, 1, 0.85]}
#: Rows per InvokeEndpoint when the held-out split is scored (well inside the 6 MB payload limit).
BATCH_ROWS = 250
#: Name prefix of the PQ's retraining jobs (not the platform's training prefix: OQ reads the latest of those).
RETRAINING_PREFIX = "dropout-model-pq-retrain"


def _s3_read(aws: Clients, uri: str) -> bytes:
    bucket, key = s3_location(uri)
    return aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


# ============================================================================ the served model


@pytest.fixture(scope="session")
def served_package(outputs: dict[str, Any], aws: Clients) -> dict[str, Any]:
    """The model package whose artifact the endpoint serves (endpoint -> config -> model -> package)."""
    sm = aws("sagemaker")
    assert outputs.get("endpoint_name"), "no endpoint is deployed: run `make train deploy` first"
    endpoint = sm.describe_endpoint(EndpointName=outputs["endpoint_name"])
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    served = model["PrimaryContainer"]["ModelDataUrl"]
    for summary in sm.list_model_packages(
        ModelPackageGroupName=outputs["model_package_group_name"],
        SortBy="CreationTime",
        SortOrder="Descending",
    )["ModelPackageSummaryList"]:
        package = sm.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
        if package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == served:
            return package
    pytest.fail(
        f"no model package of {outputs['model_package_group_name']} holds the served artifact {served}"
    )


@pytest.fixture(scope="session")
def quality_record(served_package: dict[str, Any], aws: Clients) -> dict[str, Any]:
    """The served package's model quality statistics: the dataset objects and their SHA-256."""
    return json.loads(_s3_read(aws, served_package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]))


def _csv(body: bytes) -> np.ndarray:
    return np.loadtxt(body.decode().splitlines(), delimiter=",", ndmin=2)


@given("the held-out test split of the served model package", target_fixture="holdout")
def heldout_split(quality_record: dict[str, Any], aws: Clients, evidence: Any) -> dict[str, Any]:
    recorded = quality_record["dataset"]["test"]
    body = _s3_read(aws, recorded["uri"])
    digest = hashlib.sha256(body).hexdigest()
    data = _csv(body)
    shown = {
        "object": recorded["uri"],
        "sha256": digest,
        "sha256_recorded_by_model_package": recorded["sha256"],
        "rows": int(data.shape[0]),
        "dropouts": int(data[:, 0].sum()),
    }
    evidence.attach("HeldOutTestSplit", shown)
    assert digest == recorded["sha256"], shown
    return {"uri": recorded["uri"], "sha256": digest, "labels": data[:, 0], "features": data[:, 1:]}


def _score_through_endpoint(aws: Clients, endpoint: str, rows: np.ndarray) -> list[float]:
    scores: list[float] = []
    for start in range(0, len(rows), BATCH_ROWS):
        body = json.dumps({"instances": rows[start : start + BATCH_ROWS].tolist()})
        response = aws("sagemaker-runtime").invoke_endpoint(
            EndpointName=endpoint, ContentType="application/json", Accept="application/json", Body=body
        )
        scores += [float(s) for s in json.loads(response["Body"].read())["risk_scores"]]
    return scores


@when("every subject of the held-out test split is scored through the endpoint", target_fixture="measured")
def score_heldout(
    holdout: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> dict[str, Any]:
    scores = np.asarray(_score_through_endpoint(aws, outputs["endpoint_name"], holdout["features"]))
    assert scores.shape == holdout["labels"].shape, (scores.shape, holdout["labels"].shape)
    evidence.attach(
        "EndpointScores",
        {
            "endpoint": outputs["endpoint_name"],
            "object": holdout["uri"],
            "risk_scores": scores.round(6).tolist(),
        },
    )
    return _measured(holdout, scores, transformed="none")


def _measured(holdout: dict[str, Any], scores: np.ndarray, *, transformed: str) -> dict[str, Any]:
    labels = holdout["labels"]
    bins = int(spec_value("URS_041", "ece_bins"))
    calibration = measures.expected_calibration_error(labels, scores, bins)
    return {
        "holdout": holdout,
        "scores": scores,
        "transformed": transformed,
        "auc": independent_auc(labels, scores),
        "brier": measures.brier_score(labels, scores),
        "ece": calibration["ece"],
        "reliability": calibration["reliability"],
    }


@when("the risk scores are shuffled across subjects", target_fixture="measured")
def shuffle_scores(measured: dict[str, Any]) -> dict[str, Any]:
    """A model without discrimination: the same scores, assigned to subjects at random (seeded)."""
    shuffled = np.random.default_rng(20261201).permutation(measured["scores"])
    return _measured(measured["holdout"], shuffled, transformed="shuffled across subjects (seed 20261201)")


@when(parsers.parse("the risk scores are raised to the power {power:g}"), target_fixture="measured")
def distort_scores(measured: dict[str, Any], power: float) -> dict[str, Any]:
    """Miscalibrated scores with the same ranking (a monotone distortion keeps the AUC)."""
    return _measured(
        measured["holdout"], measured["scores"] ** power, transformed=f"raised to the power {power:g}"
    )


def _shown(measured: dict[str, Any]) -> dict[str, Any]:
    """What was measured, without the raw arrays (the scores are attached once, when scored)."""
    return {k: v for k, v in measured.items() if k not in ("holdout", "scores")}


@then(parsers.parse("the {measure} meets the {req} criterion {name}"))
def measure_meets(measure: str, req: str, name: str, measured: dict[str, Any], evidence: Any) -> None:
    evidence.attach("Measured", _shown(measured))
    measures.meets(measure, req, name, measured, evidence)


@then(parsers.parse("the {measure} fails the {req} criterion {name}"))
def measure_fails(measure: str, req: str, name: str, measured: dict[str, Any], evidence: Any) -> None:
    evidence.attach("Measured", _shown(measured))
    measures.rejects(measure, req, name, measured, evidence)


@then(parsers.parse("every age band of {req} holds enough dropouts to be judged"), target_fixture="bands")
def bands_sufficient(req: str, measured: dict[str, Any], evidence: Any) -> list[dict[str, Any]]:
    holdout = measured["holdout"]
    bands = measures.auc_by_band(
        holdout["features"][:, 0],
        holdout["labels"],
        measured["scores"],
        measures.parse_bands(spec_value(req, "age_bands")),
    )
    evidence.attach("AgeBands", bands)
    require(
        [judge(req, "min_band_positives", b["positives"], AT_LEAST) for b in bands], evidence, "BandSizes"
    )
    return bands


@then(parsers.parse("within every age band the ROC AUC meets the {req} criterion {name}"))
def bands_meet(req: str, name: str, bands: list[dict[str, Any]], evidence: Any) -> None:
    verdicts = [judge(req, name, b["auc"], AT_LEAST) for b in bands]
    require(verdicts, evidence, "BandCriteria")


# ================================================================================ load


def _invoker(
    target: targets.Target, endpoint: str, *, malformed_every: int = 0
) -> Callable[[], Callable[[int], None]]:
    """One sagemaker-runtime client per load client, warmed up by one untimed call (its connection)."""
    good = json.dumps(SEED_REQUEST)
    bad = '{"features": [72, 1]}'

    def make() -> Callable[[int], None]:
        client = target.client("sagemaker-runtime", fresh=True)  # its own connection, never shared
        client.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=good)[
            "Body"
        ].read()

        def invoke(n: int) -> None:
            body = bad if malformed_every and n % malformed_every == malformed_every - 1 else good
            client.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=body)[
                "Body"
            ].read()

        return invoke

    return make


@when(parsers.parse("the representative load of {req} is sent"), target_fixture="measured")
def representative_load(
    req: str, endpoint: dict[str, Any], target: targets.Target, evidence: Any
) -> dict[str, Any]:
    clients, requests = int(spec_value(req, "clients")), int(spec_value(req, "requests"))
    result = measures.run_load(_invoker(target, endpoint["EndpointName"]), clients=clients, requests=requests)
    summary = {"clients": clients, "seconds": round(result.seconds, 3), **result.summary()}
    evidence.attach("Load", summary)
    return summary


@when(
    parsers.parse("the representative load of {req} is sent with every {nth:d}th request malformed"),
    target_fixture="measured",
)
def malformed_load(
    req: str, nth: int, endpoint: dict[str, Any], target: targets.Target, evidence: Any
) -> dict[str, Any]:
    clients, requests = int(spec_value(req, "clients")), int(spec_value(req, "requests"))
    requests = min(
        requests, 20 * nth
    )  # enough to measure the error rate; the full load is the other scenario
    result = measures.run_load(
        _invoker(target, endpoint["EndpointName"], malformed_every=nth), clients=clients, requests=requests
    )
    summary = {"clients": clients, "malformed": requests // nth, **result.summary()}
    summary["error_classes"] = sorted({(c.error or "").split(":", 1)[0] for c in result.calls if c.error})
    evidence.attach("LoadWithMalformedRequests", summary)
    return summary


@then("every malformed request was refused with a client error")
def malformed_refused(measured: dict[str, Any], evidence: Any) -> None:
    evidence.attach("compared", {"errors": measured["errors"], "malformed": measured["malformed"]})
    assert measured["errors"] == measured["malformed"], measured
    assert measured["error_classes"] == ["ModelError"], measured


@when(parsers.parse("the sustained load of {req} runs for its duration"), target_fixture="windows")
def sustained_load(
    req: str, endpoint: dict[str, Any], target: targets.Target, evidence: Any
) -> list[dict[str, Any]]:
    clients = int(spec_value(req, "clients"))
    duration, window = float(spec_value(req, "duration_seconds")), float(spec_value(req, "window_seconds"))
    result = measures.run_load(_invoker(target, endpoint["EndpointName"]), clients=clients, duration=duration)
    windows = result.windows(window)
    evidence.attach("SustainedLoad", {"clients": clients, "overall": result.summary(), "windows": windows})
    return windows


@then(parsers.parse("in every window the {measure} meets the {req} criterion {name}"))
def windows_meet(measure: str, req: str, name: str, windows: list[dict[str, Any]], evidence: Any) -> None:
    key, direction = measures.MEASURES[measure]
    require([judge(req, name, w[key], direction) for w in windows], evidence)


@then(parsers.parse("across the windows the spread of the p95 latency meets the {req} criterion {name}"))
def windows_steady(req: str, name: str, windows: list[dict[str, Any]], evidence: Any) -> None:
    p95 = [w["p95_ms"] for w in windows]
    spread = max(p95) / min(p95) if p95 and min(p95) > 0 else float("nan")
    evidence.attach("P95Spread", {"p95_ms": p95, "spread": spread})
    require([judge(req, name, spread, AT_MOST)], evidence)


# ============================================================================ reproducibility


@given("the training job of the served model package", target_fixture="served_job")
def served_training_job(served_package: dict[str, Any], aws: Clients) -> dict[str, Any]:
    name = served_package.get("CustomerMetadataProperties", {}).get("training_job")
    assert name, "the served model package names no training job"
    return aws("sagemaker").describe_training_job(TrainingJobName=name)


def _retrain(served_job: dict[str, Any], aws: Clients, hyperparameters: dict[str, str]) -> dict[str, Any]:
    """CreateTrainingJob from the served job's own description, then wait (boto3's waiter, every 0.5 s)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    name = f"{RETRAINING_PREFIX}-{stamp}-{uuid.uuid4().hex[:6]}"
    request = {
        key: served_job[key]
        for key in (
            "RoleArn",
            "AlgorithmSpecification",
            "HyperParameters",
            "InputDataConfig",
            "OutputDataConfig",
            "ResourceConfig",
            "StoppingCondition",
            "VpcConfig",
            "EnableNetworkIsolation",
            "EnableInterContainerTrafficEncryption",
        )
        if key in served_job
    }
    request["HyperParameters"] = {**request.get("HyperParameters", {}), **hyperparameters}
    sm = aws("sagemaker")
    sm.create_training_job(TrainingJobName=name, **request)
    return targets.wait(
        sm,
        "training_job_completed_or_stopped",
        what=f"training job {name}",
        timeout=1800,
        delay=0.5,
        TrainingJobName=name,
    )  # a Failed job is returned: the Then steps assert Completed and show its FailureReason


@when("it is retrained through the SageMaker API unchanged", target_fixture="retrained")
def retrain_unchanged(served_job: dict[str, Any], aws: Clients, evidence: Any) -> dict[str, Any]:
    job = _retrain(served_job, aws, {})
    evidence.attach("RetrainingJob", trim(job))
    return job


@when(
    parsers.parse("it is retrained through the SageMaker API with the hyperparameter {name} set to {value}"),
    target_fixture="retrained",
)
def retrain_changed(
    name: str, value: str, served_job: dict[str, Any], aws: Clients, evidence: Any
) -> dict[str, Any]:
    assert served_job["HyperParameters"].get(name) != value, f"{name} is already {value}"
    job = _retrain(served_job, aws, {name: value})
    evidence.attach("RetrainingJob", trim(job))
    return job


@then("the retraining job is Completed")
def retraining_completed(retrained: dict[str, Any], evidence: Any) -> None:
    evidence.attach(
        "TrainingJobStatus", {"name": retrained["TrainingJobName"], "status": retrained["TrainingJobStatus"]}
    )
    assert retrained["TrainingJobStatus"] == "Completed", retrained.get("FailureReason")


@then("the retraining job read the data whose SHA-256 the model package records")
def retraining_same_data(
    retrained: dict[str, Any], quality_record: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    recorded = {info["uri"]: info["sha256"] for info in quality_record["dataset"].values()}
    read: dict[str, str] = {}
    for channel in retrained["InputDataConfig"]:
        if channel["ChannelName"] not in quality_record["dataset"]:
            continue  # the code channel: the same S3 object as the served job's (its key is its hash)
        bucket, prefix = s3_location(channel["DataSource"]["S3DataSource"]["S3Uri"])
        for obj in aws("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            uri = f"s3://{bucket}/{obj['Key']}"
            read[uri] = hashlib.sha256(_s3_read(aws, uri)).hexdigest()
    evidence.attach("TrainingData", {"read": read, "recorded": recorded})
    assert read, "the retraining job read no data channel"
    assert all(recorded.get(uri) == digest for uri, digest in read.items()), {
        "read": read,
        "recorded": recorded,
    }


def _prediction_difference(
    retrained: dict[str, Any], served_package: dict[str, Any], quality_record: dict[str, Any], aws: Clients
) -> dict[str, Any]:
    served_url = served_package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    new_url = retrained["ModelArtifacts"]["S3ModelArtifacts"]
    rows = _csv(_s3_read(aws, quality_record["dataset"]["test"]["uri"]))[:, 1:]
    served = workflow.score(workflow.load_booster(_s3_read(aws, served_url)), rows)
    new = workflow.score(workflow.load_booster(_s3_read(aws, new_url)), rows)
    return {
        "served_artifact": served_url,
        "retrained_artifact": new_url,
        "rows": int(rows.shape[0]),
        "max_abs_difference": measures.max_abs_difference(served, new),
    }


@then(parsers.parse("its predictions on the held-out test split {outcome} the {req} criterion {name}"))
def predictions_compared(
    outcome: str,
    req: str,
    name: str,
    retrained: dict[str, Any],
    served_package: dict[str, Any],
    quality_record: dict[str, Any],
    aws: Clients,
    evidence: Any,
) -> None:
    """``meet``: the same predictions within the criterion; ``fail`` (negative): told apart by it."""
    assert outcome in ("meet", "fail"), outcome
    compared = _prediction_difference(retrained, served_package, quality_record, aws)
    evidence.attach("PredictionsCompared", compared)
    check = measures.meets if outcome == "meet" else measures.rejects
    check("prediction difference", req, name, compared, evidence)
