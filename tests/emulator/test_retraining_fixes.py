"""Alarm evaluation -> EventBridge -> Step Functions execution of ASL (aws-sdk Task, Choice, Wait,
Retry, Catch, Succeed, Fail) with history: the chain the retraining relies on."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/retraining"

DEFINITION = {
    "StartAt": "ListGroups",
    "States": {
        "ListGroups": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sagemaker:listModelPackageGroups",
            "Parameters": {"NameContains": "retrain-test"},
            "ResultSelector": {"Count.$": "States.ArrayLength($.ModelPackageGroupSummaryList)"},
            "ResultPath": "$.groups",
            "Next": "Pause",
        },
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "DescribeMissing"},
        "DescribeMissing": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeModelPackageGroup",
            "Parameters": {"ModelPackageGroupName": "does-not-exist"},
            "Retry": [{"ErrorEquals": ["SageMaker.ThrottlingException"], "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Decide"}],
            "Next": "Decide",
        },
        "Decide": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.groups.Count", "NumericEquals": 1, "Next": "Done"}],
            "Default": "Failed",
        },
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "NoGroup", "Cause": "the group is missing"},
    },
}


def _wait(check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s")
        time.sleep(0.5)


def _machine(aws: Callable[..., Any]) -> str:
    aws("sagemaker").create_model_package_group(ModelPackageGroupName=f"retrain-test-{uuid.uuid4().hex[:6]}")
    return aws("stepfunctions").create_state_machine(
        name=f"retrain-{uuid.uuid4().hex[:6]}", definition=json.dumps(DEFINITION), roleArn=ROLE
    )["stateMachineArn"]


def _finished(sfn: Any, arn: str) -> dict[str, Any]:
    return _wait(
        lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=30
    )


def test_execution_runs_sdk_tasks_choice_wait_catch_with_history(aws: Callable[..., Any]) -> None:
    sfn = aws("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=_machine(aws), input="{}")["executionArn"]
    described = _finished(sfn, arn)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["groups"] == {"Count": 1}  # the SDK call reached this emulator's SageMaker
    assert (
        output["error"]["Error"] == "SageMaker.ValidationException"
    )  # AWS names SDK errors <Service>.<Code>
    assert "does-not-exist" in output["error"]["Cause"]
    events = sfn.get_execution_history(executionArn=arn)["events"]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "ExecutionStarted" and kinds[-1] == "ExecutionSucceeded"
    assert {"TaskSucceeded", "TaskFailed", "WaitStateEntered", "ChoiceStateEntered"} <= set(kinds)


def test_alarm_evaluates_and_its_state_change_starts_the_machine(aws: Callable[..., Any]) -> None:
    name = f"drift-{uuid.uuid4().hex[:6]}"
    cw, events, sfn = aws("cloudwatch"), aws("events"), aws("stepfunctions")
    machine = _machine(aws)
    cw.put_metric_alarm(
        AlarmName=name,
        Namespace="aws/sagemaker/Endpoints/data-metrics",
        MetricName="feature_baseline_drift_missed_visit_rate",
        Dimensions=[{"Name": "Endpoint", "Value": "ep"}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0.2,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    alarm_arn = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    events.put_rule(
        Name=name,
        EventPattern=json.dumps(
            {
                "source": ["aws.cloudwatch"],
                "detail-type": ["CloudWatch Alarm State Change"],
                "resources": [alarm_arn],
                "detail": {"state": {"value": ["ALARM"]}},
            }
        ),
    )
    events.put_targets(Rule=name, Targets=[{"Id": "retrain", "Arn": machine, "RoleArn": ROLE}])
    # a scheduled rule on the same machine: it must not receive the alarm's event
    events.put_rule(Name=f"{name}-schedule", ScheduleExpression="rate(7 days)")
    events.put_targets(Rule=f"{name}-schedule", Targets=[{"Id": "retrain", "Arn": machine, "RoleArn": ROLE}])
    # below the threshold: OK, nothing starts
    cw.put_metric_data(
        Namespace="aws/sagemaker/Endpoints/data-metrics",
        MetricData=[{"MetricName": "feature_baseline_drift_missed_visit_rate",
                     "Dimensions": [{"Name": "Endpoint", "Value": "ep"}], "Value": 0.05}],
    )  # fmt: skip
    # evaluated as the data arrives (PutMetricData answers after the evaluation): no wait for a period
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "OK"
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []
    cw.put_metric_data(
        Namespace="aws/sagemaker/Endpoints/data-metrics",
        MetricData=[{"MetricName": "feature_baseline_drift_missed_visit_rate",
                     "Dimensions": [{"Name": "Endpoint", "Value": "ep"}], "Value": 0.5}],
    )  # fmt: skip
    alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM", alarm  # at once: fails with EMULATOR_ALARM_EVALUATE_ON_DATA=0
    assert "Threshold Crossed" in alarm["StateReason"]
    assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [0.5]  # the period's Maximum
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert executions, "the state change event started no execution"
    time.sleep(1)
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1  # the schedule stays quiet
    detail = json.loads(sfn.describe_execution(executionArn=executions[0]["executionArn"])["input"])
    assert detail["detail-type"] == "CloudWatch Alarm State Change"
    assert detail["detail"]["state"]["value"] == "ALARM"


def test_definitions_are_validated(aws: Callable[..., Any]) -> None:
    sfn = aws("stepfunctions")
    ok = sfn.validate_state_machine_definition(definition=json.dumps(DEFINITION), type="STANDARD")
    assert ok["result"] == "OK" and ok["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(definition=json.dumps({"StartAt": "Nowhere", "States": {}}))
    assert bad["result"] == "FAIL" and bad["diagnostics"][0]["severity"] == "ERROR"


def test_versions_are_listed(aws: Callable[..., Any]) -> None:
    sfn = aws("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"v-{uuid.uuid4().hex[:6]}", definition=json.dumps(DEFINITION), roleArn=ROLE, publish=True
    )["stateMachineArn"]
    assert [
        v["stateMachineVersionArn"]
        for v in sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    ] == [f"{arn}:1"]
