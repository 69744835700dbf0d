"""The seed's workflow on a target: data -> training job -> model registry -> endpoint -> invocation.

Everything here goes through the AWS APIs of the target (boto3), so the same code drives real
SageMaker and the embedded local runtime. The model code itself (``harness.ml``) ships to the
training container as ``sourcedir.tar.gz``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import io
import json
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import botocore.exceptions
import numpy as np

from harness import modelapproval
from harness.errors import HarnessError
from harness.identity import Identity, caller
from harness.layout import Layout
from harness.ml import artifacts, dataset
from harness.ml.metrics import roc_auc
from harness.ml.train import METRIC_DEFINITIONS
from harness.progress import JobCreated, JobStatus
from harness.progress import Progress as Progress  # re-exported for callers of harness.workflow
from harness.s3 import download as download  # re-exported: workflow.download is public
from harness.s3 import s3_split as s3_split  # re-exported: workflow.s3_split is public
from harness.target import Target, aws_errors

#: Where the model's acceptance criterion lives: the specification (URS_012 ``holdout_auc_min``).
AUC_CRITERION = ("URS_012", "holdout_auc_min")
DATA_PREFIX = "processed/ml"
MODEL_PREFIX = "models/dropout_xgb"
CODE_CHANNEL_PATH = "/opt/ml/input/data/code/sourcedir.tar.gz"
SERVING_SUBMIT_DIR = "/opt/ml/model/code"
EXPERIMENT = "dropout-model"
DEFAULT_HYPERPARAMETERS = {"num_round": "100", "max_depth": "3", "eta": "0.1", "seed": "42"}


class WorkflowError(HarnessError):
    """A training, registration, deployment or invocation step failed."""


@dataclasses.dataclass
class TrainingRun:
    job_name: str
    status: str
    failure_reason: str | None
    artifact_url: str | None
    artifact_sha256: str | None
    metrics: dict[str, float]
    holdout_auc: float | None
    model_package_arn: str | None
    approval: str | None
    dataset: dict[str, Any]
    seconds: float
    #: When the job's artifact is byte-for-byte the latest Approved version's (deterministic training:
    #: same data, seed, code and container): that version, and what was compared. Nothing new is
    #: registered then; ``model_package_arn`` is that version.
    same_as: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def name_stamp() -> str:
    """The UTC time as a suffix of the names the harness gives jobs and executions (``20261201-032507``)."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")


# -- data ----------------------------------------------------------------------------------------


def prepare_data(
    target: Target, bucket: str, data_dir: Path, *, rows: int, seed: int, progress: Progress
) -> dict[str, Any]:
    """Generate the synthetic splits (if missing) and upload them with SHA-256 checksums."""
    manifest_path = data_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    if not manifest or manifest.get("rows") != rows or manifest.get("seed") != seed or manifest.get("source"):
        progress(f"generating {rows} synthetic subjects (seed {seed}) into {data_dir}")
        dataset.write_splits(data_dir, rows, seed)
        manifest = json.loads(manifest_path.read_text())
    return upload_splits(target, bucket, data_dir, manifest, progress=progress)


def upload_splits(
    target: Target, bucket: str, data_dir: Path, manifest: Mapping[str, Any], *, progress: Progress
) -> dict[str, Any]:
    """Upload the splits of a manifest (generated, or built from a feature store query) with checksums."""
    s3 = target.client("s3")
    uploaded: dict[str, Any] = {}
    for name, split in manifest["splits"].items():
        path = data_dir / split["path"]
        key = f"{DATA_PREFIX}/{name}/{path.name}"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ChecksumAlgorithm="SHA256")
        uploaded[name] = {
            "uri": f"s3://{bucket}/{key}",
            "sha256": split["sha256"],
            "rows": split["rows"],
            "local_path": str(path),
        }
        progress(
            f"uploaded {name}: {split['rows']} rows -> s3://{bucket}/{key} (sha256 {split['sha256'][:12]}…)"
        )
    data = {"seed": manifest.get("seed"), "rows": manifest["rows"], "splits": uploaded}
    if manifest.get("source"):
        data["source"] = manifest["source"]
    return data


# -- training ------------------------------------------------------------------------------------


