"""The model's SageMaker pipeline on a target: code upload, StartPipelineExecution, following it.

The pipeline itself is Terraform (``modules/mlops``); this module prepares what an execution reads
(the dataset exactly as ``make train`` uploads it, the processing and training code at the locations
the definition names), starts an execution with the acceptance thresholds of the specification as
parameters and the caller's identity as ``TrainedBy``, and follows it step by step through the
SageMaker API (DescribePipelineExecution, ListPipelineExecutionSteps). The same code drives AWS.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness import workflow
from harness.errors import HarnessError
from harness.ml import artifacts
from harness.provisioning import Layout
from harness.target import Target, aws_errors
from harness.workflow import Progress

CRITERION_REQUIREMENT = "URS_078"
"""The requirement whose thresholds are the pipeline's acceptance criterion."""
TERMINAL = ("Succeeded", "Failed", "Stopped")


class PipelineError(HarnessError):
    """A pipeline execution did not succeed, or could not be started or followed."""


@dataclasses.dataclass
class PipelineOutcome:
    """What one execution of the platform's pipeline did, as ``make pipeline`` reports it."""

    pipeline: str
    execution_arn: str
    status: str
    failure_reason: str | None
    trained_by: str
    parameters: dict[str, str]
    steps: list[dict[str, Any]]
    model_package_arn: str | None
    approval: str | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def criterion_parameters(requirements_path: Path | None = None) -> dict[str, str]:
    """AucThreshold and MaxCalibrationError from the specification (features/requirements.yaml)."""
    from harness.validation.requirements import DEFAULT_PATH, load_requirements

    spec = load_requirements(requirements_path or DEFAULT_PATH)
    return {
        "AucThreshold": str(spec.threshold(CRITERION_REQUIREMENT, "auc_min")),
        "MaxCalibrationError": str(spec.threshold(CRITERION_REQUIREMENT, "calibration_error_max")),
    }


def upload_code(target: Target, code_uris: Mapping[str, str], progress: Progress) -> dict[str, str]:
    """The processing code (steps.py + harness/ml) and the training sourcedir.tar.gz where the
    definition reads them. Returns the SHA-256 of each upload."""
    s3 = target.client("s3")
    files = artifacts.processing_files()
    bucket, prefix = workflow.s3_split(code_uris["processing"])
    for name, content in sorted(files.items()):
        s3.put_object(Bucket=bucket, Key=f"{prefix}{name}", Body=content, ChecksumAlgorithm="SHA256")
    processing_sha = hashlib.sha256(artifacts.tar_gz_bytes(files)).hexdigest()
    progress(f"uploaded processing code ({len(files)} files) -> {code_uris['processing']}")
    with tempfile.TemporaryDirectory() as tmp:
        data = artifacts.build_sourcedir(Path(tmp) / "sourcedir.tar.gz").read_bytes()
    bucket, prefix = workflow.s3_split(code_uris["training"])
    s3.put_object(Bucket=bucket, Key=f"{prefix}sourcedir.tar.gz", Body=data, ChecksumAlgorithm="SHA256")
    training_sha = hashlib.sha256(data).hexdigest()
    progress(
        f"uploaded training code -> {code_uris['training']}sourcedir.tar.gz (sha256 {training_sha[:12]}…)"
    )
    return {"processing": processing_sha, "training": training_sha}


def caller_arn(target: Target) -> str:
    """The identity starting the execution (recorded with the version as ``trained_by``)."""
    return str(target.client("sts").get_caller_identity()["Arn"])


def list_steps(target: Target, execution_arn: str) -> list[dict[str, Any]]:
    sm = target.client("sagemaker")
    steps: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"PipelineExecutionArn": execution_arn, "SortOrder": "Ascending"}
    while True:
        page = sm.list_pipeline_execution_steps(**kwargs)
        steps.extend(page.get("PipelineExecutionSteps", []))
        if not page.get("NextToken"):
            return steps
        kwargs["NextToken"] = page["NextToken"]


