"""Pipeline executions really execute their definition: order, property files, conditions, Fail, Stop."""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE, wait_for

SCRIPT = textwrap.dedent(
    """
    import json, pathlib, sys, time
    out = pathlib.Path(sys.argv[2])
    if sys.argv[1] == "sleep":
        time.sleep(60)
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps({"metrics": {"auc": {"value": float(sys.argv[1])}}}))
    """
)


def _processing(name: str, bucket: str, auc: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "AppSpecification": {
                "ImageUri": "492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/evaluate.py"],
                "ContainerArguments": [auc, "/opt/ml/processing/evaluation"],
            },
            "RoleArn": ROLE,
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}
            },
            "ProcessingInputs": [
                {
                    "InputName": "code",
                    "S3Input": {
                        "S3Uri": f"s3://{bucket}/pl/code/evaluate.py",
                        "LocalPath": "/opt/ml/processing/input/code",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                }
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "evaluation",
                        "S3Output": {
                            "S3Uri": {
                                "Std:Join": {
                                    "On": "/",
                                    "Values": [f"s3://{bucket}/pl", {"Get": "Execution.PipelineExecutionId"}],
                                }
                            },
                            "LocalPath": "/opt/ml/processing/evaluation",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
        },
        "PropertyFiles": [
            {"PropertyFileName": "Report", "OutputName": "evaluation", "FilePath": "evaluation.json"}
        ],
    }


OUTPUT_URI = "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"
REPORT = {"Get": "Steps.Evaluate.PropertyFiles.Report"}


def _definition(bucket: str, group: str) -> str:
    register = {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": "img",
                        "ModelDataUrl": {"Get": OUTPUT_URI},
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "CustomerMetadataProperties": {
                "auc": {"Std:JsonGet": {"PropertyFile": REPORT, "Path": "metrics.auc.value"}},
                "trained_by": {"Get": "Parameters.TrainedBy"},
            },
        },
    }  # fmt: skip
    fail = {
        "Name": "BelowCriterion",
        "Type": "Fail",
        "Arguments": {
            "ErrorMessage": {
                "Std:Join": {"On": " ", "Values": ["AUC below", {"Get": "Parameters.Threshold"}]}
            }
        },
    }
    condition = {
        "Name": "Criterion",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "GreaterThanOrEqualTo",
                    "LeftValue": {
                        "Std:JsonGet": {
                            "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Report"},
                            "Path": "metrics.auc.value",
                        }
                    },
                    "RightValue": {"Get": "Parameters.Threshold"},
                }
            ],
            "IfSteps": [register],
            "ElseSteps": [fail],
        },
    }
    # the condition is listed first: order comes from the references, not the list
    definition = {
        "Version": "2020-12-01",
        "Parameters": [
            {"Name": "Threshold", "Type": "Float", "DefaultValue": 0.75},
            {"Name": "Auc", "Type": "String", "DefaultValue": "0.8"},
            {"Name": "TrainedBy", "Type": "String", "DefaultValue": "nobody"},
        ],
        "Steps": [condition, _processing("Evaluate", bucket, {"Get": "Parameters.Auc"})],
    }
    return json.dumps(definition)


@pytest.fixture(scope="module")
def pipeline(aws: Callable[..., Any], bucket: str) -> dict[str, str]:
    aws("s3").put_object(Bucket=bucket, Key="pl/code/evaluate.py", Body=SCRIPT.encode())
    sm = aws("sagemaker")
    group = f"group-{uuid.uuid4().hex[:6]}"
    sm.create_model_package_group(ModelPackageGroupName=group)
    name = f"pl-{uuid.uuid4().hex[:6]}"
    sm.create_pipeline(PipelineName=name, PipelineDefinition=_definition(bucket, group), RoleArn=ROLE)
    return {"name": name, "group": group}


def _finished(sm: Any, arn: str, timeout: float = 60) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        return described if described["PipelineExecutionStatus"] not in ("Executing", "Stopping") else None

    return wait_for(check, timeout)


def _steps(sm: Any, arn: str) -> list[dict[str, Any]]:
    return sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]