def training_channel(name: str, uri: str, content_type: str | None = None) -> dict[str, Any]:
    """One File-mode, fully replicated ``S3Prefix`` channel of a CreateTrainingJob request."""
    spec: dict[str, Any] = {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
        "InputMode": "File",
    }
    if content_type:
        spec["ContentType"] = content_type
    return spec


def training_request(
    name: str,
    *,
    role_arn: str,
    image: str,
    channels: Sequence[Mapping[str, Any]],
    output_path: str,
    hyperparameters: Mapping[str, str] | None = None,
    metric_definitions: Sequence[Mapping[str, str]] | None = None,
    output_kms_key: str | None = None,
    volume_kms_key: str | None = None,
    vpc: Mapping[str, Any] | None = None,
    network_isolation: bool = False,
    inter_container_encryption: bool = False,
    tags: Sequence[Mapping[str, str]] | None = None,
    instance_type: str = "ml.m5.xlarge",
    volume_gb: int = 30,
    max_runtime: int = 600,
) -> dict[str, Any]:
    """The one CreateTrainingJob request builder: the seed's step 3 (one instance, File mode, 30 GB,
    600 s) with whatever governance settings the caller adds. Keys left out are left out of the request,
    as the AWS CLI leaves them out."""
    algorithm: dict[str, Any] = {"TrainingImage": image, "TrainingInputMode": "File"}
    if metric_definitions is not None:
        algorithm["MetricDefinitions"] = [dict(d) for d in metric_definitions]
    resources: dict[str, Any] = {
        "InstanceType": instance_type,
        "InstanceCount": 1,
        "VolumeSizeInGB": volume_gb,
    }
    if volume_kms_key:
        resources["VolumeKmsKeyId"] = volume_kms_key
    output: dict[str, Any] = {"S3OutputPath": output_path}
    if output_kms_key:
        output["KmsKeyId"] = output_kms_key
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": role_arn,
        "AlgorithmSpecification": algorithm,
        "InputDataConfig": [dict(c) for c in channels],
        "OutputDataConfig": output,
        "ResourceConfig": resources,
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
    }
    if hyperparameters is not None:
        request["HyperParameters"] = dict(hyperparameters)
    if vpc is not None:
        request["VpcConfig"] = {
            "SecurityGroupIds": list(vpc["SecurityGroupIds"]),
            "Subnets": list(vpc["Subnets"]),
        }
    if network_isolation:
        request["EnableNetworkIsolation"] = True
    if inter_container_encryption:
        request["EnableInterContainerTrafficEncryption"] = True
    if tags:
        request["Tags"] = [dict(t) for t in tags]
    return request


def training_job_request(
    name: str, outputs: Mapping[str, Any], code_uri: str, hyperparameters: Mapping[str, str]
) -> dict[str, Any]:
    """The seed's CreateTrainingJob plus the governance settings (VPC, isolation, KMS, encryption)."""
    bucket = outputs["data_lake_bucket"]
    return training_request(
        name,
        role_arn=outputs["execution_role_arn"],
        image=outputs["training_image_uri"],
        metric_definitions=METRIC_DEFINITIONS,
        hyperparameters={**artifacts.training_hyperparameters(CODE_CHANNEL_PATH), **hyperparameters},
        channels=[
            training_channel("train", f"s3://{bucket}/{DATA_PREFIX}/train/", "text/csv"),
            training_channel("validation", f"s3://{bucket}/{DATA_PREFIX}/validation/", "text/csv"),
            training_channel("code", code_uri),
        ],
        output_path=f"s3://{bucket}/{MODEL_PREFIX}",
        output_kms_key=outputs["kms_key_arns"]["model"],
        volume_kms_key=outputs["kms_key_arns"]["volume"],
        vpc={
            "SecurityGroupIds": [outputs["sagemaker_security_group_id"]],
            "Subnets": outputs["private_subnet_ids"],
        },
        network_isolation=True,
        inter_container_encryption=True,
        tags=[{"Key": "Project", "Value": "sagemaker-gxp-platform"}],
    )


