"""Which AWS API call a request is, named as CloudTrail names it.

AWS: every event carries ``eventSource`` (``<service>.amazonaws.com``), ``eventName`` (the API
operation), ``awsRegion`` (the region of the endpoint called) and ``requestParameters``: the
operation's input with lowerCamelCase member names, sensitive members shown as
``HIDDEN_DUE_TO_SECURITY_REASONS`` and payloads (object bodies, blobs) left out. S3 names its
parameters after the request (``bucketName``, ``Host``, ``key`` and the query string).

The call is read from the SigV4 credential scope (access key, region, signing name: in the
``Authorization`` header or a presigned URL's ``X-Amz-Credential``) and the protocol:
``X-Amz-Target`` (JSON), ``Action`` (query), ``/service/<s>/operation/<op>`` (RPC v2 CBOR) or the
operation's HTTP binding in botocore's service model (REST: S3, the SageMaker runtimes). Unsigned
requests and the emulator's own routes are not API calls and are not recorded.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
MAX_BODY = 1 << 20  # request bodies above this are not parsed for requestParameters

_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/,\s]+)/aws4_request")
_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([A-Za-z0-9]+)$")
_INTERNAL = ("/moto-api", "/_emulator", "/_moto")

#: signing name -> botocore service names (the first whose protocol fits is used)
_MODELS: dict[str, tuple[str, ...]] = {
    "monitoring": ("cloudwatch",),
    "sagemaker": ("sagemaker", "sagemaker-runtime", "sagemaker-featurestore-runtime"),
    "states": ("stepfunctions",),
    "execute-api": (),
}
#: global services: their events carry the region of their one endpoint, whatever a client signs with
_GLOBAL_REGIONS = {
    "iam": "us-east-1",
    "organizations": "us-east-1",
    "route53": "us-east-1",
    "cloudfront": "us-east-1",
}
#: signing name -> eventSource host, where it differs from ``<signing name>.amazonaws.com``
_SOURCES: dict[str, str] = {}

_SENSITIVE_NAMES = frozenset(
    {
        "password",
        "oldpassword",
        "newpassword",
        "secretaccesskey",
        "sessiontoken",
        "privatekey",
        "secretstring",
    }
)


@dataclass
class Call:
    """One API call as CloudTrail sees it, before the answer."""

    access_key_id: str
    region: str
    signing_name: str
    event_source: str
    event_name: str
    request_parameters: dict[str, Any] | None
    protocol: str
    raw: dict[str, Any] = field(default_factory=dict)  # API-named input (PascalCase), for our own use
    bucket: str | None = None
    key: str | None = None
    host: str = ""
    user_agent: str = ""
    source_ip: str = ""
    tls: bool = False


def credential_scope(environ: dict[str, Any]) -> tuple[str, str, str] | None:
    """``(access key id, region, signing name)`` of a SigV4-signed request; None when unsigned."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(1), match.group(2), match.group(3)
    query = environ.get("QUERY_STRING", "")
    if "X-Amz-Credential" in query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name == "X-Amz-Credential":
                parts = value.split("/")
                if len(parts) >= 5:
                    return parts[0], parts[2], parts[3]
    return None


def identify(environ: dict[str, Any]) -> Call | None:
    """The call a request makes, or None (unsigned, internal route, operation not known)."""
    path = environ.get("PATH_INFO", "") or "/"
    if path.startswith(_INTERNAL):
        return None
    scope = credential_scope(environ)
    if scope is None:
        return None
    access_key, region, signing = scope
    region = _GLOBAL_REGIONS.get(signing, region)
    method = environ.get("REQUEST_METHOD", "GET").upper()
    headers = _Headers(environ)
    target = headers.get("x-amz-target")
    common = {
        "access_key_id": access_key,
        "region": region,
        "signing_name": signing,
        "event_source": _SOURCES.get(signing, f"{signing}.amazonaws.com"),
        "host": headers.get("host") or "",
        "user_agent": headers.get("user-agent") or "",
        "source_ip": environ.get("HTTP_X_FORWARDED_FOR", "").split(",")[0].strip()
        or environ.get("REMOTE_ADDR", "127.0.0.1"),
        "tls": environ.get("wsgi.url_scheme") == "https",
    }
    if target:  # JSON protocol
        name = target.rsplit(".", 1)[-1]
        body = _read_body(environ)
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        model = _model(signing, ("json",), name)
        return Call(
            **common,
            event_name=name,
            request_parameters=_convert_input(model, name, data),
            protocol="json",
            raw=data,
        )
    cbor = _CBOR_PATH.match(path)
    if cbor and method == "POST":
        return Call(**common, event_name=cbor.group(1), request_parameters=None, protocol="cbor")
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    content_type = (environ.get("CONTENT_TYPE") or "").lower()
    if signing != "s3" and (
        "Action" in query
        or (method == "POST" and content_type.startswith("application/x-www-form-urlencoded"))
    ):
        params = dict(query)
        if method == "POST":
            body = _read_body(environ)
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        name = params.pop("Action", "")
        params.pop("Version", None)
        if not name:
            return None
        model = _model(signing, ("query", "ec2"), name)
        structured = _unflatten(params)
        return Call(
            **common,
            event_name=name,
            request_parameters=_convert_input(model, name, structured),
            protocol="query",
            raw=structured,
        )
    if signing == "s3":
        return _s3_call(common, method, path, query, headers)
    return _rest_call(common, signing, method, path, query, headers, environ)


