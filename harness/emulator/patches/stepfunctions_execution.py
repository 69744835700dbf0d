"""Step Functions executions that execute their Amazon States Language definition.

moto: by default StartExecution records an execution that is RUNNING and then SUCCEEDED without running
any state (its history is canned). moto also carries an ASL interpreter (``stepfunctions.parser``: Task
with AWS SDK and optimised integrations such as ``sns:publish``, Choice, Wait, Succeed, Fail, Pass,
Parallel, Map, Retry, Catch, intrinsic functions, the context object, an execution history), switched on
by its ``stepfunctions.execute_state_machine`` setting; its SDK integrations call the server at
``http://localhost:$MOTO_PORT``. The interpreter names every SageMaker error of an SDK integration
``sagemaker.sagemakerException``. moto lacks ValidateStateMachineDefinition and
ListStateMachineVersions, which the Terraform provider calls around creating a state machine: the
server answers 500 and ``terraform apply`` retries until it times out.
AWS: the execution runs its states; ``arn:aws:states:::aws-sdk:<service>:<api>`` calls the service and
names its errors ``<Service>.<ErrorCode>`` (``SageMaker.ValidationException``), which ``Retry``/``Catch``
``ErrorEquals`` match; ValidateStateMachineDefinition answers ``result`` OK or FAIL with
``diagnostics``; ListStateMachineVersions lists the published versions.
Here: the interpreter is switched on; SDK errors are named ``<Service>.<ErrorCode>`` (``Exception``
appended when the code lacks it); ValidateStateMachineDefinition answers from the interpreter's parser;
ListStateMachineVersions lists the versions, newest first; the server sets ``MOTO_PORT`` to its own port
(plain HTTP is served on the HTTPS port) so SDK integrations reach this emulator, the local SageMaker
runtime included.
"""

from __future__ import annotations

from typing import Any

from ._util import replace


def apply() -> None:
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sdk,
    )

    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
    sdk._SERVICE_ERROR_NAMES.setdefault("sagemaker", "SageMaker")

    def factory(original: Any) -> Any:
        def normalise(norm_service_name: str, ex: Exception) -> Any:
            code = (
                getattr(ex, "response", {}).get("Error", {}).get("Code") if hasattr(ex, "response") else None
            )
            if not code:
                return original(norm_service_name, ex)
            name = f"{norm_service_name}.{code}"
            return name if name.endswith("Exception") else f"{name}Exception"

        return staticmethod(normalise)

    replace(sdk.StateTaskServiceAwsSdk, "_normalise_exception_name", factory)
    apply_validation()


def validate_definition(definition: str) -> dict[str, Any]:
    """ValidateStateMachineDefinition's answer: OK, or FAIL with the parser's message as a diagnostic."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    try:
        AmazonStateLanguageParser.parse(definition)
    except Exception as exc:  # the parser raises on any syntax or schema error
        return {
            "result": "FAIL",
            "diagnostics": [
                {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": str(exc)[:1024]}
            ],
            "truncated": False,
        }
    return {"result": "OK", "diagnostics": [], "truncated": False}


def apply_validation() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    from ._util import add

    def validate_state_machine_definition(self: Any) -> Any:
        return ActionResult(validate_definition(self._get_param("definition") or ""))

    add(StepFunctionResponse, "validate_state_machine_definition", validate_state_machine_definition)

    def list_state_machine_versions(self: Any) -> Any:
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        versions = sorted(getattr(machine, "versions", {}).items(), reverse=True)
        return ActionResult(
            {
                "stateMachineVersions": [
                    {"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for _, v in versions
                ]
            }
        )

    add(StepFunctionResponse, "list_state_machine_versions", list_state_machine_versions)
