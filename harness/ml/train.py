"""Training entry point that honours the SageMaker training container contract.

Run as ``python -m harness.ml.train`` (or through the ``train.py`` shim in ``sourcedir.tar.gz`` in
script mode). What it reads and writes, with the environment variable that overrides each path:

==========================  =====================================================  =====================
what                        default                                                override
==========================  =====================================================  =====================
root of everything below    ``/opt/ml``                                            ``SM_PREFIX``
hyperparameters, channels   ``<root>/input/config/hyperparameters.json``,          ``SM_INPUT_CONFIG_DIR``
                            ``inputdataconfig.json``
train channel (required)    ``<root>/input/data/train``                            ``SM_CHANNEL_TRAIN``
validation channel          ``<root>/input/data/validation``                       ``SM_CHANNEL_VALIDATION``
test channel (optional)     ``<root>/input/data/test``                             ``SM_CHANNEL_TEST``
model                       ``<root>/model`` -> ``xgboost-model``, ``metrics.json``  ``SM_MODEL_DIR``
output                      ``<root>/output``                                      ``SM_OUTPUT_DIR``
output data                 ``<output>/data`` -> ``metrics.json``                  ``SM_OUTPUT_DATA_DIR``
failure reason              ``<output>/failure``                                   ``SM_FAILURE_FILE``
==========================  =====================================================  =====================

Hyperparameters come from ``hyperparameters.json`` (SageMaker writes every value as a string), then
from ``--name value`` arguments (how script mode passes them), the latter winning. Keys starting with
``sagemaker_`` or ``_`` belong to the platform and are ignored; any other unknown key is an error, as in
the built-in algorithm. The validation channel is required when ``inputdataconfig.json`` declares it or
``SM_CHANNEL_VALIDATION`` is set, optional otherwise.

Channels hold CSV files (label first, no header, columns ``dropout, age, prior_dropout,
missed_visit_rate``); every ``*.csv`` under the channel folder is read, in sorted order.

Per-round metrics are printed the way SageMaker's XGBoost prints them, tab separated
(``[3]<TAB>train-logloss:0.41234<TAB>validation-auc:0.80123``). CloudWatch shows the tabs as ``#011``,
which is what ``METRIC_DEFINITIONS`` match.

Script mode (``sagemaker_submit_directory`` in ``hyperparameters.json``): after training, this code is
also written to ``<model>/code`` (``ship_inference_code``), so the ``model.tar.gz`` SageMaker makes of
the model folder serves with ``SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code``, in AWS and locally.

Exit status: 0 trained; 1 bad input (data, channel, hyperparameter); 2 unexpected error. On 1 and 2 the
reason (at most 1024 characters, naming file and line where possible) goes to the failure file, which
SageMaker turns into the job's ``FailureReason``.
"""

from __future__ import annotations

import enum
import json
import math
import os
import re
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from .dataset import sha256_file
from .metrics import log_loss, roc_auc
from .schema import FEATURE_NAMES, LABEL_NAME, METRICS_FILENAME, MODEL_FILENAME

MAX_FAILURE_CHARS = 1024
"""SageMaker keeps the first 1024 characters of the failure file as ``FailureReason``."""

_NUMBER = r"[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?"
METRIC_DEFINITIONS: tuple[dict[str, str], ...] = tuple(
    {"Name": f"{data}:{metric}", "Regex": rf".*\[[0-9]+\].*#011{data}-{metric}:({_NUMBER}).*"}
    for data in ("train", "validation")
    for metric in ("auc", "logloss")
)
"""``MetricDefinitions`` for ``CreateTrainingJob`` that parse this entry point's log lines."""

CSV_CONTENT_TYPES = frozenset({"text/csv", "csv"})


class ExitStatus(enum.IntEnum):
    """Process exit codes of the training entry point."""

    OK = 0
    CLIENT_ERROR = 1
    """Bad data, channel or hyperparameter: the caller can fix it."""
    ALGORITHM_ERROR = 2
    """Anything unexpected: a defect of this code or its environment."""