def upload_code(target: Target, bucket: str, progress: Progress) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = artifacts.build_sourcedir(Path(tmp) / "sourcedir.tar.gz")
        data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    key = f"{MODEL_PREFIX}/code/{digest[:16]}/sourcedir.tar.gz"
    target.client("s3").put_object(Bucket=bucket, Key=key, Body=data, ChecksumAlgorithm="SHA256")
    progress(f"uploaded training code -> s3://{bucket}/{key} (sha256 {digest[:12]}…)")
    return f"s3://{bucket}/{key}", digest


def wait_for_training(
    target: Target, name: str, progress: Progress, *, timeout: float = 900, poll: float = 1.0
) -> dict[str, Any]:
    """Poll DescribeTrainingJob, echoing status transitions and per-round metrics from the log.

    Not boto3's training_job_completed_or_stopped waiter: each poll also reads the job's new log events
    and status transitions for the user, which a waiter (one call, silent) cannot do."""
    sm = target.client("sagemaker")
    logs = target.client("logs")
    seen_status: set[str] = set()
    next_token: str | None = None
    deadline = time.monotonic() + timeout
    try:
        with aws_errors(target, doing=f"waiting for training job {name}"):
            return _poll_training(sm, logs, name, progress, seen_status, next_token, deadline, timeout, poll)
    except KeyboardInterrupt:
        _stop_training(target, name, progress)
        raise


def _stop_training(target: Target, name: str, progress: Progress) -> None:
    """Ctrl-C while waiting: stop the job too (best effort), so no training process runs on."""
    try:
        target.client("sagemaker").stop_training_job(TrainingJobName=name)
        progress(f"interrupted: asked SageMaker to stop training job {name}")
    except Exception as exc:  # the interrupt matters more than this courtesy
        progress(f"interrupted: could not stop training job {name}: {exc}")


def _poll_training(
    sm: Any,
    logs: Any,
    name: str,
    progress: Progress,
    seen_status: set[str],
    next_token: str | None,
    deadline: float,
    timeout: float,
    poll: float,
) -> dict[str, Any]:
    shown: set[str | None] = set()
    since: int | None = None
    while True:
        desc = sm.describe_training_job(TrainingJobName=name)
        for transition in desc.get("SecondaryStatusTransitions", []):
            key = transition.get("Status", "")
            if key not in seen_status:
                seen_status.add(key)
                progress(JobStatus("training", name, key, transition.get("StatusMessage", "")))
        try:
            kwargs: dict[str, Any] = {
                "logGroupName": "/aws/sagemaker/TrainingJobs",
                "logStreamNamePrefix": name + "/",
            }
            if next_token:
                kwargs["nextToken"] = next_token
            elif since is not None:
                kwargs["startTime"] = since
            page = logs.filter_log_events(**kwargs)
            for event in page.get("events", []):
                if event.get("eventId") in shown:
                    continue  # a poll after the last page starts again at the newest event seen
                shown.add(event.get("eventId"))
                since = max(since or 0, int(event.get("timestamp") or 0))
                message = event["message"].replace("#011", "  ").strip()
                if message.startswith("["):
                    progress(f"  {message}")
            # FilterLogEvents gives no token after the last page: the next poll reads from the newest
            # event's time (events already shown are skipped), not the whole stream again.
            next_token = page.get("nextToken")
        except logs.exceptions.ResourceNotFoundException:
            pass
        status = desc["TrainingJobStatus"]
        if status in ("Completed", "Failed", "Stopped"):
            return desc
        if time.monotonic() > deadline:
            raise WorkflowError(f"training job {name} still {status} after {timeout:.0f}s")
        time.sleep(poll)


def load_booster(artifact: bytes) -> Any:
    """The XGBoost booster inside a model.tar.gz (for scoring outside the endpoint)."""
    import xgboost as xgb

    with tarfile.open(fileobj=io.BytesIO(artifact), mode="r:gz") as tar:
        member = tar.extractfile("xgboost-model")
        if member is None:
            raise WorkflowError("model.tar.gz has no xgboost-model")
        raw = bytearray(member.read())
    booster = xgb.Booster()
    booster.load_model(raw)
    return booster


