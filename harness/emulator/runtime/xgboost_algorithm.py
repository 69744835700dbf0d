"""The SageMaker XGBoost image in algorithm mode (no ``sagemaker_program``): training and ``serve``.

AWS's contract, as aws/sagemaker-xgboost-container defines it (``algorithm_mode/{train,
hyperparameter_validation,channel_validation,metrics,serve,serve_utils}.py``, ``data_utils.py``,
``sagemaker_algorithm_toolkit``) for the image versions 1.0-1 to 1.7-1:

- Training reads ``/opt/ml/input/config/hyperparameters.json`` (strings) and validates it: a missing
  ``num_round`` fails with ``Missing required hyperparameter: num_round``, an unknown name with
  ``Extraneous hyperparameter found: <name>``, a value outside its range with
  ``Hyperparameter <name>: <value> is not in <range>``; the channels ``train`` (required) and
  ``validation`` with content types ``csv``/``text/csv`` (label in the first column, no header,
  delimiter sniffed) or ``libsvm``/``text/libsvm``/``text/x-libsvm`` (the default when a channel has
  none). The evaluation log lines ``[<i>]#011train-<metric>:<v>#011validation-<metric>:<v>`` are what
  the algorithm's metric definitions (``validation:<metric>``, regex
  ``.*\\[[0-9]+\\].*#011validation-<metric>:(\\S+)``) match; early stopping watches the last
  ``eval_metric`` on the validation channel. The model is saved as ``xgboost-model``. A failure is
  written to ``/opt/ml/output/failure`` as ``framework error:`` with the traceback and message (the
  sagemaker-containers trainer's format) and the process exits 1.
- ``serve`` answers ``POST /invocations``: an empty body 204; content types ``text/csv`` (no label
  column) and ``text/libsvm``; any other 415 with the container's message; a model error 400; Accept
  ``text/csv`` (one score per line), ``application/json`` (``{"predictions": [{"score": s}]}`` from
  1.2-1 on, a plain list before), ``application/jsonlines`` and ``application/x-recordio-protobuf``
  (accepted, but encodable only through ``SAGEMAKER_INFERENCE_OUTPUT``: otherwise 500 as the container
  answers), anything else 406. Absent or ``*/*``: ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` or
  ``text/csv``.

Not emulated, and failing loudly instead: recordio-protobuf and parquet data (training and serving),
Pipe mode, ``_kfold`` cross-validation, checkpoints, several hosts. Frames of a failure's traceback are
this module's, not the container's. The CSV path builds a plain matrix (no feature names), as the
container does.

Runs as ``python xgboost_algorithm.py train`` in the job's container layout (the ``SM_*`` variables
the runtime sets); the model server imports it by file path. Standard library at import time; numpy,
scipy and xgboost when it trains or serves.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

MODEL_NAME = "xgboost-model"
IMAGE_REPOSITORIES = ("sagemaker-xgboost", "xgboost")
"""The algorithm image's repositories: the regional ``sagemaker-xgboost`` and the older ``xgboost``."""

MAXIMIZE_METRICS = [
    "accuracy",
    "auc",
    "aucpr",
    "balanced_accuracy",
    "f1",
    "f1_binary",
    "f1_macro",
    "map",
    "ndcg",
    "precision",
    "r2",
    "recall",
    "precision_macro",
    "precision_micro",
    "recall_macro",
    "recall_micro",
]
MINIMIZE_METRICS = [
    "aft-nloglik",
    "cox-nloglik",
    "error",
    "gamma-deviance",
    "gamma-nloglik",
    "interval-regression-accuracy",
    "logloss",
    "mae",
    "mape",
    "merror",
    "mlogloss",
    "mphe",
    "mse",
    "poisson-nloglik",
    "rmse",
    "rmsle",
    "tweedie-nloglik",
]
OBJECTIVES = [
    "aft_loss_distribution",
    "binary:logistic",
    "binary:logitraw",
    "binary:hinge",
    "count:poisson",
    "multi:softmax",
    "multi:softprob",
    "rank:pairwise",
    "rank:ndcg",
    "rank:map",
    "reg:linear",
    "reg:squarederror",
    "reg:logistic",
    "reg:gamma",
    "reg:pseudohubererror",
    "reg:squaredlogerror",
    "reg:tweedie",
    "survival:aft",
    "survival:cox",
]
CSV_TYPES = ("csv", "text/csv")
LIBSVM_TYPES = ("libsvm", "text/libsvm", "text/x-libsvm")
VALID_CONTENT_TYPES = [
    "csv",
    "libsvm",
    "parquet",
    "recordio-protobuf",
    "text/csv",
    "text/libsvm",
    "text/x-libsvm",
    "application/x-parquet",
    "application/x-recordio-protobuf",
]
SUPPORTED_ACCEPTS = [
    "application/json",
    "application/jsonlines",
    "application/x-recordio-protobuf",
    "text/csv",
]

