"""SentimentClassifier, its n-gram kernels and the IMDB protocol runner (veob.experiments)."""

import json
import pickle
import random

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import Bunch

from veob.baselines import SentimentClassifier, _kernels, _reference
from veob.baselines._ngrams import NGramCounter, WordVocabulary, token_hashes
from veob.baselines._sentiment import _lda, _nb_ratios, _ridge_loo
from veob.experiments import (
    IMDB_EXPERIMENTS,
    SEED_IMDB_RESULTS,
    format_imdb_table,
    run_imdb_protocol,
    seed_validation_split,
)

FILLER = ("the film movie plot story actor actress scene music camera script director "
          "cast ending character screen minute hour book role set").split()
POSITIVE = ["great", "superb", "wonderful", "loved", "brilliant"]
NEGATIVE = ["awful", "boring", "terrible", "hated", "waste"]


def make_corpus(n, seed=0, n_sentiment=2, classes=(0, 1)):
    """Reviews of 15 filler words plus ``n_sentiment`` planted words of their class."""
    rng = np.random.default_rng(seed)
    lexicon = {0: NEGATIVE, 1: POSITIVE, 2: ["average", "mediocre", "okay", "fine", "so-so"]}
    y = np.array([classes[i % len(classes)] for i in range(n)])
    texts = []
    for label in y:
        words = list(rng.choice(FILLER, 15)) + list(rng.choice(lexicon[label], n_sentiment))
        texts.append(" ".join(rng.permutation(words)))
    return texts, y


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(200, seed=1)


@pytest.fixture(scope="module")
def fitted(corpus):
    texts, y = corpus
    return SentimentClassifier(n_components=8, embedding_min_df=2, random_state=0).fit(texts, y)


# ------------------------------------------------------------------ kernels vs reference

TRICKY = [
    "Great film!<br /><br />I LOVED it... don't miss it?! 10/10",
    "café crème -- naïve 'quoted' words' end<br/>x<i>italic</i> a <3 b < c > d",
    "", "   ", "!!!", "a<br />b", "it's-a it''s dogs' o'neil rock'n'roll",
    "<averyveryveryveryverylongtagnamethatisnotatag> <b>bold</b>",
]


@pytest.mark.parametrize("punctuation", [True, False])
def test_token_hashes_match_reference(punctuation):
    hashes, offsets = token_hashes(TRICKY, punctuation=punctuation)
    for i, text in enumerate(TRICKY):
        expected = [_reference.fnv1a_reference(t) for t in _reference.tokens_reference(text, punctuation)]
        assert hashes[offsets[i]:offsets[i + 1]].tolist() == expected, text


def test_tokeniser_rules():
    toks = _reference.tokens_reference(TRICKY[0])
    assert toks == [b"great", b"film", b"!", b"i", b"loved", b"it", b"don't", b"miss", b"it", b"?", b"!",
                    b"10", b"10"]
    assert b"br" not in _reference.tokens_reference(TRICKY[5]) and len(_reference.tokens_reference(TRICKY[5])) == 2


@pytest.mark.parametrize("ngram_range, max_tokens", [((1, 1), None), ((1, 3), None), ((2, 3), 7), ((1, 2), 1)])
def test_ngram_hashes_match_reference(ngram_range, max_tokens):
    from veob.baselines._ngrams import _ngram_hashes

    texts, _ = make_corpus(12, seed=3)
    texts += TRICKY
    tokens, offsets = token_hashes(texts)
    tokens[::7] = 0  # some out-of-vocabulary positions
    grams, gram_offsets = _ngram_hashes(tokens, offsets, ngram_range, max_tokens)
    for i in range(len(texts)):
        expected = _reference.ngram_hashes_reference(tokens[offsets[i]:offsets[i + 1]].tolist(),
                                                     ngram_range, max_tokens)
        assert grams[gram_offsets[i]:gram_offsets[i + 1]].tolist() == expected


def test_hash_table_build_and_lookup_match_a_dict():
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 5000, 200_000).astype(np.uint64)  # many repeats, zeros included
    table_keys, table_ids, n_unique, ids = _kernels.table_build(keys)
    first = {}
    for k in keys.tolist():
        if k != 0:
            first.setdefault(k, len(first))
    assert n_unique == len(first)
    assert ids.tolist() == [first.get(k, -1) for k in keys.tolist()]
    queries = rng.integers(0, 10_000, 5000).astype(np.uint64)
    out = np.empty(len(queries), dtype=np.int64)
    _kernels.table_lookup(table_keys, table_ids, queries, out)
    assert out.tolist() == [first.get(q, -1) for q in queries.tolist()]


