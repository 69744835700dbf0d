"""Steps of mlops.feature: the pipeline, drift monitoring and retraining, read live through boto3.

The When/Given steps act as an operator does (StartPipelineExecution, scoring requests, ``make monitor``'s
analysis); every Then reads the live system: SageMaker's descriptions, S3 objects, CloudWatch alarms and
metrics, Step Functions executions, IAM policy documents. Thresholds come from the specification.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from features.support import Clients, policy_statements, read_listed, threshold, trim, wait_for
from harness import monitoring, workflow

STEP_ORDER = ["Preprocess", "Train", "Evaluate", "CheckCriterion", "RegisterModel"]
TERMINAL = ("Succeeded", "Failed", "Stopped")


def _finish(aws: Clients, arn: str, timeout: float) -> dict[str, Any]:
    found = wait_for(
        lambda: (
            (d := aws("sagemaker").describe_pipeline_execution(PipelineExecutionArn=arn))[
                "PipelineExecutionStatus"
            ]
            in TERMINAL
            and d
        ),
        timeout=timeout,
        interval=0.5,
    )
    assert found, f"pipeline execution {arn} did not end within {timeout:.0f} s"
    return found


def _steps(aws: Clients, arn: str) -> list[dict[str, Any]]:
    return aws("sagemaker").list_pipeline_execution_steps(PipelineExecutionArn=arn, SortOrder="Ascending")[
        "PipelineExecutionSteps"
    ]


def _environment(aws: Clients, arn: str) -> str | None:
    tags = aws("sagemaker").list_tags(ResourceArn=arn)["Tags"]
    return next((t["Value"] for t in tags if t["Key"] == "Environment"), None)


@pytest.fixture(scope="module")
def pipeline_runs(outputs: dict[str, Any], aws: Clients, target: Any, layout: Any) -> dict[str, Any]:
    """Two executions at once (they run side by side): the specification's thresholds, and an
    unreachable AUC threshold. Data and code are prepared as ``make pipeline`` prepares them."""
    from harness import mlops

    progress = lambda _m: None  # noqa: E731
    bucket = outputs["data_lake_bucket"]
    workflow.prepare_data(target, bucket, layout.cache_dir / "data", rows=5000, seed=42, progress=progress)
    mlops.upload_code(target, outputs["pipeline_code_uris"], progress)
    caller = aws("sts").get_caller_identity()["Arn"]
    sm = aws("sagemaker")
    group = outputs["model_package_group_name"]
    before = {
        p["ModelPackageArn"]
        for p in sm.list_model_packages(ModelPackageGroupName=group, MaxResults=100)[
            "ModelPackageSummaryList"
        ]
    }
    criterion = {
        "AucThreshold": str(threshold("URS_078", "auc_min")),
        "MaxCalibrationError": str(threshold("URS_078", "calibration_error_max")),
    }
    started = time.monotonic()
    arns = {}
    for name, params in (("good", criterion), ("unreachable", {**criterion, "AucThreshold": "0.999"})):
        arns[name] = sm.start_pipeline_execution(
            PipelineName=outputs["pipeline_name"],
            PipelineParameters=[{"Name": k, "Value": v} for k, v in {**params, "TrainedBy": caller}.items()],
        )["PipelineExecutionArn"]
    limit = float(
        threshold("URS_077", "execution_seconds_max", _environment(aws, _pipeline_arn(aws, outputs)))
    )
    with ThreadPoolExecutor(2) as pool:
        done = dict(zip(arns, pool.map(lambda a: _finish(aws, a, limit + 60), arns.values()), strict=True))
    return {
        "arns": arns,
        "described": done,
        "seconds": time.monotonic() - started,
        "limit": limit,
        "caller": caller,
        "before": before,
        "criterion": criterion,
    }


def _pipeline_arn(aws: Clients, outputs: dict[str, Any]) -> str:
    return aws("sagemaker").describe_pipeline(PipelineName=outputs["pipeline_name"])["PipelineArn"]


@given("a pipeline execution started with the specification's acceptance thresholds", target_fixture="run")
def good_run(pipeline_runs: dict[str, Any]) -> dict[str, Any]:
    return {
        **pipeline_runs,
        "arn": pipeline_runs["arns"]["good"],
        "described": pipeline_runs["described"]["good"],
    }


@given("a pipeline execution started with an unreachable AUC threshold", target_fixture="run")
def bad_run(pipeline_runs: dict[str, Any]) -> dict[str, Any]:
    return {
        **pipeline_runs,
        "arn": pipeline_runs["arns"]["unreachable"],
        "described": pipeline_runs["described"]["unreachable"],
    }


@then("the execution succeeded within the time the specification allows")
def run_succeeded(run: dict[str, Any], evidence: Any) -> None:
    evidence.attach("DescribePipelineExecution", trim(run["described"]))
    evidence.attach(
        "seconds", {"both executions, side by side": round(run["seconds"], 1), "limit": run["limit"]}
    )
    assert run["described"]["PipelineExecutionStatus"] == "Succeeded", run["described"].get("FailureReason")
    assert run["seconds"] <= run["limit"]


@then("its steps Preprocess, Train, Evaluate, CheckCriterion and RegisterModel succeeded in that order")
def run_steps(run: dict[str, Any], aws: Clients, evidence: Any) -> None:
    steps = _steps(aws, run["arn"])
    evidence.attach("ListPipelineExecutionSteps", trim(steps))
    assert [s["StepName"] for s in steps] == STEP_ORDER
    assert all(s["StepStatus"] == "Succeeded" for s in steps), [s.get("FailureReason") for s in steps]
    starts = [s["StartTime"] for s in steps]
    assert starts == sorted(starts)
    assert steps[3]["Metadata"] == {"Condition": {"Outcome": "True"}}


def _job(aws: Clients, step: dict[str, Any]) -> dict[str, Any]:
    meta = step["Metadata"]
    if "ProcessingJob" in meta:
        return aws("sagemaker").describe_processing_job(
            ProcessingJobName=meta["ProcessingJob"]["Arn"].split("/")[-1]
        )
    return aws("sagemaker").describe_training_job(TrainingJobName=meta["TrainingJob"]["Arn"].split("/")[-1])


def _s3(aws: Clients, uri: str) -> bytes:
    bucket, key = workflow.s3_split(uri)
    return aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


@then("the split manifest's SHA-256 values match the split objects in the data lake")
def split_hashes(run: dict[str, Any], aws: Clients, evidence: Any) -> None:
    job = _job(aws, _steps(aws, run["arn"])[0])
    outputs = {o["OutputName"]: o["S3Output"]["S3Uri"] for o in job["ProcessingOutputConfig"]["Outputs"]}
    manifest = json.loads(_s3(aws, f"{outputs['manifest']}/manifest.json"))
    compared = {}
    for split in ("train", "validation", "test"):
        data = _s3(aws, f"{outputs[split]}/{split}.csv")
        compared[split] = {
            "manifest": manifest["splits"][split]["sha256"],
            "object": hashlib.sha256(data).hexdigest(),
        }
        assert compared[split]["manifest"] == compared[split]["object"]
        assert manifest["splits"][split]["rows"] == data.count(b"\n")
    evidence.attach("split hashes", compared)


@then("every job of the execution ran VPC-only with network isolation and the platform's KMS keys")
def jobs_governed(run: dict[str, Any], aws: Clients, outputs: dict[str, Any], evidence: Any) -> None:
    subnets = set(outputs["private_subnet_ids"])
    keys = outputs["kms_key_arns"]
    seen = []
    for step in _steps(aws, run["arn"])[:3]:
        job = _job(aws, step)
        if "ProcessingJobName" in job:
            net = job["NetworkConfig"]
            assert net["EnableNetworkIsolation"] and net["EnableInterContainerTrafficEncryption"]
            assert set(net["VpcConfig"]["Subnets"]) == subnets
            assert job["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == keys["volume"]
            assert job["ProcessingOutputConfig"]["KmsKeyId"] == keys["data"]
        else:
            assert job["EnableNetworkIsolation"] and job["EnableInterContainerTrafficEncryption"]
            assert set(job["VpcConfig"]["Subnets"]) == subnets
            assert job["ResourceConfig"]["VolumeKmsKeyId"] == keys["volume"]
            assert job["OutputDataConfig"]["KmsKeyId"] == keys["model"]
        seen.append(trim(job))
    evidence.attach("jobs", seen)


@then("the evaluation property file holds the test split's AUC and calibration error")
def evaluation_file(run: dict[str, Any], aws: Clients, evidence: Any) -> None:
    job = _job(aws, _steps(aws, run["arn"])[2])
    uri = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    report = json.loads(_s3(aws, f"{uri}/evaluation.json"))
    evidence.attach("evaluation.json", report)
    assert report["metrics"]["auc"]["value"] >= float(run["criterion"]["AucThreshold"])
    assert (
        0
        <= report["metrics"]["calibration"]["ece"]["value"]
        <= float(run["criterion"]["MaxCalibrationError"])
    )
    assert report["rows"] > 0


@then("the registered version is PendingManualApproval and records who started the execution")
def registered_pending(run: dict[str, Any], aws: Clients, evidence: Any) -> None:
    arn = _steps(aws, run["arn"])[-1]["Metadata"]["RegisterModel"]["Arn"]
    package = aws("sagemaker").describe_model_package(ModelPackageName=arn)
    evidence.attach("DescribeModelPackage", trim(package))
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["CustomerMetadataProperties"]["trained_by"] == run["caller"]
    assert package["CustomerMetadataProperties"]["pipeline_execution"] == run["arn"]


@then("the execution failed at the Fail step naming the acceptance criterion")
def run_failed(run: dict[str, Any], aws: Clients, evidence: Any) -> None:
    steps = _steps(aws, run["arn"])
    evidence.attach("DescribePipelineExecution", trim(run["described"]))
    evidence.attach("ListPipelineExecutionSteps", trim(steps))
    assert run["described"]["PipelineExecutionStatus"] == "Failed"
    assert "Acceptance criterion not met" in run["described"]["FailureReason"]
    assert [s["StepName"] for s in steps][-2:] == ["CheckCriterion", "CriterionNotMet"]
    assert steps[-2]["Metadata"] == {"Condition": {"Outcome": "False"}}
    assert steps[-1]["StepStatus"] == "Failed"


@then("the model package group gained no version from that execution")
def nothing_registered(run: dict[str, Any], aws: Clients, outputs: dict[str, Any], evidence: Any) -> None:
    sm = aws("sagemaker")
    packages = sm.list_model_packages(
        ModelPackageGroupName=outputs["model_package_group_name"], MaxResults=100
    )["ModelPackageSummaryList"]
    from_run = [
        p["ModelPackageArn"]
        for p in packages
        if sm.describe_model_package(ModelPackageName=p["ModelPackageArn"])
        .get("CustomerMetadataProperties", {})
        .get("pipeline_execution")
        == run["arn"]
    ]
    evidence.attach("versions registered by the execution", from_run)
    assert from_run == []


# -- drift -------------------------------------------------------------------------------------------


@given("the traffic captured so far has been analysed")
def analysed_so_far(outputs: dict[str, Any], target: Any, aws: Clients) -> None:
    """Earlier scenarios' requests (seed subject, batches, invalid input) are not this scenario's traffic.

    They are analysed so that the next analysis's window starts after them, and their figures are not
    published: they are no population to alarm on. Published, they drift on every feature, each drift
    alarm starts a retraining nobody asked for (three pipelines competing for the machine with the
    scenarios that follow), and the shifted-traffic scenario would first wait a period for its alarm
    to be OK again. The scenarios' own analyses publish, and their Then steps read what they published."""
    bucket, key = workflow.s3_split(
        f"{outputs['data_capture_s3_uri'].rstrip('/')}/{outputs['endpoint_name']}/"
    )
    if aws("s3").list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("KeyCount"):
        time.sleep(1.5)  # data capture is flushed every second
        monitoring.run_monitor(target, outputs, progress=lambda _m: None, publish=False)