log = logging.getLogger("xgboost-algorithm")


# ------------------------------------------------------------------------------------ image and metrics


def image_version(image: str | None) -> str | None:
    """``"1.3-1"`` for an XGBoost algorithm image URI (``…/sagemaker-xgboost:1.3-1``, ``…/xgboost:1.3-1``)."""
    if not image:
        return None
    path = image.split("@", 1)[0]
    repository, _, tag = path.rpartition("/")[2].partition(":")
    if repository not in IMAGE_REPOSITORIES:
        return None
    return tag or "latest"


def version_tuple(version: str | None) -> tuple[int, int]:
    """``"1.3-1"`` -> (1, 3); an unknown tag counts as the newest."""
    match = re.match(r"(\d+)\.(\d+)", version or "")
    return (int(match.group(1)), int(match.group(2))) if match else (99, 0)


def metric_definitions() -> list[dict[str, str]]:
    """The algorithm's metric definitions (``algorithm_mode/metrics.py``), in its order."""
    return [
        {"Name": f"validation:{name}", "Regex": f".*\\[[0-9]+\\].*#011validation-{name}:(\\S+)"}
        for name in MAXIMIZE_METRICS + MINIMIZE_METRICS
    ]


# ------------------------------------------------------------------------------------------ errors


class ToolkitError(Exception):
    """The toolkit's error root: the message, plus ``(caused by X)`` when another error caused it."""

    def __init__(self, message: str, caused_by: BaseException | None = None) -> None:
        if caused_by is not None:
            message += f" (caused by {type(caused_by).__name__})"
        super().__init__(message)
        self.message = message


class UserError(ToolkitError):
    """A failure the user can avoid (a hyperparameter, a channel, the data)."""


class AlgorithmError(ToolkitError):
    """A failure of the algorithm itself."""


# ------------------------------------------------------------------------------ hyperparameters


class Interval:
    def __init__(
        self,
        min_open: float | None = None,
        min_closed: float | None = None,
        max_open: float | None = None,
        max_closed: float | None = None,
    ) -> None:
        self.min_open, self.min_closed, self.max_open, self.max_closed = (
            min_open,
            min_closed,
            max_open,
            max_closed,
        )

    def __contains__(self, value: Any) -> bool:
        return not (
            (self.min_open is not None and value <= self.min_open)
            or (self.min_closed is not None and value < self.min_closed)
            or (self.max_open is not None and value >= self.max_open)
            or (self.max_closed is not None and value > self.max_closed)
        )

    def __str__(self) -> str:
        low = (
            f"({self.min_open}, "
            if self.min_open is not None
            else f"[{self.min_closed}, "
            if self.min_closed is not None
            else "(-inf, "
        )
        high = (
            f"{self.max_open})"
            if self.max_open is not None
            else f"{self.max_closed}]"
            if self.max_closed is not None
            else "+inf)"
        )
        return low + high


class _Validator:
    """A range given as a function (the toolkit's ``range_validator``), printed as its list."""

    def __init__(self, shown: list[str], check: Callable[[Any], bool]) -> None:
        self.shown, self.check = shown, check

    def __contains__(self, value: Any) -> bool:
        return self.check(value)

    def __str__(self) -> str:
        return str(self.shown)


class Hyperparameter:
    kind = "text"

    def __init__(
        self,
        name: str,
        range: Any,
        required: bool = False,
        dependencies: tuple[list[str], Callable[[Any, dict[str, Any]], None]] | None = None,
    ) -> None:
        self.name, self.range, self.required, self.dependencies = name, range, required, dependencies

    def parse(self, value: Any) -> Any:
        return value

    def validate_range(self, value: Any) -> None:
        if self.range is not None and value not in self.range:
            raise UserError(f"Hyperparameter {self.name}: {value} is not in {self.range}")


class Integer(Hyperparameter):
    def parse(self, value: Any) -> int:
        return int(value)


class Continuous(Hyperparameter):
    def parse(self, value: Any) -> float:
        return float(value)


class Categorical(Hyperparameter):
    pass


class CommaList(Hyperparameter):
    def parse(self, value: Any) -> list[str]:
        return str(value).split(",")

    def validate_range(self, value: Any) -> None:
        if any(v not in self.range for v in value):
            raise UserError(f"Hyperparameter {self.name}: value {value} not in range {self.range}")


def _objective_dependencies(value: Any, dependencies: dict[str, Any]) -> None:
    num_class = dependencies.get("num_class")
    if value in ("multi:softmax", "multi:softprob") and num_class is None:
        raise UserError("Require input for parameter 'num_class' for multi-classification")


