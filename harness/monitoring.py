"""Drift monitoring of the endpoint's captured traffic as SageMaker Processing jobs (no Model Monitor).

``make monitor`` = ``run_monitor``: ensures the data-quality baseline of the training split exists
(a ``<prefix>-baseline-<stamp>`` job writing ``statistics.json``/``constraints.json``), then runs a
``<prefix>-drift-<stamp>`` job over the capture prefix for the window since the previous drift job's
``--until`` (read back from that job's ContainerArguments through DescribeProcessingJob, so the window
is the platform's record, not local state), reads its ``constraint_violations.json`` and publishes the
per-feature figures to CloudWatch as Model Monitor does (namespace ``aws/sagemaker/Endpoints/data-metrics``,
dimensions ``Endpoint`` and ``MonitoringSchedule``), where the drift alarms watch them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Mapping
from typing import Any

from harness import workflow
from harness.errors import HarnessError
from harness.progress import JobStatus
from harness.target import Target, aws_errors, wait
from harness.workflow import Progress

DRIFT_REQUIREMENT = "URS_083"
METRIC_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
MONITORING_PREFIX = "models/monitoring"
STEPS = ["python3", "/opt/ml/processing/input/code/steps.py"]
TRAFFIC_CLIENTS = 4
"""Concurrent clients of ``send_traffic``: the subjects are independent, and callers of an endpoint
do not wait for each other (the drift analysis reads the capture, where order plays no part)."""


class MonitorError(HarnessError):
    """A baseline or drift analysis could not run or did not complete."""


@dataclasses.dataclass
class MonitorRun:
    job_name: str
    status: str
    since: str | None
    until: str
    item_count: int
    violations: list[dict[str, str]]
    metrics: dict[str, float]
    report_uri: str
    baseline_job: str | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def drift_threshold() -> float:
    from harness.validation.requirements import DEFAULT_PATH, load_requirements

    return float(load_requirements(DEFAULT_PATH).threshold(DRIFT_REQUIREMENT, "drift_distance_max"))


def schedule_name(outputs: Mapping[str, Any]) -> str:
    return f"{outputs['name_prefix']}-drift"


def job_request(
    name: str, outputs: Mapping[str, Any], arguments: list[str], inputs: Mapping[str, str], output_uri: str
) -> dict[str, Any]:
    """A processing job of the platform: code as an input, VPC-only, isolated, KMS on volume and output."""
    return {
        "ProcessingJobName": name,
        "RoleArn": outputs["execution_role_arn"],
        "AppSpecification": {
            "ImageUri": outputs["training_image_uri"],
            "ContainerEntrypoint": STEPS,
            "ContainerArguments": arguments,
        },
        "ProcessingInputs": [
            {
                "InputName": input_name,
                "S3Input": {
                    "S3Uri": uri,
                    "LocalPath": f"/opt/ml/processing/input/{input_name}",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                },
            }
            for input_name, uri in inputs.items()
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "report",
                    "S3Output": {
                        "S3Uri": output_uri,
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ],
            "KmsKeyId": outputs["kms_key_arns"]["data"],
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 30,
                "VolumeKmsKeyId": outputs["kms_key_arns"]["volume"],
            }
        },
        "NetworkConfig": {
            "EnableInterContainerTrafficEncryption": True,
            "EnableNetworkIsolation": True,
            "VpcConfig": {
                "SecurityGroupIds": [outputs["sagemaker_security_group_id"]],
                "Subnets": list(outputs["private_subnet_ids"]),
            },
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 900},
        "Tags": [{"Key": "Project", "Value": "sagemaker-gxp-platform"}],
    }


def wait_job(target: Target, name: str, progress: Progress, timeout: float = 900) -> dict[str, Any]:
    """The processing job's description once it ends (boto3's processing_job_completed_or_stopped waiter,
    every 0.5 s locally and 15 s on AWS)."""
    delay = 0.5 if target.is_local else 15
    progress(f"processing job {name}: waiting for it to end (checked every {delay:g} s)")
    described = wait(
        target.client("sagemaker"),
        "processing_job_completed_or_stopped",
        what=f"processing job {name}",
        timeout=timeout,
        delay=delay,
        ProcessingJobName=name,
    )
    progress(
        JobStatus("processing", name, described["ProcessingJobStatus"], described.get("FailureReason", ""))
    )
    return described


def _latest_job(target: Target, prefix: str) -> dict[str, Any] | None:
    sm = target.client("sagemaker")
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"NameContains": prefix, "StatusEquals": "Completed", "MaxResults": 100}
    while True:
        page = sm.list_processing_jobs(**kwargs)
        found += page["ProcessingJobSummaries"]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    found = [j for j in found if j["ProcessingJobName"].startswith(prefix)]
    if not found:
        return None
    # the newest by creation time, whatever order the service lists them in
    newest = max(found, key=lambda j: (j["CreationTime"], j["ProcessingJobName"]))
    return sm.describe_processing_job(ProcessingJobName=newest["ProcessingJobName"])


def _argument(described: Mapping[str, Any], flag: str) -> str | None:
    args = list(described.get("AppSpecification", {}).get("ContainerArguments") or [])
    return args[args.index(flag) + 1] if flag in args and args.index(flag) + 1 < len(args) else None


def ensure_baseline(target: Target, outputs: Mapping[str, Any], progress: Progress) -> tuple[str, str | None]:
    """The baseline's S3 prefix, and the job that made it now (None when it already existed)."""
    bucket = outputs["data_lake_bucket"]
    uri = f"s3://{bucket}/{MONITORING_PREFIX}/baseline/"
    s3 = target.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{MONITORING_PREFIX}/baseline/constraints.json")
    if listed.get("KeyCount", 0):
        return uri, None
    name = f"{outputs['name_prefix']}-baseline-{workflow.name_stamp()}"
    train = f"s3://{bucket}/{workflow.DATA_PREFIX}/train/"
    request = job_request(
        name,
        outputs,
        ["baseline", "--input", "/opt/ml/processing/input/train", "--output", "/opt/ml/processing/output",
         "--threshold", str(drift_threshold())],
        {"code": outputs["pipeline_code_uris"]["processing"], "train": train},
        uri,
    )  # fmt: skip
    target.client("sagemaker").create_processing_job(**request)
    progress(f"baseline job {name} over {train}")
    described = wait_job(target, name, progress)
    if described["ProcessingJobStatus"] != "Completed":
        raise MonitorError(
            f"baseline job {name} {described['ProcessingJobStatus']}: {described.get('FailureReason')}"
        )
    return uri, name


