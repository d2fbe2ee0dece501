"""A backprop-free document classifier: n-gram Naive-Bayes scores + SVD embedding + ridge."""

from __future__ import annotations

import numbers

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._threads import thread_limits
from .._validation import check_int, check_random_state, check_str_list
from ._ngrams import NGramCounter, WordVocabulary, token_hashes

__all__ = ["SentimentClassifier"]

_ALPHAS = tuple(float(a) for a in np.logspace(-4, 3, 15))
_NB_SCALES = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
_PREFIX_DIVISORS = (1, 2, 4, 8, 16, 32)


class SentimentClassifier(ClassifierMixin, BaseEstimator):
    r"""Document classifier without gradient descent: NB n-gram scores + SVD embedding + ridge.

    Three closed-form parts, fitted in one pass over the texts:

    1. **Naive-Bayes log-count ratios** (Wang & Manning 2012) of binary word
       n-grams (uni- to trigrams by default) from the labelled texts; the
       Naive-Bayes score of a text is the sum of the ratios of its n-grams.
    2. **SVD embedding** (VEOB): binary uni+bigram indicators weighted by
       their inverse document frequency, rows normalised, projected on the
       top ``n_components`` right singular vectors of that matrix over the
       labelled *and unlabelled* texts (:func:`veob.svd`, randomized).
    3. **Ridge head** on ``[embedding, Naive-Bayes score]``, solved in closed
       form from an eigendecomposition of the small Gram matrix, with the
       penalty, the number of leading components and the weight of the
       Naive-Bayes score chosen by exact leave-one-out accuracy.

    With few labels the Naive-Bayes ratios are noise and the leave-one-out
    choice leans on a few leading components of the embedding learned from
    unlabelled text; with many labels it leans on the n-gram scores. The
    fitted model is linear in the two sparse feature sets, so prediction is
    two sparse matrix-vector products.

    Parameters
    ----------
    ngram_range : (int, int), default=(1, 3)
        Smallest and largest n of the Naive-Bayes n-grams.
    nb_alpha : float, default=0.5
        Additive (Laplace/Lidstone) smoothing of the n-gram counts per class.
    n_components : int, default=200
        Largest embedding dimension; leave-one-out chooses among the leading
        ``n_components``, ``/2``, ``/4``, ... ``/32`` and 0 components. 0
        turns the embedding off (unlabelled texts are then ignored).
    embedding_ngram_range : (int, int), default=(1, 2)
        n-grams of the embedding's input matrix.
    embedding_min_df : int or float, default=10
        Keep the embedding n-grams found in at least this many fitted texts
        (a float in (0, 1]: this fraction of them).
    alphas : sequence of float, default=15 values from 1e-4 to 1e3
        Ridge penalties tried by leave-one-out.
    nb_scales : sequence of float, default=(0.03, 0.1, 0.3, 1, 3, 10)
        Scales of the standardised Naive-Bayes score tried by leave-one-out
        (a larger scale is a weaker penalty on its weight).
    n_folds : int, default=5
        Folds of the cross-fitting that gives the ridge head out-of-fold
        Naive-Bayes scores of the training texts.
    max_features : int or None, default=None
        Keep only the most frequent words of the fitted texts (the seed's
        "vocabulary size"); other words are out of vocabulary.
    max_tokens : int or None, default=None
        Read only the first ``max_tokens`` tokens of every text (the seed's
        "sequence length").
    punctuation : bool, default=True
        Whether "!" and "?" are tokens.
    svd_n_iter : int, default=1
        Power iterations of the randomized SVD.
    random_state : int, RandomState instance or None, default=None
        Seed of the folds and of the randomized SVD.
    n_jobs : int or None, default=None
        Threads for the numba kernels and BLAS (None: leave as is).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``y`` (unlabelled texts excluded).
    ngram_coef_ : ndarray of shape (n_ngrams, n_outputs)
        Weights of the binary n-gram indicators (Naive-Bayes ratios times
        the ridge weight of the score); ``n_outputs`` is 1 for two classes,
        else ``n_classes``.
    embedding_coef_ : ndarray of shape (n_embedding_features, n_outputs)
        Weights of the normalised tf-idf embedding input (the embedding's
        ridge weights pulled back through ``components_``).
    intercept_ : ndarray of shape (n_outputs,)
    components_ : ndarray of shape (n_components, n_embedding_features)
        The orthonormal basis :math:`V_k^T` of the embedding (float32).
    singular_values_ : ndarray of shape (n_components,)
    idf_ : ndarray of shape (n_embedding_features,)
    nb_ratios_ : ndarray of shape (n_ngrams, n_outputs)
        Naive-Bayes log-count ratios from all labelled texts.
    selection_ : dict
        The leave-one-out choice: ``n_components``, ``nb_scale``, ``alpha``,
        ``loo_error`` (mean squared) and ``loo_accuracy``.
    calibration_coef_, calibration_intercept_ : ndarray
        Linear discriminant of the leave-one-out scores that turns decision
        values into probabilities.
    n_labeled_, n_unlabeled_ : int
        Numbers of labelled and unlabelled fitted texts.

    See Also
    --------
    veob.svd : the truncated SVD behind the embedding.
    veob.SVDEmbedder : the VEOB embedding of numeric matrices.
    veob.experiments.run_imdb_protocol : the seed notebook's experiments.

    Notes
    -----
    For two classes with binary n-gram indicators :math:`x \in \{0,1\}^d`,
    class sums :math:`p = \alpha + \sum_{y_i=1} x_i`, :math:`q = \alpha +
    \sum_{y_i=0} x_i`, the Naive-Bayes ratio is

    .. math:: r = \log \frac{p / \lVert p \rVert_1}{q / \lVert q \rVert_1}

    and the score of a text is :math:`x^\top r` (one-vs-rest ratios for
    more classes). Training texts get out-of-fold scores (their own label
    never enters their score). With :math:`z` the L2-normalised idf-weighted
    indicators and :math:`V_k` from :math:`Z = U S V^\top` over labelled and
    unlabelled texts, the ridge head fits

    .. math:: \min_{w, b} \lVert Y - F w - b \rVert^2 + \lambda \lVert w \rVert^2,
              \qquad F = [\, Z V_k,\; \gamma\, \tilde s \,]

    (:math:`\tilde s` the standardised score, :math:`\gamma` its scale) with
    targets :math:`\pm 1` (one-hot for more classes). From the
    eigendecomposition :math:`F_c^\top F_c = V \Sigma^2 V^\top` of the
    centred features, :math:`U = F_c V \Sigma^{-1}`, the fitted values
    :math:`\hat Y = \bar Y + U \operatorname{diag}(\sigma_j^2 / (\sigma_j^2 +
    \lambda)) U^\top Y_c` and the hat diagonal :math:`h_i = 1/n + \sum_j
    U_{ij}^2 \sigma_j^2/(\sigma_j^2+\lambda)` give the exact leave-one-out
    residuals :math:`(y_i - \hat y_i)/(1 - h_i)` for every :math:`\lambda`
    at once. The grid of (leading components, :math:`\gamma`, :math:`\lambda`)
    is searched for the best leave-one-out *accuracy* (ties: the smaller
    squared error); squared error alone favours weak penalties that
    classify worse. Probabilities come from a linear discriminant (class means,
    pooled covariance) of the leave-one-out decision values, so no iterative
    fit is needed anywhere.

    Unlabelled texts are marked ``-1`` in ``y`` (scikit-learn's
    semi-supervised convention); they shape the word vocabulary and the
    embedding only.

    References
    ----------
    .. [1] S. Wang and C. D. Manning, "Baselines and Bigrams: Simple, Good
       Sentiment and Topic Classification", ACL 2012.
    .. [2] S. Deerwester et al., "Indexing by Latent Semantic Analysis",
       JASIS 41(6), 1990.
    .. [3] G. H. Golub, M. Heath and G. Wahba, "Generalized Cross-Validation
       as a Method for Choosing a Good Ridge Parameter", Technometrics 21, 1979.

    Examples
    --------
    >>> import numpy as np
    >>> from veob.baselines import SentimentClassifier
    >>> rng = np.random.default_rng(0)
    >>> filler = "the film plot actor scene story movie music cast".split()
    >>> def review(good):
    ...     words = list(rng.choice(filler, 12))
    ...     words += list(rng.choice(["great", "superb", "loved"] if good else ["awful", "boring", "hated"], 2))
    ...     return " ".join(rng.permutation(words))
    >>> y = np.arange(60) % 2
    >>> texts = [review(label) for label in y]
    >>> clf = SentimentClassifier(n_components=4, embedding_min_df=2, random_state=0).fit(texts, y)
    >>> clf.predict(["a superb film, i loved it", "boring and awful plot"]).tolist()
    [1, 0]
    >>> clf.predict_proba(["great great superb"]).round(2).sum()
    np.float64(1.0)
    """

    def __init__(self, *, ngram_range=(1, 3), nb_alpha=0.5, n_components=200,
                 embedding_ngram_range=(1, 2), embedding_min_df=10, alphas=_ALPHAS,
                 nb_scales=_NB_SCALES, n_folds=5, max_features=None, max_tokens=None,
                 punctuation=True, svd_n_iter=1, random_state=None, n_jobs=None):
        self.ngram_range = ngram_range
        self.nb_alpha = nb_alpha
        self.n_components = n_components
        self.embedding_ngram_range = embedding_ngram_range
        self.embedding_min_df = embedding_min_df
        self.alphas = alphas
        self.nb_scales = nb_scales
        self.n_folds = n_folds
        self.max_features = max_features
        self.max_tokens = max_tokens
        self.punctuation = punctuation
        self.svd_n_iter = svd_n_iter
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------ fitting

    def fit(self, texts, y):
        """Fit on texts and labels (-1 marks an unlabelled text).

        Parameters
        ----------
        texts : sequence of str of length n_texts
        y : array-like of shape (n_texts,)
            Class labels; with integer labels, -1 marks an unlabelled text
            used only by the vocabulary and the embedding.

        Returns
        -------
        self : SentimentClassifier
        """
        texts = check_str_list(texts, "texts")
        self._check_params()
        labels, labeled = _check_targets(y, len(texts))
        check_classification_targets(labels)
        classes, y_index = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"y has {len(classes)} class among its labelled texts; "
                             "a classifier needs at least 2")
        counts = np.bincount(y_index)
        if counts.min() < 2:
            raise ValueError(f"class {classes[counts.argmin()]!r} has {counts.min()} labelled text; "
                             "every class needs at least 2 (for the cross-fitted scores)")
        rng = check_random_state(self.random_state)
        fold_seed, svd_seed = rng.randint(0, 2**31 - 1, size=2)
        with thread_limits(self.n_jobs):
            self._fit(texts, labeled, y_index, classes, int(fold_seed), int(svd_seed))
        return self

    def _check_params(self):
        for name in ("ngram_range", "embedding_ngram_range"):
            value = getattr(self, name)
            if (not isinstance(value, tuple) or len(value) != 2
                    or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
                    or not 1 <= value[0] <= value[1]):
                raise ValueError(f"{name}={value!r} must be a tuple (min_n, max_n) of integers "
                                 "with 1 <= min_n <= max_n")
        if not isinstance(self.nb_alpha, numbers.Real) or not self.nb_alpha > 0:
            raise ValueError(f"nb_alpha={self.nb_alpha!r} must be a positive number")
        check_int(self.n_components, "n_components", low=0)
        check_int(self.n_folds, "n_folds", low=2)
        check_int(self.svd_n_iter, "svd_n_iter", low=0)
        if self.max_features is not None:
            check_int(self.max_features, "max_features", low=1)
        if self.max_tokens is not None:
            check_int(self.max_tokens, "max_tokens", low=1)
        m = self.embedding_min_df
        if isinstance(m, bool) or not isinstance(m, numbers.Real) or (
                isinstance(m, numbers.Integral) and m < 1) or (
                not isinstance(m, numbers.Integral) and not 0 < m <= 1):
            raise ValueError(f"embedding_min_df={m!r} must be an integer >= 1 or a float in (0, 1]")
        for name in ("alphas", "nb_scales"):
            grid = np.asarray(getattr(self, name), dtype=float) if _is_sequence(getattr(self, name)) else None
            if grid is None or grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
                raise ValueError(f"{name}={getattr(self, name)!r} must be a non-empty sequence "
                                 "of positive numbers")

    def _tokens(self, texts):
        tokens, offsets = token_hashes(texts, punctuation=self.punctuation)
        if self.max_features is not None:
            self.vocabulary_.mask(tokens)
        return tokens, offsets

    def _fit(self, texts, labeled, y_index, classes, fold_seed, svd_seed):
        for stale in ("vocabulary_", "embedding_ngrams_", "idf_", "components_", "singular_values_",
                      "embedding_coef_"):  # from an earlier fit with other parameters
            self.__dict__.pop(stale, None)
        tokens, offsets = token_hashes(texts, punctuation=self.punctuation)
        use_embedding = self.n_components > 0
        if self.max_features is not None:
            # like Keras' TextVectorization.adapt: the vocabulary of the texts fitted on
            vocab_tokens = tokens if use_embedding else _take(tokens, offsets, labeled)[0]
            self.vocabulary_ = WordVocabulary(self.max_features).fit(vocab_tokens)
            self.vocabulary_.mask(tokens)
        lab_tokens, lab_offsets = _take(tokens, offsets, labeled)
        n_lab, n_classes = len(labeled), len(classes)
        n_out = 1 if n_classes == 2 else n_classes

        # 1. Naive-Bayes ratios of binary n-grams, cross-fitted for the training rows
        self.ngrams_ = NGramCounter(self.ngram_range, max_tokens=self.max_tokens)
        X = self.ngrams_.fit_transform(lab_tokens, lab_offsets)
        X.data[:] = 1.0
        T = np.zeros((n_lab, n_classes))
        T[np.arange(n_lab), y_index] = 1.0
        n_splits = min(self.n_folds, int(np.bincount(y_index).min()))
        folds = np.empty(n_lab, dtype=np.int64)
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=fold_seed)
        for f, (_, held) in enumerate(splitter.split(np.zeros(n_lab), y_index)):
            folds[held] = f
        total = np.asarray((X.T @ T).T)  # (n_classes, n_ngrams)
        scores = np.empty((n_lab, n_out))
        for f in range(n_splits):
            held = np.flatnonzero(folds == f)
            part = np.asarray((X[held].T @ T[held]).T)
            scores[held] = X[held] @ _nb_ratios(total - part, self.nb_alpha)
        self.nb_ratios_ = _nb_ratios(total, self.nb_alpha)
        del X

        # 2. SVD embedding of idf-weighted uni+bigrams over labelled + unlabelled texts
        if use_embedding:
            self.embedding_ngrams_ = NGramCounter(self.embedding_ngram_range, max_tokens=self.max_tokens,
                                                  min_df=self.embedding_min_df)
            Z = self.embedding_ngrams_.fit_transform(tokens, offsets)
            del tokens
            if Z.shape[1] == 0:
                raise ValueError(f"embedding_min_df={self.embedding_min_df!r} keeps no n-gram of the "
                                 f"{Z.shape[0]} fitted texts; lower it or set n_components=0")
            n_docs = Z.shape[0]
            self.idf_ = (np.log((1.0 + n_docs) / (1.0 + self.embedding_ngrams_.document_frequency_))
                         + 1.0).astype(np.float32)
            Z = self._tfidf(Z)
            k = min(self.n_components, Z.shape[0], Z.shape[1])
            from ..decomposition import svd

            U, s, Vt = svd(Z, k, solver="randomized", n_iter=self.svd_n_iter, random_state=svd_seed)
            self.components_ = np.ascontiguousarray(Vt, dtype=np.float32)
            self.singular_values_ = s.astype(np.float64)
            P = (U[labeled] * s).astype(np.float64)
            del U, Z
        else:
            k = 0
            P = np.zeros((n_lab, 0))

        # 3. ridge head with leave-one-out model selection
        Y = (2.0 * T[:, 1:] - 1.0) if n_out == 1 else T
        std = scores.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        S = scores / std
        best = None
        for n_comp in sorted({0} | {k // d for d in _PREFIX_DIVISORS}):
            for scale in self.nb_scales:
                F = np.hstack([P[:, :n_comp], float(scale) * S])
                fit = _ridge_loo(F, Y, y_index, self.alphas)
                if best is None or fit["key"] < best["key"]:
                    best = dict(fit, n_components=n_comp, nb_scale=float(scale))
        n_comp, scale = best["n_components"], best["nb_scale"]
        W = best["coef"]
        self.intercept_ = best["intercept"]
        self.ngram_coef_ = (self.nb_ratios_ * (scale / std)) @ W[n_comp:]
        if use_embedding:
            self.embedding_coef_ = self.components_[:n_comp].T.astype(np.float64) @ W[:n_comp]
        loo = best["loo_pred"]
        self.calibration_coef_, self.calibration_intercept_ = _lda(loo, y_index, n_classes)
        self.selection_ = {
            "n_components": int(n_comp),
            "nb_scale": scale,
            "alpha": best["alpha"],
            "loo_error": best["loo_error"],
            "loo_accuracy": best["loo_accuracy"],
            "nb_score_std": std.tolist(),
        }
        self.classes_ = classes
        self.n_labeled_ = n_lab
        self.n_unlabeled_ = len(texts) - n_lab

    def _tfidf(self, Z):
        """Binary indicators times idf, rows scaled to unit norm (in place)."""
        from sklearn.preprocessing import normalize

        Z.data = self.idf_[Z.indices]
        return normalize(Z, copy=False)

    # ---------------------------------------------------------- predicting

    def decision_function(self, texts):
        """Ridge decision values.

        Returns
        -------
        scores : ndarray of shape (n_texts,) or (n_texts, n_classes)
            For two classes, positive means ``classes_[1]``.
        """
        check_is_fitted(self, "ngram_coef_")
        texts = check_str_list(texts, "texts")
        with thread_limits(self.n_jobs):
            tokens, offsets = self._tokens(texts)
            X = self.ngrams_.transform(tokens, offsets)
            X.data[:] = 1.0
            D = X @ self.ngram_coef_ + self.intercept_
            if hasattr(self, "embedding_coef_"):
                D += self._tfidf(self.embedding_ngrams_.transform(tokens, offsets)) @ self.embedding_coef_
        return D.ravel() if D.shape[1] == 1 else D

    def predict(self, texts):
        """Predicted class of each text."""
        D = self.decision_function(texts)
        return self.classes_[_argmax_scores(D.reshape(len(D), -1))]

    def predict_proba(self, texts):
        """Class probabilities from the linear discriminant of the decision values.

        Returns
        -------
        proba : ndarray of shape (n_texts, n_classes)
        """
        D = self.decision_function(texts)
        logits = D.reshape(len(D), -1) @ self.calibration_coef_ + self.calibration_intercept_
        return np.exp(logits - logsumexp(logits, axis=1, keepdims=True))

    def predict_log_proba(self, texts):
        """Logarithm of :meth:`predict_proba`."""
        D = self.decision_function(texts)
        logits = D.reshape(len(D), -1) @ self.calibration_coef_ + self.calibration_intercept_
        return logits - logsumexp(logits, axis=1, keepdims=True)

    def ngram_weights(self, ngrams):
        """The weights of given n-grams in the decision function (which words push where).

        Parameters
        ----------
        ngrams : sequence of str
            Each string is tokenised like the texts, e.g. ``"not good"``.

        Returns
        -------
        weights : ndarray of shape (n_ngrams,) or (n_ngrams, n_classes)
            Entries of :attr:`ngram_coef_`: 0 for an n-gram never seen in a
            labelled text (or holding an out-of-vocabulary word), NaN when its
            number of tokens is outside ``ngram_range``.
        """
        check_is_fitted(self, "ngram_coef_")
        ngrams = check_str_list(ngrams, "ngrams")
        from ._ngrams import _ngram_hashes

        tokens, offsets = self._tokens(ngrams)
        lo, hi = self.ngram_range
        grams, gram_offsets = _ngram_hashes(tokens, offsets, (1, hi), None)
        lengths = np.diff(offsets)
        n_oov = np.concatenate([[0], np.cumsum(tokens == 0)])
        has_oov = n_oov[offsets[1:]] > n_oov[offsets[:-1]]
        ok = (lengths >= lo) & (lengths <= hi)
        keys = np.zeros(len(ngrams), dtype=np.uint64)
        whole = ok & ~has_oov
        keys[whole] = grams[gram_offsets[1:][whole] - 1]  # the n = length window comes last
        ids = self.ngrams_.table_.lookup(keys)
        W = np.where((ids >= 0)[:, None], self.ngram_coef_[np.maximum(ids, 0)], 0.0)
        W[~ok] = np.nan
        return W.ravel() if W.shape[1] == 1 else W

    def transform(self, texts):
        """The SVD embedding of the texts, ``z V_k`` (float32).

        Returns
        -------
        P : ndarray of shape (n_texts, n_components)
        """
        check_is_fitted(self, "ngram_coef_")
        if not hasattr(self, "components_"):
            raise ValueError("this SentimentClassifier was fitted with n_components=0: it has no embedding")
        texts = check_str_list(texts, "texts")
        with thread_limits(self.n_jobs):
            tokens, offsets = self._tokens(texts)
            Z = self._tfidf(self.embedding_ngrams_.transform(tokens, offsets))
            return np.asarray(Z @ self.components_.T)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.non_deterministic = self.random_state is None
        return tags


# --------------------------------------------------------------- helpers

def _is_sequence(value):
    return isinstance(value, (list, tuple, np.ndarray))


def _check_targets(y, n):
    if y is None:
        raise ValueError("y=None: SentimentClassifier is supervised and needs labels")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D; got shape {y.shape}")
    if len(y) != n:
        raise ValueError(f"y has {len(y)} labels for {n} texts; they must match")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinity")
    if y.dtype.kind in "iuf":
        labeled = np.flatnonzero(y != -1)
    else:
        labeled = np.arange(n)
    if len(labeled) == 0:
        raise ValueError("y marks every text unlabelled (-1); at least 2 labelled texts per class are needed")
    return y[labeled], labeled


def _take(tokens, offsets, rows):
    """Tokens and offsets of the selected texts."""
    lengths = np.diff(offsets)[rows]
    new_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    shift = np.repeat(offsets[:-1][rows] - new_offsets[:-1], lengths)
    return np.ascontiguousarray(tokens[np.arange(new_offsets[-1]) + shift]), new_offsets


def _nb_ratios(class_sums, alpha):
    """Naive-Bayes log-count ratios (n_features, 1) for 2 classes, one-vs-rest (n_features, K) else."""
    p = class_sums + alpha
    if len(class_sums) == 2:
        r = np.log(p[1] / p[1].sum()) - np.log(p[0] / p[0].sum())
        return r[:, None]
    rest = p.sum(axis=0) - p - alpha * (len(p) - 2)
    return (np.log(p / p.sum(axis=1, keepdims=True)) - np.log(rest / rest.sum(axis=1, keepdims=True))).T


def _ridge_loo(F, Y, y_index, alphas):
    """Ridge with intercept for every penalty; the best by leave-one-out accuracy.

    Ties in accuracy go to the smaller leave-one-out squared error.
    """
    n = F.shape[0]
    F_mean, Y_mean = F.mean(axis=0), Y.mean(axis=0)
    Fc, Yc = F - F_mean, Y - Y_mean
    evals, V = np.linalg.eigh(Fc.T @ Fc)
    keep = evals > max(evals.max(initial=0.0), 1e-300) * 1e-10
    s2, V = evals[keep], V[:, keep]
    U = (Fc @ V) / np.sqrt(s2)
    UtY = U.T @ Yc
    U2 = U * U
    best = None
    for alpha in alphas:
        f = s2 / (s2 + alpha)
        fitted = U @ (f[:, None] * UtY) + Y_mean
        h = U2 @ f + 1.0 / n
        resid = (Y - fitted) / np.maximum(1.0 - h, 1e-12)[:, None]
        loo_pred = Y - resid
        error = float(np.mean(resid**2))
        accuracy = float(np.mean(_argmax_scores(loo_pred) == y_index))
        key = (-accuracy, error)
        if best is None or key < best["key"]:
            best = {"key": key, "loo_error": error, "loo_accuracy": accuracy,
                    "alpha": float(alpha), "loo_pred": loo_pred}
    alpha = best["alpha"]
    coef = V @ ((np.sqrt(s2) / (s2 + alpha))[:, None] * UtY)
    return dict(best, coef=coef, intercept=Y_mean - F_mean @ coef)


def _argmax_scores(D):
    return (D[:, 0] > 0).astype(np.int64) if D.shape[1] == 1 else np.argmax(D, axis=1)


def _lda(D, y_index, n_classes):
    """Linear discriminant (pooled covariance) of decision values: logits = D A + c."""
    means = np.stack([D[y_index == c].mean(axis=0) for c in range(n_classes)])
    resid = D - means[y_index]
    cov = resid.T @ resid / max(len(D) - n_classes, 1)
    cov += np.eye(len(cov)) * (1e-9 * max(np.trace(cov), 1e-12))
    prec = np.linalg.pinv(cov, hermitian=True)
    A = prec @ means.T
    priors = np.bincount(y_index, minlength=n_classes) / len(y_index)
    c = -0.5 * np.einsum("kd,dk->k", means, A) + np.log(priors)
    return A, c
