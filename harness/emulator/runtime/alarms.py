"""CloudWatch metric alarms that evaluate, and their state changes as EventBridge events.

moto stores metric alarms and metric data but never evaluates an alarm (it stays ``OK`` whatever the
data) and emits no "CloudWatch Alarm State Change" event. AWS evaluates each alarm about once a minute
over its last ``EvaluationPeriods`` periods of ``Period`` seconds: a period's ``Statistic`` (Average,
Sum, Minimum, Maximum, SampleCount) is compared with ``Threshold`` by ``ComparisonOperator``; a period
without data counts as ``TreatMissingData`` says (``missing``/``notBreaching``/``breaching``/``ignore``);
``ALARM`` when at least ``DatapointsToAlarm`` (default ``EvaluationPeriods``) periods breach, ``OK``
when evaluated periods do not, ``INSUFFICIENT_DATA`` when there is nothing to evaluate and missing data
is ``missing``. A state change updates ``StateValue``/``StateReason``/``StateReasonData``/
``StateUpdatedTimestamp``, publishes the alarm's ``AlarmActions``/``OKActions``/
``InsufficientDataActions`` SNS topics (when actions are enabled) and puts an event on the account's
default event bus: source ``aws.cloudwatch``, detail-type ``CloudWatch Alarm State Change``,
``resources`` = [alarm ARN], detail ``alarmName``, ``state``, ``previousState``, ``configuration``.

Here every alarm of every account and region is evaluated every ``EVALUATION_SECONDS`` (default 5,
``EMULATOR_ALARM_EVALUATION_SECONDS``) instead of every minute, so that a test sees the change within
seconds; the evaluation itself is AWS's. Not emulated: metric math alarms, anomaly detection,
composite alarms, percentile statistics, EvaluateLowSampleCountPercentile.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from typing import Any

log = logging.getLogger(__name__)

EVALUATION_SECONDS = float(os.environ.get("EMULATOR_ALARM_EVALUATION_SECONDS", "5"))
_COMPARE = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_thread: threading.Thread | None = None
_stop = threading.Event()


def _statistic(values: list[float], statistic: str) -> float:
    if statistic == "Sum":
        return sum(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "Maximum":
        return max(values)
    if statistic == "SampleCount":
        return float(len(values))
    return sum(values) / len(values)


def _dimensions(items: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items or []:
        name = getattr(item, "name", None) or (item.get("Name") if isinstance(item, dict) else None)
        value = getattr(item, "value", None) or (item.get("Value") if isinstance(item, dict) else None)
        if name:
            found[str(name)] = str(value)
    return found


def _datapoints(backend: Any, alarm: Any, start: dt.datetime, end: dt.datetime) -> list[float]:
    wanted = _dimensions(alarm.dimensions)
    values: list[float] = []
    for datum in list(backend.metric_data) + list(getattr(backend, "aws_metric_data", [])):
        if datum.namespace != alarm.namespace or datum.name != alarm.metric_name:
            continue
        if _dimensions(datum.dimensions) != wanted:
            continue
        stamp = datum.timestamp
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        value = getattr(datum, "value", None)
        if value is not None and start <= stamp < end:
            values.append(float(value))
    return values


def evaluate(backend: Any, alarm: Any, now: dt.datetime) -> tuple[str, str, dict[str, Any]] | None:
    """(state, reason, reason data) of a metric alarm at ``now``, or None when it is not evaluable here."""
    if not alarm.metric_name or alarm.metric_data_queries or alarm.comparison_operator not in _COMPARE:
        return None
    period = int(alarm.period or 60)
    periods = int(alarm.evaluation_periods or 1)
    needed = int(alarm.datapoints_to_alarm or periods)
    statistic = alarm.statistic or "Average"
    threshold = float(alarm.threshold)
    missing = alarm.treat_missing_data or "missing"
    breaching = evaluated = 0
    recent: list[float] = []
    for i in range(periods):
        end = now - dt.timedelta(seconds=i * period)
        values = _datapoints(backend, alarm, end - dt.timedelta(seconds=period), end)
        if values:
            value = _statistic(values, statistic)
            recent.append(value)
            evaluated += 1
            breaching += int(_COMPARE[alarm.comparison_operator](value, threshold))
        elif missing == "breaching":
            evaluated += 1
            breaching += 1
        elif missing == "notBreaching":
            evaluated += 1
    data = {
        "version": "1.0",
        "queryDate": now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "statistic": statistic,
        "period": period,
        "recentDatapoints": recent,
        "threshold": threshold,
        "evaluatedDatapoints": evaluated,
    }
    if breaching >= needed:
        shown = ", ".join(f"{v:g}" for v in recent) or "missing data"
        return (
            "ALARM",
            (
                f"Threshold Crossed: {breaching} out of the last {periods} datapoints [{shown}] was "
                f"{alarm.comparison_operator.replace('Threshold', '').lower()} the threshold ({threshold:g})."
            ),
            data,
        )
    if evaluated == 0:
        if missing == "ignore":
            return None
        return "INSUFFICIENT_DATA", "Insufficient Data: no datapoints were received.", data
    return (
        "OK",
        f"Threshold Crossed: no datapoint of the last {periods} breached the threshold ({threshold:g}).",
        data,
    )


def _event(
    alarm: Any, account: str, region: str, previous: dict[str, Any], now: dt.datetime
) -> dict[str, Any]:
    return {
        "Source": "aws.cloudwatch",
        "DetailType": "CloudWatch Alarm State Change",
        "Resources": [alarm.alarm_arn],
        "Detail": json.dumps(
            {
                "alarmName": alarm.name,
                "state": {
                    "value": alarm.state_value,
                    "reason": alarm.state_reason,
                    "reasonData": alarm.state_reason_data,
                    "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                },
                "previousState": previous,
                "configuration": {
                    "description": alarm.description,
                    "metrics": [
                        {
                            "metricStat": {
                                "metric": {
                                    "namespace": alarm.namespace,
                                    "name": alarm.metric_name,
                                    "dimensions": _dimensions(alarm.dimensions),
                                },
                                "period": alarm.period,
                                "stat": alarm.statistic,
                            }
                        }
                    ],
                },
            }
        ),
    }


def _notify(account: str, region: str, alarm: Any, topics: list[str], now: dt.datetime) -> None:
    from moto.sns.models import sns_backends

    message = json.dumps(
        {
            "AlarmName": alarm.name,
            "AlarmDescription": alarm.description,
            "AWSAccountId": account,
            "NewStateValue": alarm.state_value,
            "NewStateReason": alarm.state_reason,
            "StateChangeTime": now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "Region": region,
            "AlarmArn": alarm.alarm_arn,
        }
    )
    for arn in topics:
        if ":sns:" not in arn:
            continue
        try:
            sns_backends[account][region].publish(
                message=message, arn=arn, subject=f'{alarm.state_value}: "{alarm.name}" in {region}'
            )
        except Exception as exc:  # a deleted topic: AWS records the failed action and carries on
            log.warning("alarm %s action %s failed: %s", alarm.name, arn, exc)


def evaluate_all(now: dt.datetime | None = None) -> int:
    """Evaluate every alarm once; returns the number of state changes."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.events.models import events_backends

    now = now or dt.datetime.now(dt.UTC)
    changes = 0
    for account, regions in list(cloudwatch_backends.items()):
        for region, backend in list(regions.items()):
            for alarm in list(backend.alarms.values()):
                try:
                    outcome = evaluate(backend, alarm, now)
                except Exception as exc:  # one bad alarm must not stop the others
                    log.warning("alarm %s not evaluated: %s", getattr(alarm, "name", "?"), exc)
                    continue
                if outcome is None or outcome[0] == alarm.state_value:
                    continue
                state, reason, data = outcome
                previous = {
                    "value": alarm.state_value,
                    "reason": alarm.state_reason,
                    "timestamp": alarm.state_updated_timestamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
                    if alarm.state_updated_timestamp
                    else None,
                }
                alarm.update_state(reason, json.dumps(data), state)
                changes += 1
                if alarm.actions_enabled:
                    topics = {
                        "ALARM": alarm.alarm_actions,
                        "OK": alarm.ok_actions,
                        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
                    }[state]
                    _notify(account, region, alarm, list(topics or []), now)
                try:
                    events_backends[account][region].put_events(
                        [_event(alarm, account, region, previous, now)]
                    )
                except Exception as exc:
                    log.warning(
                        "alarm %s state change event not delivered: %s", alarm.name, exc, exc_info=True
                    )
    return changes


def _loop() -> None:
    while not _stop.wait(EVALUATION_SECONDS):
        try:
            evaluate_all()
        except Exception as exc:  # keep evaluating
            log.warning("alarm evaluation failed: %s", exc)


def start() -> None:
    """Start the evaluator thread once per process."""
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_loop, name="cloudwatch-alarm-evaluator", daemon=True)
        _thread.start()
