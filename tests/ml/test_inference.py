"""The script-mode inference handlers: every valid payload, every rejected one, with status and message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.ml import inference
from harness.ml.inference import InferenceError

JSON = "application/json"
CSV = "text/csv"
EXAMPLE = {"features": [72, 1, 0.85]}


def invoke(model, body, content_type=JSON, accept=None):
    status, payload, answer_type = inference.handle(body, content_type, accept, model)
    return status, payload.decode(), answer_type


def score(model, rows) -> list[float]:
    return [float(s) for s in inference.predict_fn(np.asarray(rows, dtype=np.float32), model).scores]


# ---------------------------------------------------------------------------------------------- valid


def test_single_subject_json(model):
    status, body, answer_type = invoke(model, json.dumps(EXAMPLE))
    assert (status, answer_type) == (200, JSON)
    answer = json.loads(body)
    assert set(answer) == {"risk_score"}
    assert answer["risk_score"] == pytest.approx(score(model, [[72, 1, 0.85]])[0])
    assert 0.7 < answer["risk_score"] <= 1.0  # high risk, as in the ground truth (0.855)


def test_batch_json(model):
    rows = [[72, 1, 0.85], [30, 0, 0.05], [55, 0, 0.3]]
    status, body, answer_type = invoke(model, json.dumps({"instances": rows}))
    assert (status, answer_type) == (200, JSON)
    scores = json.loads(body)["risk_scores"]
    assert scores == pytest.approx(score(model, rows))
    assert scores[0] > scores[2] > scores[1]


@pytest.mark.parametrize(
    ("body", "accept", "expected_type", "rows"),
    [
        ("72,1,0.85", None, CSV, 1),
        ("72,1,0.85\n30,0,0.05\n", CSV, CSV, 2),
        ("72,1,0.85\r\n30,0,0.05\r\n\r\n", "*/*", CSV, 2),
        (" 72 , 1 , 0.85 \n", "text/csv; charset=utf-8", CSV, 1),
        ("72,1,0.85\n30,0,0.05", JSON, JSON, 2),
        ("72,1,.85e0\n-1,+0,1E-2", "application/json, text/csv", JSON, 2),
    ],
)
def test_csv(model, body, accept, expected_type, rows):
    status, answer, answer_type = invoke(model, body, CSV, accept)
    assert (status, answer_type) == (200, expected_type)
    if expected_type == CSV:
        lines = answer.splitlines()
        assert len(lines) == rows and answer.endswith("\n")
        values = [float(line) for line in lines]
    else:
        values = json.loads(answer)["risk_scores"]
    assert len(values) == rows and all(0.0 <= v <= 1.0 for v in values)
    assert values[0] == pytest.approx(score(model, [[72, 1, 0.85]])[0])


@pytest.mark.parametrize(
    ("content_type", "accept", "expected_type"),
    [
        ("application/json; charset=utf-8", None, JSON),
        ("Application/JSON", "", JSON),
        (JSON, "*/*", JSON),
        (JSON, "text/csv", CSV),
        (JSON, "application/json;q=0.9", JSON),
        (JSON, "application/xml, text/csv", CSV),
    ],
)
def test_content_negotiation(model, content_type, accept, expected_type):
    status, body, answer_type = invoke(model, json.dumps(EXAMPLE), content_type, accept)
    assert (status, answer_type) == (200, expected_type)
    if expected_type == CSV:
        assert float(body) == pytest.approx(score(model, [[72, 1, 0.85]])[0])


def test_bytes_and_str_bodies_agree(model):
    text = json.dumps({"instances": [[72, 1, 0.85], [40, 0, 0.2]]})
    assert invoke(model, text) == invoke(model, text.encode()) == invoke(model, bytearray(text.encode()))


def test_four_steps_directly(model):
    request = inference.input_fn(b'{"features": [72, 1, 0.85]}', JSON)
    assert request.single and request.features.shape == (1, 3) and request.features.dtype == np.float32
    prediction = inference.predict_fn(request, model)
    body, content_type = inference.output_fn(prediction, JSON)
    assert content_type == JSON and set(json.loads(body)) == {"risk_score"}
    body, content_type = inference.output_fn(prediction.scores, CSV)
    assert content_type == CSV and len(body.splitlines()) == 1


def test_integers_and_json_whitespace(model):
    status, body, _ = invoke(model, '\n  {"features" : [72.0, 1, 8.5e-1]}  \n')
    assert status == 200 and "risk_score" in json.loads(body)


# -------------------------------------------------------------------------------------------- invalid

INVALID = {
    # case: (body, content type, accept, status, fragments of the message)
    "too_few_features": ('{"features": [72, 1]}', JSON, None, 400, ["expected 3 features", "got 2"]),
    "too_many_features": (
        '{"features": [72, 1, 0.85, 4]}',
        JSON,
        None,
        400,
        ["expected 3 features", "got 4"],
    ),
    "no_features": ('{"features": []}', JSON, None, 400, ["got 0"]),
    "features_not_array": ('{"features": 72}', JSON, None, 400, ["features must be an array of 3 numbers"]),
    "string_value": ('{"features": ["72", 1, 0.85]}', JSON, None, 400, ["features[0] (age)", "string"]),
    "bool_value": ('{"features": [72, true, 0.85]}', JSON, None, 400, ["prior_dropout", "boolean"]),
    "null_value": ('{"features": [72, 1, null]}', JSON, None, 400, ["missed_visit_rate", "null"]),
    "object_value": ('{"features": [{"a": 1}, 1, 0.85]}', JSON, None, 400, ["age", "object"]),
    "nan": (
        '{"features": [72, NaN, 0.85]}',
        JSON,
        None,
        400,
        ["prior_dropout", "NaN", "not a finite number"],
    ),
    "infinity": ('{"features": [Infinity, 1, 0.85]}', JSON, None, 400, ["age", "Infinity", "finite"]),
    "minus_infinity": ('{"features": [72, 1, -Infinity]}', JSON, None, 400, ["-Infinity", "finite"]),
    "beyond_float64": ('{"features": [1e400, 1, 0.85]}', JSON, None, 400, ["1e400", "float range"]),
    "beyond_float32": ('{"features": [72, 1, 1e39]}', JSON, None, 400, ["1e39", "float range"]),
    "huge_integer": ('{"features": [' + "9" * 500 + ", 1, 0.85]}", JSON, None, 400, ["float range"]),
    "nested_features": ('{"features": [[72, 1, 0.85]]}', JSON, None, 400, ["flat array", "instances"]),
    "nested_value": ('{"features": [72, [1], 0.85]}', JSON, None, 400, ["prior_dropout", "nested array"]),
    "nested_instance": (
        '{"instances": [[72, 1, 0.85], [[30, 0, 0.1]]]}',
        JSON,
        None,
        400,
        ["instances[1]", "expected 3 features", "got 1"],
    ),
    "deep_instance": ('{"instances": [[72, [1, 2], 0.85]]}', JSON, None, 400, ["instances[0][1]", "nested"]),
    "flat_instances": ('{"instances": [72, 1, 0.85]}', JSON, None, 400, ["instances[0] must be an array"]),
    "instances_not_array": ('{"instances": {"a": 1}}', JSON, None, 400, ["instances", "array of arrays"]),
    "empty_instances": ('{"instances": []}', JSON, None, 400, ["instances", "empty"]),
    "bad_instance_value": (
        '{"instances": [[72, 1, 0.85], [30, "x", 0.1]]}',
        JSON,
        None,
        400,
        ["instances[1][1]"],
    ),
    "both_keys": ('{"features": [72, 1, 0.85], "instances": [[72, 1, 0.85]]}', JSON, None, 400, ["both"]),
    "neither_key": ('{"data": [72, 1, 0.85]}', JSON, None, 400, ["unexpected JSON key 'data'"]),
    "empty_object": ("{}", JSON, None, 400, ['needs "features"', '"instances"']),
    "extra_key": ('{"features": [72, 1, 0.85], "id": 7}', JSON, None, 400, ["unexpected JSON key 'id'"]),
    "array_body": ("[72, 1, 0.85]", JSON, None, 400, ["must be an object"]),
    "string_body": ('"72,1,0.85"', JSON, None, 400, ["must be an object"]),
    "malformed_json": ('{"features": [72, 1, 0.85]', JSON, None, 400, ["malformed JSON"]),
    "deeply_nested_json": ("[" * 100000 + "]" * 100000, JSON, None, 400, ["malformed JSON"]),
    "empty_json": ("", JSON, None, 400, ["empty request body"]),
    "whitespace_json": ("  \n ", JSON, None, 400, ["empty request body"]),
    "not_utf8": (b"\xff\xfe{}", JSON, None, 400, ["not valid UTF-8"]),
    "csv_empty": ("", CSV, None, 400, ["empty request body"]),
    "csv_blank_lines": ("\n\n", CSV, None, 400, ["empty request body"]),
    "csv_two_features": ("72,1\n", CSV, None, 400, ["CSV line 1", "expected 3 features", "got 2"]),
    "csv_with_label": ("1,72,1,0.85\n", CSV, None, 400, ["got 4", "no label column"]),
    "csv_header": (
        "age,prior_dropout,missed_visit_rate\n72,1,0.85\n",
        CSV,
        None,
        400,
        ["line 1", "non-numeric"],
    ),
    "csv_bad_second_line": (
        "72,1,0.85\n30,zero,0.1\n",
        CSV,
        None,
        400,
        ["CSV line 2 column 2 (prior_dropout)"],
    ),
    "csv_empty_value": ("72,,0.85\n", CSV, None, 400, ["column 2", "non-numeric (empty)"]),
    "csv_nan": ("72,1,NaN\n", CSV, None, 400, ["missed_visit_rate", "NaN", "finite"]),
    "csv_inf": ("inf,1,0.85\n", CSV, None, 400, ["age", "inf", "finite"]),
    "csv_huge": ("1e39,1,0.85\n", CSV, None, 400, ["age", "float range"]),
    "csv_true": ("72,true,0.85\n", CSV, None, 400, ["prior_dropout", "non-numeric"]),
    "unsupported_content_type": ("72,1,0.85", "application/x-npy", None, 415, ["application/x-npy"]),
    "missing_content_type": ("72,1,0.85", None, None, 415, ["unsupported content type"]),
    "libsvm": ("1:72 2:1 3:0.85", "text/libsvm", None, 415, ["text/libsvm", "application/json or text/csv"]),
    "unsupported_accept": (json.dumps(EXAMPLE), JSON, "application/xml", 406, ["application/xml"]),
    "unsupported_accept_csv_request": ("72,1,0.85", CSV, "text/html", 406, ["text/html"]),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_requests(model, case):
    body, content_type, accept, status, fragments = INVALID[case]
    got_status, answer, answer_type = invoke(model, body, content_type, accept)
    assert (got_status, answer_type) == (status, JSON), answer
    error = json.loads(answer)
    assert error["status"] == status and error["error"] and isinstance(error["message"], str)
    for fragment in fragments:
        assert fragment in error["message"], (fragment, error["message"])


def test_feature_count_message_names_the_features():
    with pytest.raises(InferenceError) as caught:
        inference.input_fn('{"features": [72, 1]}', JSON)
    assert caught.value.status == 400
    assert "expected 3 features [age, prior_dropout, missed_visit_rate], got 2" in caught.value.message


def test_inference_error_shape():
    error = InferenceError(415, "unsupported content type 'x'")
    assert error.status == error.status_code == 415 and error.phrase == "Unsupported Media Type"
    assert json.loads(error.to_json()) == {
        "error": "Unsupported Media Type",
        "status": 415,
        "message": "unsupported content type 'x'",
    }
    assert "unsupported content type" in str(error)


def test_output_fn_rejects_unsupported_accept(model):
    prediction = inference.predict_fn([[72, 1, 0.85]], model)
    with pytest.raises(InferenceError) as caught:
        inference.output_fn(prediction, "application/x-protobuf")
    assert caught.value.status == 406


# ------------------------------------------------------------------------------------------ 6 MB limit


def test_payload_limit_is_six_megabytes(model):
    limit = inference.MAX_PAYLOAD_BYTES
    assert limit == 6 * 1024 * 1024
    example = json.dumps(EXAMPLE)
    at_limit = example + " " * (limit - len(example))
    assert invoke(model, at_limit.encode())[0] == 200
    over = at_limit + " "
    for body in (over, over.encode()):
        status, answer, _ = invoke(model, body)
        assert status == 413
        assert f"{limit + 1} bytes" in json.loads(answer)["message"]
    # the limit applies before the content type is even looked at
    assert invoke(model, over, "application/x-npy")[0] == 413
    with pytest.raises(InferenceError) as caught:
        inference.input_fn(over, JSON)
    assert caught.value.status == 413


def test_str_body_size_counts_utf8_bytes(model):
    limit = inference.MAX_PAYLOAD_BYTES
    body = json.dumps(EXAMPLE) + " " * (limit // 2) + "é" * (limit // 4 + 1)  # under limit in chars
    assert len(body) < limit and len(body.encode()) > limit
    assert invoke(model, body)[0] == 413


# ----------------------------------------------------------------------------------------------- model


def test_model_fn_requires_the_model_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="xgboost-model"):
        inference.model_fn(tmp_path)


def test_model_fn_loads_the_trained_model(trained):
    booster = inference.model_fn(trained["paths"].model_dir)
    assert booster.num_features() == 3
    assert booster.feature_names == ["age", "prior_dropout", "missed_visit_rate"]


def test_error_becomes_a_toolkit_error_inside_the_container(tmp_path):
    """With SageMaker's inference toolkit importable, the toolkit answers with our status, not 500."""
    fake = tmp_path / "site" / "sagemaker_inference"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "errors.py").write_text(
        "class BaseInferenceToolkitError(Exception):\n"
        "    def __init__(self, status_code, message, phrase):\n"
        "        self.status_code, self.message, self.phrase = status_code, message, phrase\n"
        "        super().__init__(status_code, message, phrase)\n"
    )
    script = (
        "from sagemaker_inference.errors import BaseInferenceToolkitError as Base\n"
        "from harness.ml import inference\n"
        "try:\n"
        "    inference.input_fn('{}', 'application/x-npy')\n"
        "except Base as e:\n"
        "    print(e.status_code, e.phrase, '|', e.message)\n"
    )
    repo = Path(inference.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(repo)])}
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("415 Unsupported Media Type | unsupported content type")