@pytest.mark.parametrize("kwargs", [dict(ngram_range=(1, 2)), dict(ngram_range=(1, 3), min_df=2),
                                    dict(ngram_range=(2, 2), max_tokens=5), dict(ngram_range=(1, 1), min_df=0.1)])
def test_counter_matches_reference(kwargs):
    texts, _ = make_corpus(30, seed=5)
    texts += TRICKY
    counter = NGramCounter(**kwargs)
    tokens, offsets = token_hashes(texts)
    X = counter.fit_transform(tokens, offsets)
    min_df = kwargs.get("min_df", 1)
    min_df = int(np.ceil(min_df * len(texts))) if isinstance(min_df, float) else min_df
    counts, keys = _reference.count_matrix_reference(texts, kwargs["ngram_range"],
                                                     max_tokens=kwargs.get("max_tokens"), min_df=min_df)
    np.testing.assert_array_equal(X.toarray(), counts)
    np.testing.assert_array_equal(counter.table_.keys, keys)
    np.testing.assert_array_equal(counter.document_frequency_, (counts > 0).sum(axis=0))
    # transform of the same texts gives the same matrix; unseen n-grams are dropped
    tokens, offsets = token_hashes(texts + ["zzz qqq xyzzy"])
    Y = counter.transform(tokens, offsets)
    np.testing.assert_array_equal(Y[:-1].toarray(), counts)
    assert Y[-1].nnz == 0


def test_word_vocabulary_masks_rare_words_like_the_reference():
    texts, _ = make_corpus(40, seed=7)
    tokens, offsets = token_hashes(texts)
    vocab = WordVocabulary(10).fit(tokens.copy())
    expected = _reference.top_words_reference(texts, 10)
    assert set(vocab.table_.keys.tolist()) == expected
    masked = vocab.mask(tokens.copy())
    assert set(masked[masked != 0].tolist()) <= expected
    counter = NGramCounter((1, 2))
    X = counter.fit_transform(masked, offsets)
    counts, _ = _reference.count_matrix_reference(texts, (1, 2), vocabulary=expected)
    np.testing.assert_array_equal(X.toarray(), counts)


def test_counter_pickles_without_its_hash_table():
    tokens, offsets = token_hashes(make_corpus(20)[0])
    counter = NGramCounter((1, 2))
    X = counter.fit_transform(tokens, offsets)
    state = pickle.dumps(counter)
    assert len(state) < 40 * counter.n_features_ + 4000
    again = pickle.loads(state)
    assert (again.transform(tokens, offsets) != X).nnz == 0


# ------------------------------------------------------------------ closed-form pieces

def test_ridge_loo_matches_refitting_without_each_sample():
    rng = np.random.default_rng(0)
    F = rng.standard_normal((30, 5))
    y_index = (F[:, 0] + 0.5 * rng.standard_normal(30) > 0).astype(int)
    Y = (2.0 * y_index - 1)[:, None]
    fit = _ridge_loo(F, Y, y_index, [0.7])
    for i in range(30):
        keep = np.arange(30) != i
        Fm, Ym = F[keep].mean(0), Y[keep].mean(0)
        A = (F[keep] - Fm).T @ (F[keep] - Fm) + 0.7 * np.eye(5)
        w = np.linalg.solve(A, (F[keep] - Fm).T @ (Y[keep] - Ym))
        assert np.allclose(fit["loo_pred"][i], (F[i] - Fm) @ w + Ym)
    A = (F - F.mean(0)).T @ (F - F.mean(0)) + 0.7 * np.eye(5)
    w = np.linalg.solve(A, (F - F.mean(0)).T @ (Y - Y.mean(0)))
    np.testing.assert_allclose(fit["coef"], w, atol=1e-10)
    np.testing.assert_allclose(fit["intercept"], Y.mean(0) - F.mean(0) @ w, atol=1e-10)