def publish_metrics(
    target: Target, outputs: Mapping[str, Any], metrics: Mapping[str, float], when: dt.datetime
) -> None:
    dimensions = [
        {"Name": "Endpoint", "Value": outputs["endpoint_name"]},
        {"Name": "MonitoringSchedule", "Value": schedule_name(outputs)},
    ]
    data = [
        {
            "MetricName": name,
            "Dimensions": dimensions,
            "Timestamp": when,
            "Value": float(value),
            "Unit": "None",
        }
        for name, value in sorted(metrics.items())
    ]
    if data:
        target.client("cloudwatch").put_metric_data(Namespace=METRIC_NAMESPACE, MetricData=data)


def run_monitor(
    target: Target, outputs: Mapping[str, Any], *, progress: Progress, publish: bool = True
) -> MonitorRun:
    """One drift analysis over the traffic captured since the previous one. ``publish=False`` leaves the
    figures out of CloudWatch (the analysis still runs, reports and moves the window): for traffic that
    is no population to alarm on, such as the requests a qualification's other scenarios sent."""
    with aws_errors(target, doing="drift monitoring"):
        start = time.monotonic()
        from harness import mlops

        mlops.upload_code(target, outputs["pipeline_code_uris"], progress)
        baseline_uri, baseline_job = ensure_baseline(target, outputs, progress)
        captured = f"{outputs['data_capture_s3_uri'].rstrip('/')}/{outputs['endpoint_name']}/"
        bucket, key = workflow.s3_split(captured)
        if not target.client("s3").list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("KeyCount"):
            raise MonitorError(
                f"no captured traffic under {captured}", hint="invoke the endpoint first (make deploy invoke)"
            )
        prefix = f"{outputs['name_prefix']}-drift-"
        previous = _latest_job(target, prefix)
        since = _argument(previous, "--until") if previous else None
        until = dt.datetime.now(dt.UTC)
        name = f"{prefix}{until:%Y%m%d-%H%M%S}"
        report = f"s3://{outputs['data_lake_bucket']}/{MONITORING_PREFIX}/reports/{name}/"
        args = ["drift", "--baseline", "/opt/ml/processing/input/baseline", "--captured",
                "/opt/ml/processing/input/captured", "--output", "/opt/ml/processing/output",
                "--until", _stamp(until)]  # fmt: skip
        if since:
            args += ["--since", since]
        request = job_request(
            name,
            outputs,
            args,
            {
                "code": outputs["pipeline_code_uris"]["processing"],
                "baseline": baseline_uri,
                "captured": captured,
            },
            report,
        )
        target.client("sagemaker").create_processing_job(**request)
        progress(f"drift job {name}: traffic captured in [{since or 'the beginning'}, {_stamp(until)})")
        described = wait_job(target, name, progress)
        if described["ProcessingJobStatus"] != "Completed":
            raise MonitorError(
                f"drift job {name} {described['ProcessingJobStatus']}: {described.get('FailureReason')}",
                hint=f"its log: /aws/sagemaker/ProcessingJobs stream {name}/...",
            )
        violations = json.loads(workflow.download(target, f"{report}constraint_violations.json"))[
            "violations"
        ]
        figures = json.loads(workflow.download(target, f"{report}metrics.json"))
        if publish:
            publish_metrics(target, outputs, figures["metrics"], until)
        return MonitorRun(
            job_name=name,
            status=described["ProcessingJobStatus"],
            since=since,
            until=_stamp(until),
            item_count=int(figures["item_count"]),
            violations=violations,
            metrics=figures["metrics"],
            report_uri=report,
            baseline_job=baseline_job,
            seconds=time.monotonic() - start,
        )


def send_traffic(
    target: Target,
    endpoint: str,
    *,
    requests: int,
    seed: int,
    shift: float = 0.0,
    clients: int = TRAFFIC_CLIENTS,
    progress: Progress,
) -> int:
    """Score ``requests`` synthetic subjects, one request each (CSV), from ``clients`` concurrent
    clients as callers do; ``shift`` is added to every subject's missed-visit rate (clipped to [0, 1])
    to simulate a changed population. Returns the count scored (a failed request raises)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from harness.ml import dataset

    runtime = target.client("sagemaker-runtime")
    features, _ = dataset.generate(requests, seed)
    features[:, 2] = np.clip(features[:, 2] + shift, 0.0, 1.0)
    bodies = [f"{int(row[0])},{int(row[1])},{row[2]:.3f}".encode() for row in features]

    def score(body: bytes) -> None:
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Accept="text/csv", Body=body)

    with ThreadPoolExecutor(max(1, clients)) as pool:
        for _ in pool.map(score, bodies):
            pass
    progress(f"{requests} requests scored on {endpoint} (seed {seed}, missed_visit_rate shift {shift:+.2f})")
    return requests