def _step_line(step: Mapping[str, Any]) -> str:
    meta = step.get("Metadata") or {}
    detail = ""
    for key in ("ProcessingJob", "TrainingJob"):
        if key in meta:
            detail = meta[key]["Arn"].rsplit("/", 1)[-1]
    if "RegisterModel" in meta:
        detail = meta["RegisterModel"]["Arn"].split(":", 5)[-1]
    if "Condition" in meta:
        detail = f"outcome {meta['Condition']['Outcome']}"
    if "Fail" in meta:
        detail = meta["Fail"].get("ErrorMessage", "")
    reason = f": {step['FailureReason']}" if step.get("FailureReason") else ""
    return f"step {step['StepName']} {step['StepStatus']} {detail}{reason}".rstrip()


def follow(
    target: Target, execution_arn: str, progress: Progress, *, timeout: float = 1800, poll: float = 1.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Poll the execution until it ends, reporting every step's status change (boto3 has no waiter for
    pipeline executions)."""
    sm = target.client("sagemaker")
    seen: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while True:
        described = sm.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
        steps = list_steps(target, execution_arn)
        for step in steps:
            if seen.get(step["StepName"]) != step["StepStatus"]:
                seen[step["StepName"]] = step["StepStatus"]
                progress(_step_line(step))
        if described["PipelineExecutionStatus"] in TERMINAL:
            return described, steps
        if time.monotonic() > deadline:
            raise PipelineError(
                f"pipeline execution {execution_arn} still {described['PipelineExecutionStatus']} "
                f"after {timeout:.0f} s",
                hint="follow it with `aws sagemaker list-pipeline-execution-steps` or stop it",
            )
        time.sleep(poll)


def run_pipeline(
    target: Target,
    outputs: Mapping[str, Any],
    *,
    layout: Layout,
    progress: Progress,
    rows: int = 5000,
    seed: int = 42,
    parameters: Mapping[str, str] | None = None,
) -> PipelineOutcome:
    """Prepare data and code, start the pipeline, follow it to the end."""
    with aws_errors(target, doing="the pipeline"):
        start = time.monotonic()
        name = outputs.get("pipeline_name")
        if not name:
            raise PipelineError("the platform has no pipeline output", hint="run `make apply` first")
        bucket = outputs["data_lake_bucket"]
        workflow.prepare_data(
            target, bucket, layout.cache_dir / "data", rows=rows, seed=seed, progress=progress
        )
        upload_code(target, outputs["pipeline_code_uris"], progress)
        trained_by = caller_arn(target)
        params = {**criterion_parameters(), "TrainedBy": trained_by, **(parameters or {})}
        sm = target.client("sagemaker")
        arn = sm.start_pipeline_execution(
            PipelineName=name,
            PipelineExecutionDisplayName=f"make-pipeline-{workflow.name_stamp()}",
            PipelineParameters=[{"Name": k, "Value": str(v)} for k, v in params.items()],
        )["PipelineExecutionArn"]
        progress(f"started {arn} (AucThreshold {params['AucThreshold']}, TrainedBy {trained_by})")
        described, steps = follow(target, arn, progress)
        package_arn = next(
            (
                s["Metadata"]["RegisterModel"]["Arn"]
                for s in steps
                if "RegisterModel" in (s.get("Metadata") or {})
            ),
            None,
        )
        approval = None
        if package_arn:
            approval = sm.describe_model_package(ModelPackageName=package_arn)["ModelApprovalStatus"]
            progress(f"model package {package_arn} {approval}")
        run = PipelineOutcome(
            pipeline=name,
            execution_arn=arn,
            status=described["PipelineExecutionStatus"],
            failure_reason=described.get("FailureReason"),
            trained_by=trained_by,
            parameters={k: str(v) for k, v in params.items()},
            steps=[{k: str(v) if k.endswith("Time") else v for k, v in s.items()} for s in steps],
            model_package_arn=package_arn,
            approval=approval,
            seconds=time.monotonic() - start,
        )
        return run
