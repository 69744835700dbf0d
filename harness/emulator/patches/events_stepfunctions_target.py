"""EventBridge rules deliver matched events to Step Functions state machine targets.

moto: a rule's targets receive matched events only when they are CloudWatch log groups, SQS queues,
archives, event buses or API destinations; a state machine target (the way a CloudWatch alarm state
change or a schedule starts a workflow) silently receives nothing.
AWS: for a target ``arn:aws:states:<region>:<account>:stateMachine:<name>`` EventBridge calls
``StartExecution`` with the target's ``RoleArn`` and the event (after the target's ``Input``,
``InputPath`` or ``InputTransformer``) as the execution's input.
moto also hands every put event to scheduled rules, whose empty pattern matches anything; AWS sends a
scheduled rule's targets only its schedule's events.
Here: scheduled rules receive no put events; a state machine target gets the same StartExecution on
the emulator's Step Functions backend (see ``stepfunctions_execution``),
input = the event as JSON (or the target's constant ``Input``). A failed start is logged, as EventBridge
records a failed invocation, and does not stop delivery to the other targets.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

from ._util import replace

log = logging.getLogger(__name__)


_lock = threading.Lock()


def _is_state_machine(arn: str) -> bool:
    return ":states:" in arn and ":stateMachine:" in arn


def start_executions(rule: Any, event: dict[str, Any]) -> list[str]:
    """Start every state machine target of ``rule`` for a matched ``event``; returns execution ARNs."""
    from moto.stepfunctions.responses import get_backend
    from moto.utilities.arns import parse_arn

    started = []
    for target in rule.targets:
        arn = target.get("Arn", "")
        if not _is_state_machine(arn):
            continue
        parsed = parse_arn(arn)
        payload = target.get("Input")
        if payload is None:
            path = target.get("InputPath")
            payload = json.dumps(_select(event, path) if path else event, default=str)
        try:
            backend = get_backend(parsed.account, parsed.region)
            execution = backend.start_execution(arn, name=str(uuid.uuid4()), execution_input=payload)
            started.append(getattr(execution, "exec_arn", None) or execution.execution_arn)
        except Exception as exc:  # EventBridge records a failed invocation and carries on
            log.warning("rule %s: StartExecution on %s failed: %s", rule.name, arn, exc)
    return started


def _select(event: dict[str, Any], path: str) -> Any:
    current: Any = event
    for part in [p for p in path.lstrip("$").split(".") if p]:
        current = current.get(part) if isinstance(current, dict) else None
    return current


def apply() -> None:
    from moto.events.models import Rule

    def factory(original: Any) -> Any:
        def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
            if getattr(self, "scheduled_expression", None) and not getattr(
                self.event_pattern, "_pattern", None
            ):
                return  # a scheduled rule gets its schedule's events only (moto: empty pattern = all)
            # moto raises NotImplementedError at the first target kind it lacks, which would also stop
            # delivery to the others: it sees only the targets it knows.
            with _lock:
                every = list(self.targets)
                self.targets = [t for t in every if not _is_state_machine(t.get("Arn", ""))]
                try:
                    original(self, original_event, transform_input)
                finally:
                    self.targets = every
            if self.event_pattern.matches_event(original_event):
                start_executions(self, original_event)

        return send_to_targets

    replace(Rule, "send_to_targets", factory)
