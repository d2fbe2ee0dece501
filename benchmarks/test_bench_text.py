"""veob.text pipelines (paper sections 6.2-6.5) against the paper's M1 times and plain peers.

Full mode needs VEOB_DATA (the 50,000 IMDB unsup reviews and the dictionary);
``--quick`` runs every benchmark once on 300 reviews and 3,000 dictionary
entries (or on synthetic text without VEOB_DATA). The corpus is prepared
once per session; the proxy scores of docs/text.md are recorded in
``extra_info`` in full mode.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp

from veob.text import ContextEmbedder, DictionaryEmbedder, OrthographyEmbedder, SentenceEmbedder, prepare_corpus

from ._data import data_root as _data_root
from .conftest import record_ratio, time_peer
from .m1_baseline import record_m1

pytest.importorskip("spacy")

def _synthetic_texts(n, seed=0):
    """Reviews of Zipf-distributed pseudo-words (2,000 types), 3-8 sentences each."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, rng.integers(2, 10))) for _ in range(2000)]
    p = 1.0 / np.arange(1, 2001)
    p /= p.sum()
    texts = []
    for _ in range(n):
        sentences = []
        for _ in range(rng.integers(3, 9)):
            words = [vocab[i] for i in rng.choice(2000, rng.integers(3, 20), p=p)]
            sentences.append(" ".join(words).capitalize() + str(rng.choice([".", "!", "?"])))
        texts.append(" ".join(sentences))
    return texts


@pytest.fixture(scope="module")
def texts(quick):
    root = _data_root()
    if root is None:
        return _synthetic_texts(300 if quick else 20000)
    from veob.datasets import load_imdb

    reviews = load_imdb(root / "imdb" / "aclImdb.tar.gz", subsets="unsup").texts
    return reviews[:300] if quick else reviews


@pytest.fixture(scope="module")
def corpus(texts):
    return prepare_corpus(texts, max_tokens=32, progress=False)  # the paper's corpus


@pytest.fixture(scope="module")
def entries(quick):
    root = _data_root()
    if root is None:
        pytest.skip("VEOB_DATA is not set: the dictionary benchmarks need the dictionary")
    from veob.datasets import load_dictionary

    found = load_dictionary(root / "simple_english_dictionary" / "merged.json.gz")
    return found[:3000] if quick else found


def _corpus_summary(corpus):
    from types import SimpleNamespace

    return SimpleNamespace(n_sentences=corpus.n_sentences, words=corpus.words, n_tokens=corpus.n_tokens)


def _vectors_shape(embedder):
    """Summary in the child: the shape of the fitted word vectors."""
    return embedder.word_vectors_.vectors.shape


def _fit_orthography(words):
    return OrthographyEmbedder(preset="paper").fit(words)


def test_prepare_corpus(run, benchmark, texts, quick):
    """Reference preprocessing (fast path) vs the spaCy pipeline on a slice; tokens/s."""
    out = run(prepare_corpus, texts, progress=False, summary=_corpus_summary, rounds=1)
    n_slice = min(len(texts), 300 if quick else 5000)
    spacy_time, ref = time_peer(prepare_corpus, texts[:n_slice], tokenizer="spacy", progress=False, rounds=1)
    fast_slice = prepare_corpus(texts[:n_slice], progress=False)
    assert fast_slice.sentences == ref.sentences
    own = benchmark.stats.stats.median
    benchmark.extra_info.update(n_texts=len(texts), n_sentences=out.n_sentences, n_words=len(out.words),
                                n_tokens_kept=out.n_tokens, tokens_per_s_kept=out.n_tokens / own,
                                spacy_slice_texts=n_slice,
                                spacy_seconds_per_text=spacy_time / n_slice,
                                fast_seconds_per_text=own / len(texts))
    record_ratio(benchmark, f"spaCy blank('en') + sentencizer, per text (on {n_slice} texts)",
                 spacy_time / n_slice * len(texts))


def test_orthography(run, benchmark, corpus):
    """~84k word spellings: letter spectra (N=15, M=6) -> SVD 40."""
    words = corpus.words.tolist()
    shape = run(_fit_orthography, words, summary=_vectors_shape, rounds=5)
    assert shape == (len(words), min(40, len(words)))

    def sklearn_peer():
        from sklearn.decomposition import TruncatedSVD

        from veob.text._orthography import _spectra
        return TruncatedSVD(40, algorithm="arpack").fit(_spectra(words, 15, 6))

    peer, _ = time_peer(sklearn_peer, rounds=1)
    benchmark.extra_info["n_words"] = len(words)
    record_ratio(benchmark, "veob spectra + sklearn TruncatedSVD(arpack)", peer)
    record_m1(benchmark, "orthography", target_speedup=2.0 / 0.3)