class TrainingError(Exception):
    """A problem with the job's inputs; its message becomes the failure reason."""


# ----------------------------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Paths:
    """Every location the entry point touches, resolved once from the environment."""

    root: Path
    config_dir: Path
    channels: dict[str, Path]
    model_dir: Path
    output_dir: Path
    output_data_dir: Path
    failure_file: Path
    explicit_channels: frozenset[str] = frozenset()

    @property
    def hyperparameters_file(self) -> Path:
        return self.config_dir / "hyperparameters.json"

    @property
    def input_data_config_file(self) -> Path:
        return self.config_dir / "inputdataconfig.json"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Paths:
        """Resolve paths from ``env`` (default ``os.environ``): SageMaker's layout unless overridden."""
        env = os.environ if env is None else env
        root = Path(env.get("SM_PREFIX") or "/opt/ml")
        output_dir = Path(env.get("SM_OUTPUT_DIR") or root / "output")
        channels = {}
        explicit = set()
        for name in ("train", "validation", "test"):
            override = env.get(f"SM_CHANNEL_{name.upper()}")
            if override:
                explicit.add(name)
            channels[name] = Path(override or root / "input" / "data" / name)
        return cls(
            root=root,
            config_dir=Path(env.get("SM_INPUT_CONFIG_DIR") or root / "input" / "config"),
            channels=channels,
            model_dir=Path(env.get("SM_MODEL_DIR") or root / "model"),
            output_dir=output_dir,
            output_data_dir=Path(env.get("SM_OUTPUT_DATA_DIR") or output_dir / "data"),
            failure_file=Path(env.get("SM_FAILURE_FILE") or output_dir / "failure"),
            explicit_channels=frozenset(explicit),
        )


# ------------------------------------------------------------------------------------- hyperparameters


def _as_int(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text.strip())
        if value < low or (high is not None and value > high):
            raise ValueError
        return value

    parse.expected = f"an integer >= {low}" + (f" and <= {high}" if high is not None else "")  # type: ignore[attr-defined]
    return parse


def _as_float(low: float, high: float | None = None, low_open: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text.strip())
        if not math.isfinite(value) or value < low or (low_open and value == low):
            raise ValueError
        if high is not None and value > high:
            raise ValueError
        return value

    left = "(" if low_open else "["
    parse.expected = (  # type: ignore[attr-defined]
        f"a number in {left}{low:g}, {high:g}]" if high is not None else f"a number >= {low:g}"
    )
    return parse


def _as_choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip()
        if value not in choices:
            raise ValueError
        return value

    parse.expected = "one of " + ", ".join(choices)  # type: ignore[attr-defined]
    return parse


_EVAL_METRICS = ("logloss", "auc", "error", "aucpr")


def _as_metrics(text: str) -> str:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names or any(name not in _EVAL_METRICS for name in names):
        raise ValueError
    return ",".join(dict.fromkeys(names))


_as_metrics.expected = "a comma-separated list of " + ", ".join(_EVAL_METRICS)  # type: ignore[attr-defined]

HYPERPARAMETERS: dict[str, tuple[Callable[[str], Any], Any]] = {
    # name: (parser, default). Names and meanings follow SageMaker's built-in XGBoost; the defaults are
    # this model's (shallow trees, min_child_weight 5: three features overfit quickly), not the
    # built-in's (max_depth 6, eta 0.3, min_child_weight 1).
    "num_round": (_as_int(1, 10_000), 100),
    "max_depth": (_as_int(1, 30), 3),
    "eta": (_as_float(0.0, 1.0, low_open=True), 0.1),
    "subsample": (_as_float(0.0, 1.0, low_open=True), 0.8),
    "colsample_bytree": (_as_float(0.0, 1.0, low_open=True), 1.0),
    "min_child_weight": (_as_float(0.0), 5.0),
    "gamma": (_as_float(0.0), 0.0),
    "lambda": (_as_float(0.0), 1.0),
    "alpha": (_as_float(0.0), 0.0),
    "scale_pos_weight": (_as_float(0.0, low_open=True), 1.0),
    "max_delta_step": (_as_float(0.0), 0.0),
    "seed": (_as_int(0, 2**31 - 1), 0),
    "objective": (_as_choice("binary:logistic"), "binary:logistic"),
    "eval_metric": (_as_metrics, "logloss,auc"),
    "tree_method": (_as_choice("hist", "approx", "exact", "auto"), "hist"),
    "early_stopping_rounds": (_as_int(1, 10_000), None),
    "nthread": (_as_int(1, 1024), None),
}


