"""``veob compose``: fit on a tiny synthetic IMDB archive, save/load the model, Chroma, errors."""

import io
import json
import tarfile

import numpy as np
import pytest

import veob
from veob.cli import main

POS = ["great", "wonderful", "loved", "superb"]
NEG = ["awful", "boring", "hated", "dull"]
FILLER = ["the", "film", "story", "was", "and", "it", "a", "plot", "actor", "scene", "music", "very"]


def make_imdb(root, n=40, seed=0):
    """imdb/aclImdb.tar.gz with train/pos and train/neg reviews (and one test review each)."""
    rng = np.random.default_rng(seed)
    reviews = {}
    for label, words in (("pos", POS), ("neg", NEG)):
        for i in range(n):
            sentences = [" ".join(rng.choice(FILLER, size=rng.integers(4, 9))).capitalize() + " "
                         + " ".join(rng.choice(words, size=2)) + "." for _ in range(rng.integers(1, 4))]
            reviews[f"aclImdb/train/{label}/{i}_{8 if label == 'pos' else 2}.txt"] = "<br /><br />".join(sentences)
        reviews[f"aclImdb/test/{label}/0_{8 if label == 'pos' else 2}.txt"] = f"The film was {words[0]}."
    (root / "imdb").mkdir(parents=True)
    with tarfile.open(root / "imdb" / "aclImdb.tar.gz", "w:gz") as tar:
        for name, text in reviews.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return root


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_imdb(tmp_path_factory.mktemp("imdb-data"))


def _share(reviews, words):
    return np.mean([any(w in r.lower() for w in words) for r in reviews])


def test_compose_fits_saves_loads_and_writes_the_sentiment(data, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["compose", "--label", "pos", "-n", "6", "--data", str(data), "--out", str(out), "--seed", "1"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "fitted on 80 training reviews" in printed and "saved" in printed
    report = json.loads((out / "report.json").read_text())
    assert report["label"] == "pos" and len(report["reviews"]) == 6
    assert _share(report["reviews"], POS) >= 0.8 and _share(report["reviews"], NEG) <= 0.34
    model = veob.load(out / "composer.veob")
    assert model.classes_.tolist() == [0, 1]
    # second run: the saved model is loaded, same seed -> same reviews
    assert main(argv) == 0
    assert "loaded" in capsys.readouterr().out
    assert json.loads((out / "report.json").read_text())["reviews"] == report["reviews"]
    assert main(["compose", "--label", "neg", "-n", "6", "--out", str(out), "--quiet"]) == 0
    neg = json.loads((out / "report.json").read_text())["reviews"]
    assert _share(neg, NEG) >= 0.8 and _share(neg, POS) <= 0.34


def test_compose_limit_and_store(data, tmp_path, capsys):
    pytest.importorskip("chromadb")
    from veob.store import ChromaStore

    out = tmp_path / "out"
    chroma = tmp_path / "chroma"
    assert main(["compose", "--label", "neg", "-n", "4", "--data", str(data), "--out", str(out), "--limit", "30",
                 "--chroma", str(chroma)]) == 0  # storing is the default (--no-store turns it off)
    assert "fitted on 30 training reviews" in capsys.readouterr().out
    store = ChromaStore(chroma)
    assert store.count("composed_reviews") == 4
    got = store.get("composed_reviews", ids=["neg-0-0"])
    assert got[0].metadata["label"] == "neg" and got[0].metadata["seed"] == 0 and got[0].document


@pytest.mark.parametrize("extra, message", [
    (["--top-p", "1.5"], "--top-p 1.5 must lie in (0, 1]"),
    (["-n", "0"], "-n 0 must be >= 1"),
    (["--temperature", "0"], "--temperature 0.0 must be > 0"),
    (["--limit", "1"], "--limit 1 must be >= 2"),
])
def test_compose_usage_errors(extra, message, tmp_path, capsys):
    assert main(["compose", "--label", "pos", "--out", str(tmp_path)] + extra) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_compose_without_data_or_with_a_bad_model(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("VEOB_DATA", raising=False)
    assert main(["compose", "--label", "pos", "--out", str(tmp_path)]) == 2
    assert "no data folder" in capsys.readouterr().err
    bad = tmp_path / "model.veob"
    bad.write_bytes(b"not a model")
    assert main(["compose", "--label", "pos", "--model", str(bad), "--out", str(tmp_path)]) == 2
    assert "is not a veob model file" in capsys.readouterr().err
