"""Script-mode inference handlers for SageMaker's XGBoost framework container.

The container imports the module named by ``SAGEMAKER_PROGRAM`` (``inference.py``, a shim in
``sourcedir.tar.gz`` that re-exports this module) and calls, per request::

    model = model_fn("/opt/ml/model")                 # once, at start-up
    data = input_fn(body, content_type)               # body is str for JSON/CSV, bytes otherwise
    prediction = predict_fn(data, model)
    body, content_type = output_fn(prediction, accept)

Request contract (features in the order ``[age, prior_dropout, missed_visit_rate]``):

=====================================  ==========================================================
request                                answer
=====================================  ==========================================================
``application/json``                   ``{"risk_score": <p>}``
``{"features": [72, 1, 0.85]}``
``application/json``                   ``{"risk_scores": [<p1>, <p2>]}``
``{"instances": [[72, 1, 0.85], ...]}``
``text/csv``, one subject per line,    one score per line (``text/csv``), or
no label, no header                    ``{"risk_scores": [...]}`` when Accept is application/json
=====================================  ==========================================================

Accept defaults to the request's own type when absent or ``*/*`` (inside AWS the toolkit substitutes
``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT``, application/json, before ``output_fn`` sees it).

Every rejected request raises ``InferenceError(status, message)``: 400 for a malformed body (wrong
feature count, non-numeric, boolean, null or non-finite values, numbers outside float32 range, empty
body, bad JSON, wrong keys, nested or empty arrays), 413 above 6 MiB, 415 for an unsupported
Content-Type, 406 for an unsupported Accept. Inside the SageMaker container the error derives from
the inference toolkit's ``BaseInferenceToolkitError`` (when that package is importable) so the
container answers with our status instead of a generic 500; everywhere else it is a plain
``Exception``. ``handle`` runs the four steps and turns the error into a JSON body, for model servers
of our own.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from .schema import FEATURE_NAMES, MODEL_FILENAME, N_FEATURES, describe_features

try:  # present only inside SageMaker's serving containers; never required
    from sagemaker_inference.errors import BaseInferenceToolkitError as _ErrorBase  # type: ignore
except ImportError:  # pragma: no cover - the usual case outside AWS
    _ErrorBase = Exception

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
"""SageMaker real-time endpoints accept request bodies up to 6 MB (6 MiB, as the container sets it)."""

JSON = "application/json"
CSV = "text/csv"
SUPPORTED_CONTENT_TYPES = (JSON, CSV)
SUPPORTED_ACCEPT_TYPES = (JSON, CSV)
FLOAT32_MAX = float(np.finfo(np.float32).max)

_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_NON_FINITE = re.compile(r"^[+-]?(nan|inf|infinity)$", re.IGNORECASE)


class InferenceError(_ErrorBase):  # type: ignore[misc, valid-type]
    """A request the model cannot answer: an HTTP status (4xx) and a message naming the problem."""

    def __init__(self, status: int, message: str):
        self.status = int(status)
        self.message = message
        # the names the SageMaker inference toolkit reads when it builds the HTTP answer
        self.status_code = self.status
        self.phrase = HTTPStatus(self.status).phrase
        super().__init__(self.status, message, self.phrase)

    def __str__(self) -> str:
        return f"{self.status} {self.phrase}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.phrase, "status": self.status, "message": self.message}

    def to_json(self) -> str:
        """``{"error": "Bad Request", "status": 400, "message": "..."}``"""
        return json.dumps(self.to_dict())


def _bad_request(message: str) -> InferenceError:
    return InferenceError(HTTPStatus.BAD_REQUEST, message)


# ------------------------------------------------------------------------------------------- model_fn


def model_fn(model_dir: str | Path) -> xgb.Booster:
    """Load ``<model_dir>/xgboost-model`` (written by ``Booster.save_model``)."""
    path = Path(model_dir) / MODEL_FILENAME
    if not path.is_file():
        raise FileNotFoundError(
            f"model file {path} not found; the model archive must contain {MODEL_FILENAME}"
        )
    booster = xgb.Booster()
    booster.load_model(bytearray(path.read_bytes()))  # from bytes: no guessing from the file extension
    if booster.num_features() != N_FEATURES:
        raise ValueError(f"model {path} expects {booster.num_features()} features, not {N_FEATURES}")
    return booster


# ------------------------------------------------------------------------------------------- input_fn


@dataclass(frozen=True)
class Request:
    """A parsed, validated request: ``features`` is float32 ``(n, 3)``."""

    features: np.ndarray
    single: bool
    content_type: str


def media_type(header: str | None) -> str:
    """``"Application/JSON; charset=utf-8"`` -> ``"application/json"``; ``None`` -> ``""``."""
    return (header or "").split(";", 1)[0].strip().lower()


def body_size(body: bytes | bytearray | memoryview | str | None) -> int:
    """Size of a request body in bytes (a str body counts as its UTF-8 encoding)."""
    if body is None:
        return 0
    if isinstance(body, str):
        return len(body.encode("utf-8", errors="surrogatepass"))
    if isinstance(body, bytes | bytearray | memoryview):
        return len(body)
    raise TypeError(f"body must be bytes or str, not {type(body).__name__}")


def check_size(body: bytes | bytearray | memoryview | str | None) -> None:
    """Raise 413 when the body exceeds the 6 MB real-time payload limit."""
    size = body_size(body)
    if size > MAX_PAYLOAD_BYTES:
        raise InferenceError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"request body is {size} bytes; the limit is {MAX_PAYLOAD_BYTES} bytes (6 MB)",
        )


def _body_text(body: bytes | bytearray | memoryview | str | None) -> str:
    check_size(body)
    if body is None:
        raise _bad_request("empty request body")
    if isinstance(body, str):
        text = body
    else:
        try:
            text = bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _bad_request(f"request body is not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise _bad_request("empty request body")
    return text


def check_content_type(content_type: str | None) -> str:
    """Return the normalised media type or raise 415."""
    kind = media_type(content_type)
    if kind not in SUPPORTED_CONTENT_TYPES:
        shown = content_type if content_type else "(none)"
        raise InferenceError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            f"unsupported content type {shown!r}; use {' or '.join(SUPPORTED_CONTENT_TYPES)}",
        )
    return kind


class _Unusable:
    """A JSON number the model cannot take (NaN, Infinity, beyond float32); keeps its text."""

    def __init__(self, text: str, problem: str):
        self.text = text
        self.problem = problem


def _json_constant(text: str) -> _Unusable:
    return _Unusable(text, "not a finite number")  # NaN, Infinity, -Infinity: Python accepts, JSON does not


def _json_number(text: str) -> float | _Unusable:
    number = float(text)  # ints too: no int() on a 400-digit literal
    if not math.isfinite(number) or abs(number) > FLOAT32_MAX:
        return _Unusable(text[:40], "beyond the float range the model uses (float32)")
    return number


def _number(value: Any, where: str) -> float:
    """A decoded JSON scalar as a usable float, or a 400 naming ``where`` and the problem."""
    if isinstance(value, bool):
        raise _bad_request(f"{where} is a boolean ({json.dumps(value)}); expected a number")
    if value is None:
        raise _bad_request(f"{where} is null; expected a number")
    if isinstance(value, list):
        raise _bad_request(f"{where} is a nested array; expected a number")
    if isinstance(value, dict):
        raise _bad_request(f"{where} is an object; expected a number")
    if isinstance(value, str):
        raise _bad_request(f"{where} is a string ({json.dumps(value[:40])}); expected a number")
    if isinstance(value, _Unusable):
        raise _bad_request(f"{where} is {value.text}: {value.problem}")
    return float(value)


def _csv_number(token: str, where: str) -> float:
    if _NON_FINITE.match(token):
        raise _bad_request(f"{where} is {token}: not a finite number")
    if not _NUMERIC.match(token):
        shown = repr(token[:40]) if token else "empty"
        raise _bad_request(f"{where} is non-numeric ({shown})")
    number = _json_number(token)
    if isinstance(number, _Unusable):
        raise _bad_request(f"{where} is {number.text}: {number.problem}")
    return number


def _loads(text: str) -> Any:
    try:
        return json.loads(
            text, parse_constant=_json_constant, parse_float=_json_number, parse_int=_json_number
        )
    except (ValueError, RecursionError) as exc:
        raise _bad_request(f"malformed JSON: {exc}") from None


def _row(values: Any, where: str) -> list[float]:
    if not isinstance(values, list):
        raise _bad_request(f"{where} must be an array of {N_FEATURES} numbers {describe_features()}")
    if len(values) != N_FEATURES:
        raise _bad_request(
            f"{where}: expected {N_FEATURES} features {describe_features()}, got {len(values)}"
        )
    return [
        _number(value, f"{where}[{index}] ({name})")
        for index, (name, value) in enumerate(zip(FEATURE_NAMES, values, strict=True))
    ]


def _parse_json(text: str) -> Request:
    document = _loads(text)
    if not isinstance(document, dict):
        raise _bad_request('JSON body must be an object: {"features": [...]} or {"instances": [[...], ...]}')
    keys = set(document)
    known = {"features", "instances"}
    if keys & known == known:
        raise _bad_request('JSON body has both "features" and "instances"; send exactly one')
    unexpected = sorted(keys - known)
    if unexpected:
        raise _bad_request(f'unexpected JSON key {unexpected[0]!r}; use "features" or "instances"')
    if "features" in document:
        features = document["features"]
        if isinstance(features, list) and features and all(isinstance(v, list) for v in features):
            raise _bad_request('"features" must be a flat array of numbers; use "instances" for a batch')
        rows = [_row(features, "features")]
        single = True
    elif "instances" in document:
        instances = document["instances"]
        if not isinstance(instances, list):
            raise _bad_request('"instances" must be an array of arrays of numbers')
        if not instances:
            raise _bad_request('"instances" is empty; send at least one instance')
        rows = [_row(instance, f"instances[{i}]") for i, instance in enumerate(instances)]
        single = False
    else:
        raise _bad_request('JSON body needs "features" (one subject) or "instances" (a batch)')
    return Request(features=np.asarray(rows, dtype=np.float32), single=single, content_type=JSON)


def _parse_csv(text: str) -> Request:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        tokens = [token.strip() for token in line.split(",")]
        where = f"CSV line {number}"
        if len(tokens) != N_FEATURES:
            raise _bad_request(
                f"{where}: expected {N_FEATURES} features {describe_features()}, got {len(tokens)} "
                "(no label column, no header)"
            )
        rows.append(
            [
                _csv_number(token, f"{where} column {index + 1} ({name})")
                for index, (name, token) in enumerate(zip(FEATURE_NAMES, tokens, strict=True))
            ]
        )
    if not rows:
        raise _bad_request("empty request body")
    return Request(features=np.asarray(rows, dtype=np.float32), single=False, content_type=CSV)


def input_fn(body: bytes | str, content_type: str | None) -> Request:
    """Validate and parse a request body; raises ``InferenceError`` (400/413/415)."""
    text = _body_text(body)
    kind = check_content_type(content_type)
    return _parse_json(text) if kind == JSON else _parse_csv(text)


# ----------------------------------------------------------------------------------------- predict_fn


@dataclass(frozen=True)
class Prediction:
    """Risk scores in [0, 1], one per subject, plus how the request was shaped."""

    scores: np.ndarray
    single: bool
    content_type: str


def predict_fn(data: Request | np.ndarray | list[list[float]], model: xgb.Booster) -> Prediction:
    """Score subjects with the booster; accepts a ``Request`` or an ``(n, 3)`` array."""
    if isinstance(data, Request):
        request = data
    else:
        features = np.atleast_2d(np.asarray(data, dtype=np.float32))
        if features.ndim != 2 or features.shape[1] != N_FEATURES:
            raise _bad_request(
                f"expected {N_FEATURES} features {describe_features()}, got shape {features.shape}"
            )
        request = Request(features=features, single=False, content_type=JSON)
    matrix = xgb.DMatrix(request.features, feature_names=list(FEATURE_NAMES))
    scores = model.predict(matrix, validate_features=False)
    return Prediction(
        scores=np.asarray(scores, dtype=np.float64), single=request.single, content_type=request.content_type
    )


# ------------------------------------------------------------------------------------------ output_fn


def negotiate_accept(accept: str | None, default: str = JSON) -> str:
    """Pick the response type from an Accept header; ``default`` for none or ``*/*``; raises 406."""
    if accept is None or not accept.strip():
        return default
    for part in accept.split(","):
        kind = media_type(part)
        if kind in ("*/*", ""):
            return default
        if kind in SUPPORTED_ACCEPT_TYPES:
            return kind
        if kind == "application/*":
            return JSON
        if kind == "text/*":
            return CSV
    raise InferenceError(
        HTTPStatus.NOT_ACCEPTABLE,
        f"unsupported accept type {accept!r}; use {' or '.join(SUPPORTED_ACCEPT_TYPES)}",
    )