def test_ridge_loo_prefers_the_most_accurate_penalty():
    rng = np.random.default_rng(1)
    F = rng.standard_normal((60, 3))
    y_index = (F[:, 0] > 0).astype(int)
    Y = (2.0 * y_index - 1)[:, None]
    alphas = [1e-3, 1.0, 1e6]
    fits = [_ridge_loo(F, Y, y_index, [a]) for a in alphas]
    best = _ridge_loo(F, Y, y_index, alphas)
    assert best["key"] == min(f["key"] for f in fits)
    assert best["alpha"] != 1e6  # a huge penalty predicts the mean: chance accuracy


def test_nb_ratios_formula():
    sums = np.array([[3.0, 0.0, 1.0], [1.0, 2.0, 1.0]])
    r = _nb_ratios(sums, 1.0)
    p, q = sums[1] + 1, sums[0] + 1
    np.testing.assert_allclose(r[:, 0], np.log(p / p.sum()) - np.log(q / q.sum()))
    three = np.vstack([sums, [[0.0, 0.0, 5.0]]])
    R = _nb_ratios(three, 0.5)
    for c in range(3):
        p = three[c] + 0.5
        q = three[np.arange(3) != c].sum(0) + 0.5
        np.testing.assert_allclose(R[:, c], np.log(p / p.sum()) - np.log(q / q.sum()))


def test_lda_calibration_of_separated_scores():
    rng = np.random.default_rng(2)
    y = np.arange(400) % 2
    D = (2.0 * y - 1 + rng.standard_normal(400))[:, None]
    A, c = _lda(D, y, 2)
    logits = D @ A + c
    proba = np.exp(logits - logits.max(1, keepdims=True))
    proba /= proba.sum(1, keepdims=True)
    # Gaussian classes at -1 and +1 with unit variance: P(y=1 | d) = sigmoid(2 d)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-2 * D[:, 0])), atol=0.08)


# ------------------------------------------------------------------ the classifier

def test_planted_sentiment_words_are_recovered(fitted, corpus):
    texts, y = make_corpus(200, seed=2)
    assert fitted.score(texts, y) > 0.95
    table = fitted.ngrams_.table_
    hashes, _ = token_hashes(POSITIVE + NEGATIVE + ["film", "the"])
    weights = fitted.ngram_coef_[table.lookup(hashes), 0]
    assert np.all(weights[:5] > 0) and np.all(weights[5:10] < 0)
    assert np.abs(weights[10:]).max() < np.abs(weights[:10]).min()
    assert fitted.predict(["a wonderful brilliant film", "boring waste of a film"]).tolist() == [1, 0]


