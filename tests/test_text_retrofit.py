"""veob.text.retrofit and lexicon_graph."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from veob.datasets import DictionaryEntry
from veob.text import WordVectors, lexicon_graph, retrofit
from veob.text._retrofit import _system

ENTRIES = [DictionaryEntry("hot", ["warm", "scorching", "not-in-vocab"], ["cold"], []),
           ("big", ["large", "huge"], ["small", "tiny"]),
           {"word": "small", "synonyms": ["little", "tiny", "small"], "antonyms": ["big"]},
           ("absent", ["missing"], [])]


def _vectors(seed=0, d=8):
    words = ["hot", "cold", "warm", "scorching", "big", "large", "huge", "small", "little", "tiny", "table"]
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(d)
    V = rng.standard_normal((len(words), d)) * 0.5 + common  # everything alike: distributional vectors
    return WordVectors(words, V)


def test_lexicon_graph_is_symmetric_and_restricted_to_the_vocabulary():
    wv = _vectors()
    S, A = lexicon_graph(wv.words.tolist(), ENTRIES)
    for M in (S, A):
        assert (M != M.T).nnz == 0 and M.diagonal().sum() == 0 and set(np.unique(M.data)) <= {1}
    i = {w: k for k, w in enumerate(wv.words.tolist())}
    assert S[i["hot"], i["warm"]] == 1 and S[i["warm"], i["hot"]] == 1 and A[i["cold"], i["hot"]] == 1
    assert S[i["small"], i["small"]] == 0  # a word is not its own synonym
    assert S.nnz == 2 * 6 and A.nnz == 2 * 3  # ("small", "big") is listed twice, counted once


def test_closed_form_matches_a_direct_solve():
    wv = _vectors()
    S, A = lexicon_graph(wv.words.tolist(), ENTRIES)
    M, diag = _system(S, A, 1.0, 2.0, 3.0)
    assert np.allclose(M.diagonal(), diag) and (abs(M - M.T) > 1e-12).nnz == 0
    assert np.all(np.linalg.eigvalsh(M.toarray()) >= 1.0 - 1e-9)  # SPD, eigenvalues >= alpha
    new = retrofit(wv, ENTRIES, synonym_weight=2.0, antonym_weight=3.0, n_iter=200, tol=1e-10)
    exact = spla.spsolve(sp.csc_matrix(M), wv.unit_vectors())
    np.testing.assert_allclose(new.vectors, exact, atol=1e-8)
    # the solution is the minimiser of the documented quadratic: its gradient vanishes there
    Q0 = wv.unit_vectors()
    grad = M @ new.vectors - Q0
    assert np.abs(grad).max() < 1e-8


def test_synonyms_come_closer_and_antonyms_move_apart():
    wv = _vectors()
    synonyms = (("hot", "warm"), ("big", "large"), ("small", "little"))
    antonyms = (("hot", "cold"), ("big", "small"), ("big", "tiny"))
    plain = retrofit(wv, ENTRIES, antonym_weight=0.0)
    for a, b in synonyms:
        assert plain.similarity(a, b) > wv.similarity(a, b)
    new = retrofit(wv, ENTRIES, antonym_weight=4.0)
    for a, b in antonyms:
        assert new.similarity(a, b) < wv.similarity(a, b) - 0.3
        assert new.similarity(a, b) < plain.similarity(a, b)
    # after the push every synonym pair is closer than every antonym pair
    assert min(new.similarity(a, b) for a, b in synonyms) > max(new.similarity(a, b) for a, b in antonyms)
    # words without dictionary neighbours keep their (unit) vectors
    np.testing.assert_allclose(new["table"], wv.unit_vectors()[wv.index("table")], atol=1e-12)
    assert new.words.tolist() == wv.words.tolist()
    assert retrofit(wv, ENTRIES, n_iter=0).similarity("hot", "cold") == pytest.approx(wv.similarity("hot", "cold"))


def test_float32_stays_float32_and_works_on_loaded_vectors(tmp_path):
    wv = _vectors()
    wv32 = WordVectors(wv.words, wv.vectors.astype(np.float32))
    path = wv32.save_word2vec_format(tmp_path / "v.txt")
    loaded = WordVectors.load_word2vec_format(path)
    new = retrofit(loaded, ENTRIES)
    assert new.vectors.dtype == np.float32
    np.testing.assert_allclose(new.vectors, retrofit(wv, ENTRIES).vectors, atol=1e-5)


def test_bad_arguments():
    wv = _vectors()
    with pytest.raises(TypeError, match="WordVectors"):
        retrofit(wv.vectors, ENTRIES)
    with pytest.raises(ValueError, match="antonym_weight=-1.0 must be a finite number >= 0"):
        retrofit(wv, ENTRIES, antonym_weight=-1.0)
    with pytest.raises(ValueError, match="alpha=0.0 must be a finite number > 0"):
        retrofit(wv, ENTRIES, alpha=0.0)
    with pytest.raises(TypeError, match="synonym_weight='a'"):
        retrofit(wv, ENTRIES, synonym_weight="a")
    with pytest.raises(ValueError, match="entries is empty"):
        retrofit(wv, [])
    with pytest.raises(TypeError, match=r"entries\[0\]"):
        retrofit(wv, [(3, ["a"], [])])


def test_real_dictionary_separates_antonyms(data_root):
    from veob.datasets import load_dictionary

    entries = load_dictionary(data_root / "simple_english_dictionary" / "merged.json.gz")
    words = ["hot", "cold", "warm", "big", "small", "large", "happy", "sad", "glad", "good", "bad", "fine"]
    rng = np.random.default_rng(0)
    wv = WordVectors(words, rng.standard_normal((len(words), 16)) * 0.3 + 1.0)
    new = retrofit(wv, entries, antonym_weight=4.0)
    for a, b in (("hot", "cold"), ("big", "small"), ("happy", "sad"), ("good", "bad")):
        assert new.similarity(a, b) < 0.5 < wv.similarity(a, b)
    for a, b in (("big", "large"), ("happy", "glad")):
        assert new.similarity(a, b) > wv.similarity(a, b)
