"""veob.text ContextEmbedder, DictionaryEmbedder and SentenceEmbedder, and their kernels."""

import numpy as np
import pytest
import scipy.sparse as sp

import veob
from veob.spectral import spectral_transform
from veob.text import (
    ContextEmbedder,
    DictionaryEmbedder,
    SentenceEmbedder,
    WordVectors,
    _cooc,
    _kernels,
    _reference,
    as_corpus,
)
from veob.text._sentence import sentence_coefficients


def _random_corpus(seed, n_sent=40, n_words=12):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 9, n_sent)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    ids = rng.integers(0, n_words, offsets[-1]).astype(np.int64)
    return ids, offsets, n_words


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("bags", [1, 2])
@pytest.mark.parametrize("window", [1, 2, 4])
def test_cooccurrence_kernel_matches_reference(seed, bags, window):
    ids, offsets, n = _random_corpus(seed)
    weights = 1.0 / np.arange(1, window + 1)
    X = _cooc.cooccurrence_matrix(ids, offsets, n, window, weights, bags=bags)
    ref = _reference.cooccurrence(ids, offsets, n, window, weights, bags=bags)
    assert X.shape == ref.shape and X.has_sorted_indices
    assert np.allclose(X.toarray(), ref.toarray())
    assert all(np.all(np.diff(X.indices[X.indptr[i]:X.indptr[i + 1]]) > 0) for i in range(n))


@pytest.mark.parametrize("window", [1, 3])
def test_padded_positions_match_reference(window):
    ids, offsets, n = _random_corpus(1)
    got = _kernels.padded_positions(ids, offsets, n, window)
    ref = _reference.padded_positions(ids, offsets, n, window)
    for a, b in zip(got, ref):
        assert np.array_equal(a, b)
    padded = got[0]
    assert padded[:window].tolist() == [-1] * window and np.array_equal(padded[padded >= 0], ids)


def test_subsample_kernel_matches_reference_and_ignores_chunking():
    ids, offsets, n = _random_corpus(4, n_sent=200)
    remap = np.where(np.arange(n) % 5 == 4, -1, np.arange(n)).astype(np.int64)  # every 5th word dropped
    keep_prob = np.linspace(0.1, 1.0, n)
    seed = np.uint64(1234567)
    out_ids = np.empty_like(ids)
    out_off = np.empty_like(offsets)
    k = _kernels.subsample_tokens(ids, offsets, remap, keep_prob, seed, 0, out_ids, out_off)
    ref_ids, ref_off = _reference.subsample_tokens(ids, offsets, remap, keep_prob, int(seed), 0)
    assert np.array_equal(out_ids[:k], ref_ids) and np.array_equal(out_off, ref_off)
    assert not np.isin(ref_ids, np.flatnonzero(remap < 0)).any()
    # the draw of a token depends on its global position only, not on the chunk it is in
    cut = int(offsets[100])
    first, second = np.empty_like(ids), np.empty_like(ids)
    k1 = _kernels.subsample_tokens(ids[:cut], offsets[:101], remap, keep_prob, seed, 0, first, np.empty(101, np.int64))
    k2 = _kernels.subsample_tokens(ids[cut:], offsets[100:] - cut, remap, keep_prob, seed, cut, second,
                                   np.empty(offsets.shape[0] - 100, np.int64))
    assert np.array_equal(np.concatenate([first[:k1], second[:k2]]), out_ids[:k])
    # keep rates follow keep_prob
    u = np.array([_kernels.uniform_at(seed, i) for i in range(20000)])
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    assert all(_reference.uniform_at(int(seed), i) == u[i] for i in range(50))


def test_weightings_match_dense_formulas():
    ids, offsets, n = _random_corpus(2)
    X = _cooc.cooccurrence_matrix(ids, offsets, n, 2, np.ones(2))
    P = _cooc.ppmi(X, cds=0.75, shift=2.0)
    assert np.allclose(P.toarray(), _reference.ppmi_dense(X.toarray(), 0.75, 2.0))
    N = _cooc.normalize_bags(X, 2).toarray()
    sums = np.stack([N[:, :n].sum(1), N[:, n:].sum(1)], axis=1)
    dense = X.toarray()
    has = np.stack([dense[:, :n].sum(1), dense[:, n:].sum(1)], axis=1) > 0
    assert np.allclose(sums[has], 1.0) and np.all(sums[~has] == 0)


