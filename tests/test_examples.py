"""The example scripts that no other test runs, in their small-data mode on synthetic data."""

import importlib.util
import json
import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load_test_module(name):
    spec = importlib.util.spec_from_file_location(f"_veob_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def pendigits_data(tmp_path):
    """The tiny synthetic pendigits archive of tests/test_cli_pendigits.py (3 shapes, 120 + 30 digits)."""
    return _load_test_module("test_cli_pendigits").data.__wrapped__(tmp_path)


def _run(script, argv, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / script), *argv])
    module = runpy.run_path(str(EXAMPLES / script), run_name="example")
    return module["main"](argv)


def test_pen_digits_small_data(pendigits_data, tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    _run("pen_digits.py", ["--data", str(pendigits_data), "--out", str(out), "--limit", "60"], monkeypatch)
    text = capsys.readouterr().out
    assert "60 training / 30 test trajectories" in text  # the test split has 30: --limit keeps all of it
    for method in ("1-NN, raw 16 coordinates", "spectral transform + 1-NN (CellIndex exact)",
                   "TrajectoryClassifier(random_state=0)"):
        assert method in text
    for name in ("pendigits_confusion.png", "pendigits_neighbours.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pen_digits_refuses_a_tiny_limit(pendigits_data, tmp_path, monkeypatch, capsys):
    with pytest.raises(SystemExit):
        _run("pen_digits.py", ["--data", str(pendigits_data), "--limit", "3"], monkeypatch)
    assert "--limit 3 is too small: pass at least 20" in capsys.readouterr().err


def test_review_composer_small_data(tmp_path, monkeypatch, capsys):
    pytest.importorskip("chromadb")
    root = _load_test_module("test_cli_compose").make_imdb(tmp_path / "data")  # 80 synthetic reviews
    docs, chroma = tmp_path / "composer.md", tmp_path / "chroma"
    argv = ["--data", str(root / "imdb" / "aclImdb.tar.gz"), "--n-generate", "2", "--docs", str(docs),
            "--chroma", str(chroma)]
    assert _run("review_composer.py", argv, monkeypatch) == 0
    text = capsys.readouterr().out
    assert "train 80 reviews, test 2 reviews" in text and "\npos reviews:\n" in text and "\nneg reviews:\n" in text
    assert "| perplexity / Kneser-Ney trigram |" in docs.read_text()
    assert "stored 4 generated reviews" in text


def test_imdb_baseline_small_data(tmp_path, monkeypatch, capsys):
    sentiment = _load_test_module("test_baselines_sentiment")
    sentiment._write_aclimdb(tmp_path / "data", sentiment.fake_imdb(n_train=80, n_test=40, n_unsup=40))
    out = tmp_path / "out"
    _run("imdb_baseline.py", ["--data", str(tmp_path / "data"), "--out", str(out), "--limit", "20"], monkeypatch)
    text = capsys.readouterr().out
    assert "SentimentClassifier():" in text and "validation accuracy" in text
    assert "| exp | setting |" in text and "learning curve: 10" in text
    assert (out / "imdb_table.md").read_text().startswith("| exp |")
    assert {r["experiment"] for r in json.loads((out / "report.json").read_text())["rows"]} >= {"a", "c", "e"}
