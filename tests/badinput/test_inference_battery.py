"""Bad input battery for InvokeEndpoint: every malformed request gets a clear 4xx, never a 5xx.

One emulator and one endpoint for the module. Each case sends one bad request through boto3's
``invoke_endpoint`` (the way an application calls the endpoint) and expects either the route's
``ValidationError`` (unknown endpoint or variant, payload over 6 MB) or ``ModelError`` carrying the
handler's 4xx and its message (``OriginalStatusCode``, ``OriginalMessage``). After every case the
endpoint still answers a valid request with the right score.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from harness.bench import LocalPlatform
from harness.ml import inference
from harness.ml.schema import FEATURE_NAMES

pytestmark = pytest.mark.integration

JSON = "application/json"
CSV = "text/csv"
VALID = [72, 1, 0.85]
OVER_6MB = 6 * 1024 * 1024 + 1


@dataclass(frozen=True)
class Case:
    id: str
    body: bytes | str
    content_type: str | None = JSON
    accept: str | None = JSON
    status: int = 400  # the handler's status (ModelError) or the route's (ValidationError)
    code: str = "ModelError"
    says: tuple[str, ...] = ()  # all of these in the message, case-insensitive
    call: dict[str, Any] = field(default_factory=dict)  # endpoint / variant overrides


def j(document: Any) -> str:
    return json.dumps(document)


CASES = [
    Case("truncated-json", '{"features": [72, 1,', says=("malformed JSON",)),
    Case("trailing-garbage", '{"features": [72, 1, 0.85]} extra', says=("malformed JSON",)),
    Case("single-quotes", "{'features': [72, 1, 0.85]}", says=("malformed JSON",)),
    Case("deeply-nested", "[" * 100_000 + "]" * 100_000, says=("malformed JSON",)),
    Case("empty-body", b"", says=("empty request body",)),
    Case("whitespace-body", "   \n\t  ", says=("empty request body",)),
    Case("json-null", "null", says=("must be an object",)),
    Case("json-string", '"72,1,0.85"', says=("must be an object",)),
    Case("json-number", "72", says=("must be an object",)),
    Case("json-boolean", "true", says=("must be an object",)),
    Case("json-array-at-top", j([72, 1, 0.85]), says=("must be an object",)),
    Case("features-null", j({"features": None}), says=("features", "array")),
    Case("features-string", j({"features": "72,1,0.85"}), says=("features", "array")),
    Case("features-object", j({"features": {"age": 72}}), says=("features", "array")),
    Case("features-empty", j({"features": []}), says=("expected 3 features", "got 0")),
    Case("features-too-few", j({"features": [72, 1]}), says=("expected 3 features", "got 2")),
    Case("features-10000", j({"features": [1.0] * 10_000}), says=("expected 3 features", "got 10000")),
    Case("features-nested", j({"features": [[72, 1, 0.85]]}), says=("flat array", "instances")),
    Case("feature-nested-one", j({"features": [72, [1], 0.85]}), says=("features[1]", "nested array")),
    Case("feature-boolean", j({"features": [True, 1, 0.85]}), says=("features[0]", "boolean")),
    Case("feature-null", j({"features": [72, None, 0.85]}), says=("features[1]", "null")),
    Case("feature-string", j({"features": [72, "one", 0.85]}), says=("features[1]", "string")),
    Case("feature-unicode", j({"features": ["七十二", 1, 0.85]}), says=("features[0]", "string")),
    Case("feature-object", j({"features": [72, 1, {"rate": 0.85}]}), says=("features[2]", "object")),
    Case("feature-nan", '{"features": [NaN, 1, 0.85]}', says=("features[0]", "NaN", "finite")),
    Case("feature-infinity", '{"features": [72, Infinity, 0.85]}', says=("features[1]", "Infinity")),
    Case("feature-minus-infinity", '{"features": [72, 1, -Infinity]}', says=("features[2]", "finite")),
    Case("feature-huge", '{"features": [1e400, 1, 0.85]}', says=("features[0]", "float32")),
    Case("feature-beyond-float32", '{"features": [72, 1, 1e39]}', says=("features[2]", "float32")),
    Case("feature-400-digits", '{"features": [' + "9" * 400 + ", 1, 0.85]}", says=("features[0]", "float32")),
    Case("instances-empty", j({"instances": []}), says=("instances", "empty")),
    Case("instances-not-array", j({"instances": {"a": VALID}}), says=("instances", "array")),
    Case("instances-flat", j({"instances": VALID}), says=("instances[0]", "array")),
    Case("instances-too-deep", j({"instances": [[VALID]]}), says=("instances[0]", "expected 3 features")),
    Case("instances-bad-row", j({"instances": [VALID, [72, 1]]}), says=("instances[1]", "got 2")),
    Case("instances-bad-value", j({"instances": [VALID, [72, 1, "x"]]}), says=("instances[1][2]", "string")),
    Case("both-keys", j({"features": VALID, "instances": [VALID]}), says=("both", "exactly one")),
    Case("unknown-key", j({"feature": VALID}), says=("unexpected JSON key", "feature")),
    Case("no-known-key", j({}), says=("features", "instances")),
    Case("invalid-utf8", b'{"features": [72, 1, 0.85], "x": "\xff\xfe"}', says=("not valid UTF-8",)),
    Case("csv-wrong-column-count", "72,1\n", CSV, CSV, says=("CSV line 1", "expected 3 features", "got 2")),
    Case("csv-label-column", "1,72,1,0.85\n", CSV, CSV, says=("CSV line 1", "got 4", "no label column")),
    Case("csv-text", "age,prior_dropout,missed_visit_rate\n", CSV, CSV, says=("CSV line 1", "non-numeric")),
    Case("csv-text-later-line", "72,1,0.85\n\n64,x,0.2\n", CSV, CSV, says=("CSV line 3", "non-numeric")),
    Case("csv-blank-lines-only", "\n\n \n", CSV, CSV, says=("empty request body",)),
    Case("csv-empty-cells", ",,\n", CSV, CSV, says=("CSV line 1", "non-numeric", "empty")),
    Case("csv-nan", "nan,1,0.85\n", CSV, CSV, says=("CSV line 1", "nan", "finite")),
    Case("csv-inf", "72,inf,0.85\n", CSV, CSV, says=("CSV line 1", "inf", "finite")),
    Case("csv-huge", "72,1,1e39\n", CSV, CSV, says=("CSV line 1", "float32")),
    Case("csv-json-body", j({"features": VALID}), CSV, CSV, says=("CSV line 1",)),
    Case("json-csv-body", "72,1,0.85", JSON, JSON, says=("malformed JSON",)),
    Case(
        "content-type-text",
        j({"features": VALID}),
        "text/plain",
        status=415,
        says=("content type", "text/plain"),
    ),
    Case("content-type-npy", "NUMPY", "application/x-npy", status=415, says=("content type", "x-npy")),
    Case("binary-body", b"\x93NUMPY\x01\x00", "application/x-npy", says=("not valid UTF-8",)),
    Case("content-type-missing", j({"features": VALID}), None, status=415, says=("content type",)),
    Case("content-type-garbage", j({"features": VALID}), "json", status=415, says=("content type", "json")),
    Case("accept-html", j({"features": VALID}), JSON, "text/html", status=406, says=("accept", "text/html")),
    Case("accept-xml", j({"features": VALID}), JSON, "application/xml", status=406, says=("accept",)),
    Case("accept-image", "72,1,0.85\n", CSV, "image/png", status=406, says=("accept", "image/png")),
    Case(
        "oversize-body",
        b" " * OVER_6MB,
        status=413,
        code="ValidationError",
        says=(f"{OVER_6MB} bytes", "maximum"),
    ),
    Case(
        "unknown-endpoint",
        j({"features": VALID}),
        status=400,
        code="ValidationError",
        says=("Endpoint no-such-endpoint", "not found"),
        call={"EndpointName": "no-such-endpoint"},
    ),
    Case(
        "unicode-endpoint-name",
        j({"features": VALID}),
        status=400,
        code="ValidationError",
        says=("not found",),
        call={"EndpointName": "endpoint-ü"},
    ),
    Case(
        "unknown-variant",
        j({"features": VALID}),
        status=400,
        code="ValidationError",
        says=("Variant NoSuchVariant not found",),
        call={"TargetVariant": "NoSuchVariant"},
    ),
]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp: Path = tmp_path_factory.mktemp("battery")
    plat = LocalPlatform(tmp / "emulator", progress=lambda _line: None)
    try:
        plat.train(tmp / "data")
        name = plat.create_endpoint()
        booster = xgb.Booster()
        booster.load_model(bytearray(plat.model_bytes))
        yield {"platform": plat, "endpoint": name, "booster": booster}
    finally:
        plat.stop()


def expected_score(booster: xgb.Booster) -> float:
    matrix = xgb.DMatrix(np.asarray([VALID], dtype=np.float32), feature_names=list(FEATURE_NAMES))
    return float(booster.predict(matrix)[0])


def test_the_battery_is_broad() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_a_clear_4xx(platform: dict[str, Any], case: Case) -> None:
    plat: LocalPlatform = platform["platform"]
    runtime = plat.client("sagemaker-runtime")
    call: dict[str, Any] = {"EndpointName": platform["endpoint"], "Body": case.body}
    if case.content_type is not None:
        call["ContentType"] = case.content_type
    if case.accept is not None:
        call["Accept"] = case.accept
    call.update(case.call)
    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint(**call)
    response = caught.value.response
    http_status = response["ResponseMetadata"]["HTTPStatusCode"]
    error = response["Error"]
    assert 400 <= http_status < 500, f"{case.id}: HTTP {http_status} {error}"
    assert error["Code"] == case.code, error
    message = error.get("Message", "")
    if case.code == "ModelError":
        assert http_status == 424
        assert response["OriginalStatusCode"] == case.status, response
        original = response["OriginalMessage"]
        assert f"({case.status})" in message and original in message
        assert response["LogStreamArn"].startswith("arn:aws:logs:")
    else:
        assert http_status == case.status
        original = message
    for phrase in case.says:
        assert phrase.lower() in original.lower(), f"{case.id}: {phrase!r} not in {original!r}"

    # the endpoint still answers a valid request correctly
    answer = runtime.invoke_endpoint(
        EndpointName=platform["endpoint"], Body=json.dumps({"features": VALID}), ContentType=JSON, Accept=JSON
    )
    score = json.loads(answer["Body"].read())["risk_score"]
    assert math.isclose(score, expected_score(platform["booster"]), rel_tol=1e-6)


def test_the_handler_agrees_in_process(platform: dict[str, Any]) -> None:
    """The model server's chain (input_fn, predict_fn, output_fn) in-process: the same 4xx per case."""
    booster = platform["booster"]
    for case in CASES:
        if case.code != "ModelError":
            continue
        body = case.body.encode() if isinstance(case.body, str) else case.body
        if case.content_type in (JSON, CSV):
            body = body.decode("utf-8", errors="strict") if _utf8(body) else body
        with pytest.raises(inference.InferenceError) as caught:
            inference.output_fn(
                inference.predict_fn(inference.input_fn(body, case.content_type), booster), case.accept
            )
        assert caught.value.status == case.status, (case.id, caught.value.message)


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