def _eval_metric_check(metric: str) -> bool:
    if "<function" in metric:
        raise UserError(f"User defined evaluation metric {metric} is not supported yet.")
    if "@" in metric:
        name, threshold = (part.strip() for part in metric.split("@", 1))
        if name not in ("error", "ndcg", "map"):
            raise UserError(
                f"Metric '{metric}' is not supported. Parameter 'eval_metric' with customized threshold "
                "should "
                "be one of these options: 'error', 'ndcg', 'map'."
            )
        try:
            float(threshold)
        except ValueError:
            raise UserError(f"Threshold value 't' in '{name}@t' expects float input.") from None
        return True
    return metric in MAXIMIZE_METRICS + MINIMIZE_METRICS


def _eval_metric_dependencies(value: Any, dependencies: dict[str, Any]) -> None:
    objective = dependencies["objective"]  # the container fails with KeyError without an objective
    if "auc" in value and not any(str(objective).startswith(kind) for kind in ("binary:", "rank:")):
        raise UserError("Metric 'auc' can only be applied for classification and ranking problems.")
    if "aft-nloglik" in value and objective not in ("survival:aft",):
        raise UserError("Metric 'aft-nloglik' can only be applied for 'survival:aft' objective.")


def _tree_method_dependency(option: str, allowed: tuple[str, ...]) -> Callable[[Any, dict[str, Any]], None]:
    def check(value: Any, dependencies: dict[str, Any]) -> None:
        if value is not None and dependencies.get("tree_method") not in allowed:
            shown = "either " + ", ".join(f"'{a}'" for a in allowed[:-1]) + f" or '{allowed[-1]}'"
            raise UserError(f"{option} can be used only when the tree_method parameter is set to {shown}.")

    return check


def hyperparameters() -> dict[str, Hyperparameter]:
    """The algorithm's hyperparameters (``algorithm_mode/hyperparameter_validation.py``)."""
    unit = Interval(min_closed=0, max_closed=1)
    open_unit = Interval(min_open=0, max_closed=1)
    non_negative = Interval(min_closed=0)
    flag = Interval(min_closed=0, max_closed=1)
    specs: list[Hyperparameter] = [
        Integer("num_round", Interval(min_closed=1), required=True),
        Integer("csv_weights", flag),
        Integer("early_stopping_rounds", Interval(min_closed=1)),
        Categorical("booster", ["gbtree", "gblinear", "dart"]),
        Integer("verbosity", Interval(min_closed=0, max_closed=3)),
        Integer("nthread", Interval(min_closed=1)),
        Continuous("eta", unit),
        Continuous("gamma", non_negative),
        Integer("max_depth", non_negative),
        Continuous("min_child_weight", non_negative),
        Continuous("max_delta_step", non_negative),
        Continuous("subsample", open_unit),
        Continuous("colsample_bytree", open_unit),
        Continuous("colsample_bylevel", open_unit),
        Continuous("colsample_bynode", open_unit),
        Continuous("lambda", non_negative),
        Continuous("alpha", non_negative),
        Categorical("tree_method", ["auto", "exact", "approx", "hist", "gpu_hist"]),
        Continuous("sketch_eps", Interval(min_open=0, max_open=1)),
        Continuous("scale_pos_weight", Interval(min_open=0)),
        CommaList(
            "updater",
            [
                "grow_colmaker",
                "distcol",
                "grow_histmaker",
                "grow_local_histmaker",
                "grow_skmaker",
                "sync",
                "refresh",
                "prune",
                "shotgun",
                "coord_descent",
                "grow_quantile_histmaker",
            ],
        ),
        Categorical("dsplit", ["row", "col"]),
        Integer("refresh_leaf", flag),
        Categorical("process_type", ["default", "update"]),
        Categorical("grow_policy", ["depthwise", "lossguide"]),
        Integer("max_leaves", non_negative),
        Integer("max_bin", non_negative),
        Categorical("predictor", ["auto", "cpu_predictor", "gpu_predictor"]),
        Hyperparameter(
            "monotone_constraints",
            None,
            dependencies=(
                ["tree_method"],
                _tree_method_dependency("monotone_constraints", ("exact", "hist")),
            ),
        ),
        Hyperparameter(
            "interaction_constraints",
            None,
            dependencies=(
                ["tree_method"],
                _tree_method_dependency("interaction_constraints", ("exact", "hist", "approx")),
            ),
        ),
        Categorical("sample_type", ["uniform", "weighted"]),
        Categorical("normalize_type", ["tree", "forest"]),
        Continuous("rate_drop", unit),
        Integer("one_drop", flag),
        Continuous("skip_drop", unit),
        Continuous("lambda_bias", unit),
        Continuous("tweedie_variance_power", Interval(min_open=1, max_open=2)),
        Categorical("objective", OBJECTIVES, dependencies=(["num_class"], _objective_dependencies)),
        Integer("num_class", Interval(min_closed=2)),
        Continuous("base_score", non_negative),
        Integer("_kfold", Interval(min_closed=2)),
        Integer("_num_cv_round", Interval(min_closed=1)),
        Categorical("_tuning_objective_metric", [d["Name"] for d in metric_definitions()]),
        CommaList(
            "eval_metric",
            _Validator(MAXIMIZE_METRICS + MINIMIZE_METRICS, _eval_metric_check),
            dependencies=(["objective"], _eval_metric_dependencies),
        ),
        Integer("seed", Interval(min_open=-(2**31), max_open=2**31 - 1)),
        Integer("num_parallel_tree", Interval(min_closed=1)),
        Categorical("save_model_on_termination", ["true", "false"]),
        Categorical("aft_loss_distribution", ["normal", "logistic", "extreme"]),
        Continuous("aft_loss_distribution_scale", non_negative),
        Categorical("single_precision_histogram", ["true", "false"]),
        Categorical("deterministic_histogram", ["true", "false"]),
        Categorical("sampling_method", ["uniform", "gradient_based"]),
        Integer("prob_buffer_row", Interval(min_open=1.0)),
    ]
    return {spec.name: spec for spec in specs}


