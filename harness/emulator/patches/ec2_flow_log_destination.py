"""Flow logs created with a CloudWatch Logs destination ARN deliver, as in AWS.

moto: ``CreateFlowLogs`` checks that the log group exists only through ``LogGroupName``; a flow log
created the way Terraform does it (``LogDestination`` = the log group's ARN, no name) is recorded
with ``DeliverLogsStatus: FAILED`` ("Access error") and no ``LogGroupName``.
AWS: ``LogDestination`` names the group; delivery succeeds when the group exists and the role may
write to it, and DescribeFlowLogs reports the group's name.
"""

from __future__ import annotations

from typing import Any

from ._util import replace


def group_name_from_arn(arn: str | None) -> str | None:
    """``arn:aws:logs:<region>:<account>:log-group:<name>[:*]`` -> ``<name>``."""
    if not arn or ":log-group:" not in arn:
        return None
    name = arn.split(":log-group:", 1)[1]
    return name[:-2] if name.endswith(":*") else name


def apply() -> None:
    from moto.ec2.models.flow_logs import FlowLogsBackend

    def factory(original: Any) -> Any:
        def create_flow_logs(
            self: Any,
            resource_type: str,
            resource_ids: list[str],
            traffic_type: str,
            deliver_logs_permission_arn: str,
            log_destination_type: str,
            log_destination: str,
            log_group_name: str,
            log_format: str,
            max_aggregation_interval: str,
        ) -> Any:
            if (log_destination_type or "cloud-watch-logs") == "cloud-watch-logs" and not log_group_name:
                derived = group_name_from_arn(log_destination)
                if derived:
                    flow_logs, unsuccessful = original(
                        self,
                        resource_type,
                        resource_ids,
                        traffic_type,
                        deliver_logs_permission_arn,
                        log_destination_type,
                        None,
                        derived,
                        log_format,
                        max_aggregation_interval,
                    )
                    for flow_log in flow_logs:
                        flow_log.log_destination = log_destination
                    return flow_logs, unsuccessful
            return original(
                self,
                resource_type,
                resource_ids,
                traffic_type,
                deliver_logs_permission_arn,
                log_destination_type,
                log_destination,
                log_group_name,
                log_format,
                max_aggregation_interval,
            )

        return create_flow_logs

    replace(FlowLogsBackend, "create_flow_logs", factory)
