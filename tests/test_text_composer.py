"""veob.text.ReviewComposer and KneserNeyLM: planted rules, label control, no repeats,
Kneser-Ney against NLTK, numba kernels against their NumPy twins, save/load, bad input."""

import numpy as np
import pytest

import veob
from veob.spectral import spectral_transform
from veob.text import KneserNeyLM, ReviewComposer, WordVectors
from veob.text import _composer_reference as ref
from veob.text._composer_kernels import (
    base_logits,
    log_softmax_at,
    residual_codes,
    sample_candidates,
    sample_rows,
)
from veob.text._lm import BOS_ID, EOS_ID, detokenize, encode, tokenize

FILLER = ["the", "film", "story", "was", "and", "it", "a", "plot", "actor", "scene", "music", "very"]
SMALL = dict(context=3, n_freqs=2, word_dim=6, n_components=12, random_state=0)


def _random_reviews(rng, n, planted=True, extra=()):
    texts = []
    for _ in range(n):
        words = list(rng.choice(FILLER, size=rng.integers(6, 14)))
        if planted:
            at = int(rng.integers(0, len(words)))
            words[at:at] = ["alpha", "beta"]
        texts.append(" ".join(words + list(extra)) + " .")
    return texts


@pytest.fixture(scope="module")
def toy():
    """Two classes: positive reviews praise, negative ones complain."""
    rng = np.random.default_rng(0)
    pos = _random_reviews(rng, 60, planted=False, extra=["great", "wonderful"])
    neg = _random_reviews(rng, 60, planted=False, extra=["awful", "boring"])
    return pos + neg, np.array([1] * 60 + [0] * 60)


@pytest.fixture(scope="module")
def toy_model(toy):
    texts, labels = toy
    return ReviewComposer(**SMALL).fit(texts, labels)


def test_tokenize_and_detokenize():
    assert tokenize("I didn't LIKE it...<br />Great (sort of)!?") == \
        ["i", "didn't", "like", "it", ".", "great", "(", "sort", "of", ")", "!"]
    assert detokenize(["i", "didn't", "like", "it", ".", "great", "(", "sort", "of", ")", "!"]) == \
        "I didn't like it. Great (sort of)!"


def test_encode_pads_every_review():
    vocab = np.array(["<unk>", "<s>", "</s>", "a", "b"])
    ids, offsets = encode([["a", "b"], [], ["c"]], vocab)
    assert ids.tolist() == [BOS_ID, 3, 4, EOS_ID, BOS_ID, EOS_ID, BOS_ID, 0, EOS_ID]
    assert offsets.tolist() == [0, 4, 6, 9]


def test_planted_next_word_rule_is_recovered():
    """'alpha' is always followed by 'beta': the closed-form fit gives it most of the mass."""
    rng = np.random.default_rng(1)
    texts = _random_reviews(rng, 150)
    model = ReviewComposer(**SMALL).fit(texts, [0] * len(texts))
    probe = ["the film alpha beta was very .", "a plot alpha beta and it ."]
    lp = model.log_likelihood(probe, [0, 0], per_token=True)
    # tokens after <s>: the film alpha beta ... -> "beta" is the 4th (index 3); second probe same
    first = np.exp(lp[3])
    second = np.exp(lp[len(tokenize(probe[0])) + 1 + 3])
    assert first > 0.5 and second > 0.5
    # and 'beta' is not likely anywhere else
    other = model.log_likelihood(["the beta film ."], [0], per_token=True)
    assert np.exp(other[1]) < 0.05
    # generated reviews follow the rule
    for review in model.generate(0, n=20, top_p=0.5, random_state=0):
        toks = tokenize(review)
        assert all(toks[i + 1] == "beta" for i, t in enumerate(toks[:-1]) if t == "alpha")


def test_label_conditioning_flips_the_output(toy_model):
    def share(reviews, phrase):
        return np.mean([phrase in r.lower() for r in reviews])

    pos = toy_model.generate(1, n=20, random_state=0)
    neg = toy_model.generate(0, n=20, random_state=0)
    assert share(pos, "great wonderful") >= 0.8 and share(pos, "awful") <= 0.2
    assert share(neg, "awful boring") >= 0.8 and share(neg, "great") <= 0.2
    assert toy_model.predict(["the film was great wonderful .", "the plot was awful boring ."]).tolist() == [1, 0]
    for review in toy_model.generate(1, n=5, random_state=1):
        assert review[0].isupper() and review[-1] in ".!?"