def parse_hyperparameters(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate SageMaker-style (string) hyperparameters and fill in defaults.

    Raises ``TrainingError`` naming the offending key and what it expected.
    """
    resolved = {name: default for name, (_, default) in HYPERPARAMETERS.items()}
    for key in sorted(raw):
        if key.startswith(("sagemaker_", "_")):
            continue
        if key not in HYPERPARAMETERS:
            known = ", ".join(sorted(HYPERPARAMETERS))
            raise TrainingError(f"unknown hyperparameter {key!r}; supported: {known}")
        value = raw[key]
        parser = HYPERPARAMETERS[key][0]
        text = value if isinstance(value, str) else json.dumps(value)
        if isinstance(value, str) and len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]  # script mode JSON-encodes string values
        try:
            resolved[key] = parser(text)
        except (ValueError, TypeError):
            raise TrainingError(
                f"hyperparameter {key}: expected {parser.expected}, got {str(value)[:80]!r}"  # type: ignore[attr-defined]
            ) from None
    early = resolved["early_stopping_rounds"]
    if early is not None and early > resolved["num_round"]:
        raise TrainingError("hyperparameter early_stopping_rounds must not exceed num_round")
    return resolved


def _parse_cli(argv: Sequence[str]) -> dict[str, str]:
    """``--name value`` / ``--name=value`` pairs, as script mode passes hyperparameters."""
    values: dict[str, str] = {}
    items = list(argv)
    index = 0
    while index < len(items):
        token = items[index]
        if not token.startswith("--") or len(token) == 2:
            raise TrainingError(f"unexpected argument {token!r}; expected --name value pairs")
        name = token[2:]
        if "=" in name:
            name, value = name.split("=", 1)
        elif index + 1 < len(items):
            index += 1
            value = items[index]
        else:
            raise TrainingError(f"argument --{name} needs a value")
        values[name.replace("-", "_")] = value
        index += 1
    return values


def load_hyperparameters(paths: Paths, argv: Sequence[str] = ()) -> dict[str, Any]:
    """Read ``hyperparameters.json`` (if present), apply CLI overrides, validate."""
    raw: dict[str, Any] = {}
    if paths.hyperparameters_file.is_file():
        try:
            loaded = json.loads(paths.hyperparameters_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise TrainingError(f"{paths.hyperparameters_file} is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise TrainingError(f"{paths.hyperparameters_file} must hold a JSON object")
        raw.update(loaded)
    raw.update(_parse_cli(argv))
    return parse_hyperparameters(raw)


# ------------------------------------------------------------------------------------------------ data

_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_NON_FINITE = re.compile(r"^[+-]?(nan|inf|infinity)$", re.IGNORECASE)
_COLUMNS = (LABEL_NAME, *FEATURE_NAMES)


@dataclass
class ChannelData:
    """Rows of one channel, with where they came from."""

    name: str
    x: np.ndarray
    y: np.ndarray
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.y)


def _parse_line(line: str, where: str) -> list[float]:
    tokens = line.split(",")
    if len(tokens) != len(_COLUMNS):
        raise TrainingError(
            f"{where}: expected {len(_COLUMNS)} columns ({', '.join(_COLUMNS)}), got {len(tokens)}"
        )
    values = []
    for column, raw in zip(_COLUMNS, tokens, strict=True):
        token = raw.strip()
        if token == "":
            raise TrainingError(f"{where}: empty value in column {column}")
        if _NON_FINITE.match(token):
            raise TrainingError(f"{where}: non-finite value {token!r} in column {column}")
        if not _NUMERIC.match(token):
            hint = " (the CSV must have no header row)" if where.endswith("line 1") else ""
            raise TrainingError(f"{where}: non-numeric value {token[:40]!r} in column {column}{hint}")
        value = float(token)
        if not math.isfinite(value):
            raise TrainingError(f"{where}: value {token[:40]!r} in column {column} is beyond float range")
        values.append(value)
    if values[0] not in (0.0, 1.0):
        raise TrainingError(f"{where}: label {LABEL_NAME} must be 0 or 1, got {tokens[0].strip()[:40]!r}")
    return values


def read_csv_file(path: Path, display: str) -> np.ndarray:
    """Parse one channel file strictly into a float64 ``(rows, 4)`` array, label first."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrainingError(f"{display}: not UTF-8 text (byte {exc.start})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue  # blank lines (a trailing newline, say) carry no subject
        rows.append(_parse_line(line, f"{display} line {number}"))
    if not rows:
        raise TrainingError(f"{display}: file is empty (no data rows)")
    return np.asarray(rows, dtype=np.float64)


def read_channel(name: str, directory: Path) -> ChannelData:
    """Read every ``*.csv`` below a channel folder, sorted by relative path."""
    if not directory.is_dir():
        raise TrainingError(f"channel {name!r}: folder {directory} does not exist")
    files = sorted(
        p for p in directory.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.parts)
    )
    csv_files = [p for p in files if p.suffix.lower() == ".csv"]
    if not csv_files:
        found = ", ".join(str(p.relative_to(directory)) for p in files[:5]) or "nothing"
        raise TrainingError(f"channel {name!r}: no .csv files in {directory} (found {found})")
    parts = []
    described = []
    for path in csv_files:
        relative = path.relative_to(directory).as_posix()
        table = read_csv_file(path, f"channel {name!r} file {relative}")
        parts.append(table)
        described.append({"file": relative, "rows": len(table), "sha256": sha256_file(path)})
    table = np.concatenate(parts)
    data = ChannelData(name=name, x=table[:, 1:], y=table[:, 0].astype(np.int64), files=described)
    classes = np.unique(data.y)
    if len(classes) < 2:
        raise TrainingError(
            f"channel {name!r} has a single class (every {LABEL_NAME} label is {int(classes[0])}); "
            "both 0 and 1 are needed"
        )
    return data