ALIASES = {"learning_rate": "eta", "min_split_loss": "gamma", "reg_lambda": "lambda", "reg_alpha": "alpha"}


def validate_hyperparameters(given: dict[str, Any]) -> dict[str, Any]:
    """The toolkit's order: aliases, required, parse, range, then dependencies."""
    specs = hyperparameters()
    given = {ALIASES.get(name, name): value for name, value in given.items()}
    for name, spec in specs.items():
        if spec.required and name not in given:
            raise UserError(f"Missing required hyperparameter: {name}")
    parsed: dict[str, Any] = {}
    for name, value in given.items():
        spec = specs.get(name)
        if spec is None:
            raise UserError(f"Extraneous hyperparameter found: {name}")
        try:
            parsed[name] = spec.parse(value)
        except ValueError as exc:
            raise UserError(f"Hyperparameter {name}: could not parse value", caused_by=exc) from None
    for name, value in parsed.items():
        specs[name].validate_range(value)
    for name, value in parsed.items():
        deps = specs[name].dependencies
        if deps is not None:
            names, check = deps
            check(value, {d: parsed[d] for d in names if d in parsed})
    return parsed


# ------------------------------------------------------------------------------------------ channels


def content_type_kind(content_type: str | None) -> str:
    """``csv`` / ``libsvm`` / ``parquet`` / ``recordio-protobuf`` (``data_utils.get_content_type``)."""
    if content_type is None:
        return "libsvm"
    main, *params = (part.strip() for part in content_type.lower().split(";"))
    options = dict(p.split("=", 1) for p in params if "=" in p)
    if main in CSV_TYPES:
        if options.get("label_size", "1") != "1":
            raise UserError(
                f"{content_type} is not an accepted csv ContentType. "
                "Optional parameter label_size must be equal to 1"
            )
        return "csv"
    if main in LIBSVM_TYPES:
        return "libsvm"
    if main in ("parquet", "application/x-parquet"):
        return "parquet"
    if main in ("recordio-protobuf", "application/x-recordio-protobuf"):
        return "recordio-protobuf"
    raise UserError(f"{content_type} is not an accepted ContentType: " + ", ".join(VALID_CONTENT_TYPES) + ".")


