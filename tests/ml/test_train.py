"""The training entry point against the SageMaker training container contract, in a temp folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.ml import dataset, inference, train
from harness.ml.schema import FEATURE_NAMES, METRICS_FILENAME, MODEL_FILENAME

from .conftest import NUM_ROUND, training_env, write_hyperparameters

REPO = Path(__file__).resolve().parents[2]

# The metric regex an operator puts in CreateTrainingJob MetricDefinitions (CloudWatch shows tabs as #011).
VALIDATION_AUC = re.compile(r".*\[[0-9]+\].*#011validation-auc:([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?).*")

# Holdout AUC floor. The ground truth itself scores ~0.83 on this data (see harness.ml.dataset), trained
# models land at ~0.80-0.82; 0.75 leaves room for sampling noise on a 900-row test split while still
# failing for a model that learned little (a single informative feature scores ~0.70).
MIN_HOLDOUT_AUC = 0.75


def pairwise_auc(y: np.ndarray, scores: np.ndarray) -> float:
    """AUC as P(score_pos > score_neg) + 0.5 P(tie), by brute force (independent of train.roc_auc)."""
    pos = scores[y == 1][:, None]
    neg = scores[y == 0][None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def load_split(data_dir: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(data_dir / name / f"{name}.csv", delimiter=",")
    return table[:, 1:], table[:, 0].astype(int)


def cloudwatch(line: str) -> str:
    return line.replace("\t", "#011")


# -------------------------------------------------------------------------------------------- success


def test_holdout_auc(trained, data_dir):
    x, y = load_split(data_dir, "test")
    scores = trained["model"].predict(inference.xgb.DMatrix(x, feature_names=list(FEATURE_NAMES)))
    auc = pairwise_auc(y, scores)
    assert auc >= MIN_HOLDOUT_AUC, f"holdout AUC {auc:.4f} below {MIN_HOLDOUT_AUC}"
    assert train.roc_auc(y, scores) == pytest.approx(auc, abs=1e-9)
    assert trained["result"].metrics["test"]["auc"] == pytest.approx(auc, abs=1e-5)


def test_saved_model_predicts_like_in_process(trained, data_dir):
    x, _ = load_split(data_dir, "validation")
    in_process = trained["result"].booster.predict(
        inference.xgb.DMatrix(x, feature_names=list(FEATURE_NAMES))
    )
    loaded = inference.predict_fn(x, trained["model"]).scores
    np.testing.assert_array_equal(in_process.astype(np.float64), loaded)
    assert (trained["paths"].model_dir / MODEL_FILENAME).is_file()


def test_metric_lines_parse_with_sagemaker_regex(trained):
    rounds = [line for line in trained["lines"] if line.startswith("[")]
    assert len(rounds) == NUM_ROUND
    assert rounds[0].startswith("[0]\ttrain-logloss:") and "\t" in rounds[0] and "#011" not in rounds[0]
    values = []
    for index, line in enumerate(rounds):
        assert line.startswith(f"[{index}]\t")
        match = VALIDATION_AUC.match(cloudwatch(line))
        assert match, line
        values.append(float(match.group(1)))
        assert re.fullmatch(r"\[\d+\](\t(train|validation)-(logloss|auc):\d+\.\d{5})+", line)
    assert 0.5 < values[-1] <= 1.0
    assert values[-1] == pytest.approx(trained["result"].metrics["validation"]["auc"], abs=1e-4)
    for definition in train.METRIC_DEFINITIONS:
        assert re.match(definition["Regex"], cloudwatch(rounds[-1])), definition["Name"]
    assert not any(VALIDATION_AUC.match(cloudwatch(line)) for line in trained["lines"] if line not in rounds)


def test_metrics_json(trained, data_dir):
    paths = trained["paths"]
    text = (paths.model_dir / METRICS_FILENAME).read_text()
    metrics = json.loads(text)
    # the output data's copy adds the run's wall time; the model's holds only what the same data, seed
    # and code determine (the same training gives the same model.tar.gz byte for byte)
    output = json.loads((paths.output_data_dir / METRICS_FILENAME).read_text())
    assert output.pop("seconds") >= 0 and output == metrics and "seconds" not in metrics
    assert metrics["feature_names"] == list(FEATURE_NAMES)
    assert metrics["hyperparameters"]["num_round"] == NUM_ROUND and metrics["rounds"] == NUM_ROUND
    assert metrics["hyperparameters"]["objective"] == "binary:logistic"
    assert metrics["train"]["rows"] == 4200 and metrics["validation"]["rows"] == 900
    for name in ("train", "validation", "test"):
        assert 0.5 < metrics[name]["auc"] <= 1 and metrics[name]["logloss"] > 0
        [entry] = metrics["datasets"][name]
        assert entry["sha256"] == dataset.sha256_file(data_dir / name / f"{name}.csv")
    assert metrics["model_sha256"] == dataset.sha256_file(paths.model_dir / MODEL_FILENAME)


def test_cli_in_subprocess_with_env_overrides(tmp_path, data_dir):
    root = tmp_path / "ml"
    write_hyperparameters(root, {"num_round": "3", "max_depth": "2"})
    env = {**os.environ, **training_env(root, data_dir, test=False), "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "harness.ml.train", "--eta", "0.3", "--nthread", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rounds = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    assert len(rounds) == 3 and all(VALIDATION_AUC.match(cloudwatch(line)) for line in rounds)
    metrics = json.loads((root / "model" / METRICS_FILENAME).read_text())
    assert metrics["hyperparameters"]["eta"] == 0.3 and metrics["hyperparameters"]["max_depth"] == 2
    assert (root / "output" / "data" / METRICS_FILENAME).is_file()
    assert not (root / "output" / "failure").exists()


def test_same_inputs_same_model_bytes(tmp_path, data_dir):
    digests = []
    for run in ("a", "b"):
        root = tmp_path / run
        assert train.main(["--num_round", "5", "--nthread", "1"], env=training_env(root, data_dir)) == 0
        digests.append(dataset.sha256_file(root / "model" / MODEL_FILENAME))
    assert digests[0] == digests[1]


def test_validation_channel_optional_unless_declared(tmp_path, data_dir, capsys):
    root = tmp_path / "ml"
    env = training_env(root, data_dir, validation=False, test=False)
    assert train.main(["--num_round", "2", "--nthread", "1"], env=env) == 0
    rounds = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    assert rounds and all("validation" not in line for line in rounds)
    assert "validation" not in json.loads((root / "model" / METRICS_FILENAME).read_text())


def test_hyperparameters_from_json_strings_and_cli_wins(tmp_path):
    paths = train.Paths.from_env({"SM_PREFIX": str(tmp_path)})
    write_hyperparameters(
        tmp_path,
        {
            "num_round": "7",
            "eta": "0.25",
            "sagemaker_submit_directory": '"s3://b/k"',
            "_tuning_objective_metric": "",
        },
    )
    hp = train.load_hyperparameters(paths, ["--num_round", "9", "--max_depth=5", "--eval_metric", '"auc"'])
    assert hp["num_round"] == 9 and hp["eta"] == 0.25 and hp["max_depth"] == 5 and hp["eval_metric"] == "auc"
    assert hp["seed"] == 0 and hp["objective"] == "binary:logistic"


def test_paths_default_to_opt_ml_and_follow_env():
    default = train.Paths.from_env({})
    assert default.model_dir == Path("/opt/ml/model")
    assert default.channels["train"] == Path("/opt/ml/input/data/train")
    assert default.hyperparameters_file == Path("/opt/ml/input/config/hyperparameters.json")
    assert default.failure_file == Path("/opt/ml/output/failure")
    assert default.output_data_dir == Path("/opt/ml/output/data")
    custom = train.Paths.from_env(
        {
            "SM_PREFIX": "/r",
            "SM_MODEL_DIR": "/m",
            "SM_INPUT_CONFIG_DIR": "/c",
            "SM_OUTPUT_DATA_DIR": "/d",
            "SM_FAILURE_FILE": "/f",
        }
    )
    assert (custom.model_dir, custom.config_dir, custom.output_data_dir, custom.failure_file) == (
        Path("/m"),
        Path("/c"),
        Path("/d"),
        Path("/f"),
    )
    assert custom.channels["validation"] == Path("/r/input/data/validation")


def test_roc_auc_handles_ties():
    assert train.roc_auc(np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert train.roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75


# -------------------------------------------------------------------------------------------- failures

GOOD = "0,60,0,0.156\n1,72,1,0.850\n0,38,0,0.143\n1,80,1,0.900\n"


def _write(channel: Path, name: str, text: str | bytes) -> None:
    channel.mkdir(parents=True, exist_ok=True)
    path = channel / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


BAD_DATA = {
    # case: (train file content, expected fragments of the failure reason)
    "empty_file": ("", ["train.csv", "empty"]),
    "blank_lines_only": ("\n\n", ["train.csv", "empty"]),
    "too_many_columns": (GOOD + "1,72,1,0.85,9\n", ["train.csv line 5", "expected 4 columns", "got 5"]),
    "too_few_columns": ("0,60,0\n", ["train.csv line 1", "expected 4 columns", "got 3"]),
    "non_numeric": (GOOD + "0,sixty,0,0.1\n", ["line 5", "non-numeric", "'sixty'", "age"]),
    "header_row": ("dropout,age,prior_dropout,missed_visit_rate\n" + GOOD, ["line 1", "no header"]),
    "underscore_number": (GOOD + "0,1_000,0,0.1\n", ["line 5", "non-numeric"]),
    "empty_value": (GOOD + "0,,0,0.1\n", ["line 5", "empty value", "age"]),
    "label_two": (GOOD + "2,60,0,0.1\n", ["line 5", "label dropout must be 0 or 1", "'2'"]),
    "label_fraction": (GOOD + "0.5,60,0,0.1\n", ["line 5", "0 or 1"]),
    "nan": (GOOD + "0,60,nan,0.1\n", ["line 5", "non-finite", "prior_dropout"]),
    "inf": (GOOD + "0,60,0,-inf\n", ["line 5", "non-finite", "missed_visit_rate"]),
    "beyond_float": (GOOD + "0,1e999,0,0.1\n", ["line 5", "beyond float range"]),
    "single_class": ("0,60,0,0.1\n0,61,1,0.2\n", ["single class", "0"]),
    "not_utf8": (b"0,60,0,0.1\n\xff\xfe\n", ["train.csv", "UTF-8"]),
}


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_bad_training_data_fails_with_reason(tmp_path, case, capsys):
    content, fragments = BAD_DATA[case]
    root = tmp_path / "ml"
    _write(root / "input" / "data" / "train", "train.csv", content)
    status = train.main(["--num_round", "2"], env={"SM_PREFIX": str(root)})
    assert status == train.ExitStatus.CLIENT_ERROR == 1
    reason = (root / "output" / "failure").read_text()
    assert len(reason) <= train.MAX_FAILURE_CHARS
    assert reason.startswith("ClientError: ")
    for fragment in fragments:
        assert fragment in reason, (fragment, reason)
    assert reason in capsys.readouterr().err
    assert not (root / "model" / MODEL_FILENAME).exists()


def test_bad_file_in_validation_channel_is_named(tmp_path):
    root = tmp_path / "ml"
    _write(root / "input" / "data" / "train", "train.csv", GOOD)
    _write(root / "input" / "data" / "validation", "part-2.csv", GOOD + "0,60,0\n")
    _write(root / "input" / "data" / "validation", "part-1.csv", GOOD)
    assert train.main([], env={"SM_PREFIX": str(root)}) == 1
    reason = (root / "output" / "failure").read_text()
    assert "channel 'validation' file part-2.csv line 5" in reason


OTHER_FAILURES = {
    "missing_train_channel": (lambda root: None, ["channel 'train'", "does not exist"]),
    "no_csv_files": (
        lambda root: _write(root / "input" / "data" / "train", "train.libsvm", "1 1:2\n"),
        ["no .csv files", "train.libsvm"],
    ),
    "declared_validation_missing": (
        lambda root: (
            _write(root / "input" / "data" / "train", "train.csv", GOOD),
            _write(root / "input" / "config", "inputdataconfig.json", '{"train": {}, "validation": {}}'),
        ),
        ["channel 'validation'", "does not exist"],
    ),
    "libsvm_content_type": (
        lambda root: (
            _write(root / "input" / "data" / "train", "train.csv", GOOD),
            _write(
                root / "input" / "config",
                "inputdataconfig.json",
                '{"train": {"ContentType": "application/x-libsvm"}}',
            ),
        ),
        ["ContentType", "application/x-libsvm", "text/csv"],
    ),
    "bad_hyperparameter_value": (
        lambda root: (
            _write(root / "input" / "data" / "train", "train.csv", GOOD),
            write_hyperparameters(root, {"eta": "fast"}),
        ),
        ["hyperparameter eta", "(0, 1]", "'fast'"],
    ),
    "unknown_hyperparameter": (
        lambda root: (
            _write(root / "input" / "data" / "train", "train.csv", GOOD),
            write_hyperparameters(root, {"num_rounds": "10"}),
        ),
        ["unknown hyperparameter 'num_rounds'"],
    ),
    "other_objective": (
        lambda root: (
            _write(root / "input" / "data" / "train", "train.csv", GOOD),
            write_hyperparameters(root, {"objective": "reg:squarederror"}),
        ),
        ["hyperparameter objective", "binary:logistic"],
    ),
    "hyperparameters_not_json": (
        lambda root: (
            _write(root / "input" / "data" / "train", "train.csv", GOOD),
            _write(root / "input" / "config", "hyperparameters.json", "{num_round: 3"),
        ),
        ["hyperparameters.json is not valid JSON"],
    ),
    "early_stopping_without_validation": (
        lambda root: (
            _write(root / "input" / "data" / "train", "train.csv", GOOD),
            write_hyperparameters(root, {"early_stopping_rounds": "3"}),
        ),
        ["early_stopping_rounds needs a validation channel"],
    ),
}


@pytest.mark.parametrize("case", sorted(OTHER_FAILURES))
def test_bad_channel_or_hyperparameters_fail_with_reason(tmp_path, case):
    prepare, fragments = OTHER_FAILURES[case]
    root = tmp_path / "ml"
    prepare(root)
    assert train.main([], env={"SM_PREFIX": str(root)}) == 1
    reason = (root / "output" / "failure").read_text()
    for fragment in fragments:
        assert fragment in reason, (fragment, reason)


def test_failure_reason_is_capped_and_path_overridable(tmp_path):
    root = tmp_path / "ml"
    _write(root / "input" / "data" / "train", "train.csv", "0," + "9" * 5000 + "x,0,0.1\n")
    failure = tmp_path / "elsewhere" / "reason.txt"
    assert train.main([], env={"SM_PREFIX": str(root), "SM_FAILURE_FILE": str(failure)}) == 1
    reason = failure.read_text()
    assert 0 < len(reason) <= 1024 and "non-numeric" in reason
    assert not (root / "output" / "failure").exists()


def test_unexpected_error_is_algorithm_error(tmp_path, monkeypatch):
    root = tmp_path / "ml"
    _write(root / "input" / "data" / "train", "train.csv", GOOD)

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(train.xgb, "train", boom)
    assert train.main([], env={"SM_PREFIX": str(root)}) == train.ExitStatus.ALGORITHM_ERROR
    reason = (root / "output" / "failure").read_text()
    assert reason.startswith("AlgorithmError: RuntimeError: disk on fire") and len(reason) <= 1024


def test_cli_argument_errors(tmp_path):
    root = tmp_path / "ml"
    _write(root / "input" / "data" / "train", "train.csv", GOOD)
    assert train.main(["positional"], env={"SM_PREFIX": str(root)}) == 1
    assert "unexpected argument 'positional'" in (root / "output" / "failure").read_text()
    assert train.main(["--num_round"], env={"SM_PREFIX": str(root)}) == 1
    assert "--num_round needs a value" in (root / "output" / "failure").read_text()