def test_predict_proba_is_a_calibrated_distribution(fitted):
    texts, y = make_corpus(100, seed=3)
    proba = fitted.predict_proba(texts)
    assert proba.shape == (100, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert np.all(proba >= 0)
    np.testing.assert_array_equal(fitted.classes_[proba.argmax(1)], fitted.predict(texts))
    np.testing.assert_allclose(np.exp(fitted.predict_log_proba(texts)), proba)
    d = fitted.decision_function(texts)
    assert np.all(np.diff(proba[np.argsort(d), 1]) >= -1e-12)  # monotone in the decision value


def test_string_labels_and_three_classes():
    texts, y = make_corpus(150, seed=4, classes=(0, 1, 2))
    names = np.array(["neg", "pos", "mixed"])[y]
    clf = SentimentClassifier(n_components=6, embedding_min_df=2, random_state=0).fit(texts, names)
    assert sorted(clf.classes_) == ["mixed", "neg", "pos"]
    test, y_test = make_corpus(90, seed=5, classes=(0, 1, 2))
    assert clf.score(test, np.array(["neg", "pos", "mixed"])[y_test]) > 0.9
    assert clf.decision_function(test).shape == (90, 3)
    assert clf.predict_proba(test).shape == (90, 3)


def test_unlabelled_texts_feed_only_the_embedding():
    texts, y = make_corpus(120, seed=6)
    y_semi = y.copy()
    y_semi[20:] = -1
    clf = SentimentClassifier(n_components=8, embedding_min_df=2, random_state=0).fit(texts, y_semi)
    assert clf.classes_.tolist() == [0, 1]
    assert clf.n_labeled_ == 20 and clf.n_unlabeled_ == 100
    labelled_only = SentimentClassifier(n_components=8, embedding_min_df=2, random_state=0)
    labelled_only.fit(texts[:20], y[:20])
    assert clf.components_.shape[0] == 8 and labelled_only.components_.shape[0] == 8
    # same labelled texts: same Naive-Bayes ratios; the embedding differs
    np.testing.assert_allclose(clf.nb_ratios_, labelled_only.nb_ratios_)
    assert not np.allclose(np.abs(clf.components_[0]).sum(), np.abs(labelled_only.components_[0]).sum())
    assert clf.score(*make_corpus(100, seed=7)) > 0.8  # from 20 labels


def test_embedding_transform_and_no_embedding():
    texts, y = make_corpus(80, seed=8)
    clf = SentimentClassifier(n_components=5, embedding_min_df=2, random_state=0).fit(texts, y)
    P = clf.transform(texts)
    assert P.shape == (80, 5) and P.dtype == np.float32
    np.testing.assert_allclose(clf.components_ @ clf.components_.T, np.eye(5), atol=1e-4)
    plain = SentimentClassifier(n_components=0, random_state=0).fit(texts, y)
    assert not hasattr(plain, "components_") and plain.selection_["n_components"] == 0
    assert plain.score(texts, y) > 0.95
    with pytest.raises(ValueError, match="n_components=0"):
        plain.transform(texts)
    # refitting without the embedding forgets the earlier one
    clf.set_params(n_components=0, max_features=None).fit(texts, y)
    assert not hasattr(clf, "components_") and not hasattr(clf, "embedding_coef_")
    np.testing.assert_allclose(clf.decision_function(texts), plain.decision_function(texts))


def test_seed_knobs_truncate_and_restrict_the_vocabulary():
    texts, y = make_corpus(60, seed=9)
    # the sentiment words sit at random positions; keep only the first 3 tokens
    short = SentimentClassifier(n_components=0, max_tokens=3).fit(texts, y)
    full = SentimentClassifier(n_components=0).fit(texts, y)
    assert short.ngrams_.n_features_ < full.ngrams_.n_features_
    tokens, offsets = token_hashes(texts)
    assert short.ngrams_.n_features_ == NGramCounter((1, 3), max_tokens=3).fit_transform(tokens, offsets).shape[1]
    small_vocab = SentimentClassifier(n_components=0, max_features=5).fit(texts, y)
    assert small_vocab.vocabulary_.table_.keys.size == 5
    assert small_vocab.ngrams_.n_features_ < full.ngrams_.n_features_


def test_same_seed_same_model_and_pickle_round_trip(fitted, corpus):
    texts, y = corpus
    again = clone(fitted).fit(texts, y)
    test = make_corpus(50, seed=10)[0]
    np.testing.assert_array_equal(again.decision_function(test), fitted.decision_function(test))
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.decision_function(test), fitted.decision_function(test))
    np.testing.assert_array_equal(restored.predict_proba(test), fitted.predict_proba(test))


def test_n_jobs_does_not_change_the_result(corpus, fitted):
    texts, y = corpus
    one = SentimentClassifier(n_components=8, embedding_min_df=2, random_state=0, n_jobs=1).fit(texts, y)
    np.testing.assert_allclose(one.decision_function(texts), fitted.decision_function(texts), atol=1e-5)


@pytest.mark.parametrize("texts, y, error, match", [
    ("one text", [1], TypeError, "not a single str"),
    ([b"bytes"], [1], TypeError, r"texts\[0\] is a bytes"),
    (["a", 3], [0, 1], TypeError, r"texts\[1\] is a int"),
    ([], [], ValueError, "texts is empty"),
    (["a b", "c d"], [0], ValueError, "1 labels for 2 texts"),
    (["a b", "c d"], [[0], [1]], ValueError, "y must be 1-D"),
    (["a", "b", "c"], [1, 1, 1], ValueError, "1 class"),
    (["a", "b", "c"], [1, 1, 0], ValueError, "has 1 labelled text"),
    (["a", "b"], [-1, -1], ValueError, "every text unlabelled"),
    (["a", "b"], [0.0, np.nan], ValueError, "NaN"),
])
def test_bad_input_is_rejected_with_a_clear_message(texts, y, error, match):
    with pytest.raises(error, match=match):
        SentimentClassifier().fit(texts, y)