def validate_channels(declared: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``channel_validation.py``: train required, validation and code optional, libsvm by default."""
    known = {"train": True, "validation": False, "code": False}
    for name, required in known.items():
        if required and name not in declared:
            raise UserError(f"Missing required channel: {name}")
    out: dict[str, dict[str, Any]] = {}
    for name, value in declared.items():
        if name not in known:
            raise UserError(f"Extraneous channel found: {name}")
        value = dict(value)
        value.setdefault("ContentType", "text/libsvm")
        mode = value.get("TrainingInputMode", "File")
        distribution = value.get("S3DistributionType", "FullyReplicated")
        if name == "code":
            supported = value["ContentType"] == "text/python" and mode == "File"
        else:
            supported = value["ContentType"] in VALID_CONTENT_TYPES and mode in ("File", "Pipe")
            if mode == "Pipe" and value["ContentType"] in LIBSVM_TYPES:
                supported = False
        if not supported or distribution not in ("FullyReplicated", "ShardedByS3Key"):
            raise UserError(f"Channel configuration for '{name}' channel is not supported: {value}")
        out[name] = value
    return out


# ---------------------------------------------------------------------------------------------- data


def _data_files(path: str) -> list[str]:
    """Files of a channel, as ``data_utils._is_data_file`` picks them (no dot or underscore names)."""
    if os.path.isfile(path):
        return [path]
    found = []
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if not os.path.isfile(full) or name.startswith((".", "_")):
            continue
        if ".cache" in name and ("dtrain" in name or "dval" in name):
            continue
        found.append(full)
    return found


def _sniff_delimiter(line: str) -> str:
    try:
        delimiter = csv.Sniffer().sniff(line).delimiter
    except Exception as exc:
        raise UserError(f"Could not determine delimiter on line {line[:50]}:\n{exc}") from None
    log.info("Determined delimiter of CSV input is '%s'", delimiter)
    return delimiter


def _is_libsvm_label(label: str) -> bool:
    parts = label.split(":")
    if len(parts) > 2:
        return False
    try:
        [float(p) for p in parts]
    except ValueError:
        return False
    return True


def _validate_libsvm_file(path: str) -> None:
    with open(path, errors="ignore") as handle:
        for line in handle:
            items = line.rstrip("\n").split(" ")
            bad = not _is_libsvm_label(items[0]) or any(
                ":" not in item or len(item.split(":")) != 2 for item in items[1:] if item
            )
            if bad:
                raise UserError(
                    f"First line '{line[:50]}...' of file '{os.path.basename(path)}' is not 'LIBSVM' format. "
                    "Please ensure the file is in 'LIBSVM' format."
                )
            if len(items) > 2:
                return


def load_matrix(path: str, kind: str, csv_weights: int = 0) -> Any:
    """A DMatrix of a channel's files (label first), or None when it holds no data."""
    import numpy as np
    import xgboost as xgb

    files = [f for f in _data_files(path) if os.path.getsize(f) > 0]
    if not files:
        return None
    if kind in ("parquet", "recordio-protobuf"):
        raise AlgorithmError(f"{kind} data is not emulated by the local runtime: use csv or libsvm")
    if kind == "csv":
        with open(files[0], errors="ignore") as handle:
            delimiter = _sniff_delimiter(handle.readline())
        blocks = []
        for name in files:
            try:
                block = np.genfromtxt(name, delimiter=delimiter, dtype=float, ndmin=2)
            except Exception as exc:
                raise UserError(f"Failed to load csv data with exception:\n{exc}") from None
            blocks.append(block)
        if len({b.shape[1] for b in blocks}) != 1:
            raise UserError(
                "Failed to load csv data with exception:\nfiles have different numbers of columns"
            )
        data = np.vstack(blocks)
        if csv_weights == 1:
            return xgb.DMatrix(data[:, 2:], label=data[:, 0], weight=data[:, 1])
        return xgb.DMatrix(data[:, 1:], label=data[:, 0])
    for name in files:
        _validate_libsvm_file(name)
    rows, cols, values, labels, weights = [], [], [], [], []
    for name in files:
        with open(name) as handle:
            for line in handle:
                items = line.split()
                if not items:
                    continue
                label, _, weight = items[0].partition(":")
                labels.append(float(label))
                weights.append(float(weight) if weight else 1.0)
                for item in items[1:]:
                    index, _, value = item.partition(":")
                    rows.append(len(labels) - 1)
                    cols.append(int(index))
                    values.append(float(value))
    from scipy.sparse import csr_matrix

    matrix = csr_matrix((values, (rows, cols)), shape=(len(labels), (max(cols) + 1) if cols else 0))
    weighted = any(w != 1.0 for w in weights)
    return xgb.DMatrix(matrix, label=labels, weight=weights if weighted else None)


# ------------------------------------------------------------------------------------ custom metrics


def _labels_and_classes(preds: Any, dtrain: Any) -> tuple[Any, Any]:
    import numpy as np

    labels = dtrain.get_label()
    preds = np.asarray(preds)
    classes = np.argmax(preds, axis=-1) if preds.ndim > 1 else (preds > 0.0).astype(int)
    return labels, classes


def _binary_counts(preds: Any, dtrain: Any) -> tuple[float, float, float, float]:
    labels, classes = _labels_and_classes(preds, dtrain)
    tp = float(((classes == 1) & (labels == 1)).sum())
    fp = float(((classes == 1) & (labels == 0)).sum())
    fn = float(((classes == 0) & (labels == 1)).sum())
    tn = float(((classes == 0) & (labels == 0)).sum())
    return tp, fp, fn, tn


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _custom_metrics() -> dict[str, Callable[[Any, Any], float]]:
    """Container-defined metrics (``metrics/custom_metrics.py``) that xgboost does not compute itself.

    Predictions arrive as margins (xgboost >= 1.2): classes are ``margin > 0`` (binary) or the arg max.
    """

    def accuracy(p: Any, d: Any) -> float:
        labels, classes = _labels_and_classes(p, d)
        return float((labels == classes).mean())

    def precision(p: Any, d: Any) -> float:
        tp, fp, _, _ = _binary_counts(p, d)
        return _ratio(tp, tp + fp)

    def recall(p: Any, d: Any) -> float:
        tp, _, fn, _ = _binary_counts(p, d)
        return _ratio(tp, tp + fn)

    def f1_binary(p: Any, d: Any) -> float:
        tp, fp, fn, _ = _binary_counts(p, d)
        return _ratio(2 * tp, 2 * tp + fp + fn)

    def balanced_accuracy(p: Any, d: Any) -> float:
        tp, fp, fn, tn = _binary_counts(p, d)
        return (_ratio(tp, tp + fn) + _ratio(tn, tn + fp)) / 2

    def mse(p: Any, d: Any) -> float:
        import numpy as np

        return float(np.mean((d.get_label() - np.asarray(p)) ** 2))

    def r2(p: Any, d: Any) -> float:
        import numpy as np

        labels = d.get_label()
        total = float(np.sum((labels - labels.mean()) ** 2))
        return 1.0 - _ratio(float(np.sum((labels - np.asarray(p)) ** 2)), total)

    return {
        "accuracy": accuracy,
        "balanced_accuracy": balanced_accuracy,
        "f1_binary": f1_binary,
        "precision": precision,
        "recall": recall,
        "mse": mse,
        "r2": r2,
    }


NOT_EMULATED_METRICS = (
    "f1",
    "f1_macro",
    "precision_macro",
    "precision_micro",
    "recall_macro",
    "recall_micro",
)


def _custom_metric(names: Sequence[str]) -> Callable[[Any, Any], list[tuple[str, float]]]:
    table = _custom_metrics()

    def evaluate(preds: Any, dmatrix: Any) -> list[tuple[str, float]]:
        return [(name, table[name](preds, dmatrix)) for name in names]

    return evaluate


# ------------------------------------------------------------------------------------------- training


def train(env: dict[str, str]) -> None:
    """``algorithm_mode/train.sagemaker_train`` for one host."""
    import xgboost as xgb

    config_dir = env["SM_INPUT_CONFIG_DIR"]
    with open(os.path.join(config_dir, "hyperparameters.json")) as handle:
        given = json.load(handle)
    with open(os.path.join(config_dir, "inputdataconfig.json")) as handle:
        declared = json.load(handle)
    params = validate_hyperparameters(given)
    if params.get("updater"):
        params["updater"] = ",".join(params["updater"])
    channels = validate_channels(declared)
    if "_kfold" in params:
        raise AlgorithmError("_kfold cross-validation is not emulated by the local runtime")
    kind = content_type_kind(channels["train"].get("ContentType"))
    if channels["train"].get("TrainingInputMode") == "Pipe":
        raise AlgorithmError("Pipe input mode is not emulated by the local runtime")
    data_root = os.path.join(os.path.dirname(config_dir), "data")
    train_path = env.get("SM_CHANNEL_TRAIN") or os.path.join(data_root, "train")
    val_path = env.get("SM_CHANNEL_VALIDATION") or (
        os.path.join(data_root, "validation") if "validation" in channels else None
    )
    csv_weights = params.get("csv_weights", 0)
    dtrain = load_matrix(train_path, kind, csv_weights)
    dval = load_matrix(val_path, kind, csv_weights) if val_path else None
    if dtrain is None:
        raise UserError(f"No data in training channel path {train_path}")
    if "validation" in channels and dval is None:
        raise UserError(f"No data in validation channel path {val_path}")
    log.info("Single node training.")

    num_round = params.pop("num_round")
    params.pop("save_model_on_termination", None)
    params.pop("csv_weights", None)
    tuning = params.pop("_tuning_objective_metric", None)
    eval_metric = params.get("eval_metric")
    union = sorted(set(eval_metric or []) | ({tuning.split(":", 1)[1]} if tuning else set())) or None
    custom = [m for m in union or [] if m in _custom_metrics() or m in NOT_EMULATED_METRICS]
    missing = [m for m in custom if m in NOT_EMULATED_METRICS]
    if missing:
        raise AlgorithmError(f"eval_metric {', '.join(missing)} is not emulated by the local runtime")
    native = [m for m in union or [] if m not in custom]
    if native:
        params["eval_metric"] = native
    else:
        params.pop("eval_metric", None)
    early_stopping_rounds = params.pop("early_stopping_rounds", None)
    early_metric = None
    if early_stopping_rounds:
        if tuning:
            early_metric = tuning.split(":", 1)[1]
        elif eval_metric:
            early_metric = eval_metric[-1]

    log.info("Train matrix has %d rows and %d columns", dtrain.num_row(), dtrain.num_col())
    if dval is not None:
        log.info("Validation matrix has %d rows", dval.num_row())
    watchlist = [(dtrain, "train")] + ([(dval, "validation")] if dval is not None else [])
    callbacks: list[Any] = [xgb.callback.EvaluationMonitor()]
    if dval is not None and early_metric and early_stopping_rounds:
        callbacks.append(
            xgb.callback.EarlyStopping(
                rounds=early_stopping_rounds,
                data_name="validation",
                metric_name=early_metric,
                maximize=early_metric in MAXIMIZE_METRICS,
                save_best=True,
            )
        )
    try:
        booster = xgb.train(
            params,
            dtrain,
            num_boost_round=num_round,
            evals=watchlist,
            custom_metric=_custom_metric(custom) if custom else None,
            callbacks=callbacks,
            verbose_eval=False,
        )
    except Exception as exc:
        customer_errors = (
            "label must be in [0,1] for logistic regression",
            "label must be in [0, num_class)",
            "feature_names mismatch",
            "Check failed: preds.size() == info.labels_.size()",
            "the dataset only contains pos or neg samples",
            "base_score must be in (0,1) for logistic loss",
            "label must be nonnegative",
            "Parameter reg_lambda should be greater equal to 0",
        )
        if any(text in str(exc) for text in customer_errors):
            raise UserError(str(exc)) from None
        raise AlgorithmError(f"XGB train call failed with exception:\n {exc}") from None
    model_dir = env["SM_MODEL_DIR"]
    os.makedirs(model_dir, exist_ok=True)
    booster.save_model(os.path.join(model_dir, MODEL_NAME))


def train_main(env: dict[str, str]) -> int:
    """Train; on an error write the trainer's failure file (``framework error:``) and exit 1."""
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s:%(levelname)s] %(message)s", stream=sys.stdout
    )
    log.info("Running XGBoost Sagemaker in algorithm mode")
    try:
        train(env)
    except Exception as exc:
        failure = f"framework error: \n{traceback.format_exc(limit=-1)}\n{exc}"
        log.error("Reporting training FAILURE")
        log.error(failure)
        failure_file = env.get("SM_FAILURE_FILE") or os.path.join(env["SM_OUTPUT_DIR"], "failure")
        with open(failure_file, "w") as handle:
            handle.write(failure)
        return 1
    log.info("Reporting training SUCCESS")
    return 0


