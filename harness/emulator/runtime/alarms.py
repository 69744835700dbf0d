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

Here an alarm is evaluated at two moments, each time by AWS's rules above over the periods ending then:

- **when data for its metric arrives**: PutMetricData evaluates the alarms of that namespace and metric
  name in its account and region before it answers (``EMULATOR_ALARM_EVALUATE_ON_DATA=0`` switches this
  off). AWS's next periodic evaluation would see the same periods (the new data point in the latest
  one) and give the same state; here there is no wait for it, so an ``ALARM`` and its event follow the
  data point at once instead of up to a minute later;
- **every** ``EVALUATION_SECONDS`` (default 5, ``EMULATOR_ALARM_EVALUATION_SECONDS``) for every alarm of
  every account and region, instead of every minute: the changes time alone brings (a breaching data
  point leaving the evaluated periods, data that stops arriving) are seen within seconds.

Evaluations are serialised, so one change gives one state change event, whichever moment finds it.
Not emulated: metric math alarms, anomaly detection, composite alarms, percentile statistics,
EvaluateLowSampleCountPercentile.
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
EVALUATE_ON_DATA = os.environ.get("EMULATOR_ALARM_EVALUATE_ON_DATA", "1") != "0"
_COMPARE = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_thread: threading.Thread | None = None
_stop = threading.Event()
_evaluating = threading.RLock()
"""One evaluation at a time: the periodic one and PutMetricData's must not both report one change."""


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

    now = now or dt.datetime.now(dt.UTC)
    changes = 0
    for account, regions in list(cloudwatch_backends.items()):
        for region, backend in list(regions.items()):
            changes += evaluate_backend(account, region, backend, now)
    return changes


def evaluate_backend(
    account: str,
    region: str,
    backend: Any,
    now: dt.datetime,
    metrics: set[tuple[str, str]] | None = None,
) -> int:
    """Evaluate the alarms of one account and region (only those watching ``metrics``, (namespace,
    metric name) pairs, when given); state changes notify and put their event. Returns the count."""
    from moto.events.models import events_backends

    changed: list[tuple[Any, str, dict[str, Any]]] = []
    # Under the lock only the evaluation and the state change (so each change is decided once); the
    # actions (SNS deliveries, EventBridge targets, state machines) run after it is released, as
    # AWS's PutMetricData never waits for them and a target calling back must not wait on the lock.
    with _evaluating:
        for alarm in list(backend.alarms.values()):
            if metrics is not None and (alarm.namespace, alarm.metric_name) not in metrics:
                continue
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
            changed.append((alarm, state, previous))
    for alarm, state, previous in changed:
        if alarm.actions_enabled:
            topics = {
                "ALARM": alarm.alarm_actions,
                "OK": alarm.ok_actions,
                "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
            }[state]
            _notify(account, region, alarm, list(topics or []), now)
        try:
            events_backends[account][region].put_events([_event(alarm, account, region, previous, now)])
        except Exception as exc:
            log.warning("alarm %s state change event not delivered: %s", alarm.name, exc, exc_info=True)
    return len(changed)


def _on_data() -> None:
    """PutMetricData evaluates the alarms of the metrics it stored (see the module docstring)."""
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.__dict__["put_metric_data"]
    if getattr(original, "__harness_alarms_original__", None) is not None:
        return

    def put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        original(self, namespace, metric_data)
        metrics = {(namespace, str(m.get("MetricName"))) for m in metric_data}
        try:
            evaluate_backend(self.account_id, self.region_name, self, dt.datetime.now(dt.UTC), metrics)
        except Exception as exc:  # the data is stored; the periodic evaluation will try again
            log.warning("alarms of %s not evaluated on arrival: %s", sorted(metrics), exc)

    put_metric_data.__harness_alarms_original__ = original  # type: ignore[attr-defined]
    CloudWatchBackend.put_metric_data = put_metric_data  # type: ignore[method-assign]


def _loop() -> None:
    while not _stop.wait(EVALUATION_SECONDS):
        try:
            evaluate_all()
        except Exception as exc:  # keep evaluating
            log.warning("alarm evaluation failed: %s", exc)


def start() -> None:
    """Start the evaluator thread once per process (and evaluate on arrival unless switched off)."""
    global _thread
    if EVALUATE_ON_DATA:
        _on_data()
    if _thread is None:
        _thread = threading.Thread(target=_loop, name="cloudwatch-alarm-evaluator", daemon=True)
        _thread.start()
