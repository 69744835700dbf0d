"""IAM is evaluated: calls signed with a user's or a role session's keys are authorised as AWS does.

moto: access control is off (``INITIAL_NO_AUTH_ACTION_COUNT`` is infinite), and when switched on
it ignores ``Resource`` and ``Condition`` and every resource policy but the role trust policy, so
any policy "passes": a role that may not train trains, a deny that names the wrong key denies nothing.
AWS: every request is authorised against the caller's identity policies, the resource's policy
(S3 bucket policy, KMS key policy, role trust policy), permissions boundary and session policy,
with an explicit deny over an allow over the implicit deny, and the KMS rule that the key policy
must allow (or delegate to IAM through the account). A refused call gets ``AccessDenied``
(``AccessDeniedException`` for JSON protocols, ``UnauthorizedOperation`` for EC2) with the message
``User: <arn> is not authorized to perform: <action> on resource: <arn> because ...``.

The fix replaces moto's authorisation hook (``ActionAuthenticatorMixin._authenticate_and_authorize_action``,
which every service's request passes through) with :mod:`harness.emulator.iam`:

- a key moto issued (CreateAccessKey, AssumeRole) is evaluated fully; an action the emulator
  cannot map to its IAM resource is refused for such a caller, the message says why;
- the harness's and Terraform's own keys (the emulator's ``testing`` keys) are the account
  administrator: allowed by IAM, still bound, as an administrator is in AWS, by explicit denies in
  bucket and key policies and by role trust policies on AssumeRole. (A key policy that neither
  names nor delegates to the administrator does not lock it out here: a known gap.) The bucket
  policy calls stay open to it, as they are to the account root;
- S3 bucket policies are evaluated here for every caller (moto's own partial bucket-policy check is
  switched off): conditions see the request (aws:SecureTransport from the connection, the SSE
  headers, s3:prefix ...);
- ``sts:GetCallerIdentity`` is always allowed, as in AWS.
The last decision of each request is kept in ``LAST_DECISION`` (per thread) for the trail.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping
from typing import Any

from ._util import replace

SERVICE_PREFIX = {"monitoring": "cloudwatch", "cloudwatch": "cloudwatch", "events": "events"}
ERROR_STATUS = {
    "json": 400,
    "rest-json": 400,
    "smithy-rpc-v2-cbor": 400,
    "query": 403,
    "ec2": 403,
    "rest-xml": 403,
}
LAST_DECISION = threading.local()


@functools.lru_cache(maxsize=256)
def _protocol(service: str) -> str:
    """The service's wire protocol (its model's metadata, which does not change: read once)."""
    try:
        return str(_session().get_service_model(service).metadata.get("protocol", "query"))
    except Exception:
        return "query"


_botocore: list[Any] = []


def _session() -> Any:
    if not _botocore:
        import botocore.session

        _botocore.append(botocore.session.get_session())
    return _botocore[0]


def _flatten_query(querystring: Mapping[str, Any]) -> dict[str, Any]:
    """Query-protocol parameters: ``X.member.N`` lists and ``Tags.member.N.Key/Value`` tags."""
    params: dict[str, Any] = {}
    lists: dict[str, dict[int, Any]] = {}
    tags: dict[int, dict[str, str]] = {}
    for raw_key, raw_value in querystring.items():
        value = raw_value[0] if isinstance(raw_value, list) and raw_value else raw_value
        parts = raw_key.split(".")
        if len(parts) >= 3 and parts[1] == "member" and parts[2].isdigit():
            index = int(parts[2])
            if len(parts) == 4 and parts[0] == "Tags":
                tags.setdefault(index, {})[parts[3]] = value
            elif len(parts) == 3:
                lists.setdefault(parts[0], {})[index] = value
            continue
        params[raw_key] = value
    for name, items in lists.items():
        params[name] = [items[i] for i in sorted(items)]
    if tags:
        params["Tags"] = [tags[i] for i in sorted(tags)]
    return params


def _params(response: Any, protocol: str) -> dict[str, Any]:
    if protocol in ("json", "rest-json"):
        body = response.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        try:
            loaded = json.loads(body) if body else {}
        except ValueError:
            loaded = {}
        return loaded if isinstance(loaded, dict) else {}
    if protocol == "smithy-rpc-v2-cbor":
        try:
            import cbor2  # type: ignore[import-not-found]

            loaded = cbor2.loads(response.raw_body) if response.raw_body else {}
            return loaded if isinstance(loaded, dict) else {}
        except Exception:
            return _flatten_query(response.querystring or {})
    return _flatten_query(response.querystring or {})


def _is_secure(response: Any) -> bool:
    request = getattr(response, "normalized_request", None)
    environ = getattr(request, "environ", None)
    if isinstance(environ, dict) and "wsgi.url_scheme" in environ:
        return environ["wsgi.url_scheme"] == "https"
    parsed = getattr(response, "parsed_url", None)
    return getattr(parsed, "scheme", "https") == "https"


def authorize(response: Any, resource_hint: str) -> None:
    """Authorise one moto request or raise the service's AccessDenied error."""
    from harness.emulator.iam import evaluator, principals, requests

    service = SERVICE_PREFIX.get(response.service_name or "", response.service_name or "")
    key_id = principals.access_key_id(response.headers, getattr(response, "querystring", None))
    account = response.current_account
    region = response.region
    partition = (
        "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    )
    try:
        principal = principals.resolve(key_id, account, partition)
    except principals.ExpiredToken:
        _raise(
            response, service, "ExpiredToken", "The security token included in the request is expired", 403
        )
        return
    admin = principal.is_administrator
    if admin and service not in ("s3", "kms", "sts"):
        return  # nothing but IAM could restrict the administrator here
    s3 = service == "s3"
    if s3:
        operation = ""
        protocol = "rest-xml"
        params: dict[str, Any] = {}
    else:
        operation = response._get_action()
        if operation == "GetCallerIdentity":
            return
        if admin and service == "sts" and operation not in ("AssumeRole",):
            return
        protocol = _protocol(response.service_name if service != "cloudwatch" else "cloudwatch")
        params = _params(response, protocol)
    query = getattr(response, "querystring", None) or {}
    raw_body = getattr(response, "raw_body", b"") or b""
    call = requests.Call(
        service=service,
        operation=operation,
        params=params,
        account=account,
        region=region,
        partition=partition,
        secure=_is_secure(response),
        method=getattr(response, "method", "POST"),
        headers=dict(response.headers.items()) if hasattr(response.headers, "items") else {},
        query=query,
        resource_hint=resource_hint,
        body=raw_body if isinstance(raw_body, bytes) else str(raw_body).encode(),
    )
    try:
        found = requests.checks(call)
    except requests.Unmapped as exc:
        if admin:
            return
        action = f"{service}:{operation}" if operation else f"{service}:*"
        message = (
            f"User: {principal.arn} is not authorized to perform: {action} on resource: * because the local "
            f"AWS emulator has no IAM mapping for it ({exc}); map it in harness/emulator/iam/requests.py"
        )
        _deny(response, service, protocol, message, s3)
        return
    base = requests.global_context(call, principal)
    for check in found:
        if admin and s3 and check.action in requests.POLICY_MANAGEMENT:
            continue
        resource = principal.arn if check.resource == "self" else check.resource
        context = {**base, **check.context}
        kind = check.resource_kind
        if admin and kind == "kms":
            kind = "generic"  # the administrator is bound by the key policy's explicit denies only
        if check.resource_policy is None and kind == "generic" and admin:
            continue
        request = evaluator.Request(principal, check.action, resource, context)
        decision = evaluator.evaluate(request, resource_policy=check.resource_policy, resource_kind=kind)
        LAST_DECISION.value = (request, decision)
        if not decision.allowed:
            message = evaluator.denial_message(request, decision, quote_resource=s3)
            _deny(response, service, protocol, message, s3)


_ADMIN_KEYS: dict[str, float] = {}
ADMIN_KEY_CACHE_SECONDS = 1.0


def authorize_invocation(environ: dict[str, Any], account: str, region: str, endpoint: str) -> str | None:
    """InvokeEndpoint (the runtime's fast path): the denial message, or None when allowed."""
    import time

    from harness.emulator.iam import evaluator, principals, requests

    key_id = principals.access_key_id({"Authorization": environ.get("HTTP_AUTHORIZATION", "")})
    now = time.monotonic()
    seen = _ADMIN_KEYS.get(key_id or "")
    if key_id is None or (seen is not None and now - seen < ADMIN_KEY_CACHE_SECONDS):
        return None
    try:
        principal = principals.resolve(key_id, account)
    except principals.ExpiredToken:
        return "The security token included in the request is expired"
    if principal.is_administrator:
        if len(_ADMIN_KEYS) > 1024:
            _ADMIN_KEYS.clear()
        _ADMIN_KEYS[key_id] = now
        return None
    call = requests.Call(
        service="sagemaker",
        operation="InvokeEndpoint",
        params={"EndpointName": endpoint},
        account=account,
        region=region,
        partition=principal.partition,
        secure=environ.get("wsgi.url_scheme") == "https",
        method="POST",
    )
    resource = f"arn:{principal.partition}:sagemaker:{region}:{account}:endpoint/{endpoint.lower()}"
    context = requests.global_context(call, principal)
    request = evaluator.Request(principal, "sagemaker:InvokeEndpoint", resource, context)
    decision = evaluator.evaluate(request)
    LAST_DECISION.value = (request, decision)
    return None if decision.allowed else evaluator.denial_message(request, decision)


def _deny(response: Any, service: str, protocol: str, message: str, s3: bool) -> None:
    if s3:
        from moto.s3.exceptions import BucketAccessDeniedError, S3ClientError

        class AccessDenied(BucketAccessDeniedError):
            """moto answers DeleteObjects with a per-key AccessDenied error for this one."""

            code = "AccessDenied"

            def __init__(self, text: str) -> None:
                S3ClientError.__init__(self, "AccessDenied", text)

        raise AccessDenied(message)
    if protocol == "ec2":
        _raise(
            response,
            service,
            "UnauthorizedOperation",
            f"You are not authorized to perform this operation. {message}",
            403,
        )
    elif protocol in ("query",):
        _raise(response, service, "AccessDenied", message, 403)
    else:
        _raise(response, service, "AccessDeniedException", message, 400)


def _raise(response: Any, service: str, code: str, message: str, status: int) -> None:
    """Raise the error as the service's protocol serialises it (moto's own serializer)."""
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult
    from werkzeug.exceptions import HTTPException

    class Denied(ServiceException):
        pass

    error = Denied(code, message)
    try:
        _status, headers, body = response.serialized(ActionResult(error))
    except Exception:
        body = json.dumps({"__type": code, "message": message})
        headers = {"Content-Type": "application/x-amz-json-1.1"}
    for name, value in headers.items():
        if name.lower() != "status":
            response.response_headers[name] = value

    class AccessDeniedHTTP(HTTPException):
        pass

    exc = AccessDeniedHTTP(description=body if isinstance(body, str) else body.decode("utf-8", "replace"))
    exc.code = status
    raise exc


def apply() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.s3.models import FakeBucket

    def hook_factory(_original: Any) -> Any:
        def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
            authorize(self, resource)

        return _authenticate_and_authorize_action

    replace(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", hook_factory)

    def get_permission_factory(_original: Any) -> Any:
        def get_permission(self: Any, action: str, resource: str) -> Any:
            from moto.iam.access_control import PermissionResult

            return PermissionResult.NEUTRAL  # bucket policies are evaluated by the IAM hook

        return get_permission

    replace(FakeBucket, "get_permission", get_permission_factory)

    from harness.emulator.runtime import invoke

    invoke.AUTHORIZE = authorize_invocation