def _scipy_cooccurrence(corpus, window=2):
    """Peer: every (word, context) pair as COO triplets, scipy sums duplicates."""
    ids = corpus.token_ids.astype(np.int64)
    V = len(corpus.words)
    sent = np.repeat(np.arange(corpus.n_sentences), np.diff(corpus.offsets))
    rows, cols = [], []
    for k in range(1, window + 1):
        i = np.flatnonzero(sent[k:] == sent[:-k])
        rows += [ids[i + k], ids[i]]
        cols += [ids[i], V + ids[i + k]]
    r, c = np.concatenate(rows), np.concatenate(cols)
    X = sp.csr_matrix((np.ones(r.shape[0]), (r, c)), shape=(V, 2 * V))
    X.sum_duplicates()
    return X


def test_context_paper(run, benchmark, corpus):
    """Two bags of 2 words before / after, each bag row-normalised, SVD 50 (the paper)."""
    shape = run(ContextEmbedder(preset="paper", random_state=0).fit, corpus, summary=_vectors_shape, rounds=3)
    assert shape[1] == min(50, len(corpus.words))
    from veob.text._cooc import cooccurrence_matrix

    own_build = time.perf_counter()
    X = cooccurrence_matrix(corpus.token_ids.astype(np.int64), corpus.offsets, len(corpus.words), 2, np.ones(2))
    own_build = time.perf_counter() - own_build
    peer, ref = time_peer(_scipy_cooccurrence, corpus, rounds=1)
    assert abs(X - ref).max() == 0
    benchmark.extra_info.update(build_seconds=own_build, peer_build_seconds=peer, nnz=int(X.nnz))
    record_m1(benchmark, "context", target_speedup=14.6 / 3.0)


def test_context_ppmi(run, benchmark, corpus, quick):
    """PPMI (window 3, linear weights, cds 0.75), SVD 300, U S^0.5."""
    k = 300 if not quick else 50
    shape = run(ContextEmbedder(weighting="ppmi", n_components=k, random_state=0).fit, corpus,
                summary=_vectors_shape, rounds=1)
    benchmark.extra_info.update(n_components=k, setting="library defaults: ppmi, window 3 linear, subsample 1e-3, "
                                                        "min count 5, cds 0.75, W + C")
    assert shape[1] == k


def _dictionary_summary(embedder):
    return {"n_words": len(embedder.word_vectors_), "synonym_slots": embedder.n_synonym_slots_,
            "antonym_slots": embedder.n_antonym_slots_}


def test_dictionary_paper(run, benchmark, entries):
    """Orthography slice + synonym + antonym one-hots, SVD 300 (the paper)."""
    info = run(DictionaryEmbedder(preset="paper", random_state=0).fit, entries, summary=_dictionary_summary,
               rounds=3)
    benchmark.extra_info.update(info)
    record_m1(benchmark, "dictionary", target_speedup=(3.3 + 15.1) / 3.0)


def test_dictionary_default(run, benchmark, entries):
    """The best setting (symmetric graph, negative antonyms, sketch of small components)."""
    info = run(DictionaryEmbedder(random_state=0).fit, entries, summary=_dictionary_summary, rounds=3)
    benchmark.extra_info["n_words"] = info["n_words"]
    record_m1(benchmark, "dictionary", target_speedup=(3.3 + 15.1) / 3.0)


def _sentence_summary(embedder):
    return embedder.embedding_.shape, embedder.n_features_in_


def test_sentences_paper(run, benchmark, corpus):
    """Paper word vectors (50-d) -> high-pass ST (N=32, M=6) -> SVD 200 over all sentences."""
    wv = ContextEmbedder(preset="paper", random_state=0).fit(corpus).word_vectors_
    shape, n_features = run(SentenceEmbedder(wv, preset="paper").fit, corpus, summary=_sentence_summary, rounds=3)
    assert shape[0] == corpus.n_sentences
    benchmark.extra_info.update(n_sentences=corpus.n_sentences, n_features=n_features)
    record_m1(benchmark, "sentences", target_speedup=76.8 / 10.0)


def test_sentences_default(run, benchmark, corpus, quick):
    """PPMI-300 word vectors -> SIF weights, low-pass DCT (2 blocks) -> SVD 400 after the first."""
    k = 300 if not quick else 50
    wv = ContextEmbedder(weighting="ppmi", n_components=k, random_state=0).fit(corpus).word_vectors_
    _, n_features = run(SentenceEmbedder(wv).fit, corpus, summary=_sentence_summary, rounds=3)
    benchmark.extra_info.update(n_sentences=corpus.n_sentences, n_features=n_features)
    record_m1(benchmark, "sentences", target_speedup=76.8 / 10.0)