# -------------------------------------------------------------------------------------------- serving


class Scorer:
    """The algorithm's ``/invocations`` (``algorithm_mode/serve.py``) for one model folder."""

    def __init__(self, model_dir: str, version: str | None, environ: dict[str, str] | None = None) -> None:
        import xgboost as xgb

        env = os.environ if environ is None else environ
        self.version = version_tuple(version)
        self.default_accept = env.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "text/csv")
        self.selected = env.get("SAGEMAKER_INFERENCE_OUTPUT")
        ensemble = env.get("SAGEMAKER_INFERENCE_ENSEMBLE", "true") == "true"
        paths = [
            os.path.join(model_dir, name)
            for name in sorted(os.listdir(model_dir))
            if os.path.isfile(os.path.join(model_dir, name)) and not name.startswith(".")
        ]
        if not paths:
            raise RuntimeError(f"No model file found in {model_dir}")
        self.boosters = []
        for path in paths if ensemble else paths[:1]:
            booster = xgb.Booster()
            try:
                booster.load_model(path)
            except Exception as exc:
                raise RuntimeError(f"Model {path} cannot be loaded:\nXGB load model error={exc}") from None
            booster.set_param("nthread", 1)
            self.boosters.append(booster)
        config = json.loads(self.boosters[0].save_config())
        self.objective = config["learner"]["objective"]["name"]
        self.num_class = config["learner"]["learner_model_param"].get("num_class", "")
        log.info("Model objective : %s", self.objective)

    def _matrix(self, body: bytes, content_type: str) -> Any:
        import numpy as np
        import xgboost as xgb

        kind = content_type_kind(content_type or None)  # no Content-Type: libsvm, the default
        text = body.strip().decode("utf-8")
        if kind == "csv":
            try:
                sniffed = csv.Sniffer().sniff(text.split("\n")[0][:512]).delimiter
                delimiter = "," if sniffed.isalnum() else sniffed
                rows = [["nan" if x == "" else x for x in line.split(delimiter)] for line in text.split("\n")]
                return xgb.DMatrix(np.array(rows).astype(float))
            except Exception as exc:
                raise RuntimeError(
                    "Loading csv data failed with Exception, please ensure data is in csv format:\n "
                    f"{type(exc)}\n {exc}"
                ) from None
        if kind == "libsvm":
            try:
                from scipy.sparse import csr_matrix

                rows, cols, values = [], [], []
                for index, line in enumerate(text.split("\n")):
                    for item in line.split(" "):
                        if ":" in item:
                            col, value = item.split(":")[:2]
                            rows.append(index)
                            cols.append(int(col))
                            values.append(float(value))
                return xgb.DMatrix(csr_matrix((values, (rows, cols))))
            except Exception as exc:
                raise RuntimeError(
                    "Loading libsvm data failed with Exception, please ensure data is in libsvm format:\n "
                    f"{type(exc)}\n {exc}"
                ) from None
        if kind == "recordio-protobuf":
            raise RuntimeError("recordio-protobuf requests are not emulated by the local runtime.")
        raise RuntimeError(f"Content-type {content_type} is not supported.")

    def _predict(self, dtest: Any) -> Any:
        import numpy as np

        outputs = [b.predict(dtest, validate_features=False) for b in self.boosters]
        if len(outputs) == 1:
            return outputs[0]
        if self.objective in ("multi:softmax", "binary:hinge"):
            values, counts = np.unique(np.stack(outputs), axis=0, return_counts=True)
            return values[int(np.argmax(counts))]
        return np.mean(outputs, axis=0)

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[int, bytes, str]:
        """``(status, body, content type)`` as the algorithm container answers."""
        if not body:
            return 204, b"", "text/html"
        try:
            dtest = self._matrix(body, content_type)
        except Exception as exc:
            return 415, str(exc).encode(), "text/html"
        try:
            predictions = self._predict(dtest)
        except Exception as exc:
            return 400, f"Unable to evaluate payload provided: {exc}".encode(), "text/html"
        accept = accept.split(";")[0].strip()
        if not accept or accept == "*/*":
            accept = self.default_accept
        elif accept.lower() not in SUPPORTED_ACCEPTS:
            return (
                406,
                f"Accept type {accept} is not supported. "
                f"Please use supported accept types: {SUPPORTED_ACCEPTS}.".encode(),
                "text/html",
            )
        accept = accept.lower()
        if self.selected is not None:
            return self._selected(predictions, accept)
        values = predictions.tolist()
        if accept == "application/json":
            if self.version >= (1, 2):
                return 200, json.dumps({"predictions": [{"score": v} for v in values]}).encode(), accept
            return 200, json.dumps(values).encode(), accept
        if accept == "text/csv":
            rows = [v if isinstance(v, list) else [v] for v in values]
            return 200, "".join(",".join(str(x) for x in row) + "\n" for row in rows).encode(), accept
        return (
            500,
            f"Content type {accept} is not supported by this framework.\n\nPlease implement input_fn to to "
            "deserialize the request data or an output_fn to serialize the response.".encode(),
            "text/html",
        )

    def _selected(self, predictions: Any, accept: str) -> tuple[int, bytes, str]:
        """Selectable inference output (``SAGEMAKER_INFERENCE_OUTPUT``), as ``serve_utils`` selects it."""
        keys = (self.selected or "").replace(" ", "").lower().split(",")
        try:
            rows = [self._select(p, keys) for p in predictions]
            if accept == "application/json":
                answer = json.dumps({"predictions": rows})
            elif accept == "application/jsonlines":
                answer = "".join(json.dumps(row) + "\n" for row in rows)
            elif accept == "text/csv":
                answer = "\n".join(
                    ",".join(f'"{row[k]}"' if isinstance(row[k], list) else str(row[k]) for k in keys)
                    for row in rows
                )
            else:
                raise RuntimeError(f"Cannot encode selected predictions into accept type '{accept}'.")
        except Exception as exc:
            return 500, str(exc).encode(), "text/html"
        return 200, answer.encode(), accept

    def _select(self, raw: Any, keys: list[str]) -> dict[str, Any]:
        objective = self.objective
        classification = {
            "binary:logistic": [
                "predicted_label",
                "labels",
                "probability",
                "probabilities",
                "raw_score",
                "raw_scores",
            ],
            "binary:logitraw": ["predicted_label", "labels", "raw_score", "raw_scores"],
            "binary:hinge": ["predicted_label", "labels", "raw_score", "raw_scores"],
            "multi:softmax": ["predicted_label", "labels", "raw_score", "raw_scores"],
            "multi:softprob": [
                "predicted_label",
                "labels",
                "probability",
                "probabilities",
                "raw_score",
                "raw_scores",
            ],
        }
        regression = {
            o: ["predicted_score"] for o in ("reg:squarederror", "reg:logistic", "reg:gamma", "reg:tweedie")
        }
        valid = {**classification, **regression}.get(objective)
        if valid is None:
            raise ValueError(f"Objective `{objective}` unsupported for selectable inference predictions.")
        value = raw.item() if getattr(raw, "ndim", 0) == 0 else raw.tolist()
        out: dict[str, Any] = {}
        for key in keys:
            if key not in valid:
                out[key] = math.nan
            elif key == "predicted_label":
                out[key] = (
                    int(value > 0.5)
                    if objective == "binary:logistic"
                    else int(value > 0)
                    if objective == "binary:logitraw"
                    else max(range(len(value)), key=value.__getitem__)
                    if objective == "multi:softprob"
                    else value
                )
            elif key == "labels":
                out[key] = (
                    [0, 1] if objective.startswith("binary:") else list(range(int(self.num_class or 0)))
                )
            elif key in ("probability", "raw_score"):
                out[key] = max(value) if isinstance(value, list) else value
            elif key in ("probabilities", "raw_scores"):
                out[key] = value if isinstance(value, list) else [1.0 - value, value]
            elif key == "predicted_score":
                out[key] = value
        return out


if __name__ == "__main__":
    if sys.argv[1:] != ["train"]:
        sys.exit("usage: xgboost_algorithm.py train")
    sys.exit(train_main(dict(os.environ)))