# --------------------------------------------------------------------------------------------- S3


def _s3_call(
    common: dict[str, Any], method: str, path: str, query: dict[str, str], headers: _Headers
) -> Call | None:
    host = common["host"]
    bucket, key = _s3_bucket_key(path, host)
    model = _service_model("s3")
    if model is None:
        return None
    name = _match_rest(model, method, bucket, key, query, headers)
    if name is None:
        return None
    params: dict[str, Any] = {}
    if bucket:
        params["bucketName"] = bucket
    params["Host"] = host
    if key:
        params["key"] = key
    for qname, qvalue in query.items():
        if not qname.startswith("X-Amz-"):
            params[qname] = qvalue
    return Call(
        **common,
        event_name=name,
        request_parameters=params,
        protocol="rest-xml",
        bucket=bucket,
        key=key,
    )


def _s3_bucket_key(path: str, host: str) -> tuple[str | None, str | None]:
    hostname = host.split(":")[0]
    virtual = re.match(r"^(.+)\.s3[.-]", hostname)
    if virtual and not re.fullmatch(r"[\d.]+", hostname):
        bucket, key = virtual.group(1), path.lstrip("/")
    else:
        bucket, _, key = path.lstrip("/").partition("/")
    return (bucket or None), (key or None)


_Route = tuple[int, str, dict[str, str], tuple[str, ...], tuple[str, ...]]


@functools.lru_cache(maxsize=64)
def _routes(service: str) -> dict[tuple[str, bool, bool], list[_Route]]:
    """Operations by (method, has bucket, has key): (score, name, literal query, required query and
    headers), most specific first (the score counts what an operation requires of a request)."""
    model = _service_model(service)
    table: dict[tuple[str, bool, bool], list[_Route]] = {}
    if model is None:
        return table
    for name in model.operation_names:
        op = model.operation_model(name)
        path, _, qs = op.http.get("requestUri", "/").partition("?")
        literal = dict(parse_qsl(qs, keep_blank_values=True)) if qs else {}
        literal.pop("x-id", None)
        segments = [s for s in path.split("/") if s]
        required_query: list[str] = []
        required_headers: list[str] = []
        shape = op.input_shape
        if shape is not None:
            for member in shape.required_members:
                ser = shape.members[member].serialization
                if ser.get("location") == "querystring":
                    required_query.append(ser.get("name", member))
                elif ser.get("location") == "header":
                    required_headers.append(ser.get("name", member).lower())
        key = (
            op.http.get("method", "GET"),
            any(s.startswith("{Bucket") for s in segments),
            any(s.startswith("{Key") for s in segments),
        )
        score = 3 * len(literal) + 2 * len(required_query) + len(required_headers)
        table.setdefault(key, []).append(
            (score, name, literal, tuple(required_query), tuple(required_headers))
        )
    for candidates in table.values():
        candidates.sort(key=lambda route: -route[0])
    return table


def _match_rest(
    model: Any, method: str, bucket: str | None, key: str | None, query: dict[str, str], headers: _Headers
) -> str | None:
    for _score, name, literal, req_query, req_headers in _routes(model.service_name).get(
        (method, bool(bucket), bool(key)), ()
    ):
        if literal and any(q not in query or (v and query[q] != v) for q, v in literal.items()):
            continue
        if req_query and any(q not in query for q in req_query):
            continue
        if req_headers and any(headers.get(h) is None for h in req_headers):
            continue
        return name
    return None


# ------------------------------------------------------------------------------------ other REST


def _rest_call(
    common: dict[str, Any],
    signing: str,
    method: str,
    path: str,
    query: dict[str, str],
    headers: _Headers,
    environ: dict[str, Any],
) -> Call | None:
    for service in _MODELS.get(signing, (signing,)):
        model = _service_model(service)
        if model is None or not model.protocol.startswith("rest"):
            continue
        for name in model.operation_names:
            op = model.operation_model(name)
            if op.http.get("method") != method:
                continue
            labels = _match_template(op.http.get("requestUri", "/"), path, query)
            if labels is None:
                continue
            data: dict[str, Any] = {}
            shape = op.input_shape
            if shape is not None:
                for member, mshape in shape.members.items():
                    ser = mshape.serialization
                    location, wire = ser.get("location"), ser.get("name", member)
                    if location == "uri" and wire in labels:
                        data[member] = labels[wire]
                    elif location == "querystring" and wire in query:
                        data[member] = query[wire]
                    elif location == "header" and headers.get(wire) is not None:
                        data[member] = headers.get(wire)
                if model.protocol == "rest-json" and not shape.serialization.get("payload"):
                    body = _read_body(environ)
                    try:
                        payload = json.loads(body) if body else {}
                    except ValueError:
                        payload = {}
                    if isinstance(payload, dict):
                        data.update(payload)
            return Call(
                **common,
                event_name=name,
                request_parameters=_convert_input(model, name, data),
                protocol=model.protocol,
                raw=data,
            )
    return None


