"""veob.text WordVectors and OrthographyEmbedder."""

import numpy as np
import pytest

import veob
from veob.spectral._basis import basis_table
from veob.text import OrthographyEmbedder, WordVectors, read_word_pairs


@pytest.fixture
def wv():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(50)]
    return WordVectors(words, rng.standard_normal((50, 8)).astype(np.float32))


def test_word_vectors_basics(wv):
    assert len(wv) == 50 and wv.vector_size == 8 and "w3" in wv and "zz" not in wv and 3 not in wv
    assert np.array_equal(wv["w3"], wv.vectors[3])
    assert wv[["w1", "w2"]].shape == (2, 8)
    assert wv.index("w7") == 7
    with pytest.raises(KeyError, match="'zz' is not in the vocabulary"):
        wv["zz"]
    assert np.allclose(np.linalg.norm(wv.unit_vectors(), axis=1), 1, atol=1e-6)
    assert repr(wv) == "WordVectors(n_words=50, vector_size=8)"


def test_most_similar_brute_force(wv):
    U = wv.vectors / np.linalg.norm(wv.vectors, axis=1, keepdims=True)
    cos = 1 - U @ U[5]
    expected = np.argsort(cos, kind="stable")[:6]
    got = wv.most_similar("w5", topn=6, include_query=True)
    assert [w for w, _ in got] == [f"w{i}" for i in expected]
    assert got[0] == ("w5", 0.0)
    assert np.allclose([d for _, d in got], cos[expected], atol=1e-6)
    # the query word is left out by default (as gensim does), and a vector query matches every row
    assert wv.most_similar("w5", topn=5) == got[1:]
    assert wv.most_similar("w5", topn=5, include_query=False) == got[1:]
    assert [w for w, _ in wv.most_similar(wv["w5"], topn=6)] == [w for w, _ in got]
    eu = np.linalg.norm(wv.vectors - wv.vectors[5], axis=1)
    got_eu = wv.most_similar("w5", topn=4, metric="euclidean", include_query=True)
    assert [w for w, _ in got_eu] == [f"w{i}" for i in np.argsort(eu)[:4]]
    assert np.allclose([d for _, d in got_eu], np.sort(eu)[:4], atol=1e-5)
    assert len(wv.most_similar("w1", topn=500)) == 49
    assert len(wv.most_similar("w1", topn=500, include_query=True)) == 50


class _BruteIndex:
    """A duck-typed fitted index (what CellIndex offers)."""

    def __init__(self, X):
        self.X = np.asarray(X, dtype=np.float64)

    def kneighbors(self, Q, n_neighbors=10, return_distance=True):
        d = np.linalg.norm(self.X[None, :, :] - np.asarray(Q)[:, None, :], axis=2)
        idx = np.argsort(d, axis=1)[:, :n_neighbors]
        return np.take_along_axis(d, idx, axis=1), idx


def test_most_similar_with_an_index(wv):
    cos_index = _BruteIndex(wv.unit_vectors())
    brute = wv.most_similar("w9", topn=5)
    via = wv.most_similar("w9", topn=5, index=cos_index)
    assert [w for w, _ in via] == [w for w, _ in brute]
    assert np.allclose([d for _, d in via], [d for _, d in brute], atol=1e-5)
    eu = wv.most_similar("w9", topn=5, metric="euclidean", index=_BruteIndex(wv.vectors))
    assert [w for w, _ in eu] == [w for w, _ in wv.most_similar("w9", topn=5, metric="euclidean")]
    with pytest.raises(TypeError, match="kneighbors"):
        wv.most_similar("w9", index=object())
    wide = _BruteIndex(np.zeros((80, 8)))
    wide.X[70:] = -1.0 / np.sqrt(8)  # rows 70..79 are the nearest to the query: not rows of wv
    with pytest.raises(ValueError, match="fit it on this object's vectors"):
        wv.most_similar(np.full(8, -1.0), index=wide, topn=5)


