r"""End-to-end image classification protocols: the paper's MNIST table (section 6.6) and the patch pipeline.

Experiment protocols, not part of the stable API (see :mod:`veob.experiments`).
"""

from __future__ import annotations

import time

import numpy as np

from .._progress import check_progress, stage
from .._validation import check_int
from ..models import JointEmbeddingClassifier, LeastSquaresClassifier, top_k_accuracy

__all__ = ["evaluate_paper_pipeline", "evaluate_patch_pipeline"]


def _check_split(X, y, name):
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim not in (3, 4):
        raise ValueError(f"{name} must have shape (n, h, w) or (n, h, w, c); got shape {X.shape}")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"the labels of {name} must have shape ({X.shape[0]},); got {y.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    return X, y


def _summarise(result, name, ranking, y):
    result[f"{name}_top1"] = top_k_accuracy(y, ranking, 1)
    if ranking.shape[1] >= 3:
        result[f"{name}_top3"] = top_k_accuracy(y, ranking, 3)
    result[f"{name}_ranking"] = ranking


def evaluate_paper_pipeline(X_train, y_train, X_test, y_test, *, n_components=30, keep=None, n_joint=100,
                            strategy="per_label", max_level=9, min_samples=200, n_probe=1, exact=False,
                            rank_train=True, random_state=None, n_jobs=None):
    r"""The paper's MNIST pipeline (section 6.6): 2-D DCT, SVD, joint-embedding classifier.

    Parameters
    ----------
    X_train, X_test : array-like of shape (n, h, w) or (n, h, w, c)
        Images (any numeric type; 8-bit integers are computed in float32).
    y_train, y_test : array-like of shape (n,)
        Labels.
    n_components : int, default=30
        Dimension of the SVD embedding of the DCT coefficients (the paper: 30).
    keep : int, (int, int) or None, default=None
        Low-pass DCT block to keep (None: the full transform, as the paper).
    n_joint, strategy, max_level, min_samples, n_probe, exact
        Parameters of :class:`JointEmbeddingClassifier`. The default is the
        paper's search (the nearest cell of each class, ``n_probe=1``);
        ``exact=True`` ranks the classes exactly as a brute-force search
        of every class's best match does (on MNIST: top-1 97.1 % instead of
        96.5 %, at about half the time of scikit-learn's brute force).
    rank_train : bool, default=True
        Also rank the training images (the paper reports train top-3; the
        best match of a training image is itself, so it is ~100 %).
    random_state : int, RandomState instance or None, default=None
        Seeds the classifier.
    n_jobs : int or None, default=None
        Threads of the classifier.

    Returns
    -------
    result : dict
        ``components`` (the SVD basis, (n_components, n_coefficients)),
        ``singular_values``, ``train_embedding``, ``test_embedding``,
        ``classifier``; ``test_top1``, ``test_top3``, ``test_ranking`` (and
        ``train_*`` with ``rank_train``); ``seconds``: wall times of the
        steps ``dct``, ``svd``, ``fit``, ``rank_test`` (, ``rank_train``)
        and ``total`` (the steps up to ranking the test set).

    See Also
    --------
    veob.models.JointEmbeddingClassifier, veob.dct2, veob.svd, evaluate_patch_pipeline

    Notes
    -----
    Coefficients :math:`C = \mathrm{DCT2}(X)` flattened, :math:`C = U S V^T`
    (``solver="gram"``, no centring, as the paper), embeddings
    :math:`P = C V_k` for train and test, then
    ``JointEmbeddingClassifier(...).fit(P_train, y_train)`` and
    :meth:`~JointEmbeddingClassifier.rank_classes` for the top-k measures.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from veob.experiments import evaluate_paper_pipeline
    >>> digits = load_digits()
    >>> images, y = digits.images, digits.target
    >>> result = evaluate_paper_pipeline(images[:1500], y[:1500], images[1500:], y[1500:], n_components=20,
    ...                                  min_samples=50, random_state=0)
    >>> bool(result["test_top3"] > 0.98), result["train_top1"]
    (True, 1.0)
    """
    from ..decomposition import svd
    from ..spectral import dct2

    X_train, y_train = _check_split(X_train, y_train, "X_train")
    X_test, y_test = _check_split(X_test, y_test, "X_test")
    n_components = check_int(n_components, "n_components", low=1)
    seconds = {}
    start = time.perf_counter()
    C_train = dct2(X_train, keep).reshape(X_train.shape[0], -1)
    C_test = dct2(X_test, keep).reshape(X_test.shape[0], -1)
    seconds["dct"] = time.perf_counter() - start
    start = time.perf_counter()
    U, s, Vt = svd(C_train, n_components, solver="gram")
    P_train = np.ascontiguousarray(U * s)
    P_test = C_test @ Vt.T
    seconds["svd"] = time.perf_counter() - start
    start = time.perf_counter()
    clf = JointEmbeddingClassifier(n_joint=n_joint, strategy=strategy, max_level=max_level,
                                   min_samples=min_samples, n_probe=n_probe, exact=exact,
                                   random_state=random_state, n_jobs=n_jobs).fit(P_train, y_train)
    seconds["fit"] = time.perf_counter() - start
    start = time.perf_counter()
    ranking = clf.rank_classes(P_test)
    seconds["rank_test"] = time.perf_counter() - start
    seconds["total"] = sum(seconds.values())
    result = {"components": Vt, "singular_values": s, "train_embedding": P_train, "test_embedding": P_test,
              "classifier": clf, "seconds": seconds}
    _summarise(result, "test", ranking, y_test)
    if rank_train:
        start = time.perf_counter()
        ranking = clf.rank_classes(P_train)
        seconds["rank_train"] = time.perf_counter() - start
        _summarise(result, "train", ranking, y_train)
    return result


