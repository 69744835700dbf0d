"""S3 bucket policies: conditions evaluated against the real request (aws:SecureTransport et al.).

moto: a bucket policy's ``Condition`` is evaluated without request context. Only ``StringEquals``
is known, and a key missing from the (empty) context counts as a match, so every ``Deny`` with a
condition applies to every request: a deny-non-TLS policy (``Bool: {aws:SecureTransport: false}``)
makes every object request fail with a bare 403, over HTTPS too. Bucket-level requests ignore the
policy entirely.
AWS: conditions are evaluated against the request context. ``aws:SecureTransport`` is ``true``
for HTTPS and ``false`` for plain HTTP, so such a policy lets HTTPS through and answers plain HTTP
with 403 ``AccessDenied``; bucket-level actions (ListBucket, ...) are covered by the policy too.

moto also answers DENIED for a statement whose condition does not hold, even an Allow or a Deny
whose condition is false; in AWS such a statement does not apply.

The fix evaluates ``Bool``, ``String(Not)Equals(IgnoreCase)``, ``String(Not)Like`` and ``Null``
(each also ``...IfExists``) for the keys the emulator can know from the request:
``aws:SecureTransport`` (from the connection's transport, ``wsgi.url_scheme``),
``s3:x-amz-server-side-encryption`` and ``s3:x-amz-server-side-encryption-aws-kms-key-id`` (from
the request headers). Any other key or operator keeps moto's behaviour for object requests; for
bucket-level requests only ``Deny`` statements whose conditions are all known are enforced, and
the bucket policy calls themselves stay allowed (the account root can always manage the policy).
"""

from __future__ import annotations

import contextvars
import fnmatch
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from ._util import replace

SECURE_TRANSPORT = "aws:securetransport"
SSE = "s3:x-amz-server-side-encryption"
SSE_KMS_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
KNOWN_KEYS = frozenset({SECURE_TRANSPORT, SSE, SSE_KMS_KEY})
POLICY_MANAGEMENT = frozenset(
    {"PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicyStatus"}
)


@dataclass
class RequestContext:
    values: dict[str, str | None] = field(default_factory=dict)
    strict: bool = False  # unknown condition -> statement does not apply (bucket-level checks)


_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "harness_s3_policy_context", default=None
)


def is_secure(request: Any) -> bool:
    environ = getattr(request, "environ", None)
    if isinstance(environ, dict) and "wsgi.url_scheme" in environ:
        return environ["wsgi.url_scheme"] == "https"
    return urlparse(str(getattr(request, "url", "") or "")).scheme == "https"


def context_from_request(request: Any) -> RequestContext:
    headers = getattr(request, "headers", {}) or {}
    return RequestContext(
        values={
            SECURE_TRANSPORT: "true" if is_secure(request) else "false",
            SSE: headers.get("x-amz-server-side-encryption"),
            SSE_KMS_KEY: headers.get("x-amz-server-side-encryption-aws-kms-key-id"),
        }
    )


_POSITIVE = {
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
    "StringEquals": lambda expected, actual: expected == actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": lambda expected, actual: fnmatch.fnmatchcase(actual, expected),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
}


def evaluate(operator: str, key: str, expected: Any, ctx: RequestContext) -> bool | None:
    """True/False for a condition we can evaluate; None when the operator or key is unknown."""
    if key.lower() not in KNOWN_KEYS:
        return None
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    expected_values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
    actual = ctx.values.get(key.lower())
    if base == "Null":
        want_absent = any(v.lower() == "true" for v in expected_values)
        return (actual is None) == want_absent
    if base in _POSITIVE:
        if actual is None:
            return if_exists
        return any(_POSITIVE[base](e, actual) for e in expected_values)
    if base in _NEGATED:
        if actual is None:
            return True
        return not any(_POSITIVE[_NEGATED[base]](e, actual) for e in expected_values)
    return None