def _planted_sentences(seed=0, n=400):
    """Animals occur between 'the' and 'ran/sat'; vehicles between 'a red' and 'stopped/drove'."""
    rng = np.random.default_rng(seed)
    animals, vehicles = ["cat", "dog", "fox", "cow"], ["car", "bus", "van", "truck"]
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            out.append(["the", str(rng.choice(animals)), str(rng.choice(["ran", "sat", "slept"])), "."])
        else:
            out.append(["a", "red", str(rng.choice(vehicles)), str(rng.choice(["stopped", "drove"])), "!"])
    return out, animals, vehicles


_SMALL = dict(subsample=None, min_count=1)  # a toy corpus: every word is "frequent"


@pytest.mark.parametrize("kwargs", [{}, {"preset": "paper"}, {"window": 2, "add_context": False, "eig_power": 0.5},
                                    {"bags": 2, "distance_weighting": "harmonic"}])
def test_context_embedder_recovers_planted_groups(kwargs):
    sentences, animals, vehicles = _planted_sentences()
    emb = ContextEmbedder(n_components=4, random_state=0, **_SMALL, **kwargs).fit(sentences)
    wv = emb.word_vectors_
    for group, other in ((animals, vehicles), (vehicles, animals)):
        for w in group:
            inside = min(wv.similarity(w, v) for v in group)
            outside = max(wv.similarity(w, v) for v in other)
            assert inside > outside
    assert emb.singular_values_.shape == (4,) and np.all(np.diff(emb.singular_values_) <= 1e-6)
    assert emb.transform(["cat", "bus"]).shape == (2, 4)


def test_context_embedder_settings():
    sentences, _, _ = _planted_sentences(n=50)
    paper = ContextEmbedder(preset="paper", n_components=3, random_state=0).fit(sentences)
    assert {k: paper.settings_[k] for k in ("window", "weighting", "bags", "distance_weighting", "eig_power",
                                            "add_context", "subsample", "min_count")} == {
        "window": 2, "weighting": "paper", "bags": 2, "distance_weighting": "none", "eig_power": 1.0,
        "add_context": False, "subsample": None, "min_count": 1}
    assert paper.components_.shape[1] == 2 * len(paper.word_vectors_)
    default = ContextEmbedder()._settings()
    assert (default["n_components"], default["window"], default["bags"], default["eig_power"],
            default["add_context"], default["subsample"], default["min_count"]) == (300, 3, 1, 0.0, True, 1e-3, 5)
    assert ContextEmbedder(preset="paper")._settings()["n_components"] == 50
    # U S^p: vectors scale with the singular values
    p0 = ContextEmbedder(n_components=3, add_context=False, random_state=0, **_SMALL).fit(sentences)
    p1 = ContextEmbedder(n_components=3, add_context=False, eig_power=1.0, random_state=0, **_SMALL).fit(sentences)
    ratio = np.linalg.norm(p1.word_vectors_.vectors, axis=0) / np.linalg.norm(p0.word_vectors_.vectors, axis=0)
    assert np.allclose(ratio, p0.singular_values_, rtol=1e-3)
    # W + C: unit word vectors plus unit context vectors
    wc = ContextEmbedder(n_components=3, random_state=0, **_SMALL).fit(sentences)
    U = p0.word_vectors_.vectors / np.linalg.norm(p0.word_vectors_.vectors, axis=1, keepdims=True)
    V = wc.components_.T / np.linalg.norm(wc.components_.T, axis=1, keepdims=True)
    np.testing.assert_allclose(wc.word_vectors_.vectors, U + V, atol=1e-5)
    # rare words are removed before windowing: neither rows nor contexts
    corpus = as_corpus(sentences)
    rare = ContextEmbedder(n_components=3, min_count=20, subsample=None, random_state=0).fit(sentences)
    assert set(rare.word_vectors_.words) == set(corpus.words[corpus.counts >= 20])
    assert rare.components_.shape[1] == len(rare.word_vectors_)
    assert rare.word_counts_.tolist() == corpus.counts[corpus.counts >= 20].tolist()
    # the same corpus as a Corpus object or as token lists gives the same vectors
    again = ContextEmbedder(n_components=3, random_state=0, **_SMALL).fit(corpus)
    assert np.allclose(again.word_vectors_.vectors, wc.word_vectors_.vectors)