def _declared_channels(paths: Paths) -> dict[str, dict[str, Any]]:
    """Channels from ``inputdataconfig.json`` (empty when the file is absent)."""
    if not paths.input_data_config_file.is_file():
        return {}
    try:
        declared = json.loads(paths.input_data_config_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TrainingError(f"{paths.input_data_config_file} is not valid JSON: {exc}") from None
    if not isinstance(declared, dict):
        raise TrainingError(f"{paths.input_data_config_file} must hold a JSON object")
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in declared.items()}


def load_channels(paths: Paths) -> dict[str, ChannelData]:
    """Read train (required), validation and test (optional unless declared) channels."""
    declared = _declared_channels(paths)
    for name, config in declared.items():
        content_type = str(config.get("ContentType") or "text/csv").split(";")[0].strip().lower()
        if name in paths.channels and content_type not in CSV_CONTENT_TYPES:
            raise TrainingError(
                f"channel {name!r}: ContentType {content_type!r} is not supported; use text/csv "
                "(label first, no header)"
            )
    loaded = {}
    for name, directory in paths.channels.items():
        required = name == "train" or name in declared or name in paths.explicit_channels
        if required or directory.exists():
            loaded[name] = read_channel(name, directory)
    return loaded


# -------------------------------------------------------------------------------------------- metrics


