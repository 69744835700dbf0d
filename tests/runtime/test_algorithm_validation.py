"""The algorithm's hyperparameter and channel validation, in-process, with the container's messages."""

from __future__ import annotations

import pytest

from harness.emulator.runtime.xgboost_algorithm import (
    UserError,
    content_type_kind,
    metric_definitions,
    validate_channels,
    validate_hyperparameters,
)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "Missing required hyperparameter: num_round"),
        ({"num_round": "0"}, "Hyperparameter num_round: 0 is not in [1, +inf)"),
        ({"num_round": "5", "eta": "1.5"}, "Hyperparameter eta: 1.5 is not in [0, 1]"),
        ({"num_round": "5", "objective": "binary:nope"}, "Hyperparameter objective: binary:nope is not in"),
        ({"num_round": "5", "objective": "multi:softmax"}, "Require input for parameter 'num_class'"),
        (
            {"num_round": "5", "objective": "reg:squarederror", "eval_metric": "auc"},
            "Metric 'auc' can only be applied for classification and ranking problems.",
        ),
        ({"num_round": "5", "objective": "binary:logistic", "eval_metric": "nope"}, "eval_metric: value"),
        ({"num_round": "5", "max_depth": "2.5"}, "Hyperparameter max_depth: could not parse value"),
    ],
)
def test_invalid_hyperparameters_fail_with_the_algorithms_message(
    given: dict[str, str], message: str
) -> None:
    with pytest.raises(UserError) as refused:
        validate_hyperparameters(given)
    assert str(refused.value).startswith(message) or message in str(refused.value)


def test_valid_hyperparameters_are_parsed_and_aliases_resolved() -> None:
    parsed = validate_hyperparameters(
        {
            "num_round": "50",
            "learning_rate": "0.3",
            "eval_metric": "logloss,auc",
            "objective": "binary:logistic",
        }
    )
    assert parsed == {
        "num_round": 50,
        "eta": 0.3,
        "eval_metric": ["logloss", "auc"],
        "objective": "binary:logistic",
    }


def test_channels_and_content_types() -> None:
    assert content_type_kind("csv") == content_type_kind("text/csv; label_size=1") == "csv"
    assert content_type_kind(None) == content_type_kind("text/x-libsvm") == "libsvm"
    with pytest.raises(UserError, match="label_size must be equal to 1"):
        content_type_kind("text/csv;label_size=2")
    with pytest.raises(UserError, match="Missing required channel: train"):
        validate_channels({"validation": {"ContentType": "csv"}})
    with pytest.raises(UserError, match="Extraneous channel found: test"):
        validate_channels({"train": {"ContentType": "csv"}, "test": {"ContentType": "csv"}})
    assert validate_channels({"train": {}})["train"]["ContentType"] == "text/libsvm"


def test_metric_definitions_are_the_algorithms() -> None:
    definitions = {d["Name"]: d["Regex"] for d in metric_definitions()}
    assert definitions["validation:auc"] == ".*\\[[0-9]+\\].*#011validation-auc:(\\S+)"
    assert len(definitions) == 33 and all(name.startswith("validation:") for name in definitions)