def test_context_embedder_subsampling_is_seeded_and_follows_the_threshold():
    sentences = _zipf_sentences(3, n=3000, n_words=300)
    corpus = as_corpus(sentences)
    a = ContextEmbedder(n_components=5, subsample=1e-2, min_count=1, random_state=0).fit(corpus)
    b = ContextEmbedder(n_components=5, subsample=1e-2, min_count=1, random_state=0).fit(corpus)
    c = ContextEmbedder(n_components=5, subsample=1e-2, min_count=1, random_state=1).fit(corpus)
    np.testing.assert_array_equal(a.word_vectors_.vectors, b.word_vectors_.vectors)
    assert a.n_tokens_ == b.n_tokens_ != c.n_tokens_
    f = corpus.counts / corpus.counts.sum()
    expected = float(np.sum(corpus.counts * np.minimum(1.0, np.sqrt(1e-2 / f))))
    assert abs(a.n_tokens_ - expected) < 4 * np.sqrt(expected)  # binomial draws around the expected count
    assert ContextEmbedder(n_components=5, subsample=None, min_count=1).fit(corpus).n_tokens_ == corpus.n_tokens


def test_context_embedder_progress_bar(capsys):
    pytest.importorskip("tqdm")
    sentences, _, _ = _planted_sentences(n=50)
    ContextEmbedder(n_components=3, progress=True, random_state=0, **_SMALL).fit(sentences)
    err = capsys.readouterr().err
    assert "ContextEmbedder" in err and "SVD" in err


def test_context_embedder_errors():
    sentences, _, _ = _planted_sentences(n=20)
    with pytest.raises(ValueError, match="weighting='tfidf'"):
        ContextEmbedder(weighting="tfidf").fit(sentences)
    with pytest.raises(ValueError, match="window=0 must be >= 1"):
        ContextEmbedder(window=0).fit(sentences)
    with pytest.raises(ValueError, match="bags=3"):
        ContextEmbedder(bags=3).fit(sentences)
    with pytest.raises(ValueError, match="cds"):
        ContextEmbedder(cds=1.5).fit(sentences)
    with pytest.raises(ValueError, match="shift"):
        ContextEmbedder(shift=0.5).fit(sentences)
    with pytest.raises(ValueError, match="n_components=500 must be <="):
        ContextEmbedder(n_components=500, **_SMALL).fit(sentences)
    with pytest.raises(ValueError, match="distance_weighting='gauss'"):
        ContextEmbedder(distance_weighting="gauss").fit(sentences)
    with pytest.raises(ValueError, match="preset='word2vec'"):
        ContextEmbedder(preset="word2vec").fit(sentences)
    with pytest.raises(ValueError, match="subsample=0.0 must be > 0"):
        ContextEmbedder(subsample=0.0).fit(sentences)
    with pytest.raises(TypeError, match="add_context='yes'"):
        ContextEmbedder(add_context="yes").fit(sentences)
    with pytest.raises(ValueError, match="no word occurs min_count=1000"):
        ContextEmbedder(min_count=1000).fit(sentences)
    with pytest.raises(ValueError, match="on a small corpus use subsample=None"):
        ContextEmbedder(n_components=2, random_state=0).fit(sentences)