def format_metric_line(iteration: int, results: Sequence[tuple[str, str, float]]) -> str:
    """``[i]\\tdata-metric:0.12345...`` exactly as XGBoost's evaluation monitor prints it."""
    return f"[{iteration}]" + "".join(f"\t{data}-{metric}:{value:.5f}" for data, metric, value in results)


class _SageMakerMetricPrinter(xgb.callback.TrainingCallback):
    """Print each round's evaluation results to stdout, flushed, one line per round."""

    def __init__(self, out: Callable[[str], None]):
        super().__init__()
        self._out = out

    def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, dict[str, list[Any]]]) -> bool:
        results = [
            (data, metric, float(history[-1]))
            for data, metrics in evals_log.items()
            for metric, history in metrics.items()
        ]
        if results:
            self._out(format_metric_line(epoch, results))
        return False


# --------------------------------------------------------------------------------------------- training


@dataclass
class TrainingResult:
    """What a successful run produced."""

    booster: xgb.Booster
    metrics: dict[str, Any]
    model_path: Path


def _dmatrix(data: ChannelData) -> xgb.DMatrix:
    return xgb.DMatrix(data.x, label=data.y, feature_names=list(FEATURE_NAMES))


def _booster_params(hp: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "objective": hp["objective"],
        "max_depth": hp["max_depth"],
        "eta": hp["eta"],
        "subsample": hp["subsample"],
        "colsample_bytree": hp["colsample_bytree"],
        "min_child_weight": hp["min_child_weight"],
        "gamma": hp["gamma"],
        "lambda": hp["lambda"],
        "alpha": hp["alpha"],
        "scale_pos_weight": hp["scale_pos_weight"],
        "max_delta_step": hp["max_delta_step"],
        "seed": hp["seed"],
        "tree_method": hp["tree_method"],
        "eval_metric": hp["eval_metric"].split(","),
    }
    if hp["nthread"] is not None:
        params["nthread"] = hp["nthread"]
    return params


def _evaluate(booster: xgb.Booster, data: ChannelData) -> dict[str, Any]:
    scores = booster.predict(_dmatrix(data))
    return {
        "auc": round(roc_auc(data.y, scores), 6),
        "logloss": round(log_loss(data.y, scores), 6),
        "rows": data.rows,
        "positives": int(data.y.sum()),
    }


