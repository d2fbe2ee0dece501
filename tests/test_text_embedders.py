"""veob.text ContextEmbedder, DictionaryEmbedder and SentenceEmbedder, and their kernels."""

import numpy as np
import pytest
import scipy.sparse as sp

import veob
from veob.spectral import spectral_transform
from veob.text import (ContextEmbedder, DictionaryEmbedder, SentenceEmbedder, WordVectors, as_corpus)
from veob.text import _cooc, _kernels, _reference
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


def test_word_positions_and_token_sentences():
    ids, offsets, n = _random_corpus(1)
    ptr = np.zeros(n + 1, np.int64)
    pos = np.empty(ids.shape[0], np.int64)
    _kernels.word_positions(ids, n, ptr, pos)
    ref_ptr, ref_pos = _reference.word_positions(ids, n)
    assert np.array_equal(ptr, ref_ptr) and np.array_equal(pos, ref_pos)
    sent = _kernels.token_sentences(offsets, ids.shape[0])
    assert np.array_equal(sent, np.repeat(np.arange(len(offsets) - 1), np.diff(offsets)))


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


@pytest.mark.parametrize("kwargs", [{}, {"weighting": "ppmi", "window": 2},
                                    {"weighting": "ppmi", "bags": 1, "add_context": True, "eig_power": 0}])
def test_context_embedder_recovers_planted_groups(kwargs):
    sentences, animals, vehicles = _planted_sentences()
    emb = ContextEmbedder(n_components=4, random_state=0, **kwargs).fit(sentences)
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
    paper = ContextEmbedder(n_components=3, random_state=0).fit(sentences)
    assert (paper.window_, paper.distance_weighting_, paper.eig_power_) == (2, "none", 1.0)
    assert paper.components_.shape[1] == 2 * len(paper.word_vectors_)
    ppmi = ContextEmbedder(weighting="ppmi", n_components=3, random_state=0).fit(sentences)
    assert (ppmi.window_, ppmi.distance_weighting_, ppmi.eig_power_) == (3, "linear", 0.5)
    # U S^p: the paper's vectors are U S, ppmi's U S^0.5 of the same kind of decomposition
    same = ContextEmbedder(weighting="ppmi", n_components=3, eig_power=1.0, random_state=0).fit(sentences)
    ratio = np.linalg.norm(same.word_vectors_.vectors, axis=0) / np.linalg.norm(ppmi.word_vectors_.vectors, axis=0)
    assert np.allclose(ratio, np.sqrt(ppmi.singular_values_), rtol=1e-3)
    rare = ContextEmbedder(n_components=3, min_count=20, random_state=0).fit(sentences)
    corpus = as_corpus(sentences)
    assert set(rare.word_vectors_.words) == set(corpus.words[corpus.counts >= 20])
    # the same corpus as a Corpus object or as token lists gives the same vectors
    again = ContextEmbedder(n_components=3, random_state=0).fit(corpus)
    assert np.allclose(again.word_vectors_.vectors, paper.word_vectors_.vectors)


def test_context_embedder_errors():
    sentences, _, _ = _planted_sentences(n=20)
    with pytest.raises(ValueError, match="weighting='tfidf'"):
        ContextEmbedder(weighting="tfidf").fit(sentences)
    with pytest.raises(ValueError, match="window=0 must be >= 1"):
        ContextEmbedder(window=0).fit(sentences)
    with pytest.raises(ValueError, match="bags=3"):
        ContextEmbedder(bags=3).fit(sentences)
    with pytest.raises(ValueError, match="cds"):
        ContextEmbedder(weighting="ppmi", cds=1.5).fit(sentences)
    with pytest.raises(ValueError, match="shift"):
        ContextEmbedder(weighting="ppmi", shift=0.5).fit(sentences)
    with pytest.raises(ValueError, match="n_components=500 must be <="):
        ContextEmbedder(n_components=500).fit(sentences)
    with pytest.raises(ValueError, match="distance_weighting='gauss'"):
        ContextEmbedder(distance_weighting="gauss").fit(sentences)