@given(
    parsers.parse("requests drawn from the training distribution are scored on the endpoint"),
    target_fixture="traffic",
)
def in_distribution(outputs: dict[str, Any], target: Any) -> dict[str, Any]:
    count = int(threshold("URS_083", "requests_per_analysis"))
    sent = dt.datetime.now(dt.UTC)
    monitoring.send_traffic(
        target, outputs["endpoint_name"], requests=count, seed=2024, progress=lambda _m: None
    )
    return {"requests": count, "shift": 0.0, "sent": sent}


@given(
    parsers.parse("requests whose missed visit rate is raised by {shift:f} are scored on the endpoint"),
    target_fixture="traffic",
)
def shifted(shift: float, outputs: dict[str, Any], target: Any) -> dict[str, Any]:
    count = int(threshold("URS_083", "requests_per_analysis"))
    sent = dt.datetime.now(dt.UTC)
    monitoring.send_traffic(
        target, outputs["endpoint_name"], requests=count, seed=2025, shift=shift, progress=lambda _m: None
    )
    return {"requests": count, "shift": shift, "sent": sent}


def _captured_since(aws: Clients, outputs: dict[str, Any], since: dt.datetime, seen: dict[Any, bytes]) -> int:
    """Records of the endpoint's data capture in S3 whose inference time is at or after ``since``."""
    bucket, key = workflow.s3_split(
        f"{outputs['data_capture_s3_uri'].rstrip('/')}/{outputs['endpoint_name']}/"
    )
    s3 = aws("s3")
    listed = [
        item
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
        for item in page.get("Contents", [])
        if item["LastModified"] >= since - dt.timedelta(seconds=5)  # not delivered before the traffic
    ]
    found = 0
    for body in read_listed(s3, bucket, listed, seen):
        for line in body.splitlines():
            stamp = json.loads(line)["eventMetadata"]["inferenceTime"]
            found += dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) >= since
    return found