def train(
    paths: Paths,
    hyperparameters: Mapping[str, Any],
    out: Callable[[str], None] = print,
) -> TrainingResult:
    """Read channels, train, write ``xgboost-model`` and ``metrics.json``. Raises ``TrainingError``."""
    started = time.time()
    channels = load_channels(paths)
    train_data = channels["train"]
    evals = [(_dmatrix(train_data), "train")]
    if "validation" in channels:
        evals.append((_dmatrix(channels["validation"]), "validation"))
    out(
        "Training dropout-risk XGBoost: "
        + ", ".join(f"{name}={data.rows} rows" for name, data in channels.items())
        + f"; hyperparameters {json.dumps(dict(hyperparameters), sort_keys=True)}"
    )
    early = hyperparameters["early_stopping_rounds"]
    if early is not None and "validation" not in channels:
        raise TrainingError("hyperparameter early_stopping_rounds needs a validation channel")
    evals_result: dict[str, Any] = {}
    booster = xgb.train(
        _booster_params(hyperparameters),
        evals[0][0],
        num_boost_round=hyperparameters["num_round"],
        evals=evals,
        evals_result=evals_result,
        early_stopping_rounds=early,
        verbose_eval=False,
        callbacks=[_SageMakerMetricPrinter(out)],
    )
    rounds_run = booster.num_boosted_rounds()
    if early is not None and 0 <= booster.best_iteration < rounds_run - 1:
        booster = booster[: booster.best_iteration + 1]
        out(f"Early stopping: keeping {booster.num_boosted_rounds()} of {rounds_run} rounds")

    paths.model_dir.mkdir(parents=True, exist_ok=True)
    model_path = paths.model_dir / MODEL_FILENAME
    with warnings.catch_warnings():
        # XGBoost warns that an extension-less name means UBJSON; that name is the container contract.
        warnings.filterwarnings("ignore", message=".*UBJSON.*")
        booster.save_model(str(model_path))

    metrics: dict[str, Any] = {
        "model": MODEL_FILENAME,
        "model_sha256": sha256_file(model_path),
        "objective": hyperparameters["objective"],
        "label": LABEL_NAME,
        "feature_names": list(FEATURE_NAMES),
        "hyperparameters": dict(hyperparameters),
        "rounds": booster.num_boosted_rounds(),
        "xgboost_version": xgb.__version__,
        "numpy_version": np.__version__,
    }
    for name, data in channels.items():
        metrics[name] = _evaluate(booster, data)
    metrics["datasets"] = {name: data.files for name, data in channels.items()}
    # The model's copy holds only what the same data, seed and code determine, so that the same
    # training gives the same model.tar.gz byte for byte; the run's wall time goes to the output data.
    (paths.model_dir / METRICS_FILENAME).write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    metrics["seconds"] = round(time.time() - started, 3)
    paths.output_data_dir.mkdir(parents=True, exist_ok=True)
    (paths.output_data_dir / METRICS_FILENAME).write_text(
        json.dumps(metrics, indent=2, sort_keys=True) + "\n"
    )
    summary = ", ".join(f"{name}-auc={metrics[name]['auc']:.5f}" for name in channels)
    out(f"Saved {model_path} ({metrics['rounds']} rounds): {summary}")
    return TrainingResult(booster=booster, metrics=metrics, model_path=model_path)


def write_failure(path: Path, reason: str) -> str:
    """Write the failure reason SageMaker reports, trimmed to 1024 characters; return what was written."""
    text = reason if len(reason) <= MAX_FAILURE_CHARS else reason[: MAX_FAILURE_CHARS - 3] + "..."
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


def _script_mode(paths: Paths) -> bool:
    """True when SageMaker runs this as a script-mode program (``sagemaker_submit_directory`` is set)."""
    try:
        raw = json.loads(paths.hyperparameters_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(raw, dict) and bool(raw.get("sagemaker_submit_directory"))


def ship_inference_code(model_dir: Path) -> Path:
    """Write this code (``artifacts.source_files()``) to ``<model_dir>/code``.

    SageMaker tars the model folder as it is, so in script mode the artifact then serves with
    ``SAGEMAKER_PROGRAM=inference.py`` and ``SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code``, the
    same in AWS and locally, without a repack step.
    """
    from .artifacts import source_files

    code_dir = model_dir / "code"
    for name, data in source_files().items():
        path = code_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return code_dir


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Entry point: returns an ``ExitStatus`` value; never raises for bad input."""
    argv = sys.argv[1:] if argv is None else argv
    paths = Paths.from_env(env)

    def out(line: str) -> None:
        print(line, flush=True)

    try:
        hyperparameters = load_hyperparameters(paths, argv)
        train(paths, hyperparameters, out=out)
        if _script_mode(paths):
            out(f"Script mode: inference code copied to {ship_inference_code(paths.model_dir)}")
    except TrainingError as exc:
        reason = write_failure(paths.failure_file, f"ClientError: {exc}")
        print(reason, file=sys.stderr, flush=True)
        return ExitStatus.CLIENT_ERROR
    except Exception as exc:
        detail = traceback.format_exc(limit=-3)
        reason = write_failure(paths.failure_file, f"AlgorithmError: {type(exc).__name__}: {exc}\n{detail}")
        print(reason, file=sys.stderr, flush=True)
        return ExitStatus.ALGORITHM_ERROR
    return ExitStatus.OK


if __name__ == "__main__":
    sys.exit(int(main()))