def test_context_embedder_save_load(tmp_path):
    sentences, _, _ = _planted_sentences(n=60)
    emb = ContextEmbedder(n_components=3, random_state=0).fit(sentences)
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
    ctx = ContextEmbedder(weighting="ppmi", n_components=50, random_state=0).fit(corpus).word_vectors_
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


@pytest.mark.parametrize("weighting, bags", [("paper", 2), ("ppmi", 2), ("ppmi", 1)])
def test_fit_chunks_equals_fit_on_the_concatenation(weighting, bags):
    sentences = _zipf_sentences()
    whole = ContextEmbedder(n_components=8, weighting=weighting, bags=bags, random_state=0).fit(sentences)
    chunks = (sentences[i:i + 400] for i in range(0, len(sentences), 400))  # a generator, read once
    parts = ContextEmbedder(n_components=8, weighting=weighting, bags=bags, random_state=0).fit_chunks(chunks)
    assert parts.n_chunks_ == 4
    assert whole.word_vectors_.words.tolist() == parts.word_vectors_.words.tolist()
    if weighting == "paper":  # unit weights: integer counts, identical matrices
        np.testing.assert_array_equal(whole.singular_values_, parts.singular_values_)
        np.testing.assert_array_equal(whole.word_vectors_.vectors, parts.word_vectors_.vectors)
    else:
        np.testing.assert_allclose(whole.singular_values_, parts.singular_values_, rtol=1e-5)
        np.testing.assert_allclose(whole.word_vectors_.vectors, parts.word_vectors_.vectors, atol=1e-5)


def test_accumulator_merges_counts_exactly_with_a_growing_vocabulary():
    from veob.text._cooc import CooccurrenceAccumulator, cooccurrence_matrix

    sentences = _zipf_sentences(1, n=600)
    full = as_corpus(sentences)
    X = cooccurrence_matrix(full.token_ids, full.offsets, full.words.shape[0], 3, np.array([1.0, 0.5, 0.25]))
    acc = CooccurrenceAccumulator(3, np.array([1.0, 0.5, 0.25]), 2)
    for a in (0, 50, 51, 300):  # includes a one-sentence chunk
        acc.add(as_corpus(sentences[a:{0: 50, 50: 51, 51: 300, 300: 600}[a]]))
    words, counts, Y = acc.result()
    assert words.tolist() == full.words.tolist() and counts.tolist() == full.counts.tolist()
    assert Y.has_sorted_indices and Y.shape == X.shape
    np.testing.assert_allclose(Y.toarray(), X.toarray(), rtol=1e-14)


def test_fit_chunks_bad_input():
    with pytest.raises(ValueError, match="chunks is empty"):
        ContextEmbedder(n_components=2).fit_chunks(iter([]))
    with pytest.raises(TypeError, match="chunks must be an iterable"):
        ContextEmbedder(n_components=2).fit_chunks(5)
    with pytest.raises(TypeError, match=r"chunks\[1\]"):
        ContextEmbedder(n_components=2).fit_chunks([[["a", "b"]], [[1, 2]]])


def test_incremental_solver_matches_the_default():
    sentences = _zipf_sentences(2)
    ref = ContextEmbedder(n_components=6, weighting="ppmi", random_state=0).fit(sentences)
    inc = ContextEmbedder(n_components=6, weighting="ppmi", solver="incremental").fit(sentences)
    np.testing.assert_allclose(inc.singular_values_, ref.singular_values_, rtol=1e-4)
    cos = np.abs(np.sum(ref.word_vectors_.vectors * inc.word_vectors_.vectors, axis=0)) / (
        np.linalg.norm(ref.word_vectors_.vectors, axis=0) * np.linalg.norm(inc.word_vectors_.vectors, axis=0))
    assert np.all(cos > 0.999)