@pytest.mark.parametrize("params, match", [
    (dict(ngram_range=(2, 1)), r"ngram_range=\(2, 1\) must be a tuple"),
    (dict(embedding_ngram_range=[1, 2]), "embedding_ngram_range"),
    (dict(nb_alpha=0), "nb_alpha=0 must be a positive number"),
    (dict(n_components=-1), "n_components=-1 must be >= 0"),
    (dict(n_folds=1), "n_folds=1 must be >= 2"),
    (dict(max_features=0), "max_features=0 must be >= 1"),
    (dict(max_tokens=0), "max_tokens=0 must be >= 1"),
    (dict(embedding_min_df=0), "embedding_min_df=0 must be"),
    (dict(embedding_min_df=1.5), "embedding_min_df=1.5 must be"),
    (dict(alphas=[]), "alphas"),
    (dict(nb_scales=[1.0, -1.0]), "nb_scales"),
])
def test_bad_parameters_are_rejected(params, match):
    texts, y = make_corpus(20)
    with pytest.raises((ValueError, TypeError), match=match):
        SentimentClassifier(**params).fit(texts, y)


def test_min_df_that_keeps_nothing_names_the_parameter():
    texts, y = make_corpus(20)
    with pytest.raises(ValueError, match="embedding_min_df=1000 keeps no n-gram"):
        SentimentClassifier(embedding_min_df=1000).fit(texts, y)


def test_unfitted_and_bad_predict_input(fitted):
    with pytest.raises(NotFittedError):
        SentimentClassifier().predict(["text"])
    with pytest.raises(TypeError, match="not a single str"):
        fitted.predict("one review")


# The scikit-learn estimator checks feed 2-D numeric arrays; a text classifier
# declares ``input_tags.two_d_array=False, string=True`` (as CountVectorizer does), so
# ``parametrize_with_checks`` yields no check for it. These API checks do not need
# numeric input and must pass; every check that fits on numeric X (dtypes, NaN/inf,
# sample orders, sparse input, n_features_in_, ...) is inapplicable to text input.
@pytest.mark.parametrize("check_name", [
    "check_no_attributes_set_in_init", "check_estimator_repr", "check_get_params_invariance",
    "check_set_params", "check_parameters_default_constructible", "check_valid_tag_types",
    "check_estimator_tags_renamed", "check_estimator_cloneable", "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
])
def test_sklearn_api_checks(check_name):
    from sklearn.utils import estimator_checks

    check = getattr(estimator_checks, check_name)
    check("SentimentClassifier", SentimentClassifier())


def test_sklearn_tags_declare_text_input():
    from sklearn.utils import get_tags

    tags = get_tags(SentimentClassifier(random_state=0))
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.estimator_type == "classifier"


# ------------------------------------------------------------------ the seed's protocol

def _seed_split_literally(files_by_class):
    """The seed's loop, with os.listdir replaced by the given (sorted) lists."""
    moved = {}
    for label in ("neg", "pos"):
        content_files = list(files_by_class[label])
        random.Random(1337).shuffle(content_files)
        split_count = int(0.2 * len(content_files))
        moved[label] = set(content_files[-split_count:])
    return moved


def test_seed_validation_split_reproduces_the_seeds_rule():
    rng = np.random.default_rng(0)
    files_by_class = {c: sorted(f"{i}_{r}.txt" for i, r in zip(rng.permutation(57), rng.integers(1, 11, 57)))
                      for c in ("neg", "pos")}
    files = [f"train/{c}/{name}" for c in ("pos", "neg") for name in files_by_class[c]]
    shuffled = [files[i] for i in rng.permutation(len(files))]  # input order does not matter
    mask = seed_validation_split(shuffled)
    moved = _seed_split_literally(files_by_class)
    got = {c: {f.split("/")[-1] for f, m in zip(shuffled, mask) if m and f.split("/")[1] == c}
           for c in ("neg", "pos")}
    assert got == moved
    assert mask.sum() == 2 * int(0.2 * 57)


def test_seed_validation_split_edge_cases():
    assert not seed_validation_split(["train/pos/1_8.txt", "train/neg/2_1.txt"]).any()
    assert seed_validation_split([f"train/pos/{i}_9.txt" for i in range(10)], fraction=0.5).sum() == 5
    with pytest.raises(TypeError, match="single string"):
        seed_validation_split("train/pos/1_8.txt")
    with pytest.raises(ValueError, match="no class folder"):
        seed_validation_split(["1_8.txt"])
    with pytest.raises(ValueError, match="fraction=1.5"):
        seed_validation_split(["train/pos/1_8.txt"], fraction=1.5)