def score(booster: Any, features: np.ndarray) -> np.ndarray:
    """Scores of the booster for rows of features in the seed's order."""
    import xgboost as xgb

    from harness.ml.schema import FEATURE_NAMES

    return booster.predict(xgb.DMatrix(np.asarray(features, dtype=float), feature_names=list(FEATURE_NAMES)))


def holdout_auc(booster: Any, csv_path: Path) -> float:
    data = np.loadtxt(csv_path, delimiter=",", ndmin=2)
    return float(roc_auc(data[:, 0], score(booster, data[:, 1:])))


def auc_threshold(specification: Path | None = None) -> float:
    """The holdout ROC AUC a model must reach to be Approved, read from the specification."""
    from harness.layout import REPO_ROOT
    from harness.validation.requirements import load_requirements

    spec = load_requirements(specification or REPO_ROOT / "features" / "requirements.yaml")
    return float(spec.threshold(*AUC_CRITERION))


def register_model(
    target: Target,
    outputs: Mapping[str, Any],
    *,
    job_name: str,
    artifact_url: str,
    artifact_sha256: str,
    metrics: Mapping[str, float],
    holdout: float,
    data: Mapping[str, Any],
    trainer: Identity | None = None,
) -> tuple[str, str]:
    """A model package in the registry group: Rejected when it misses the acceptance criterion, else
    PendingManualApproval (a person approves it: ``harness.modelapproval``). The identity that
    started the training is recorded with it (default: the caller), so that it cannot approve its
    own model."""
    sm = target.client("sagemaker")
    trainer = trainer or caller(target)
    threshold = auc_threshold()
    approval = "PendingManualApproval" if holdout >= threshold else "Rejected"
    bucket, _ = s3_split(artifact_url)
    metrics_doc = {
        "training_job": job_name,
        "holdout_auc": holdout,
        "threshold": threshold,
        "criterion": f"{AUC_CRITERION[0]} {AUC_CRITERION[1]}",
        "final_metrics": dict(metrics),
        "dataset": {k: {"uri": v["uri"], "sha256": v["sha256"]} for k, v in data["splits"].items()},
        "artifact_sha256": artifact_sha256,
    }
    metrics_key = f"{MODEL_PREFIX}/{job_name}/evaluation/metrics.json"
    target.client("s3").put_object(
        Bucket=bucket,
        Key=metrics_key,
        Body=json.dumps(metrics_doc, indent=2).encode(),
        ChecksumAlgorithm="SHA256",
    )
    response = sm.create_model_package(
        ModelPackageGroupName=outputs["model_package_group_name"],
        ModelPackageDescription=f"XGBoost dropout-risk model from {job_name} (holdout AUC {holdout:.3f})",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": outputs["inference_image_uri"],
                    "ModelDataUrl": artifact_url,
                    "Environment": artifacts.container_environment(SERVING_SUBMIT_DIR),
                }
            ],
            "SupportedContentTypes": ["application/json", "text/csv"],
            "SupportedResponseMIMETypes": ["application/json", "text/csv"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
        },
        ModelApprovalStatus=approval,
        ModelMetrics={
            "ModelQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{bucket}/{metrics_key}"}
            }
        },
        CustomerMetadataProperties={
            "training_job": job_name,
            "holdout_auc": f"{holdout:.6f}",
            "auc_threshold": str(threshold),
            "artifact_sha256": artifact_sha256,
            "train_sha256": data["splits"]["train"]["sha256"],
            **_source_metadata(data),
            **modelapproval.trainer_metadata(trainer),
        },
    )
    return response["ModelPackageArn"], approval


def _source_metadata(data: Mapping[str, Any]) -> dict[str, str]:
    """Where the training data came from, for the model package (feature group and Athena query)."""
    source = data.get("source")
    if not source:
        return {"dataset_source": "generator"}
    return {
        "dataset_source": "athena",
        "feature_group": str(source["feature_group"]),
        "query_execution_id": str(source["query_execution_id"]),
        "query_result_sha256": str(source["result_sha256"]),
    }