@when(
    "the drift analysis runs over the traffic captured since the previous analysis", target_fixture="analysis"
)
def run_analysis(
    outputs: dict[str, Any], target: Any, aws: Clients, traffic: dict[str, Any]
) -> dict[str, Any]:
    # The analysis reads what data capture has delivered to S3: wait until every scored request is there
    # (delivery is asynchronous: every second or so locally, within minutes on AWS).
    seconds = float(threshold("URS_017", "capture_seconds"))
    seen: dict[Any, bytes] = {}  # bodies this wait has read (read_listed)
    delivered = wait_for(
        lambda: _captured_since(aws, outputs, traffic["sent"], seen) >= traffic["requests"],
        timeout=seconds,
        interval=0.25,
    )
    assert delivered, f"data capture did not deliver {traffic['requests']} requests within {seconds:.0f} s"
    run = monitoring.run_monitor(target, outputs, progress=lambda _m: None)
    return {"run": run, "ended": dt.datetime.now(dt.UTC), "ended_monotonic": time.monotonic(), **traffic}


def _report(aws: Clients, analysis: dict[str, Any], name: str) -> Any:
    return json.loads(_s3(aws, f"{analysis['run'].report_uri}{name}"))


@then("the analysis job completed with a report in Model Monitor's formats")
def analysis_completed(analysis: dict[str, Any], aws: Clients, evidence: Any) -> None:
    job = aws("sagemaker").describe_processing_job(ProcessingJobName=analysis["run"].job_name)
    evidence.attach("DescribeProcessingJob", trim(job))
    assert job["ProcessingJobStatus"] == "Completed"
    stats = _report(aws, analysis, "statistics.json")
    assert stats["dataset"]["item_count"] == analysis["requests"]
    assert "violations" in _report(aws, analysis, "constraint_violations.json")