def test_guidance_sharpens_the_label_and_leaves_the_likelihood(toy_model, toy):
    texts, labels = toy
    model = toy_model
    before = model.log_likelihood(texts[:8], labels[:8], per_token=True)

    def wrong(g):
        model.set_params(guidance=g)
        reviews = model.generate(1, n=30, random_state=2) + model.generate(0, n=30, random_state=2)
        marks = [("awful", "boring")] * 30 + [("great", "wonderful")] * 30
        return np.mean([any(w in r.lower() for w in ws) for r, ws in zip(reviews, marks)])

    try:
        plain, guided = wrong(0.0), wrong(4.0)
        assert guided <= plain and guided <= 0.05
        np.testing.assert_array_equal(model.log_likelihood(texts[:8], labels[:8], per_token=True), before)
    finally:
        model.set_params(guidance=1.0)


def test_string_labels_and_same_seed_same_output(toy):
    texts, labels = toy
    names = np.where(labels == 1, "pos", "neg")
    model = ReviewComposer(**SMALL).fit(texts, names)
    assert model.classes_.tolist() == ["neg", "pos"]
    a = model.generate("pos", n=4, random_state=3)
    assert a == model.generate("pos", n=4, random_state=3)
    assert a != model.generate("pos", n=4, random_state=4)
    assert "great" in " ".join(a).lower()
    assert model.predict(["it was great wonderful .", "it was awful boring ."]).tolist() == ["pos", "neg"]


@pytest.mark.parametrize("cls", [ReviewComposer, KneserNeyLM])
def test_no_repeated_4gram_even_on_a_looping_corpus(cls):
    texts = ["a b c d " * 30 + "." for _ in range(20)]
    model = cls(**SMALL) if cls is ReviewComposer else cls()
    model.fit(texts, [0] * 20)
    reviews = model.generate(0, n=10, max_tokens=80, top_p=1.0, random_state=0)
    for review in reviews:
        toks = tokenize(review)
        grams = [tuple(toks[i:i + 4]) for i in range(len(toks) - 3)]
        assert len(grams) == len(set(grams))
        assert len(toks) <= 80


def test_reviews_end_by_themselves_after_sentence_marks(toy_model):
    ends = toy_model.generate(0, n=20, max_tokens=100, random_state=0)
    assert all(r[-1] in ".!?" and len(tokenize(r)) < 100 for r in ends)