def apply() -> None:
    from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
    from moto.iam.policy_conditions import TrustCondition
    from moto.s3.exceptions import S3ClientError
    from moto.s3.responses import S3Response

    class AccessDenied(S3ClientError):
        code = "AccessDenied"

        def __init__(self) -> None:
            super().__init__("AccessDenied", "Access Denied")

    def check_conditions_factory(original: Any) -> Any:
        def _check_conditions(self: Any, incoming_condition_values: Any) -> bool:
            ctx = _context.get()
            if ctx is None:
                return bool(original(self, incoming_condition_values))
            for operator, pairs in (self._statement.get("Condition") or {}).items():
                for key, expected in (pairs or {}).items():
                    result = evaluate(operator, key, expected, ctx)
                    if result is None:
                        if ctx.strict:
                            return False
                        actual = []
                        if incoming_condition_values and key in incoming_condition_values:
                            actual.append(incoming_condition_values[key])
                        result = TrustCondition(operator, [expected], [key]).verify_condition(actual)
                    if not result:
                        return False
            return True

        return _check_conditions

    replace(IAMPolicyStatement, "_check_conditions", check_conditions_factory)

    def is_action_permitted_factory(original: Any) -> Any:
        # moto answers DENIED for any statement whose condition does not hold, even for a Deny whose
        # condition is false; in AWS such a statement simply does not apply.
        def is_action_permitted(
            self: Any,
            action: str,
            resource: str = "*",
            principal: str | None = None,
            incoming_condition_values: Any = None,
        ) -> Any:
            if (
                _context.get() is not None
                and self._statement.get("Condition")
                and not self._check_conditions(incoming_condition_values)
            ):
                return PermissionResult.NEUTRAL
            return original(self, action, resource, principal, incoming_condition_values)

        return is_action_permitted

    replace(IAMPolicyStatement, "is_action_permitted", is_action_permitted_factory)

    def key_response_factory(original: Any) -> Any:
        def _key_response(self: Any, request: Any, full_url: str) -> Any:
            token = _context.set(context_from_request(request))
            try:
                response = original(self, request, full_url)
            finally:
                _context.reset(token)
            # moto answers a policy denial with a bare 403; AWS sends an AccessDenied error document.
            if isinstance(response, tuple) and len(response) == 3 and response[0] == 403 and not response[2]:
                raise AccessDenied()
            return response

        return _key_response

    replace(S3Response, "_key_response", key_response_factory)

    def bucket_response_factory(original: Any) -> Any:
        def _bucket_response(self: Any, request: Any, full_url: str) -> Any:
            token = _context.set(context_from_request(request))
            try:
                return original(self, request, full_url)
            finally:
                _context.reset(token)

        return _bucket_response

    replace(S3Response, "_bucket_response", bucket_response_factory)

    def authorize_factory(original: Any) -> Any:
        def _authenticate_and_authorize_s3_action(
            self: Any, bucket_name: str | None = None, key_name: str | None = None
        ) -> None:
            original(self, bucket_name=bucket_name, key_name=key_name)
            ctx = _context.get()
            if ctx is None or not bucket_name or key_name is not None:
                return
            action = self.data.get("Action") if isinstance(getattr(self, "data", None), dict) else None
            if not action or action in POLICY_MANAGEMENT:
                return
            try:
                bucket = self.backend.get_bucket(bucket_name)
            except S3ClientError:
                return
            if not bucket.policy:
                return
            policy = bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy
            token = _context.set(RequestContext(values=ctx.values, strict=True))
            try:
                result = IAMPolicy(policy).is_action_permitted(
                    f"s3:{action}", f"arn:{bucket.partition}:s3:::{bucket_name}"
                )
            finally:
                _context.reset(token)
            if result == PermissionResult.DENIED:
                raise AccessDenied()

        return _authenticate_and_authorize_s3_action

    replace(S3Response, "_authenticate_and_authorize_s3_action", authorize_factory)
