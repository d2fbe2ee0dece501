"""``veob cats-dogs`` and examples/cats_dogs_baseline.py on a tiny tar.gz of synthetic cat.N / dog.N JPEGs."""

import csv
import io
import json
import runpy
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PIL")

from veob.cli import main  # noqa: E402
from veob.cli._cmd_cats_dogs import format_cats_dogs_table, write_probabilities_csv  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cats_dogs_baseline.py"


def _texture(label, rng, side=64):
    """Cats: horizontal red stripes; dogs: vertical blue stripes (random period, phase and noise)."""
    image = rng.integers(0, 70, (side, side, 3)).astype(np.int32)
    period, phase = rng.integers(4, 9), rng.integers(0, 9)
    band = ((np.arange(side) + phase) // period) % 2 == 0
    if label == 0:
        image[band, :, 0] += 150
    else:
        image[:, band, 2] += 150
    return image.clip(0, 255).astype(np.uint8)


def _jpeg(image):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def _add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """train.tar.gz with 30 cats and 30 dogs; a test folder of 6 unlabelled images 1.jpg ... 12.jpg."""
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("catsdogs")
    archive = root / "train.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for label, name in ((0, "cat"), (1, "dog")):
            for i in range(30):
                _add(tar, f"train/{name}.{i}.jpg", _jpeg(_texture(label, rng)))
    test = root / "test1"
    test.mkdir()
    truth = {}
    for i, label in zip((1, 2, 10, 11, 12, 3), (0, 1, 0, 1, 1, 0)):
        (test / f"{i}.jpg").write_bytes(_jpeg(_texture(label, rng, side=80)))
        truth[str(i)] = label
    return archive, test, truth


def test_cats_dogs_command(images, tmp_path, capsys):
    archive, test, truth = images
    out = tmp_path / "out"
    assert main(["cats-dogs", "--images", str(archive), "--predict", str(test), "--out", str(out),
                 "--progress"]) == 0
    captured = capsys.readouterr()
    text = captured.out
    for stage in ("reading the images of", "ImageClassifier.fit on 48 images", "predicting 12 held-out images",
                  "ImageClassifier.fit on all 60 images", "predicting"):  # issue 19: every stage shows progress
        assert stage in captured.err, stage
    assert "held-out accuracy" in text and "precision" in text and "seed Keras CNN" in text
    report = json.loads((out / "report.json").read_text())
    metrics = report["metrics"]
    assert metrics["n_train"] == 48 and metrics["n_test"] == 12
    assert metrics["val_accuracy"] >= 0.9 and metrics["val_log_loss"] < 0.5
    cm = np.array(metrics["confusion_matrix"])
    assert cm.sum() == 12 and cm.sum(axis=1).tolist() == [6, 6]
    assert set(report["timings"]) >= {"load", "fit_80", "predict_20", "fit_all", "predict_folder"}
    assert report["seed_notebook"]["val_accuracy"] == 0.8184
    with open(out / "predictions.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["id", "label"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "10", "11", "12"]  # natural order of the ids
    dog = {r[0]: float(r[1]) for r in rows[1:]}
    assert all(0 <= p <= 1 for p in dog.values())
    assert sum((dog[k] > 0.5) == bool(v) for k, v in truth.items()) >= 5
    assert (out / "cats_dogs_table.md").read_text().startswith("| | veob ImageClassifier")
    assert not list(out.glob(".*.tmp"))
    if report["figure"]:
        assert Path(report["figure"]).stat().st_size > 1000


def test_cats_dogs_usage_errors(images, tmp_path, capsys):
    archive, _, _ = images
    assert main(["cats-dogs", "--images", str(tmp_path / "missing.tar.gz"), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["cats-dogs", "--images", str(archive), "--limit", "3", "--out", str(tmp_path)]) == 2
    assert "--limit 3 must be >= 8" in capsys.readouterr().err
    assert main(["cats-dogs", "--images", str(archive), "--predict", str(tmp_path / "nope"),
                 "--out", str(tmp_path)]) == 2
    assert "--predict" in capsys.readouterr().err
    assert main(["cats-dogs", "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "cats_vs_dogs/train_128.tar.gz" in capsys.readouterr().err


def test_write_probabilities_csv(tmp_path):
    path = write_probabilities_csv(tmp_path / "sub" / "p.csv", ["test1/10.jpg", "test1/9.jpg", "b/x2.png"],
                                   [0.25, 1.0, 0.5])
    assert path.read_text() == "id,label\n9,1.000000\n10,0.250000\nx2,0.500000\n"
    assert not list((tmp_path / "sub").glob(".*"))
    with pytest.raises(ValueError, match="one per file name"):
        write_probabilities_csv(tmp_path / "q.csv", ["1.jpg"], [0.1, 0.2])


def test_table_has_the_seed_numbers():
    metrics = {"n_train": 16000, "n_test": 4000, "val_accuracy": 0.85, "val_log_loss": 0.35,
               "confusion_matrix": [[1700, 300], [300, 1700]],
               "classification_report": {"cat": {"precision": 0.85, "recall": 0.85},
                                         "dog": {"precision": 0.85, "recall": 0.85}}}
    table = format_cats_dogs_table(metrics, {"fit_80": 300.0, "predict_20": 30.0})
    assert "| accuracy | 0.8500 | 0.8184 |" in table and "| log loss | 0.3500 | 0.5144 |" in table
    assert "every labelled image" not in table


def test_example_script(images, tmp_path, monkeypatch, capsys):
    archive, test, _ = images
    out = tmp_path / "example"
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--images", str(archive), "--predict", str(test),
                                      "--out", str(out), "--no-refit"])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    text = capsys.readouterr().out
    assert "accuracy" in text and "log loss" in text
    assert (out / "predictions.csv").read_text().startswith("id,label\n1,")
