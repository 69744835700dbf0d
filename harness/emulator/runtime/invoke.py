"""sagemaker-runtime InvokeEndpoint: ``POST /endpoints/<name>/invocations`` on the emulator's port.

Mounted on the front router ahead of moto (whose answer is canned). Picks the variant (the
``X-Amzn-SageMaker-Target-Variant`` header, else by weight), round-robins over its healthy instances
and forwards Content-Type, Accept and the body over a keep-alive connection pool. Answers as AWS does:

- 200 with the model's body and ``x-Amzn-Invoked-Production-Variant``;
- unknown endpoint or variant, endpoint not InService -> 400 ``ValidationError``;
- body over 6 MB -> 413 ``ValidationError``;
- model answered 4xx/5xx -> 424 ``ModelError`` (``ErrorCode`` CLIENT_/SERVER_ERROR_FROM_MODEL,
  ``OriginalStatusCode``, ``OriginalMessage``, ``LogStreamArn``), which boto3 raises as
  ``ModelError``; no healthy instance or a dead connection -> ``ModelError`` with original status 503
  / 502 while the endpoint replaces the instance.

Requests are not SigV4-verified (moto does not verify signatures either); the access key and region
in the Authorization header choose the account and region, as moto does. When IAM is evaluated
(the ``iam_policy_evaluation`` fix sets :data:`AUTHORIZE`), a caller with a user's or a session's
keys needs ``sagemaker:InvokeEndpoint`` on the endpoint: otherwise 403 ``AccessDeniedException``.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from . import state
from .backends import caller

PATH = re.compile(r"/endpoints/([^/]+)/invocations")
MAX_PAYLOAD = 6 * 1024 * 1024
DEFAULT_REGION = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
AUTHORIZE: Callable[[dict[str, Any], str, str, str], str | None] | None = None
"""``(environ, account, region, endpoint) -> denial message or None``; None: IAM is not evaluated."""


def is_invocation(environ: dict[str, Any]) -> bool:
    """The runtime service's path, signed for the ``sagemaker`` service (or unsigned)."""
    if environ.get("REQUEST_METHOD") != "POST" or not PATH.fullmatch(environ.get("PATH_INFO", "")):
        return False
    auth = environ.get("HTTP_AUTHORIZATION", "")
    return not auth or "/sagemaker/aws4_request" in auth


def request_id() -> str:
    """A random version-4 UUID string (request ids and capture event ids need not be cryptographic)."""
    n = random.getrandbits(128)
    return (
        f"{n >> 96:08x}-{(n >> 80) & 0xFFFF:04x}-4{(n >> 68) & 0xFFF:03x}-"
        f"{0x8000 | ((n >> 52) & 0x3FFF):04x}-{n & 0xFFFFFFFFFFFF:012x}"
    )


def _answer(
    start_response: Callable[..., Any],
    status: int,
    body: bytes,
    content_type: str,
    extra: list[tuple[str, str]],
) -> Iterable[bytes]:
    reason = {200: "OK", 400: "Bad Request", 413: "Request Entity Too Large", 424: "Failed Dependency"}
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", request_id()),
        *extra,
    ]
    start_response(f"{status} {reason.get(status, 'Error')}", headers)
    return [body]


def _error(
    start_response: Callable[..., Any], status: int, code: str, message: str, **fields: Any
) -> Iterable[bytes]:
    body = json.dumps(
        {"message": message, **fields} if not fields else {"Message": message, **fields}
    ).encode()
    return _answer(start_response, status, body, "application/json", [("x-amzn-ErrorType", code)])


def _model_error(
    start_response: Callable[..., Any],
    account: str,
    region: str,
    host: Any,
    instance: Any,
    status: int,
    text: str,
) -> Iterable[bytes]:
    kind = "client" if 400 <= status < 500 else "server"
    group = host.log_group
    message = (
        f'Received {kind} error ({status}) from primary with message "{text}". See '
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logEventViewer:group={group} "
        f"in account {account} for more information."
    )
    fields: dict[str, Any] = {
        "ErrorCode": f"{kind.upper()}_ERROR_FROM_MODEL",
        "OriginalStatusCode": status,
        "OriginalMessage": text,
    }
    if instance is not None:
        fields["LogStreamArn"] = host.stream_arn(instance)
    return _error(start_response, 424, "ModelError", message, **fields)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    match = PATH.fullmatch(environ.get("PATH_INFO", ""))
    name = unquote(match.group(1)) if match else ""
    account, region = caller(environ, DEFAULT_REGION)
    if AUTHORIZE is not None:
        denied = AUTHORIZE(environ, account, region, name)
        if denied is not None:
            return _error(start_response, 403, "AccessDeniedException", denied)
    from moto.sagemaker.models import sagemaker_backends

    endpoint = sagemaker_backends[account][region].endpoints.get(name)
    if endpoint is None:
        return _error(
            start_response, 400, "ValidationError", f"Endpoint {name} of account {account} not found."
        )
    host = state.endpoints.get((account, region, name))
    if endpoint.endpoint_status not in ("InService", "Updating") or host is None:
        return _error(
            start_response,
            400,
            "ValidationError",
            f"Endpoint {name} of account {account} is not in service (status {endpoint.endpoint_status}).",
        )
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_PAYLOAD:
        return _error(
            start_response,
            413,
            "ValidationError",
            f"Received payload size is {length} bytes; the maximum allowed is {MAX_PAYLOAD} bytes.",
        )
    body = environ["wsgi.input"].read(length) if length else b""
    target = environ.get("HTTP_X_AMZN_SAGEMAKER_TARGET_VARIANT")
    variant = host.choose(target)
    if variant is None:
        return _error(
            start_response, 400, "ValidationError", f"Variant {target} not found for endpoint {name}."
        )
    content_type = environ.get("CONTENT_TYPE") or "application/octet-stream"
    headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
    if environ.get("HTTP_ACCEPT"):
        headers["Accept"] = environ["HTTP_ACCEPT"]
    attributes = environ.get("HTTP_X_AMZN_SAGEMAKER_CUSTOM_ATTRIBUTES")
    if attributes:
        headers["X-Amzn-SageMaker-Custom-Attributes"] = attributes
    instance = variant.pick()
    if instance is None:
        return _model_error(
            start_response,
            account,
            region,
            host,
            None,
            503,
            f"no healthy instance of variant {variant.name}; it is being replaced",
        )
    try:
        status, answer, answer_type = instance.forward(body, headers)
    except Exception as exc:
        instance.healthy = False  # the monitor replaces it
        return _model_error(
            start_response,
            account,
            region,
            host,
            instance,
            502,
            f"the model server did not answer: {type(exc).__name__}: {exc}",
        )
    if status >= 400:
        return _model_error(
            start_response, account, region, host, instance, status, answer.decode("utf-8", errors="replace")
        )
    if host.capture is not None:
        host.capture.record(variant.name, content_type, body, answer_type, answer, request_id())
    return _answer(
        start_response, 200, answer, answer_type, [("x-Amzn-Invoked-Production-Variant", variant.name)]
    )