def record_lineage(target: Target, run: TrainingRun) -> None:
    """SageMaker Experiments: experiment -> trial (the job) -> a component with inputs and outputs."""
    sm = target.client("sagemaker")
    try:
        sm.create_experiment(ExperimentName=EXPERIMENT, Description="Dropout-risk model lineage")
    except sm.exceptions.ClientError as exc:
        if "already exists" not in str(exc).lower() and "ResourceInUse" not in str(exc):
            raise
    sm.create_trial(TrialName=run.job_name, ExperimentName=EXPERIMENT)
    component = f"{run.job_name}-lineage"
    sm.create_trial_component(
        TrialComponentName=component,
        DisplayName="dataset -> training job -> artifact -> model package",
        Status={"PrimaryStatus": "Completed"},
        Parameters={
            "holdout_auc": {"NumberValue": float(run.holdout_auc or 0.0)},
            "model_package_arn": {"StringValue": run.model_package_arn or ""},
        },
        InputArtifacts={
            name: {"Value": info["uri"], "MediaType": "text/csv"}
            for name, info in run.dataset["splits"].items()
        },
        OutputArtifacts={"model": {"Value": run.artifact_url or "", "MediaType": "application/x-tar"}},
    )
    sm.associate_trial_component(TrialComponentName=component, TrialName=run.job_name)


def train(
    target: Target,
    outputs: Mapping[str, Any],
    *,
    layout: Layout,
    progress: Progress,
    rows: int = 5000,
    seed: int = 42,
    hyperparameters: Mapping[str, str] | None = None,
    job_name: str | None = None,
    source: str = "generator",
) -> TrainingRun:
    """Generate (or, with ``source="features"``, query the feature store for) and upload data, train,
    check the holdout AUC, register the model, record lineage."""
    with aws_errors(target, doing="training"):
        return _train(target, outputs, layout, progress, rows, seed, hyperparameters, job_name, source)


def _train(
    target: Target,
    outputs: Mapping[str, Any],
    layout: Layout,
    progress: Progress,
    rows: int,
    seed: int,
    hyperparameters: Mapping[str, str] | None,
    job_name: str | None,
    source: str = "generator",
) -> TrainingRun:
    start = time.monotonic()
    trainer = caller(target)  # recorded with the version: the trainer may not approve it
    bucket = outputs["data_lake_bucket"]
    if source == "features":
        from harness import featurestore

        data_dir = layout.cache_dir / "data-features"
        manifest, _ = featurestore.training_dataset(target, outputs, data_dir, progress=progress)
        data = upload_splits(target, bucket, data_dir, manifest, progress=progress)
    elif source == "generator":
        data = prepare_data(
            target, bucket, layout.cache_dir / "data", rows=rows, seed=seed, progress=progress
        )
    else:
        raise WorkflowError(f"unknown training data source {source!r} (generator or features)")
    code_uri, _ = upload_code(target, bucket, progress)
    name = job_name or f"dropout-model-train-{name_stamp()}"
    request = training_job_request(
        name, outputs, code_uri, {**DEFAULT_HYPERPARAMETERS, **(hyperparameters or {})}
    )
    target.client("sagemaker").create_training_job(**request)
    progress(JobCreated("training", name))
    desc = wait_for_training(target, name, progress)
    status = desc["TrainingJobStatus"]
    metrics = {m["MetricName"]: float(m["Value"]) for m in desc.get("FinalMetricDataList", [])}
    run = TrainingRun(
        job_name=name,
        status=status,
        failure_reason=desc.get("FailureReason"),
        artifact_url=None,
        artifact_sha256=None,
        metrics=metrics,
        holdout_auc=None,
        model_package_arn=None,
        approval=None,
        dataset=data,
        seconds=0.0,
    )
    if status != "Completed":
        run.seconds = time.monotonic() - start
        raise WorkflowError(f"training job {name} {status}: {run.failure_reason or 'no reason given'}")
    run.artifact_url = desc["ModelArtifacts"]["S3ModelArtifacts"]
    artifact = download(target, run.artifact_url)
    run.artifact_sha256 = hashlib.sha256(artifact).hexdigest()
    run.holdout_auc = holdout_auc(load_booster(artifact), Path(data["splits"]["test"]["local_path"]))
    progress(
        f"artifact {run.artifact_url} (sha256 {run.artifact_sha256[:12]}…), "
        f"holdout AUC {run.holdout_auc:.3f} (criterion >= {auc_threshold()})"
    )
    run.same_as = identical_approved_version(
        target, outputs, artifact_sha256=run.artifact_sha256, holdout=run.holdout_auc, data=data
    )
    if run.same_as is not None:
        run.model_package_arn, run.approval = run.same_as["arn"], run.same_as["approval"]
        progress(
            f"the artifact is byte-for-byte model package version {run.same_as['version']} "
            f"({run.model_package_arn}, {run.approval}): the same model, not registered again"
        )
        record_lineage(target, run)
        run.seconds = time.monotonic() - start
        return run
    run.model_package_arn, run.approval = register_model(
        target,
        outputs,
        job_name=name,
        artifact_url=run.artifact_url,
        artifact_sha256=run.artifact_sha256,
        metrics=metrics,
        holdout=run.holdout_auc,
        data=data,
        trainer=trainer,
    )
    progress(f"model package {run.model_package_arn} {run.approval} (trained by {trainer.describe()})")
    if run.approval == "PendingManualApproval":
        run.approval = _approval_after_registration(target, outputs, run, progress)
    record_lineage(target, run)
    run.seconds = time.monotonic() - start
    return run


