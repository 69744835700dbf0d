"""When is a released model package unchanged? The live endpoint decides the deploy; the registry
decides whether a retraining is a new version. Stand-in clients: no emulator."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from harness import workflow
from harness.ml import artifacts
from harness.provisioning import Layout

ARTIFACT = b"model.tar.gz bytes"
SHA = hashlib.sha256(ARTIFACT).hexdigest()
URL = "s3://lake/models/dropout_xgb/job-1/output/model.tar.gz"
STATS = "s3://lake/models/dropout_xgb/job-1/evaluation/metrics.json"
IMAGE = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/xgboost:1.7-1"
ENV = artifacts.container_environment(workflow.SERVING_SUBMIT_DIR)
DATA = {
    "splits": {
        name: {"uri": f"s3://lake/processed/ml/{name}/{name}.csv", "sha256": name * 8, "rows": 1}
        for name in ("train", "validation", "test")
    }
}


def _package(version: int = 1, **meta: str) -> dict[str, Any]:
    return {
        "ModelPackageArn": f"arn:aws:sagemaker:eu-central-1:123456789012:model-package/group/{version}",
        "ModelPackageVersion": version,
        "ModelApprovalStatus": "Approved",
        "InferenceSpecification": {"Containers": [{"Image": IMAGE, "ModelDataUrl": URL, "Environment": ENV}]},
        "ModelMetrics": {"ModelQuality": {"Statistics": {"S3Uri": STATS}}},
        "CustomerMetadataProperties": {
            "training_job": "job-1",
            "artifact_sha256": SHA,
            "holdout_auc": "0.806000",
            "auc_threshold": str(workflow.auc_threshold()),
            "dataset_source": "generator",
            **meta,
        },
    }


class _S3:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        if f"s3://{Bucket}/{Key}" not in self.objects:  # as S3 answers a missing key
            error = {"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}}
            raise botocore.exceptions.ClientError(error, "GetObject")  # type: ignore[arg-type]
        return {"Body": io.BytesIO(self.objects[f"s3://{Bucket}/{Key}"])}


class _SageMaker:
    class exceptions:
        ClientError = RuntimeError

    def __init__(self, package: dict[str, Any], model_url: str = URL, status: str = "InService") -> None:
        self.package, self.model_url, self.status = package, model_url, status

    def list_model_packages(self, **_kw: Any) -> dict[str, Any]:
        return {"ModelPackageSummaryList": [{"ModelPackageArn": self.package["ModelPackageArn"]}]}

    def describe_model_package(self, ModelPackageName: str) -> dict[str, Any]:
        return self.package

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:
        return {
            "EndpointArn": f"arn:endpoint/{EndpointName}",
            "EndpointStatus": self.status,
            "EndpointConfigName": "c",
        }

    def describe_endpoint_config(self, EndpointConfigName: str) -> dict[str, Any]:
        return {"ProductionVariants": [{"ModelName": "m"}]}

    def describe_model(self, ModelName: str) -> dict[str, Any]:
        container = {"Image": IMAGE, "ModelDataUrl": self.model_url, "Environment": ENV}
        return {"ModelName": ModelName, "ModelArn": f"arn:model/{ModelName}", "PrimaryContainer": container}


class _Target:
    name = "local"

    def __init__(self, sm: _SageMaker, objects: dict[str, bytes]) -> None:
        self.clients = {"sagemaker": sm, "s3": _S3(objects)}

    def client(self, service: str) -> Any:
        return self.clients[service]


def _objects(artifact: bytes = ARTIFACT) -> dict[str, bytes]:
    recorded = {k: {"uri": v["uri"], "sha256": v["sha256"]} for k, v in DATA["splits"].items()}
    return {URL: artifact, STATS: json.dumps({"dataset": recorded}).encode()}


def test_the_endpoint_is_kept_only_when_it_serves_the_package_live_and_the_release_pins_it(
    tmp_path: Path,
) -> None:
    layout = Layout(work=tmp_path)
    package = _package()
    target = _Target(_SageMaker(package), _objects())
    decision = workflow.release_unchanged(target, "ep", package, layout=layout)  # type: ignore[arg-type]
    assert not decision["unchanged"] and "release" in decision["why"]  # no release file pins it yet
    workflow.write_release(layout, target, package)  # type: ignore[arg-type]
    decision = workflow.release_unchanged(target, "ep", package, layout=layout)  # type: ignore[arg-type]
    assert decision["unchanged"], decision
    assert decision["served"]["artifact_sha256"] == SHA and decision["model_package"]["version"] == 1

    other = _Target(_SageMaker(package, model_url="s3://lake/other/model.tar.gz"), _objects())
    assert not workflow.release_unchanged(other, "ep", package, layout=layout)["unchanged"]  # type: ignore[arg-type]
    updating = _Target(_SageMaker(package, status="Updating"), _objects())
    assert not workflow.release_unchanged(updating, "ep", package, layout=layout)["unchanged"]  # type: ignore[arg-type]
    swapped = _Target(_SageMaker(package), _objects(b"other bytes at the same URL"))
    decision = workflow.release_unchanged(swapped, "ep", package, layout=layout)  # type: ignore[arg-type]
    assert not decision["unchanged"] and "SHA-256" in decision["why"]
    deleted = _Target(_SageMaker(package), {k: v for k, v in _objects().items() if k != URL})
    decision = workflow.release_unchanged(deleted, "ep", package, layout=layout)  # type: ignore[arg-type]
    assert not decision["unchanged"] and decision["served"]["artifact_sha256"] is None  # gone: redeploy
    assert not workflow.release_unchanged(target, None, package, layout=layout)["unchanged"]  # type: ignore[arg-type]


def test_a_retraining_is_the_approved_version_only_when_everything_recorded_matches() -> None:
    package = _package()
    target = _Target(_SageMaker(package), _objects())
    outputs = {"model_package_group_name": "group", "inference_image_uri": IMAGE}
    same = workflow.identical_approved_version(
        target,  # type: ignore[arg-type]
        outputs,
        artifact_sha256=SHA,
        holdout=0.806,
        data=DATA,
    )
    assert same is not None and same["version"] == 1 and same["approval"] == "Approved"
    assert same["compared"]["artifact_sha256"] == {"new": SHA, "registered": SHA}

    def differs(**kw: Any) -> bool:
        args: dict[str, Any] = {"artifact_sha256": SHA, "holdout": 0.806, "data": DATA, **kw}
        return workflow.identical_approved_version(target, outputs, **args) is None  # type: ignore[arg-type]

    assert differs(artifact_sha256="0" * 64)  # another model
    assert differs(holdout=0.807)
    other_data = {"splits": {**DATA["splits"], "test": {**DATA["splits"]["test"], "sha256": "x"}}}
    assert differs(data=other_data)  # same bytes, other data: a new version with its own lineage
    athena = {**DATA, "source": {"feature_group": "fg", "query_execution_id": "q", "result_sha256": "r"}}
    assert differs(data=athena)
    swapped = _Target(_SageMaker(package), _objects(b"replaced in S3"))
    assert (
        workflow.identical_approved_version(swapped, outputs, artifact_sha256=SHA, holdout=0.806, data=DATA)
        is None
    )  # type: ignore[arg-type]
    stale = _Target(_SageMaker(_package(auc_threshold="0.5")), _objects())
    assert (
        workflow.identical_approved_version(stale, outputs, artifact_sha256=SHA, holdout=0.806, data=DATA)
        is None
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("image", [IMAGE, "another-image"])
def test_another_serving_image_is_a_new_version(image: str) -> None:
    target = _Target(_SageMaker(_package()), _objects())
    outputs = {"model_package_group_name": "group", "inference_image_uri": image}
    found = workflow.identical_approved_version(
        target, outputs, artifact_sha256=SHA, holdout=0.806, data=DATA
    )  # type: ignore[arg-type]
    assert (found is not None) == (image == IMAGE)


def test_a_retraining_after_the_approved_artifact_was_deleted_is_a_new_version() -> None:
    """A delete marker on the approved version's model data (GetObject answers NoSuchKey): the new
    training result is not that version, so it is registered; the training does not fail."""
    import botocore.exceptions

    class _Deleted(_S3):
        def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
            if f"s3://{Bucket}/{Key}" == URL:
                error = {"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}}
                raise botocore.exceptions.ClientError(error, "GetObject")  # type: ignore[arg-type]
            return super().get_object(Bucket, Key)

    target = _Target(_SageMaker(_package()), _objects())
    target.clients["s3"] = _Deleted(_objects())
    outputs = {"model_package_group_name": "group", "inference_image_uri": IMAGE}
    found = workflow.identical_approved_version(
        target, outputs, artifact_sha256=SHA, holdout=0.806, data=DATA
    )  # type: ignore[arg-type]
    assert found is None
