"""``veob query`` embeds new text with the saved model, lists ids, names its flags (issue 19)."""

import numpy as np
import pytest

pytest.importorskip("chromadb")

from veob import save  # noqa: E402
from veob.cli import main  # noqa: E402
from veob.store import ChromaStore  # noqa: E402
from veob.text import ContextEmbedder, OrthographyEmbedder, SentenceEmbedder, WordVectors  # noqa: E402

RNG = np.random.default_rng(0)
VOCAB = ["the", "cat", "dog", "sat", "ran", "on", "a", "mat", "red", "car", "bus", "stopped", "film", "was", "good"]
SENTENCES = [[str(w) for w in RNG.choice(VOCAB, size=RNG.integers(3, 8))] for _ in range(200)]


def _one_line_error(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err, err
    assert "\n" not in err and "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    context = ContextEmbedder(n_components=4, random_state=0).fit(SENTENCES)
    sentences = SentenceEmbedder(context.word_vectors_, n_components=4).fit(SENTENCES)
    ortho = OrthographyEmbedder(n_components=8, random_state=0).fit(VOCAB)
    wv = WordVectors(VOCAB, RNG.standard_normal((len(VOCAB), 3)).astype(np.float32))
    return {name: save(model, folder / f"{name}.veob") for name, model in
            [("context", context), ("sentences", sentences), ("ortho", ortho), ("words", wv)]}, \
        {"context": context, "sentences": sentences, "ortho": ortho, "words": wv}


def test_query_embeds_a_sentence_with_a_saved_sentence_embedder(models, capsys):
    paths, fitted = models
    assert main(["query", "--model", str(paths["sentences"]), "--text", "The cat sat on a mat.", "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "3 nearest fitted sentences of 'The cat sat on a mat.'" in out
    header = out.splitlines()[1].split()
    assert header == ["rank", "sentence", "distance"]  # distances are called distances
    got = [(int(r[1]), float(r[2])) for r in (line.split() for line in out.splitlines()[2:5])]
    want = fitted["sentences"].most_similar(["the", "cat", "sat", "on", "a", "mat", "."], topn=3)
    assert [i for i, _ in got] == [i for i, _ in want]
    np.testing.assert_allclose([d for _, d in got], [d for _, d in want], rtol=1e-3, atol=1e-4)
    _one_line_error(capsys, ["query", "--model", str(paths["sentences"]), "--text", "zebra quagga"],
                    "none of the words of --text 'zebra quagga' (tokens: zebra quagga) has a vector")


def test_query_searches_the_word_vectors_of_a_saved_context_embedder(models, capsys):
    paths, fitted = models
    assert main(["query", "--model", str(paths["context"]), "--text", "Cat", "-k", "4"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split() == ["rank", "word", "cosine", "distance"]
    words = [line.split()[1] for line in out.splitlines()[2:6]]
    assert words == [w for w, _ in fitted["context"].word_vectors_.most_similar("cat", topn=4)]
    _one_line_error(capsys, ["query", "--model", str(paths["context"]), "--text", "zebra"],
                    "the word 'zebra' is not in the vocabulary of this ContextEmbedder (15 words)")
    _one_line_error(capsys, ["query", "--model", str(paths["context"]), "--text", "the cat"],
                    "--text 'the cat' is 2 words; this ContextEmbedder embeds single words")


def test_query_embeds_a_new_word_by_its_spelling_and_reads_word_vectors(models, capsys):
    paths, fitted = models
    assert main(["query", "--model", str(paths["ortho"]), "--text", "cats", "-k", "2"]) == 0  # not in VOCAB
    out = capsys.readouterr().out
    assert out.splitlines()[2].split()[1] == "cat"
    assert main(["query", "--model", str(paths["words"]), "--text", "bus", "-k", "2"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:4]]
    # a known word is left out of its own neighbours (WordVectors.most_similar's default, as in gensim)
    assert [r[1] for r in rows] == [w for w, _ in fitted["words"].most_similar("bus", topn=2)]
    assert "bus" not in [r[1] for r in rows]


@pytest.fixture()
def store_path(tmp_path):
    path = tmp_path / "chroma"
    store = ChromaStore(path)
    X = RNG.standard_normal((30, 4)).astype(np.float32)
    ids = [f"train-{i}" for i in range(20)] + [f"test-{i}" for i in range(10)]
    store.upsert("mnist-digits", X, ids=ids, metadatas=[{"label": j % 10, "split": s.split("-")[0]}
                                                          for j, s in enumerate(ids)], progress=False)
    store.upsert("other", X[:3], progress=False)
    return path


def test_query_list_shows_collections_then_ids_count_and_metadata_keys(store_path, capsys):
    assert main(["query", "--chroma", str(store_path), "--list"]) == 0
    out = capsys.readouterr().out
    assert "2 collections in" in out and "mnist-digits" in out and "30" in out and "other" in out
    assert main(["query", "--chroma", str(store_path), "--collection", "mnist-digits", "--list", "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "30 vectors of dimension 4 (l2); metadata keys: label, split" in out
    assert [line.split()[1] for line in out.splitlines()[2:5]] == ["train-0", "train-1", "train-2"]
    assert "--id train-0" in out


def test_query_unknown_id_hints_at_the_id_pattern(store_path, capsys):
    err = _one_line_error(capsys, ["query", "--chroma", str(store_path), "--collection", "mnist-digits", "--id", "5"],
                          "no vector with id '5' in collection 'mnist-digits', whose ids look like "
                          "train-0, train-1, train-2")
    assert "--list" in err
    assert main(["query", "--chroma", str(store_path), "--collection", "mnist-digits", "--id", "train-5"]) == 0


def test_query_errors_name_cli_flags_not_library_arguments(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    (tmp_path / "store").mkdir()
    err = _one_line_error(capsys, ["query", "--chroma", str(tmp_path / "store"), "--collection", "nope", "--id", "1"],
                          "is not a Chroma store")
    assert "path=" not in err
    err = _one_line_error(capsys, ["query", "--model", str(tmp_path), "--text", "w"], "--model")
    assert "path=" not in err
    err = _one_line_error(capsys, ["demo", "--chroma", str(f), "--out", str(tmp_path / "out")],
                          f"--chroma {str(f)!r} is a file")
    assert "path=" not in err