def test_spectral_features_are_the_dct_of_the_window(toy_model):
    m = toy_model
    rng = np.random.default_rng(0)
    windows = rng.integers(3, m.vocabulary_.shape[0], size=(5, m.context))
    Z = m._features(windows, np.full(5, 7), np.zeros(5, dtype=np.int64))
    vectors = m.word_vectors_.vectors[windows]
    st = spectral_transform(vectors.astype(np.float32), n_points=m.context, n_freqs=m.n_freqs, kind="dct2")
    d = m.word_vectors_.vector_size
    np.testing.assert_allclose(Z[:, :m.n_freqs * d], st, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(Z[:, m.n_freqs * d:(m.n_freqs + 1) * d], vectors[:, -1])
    assert np.all(Z[:, -1] == 1)


def test_log_likelihood_is_a_normalised_distribution(toy_model):
    texts = ["the film was great .", "zzz unknown words ."]
    lp = toy_model.log_likelihood(texts, [1, 1], per_token=True)
    assert lp.shape == (len(tokenize(texts[0])) + 1 + len(tokenize(texts[1])) + 1,)
    assert np.all(lp < 0) and np.all(np.isfinite(lp))
    assert toy_model.log_likelihood(texts, [1, 1]) == pytest.approx(lp.mean())
    # the label matters: praise is likelier under the positive label
    assert toy_model.log_likelihood(["it was great wonderful ."], [1]) > \
        toy_model.log_likelihood(["it was great wonderful ."], [0])


def test_end_bias_matches_the_end_rate_after_sentence_marks(toy):
    """The fitted end-marker bias makes the mean P(</s> | after . ! ?) equal the observed share (MLE moment)."""
    texts, labels = toy
    rng = np.random.default_rng(5)
    texts = [t + " " + " ".join(rng.choice(FILLER, size=5)) + " ." if i % 3 else t for i, t in enumerate(texts)]
    model = ReviewComposer(**SMALL).fit(texts, labels)
    ids, offsets, y = model._encode_eval(texts, labels)
    model.end_bias_ = 0.0
    delta = model._fit_end_bias((ids, offsets, y))
    model.end_bias_ = delta
    p, ended = [], []
    for Z, tgt, prev, before, lab in model._training_blocks(ids, offsets, y):
        at = np.flatnonzero(model._marks()[prev])
        L = model._logits(Z[at], prev[at], before[at], lab[at]).astype(np.float64)
        P = np.exp(L - L.max(axis=1, keepdims=True))
        p.append(P[:, EOS_ID] / P.sum(axis=1))
        ended.append(tgt[at] == EOS_ID)
    assert 0 < np.mean(np.concatenate(ended)) < 1
    assert np.mean(np.concatenate(p)) == pytest.approx(np.mean(np.concatenate(ended)), abs=1e-4)


def test_given_word_vectors_are_used(toy):
    texts, labels = toy
    words = sorted({w for t in texts for w in tokenize(t)})
    wv = WordVectors(words, np.random.default_rng(0).standard_normal((len(words), 5)).astype(np.float32))
    model = ReviewComposer(wv, context=3, n_freqs=2, n_components=8, random_state=0).fit(texts, labels)
    assert model.word_vectors_.vector_size == 5
    assert "great" in " ".join(model.generate(1, n=5, random_state=0)).lower()


def test_save_and_load_round_trip(toy_model, toy, tmp_path):
    texts, labels = toy
    loaded = veob.load(veob.save(toy_model, tmp_path / "composer"))
    assert loaded.generate(1, n=3, random_state=5) == toy_model.generate(1, n=3, random_state=5)
    assert loaded.log_likelihood(texts[:5], labels[:5]) == toy_model.log_likelihood(texts[:5], labels[:5])
    assert loaded.predict(texts[:10]).tolist() == toy_model.predict(texts[:10]).tolist()
    kn = KneserNeyLM().fit(texts, labels)
    again = veob.load(veob.save(kn, tmp_path / "kn"))
    assert again.generate(0, n=3, random_state=1) == kn.generate(0, n=3, random_state=1)
    np.testing.assert_array_equal(again.log_likelihood(texts, labels, per_token=True),
                                  kn.log_likelihood(texts, labels, per_token=True))


# -- Kneser-Ney ------------------------------------------------------------------

def test_kneser_ney_matches_nltk():
    nltk_lm = pytest.importorskip("nltk.lm")
    from nltk.util import everygrams

    rng = np.random.default_rng(2)
    words = ["a", "b", "c", "d", "e", "f"]
    texts = [" ".join(rng.choice(words, size=rng.integers(3, 9))) for _ in range(40)]
    ours = KneserNeyLM(order=3, discount=0.1, unigram_discount=0.0).fit(texts, [0] * len(texts))
    vocab = ours.vocabulary_.tolist()
    padded = []
    for t in texts:
        ids, _ = encode([tokenize(t)], ours.vocabulary_)
        padded.append(["<s>"] + [vocab[i] for i in ids])  # <s> <s> w1 .. wn </s>
    theirs = nltk_lm.KneserNeyInterpolated(order=3, discount=0.1)
    theirs.fit([list(everygrams(seq, max_len=3)) for seq in padded], vocabulary_text=[w for s in padded for w in s])
    probes = texts[:10] + ["a b c d e f", "f f f a", "e d c b a"]
    lp = ours.log_likelihood(probes, [0] * len(probes), per_token=True)
    expected, first = [], []
    for t in probes:
        seq = ["<s>", "<s>"] + tokenize(t) + ["</s>"]
        first += [len(expected)]
        expected += [theirs.score(seq[i], seq[i - 2:i]) for i in range(2, len(seq))]
    expected = np.array(expected)
    later = np.setdiff1d(np.arange(expected.shape[0]), first)
    np.testing.assert_allclose(np.exp(lp[later]), expected[later], rtol=1e-10)
    # the first word of a review: NLTK's bigram level after <s> also counts the (<s>, <s>) pair as a
    # follower, so its distribution sums to more than 1; ours is normalised and slightly lower
    assert np.all(np.exp(lp[first]) <= expected[first] + 1e-12)
    np.testing.assert_allclose(np.exp(lp[first]), expected[first], rtol=0.1)


def test_kneser_ney_distribution_sums_to_one_and_classifies():
    rng = np.random.default_rng(3)
    texts = [" ".join(rng.choice(FILLER, size=8)) + (" good fun ." if i % 2 else " bad dull .") for i in range(60)]
    labels = np.arange(60) % 2
    lm = KneserNeyLM(order=3).fit(texts, labels)
    n_words = lm.vocabulary_.shape[0]
    tables = lm._tables(1)
    _, discounts = lm._discounts()
    for context in [(BOS_ID, BOS_ID), (3, 4), (n_words - 1, 5)]:
        p = tables.distribution(context, n_words, discounts, 1.0 / n_words)
        assert p.sum() == pytest.approx(1.0) and np.all(p > 0)
        words = np.arange(n_words)
        np.testing.assert_allclose(tables.score(np.tile(context, (n_words, 1)), words, discounts, 1.0 / n_words), p)
    assert lm.predict(["the film good fun .", "the film bad dull ."]).tolist() == [1, 0]
    assert "fun" in " ".join(lm.generate(1, n=5, random_state=0))


# -- kernels against their twins ---------------------------------------------------

def _kernel_inputs(seed=0, n=6, V=40):
    rng = np.random.default_rng(seed)
    S = rng.random((n, V)).astype(np.float32) * 0.2 - 0.05
    prior = np.log(rng.dirichlet(np.ones(V))).astype(np.float32)
    generable = np.ones(V, dtype=np.bool_)
    generable[[0, 1]] = False
    ptr = np.array([0, 2, 2, 3, 3, 3, 5])
    banned = np.array([4, 5, 6, 7, 8])
    allow_end = np.array([True, False, True, True, False, True])
    return rng, S, prior, generable, ptr, banned, allow_end


@pytest.mark.parametrize("top_p, temperature", [(0.5, 1.0), (0.9, 0.7), (1.0, 1.5)])
def test_sample_rows_kernel_matches_reference_nucleus(top_p, temperature):
    rng, S, prior, generable, ptr, banned, allow_end = _kernel_inputs(1)
    coef = np.array([10.0, 0.5, 0.5, 1e-3])
    expected = ref.nucleus(S, prior, coef, generable, ptr, banned, allow_end, EOS_ID, temperature, top_p)
    n_draws = 6000  # every row repeated n_draws times in one call
    rows = np.tile(np.arange(S.shape[0]), n_draws)
    lists = [banned[ptr[i]:ptr[i + 1]] for i in rows]
    big_ptr = np.concatenate([[0], np.cumsum([len(b) for b in lists])]).astype(np.int64)
    big_banned = np.concatenate(lists).astype(np.int64)
    out = np.empty(rows.shape[0], dtype=np.int64)
    sample_rows(np.ascontiguousarray(S[rows]), prior, coef, generable, big_ptr, big_banned,
                np.ascontiguousarray(allow_end[rows]), EOS_ID, temperature, top_p, rng.random(rows.shape[0]), out)
    counts = np.zeros_like(expected)
    np.add.at(counts, (rows, out), 1)
    assert np.array_equal(counts > 0, expected > 0)  # the same nucleus, nothing masked drawn
    np.testing.assert_allclose(counts / n_draws, expected, atol=0.03)


def test_sample_rows_with_everything_masked_ends():
    S = np.ones((1, 5), dtype=np.float32)
    out = np.empty(1, dtype=np.int64)
    sample_rows(S, np.zeros(5, np.float32), np.array([1.0, 0, 0, 0]), np.zeros(5, np.bool_), np.array([0, 0]),
                np.zeros(0, np.int64), np.array([False]), EOS_ID, 1.0, 0.9, np.array([0.5]), out)
    assert out[0] == EOS_ID


def _count_inputs(seed=0, n_classes=2, V=30, r=5, n_contexts=12):
    """A random label bigram and class trigram (CSR, rows sorted), their shortlists, an output basis."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)

    def csr(n_rows, scale):
        A = sp.random(n_rows, V, density=0.2, random_state=int(rng.integers(1000)), format="csr", dtype=np.float64)
        A.sort_indices()
        return A.indptr.astype(np.int64), A.indices.astype(np.int32), (A.data * scale).astype(np.float32)

    bigram = (*csr(n_classes * V, 0.1), rng.random((n_classes, V)).astype(np.float32),
              rng.dirichlet(np.ones(V), size=n_classes).astype(np.float32))
    trigram = (*csr(n_contexts, 0.1), rng.random(n_contexts).astype(np.float32))

    def lists(n_rows):
        words = [rng.choice(V, size=rng.integers(0, 6), replace=False) for _ in range(n_rows)]
        ptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum([len(x) for x in words], out=ptr[1:])
        return ptr, np.concatenate(words).astype(np.int32)

    common = np.stack([rng.choice(V, size=4, replace=False) for _ in range(n_classes)]).astype(np.int64)
    E = rng.standard_normal((V, r)).astype(np.float32) * 0.5
    return rng, bigram, trigram, (*lists(n_contexts), *lists(n_classes * V), common), E


def test_residual_codes_kernel_matches_the_per_cell_products(toy_model):
    """Generation's numba codes equal the BLAS path (nearest cell centre, then its map)."""
    m = toy_model
    rng = np.random.default_rng(4)
    windows = rng.integers(3, m.vocabulary_.shape[0], size=(40, m.context))
    Z = m._features(windows, rng.integers(1, 50, 40), rng.integers(0, 2, 40))
    cells = m._cells(Z)
    expected = np.stack([Z[i] @ m.cell_maps_[c] for i, c in enumerate(cells)])
    C = m.partition_.cell_centers_.astype(np.float32)
    out = np.empty_like(expected)
    residual_codes(Z, C, np.einsum("ij,ij->i", C, C), m.cell_maps_, out)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m._residual(Z), expected, rtol=1e-4, atol=1e-5)