def test_context_embedder_save_load(tmp_path):
    sentences, _, _ = _planted_sentences(n=60)
    emb = ContextEmbedder(n_components=3, random_state=0, **_SMALL).fit(sentences)
    again = veob.load(veob.save(emb, tmp_path / "ctx.veob"))
    assert again.word_vectors_.most_similar("cat", topn=3) == emb.word_vectors_.most_similar("cat", topn=3)


# ------------------------------------------------------------ dictionary

ENTRIES = [
    ("big", ["large", "huge"], ["small"]), ("large", ["big", "huge", "great"], ["small", "little"]),
    ("huge", ["big", "large", "enormous"], ["tiny"]), ("enormous", ["huge", "giant"], []),
    ("small", ["little", "tiny"], ["big", "large"]), ("little", ["small", "tiny"], ["big"]),
    ("tiny", ["small", "little", "minute"], ["huge"]), ("minute", ["tiny"], ["enormous"]),
    ("happy", ["glad", "joyful"], ["sad"]), ("glad", ["happy"], ["sad"]), ("joyful", ["happy", "glad"], []),
    ("sad", ["unhappy", "sorrowful"], ["happy", "glad"]), ("unhappy", ["sad"], ["happy"]),
    ("car", ["auto", "automobile"], []), ("auto", ["car"], []), ("bus", ["coach", "omnibus"], []),
]


def test_dictionary_embedder_synonyms_close():
    emb = DictionaryEmbedder(n_components=6, random_state=0).fit(ENTRIES)
    wv = emb.word_vectors_
    assert {"omnibus", "coach", "automobile", "sorrowful"} <= set(wv.words)  # rows="all"
    assert wv.similarity("big", "large") > wv.similarity("big", "happy")
    assert wv.similarity("happy", "glad") > wv.similarity("happy", "car")
    assert emb.singular_values_.shape == (6,)


def test_dictionary_negative_antonyms_push_apart():
    neg = DictionaryEmbedder(n_components=6, antonym_weight=-1.0, random_state=0).fit(ENTRIES).word_vectors_
    none = DictionaryEmbedder(n_components=6, antonym_weight=0.0, random_state=0).fit(ENTRIES).word_vectors_
    assert neg.similarity("happy", "sad") < none.similarity("happy", "sad")
    assert neg.similarity("happy", "sad") < 0


def test_dictionary_paper_preset_and_formats():
    from veob.datasets import DictionaryEntry

    as_named = [DictionaryEntry(w, s, a, []) for w, s, a in ENTRIES]
    as_dicts = [{"word": w, "synonyms": s, "antonyms": a} for w, s, a in ENTRIES]
    one = DictionaryEmbedder(n_components=5, ortho_components=3, preset="paper", random_state=0).fit(as_named)
    two = DictionaryEmbedder(n_components=5, ortho_components=3, preset="paper", random_state=0).fit(as_dicts)
    assert np.allclose(one.word_vectors_.vectors, two.word_vectors_.vectors)
    assert one.word_vectors_.words.tolist() == [w for w, _, _ in ENTRIES]  # headwords only
    assert one.orthography_ is not None and one.orthography_.word_vectors_.vectors.shape[1] == 3
    assert one.n_antonym_slots_ == len({a for _, _, ants in ENTRIES for a in ants})
    assert one.settings_["ortho_weight"] == "paper"


def test_component_svd_is_exact_for_block_diagonal():
    from veob.text._dictionary import _component_svd

    rng = np.random.default_rng(0)
    blocks = [rng.random((n, n)) for n in (30, 8, 3, 2, 2)]
    R = sp.block_diag(blocks, format="csr")
    P, s, residual = _component_svd(R, None, np.arange(R.shape[1]), 5, "auto", 4, 0)
    U, s_ref, Vt = np.linalg.svd(R.toarray())
    assert np.allclose(s, s_ref[:5], rtol=1e-4)
    assert np.allclose(np.abs(P), np.abs(U[:, :5] * s_ref[:5]), atol=1e-4)
    # the certificate is the residual of the decomposed block (the giant one): its 6th singular value
    assert residual == pytest.approx(np.linalg.svd(blocks[0], compute_uv=False)[5], rel=1e-3)