def fake_imdb(n_train=100, n_test=60, n_unsup=80, seed=0):
    """A Bunch shaped like load_imdb(subsets=("train", "test", "unsup"))."""
    texts, labels, subsets, files = [], [], [], []
    for subset, n, s in (("train", n_train, seed), ("test", n_test, seed + 1), ("unsup", n_unsup, seed + 2)):
        t, y = make_corpus(n, seed=s)
        for i, (text, label) in enumerate(zip(t, y)):
            texts.append(text)
            labels.append(label if subset != "unsup" else -1)
            folder = "unsup" if subset == "unsup" else ("pos" if label == 1 else "neg")
            split = "test" if subset == "test" else "train"
            files.append(f"{split}/{folder}/{i}_{8 if label == 1 else 2}.txt")
            subsets.append(subset)
    return Bunch(texts=texts, labels=np.array(labels), subsets=np.array(subsets), files=np.array(files),
                 ratings=np.zeros(len(texts), dtype=int), ids=np.arange(len(texts)))


def test_run_imdb_protocol_on_a_fake_corpus():
    data = fake_imdb()
    seen = []
    report = run_imdb_protocol(data, sizes=(10, 40, None), callback=seen.append,
                               estimator_params=dict(n_components=6, embedding_min_df=2))
    rows = report["rows"]
    assert [r["experiment"] for r in rows] == ["a", "b", "c", "d", "e", "e", "e", "default"]
    assert seen == rows
    assert report["split"] == {"train": 80, "validation": 20, "test": 60, "unlabeled": 80}
    by = {(r["experiment"], r["setting"]): r for r in rows}
    assert by["c", IMDB_EXPERIMENTS["c"][0]]["n_train"] == 80 and rows[4]["n_train"] == 10
    assert rows[5]["n_train"] == 40 and rows[6]["n_train"] == 80 and rows[7]["n_train"] == 100
    # (c) asks for 100 of 80 reviews: all of them, the same run as (a) and the curve's end
    assert rows[2]["accuracy"] == rows[0]["accuracy"] == rows[6]["accuracy"]
    assert rows[0]["n_unlabeled"] == 80 and rows[4]["n_unlabeled"] == 70 + 80
    assert rows[7]["n_unlabeled"] == 80 and rows[7]["val_accuracy"] is None
    assert rows[4]["seed_accuracy"] is None  # the seed has no 10-review point
    assert rows[2]["seed_accuracy"] == SEED_IMDB_RESULTS["100 training samples"]
    assert rows[1]["seed_accuracy"] == 0.825 and rows[3]["seed_accuracy"] == 0.873
    for r in rows:
        assert r["accuracy"] > (0.75 if r["n_train"] < 40 else 0.85)
        assert r["fit_seconds"] >= 0 and r["predict_seconds"] >= 0
        assert r["params"].get("max_features", 20000) in (20000, 10000) or r["experiment"] == "default"
    table = format_imdb_table(report)
    assert table.count("\n") == len(rows) + 1 and "| 0.825 |" in table
    assert rows[6]["seed_accuracy"] == SEED_IMDB_RESULTS["learning curve"]["all"]
    json.dumps(report, sort_keys=True)


def test_run_imdb_protocol_batches_and_errors():
    data = fake_imdb()
    report = run_imdb_protocol(data, experiments=["e"], sizes=[2, None], batch_size=8,
                               estimator_params=dict(n_components=0))
    assert [r["n_train"] for r in report["rows"]] == [16, 80]
    assert report["rows"][0]["setting"] == "learning curve: 2 batches"
    with pytest.raises(ValueError, match="'z' is not one of"):
        run_imdb_protocol(data, experiments=["z"])
    with pytest.raises(ValueError, match="must be >= 2"):
        run_imdb_protocol(data, sizes=[1])
    with pytest.raises(TypeError, match="estimator_params"):
        run_imdb_protocol(data, estimator_params=[1])
    with pytest.raises(TypeError, match="no field 'files'"):
        run_imdb_protocol(Bunch(texts=[], labels=[], subsets=[]))


