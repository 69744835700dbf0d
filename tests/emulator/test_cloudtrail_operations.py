"""How the recorder names calls (no emulator): S3 operations from their HTTP binding, query and JSON
protocols, sensitive members hidden, the SageMaker runtime's calls classed as data events."""

from __future__ import annotations

import io
from typing import Any

import pytest

from harness.emulator.cloudtrail import operations, selectors

AUTH = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/eu-central-1/{service}/aws4_request, Signature=x"


def _environ(service: str, method: str, path: str, query: str = "", body: bytes = b"", **headers: str) -> Any:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "127.0.0.1:4566",
        "HTTP_AUTHORIZATION": AUTH.format(service=service),
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in headers.items():
        environ[name.upper() if name == "content_type" else "HTTP_" + name.upper()] = value
    return environ


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "name"),
    [
        ("PUT", "/b/k/x.csv", "", {}, "PutObject"),
        ("PUT", "/b/k", "partNumber=1&uploadId=u", {}, "UploadPart"),
        ("PUT", "/b/k", "", {"x_amz_copy_source": "/a/b"}, "CopyObject"),
        ("GET", "/b/k", "", {}, "GetObject"),
        ("GET", "/b/k", "retention", {}, "GetObjectRetention"),
        ("HEAD", "/b/k", "", {}, "HeadObject"),
        ("DELETE", "/b/k", "", {}, "DeleteObject"),
        ("POST", "/b", "delete", {}, "DeleteObjects"),
        ("GET", "/b", "list-type=2&prefix=p", {}, "ListObjectsV2"),
        ("GET", "/b", "", {}, "ListObjects"),
        ("GET", "/b", "versioning", {}, "GetBucketVersioning"),
        ("PUT", "/b", "policy", {}, "PutBucketPolicy"),
        ("HEAD", "/b", "", {}, "HeadBucket"),
        ("GET", "/", "", {}, "ListBuckets"),
    ],
)
def test_s3_operations_are_named_from_their_http_binding(
    method: str, path: str, query: str, headers: dict[str, str], name: str
) -> None:
    environ = _environ("s3", method, path, query, **headers)
    call = operations.identify(environ)
    assert call is not None and call.event_name == name
    assert call.request_parameters["bucketName" if path != "/" else "Host"]


def test_query_and_json_protocols_use_cloudtrails_names_and_hide_secrets() -> None:
    body = b"Action=CreateLoginProfile&Version=2010-05-08&UserName=alice&Password=s3cret"
    call = operations.identify(
        _environ("iam", "POST", "/", body=body, content_type="application/x-www-form-urlencoded")
    )
    assert call is not None and call.event_name == "CreateLoginProfile"
    assert call.region == "us-east-1"  # IAM is global
    assert call.request_parameters == {"userName": "alice", "password": "HIDDEN_DUE_TO_SECURITY_REASONS"}

    body = b'{"KeyId": "alias/data", "Plaintext": "c2VjcmV0"}'
    call = operations.identify(_environ("kms", "POST", "/", body=body, x_amz_target="TrentService.Encrypt"))
    assert call is not None and (call.event_source, call.event_name) == ("kms.amazonaws.com", "Encrypt")
    assert call.request_parameters == {"keyId": "alias/data"}  # payloads (blobs) are never recorded


def test_unsigned_and_internal_requests_are_not_api_calls() -> None:
    environ = _environ("s3", "GET", "/b/k")
    del environ["HTTP_AUTHORIZATION"]
    assert operations.identify(environ) is None
    assert operations.identify(_environ("s3", "GET", "/moto-api/data.json")) is None


def test_invoke_endpoint_is_a_data_event_of_the_endpoint() -> None:
    call = operations.identify(
        _environ(
            "sagemaker", "POST", "/endpoints/dropout/invocations", body=b"{}", content_type="application/json"
        )
    )
    assert call is not None and call.event_name == "InvokeEndpoint"
    assert selectors.is_data_event(call.signing_name, call.event_name, call.protocol)
    assert call.raw["EndpointName"] == "dropout"
    control = operations.identify(
        _environ("sagemaker", "POST", "/", body=b"{}", x_amz_target="SageMaker.ListEndpoints")
    )
    assert control is not None and not selectors.is_data_event(
        control.signing_name, control.event_name, "json"
    )