@then("the baseline describes the training split's features")
def baseline_described(
    analysis: dict[str, Any], aws: Clients, outputs: dict[str, Any], evidence: Any
) -> None:
    base = f"s3://{outputs['data_lake_bucket']}/{monitoring.MONITORING_PREFIX}/baseline/"
    stats = json.loads(_s3(aws, f"{base}statistics.json"))
    limits = json.loads(_s3(aws, f"{base}constraints.json"))
    evidence.attach("baseline", {"statistics": stats, "constraints": limits})
    assert [f["name"] for f in stats["features"]] == ["age", "prior_dropout", "missed_visit_rate"]
    assert limits["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == float(
        threshold("URS_083", "drift_distance_max")
    )


@then("the analysis reports no violation")
def no_violation(analysis: dict[str, Any], aws: Clients, evidence: Any) -> None:
    violations = _report(aws, analysis, "constraint_violations.json")
    evidence.attach("constraint_violations.json", violations)
    assert violations == {"violations": []}


@then("the per-feature drift figures are published to CloudWatch")
def figures_published(analysis: dict[str, Any], aws: Clients, outputs: dict[str, Any], evidence: Any) -> None:
    found = aws("cloudwatch").list_metrics(
        Namespace=monitoring.METRIC_NAMESPACE,
        Dimensions=[{"Name": "Endpoint", "Value": outputs["endpoint_name"]}],
    )["Metrics"]
    names = {m["MetricName"] for m in found}
    evidence.attach("ListMetrics", sorted(names))
    assert {f"feature_baseline_drift_{f}" for f in ("age", "prior_dropout", "missed_visit_rate")} <= names