def output_fn(prediction: Prediction | np.ndarray, accept: str | None) -> tuple[str, str]:
    """Serialise scores; returns ``(body, content_type)`` as the SageMaker toolkit accepts."""
    if not isinstance(prediction, Prediction):
        prediction = Prediction(
            scores=np.ravel(np.asarray(prediction, dtype=np.float64)), single=False, content_type=JSON
        )
    kind = negotiate_accept(accept, default=prediction.content_type)
    scores = [float(score) for score in prediction.scores]
    if kind == CSV:
        return "".join(f"{score!r}\n" for score in scores), CSV
    if prediction.single:
        return json.dumps({"risk_score": scores[0]}), JSON
    return json.dumps({"risk_scores": scores}), JSON


# --------------------------------------------------------------------------------------------- handle


def handle(
    body: bytes | str, content_type: str | None, accept: str | None, model: xgb.Booster
) -> tuple[int, bytes, str]:
    """All four steps for one request: ``(status, body bytes, content type)``; errors as JSON 4xx."""
    try:
        check_size(body)  # 413 before anything else, as the SageMaker front end does
        kind = check_content_type(content_type)
        negotiate_accept(accept, default=kind)
        answer, answer_type = output_fn(predict_fn(input_fn(body, content_type), model), accept)
    except InferenceError as error:
        return error.status, error.to_json().encode("utf-8"), JSON
    return int(HTTPStatus.OK), answer.encode("utf-8"), answer_type
