"""The algorithm container's ``serve`` answers, in-process (no emulator): formats, statuses, versions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from harness.emulator.runtime.xgboost_algorithm import Scorer


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(1)
    x = rng.random((300, 3))
    y = (x[:, 0] + 0.2 * rng.random(300) > 0.6).astype(float)
    booster = xgb.train({"objective": "binary:logistic", "nthread": 1}, xgb.DMatrix(x, label=y), 10)
    folder = tmp_path_factory.mktemp("model")
    booster.save_model(str(folder / "xgboost-model.json"))
    (folder / "xgboost-model.json").rename(folder / "xgboost-model")
    return folder


def test_csv_and_libsvm_rows_score_alike(model_dir: Path) -> None:
    scorer = Scorer(str(model_dir), "1.3-1", environ={})
    status, body, kind = scorer.invoke(b"0.9,0.1,0.2\n0.1,0.5,0.5", "text/csv", "text/csv")
    assert status == 200 and kind == "text/csv"
    scores = [float(v) for v in body.decode().splitlines()]
    assert len(scores) == 2 and scores[0] > scores[1]
    status, body, _ = scorer.invoke(b"0:0.9 1:0.1 2:0.2", "text/libsvm", "")
    assert status == 200 and abs(float(body) - scores[0]) < 1e-6  # Accept absent: text/csv
    status, body, _ = scorer.invoke(b"0:0.9 1:0.1 2:0.2", "", "")  # no Content-Type: libsvm
    assert status == 200


def test_statuses_as_the_container_answers(model_dir: Path) -> None:
    scorer = Scorer(str(model_dir), "1.3-1", environ={})
    assert scorer.invoke(b"", "text/csv", "")[0] == 204
    status, body, _ = scorer.invoke(b'{"features": [1, 2, 3]}', "application/json", "")
    assert status == 415 and b"application/json is not an accepted ContentType" in body
    assert scorer.invoke(b"0.1,0.2,0.3", "text/csv", "application/xml")[0] == 406
    assert scorer.invoke(b"0.1,0.2,0.3", "text/csv", "application/jsonlines")[0] == 500
    assert scorer.invoke(b"a,b,c", "text/csv", "")[0] == 415  # not numbers: the csv decoder refuses


def test_json_form_by_image_version(model_dir: Path) -> None:
    new = Scorer(str(model_dir), "1.3-1", environ={}).invoke(b"0.9,0.1,0.2", "text/csv", "application/json")
    old = Scorer(str(model_dir), "1.0-1", environ={}).invoke(b"0.9,0.1,0.2", "text/csv", "application/json")
    assert list(json.loads(new[1])) == ["predictions"] and "score" in json.loads(new[1])["predictions"][0]
    assert isinstance(json.loads(old[1]), list)


def test_selectable_output_in_json_lines(model_dir: Path) -> None:
    environ = {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label,probability"}
    scorer = Scorer(str(model_dir), "1.7-1", environ=environ)
    status, body, kind = scorer.invoke(b"0.9,0.1,0.2\n0.1,0.5,0.5", "text/csv", "application/jsonlines")
    rows = [json.loads(line) for line in body.decode().splitlines()]
    assert status == 200 and kind == "application/jsonlines"
    assert rows[0]["predicted_label"] == 1 and rows[1]["predicted_label"] == 0
    assert 0.5 < rows[0]["probability"] <= 1.0