def test_execution_runs_steps_in_dependency_order_and_registers(
    aws: Callable[..., Any], pipeline: dict
) -> None:
    sm = aws("sagemaker")
    arn = sm.start_pipeline_execution(
        PipelineName=pipeline["name"],
        PipelineParameters=[{"Name": "TrainedBy", "Value": "arn:aws:iam::123456789012:user/trainer"}],
    )["PipelineExecutionArn"]
    first = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert first["PipelineExecutionStatus"] == "Executing", [s.get("FailureReason") for s in _steps(sm, arn)]
    described = _finished(sm, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    assert "FailureReason" not in described
    steps = _steps(sm, arn)
    assert [s["StepName"] for s in steps] == ["Register", "Criterion", "Evaluate"]  # newest first
    assert {s["StepStatus"] for s in steps} == {"Succeeded"}
    assert steps[1]["Metadata"] == {"Condition": {"Outcome": "True"}}
    job_arn = steps[2]["Metadata"]["ProcessingJob"]["Arn"]
    job = sm.describe_processing_job(ProcessingJobName=job_arn.rsplit("/", 1)[-1])
    execution_id = arn.rsplit("/", 1)[-1]
    assert job["ProcessingJobName"].startswith(f"pipelines-{execution_id}-Evaluate-")
    assert job["ProcessingJobStatus"] == "Completed"
    package_arn = steps[0]["Metadata"]["RegisterModel"]["Arn"]
    package = sm.describe_model_package(ModelPackageName=package_arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["CustomerMetadataProperties"] == {
        "auc": "0.8",
        "trained_by": "arn:aws:iam::123456789012:user/trainer",
    }
    container = package["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"].endswith(f"/pl/{execution_id}")  # Std:Join + Execution variable
    params = sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)["PipelineParameters"]
    assert {"Name": "Threshold", "Value": "0.75"} in params


def test_condition_false_takes_else_branch_and_fails(aws: Callable[..., Any], pipeline: dict) -> None:
    sm = aws("sagemaker")
    arn = sm.start_pipeline_execution(
        PipelineName=pipeline["name"], PipelineParameters=[{"Name": "Threshold", "Value": "0.9"}]
    )["PipelineExecutionArn"]
    described = _finished(sm, arn)
    assert described["PipelineExecutionStatus"] == "Failed"
    assert described["FailureReason"] == "AUC below 0.9"
    steps = _steps(sm, arn)
    assert [s["StepName"] for s in steps] == ["BelowCriterion", "Criterion", "Evaluate"]
    assert steps[0]["StepStatus"] == "Failed"
    assert steps[0]["Metadata"] == {"Fail": {"ErrorMessage": "AUC below 0.9"}}
    assert steps[1]["Metadata"] == {"Condition": {"Outcome": "False"}}


def test_failed_job_fails_the_step_and_stop_stops(aws: Callable[..., Any], pipeline: dict) -> None:
    sm = aws("sagemaker")
    arn = sm.start_pipeline_execution(
        PipelineName=pipeline["name"], PipelineParameters=[{"Name": "Auc", "Value": "not-a-number"}]
    )["PipelineExecutionArn"]
    described = _finished(sm, arn)
    assert described["PipelineExecutionStatus"] == "Failed"
    evaluate = _steps(sm, arn)[0]
    assert evaluate["StepName"] == "Evaluate" and evaluate["StepStatus"] == "Failed"
    assert "AlgorithmError" in evaluate["FailureReason"]

    arn = sm.start_pipeline_execution(
        PipelineName=pipeline["name"], PipelineParameters=[{"Name": "Auc", "Value": "sleep"}]
    )["PipelineExecutionArn"]
    wait_for(lambda: _steps(sm, arn), timeout=20)
    sm.stop_pipeline_execution(PipelineExecutionArn=arn)
    assert _finished(sm, arn, timeout=20)["PipelineExecutionStatus"] == "Stopped"
    step = _steps(sm, arn)[0]
    assert step["StepStatus"] == "Stopped"
    job = sm.describe_processing_job(
        ProcessingJobName=step["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1]
    )
    assert job["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(ClientError, match="Cannot stop"):
        sm.stop_pipeline_execution(PipelineExecutionArn=arn)


def test_unknown_parameter_is_rejected(aws: Callable[..., Any], pipeline: dict) -> None:
    with pytest.raises(ClientError, match="Nope"):
        aws("sagemaker").start_pipeline_execution(
            PipelineName=pipeline["name"], PipelineParameters=[{"Name": "Nope", "Value": "1"}]
        )


def test_a_stop_while_the_step_creates_its_job_stops_that_job() -> None:
    """StopPipelineExecution between a step's start (listed) and its job's creation: the job that the
    step then creates is stopped, not waited for to its end."""
    import threading
    from types import SimpleNamespace

    from harness.emulator.runtime.pipelines import PipelineRun

    creating, created = threading.Event(), threading.Event()
    jobs: dict[str, str] = {}

    class Backend:
        account_id, region_name = "123456789012", "eu-central-1"

        def create_processing_job(self, processing_job_name: str, **_: Any) -> Any:
            creating.set()
            created.wait(5)  # the stop comes now, while the job is being created
            jobs[processing_job_name] = "InProgress"
            return SimpleNamespace(
                arn=f"arn:aws:sagemaker:eu-central-1:123456789012:processing-job/{processing_job_name}"
            )

        def describe_processing_job(self, name: str) -> dict[str, Any]:
            return {"ProcessingJobStatus": jobs[name]}

        def stop_processing_job(self, name: str) -> None:
            jobs[name] = "Stopped"

    definition = {
        "Version": "2020-12-01",
        "Steps": [{"Name": "Evaluate", "Type": "Processing", "Arguments": {}}],
    }
    execution = SimpleNamespace(arn="arn:aws:sagemaker:eu-central-1:123456789012:pipeline/p/execution/e1")
    run = PipelineRun(Backend(), SimpleNamespace(), execution, definition, {})
    run.start()
    assert creating.wait(5)
    run.stop()  # no job yet: nothing to stop at this moment
    created.set()
    run.thread.join(10)
    assert not run.thread.is_alive() and list(jobs.values()) == ["Stopped"]
    assert execution.pipeline_execution_status == "Stopped"