def _write_aclimdb(root, data):
    for text, file in zip(data.texts, data.files):
        path = root / "imdb" / "aclImdb" / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_cli_imdb_writes_table_report_and_figure(tmp_path, capsys):
    from veob.cli import main

    _write_aclimdb(tmp_path / "data", fake_imdb(n_train=60, n_test=40, n_unsup=40))
    out = tmp_path / "out"
    code = main(["imdb", "--data", str(tmp_path / "data"), "--out", str(out), "--experiments", "c,e",
                 "--sizes", "10,all"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| exp | setting |" in printed and "learning curve: 10" in printed
    report = json.loads((out / "report.json").read_text())
    assert [r["experiment"] for r in report["rows"]] == ["c", "e", "e"]
    assert (out / "imdb_table.md").read_text().startswith("| exp |")
    assert (out / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, message", [
    (["--experiments", "a,x"], "'x' is not one of"),
    (["--sizes", "10,lots"], "'lots' is not an integer"),
    (["--sizes", "1"], "must be >= 2"),
    (["--limit", "3"], "--limit 3 must be >= 10"),
])
def test_cli_imdb_user_errors(argv, message, tmp_path, capsys):
    from veob.cli import main

    assert main(["imdb", "--data", str(tmp_path), "--out", str(tmp_path / "o")] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_cli_imdb_limit_subsamples_every_split(tmp_path, capsys):
    from veob.cli import main

    _write_aclimdb(tmp_path / "data", fake_imdb(n_train=60, n_test=40, n_unsup=40))
    out = tmp_path / "out"
    assert main(["imdb", "--data", str(tmp_path / "data"), "--out", str(out), "--experiments", "default",
                 "--limit", "20", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    report = json.loads((out / "report.json").read_text())
    assert report["split"]["test"] == 20 and report["split"]["unlabeled"] == 20
    assert report["rows"][0]["n_train"] == 20 and report["parameters"]["limit"] == 20
    assert report["figure"] is None


def test_cli_imdb_without_data(tmp_path, capsys):
    from veob.cli import main

    assert main(["imdb", "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no IMDB data under" in capsys.readouterr().err


# ------------------------------------------------------------------ real data (VEOB_DATA)

@pytest.fixture(scope="module")
def imdb(data_root):
    from veob.datasets import load_imdb

    path = data_root / "imdb" / "aclImdb.tar.gz"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    return load_imdb(path, subsets=("train", "test"))


def test_real_seed_split_sizes(imdb):
    train = np.flatnonzero(imdb.subsets == "train")
    mask = seed_validation_split(imdb.files[train])
    assert mask.sum() == 5000
    assert np.bincount(imdb.labels[train][mask]).tolist() == [2500, 2500]


def test_real_reviews_small_sample(imdb):
    rng = np.random.default_rng(0)
    train = rng.choice(np.flatnonzero(imdb.subsets == "train"), 2000, replace=False)
    test = rng.choice(np.flatnonzero(imdb.subsets == "test"), 2000, replace=False)
    clf = SentimentClassifier(n_components=50, embedding_min_df=3, random_state=0)
    clf.fit([imdb.texts[i] for i in train], imdb.labels[train])
    accuracy = clf.score([imdb.texts[i] for i in test], imdb.labels[test])
    assert accuracy > 0.82, accuracy
    # the strongest n-gram weights carry sentiment
    hashes, _ = token_hashes(["excellent", "worst", "waste"])
    w = clf.ngram_coef_[clf.ngrams_.table_.lookup(hashes), 0]
    assert w[0] > 0 > w[1] and w[2] < 0


def test_ngram_weights_read_the_fitted_coefficients(fitted):
    w = fitted.ngram_weights(["great", "awful", "the film", "superb the film", "zzzqqq", "a b c d", ""])
    assert w[0] > 0 > w[1]
    assert w[4] == 0.0  # never seen
    assert np.isnan(w[5]) and np.isnan(w[6])  # 4 tokens, 0 tokens: outside ngram_range=(1, 3)
    hashes, _ = token_hashes(["great"])
    assert w[0] == fitted.ngram_coef_[fitted.ngrams_.table_.lookup(hashes)[0], 0]
    small = SentimentClassifier(n_components=0, max_features=3).fit(*make_corpus(40))
    assert small.ngram_weights(["great"])[0] == 0.0  # out of the 3-word vocabulary