def test_word_vectors_errors(wv):
    with pytest.raises(ValueError, match="distinct"):
        WordVectors(["a", "a"], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="rows"):
        WordVectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        WordVectors(["a"], [[np.nan]])
    with pytest.raises(TypeError, match="single str"):
        WordVectors("ab", np.zeros((2, 2)))
    with pytest.raises(ValueError, match="topn=0 must be >= 1"):
        wv.most_similar("w1", topn=0)
    with pytest.raises(ValueError, match="metric='dot'"):
        wv.most_similar("w1", metric="dot")
    with pytest.raises(ValueError, match=r"shape \(8,\)"):
        wv.most_similar(np.zeros(3))


def test_similarity(wv):
    a, b = wv["w1"].astype(np.float64), wv["w2"].astype(np.float64)
    assert wv.similarity("w1", "w2") == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b), abs=1e-6)
    z = WordVectors(["x", "y"], [[0.0, 0.0], [1.0, 0.0]])
    assert z.similarity("x", "y") == 0.0


def test_evaluate_word_pairs_file(tmp_path):
    wv = WordVectors(["car", "auto", "tree", "bird"], np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.3, 0.7]]))
    path = tmp_path / "pairs.txt"
    path.write_text("# word1 word2 score\n\nCar\tauto\t9.0\ncar tree 1.0\n# comment\nbird\ttree\t6.5\n"
                    "car unicorn 5\nbird car 3\n")
    pairs = read_word_pairs(path)
    assert pairs[0] == ("Car", "auto", 9.0) and len(pairs) == 5
    rho, r, n_oov = wv.evaluate_word_pairs(path)
    assert n_oov == 1 and rho == pytest.approx(1.0)
    sims = [wv.similarity(a.lower(), b) for a, b, _ in pairs if b != "unicorn"]
    assert r == pytest.approx(np.corrcoef(sims, [9.0, 1.0, 6.5, 3.0])[0, 1])
    # case-sensitive lookup misses "Car"
    assert wv.evaluate_word_pairs(path, case_insensitive=False)[2] == 2
    assert wv.evaluate_word_pairs([("car", "auto", 1.0), ("x", "y", 2.0)])[2] == 1
    assert np.isnan(wv.evaluate_word_pairs([("car", "auto", 1.0)])[0])


def test_read_word_pairs_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("a b\n")
    with pytest.raises(ValueError, match="line 1"):
        read_word_pairs(bad)
    bad.write_text("a b high\n")
    with pytest.raises(ValueError, match="not a number"):
        read_word_pairs(bad)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_word_pairs(tmp_path / "none.txt")
    wv = WordVectors(["a"], [[1.0]])
    with pytest.raises(ValueError, match="expected \\(word1, word2, score\\)"):
        wv.evaluate_word_pairs([("a", "b")])
    with pytest.raises(TypeError, match="score must be a number"):
        wv.evaluate_word_pairs([("a", "b", "x")])


def test_word_vectors_save_load_round_trip(tmp_path, wv):
    path = veob.save(wv, tmp_path / "wv.veob")
    again = veob.load(path)
    assert isinstance(again, WordVectors)
    assert np.array_equal(again.vectors, wv.vectors) and again.words.tolist() == wv.words.tolist()
    assert again.most_similar("w3", topn=4) == wv.most_similar("w3", topn=4)


# ------------------------------------------------------------ orthography

WORDS = ["frown", "frowning", "frowned", "frowns", "frog", "frogs", "froggy", "twig", "twigs", "twiggy",
         "twist", "twisting", "twilight", "cat", "cats", "act", "tac", "dog", "dogs", "god"]


def test_orthography_blocks_are_concatenated_not_summed():
    from veob.text._orthography import _spectra

    X = _spectra(["ab", "ba"], n_points=15, n_freqs=6)
    assert X.shape == (2, 6 * 128)
    table = basis_table("paper", 15, 6, 2)
    row = X[0].toarray().reshape(6, 128)
    assert np.allclose(row[:, ord("a")], table[:, 0]) and np.allclose(row[:, ord("b")], table[:, 1])
    # the six blocks differ: summing them (the reference code's defect) would lose them
    assert len({tuple(np.round(b, 6)) for b in row}) == 6
    assert not np.allclose(X[0].toarray(), X[1].toarray())