def _registered_sha256(target: Target, uri: str) -> str | None:
    """The SHA-256 of a registered version's model data, None when the object is gone (deleted, or
    a delete marker on top): then the new training result is not that version and is registered."""
    try:
        return hashlib.sha256(download(target, uri)).hexdigest()
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise


def identical_approved_version(
    target: Target,
    outputs: Mapping[str, Any],
    *,
    artifact_sha256: str,
    holdout: float,
    data: Mapping[str, Any],
) -> dict[str, Any] | None:
    """The latest Approved version of the group when a new training result is that same model.

    Training is deterministic (same data, seed, code and container give the same ``model.tar.gz``,
    written by one deterministic tar writer), so a retraining on unchanged inputs yields the bytes of
    the version already approved. It is that version when all of these hold, each read live: the bytes
    at its model data URL hash to ``artifact_sha256`` (and so does the SHA-256 it recorded); its
    container image and environment are what :func:`register_model` would register now; it recorded
    the same training data (every split's URI and SHA-256, in its quality statistics), the same data
    source, the same holdout AUC and the specification's current criterion. Otherwise None (a new
    version is registered). Returns the version and what was compared (for the evidence)."""
    threshold = auc_threshold()
    if _source_metadata(data) != {"dataset_source": "generator"} or holdout < threshold:
        return None  # decided before any call: a query's data is its own lineage; a rejected model is new
    try:
        pkg = latest_approved_package(target, outputs["model_package_group_name"])
    except WorkflowError:
        return None  # nothing approved yet
    meta = pkg.get("CustomerMetadataProperties") or {}
    if meta.get("artifact_sha256") != artifact_sha256:
        return None  # another model by what it recorded: no need to download its artifact
    container = pkg["InferenceSpecification"]["Containers"][0]
    statistics = (((pkg.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}).get(
        "S3Uri"
    )
    recorded_data = json.loads(download(target, statistics)).get("dataset") if statistics else None
    compared = {
        "artifact_sha256": (artifact_sha256, _registered_sha256(target, container["ModelDataUrl"])),
        "recorded_artifact_sha256": (artifact_sha256, meta.get("artifact_sha256")),
        "image": (outputs["inference_image_uri"], container.get("Image")),
        "environment": (
            artifacts.container_environment(SERVING_SUBMIT_DIR),
            container.get("Environment", {}),
        ),
        "dataset": (
            {k: {"uri": v["uri"], "sha256": v["sha256"]} for k, v in data["splits"].items()},
            recorded_data,
        ),
        "data_source": (_source_metadata(data)["dataset_source"], meta.get("dataset_source", "generator")),
        "holdout_auc": (f"{holdout:.6f}", meta.get("holdout_auc")),
        "auc_threshold": (str(threshold), meta.get("auc_threshold")),
    }
    if any(new != old for new, old in compared.values()):
        return None
    return {
        "arn": pkg["ModelPackageArn"],
        "version": pkg.get("ModelPackageVersion"),
        "approval": pkg["ModelApprovalStatus"],
        "training_job": meta.get("training_job"),
        "compared": {k: {"new": new, "registered": old} for k, (new, old) in compared.items()},
    }


def platform_environment(target: Target, outputs: Mapping[str, Any]) -> str:
    """The platform's ``environment`` (output of the root configuration)."""
    return str(outputs.get("environment") or ("local" if target.is_local else "unknown"))


def _approval_after_registration(
    target: Target, outputs: Mapping[str, Any], run: TrainingRun, progress: Progress
) -> str:
    """Outside ``local`` a person approves (PendingManualApproval stays); on the local target the
    version is approved automatically through the approver role, and says so."""
    environment = platform_environment(target, outputs)
    if environment != "local":
        progress(
            f"environment {environment}: the version waits for a person's approval "
            '(`python -m harness model approve --version N --name "..." --reason "..."`)'
        )
        return "PendingManualApproval"
    sm = target.client("sagemaker")
    version = sm.describe_model_package(ModelPackageName=run.model_package_arn)["ModelPackageVersion"]
    modelapproval.approve_automatically(
        target,
        outputs,
        version=version,
        reason=f"local target: holdout AUC {run.holdout_auc:.3f} meets the criterion (automatic approval)",
        progress=progress,
    )
    return "Approved"


def retire_registry(target: Target, group: str, progress: Progress) -> int:
    """Delete what ``train`` registered outside Terraform (model package versions, lineage records),
    so that destroying the model package group can succeed (AWS refuses while it holds versions).
    Training jobs cannot be deleted in SageMaker; they stay as the record of what ran."""
    sm = target.client("sagemaker")
    removed = 0
    try:
        packages = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    except sm.exceptions.ClientError:
        packages = []
    for summary in packages:
        sm.delete_model_package(ModelPackageName=summary["ModelPackageArn"])
        removed += 1
    try:
        trials = sm.list_trials(ExperimentName=EXPERIMENT)["TrialSummaries"]
    except sm.exceptions.ClientError:
        trials = []
    for trial in trials:
        name = trial["TrialName"]
        for comp in sm.list_trial_components(TrialName=name).get("TrialComponentSummaries", []):
            sm.disassociate_trial_component(TrialComponentName=comp["TrialComponentName"], TrialName=name)
            sm.delete_trial_component(TrialComponentName=comp["TrialComponentName"])
        sm.delete_trial(TrialName=name)
        removed += 1
    if trials:
        sm.delete_experiment(ExperimentName=EXPERIMENT)
    if removed:
        progress(f"retired {len(packages)} model package(s) and {len(trials)} lineage trial(s)")
    return removed


# -- deployment and invocation -------------------------------------------------------------------


def latest_approved_package(target: Target, group: str) -> dict[str, Any]:
    sm = target.client("sagemaker")
    summaries = sm.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
    )["ModelPackageSummaryList"]
    if not summaries:
        raise WorkflowError(f"no approved model package in {group}", hint="train one first: `make train`")
    return sm.describe_model_package(ModelPackageName=summaries[0]["ModelPackageArn"])