def test_dictionary_sketch_of_small_groups_and_certificate():
    """Synonym groups left out of the SVD get sketched rows (a group alike); 'project' leaves them at zero."""
    big = [(f"w{i}", [f"w{j}" for j in range(12) if j != i], []) for i in range(12)]
    mid = [(f"v{i}", [f"v{j}" for j in range(6) if j != i], []) for i in range(6)]
    small = [("cat", ["feline", "kitty"], []), ("feline", ["cat", "kitty"], []), ("kitty", ["cat", "feline"], []),
             ("car", ["auto"], []), ("auto", ["car"], [])]
    emb = DictionaryEmbedder(n_components=2, random_state=0).fit(big + mid + small)
    np.testing.assert_allclose(emb.singular_values_, [12, 6], rtol=1e-5)
    wv = emb.word_vectors_
    assert np.linalg.norm(wv["cat"]) > 0 and np.linalg.norm(wv["car"]) > 0
    assert wv.similarity("cat", "kitty") > 0.999 and wv.similarity("car", "auto") > 0.999
    projected = DictionaryEmbedder(n_components=2, small_components="project", random_state=0).fit(big + mid + small)
    assert np.allclose(projected.word_vectors_["cat"], 0)  # outside the decomposed blocks: no relation part
    np.testing.assert_allclose(projected.word_vectors_["w0"], emb.word_vectors_["w0"])
    # the certificate: the residual of the decomposed blocks (two cliques of rank 1) is zero
    assert 0 <= emb.svd_residual_ < 1e-4 * emb.singular_values_[0]


def test_dictionary_entries_validation():
    """First entry of a word wins, empty strings are dropped, any iterable of synonyms is read once."""
    from veob.datasets import DictionaryEntry
    from veob.text._dictionary import _check_entries

    out = _check_entries([("a", ["b", ""], ["c"]), ("a", ["x"], []), DictionaryEntry("d", iter(["e"]), (), []),
                          {"word": "f", "synonyms": ("g",)}])
    assert [(w, list(syn), list(ant)) for w, syn, ant in out] == [("a", ["b"], ["c"]), ("d", ["e"], []),
                                                                  ("f", ["g"], [])]
    with pytest.raises(TypeError, match=r"entries\[1\] has word ''; expected a non-empty str"):
        _check_entries([("a", [], []), ("", ["b"], [])])
    with pytest.raises(TypeError, match=r"entries\[2\] \('c'\) has non-str antonyms"):
        _check_entries([("a", [], []), ("b", ["x"], []), ("c", [], [None])])


def test_dictionary_errors():
    with pytest.raises(ValueError, match="preset='best'"):
        DictionaryEmbedder(preset="best").fit(ENTRIES)
    with pytest.raises(TypeError, match="got a str"):
        DictionaryEmbedder().fit("big")
    with pytest.raises(ValueError, match="empty"):
        DictionaryEmbedder().fit([])
    with pytest.raises(TypeError, match="non-str synonyms"):
        DictionaryEmbedder(n_components=2).fit([("a", [1], [])])
    with pytest.raises(ValueError, match="antonyms='mixed'"):
        DictionaryEmbedder(antonyms="mixed").fit(ENTRIES)
    with pytest.raises(ValueError, match="n_components=100 must be <="):
        DictionaryEmbedder(n_components=100).fit(ENTRIES)
    with pytest.raises(TypeError, match="antonym_weight"):
        DictionaryEmbedder(antonym_weight="neg").fit(ENTRIES)


# ------------------------------------------------------------ sentences

@pytest.mark.parametrize("n_points", [32, None])
@pytest.mark.parametrize("kind", ["paper", "dct2"])
def test_sentence_spectra_kernel_matches_reference(n_points, kind):
    ids, offsets, n = _random_corpus(3)
    rng = np.random.default_rng(3)
    table = rng.standard_normal((n, 5))
    weights = rng.random(n)
    max_len = int(np.diff(offsets).max())
    coef = sentence_coefficients(kind, n_points, 3, max_len)
    out = np.empty((len(offsets) - 1, 15))
    _kernels.sentence_spectra(ids, offsets, 0, weights, coef, table, out)
    assert np.allclose(out, _reference.sentence_spectra(ids, offsets, weights, coef, table))
    part = np.empty((5, 15))
    _kernels.sentence_spectra(ids, offsets, 7, weights, coef, table, part)
    assert np.allclose(part, out[7:12])


