"""The synthetic subject generator: reproducible, documented ground truth, SageMaker CSV layout."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.ml import dataset
from harness.ml.schema import FEATURE_NAMES


def test_same_seed_same_rows_and_bytes(tmp_path):
    x1, y1 = dataset.generate(500, 11)
    x2, y2 = dataset.generate(500, 11)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    a = dataset.write_csv(tmp_path / "a.csv", x1, y1)
    b = dataset.write_csv(tmp_path / "b.csv", x2, y2)
    assert a.read_bytes() == b.read_bytes()
    assert dataset.sha256_file(a) == dataset.sha256_file(b)


def test_different_seed_different_rows():
    x1, _ = dataset.generate(200, 1)
    x2, _ = dataset.generate(200, 2)
    assert not np.array_equal(x1, x2)


def test_feature_ranges():
    x, y = dataset.generate(5000, 3)
    assert x.shape == (5000, len(FEATURE_NAMES)) and y.shape == (5000,)
    age, prior, rate = x.T
    assert age.min() >= 18 and age.max() <= 90 and np.array_equal(age, np.round(age))
    assert set(np.unique(prior)) == {0.0, 1.0}
    assert rate.min() >= 0.0 and rate.max() <= 1.0
    assert set(np.unique(y)) == {0, 1}
    assert 0.08 < y.mean() < 0.25  # ~15 % dropouts by construction


def test_ground_truth_matches_docstring():
    assert dataset.true_risk([72, 1, 0.85])[0] == pytest.approx(0.855, abs=0.005)
    assert dataset.true_risk([30, 0, 0.05])[0] < 0.05
    expected_logit = -4.2 + 0.05 * (72 - 55) + 1.3 * 1 + 4.5 * 0.85
    assert dataset.true_risk([72, 1, 0.85])[0] == pytest.approx(1 / (1 + np.exp(-expected_logit)))
    assert "ground truth" in dataset.__doc__.lower() and "-4.2" in dataset.__doc__


def test_labels_follow_the_ground_truth():
    x, y = dataset.generate(20000, 5)
    p = dataset.true_risk(x)
    high, low = p > 0.5, p < 0.1
    assert y[high].mean() == pytest.approx(p[high].mean(), abs=0.05)
    assert y[low].mean() == pytest.approx(p[low].mean(), abs=0.02)


def test_csv_has_label_first_and_no_header(tmp_path):
    x = np.array([[72.0, 1.0, 0.85], [30.0, 0.0, 0.1]])
    y = np.array([1, 0])
    path = dataset.write_csv(tmp_path / "s.csv", x, y)
    assert path.read_text() == "1,72,1,0.850\n0,30,0,0.100\n"


def test_write_splits_layout_and_manifest(tmp_path):
    written = dataset.write_splits(tmp_path, 1000, 9)
    assert {name: info.rows for name, info in written.items()} == {
        "train": 700,
        "validation": 150,
        "test": 150,
    }
    for name, info in written.items():
        path = tmp_path / name / f"{name}.csv"
        lines = path.read_text().splitlines()
        assert len(lines) == info.rows
        assert all(len(line.split(",")) == 4 and line[0] in "01" for line in lines)
        assert info.sha256 == dataset.sha256_file(path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["seed"] == 9 and manifest["columns"] == ["dropout", *FEATURE_NAMES]
    assert manifest["splits"]["train"]["sha256"] == written["train"].sha256
    assert manifest["ground_truth"]["intercept"] == dataset.INTERCEPT


def test_split_sizes_add_up():
    assert sum(dataset.split_sizes(1001).values()) == 1001
    with pytest.raises(ValueError):
        dataset.split_sizes(10, (("a", 0.5), ("b", 0.6)))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_generate_rejects_bad_n(bad):
    with pytest.raises(ValueError):
        dataset.generate(bad, 1)


def test_cli_writes_splits(tmp_path, capsys):
    assert dataset.main(["--out", str(tmp_path), "--rows", "100", "--seed", "3"]) == 0
    assert (tmp_path / "train" / "train.csv").is_file()
    assert "manifest" in capsys.readouterr().out
    assert dataset.main(["--out", str(tmp_path / "x"), "--rows", "5", "--seed", "3"]) == 2