def test_orthography_embedder():
    emb = OrthographyEmbedder(n_components=8).fit(WORDS + ["frog"])
    wv = emb.word_vectors_
    assert len(wv) == len(WORDS) and wv.vectors.shape == (len(WORDS), 8)
    assert emb.n_features_in_ == 768 and emb.components_.shape == (8, 768)
    assert np.all(np.diff(emb.singular_values_) <= 0)
    assert np.allclose(emb.transform(WORDS), wv.vectors, atol=1e-4)
    assert wv.most_similar("frogs", topn=1)[0][0] in ("frog", "froggy")
    new = emb.transform(["twigged", "caf\u00e9"])  # unseen, and a non-ASCII letter (symbol 127)
    assert new.shape == (2, 8) and np.isfinite(new).all()
    assert np.allclose(emb.fit_transform(WORDS), wv.vectors)
    # one row per input row, duplicates included: fit_transform(X) == fit(X).transform(X)
    dup = ["frogs", "twig", "frogs", "frown", "twig", "frogs"] + WORDS
    rows = OrthographyEmbedder(n_components=8).fit_transform(dup)
    assert rows.shape == (len(dup), 8)
    np.testing.assert_allclose(rows, OrthographyEmbedder(n_components=8).fit(dup).transform(dup), atol=1e-4)
    assert np.array_equal(rows[0], rows[2]) and np.array_equal(rows[1], rows[4])


def test_orthography_presets():
    # the preset overrides the spectrum, not an explicit n_components
    paper = OrthographyEmbedder(n_points=30, n_components=8, kind="dct2", preset="paper").fit(WORDS)
    assert paper.settings_ == {"n_points": 15, "n_freqs": 6, "kind": "paper", "n_components": 8}
    same = OrthographyEmbedder(15, 6, 8, kind="paper").fit(WORDS)
    np.testing.assert_array_equal(paper.word_vectors_.vectors, same.word_vectors_.vectors)
    best = OrthographyEmbedder(n_components=8).fit(WORDS)
    assert best.settings_ == {"n_points": 30, "n_freqs": 6, "kind": "dct2", "n_components": 8}
    assert OrthographyEmbedder()._settings()["n_components"] == 64
    assert OrthographyEmbedder(preset="paper")._settings()["n_components"] == 40
    # the low-pass DCT-II blocks: block 0 is the bag of letters (each letter sqrt(1/N))
    from veob.text._orthography import _spectra

    X = _spectra(["aba"], n_points=30, n_freqs=6, kind="dct2").toarray().reshape(6, 128)
    assert np.isclose(X[0, ord("a")], 2 / np.sqrt(30)) and np.isclose(X[0, ord("b")], 1 / np.sqrt(30))
    assert np.allclose(best.transform(WORDS), best.word_vectors_.vectors, atol=1e-4)


def test_orthography_errors():
    with pytest.raises(ValueError, match="n_freqs=20 must be <= n_points=15"):
        OrthographyEmbedder(n_points=15, n_freqs=20).fit(WORDS)
    with pytest.raises(ValueError, match="n_freqs=40 must be <= n_points=30"):
        OrthographyEmbedder(n_freqs=40).fit(WORDS)
    with pytest.raises(ValueError, match="kind='dct3' is not supported"):
        OrthographyEmbedder(kind="dct3").fit(WORDS)
    with pytest.raises(ValueError, match="preset='best' is not supported"):
        OrthographyEmbedder(preset="best").fit(WORDS)
    with pytest.raises(ValueError, match="number of distinct words"):
        OrthographyEmbedder(n_components=40).fit(["a", "b"])
    with pytest.raises(TypeError, match="single str"):
        OrthographyEmbedder().fit("frog")
    with pytest.raises(TypeError, match=r"words\[1\]"):
        OrthographyEmbedder(n_components=1).fit(["a", 2])
    with pytest.raises(ValueError, match="empty"):
        OrthographyEmbedder().fit([])