def release_settings(package_desc: Mapping[str, Any]) -> dict[str, Any]:
    """The tfvars that pin the endpoint to a model package: its artifact and container environment."""
    container = package_desc["InferenceSpecification"]["Containers"][0]
    return {
        "model_artifact_url": container["ModelDataUrl"],
        "model_environment": container.get("Environment", {}),
    }


def write_release(layout: Layout, target: Target, package_desc: Mapping[str, Any]) -> Path:
    """Pin the endpoint to a model package: its artifact and container environment become tfvars."""
    path = layout.release_file(target.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(release_settings(package_desc), indent=2) + "\n")
    return path


def release_unchanged(
    target: Target, endpoint: str | None, package_desc: Mapping[str, Any], *, layout: Layout
) -> dict[str, Any]:
    """Does the live endpoint already serve exactly this model package? Read live, not from files.

    Unchanged means all of: the endpoint is InService; its endpoint configuration has one production
    variant, whose model's container has the package's image, model data URL and environment; the
    bytes at that URL hash to the SHA-256 the package recorded at registration; and the release the
    next ``apply`` would converge to (the release tfvars) pins the same artifact and environment (else
    Terraform would change the endpoint back). Returns ``{"unchanged", "why", "compared"}``: what was
    compared, for the evidence."""
    container = package_desc["InferenceSpecification"]["Containers"][0]
    wanted = {
        "image": container["Image"],
        "model_data_url": container["ModelDataUrl"],
        "environment": container.get("Environment", {}),
        "artifact_sha256": (package_desc.get("CustomerMetadataProperties") or {}).get("artifact_sha256"),
    }
    decision: dict[str, Any] = {
        "unchanged": False,
        "model_package": {
            "arn": package_desc["ModelPackageArn"],
            "version": package_desc.get("ModelPackageVersion"),
            "approval": package_desc.get("ModelApprovalStatus"),
        },
        "wanted": wanted,
        "served": None,
    }
    if not endpoint:
        return {**decision, "why": "no endpoint in the platform's outputs yet"}
    sm = target.client("sagemaker")
    try:
        ep = sm.describe_endpoint(EndpointName=endpoint)
    except sm.exceptions.ClientError as exc:
        # Only "Could not find endpoint" means there is nothing to keep; a refusal or throttling is an
        # error to report, not a reason to redeploy.
        if exc.response.get("Error", {}).get("Code") != "ValidationException":
            raise
        return {**decision, "why": f"endpoint {endpoint} does not exist: {exc}"}
    config = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
    variants = config.get("ProductionVariants", [])
    served: dict[str, Any] = {
        "endpoint": ep["EndpointArn"],
        "status": ep["EndpointStatus"],
        "endpoint_config": ep["EndpointConfigName"],
        "variants": len(variants),
    }
    decision["served"] = served
    if ep["EndpointStatus"] != "InService":
        return {**decision, "why": f"endpoint {endpoint} is {ep['EndpointStatus']}"}
    if len(variants) != 1:
        return {**decision, "why": f"endpoint configuration has {len(variants)} production variants"}
    model = sm.describe_model(ModelName=variants[0]["ModelName"])
    primary = model.get("PrimaryContainer") or {}
    served.update(
        model=model["ModelArn"],
        image=primary.get("Image"),
        model_data_url=primary.get("ModelDataUrl"),
        environment=primary.get("Environment", {}),
    )
    for field in ("image", "model_data_url", "environment"):
        if served[field] != wanted[field]:
            return {**decision, "why": f"the served model's {field} differs from the package's"}
    release = layout.release_file(target.name)  # the local file first: the download below is dearer
    pinned = json.loads(release.read_text()) if release.is_file() else None
    decision["release_file"] = {
        "path": str(release),
        "pins_package": pinned == release_settings(package_desc),
    }
    if pinned != release_settings(package_desc):
        return {**decision, "why": f"the release ({release.name}) does not pin this package"}
    served["artifact_sha256"] = _registered_sha256(target, primary["ModelDataUrl"])  # None: gone
    if served["artifact_sha256"] != wanted["artifact_sha256"]:
        return {**decision, "why": "the served artifact's SHA-256 differs from the one the package recorded"}
    return {
        **decision,
        "unchanged": True,
        "why": f"the live model {model['ModelName']} has the package's image, artifact (sha256 "
        f"{served['artifact_sha256'][:12]}…) and environment, and the endpoint is InService",
    }


def invoke(
    target: Target, endpoint: str, features: Sequence[float], *, content_type: str = "application/json"
) -> dict[str, Any]:
    """The seed's InvokeEndpoint: ``{"features": [...]}`` -> ``{"risk_score": p}``."""
    runtime = target.client("sagemaker-runtime")
    body = json.dumps({"features": list(features)})
    try:
        response = runtime.invoke_endpoint(
            EndpointName=endpoint, ContentType=content_type, Accept="application/json", Body=body
        )
    except runtime.exceptions.ModelError as exc:
        raise WorkflowError(f"the model rejected the request: {exc}") from exc
    except runtime.exceptions.ValidationError as exc:
        raise WorkflowError(f"endpoint {endpoint}: {exc}", hint="deploy it first: `make deploy`") from exc
    return json.loads(response["Body"].read())
