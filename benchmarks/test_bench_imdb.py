"""IMDB sentiment: SentimentClassifier fit + predict, and its n-gram counter, against scikit-learn peers.

Full mode: the issue's target setting, ``SentimentClassifier()`` trained on
the 25,000 training reviews (plus the 50,000 unlabelled ones for its
embedding) and tested on the 25,000 test reviews: accuracy >= 0.905 and
fit + predict <= 120 s on 2 cores. The peer is NB-weighted uni+bigram
logistic regression in scikit-learn (an NBSVM-style model fitted by an
iterative solver). --quick: 2,000 reviews of each split, a few seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import record_ratio, time_peer


@pytest.fixture(scope="module")
def imdb(data_root, quick):
    from veob.datasets import load_imdb

    path = data_root / "imdb" / "aclImdb.tar.gz"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    data = load_imdb(path, subsets=("train", "test", "unsup"))
    subsets, labels = np.asarray(data.subsets), np.asarray(data.labels)
    parts = {}
    rng = np.random.RandomState(0)
    for name in ("train", "test", "unsup"):
        idx = np.flatnonzero(subsets == name)
        if quick:
            idx = np.sort(rng.choice(idx, 2000, replace=False))
        parts[name] = ([data.texts[i] for i in idx], labels[idx])
    return parts


def _fit_predict(train, unsup, test, **params):
    from veob.baselines import SentimentClassifier

    clf = SentimentClassifier(random_state=0, **params)
    texts = train[0] + unsup[0]
    y = np.concatenate([train[1], np.full(len(unsup[0]), -1)])
    clf.fit(texts, y)
    return clf.predict(test[0])


def _nb_logistic_peer(train, test):
    """NB log-count ratios on binary uni+bigrams + LogisticRegression (scikit-learn)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = CountVectorizer(ngram_range=(1, 2), binary=True)
    X = vec.fit_transform(train[0])
    y = train[1]
    p = np.asarray(X[y == 1].sum(0)).ravel() + 1.0
    q = np.asarray(X[y == 0].sum(0)).ravel() + 1.0
    r = np.log(p / p.sum()) - np.log(q / q.sum())
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X.multiply(r).tocsr(), y)
    return model.predict(vec.transform(test[0]).multiply(r).tocsr())


def test_sentiment_fit_predict_vs_nb_logistic(run, benchmark, imdb, quick):
    """Default SentimentClassifier: >= 0.905 test accuracy, fit + predict <= 120 s (full mode)."""
    train, test, unsup = imdb["train"], imdb["test"], imdb["unsup"]
    params = {"n_components": 50, "embedding_min_df": 3} if quick else {}
    pred = run(_fit_predict, train, unsup, test, rounds=3, **params)
    accuracy = float(np.mean(pred == test[1]))
    benchmark.extra_info.update(accuracy=accuracy, n_train=len(train[0]), n_unlabeled=len(unsup[0]),
                                n_test=len(test[0]))
    peer, peer_pred = time_peer(_nb_logistic_peer, train, test, rounds=1)
    benchmark.extra_info["peer_accuracy"] = float(np.mean(peer_pred == test[1]))
    record_ratio(benchmark, "CountVectorizer(1,2) + NB ratios + LogisticRegression", peer)
    if not quick:
        assert accuracy >= 0.905
        print(f"\nIMDB default: accuracy {accuracy:.4f}, median fit+predict "
              f"{benchmark.stats.stats.median:.1f} s (peer {peer:.1f} s, "
              f"accuracy {benchmark.extra_info['peer_accuracy']:.4f})")


def _veob_counts(texts):
    from veob.baselines._ngrams import NGramCounter, token_hashes

    tokens, offsets = token_hashes(texts)
    return NGramCounter((1, 2)).fit_transform(tokens, offsets)


def _matrix_summary(X):
    """The count matrix's shape and non-zeros (the matrix stays in the child)."""
    from types import SimpleNamespace

    return SimpleNamespace(shape=X.shape, nnz=X.nnz)


def test_ngram_counting_vs_countvectorizer(run, benchmark, imdb, quick):
    """Binary uni+bigram count matrix of the training reviews: veob's hashing kernels vs CountVectorizer."""
    from sklearn.feature_extraction.text import CountVectorizer

    texts = imdb["train"][0]
    X = run(_veob_counts, texts, summary=_matrix_summary)
    peer, Xp = time_peer(lambda: CountVectorizer(ngram_range=(1, 2)).fit_transform(texts), rounds=1)
    benchmark.extra_info.update(n_texts=len(texts), n_features=X.shape[1], peer_n_features=Xp.shape[1],
                                nnz=int(X.nnz))
    record_ratio(benchmark, "sklearn CountVectorizer(ngram_range=(1, 2))", peer)
    # different tokenisers, same order of magnitude of n-grams
    assert 0.5 < X.shape[1] / Xp.shape[1] < 2