@then("the analysis reports a baseline_drift_check violation for missed_visit_rate only")
def drift_violation(analysis: dict[str, Any], aws: Clients, evidence: Any) -> None:
    violations = _report(aws, analysis, "constraint_violations.json")["violations"]
    evidence.attach("constraint_violations.json", violations)
    assert [(v["feature_name"], v["constraint_check_type"]) for v in violations] == [
        ("missed_visit_rate", "baseline_drift_check")
    ]


@given("the drift alarm of missed_visit_rate is OK")
def alarm_ok(outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    """A retraining starts on the alarm's change to ALARM: an alarm still in ALARM from earlier traffic
    (the analysis of what the other scenarios sent) would never change, so wait until it is OK again."""
    name = outputs["drift_alarm_names"]["missed_visit_rate"]
    cloudwatch = aws("cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    bound = 3 * alarm["Period"] * alarm["EvaluationPeriods"] + 30
    ok = wait_for(
        lambda: (
            (a := cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0])["StateValue"] == "OK"
            and a
        ),
        timeout=bound,
        interval=0.5,
    )
    evidence.attach("DescribeAlarms", trim(ok or alarm))
    assert ok, f"{name} did not return to OK within {bound} s"


@then("the drift alarm of missed_visit_rate is in ALARM")
def alarm_fired(outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    name = outputs["drift_alarm_names"]["missed_visit_rate"]
    alarm = wait_for(
        lambda: (
            (a := aws("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0])["StateValue"]
            == "ALARM"
            and a
        ),
        timeout=90,
        interval=0.5,
    )
    assert alarm, f"{name} did not go to ALARM"
    evidence.attach("DescribeAlarms", trim(alarm))


@then("a retraining execution of the state machine starts within the time the specification allows")
def retraining_started(
    analysis: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> None:
    arn = outputs["retraining_state_machine_arn"]
    environment = next(
        (
            t["value"]
            for t in aws("stepfunctions").list_tags_for_resource(resourceArn=arn)["tags"]
            if t["key"] == "Environment"
        ),
        None,
    )
    limit = float(threshold("URS_085", "retraining_start_seconds", environment))
    started = wait_for(
        lambda: [
            e
            for e in aws("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
            if e["startDate"] >= analysis["ended"] - dt.timedelta(seconds=5)
        ],
        timeout=limit,
        interval=0.5,
    )
    assert started, f"no retraining execution started within {limit} s of the analysis"
    execution = started[0]
    delay = (execution["startDate"] - analysis["ended"]).total_seconds()
    evidence.attach(
        "retraining start", {"execution": trim(execution), "seconds_after_analysis": delay, "limit": limit}
    )
    assert delay <= limit
    analysis["execution_arn"] = execution["executionArn"]


@then("the retraining execution succeeds after starting and following the pipeline")
def retraining_succeeded(analysis: dict[str, Any], aws: Clients, evidence: Any) -> None:
    sfn = aws("stepfunctions")
    arn = analysis["execution_arn"]
    described = wait_for(
        lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
        timeout=600,
        interval=0.5,
    )
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    evidence.attach("DescribeExecution", trim(described))
    evidence.attach("history", [e["type"] for e in history])
    assert described["status"] == "SUCCEEDED", described
    kinds = [e["type"] for e in history]
    assert "WaitStateEntered" in kinds and "ChoiceStateEntered" in kinds
    scheduled = [e["taskScheduledEventDetails"]["resource"] for e in history if e["type"] == "TaskScheduled"]
    assert scheduled[0] == "startPipelineExecution" and "describePipelineExecution" in scheduled
    assert scheduled[-1] == "publish"  # the outcome on SNS
    analysis["retraining"] = described


@then("a new model version waits for approval, recorded as trained by the state machine's role")
def retrained_version(analysis: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    sm = aws("sagemaker")
    role = aws("stepfunctions").describe_state_machine(
        stateMachineArn=outputs["retraining_state_machine_arn"]
    )["roleArn"]
    latest = sm.list_model_packages(
        ModelPackageGroupName=outputs["model_package_group_name"],
        SortBy="CreationTime",
        SortOrder="Descending",
    )["ModelPackageSummaryList"][0]
    package = sm.describe_model_package(ModelPackageName=latest["ModelPackageArn"])
    evidence.attach("DescribeModelPackage", trim(package))
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["CustomerMetadataProperties"]["trained_by"] == role


# -- least privilege ---------------------------------------------------------------------------------


def _role_statements(aws: Clients, role_arn: str) -> list[dict[str, Any]]:
    name = role_arn.split("/")[-1]
    iam = aws("iam")
    found = []
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        found += policy_statements(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@then("the pipeline role creates only governed pipeline jobs and passes only the execution role")
def pipeline_role(outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    role = aws("sagemaker").describe_pipeline(PipelineName=outputs["pipeline_name"])["RoleArn"]
    statements = _role_statements(aws, role)
    evidence.attach("pipeline role", statements)
    for s in statements:
        assert "*" not in _as_list(s["Action"]) and "*" not in _as_list(s["Resource"])
    create = next(s for s in statements if "sagemaker:CreateProcessingJob" in _as_list(s["Action"]))
    assert create["Condition"]["Bool"]["sagemaker:NetworkIsolation"] == "true"
    assert "sagemaker:VpcSubnets" in create["Condition"]["ForAllValues:StringEquals"]
    assert "sagemaker:VolumeKmsKey" in create["Condition"]["ArnEquals"]
    passing = next(s for s in statements if "iam:PassRole" in _as_list(s["Action"]))
    assert _as_list(passing["Resource"]) == [outputs["execution_role_arn"]]
    assert passing["Condition"]["StringEquals"]["iam:PassedToService"] == "sagemaker.amazonaws.com"


@then("the state machine role only starts and follows the pipeline and notifies the topic")
def sfn_role(outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    machine = aws("stepfunctions").describe_state_machine(
        stateMachineArn=outputs["retraining_state_machine_arn"]
    )
    statements = _role_statements(aws, machine["roleArn"])
    evidence.attach("state machine role", statements)
    actions = {a for s in statements for a in _as_list(s["Action"])}
    assert {
        "sagemaker:StartPipelineExecution",
        "sagemaker:DescribePipelineExecution",
        "sns:Publish",
    } <= actions
    assert not any(a.startswith(("sagemaker:Create", "sagemaker:Update", "iam:")) for a in actions)
    for s in statements:
        if "*" in _as_list(s["Resource"]):  # only the log delivery and X-Ray actions AWS offers no ARN for
            assert all(a.startswith(("logs:", "xray:")) for a in _as_list(s["Action"])), s


@then("the EventBridge role only starts the retraining state machine")
def events_role(outputs: dict[str, Any], aws: Clients, evidence: Any) -> None:
    arn = outputs["retraining_state_machine_arn"]
    rules = aws("events").list_rule_names_by_target(TargetArn=arn)["RuleNames"]
    targets = [t for r in rules for t in aws("events").list_targets_by_rule(Rule=r)["Targets"]]
    roles = {t["RoleArn"] for t in targets}
    evidence.attach("targets", targets)
    assert len(roles) == 1
    statements = _role_statements(aws, roles.pop())
    evidence.attach("EventBridge role", statements)
    assert [(_as_list(s["Action"]), _as_list(s["Resource"])) for s in statements] == [
        (["states:StartExecution"], [arn])
    ]