def test_sentence_vector_sums_over_all_words():
    """The paper preset equals veob.spectral_transform of the explicit word-vector sequences."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(6)]
    wv = WordVectors(words, rng.standard_normal((6, 4)))
    sentences = [["w0", "w1", "w2"], ["w3", "w1"], ["w5", "w4", "w0", "w2"], ["w2"]] * 20
    emb = SentenceEmbedder(wv, preset="paper", n_components=10).fit(sentences)
    seqs = [wv[s] for s in sentences]
    X = spectral_transform(seqs, n_points=32, n_freqs=6)
    assert np.allclose(emb.embedding_, X @ emb.components_.T, atol=1e-4)
    # not the last word only (the reference code's defect)
    last_only = spectral_transform([wv[s][-1:] for s in sentences], n_points=32, n_freqs=6)
    assert not np.allclose(X, last_only)
    assert np.allclose(emb.transform(sentences[:4]), emb.embedding_[:4], atol=1e-5)


def test_sentence_embedder_defaults():
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(30)]
    wv = WordVectors(words, rng.standard_normal((30, 6)))
    sentences = [list(rng.choice(words, rng.integers(1, 9))) for _ in range(300)]
    emb = SentenceEmbedder(wv, n_components=5).fit(sentences)
    assert emb.settings_["kind"] == "dct2" and emb.settings_["weighting"] == "sif"
    assert emb.embedding_.shape == (300, 5) and emb.removed_singular_values_.shape == (1,)
    assert emb.removed_singular_values_[0] >= emb.singular_values_[0]
    # transform of the fitted sentences reproduces the embedding; unknown tokens are skipped
    assert np.allclose(emb.transform(sentences[:10]), emb.embedding_[:10], atol=1e-4)
    assert np.allclose(emb.transform([sentences[0] + ["unknown"]]), emb.embedding_[:1], atol=1e-4)
    hits = emb.most_similar(sentences[3], topn=3)
    assert hits[0][1] < 1e-5 and sentences[hits[0][0]] == sentences[3]
    assert emb.most_similar(emb.embedding_[3], topn=1)[0][1] < 1e-5
    # SIF weights: a / (a + p(w)) with p from the fitted sentences
    counts = as_corpus(sentences, vocabulary=words).counts
    assert np.allclose(emb.word_weights_, 1e-3 / (1e-3 + counts / counts.sum()))


def test_sentence_embedder_errors():
    wv = WordVectors(["a", "b"], np.eye(2))
    with pytest.raises(TypeError, match="word_vectors must be a WordVectors"):
        SentenceEmbedder(np.eye(2)).fit([["a"]])
    with pytest.raises(ValueError, match="preset='fast'"):
        SentenceEmbedder(wv, preset="fast").fit([["a"]])
    with pytest.raises(ValueError, match="must be <= min"):
        SentenceEmbedder(wv, n_components=10).fit([["a", "b"]] * 5)
    with pytest.raises(ValueError, match="weighting='tf'"):
        SentenceEmbedder(wv, weighting="tf").fit([["a"]])
    with pytest.raises(TypeError, match="not a str"):
        SentenceEmbedder(wv, n_components=1).fit([["a", "b"], ["b"]] * 3).most_similar("a b")


def test_sentence_embedder_save_load(tmp_path):
    rng = np.random.default_rng(2)
    wv = WordVectors([f"w{i}" for i in range(10)], rng.standard_normal((10, 3)))
    sentences = [[f"w{j}" for j in rng.integers(0, 10, 4)] for _ in range(50)]
    emb = SentenceEmbedder(wv, n_components=3).fit(sentences)
    again = veob.load(veob.save(emb, tmp_path / "sent.veob"))
    assert np.allclose(again.transform(sentences[:5]), emb.transform(sentences[:5]))


def test_real_data_embedders(data_root):
    from veob.datasets import load_dictionary, load_imdb
    from veob.text import prepare_corpus

    texts = load_imdb(data_root / "imdb" / "aclImdb.tar.gz", subsets="unsup").texts[:3000]
    corpus = prepare_corpus(texts, progress=False)
    ctx = ContextEmbedder(n_components=50, random_state=0).fit(corpus).word_vectors_
    assert "film" in [w for w, _ in ctx.most_similar("movie", topn=5)]
    entries = load_dictionary(data_root / "simple_english_dictionary" / "merged.json.gz")[:4000]
    dic = DictionaryEmbedder(n_components=100, random_state=0).fit(entries).word_vectors_
    assert dic.similarity("abandon", "forsake") > dic.similarity("abandon", "acre") + 0.3
    sent = SentenceEmbedder(ctx, n_components=20).fit(corpus)
    assert sent.embedding_.shape == (corpus.n_sentences, 20)
    assert sent.most_similar(corpus.sentence(5), topn=1)[0][1] < 1e-4


# ------------------------------------------------------------ out-of-core context counts

def _zipf_sentences(seed=0, n=1500, n_words=200):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(n_words)]
    return [[vocab[j] for j in rng.zipf(1.5, size=rng.integers(0, 12)) % n_words] for _ in range(n)]


@pytest.mark.parametrize("kwargs", [{"preset": "paper"}, {"bags": 2, "subsample": None},
                                    {"subsample": 0.01, "min_count": 3}])
def test_fit_chunks_equals_fit_on_the_concatenation(kwargs):
    sentences = _zipf_sentences()
    whole = ContextEmbedder(n_components=8, random_state=0, **kwargs).fit(sentences)
    chunks = (sentences[i:i + 400] for i in range(0, len(sentences), 400))  # a generator, read once
    parts = ContextEmbedder(n_components=8, random_state=0, **kwargs).fit_chunks(chunks)
    assert parts.n_chunks_ == 4 and parts.n_tokens_ == whole.n_tokens_
    assert whole.word_vectors_.words.tolist() == parts.word_vectors_.words.tolist()
    assert whole.word_counts_.tolist() == parts.word_counts_.tolist()
    if kwargs.get("preset") == "paper":  # unit weights: integer counts, identical matrices
        np.testing.assert_array_equal(whole.singular_values_, parts.singular_values_)
        np.testing.assert_array_equal(whole.word_vectors_.vectors, parts.word_vectors_.vectors)
    else:
        np.testing.assert_allclose(whole.singular_values_, parts.singular_values_, rtol=1e-5)
        np.testing.assert_allclose(whole.word_vectors_.vectors, parts.word_vectors_.vectors, atol=1e-5)


def test_fit_chunks_bad_input():
    with pytest.raises(ValueError, match="chunks is empty"):
        ContextEmbedder(n_components=2).fit_chunks(iter([]))
    with pytest.raises(TypeError, match="chunks must be an iterable"):
        ContextEmbedder(n_components=2).fit_chunks(5)
    with pytest.raises(TypeError, match=r"chunks\[1\]"):
        ContextEmbedder(n_components=2).fit_chunks([[["a", "b"]], [[1, 2]]])


def test_incremental_solver_matches_the_default():
    sentences = _zipf_sentences(2)
    ref = ContextEmbedder(n_components=6, subsample=None, add_context=False, random_state=0).fit(sentences)
    inc = ContextEmbedder(n_components=6, subsample=None, add_context=False, solver="incremental").fit(sentences)
    np.testing.assert_allclose(inc.singular_values_, ref.singular_values_, rtol=1e-4)
    cos = np.abs(np.sum(ref.word_vectors_.vectors * inc.word_vectors_.vectors, axis=0)) / (
        np.linalg.norm(ref.word_vectors_.vectors, axis=0) * np.linalg.norm(inc.word_vectors_.vectors, axis=0))
    assert np.all(cos > 0.999)
