"""sagemaker-runtime InvokeEndpoint fails for an endpoint that does not exist.

moto: InvokeEndpoint (and InvokeEndpointAsync) answer canned data for any endpoint name, existing
or not, so a test could pass against nothing.
AWS: invoking an unknown endpoint is a 400 ``ValidationError``
("Endpoint <name> of account <account> not found.").
(For an existing endpoint the emulator's own data-plane runtime claims the route at the front
router; moto's canned answer is never what a test should rely on.)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from ._util import replace


def endpoint_name_from_path(path: str) -> str | None:
    """``/endpoints/<name>/invocations[-async]`` -> name (moto's server mode does not parse it)."""
    parts = urlsplit(path).path.split("/")
    if len(parts) >= 4 and parts[1] == "endpoints":
        return unquote(parts[2])
    return None


def apply() -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.sagemaker.models import sagemaker_backends
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    def _require_endpoint(response: Any) -> None:
        name = endpoint_name_from_path(response.path) or response._get_param("EndpointName")
        account, region = response.current_account, response.region
        if not name or name not in sagemaker_backends[account][region].endpoints:
            raise JsonRESTError("ValidationError", f"Endpoint {name} of account {account} not found.")

    def factory(original: Any) -> Any:
        def handler(self: Any) -> Any:
            _require_endpoint(self)
            return original(self)

        return handler

    replace(SageMakerRuntimeResponse, "invoke_endpoint", factory)
    replace(SageMakerRuntimeResponse, "invoke_endpoint_async", factory)