def test_base_logits_and_log_softmax_kernels_match_reference():
    rng, bigram, trigram, _, E = _count_inputs()
    V = E.shape[0]
    R = rng.standard_normal((9, V)).astype(np.float32)
    labels, prev = rng.integers(0, 2, 9), rng.integers(0, V, 9)
    rows = rng.integers(-1, 12, 9)  # -1: a context never seen
    prior = np.log(rng.dirichlet(np.ones(V))).astype(np.float32)
    coef = np.array([0.7, -0.2, 1.1, 0.0])
    log_low = np.log(bigram[4])
    expected = ref.base_logits(R, labels, prev, rows, bigram, trigram, log_low, prior, coef)
    P = ref.base_probs(labels, prev, rows, bigram, trigram)
    np.testing.assert_allclose(P.sum(axis=1)[rows < 0], (bigram[3][labels, prev] * 1.0 + [
        bigram[2][bigram[0][k * V + v]:bigram[0][k * V + v + 1]].sum() for k, v in zip(labels, prev)])[rows < 0],
        rtol=1e-5)
    base_logits(R, labels, prev, rows, bigram, trigram, log_low, prior, coef)
    np.testing.assert_allclose(R, expected, rtol=1e-5, atol=1e-5)
    targets = rng.integers(0, V, 9)
    out = np.empty(9)
    log_softmax_at(R, targets, out)
    np.testing.assert_allclose(out, ref.log_softmax_at(expected, targets), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("top_p, temperature, guidance", [(0.5, 1.0, 0.0), (0.9, 0.7, 1.0), (1.0, 1.5, 2.0)])
def test_sample_candidates_kernel_matches_reference(top_p, temperature, guidance):
    """The shortlist sampler draws each word as often as the NumPy twin's nucleus says."""
    rng, bigram, trigram, lists, E = _count_inputs(1)
    V, n, r = E.shape[0], 6, E.shape[1]
    H = rng.standard_normal((n, r)).astype(np.float32)
    Hg = rng.standard_normal((1, n, r)).astype(np.float32)
    prev, rows = rng.integers(0, V, n), np.array([-1, 0, 3, 11, -1, 5])
    prior = np.log(rng.dirichlet(np.ones(V))).astype(np.float32)
    generable = np.ones(V, dtype=np.bool_)
    generable[[0, 1]] = False
    ptr, banned = np.array([0, 2, 2, 3, 3, 3, 3]), np.array([4, 5, 6])
    allow_end = np.array([True, False, True, True, False, True])
    coef, others = np.array([0.8, 0.5, 1.2, 1e-6]), np.array([0])
    args = (1, others, prev, rows, E, bigram, trigram, lists, prior, coef, guidance, generable)
    expected = ref.candidate_nucleus(H, Hg, *args, ptr, banned, allow_end, EOS_ID, 1.5, temperature, top_p)
    n_draws = 4000
    idx = np.tile(np.arange(n), n_draws)
    banned_lists = [banned[ptr[i]:ptr[i + 1]] for i in idx]
    big_ptr = np.concatenate([[0], np.cumsum([len(b) for b in banned_lists])]).astype(np.int64)
    out = np.empty(idx.shape[0], dtype=np.int64)
    sample_candidates(np.ascontiguousarray(H[idx]), np.ascontiguousarray(Hg[:, idx]), 1, others, prev[idx], rows[idx],
                      E, bigram, trigram, lists, prior, coef, guidance, generable, big_ptr,
                      np.concatenate(banned_lists).astype(np.int64), np.ascontiguousarray(allow_end[idx]), EOS_ID,
                      1.5, temperature, top_p, rng.random(idx.shape[0]), out)
    counts = np.zeros_like(expected)
    np.add.at(counts, (idx, out), 1)
    assert not np.any((counts > 0) & (expected == 0))  # nothing masked, off the list or outside the nucleus drawn
    assert np.all(counts[expected > 2e-3] > 0)  # and every word of the nucleus with some mass was drawn
    np.testing.assert_allclose(counts / n_draws, expected, atol=0.03)


# -- bad input ------------------------------------------------------------------

@pytest.mark.parametrize("cls", [ReviewComposer, KneserNeyLM])
def test_bad_input_names_the_argument(cls, toy):
    texts, labels = toy
    make = (lambda **kw: cls(**{**SMALL, **kw})) if cls is ReviewComposer else (lambda **kw: cls(**kw))
    with pytest.raises(ValueError, match="labels has 3 entries but texts has 4"):
        make().fit(texts[:4], labels[:3])
    with pytest.raises(ValueError, match="texts is empty"):
        make().fit([], [])
    with pytest.raises(TypeError, match="texts must be a list of str"):
        make().fit("one review", [1])
    model = make().fit(texts, labels)
    with pytest.raises(ValueError, match=r"label=7 is not a training label; allowed: \[0, 1\]"):
        model.generate(7)
    with pytest.raises(ValueError, match="label='pos' is not a training label"):
        model.generate("pos")
    for top_p in (0, -0.1, 1.5):
        with pytest.raises(ValueError, match=rf"top_p={top_p} must lie in \(0, 1\]"):
            model.generate(1, top_p=top_p)
    with pytest.raises(ValueError, match="temperature=0 must be > 0"):
        model.generate(1, temperature=0)
    with pytest.raises(ValueError, match="n=0"):
        model.generate(1, n=0)
    with pytest.raises(ValueError, match="holds 5, which is not a training label"):
        model.log_likelihood(texts[:2], [1, 5])


@pytest.mark.parametrize("params, message", [
    ({"context": 0}, "context=0 must be >= 1"),
    ({"n_freqs": 5, "context": 3}, "n_freqs=5 must be <= context"),
    ({"max_vocab": 2}, "max_vocab=2 must be >= 4"),
    ({"label_weight": -1.0}, "label_weight=-1.0 must be 'auto' or a finite number >= 0"),
    ({"ridge": 0.0}, "ridge=0.0 must be a finite number > 0"),
    ({"guidance": -1.0}, "guidance=-1.0 must be a finite number >= 0"),
])
def test_bad_parameters_name_the_argument(params, message, toy):
    texts, labels = toy
    with pytest.raises(ValueError, match=message):
        ReviewComposer(**{**SMALL, **params}).fit(texts, labels)


def test_unfitted_models_refuse_to_generate():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ReviewComposer().generate(1)
    for call in (lambda m: m.generate(1), lambda m: m.predict(["a b"]), lambda m: m.log_likelihood(["a b"], [1])):
        with pytest.raises(NotFittedError, match="KneserNeyLM instance is not fitted yet"):
            call(KneserNeyLM())
    with pytest.raises(ValueError, match="order=0 must be >= 1"):
        KneserNeyLM(order=0).fit(["a b"], [1])


def test_alpha_is_a_deprecated_name_of_label_weight(toy):
    texts, labels = toy
    new = ReviewComposer(**SMALL, label_weight=2.0).fit(texts[:40], labels[:40])
    assert new.get_params()["label_weight"] == 2.0 and new.label_weight_ == 2.0
    with pytest.warns(FutureWarning, match=r"ReviewComposer\(alpha=\.\.\.\) is deprecated"):
        old = ReviewComposer(**SMALL, alpha=2.0).fit(texts[:40], labels[:40])
    assert old.label_weight_ == 2.0
    np.testing.assert_array_equal(old.log_likelihood(texts[:5], labels[:5]), new.log_likelihood(texts[:5], labels[:5]))
    with pytest.warns(FutureWarning, match="use label_weight_"):
        assert old.alpha_ == 2.0