def _match_template(uri: str, path: str, query: dict[str, str]) -> dict[str, str] | None:
    template, _, qs = uri.partition("?")
    for qname, qvalue in parse_qsl(qs, keep_blank_values=True):
        if qname != "x-id" and (qname not in query or (qvalue and query[qname] != qvalue)):
            return None
    pattern = re.sub(
        r"\\\{([^}+]+)(\\\+)?\\\}",
        lambda m: f"(?P<{_group(m.group(1))}>{'.+' if m.group(2) else '[^/]+'})",
        re.escape(template),
    )
    match = re.fullmatch(pattern, path)
    if match is None:
        return None
    names = re.findall(r"\{([^}+]+)\+?\}", template)
    return {name: unquote(match.group(_group(name))) for name in names}


def _group(name: str) -> str:
    return "g_" + re.sub(r"\W", "_", name)


# ------------------------------------------------------------------------------ model-based naming


_lock = threading.Lock()
_session: Any = None


def _service_model(name: str) -> Any:
    return _service_model_cached(name)


@functools.lru_cache(maxsize=128)
def _service_model_cached(name: str) -> Any:
    global _session
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    with _lock:
        if _session is None:
            _session = botocore.session.get_session()
        try:
            return _session.get_service_model(name)
        except UnknownServiceError:
            return None


@functools.lru_cache(maxsize=2048)
def _model(signing: str, protocols: tuple[str, ...], operation: str) -> Any:
    """The botocore service model that defines ``operation`` for this signing name (cached)."""
    fallback = None
    for service in _MODELS.get(signing, (signing,)):
        model = _service_model(service)
        if model is not None and operation in model.operation_names:
            if model.protocol in protocols or set(protocols) & set(model.metadata.get("protocols", ())):
                return model
            fallback = fallback or model
    return fallback


def _convert_input(model: Any, operation: str, data: dict[str, Any]) -> dict[str, Any] | None:
    if not data:
        return None
    shape = model.operation_model(operation).input_shape if model is not None else None
    converted = to_cloudtrail(shape, data)
    return converted or None


def to_cloudtrail(shape: Any, value: Any) -> Any:
    """An API value in CloudTrail's form: lowerCamelCase member names, sensitive members hidden."""
    if shape is not None and shape.metadata.get("sensitive"):
        return HIDDEN
    type_name = getattr(shape, "type_name", None)
    if isinstance(value, dict):
        if type_name == "map":
            return {k: to_cloudtrail(shape.value, v) for k, v in value.items()}
        members = shape.members if type_name == "structure" else {}
        out: dict[str, Any] = {}
        for name, item in value.items():
            member = members.get(name)
            if member is not None and member.type_name == "blob":
                continue
            if name.replace("_", "").lower() in _SENSITIVE_NAMES:
                out[lower_camel(name)] = HIDDEN
                continue
            out[lower_camel(name)] = to_cloudtrail(member, item)
        return out
    if isinstance(value, list):
        inner = shape.member if type_name == "list" else None
        return [to_cloudtrail(inner, v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, (bytes, bytearray)):
        return None
    if type_name in ("integer", "long") and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    if type_name == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    return value


def lower_camel(name: str) -> str:
    """``TrainingJobName`` -> ``trainingJobName``; ``KMSKeyId`` -> ``kMSKeyId`` (as CloudTrail does)."""
    return name[:1].lower() + name[1:] if name else name


def _unflatten(params: dict[str, str]) -> dict[str, Any]:
    """Query-protocol parameters (``Tags.member.1.Key``) as nested dicts and lists."""
    root: dict[str, Any] = {}
    for flat, value in params.items():
        parts = [p for p in flat.split(".") if p not in ("member", "entry")]
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    break
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_lists(node[k]) for k in sorted(node, key=int)]
    return {k: _lists(v) for k, v in node.items()}


# ------------------------------------------------------------------------------------------ utils


class _Headers:
    __slots__ = ("_environ",)

    def __init__(self, environ: dict[str, Any]) -> None:
        self._environ = environ

    def get(self, name: str) -> str | None:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            return self._environ.get(key)
        return self._environ.get("HTTP_" + key)


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back for the application; empty when too large or streamed."""
    cached = environ.get("harness.trail.body")
    if cached is not None:
        return cached
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0 or length > MAX_BODY:
        return b""
    stream = environ["wsgi.input"]
    body = stream.read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["harness.trail.body"] = body
    return body
