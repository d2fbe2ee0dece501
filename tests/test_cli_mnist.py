"""``veob mnist`` and examples/mnist.py on a small MNIST-format folder built from scikit-learn's digits."""

import gzip
import json
import runpy
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("chromadb")
pytest.importorskip("matplotlib")

from veob.cli import main  # noqa: E402
from veob.store import ChromaStore  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mnist.py"


def _idx(magic, array):
    return struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The 1,797 8x8 digits scaled to 28x28 uint8, as MNIST idx files: 1,400 train, 397 test."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    big = np.kron(digits.images, np.ones((3, 3))) * (255 / 16)
    images = np.zeros((len(big), 28, 28))
    images[:, 2:26, 2:26] = big
    root = tmp_path_factory.mktemp("data")
    folder = root / "mnist"
    folder.mkdir()
    for split, rows in (("train", slice(0, 1400)), ("t10k", slice(1400, None))):
        (folder / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(2051, images[rows])))
        (folder / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(2049, digits.target[rows])))
    return root


def test_mnist_command_runs_both_pipelines(data, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["mnist", "--data", str(data), "--out", str(out), "--components", "20"]) == 0
    text = capsys.readouterr().out
    assert "paper pipeline" in text and "patch pipeline" in text
    report = json.loads((out / "report.json").read_text())
    paper, patch = report["metrics"]["paper"], report["metrics"]["patch"]
    assert paper["train_top1"] == 1.0  # a training image is its own best match
    assert paper["test_top3"] > 0.95 and paper["test_top1"] > 0.85
    assert patch["test_top1"] > 0.93
    for name in ("singular_values", "match_grid_correct", "match_grid_wrong"):
        assert (out / f"{name}.png").stat().st_size > 1000
    store = ChromaStore(out / "chroma")
    assert store.count("mnist-digits-svd20") == 1797
    assert paper["chroma"]["count"] == 1797


def test_mnist_command_bad_input(data, tmp_path, capsys):
    assert main(["mnist", "--data", str(data), "--out", str(tmp_path), "--pipelines", "paper,cnn"]) == 2
    assert "'cnn' is not one of paper, patch" in capsys.readouterr().err
    assert main(["mnist", "--data", str(data), "--out", str(tmp_path), "--components", "0"]) == 2
    assert "--components 0 must be >= 1" in capsys.readouterr().err
    assert main(["mnist", "--data", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_mnist_example_runs(data, tmp_path, capsys, monkeypatch):
    out = tmp_path / "example"
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--data", str(data), "--out", str(out), "--skip-patch"])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    text = capsys.readouterr().out
    assert "paper pipeline" in text and "Chroma: 1,797 vectors" in text
    assert (out / "match_grid_wrong.png").exists()


def test_mnist_patch_pipeline_shows_progress_when_asked_and_never_with_quiet(data, tmp_path, capsys):
    # issue 19: the patch pipeline printed nothing for minutes
    argv = ["mnist", "--data", str(data), "--out", str(tmp_path / "out"), "--pipelines", "patch", "--limit", "300",
            "--no-store"]
    assert main(argv + ["--progress"]) == 0
    err = capsys.readouterr().err
    for stage in ("PatchEmbedder.fit: stage-1 filters", "stage-2 filters", "block histograms",
                  "PatchEmbedder.transform", "LeastSquaresClassifier.fit", "predicting"):
        assert stage in err, stage



def test_progress_is_off_with_quiet_and_off_the_terminal_unless_asked(monkeypatch):
    import types

    from veob.cli._common import show_progress

    for tty, progress, quiet, shown in [(True, False, False, True), (False, False, False, False),
                                        (False, True, False, True), (True, True, True, False)]:
        monkeypatch.setattr(sys.stderr, "isatty", lambda tty=tty: tty, raising=False)
        assert show_progress(types.SimpleNamespace(progress=progress, quiet=quiet)) is shown
