"""ContextEmbedder: word vectors from co-occurrence counts (paper section 6.3, and PPMI-SVD)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int
from ._cooc import cooccurrence_matrix, normalize_bags, ppmi
from ._corpus import Corpus, as_corpus
from ._linalg import truncated_svd
from ._word_vectors import WordVectors

__all__ = ["ContextEmbedder"]

WEIGHTINGS = ("paper", "ppmi")
DISTANCE_WEIGHTINGS = ("none", "linear", "harmonic")

# resolved values of the "auto" parameters: (paper, ppmi)
_AUTO = {
    "window": (2, 3),
    "distance_weighting": ("none", "linear"),
    "eig_power": (1.0, 0.5),
}


def distance_weights(window, kind):
    """Weight of a context at distance ``k = 1 .. window``.

    ``"none"``: 1; ``"linear"``: ``(window - k + 1) / window`` (word2vec's
    dynamic window in expectation); ``"harmonic"``: ``1 / k`` (GloVe).
    """
    k = np.arange(1, window + 1, dtype=np.float64)
    if kind == "none":
        return np.ones(window)
    if kind == "linear":
        return (window - k + 1) / window
    return 1.0 / k


class ContextEmbedder(BaseEstimator):
    r"""Word vectors from the words before and after each word, by SVD.

    The paper's setting (the defaults): for each word, count the words at
    distance 1..2 before it and after it as two bags (two blocks of
    columns, "before" and "after"), divide each bag by its total (the
    contexts' frequencies), and embed the rows on the top 50 singular
    vectors. ``weighting="ppmi"`` is positive PMI with context-distribution
    smoothing (Levy, Goldberg & Dagan 2015) and the settings that scored
    best on our proxies (window 3 with linearly decaying weights, two bags,
    :math:`U S^{1/2}`).

    Parameters
    ----------
    window : int or "auto", default="auto"
        Context positions on each side. "auto": 2 for ``"paper"``, 3 for
        ``"ppmi"``.
    n_components : int, default=50
        Embedding dimension.
    weighting : {"paper", "ppmi"}, default="paper"
        ``"paper"``: each bag of each row divided by its sum. ``"ppmi"``:
        :math:`\max(\log\frac{\#(w,c)}{\#(w) P_\alpha(c)} - \log s, 0)`.
    bags : {1, 2}, default=2
        2: contexts before and after a word are different columns (the
        paper); 1: one bag for both sides.
    distance_weighting : {"auto", "none", "linear", "harmonic"}, default="auto"
        Weight of a context at distance k: 1, :math:`(w - k + 1) / w` or
        :math:`1 / k`. "auto": "none" for ``"paper"``, "linear" for
        ``"ppmi"``.
    cds : float, default=0.75
        Context-distribution smoothing exponent :math:`\alpha` (ppmi only).
    shift : float, default=1.0
        PMI shift :math:`s \ge 1` (``log s`` subtracted; ppmi only).
    eig_power : float or "auto", default="auto"
        Word vectors are :math:`U_k S_k^p`. "auto": 1 for ``"paper"`` (the
        VEOB projection :math:`U^T X`), 0.5 for ``"ppmi"``.
    add_context : bool, default=False
        Add the context vectors :math:`V_k S_k^p` (summed over the bags) to
        the word vectors ("W + C").
    min_count : int, default=1
        Words (rows) seen fewer times are left out of the vocabulary; they
        still count as contexts.
    solver : str, default="auto"
        SVD solver (see :func:`veob.svd`), or ``"incremental"``: Brand's
        update over row batches (:class:`veob.IncrementalSVD`), for a
        matrix whose dense factors of one SVD would not fit.
    n_iter : int or "auto", default=4
        Power iterations of the randomized solver.
    random_state : int, RandomState instance or None, default=None
        Seed of the randomized solver.

    Attributes
    ----------
    word_vectors_ : WordVectors
        The vocabulary (most frequent first) and the word vectors.
    singular_values_ : ndarray of shape (n_components,)
    components_ : ndarray of shape (n_components, bags * n_words)
        Right singular vectors (the context side).
    window_, distance_weighting_, eig_power_ : resolved "auto" values.

    See Also
    --------
    prepare_corpus : Sentences from raw texts.
    SentenceEmbedder : Sentence vectors from these word vectors.

    Notes
    -----
    The co-occurrence matrix is built by numba kernels from the token ids
    straight into CSR arrays: token positions are sorted by word, then each
    word's row is accumulated in a dense scratch row (parallel over words).
    With :math:`C` the (weighted) counts of word w (row) with context c in
    bag b, the paper's matrix is :math:`C_{w,(b,c)} / \sum_{c'} C_{w,(b,c')}`.
    SVD :math:`X \approx U_k S_k V_k^T` gives the vectors :math:`U_k S_k^p`.

    References
    ----------
    .. [1] L. Y. Lu, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform", 2023, section 6.3.
    .. [2] O. Levy, Y. Goldberg, I. Dagan, "Improving distributional
       similarity with lessons learned from word embeddings", TACL 3, 2015.

    Examples
    --------
    >>> from veob.text import ContextEmbedder
    >>> sentences = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"],
    ...              ["a", "dog", "ran"], ["the", "car", "stopped"]] * 5
    >>> emb = ContextEmbedder(n_components=3, random_state=0).fit(sentences)
    >>> emb.word_vectors_.most_similar("cat", topn=2)[1][0]
    'dog'
    >>> ContextEmbedder(weighting="ppmi", n_components=3, random_state=0).fit(sentences).window_
    3
    """

    def __init__(self, window="auto", n_components=50, *, weighting="paper", bags=2,
                 distance_weighting="auto", cds=0.75, shift=1.0, eig_power="auto", add_context=False,
                 min_count=1, solver="auto", n_iter=4, random_state=None):
        self.window = window
        self.n_components = n_components
        self.weighting = weighting
        self.bags = bags
        self.distance_weighting = distance_weighting
        self.cds = cds
        self.shift = shift
        self.eig_power = eig_power
        self.add_context = add_context
        self.min_count = min_count
        self.solver = solver
        self.n_iter = n_iter
        self.random_state = random_state

    def _resolve(self):
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting={self.weighting!r} is not supported; choose one of {WEIGHTINGS}")
        slot = WEIGHTINGS.index(self.weighting)
        window = _AUTO["window"][slot] if self.window == "auto" else check_int(self.window, "window", low=1)
        dw = self.distance_weighting
        if dw == "auto":
            dw = _AUTO["distance_weighting"][slot]
        if dw not in DISTANCE_WEIGHTINGS:
            raise ValueError(f"distance_weighting={dw!r} is not supported; choose 'auto' or one of "
                             f"{DISTANCE_WEIGHTINGS}")
        p = self.eig_power
        if p == "auto":
            p = _AUTO["eig_power"][slot]
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not np.isfinite(p):
            raise TypeError(f"eig_power={p!r} must be a finite number or 'auto'")
        if self.bags not in (1, 2) or isinstance(self.bags, bool):
            raise ValueError(f"bags={self.bags!r} must be 1 or 2")
        for name in ("cds", "shift"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
                raise TypeError(f"{name}={v!r} must be a finite number")
        if not 0 < self.cds <= 1:
            raise ValueError(f"cds={self.cds!r} must lie in (0, 1]")
        if self.shift < 1:
            raise ValueError(f"shift={self.shift!r} must be >= 1 (log(shift) is subtracted from PMI)")
        check_int(self.n_components, "n_components", low=1)
        check_int(self.min_count, "min_count", low=1)
        return window, dw, float(p)

    def fit(self, sentences, y=None):
        """Fit on sentences: a :class:`Corpus` or a list of token lists; returns self."""
        window, dw, p = self._resolve()
        corpus = as_corpus(sentences) if not isinstance(sentences, Corpus) else sentences
        words, counts = corpus.words, corpus.counts
        n_words = words.shape[0]
        if n_words == 0:
            raise ValueError("sentences hold no token; at least one word is required")
        ids = corpus.token_ids.astype(np.int64)
        X = cooccurrence_matrix(ids, corpus.offsets, n_words, window, distance_weights(window, dw),
                                bags=self.bags)
        return self._fit_counts(words, counts, X, window, dw, p)

    def fit_chunks(self, chunks, y=None):
        r"""Fit on an iterable of sentence chunks, reading each chunk once; returns self.

        For corpora that do not fit in memory: each chunk (a :class:`Corpus`
        or a list of token lists, e.g. read from one file of a corpus) is
        counted and merged into the co-occurrence matrix, then dropped, so
        memory is the merged matrix plus one chunk. The vocabulary grows
        with the chunks. Sentences never span chunks, so the merged matrix
        is the matrix of the concatenated chunks: the result equals
        ``fit`` on the concatenation (exactly for the paper's unit weights,
        to rounding for fractional distance weights). For a matrix too
        large for one SVD, combine with ``solver="incremental"`` (Brand's
        update over row batches, :class:`veob.IncrementalSVD`) or
        ``solver="dask"`` (blockwise, on the current ``distributed`` client).

        Parameters
        ----------
        chunks : iterable of Corpus or list of list of str
            The sentences, chunk by chunk (a generator is fine).

        Returns
        -------
        self : ContextEmbedder

        Examples
        --------
        >>> import numpy as np
        >>> from veob.text import ContextEmbedder
        >>> sentences = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"],
        ...              ["a", "dog", "ran"], ["the", "car", "stopped"]] * 4
        >>> whole = ContextEmbedder(n_components=3, random_state=0).fit(sentences)
        >>> parts = ContextEmbedder(n_components=3, random_state=0).fit_chunks(
        ...     sentences[i:i + 6] for i in range(0, 20, 6))
        >>> bool(np.allclose(whole.word_vectors_.vectors, parts.word_vectors_.vectors, atol=1e-5))
        True
        """
        from ._cooc import CooccurrenceAccumulator

        window, dw, p = self._resolve()
        if isinstance(chunks, (str, Corpus)) or not hasattr(chunks, "__iter__"):
            raise TypeError(f"chunks must be an iterable of sentence chunks; got {type(chunks).__name__}")
        acc = CooccurrenceAccumulator(window, distance_weights(window, dw), self.bags)
        for i, chunk in enumerate(chunks):
            try:
                corpus = chunk if isinstance(chunk, Corpus) else as_corpus(chunk)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"chunks[{i}]: {exc}") from None
            acc.add(corpus)
        if acc.n_chunks == 0:
            raise ValueError("chunks is empty; at least one chunk of sentences is required")
        words, counts, X = acc.result()
        self.n_chunks_ = acc.n_chunks
        return self._fit_counts(words, counts, X, window, dw, p)

    def _fit_counts(self, words, counts, X, window, dw, p):
        n_words = words.shape[0]
        keep = counts >= self.min_count
        if not keep.all():
            X = X[np.flatnonzero(keep)]
        X = normalize_bags(X, self.bags) if self.weighting == "paper" else ppmi(X, cds=self.cds, shift=self.shift)
        X = X.astype(np.float32)
        k = check_int(self.n_components, "n_components", low=1, high=min(X.shape),
                      high_name="min(n_words, n_contexts)")
        U, s, Vt = truncated_svd(X, k, solver=self.solver, n_iter=self.n_iter, random_state=self.random_state)
        scale = np.power(s.astype(np.float64), p).astype(np.float32)
        vectors = U * scale
        if self.add_context:
            C = Vt.T * scale
            vectors = vectors + C.reshape(self.bags, n_words, k).sum(axis=0)[np.flatnonzero(keep)]
        self.word_vectors_ = WordVectors(words[keep], vectors)
        self.singular_values_ = s
        self.components_ = Vt
        self.window_, self.distance_weighting_, self.eig_power_ = window, dw, p
        return self

    def transform(self, words):
        """Vectors of vocabulary words (KeyError for unknown ones)."""
        check_is_fitted(self, "word_vectors_")
        return self.word_vectors_[list(words)]