def evaluate_patch_pipeline(X_train, y_train, X_test, y_test, *, embedder=None, classifier=None, scale=255.0,
                            score_train=False, progress=False):
    r"""The patch pipeline: :class:`~veob.images.PatchEmbedder` then a closed-form head.

    Parameters
    ----------
    X_train, X_test : array-like of shape (n, h, w) or (n, h, w, c)
        Images; divided by ``scale`` (the features do not depend on it,
        the division only keeps inputs in [0, 1] as documented).
    y_train, y_test : array-like of shape (n,)
        Labels.
    embedder : PatchEmbedder or None, default=None
        Unfitted embedder; None is ``PatchEmbedder(random_state=0)``.
    classifier : estimator or None, default=None
        Unfitted classifier; None is ``LeastSquaresClassifier(random_state=0)``.
    scale : float, default=255.0
        Divisor of the pixel values.
    score_train : bool, default=False
        Also report the training accuracy ``train_top1`` (predicts the
        training set again: slow for large kernel heads).
    progress : bool, default=False
        Progress bars on stderr for every stage: sets ``progress=True`` on
        the embedder and the classifier (when they take it) and shows the
        prediction step.

    Returns
    -------
    result : dict
        ``embedder``, ``classifier``, ``test_top1`` (``test_top3``),
        ``test_ranking``, ``n_features`` (``train_top1``) and ``seconds``:
        ``embed_fit``, ``embed_train``, ``fit``, ``embed_test``,
        ``predict``, ``total``.

    See Also
    --------
    evaluate_paper_pipeline, veob.images.PatchEmbedder, veob.models.LeastSquaresClassifier

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from veob.images import PatchEmbedder
    >>> from veob.experiments import evaluate_patch_pipeline
    >>> digits = load_digits()
    >>> embedder = PatchEmbedder(patch_size=3, n_filters=(4, 4), block_size=4, hist_components=8,
    ...                          random_state=0)
    >>> result = evaluate_patch_pipeline(digits.images[:1500], digits.target[:1500], digits.images[1500:],
    ...                                  digits.target[1500:], embedder=embedder, scale=16.0)
    >>> result["n_features"], bool(result["test_top1"] > 0.85)
    (128, True)
    """
    from sklearn.base import clone

    from ..images import PatchEmbedder

    X_train, y_train = _check_split(X_train, y_train, "X_train")
    X_test, y_test = _check_split(X_test, y_test, "X_test")
    embedder = PatchEmbedder(random_state=0) if embedder is None else clone(embedder)
    classifier = LeastSquaresClassifier(random_state=0) if classifier is None else clone(classifier)
    show = check_progress(progress)
    for model in (embedder, classifier):
        if show and "progress" in model.get_params(deep=False):
            model.set_params(progress=True)
    scale = np.float32(scale)
    seconds = {}
    start = time.perf_counter()
    train = X_train.astype(np.float32) / scale
    embedder.fit(train)
    seconds["embed_fit"] = time.perf_counter() - start
    start = time.perf_counter()
    F_train = embedder.transform(train)
    del train
    seconds["embed_train"] = time.perf_counter() - start
    start = time.perf_counter()
    classifier.fit(F_train, y_train)
    seconds["fit"] = time.perf_counter() - start
    train_top1 = float(np.mean(classifier.predict(F_train) == y_train)) if score_train else None
    del F_train
    start = time.perf_counter()
    F_test = embedder.transform(X_test.astype(np.float32) / scale)
    seconds["embed_test"] = time.perf_counter() - start
    start = time.perf_counter()
    with stage(show, f"predicting {F_test.shape[0]:,} test images"):
        scores = classifier.decision_function(F_test) if hasattr(classifier, "decision_function") \
            else classifier.predict_proba(F_test)
    seconds["predict"] = time.perf_counter() - start
    seconds["total"] = sum(seconds.values())
    if scores.ndim == 1:
        scores = np.stack([-scores, scores], axis=1)
    ranking = classifier.classes_[np.argsort(-scores, axis=1, kind="stable")]
    result = {"embedder": embedder, "classifier": classifier, "n_features": int(F_test.shape[1]),
              "seconds": seconds}
    if score_train:
        result["train_top1"] = train_top1
    _summarise(result, "test", ranking, y_test)
    return result
