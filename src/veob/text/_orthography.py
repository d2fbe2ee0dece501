"""OrthographyEmbedder: spelling vectors from letter spectra (paper section 6.2)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, check_str_list
from ..spectral import symbol_spectra
from ._linalg import truncated_svd
from ._word_vectors import WordVectors

__all__ = ["OrthographyEmbedder", "encode_letters"]

N_SYMBOLS = 128  # ASCII one-hot; any other character is symbol 127


def encode_letters(words):
    """Ragged ``(symbols, offsets)`` of the words: ASCII codes, other characters as 127."""
    lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    joined = "".join(words)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    codes[codes >= N_SYMBOLS] = N_SYMBOLS - 1
    return codes, offsets


def _spectra(words, n_points, n_freqs):
    return symbol_spectra(encode_letters(words), N_SYMBOLS, n_points=n_points, n_freqs=n_freqs)


class OrthographyEmbedder(BaseEstimator):
    r"""Spelling embedding: letter one-hots -> spectral transform -> SVD.

    Each word is the sequence of its letters as 128-dimensional one-hot
    vectors (ASCII code; any other character is code 127), transformed with
    the paper's cosine basis into ``n_freqs`` spectral vectors that are
    **concatenated** (``n_freqs * 128`` sparse features), then embedded on
    the top ``n_components`` right singular vectors.

    Parameters
    ----------
    n_points : int, default=15
        Basis length N (the paper: about twice the mean word length).
    n_freqs : int, default=6
        Number M of basis functions kept (the M highest frequencies).
    n_components : int, default=40
        Embedding dimension k.
    solver : str, default="auto"
        SVD solver (see :func:`veob.svd`). "auto" is an exact Gram solver
        whose ``X^T X`` (768 x 768) is accumulated by a parallel numba kernel.
    random_state : int, RandomState instance or None, default=None
        Seed of randomized solvers.

    Attributes
    ----------
    word_vectors_ : WordVectors
        The fitted (distinct) words and their vectors ``U_k S_k``.
    components_ : ndarray of shape (n_components, n_freqs * 128)
        Right singular vectors (the orthonormal basis).
    singular_values_ : ndarray of shape (n_components,)

    See Also
    --------
    veob.symbol_spectra : The letter spectra.
    DictionaryEmbedder : Uses this embedding as its orthography slice.

    Notes
    -----
    Word :math:`w = c_1 \dots c_L` becomes, for :math:`m = 1 \dots M`,

    .. math:: f_m = \sum_{k=1}^{L} s(N, m, k)\, e_{c_k},
              \qquad s(N, m, k) = \cos\frac{\pi (N - m)(k - 1)}{N - 1},

    and the feature vector is :math:`[f_1; \dots; f_M]` (the reference code
    summed the :math:`f_m` into one block, which loses the spectral
    information; this class does not). With :math:`X = U S V^T` the word
    vectors are :math:`U_k S_k` and an unseen word embeds as
    :math:`V_k^T x`, so ``transform`` of a fitted word equals its vector.

    References
    ----------
    .. [1] L. Y. Lu, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform", 2023, section 6.2.

    Examples
    --------
    >>> from veob.text import OrthographyEmbedder
    >>> words = ["frown", "frowning", "frowned", "frog", "frogs", "twig", "twigs", "twist"]
    >>> emb = OrthographyEmbedder(n_components=5).fit(words)
    >>> emb.word_vectors_.most_similar("frogs", topn=2)[1][0]
    'frog'
    >>> emb.transform(["twigged"]).shape
    (1, 5)
    """

    def __init__(self, n_points=15, n_freqs=6, n_components=40, *, solver="auto", random_state=None):
        self.n_points = n_points
        self.n_freqs = n_freqs
        self.n_components = n_components
        self.solver = solver
        self.random_state = random_state

    def _check_params(self):
        n_points = check_int(self.n_points, "n_points", low=2)
        n_freqs = check_int(self.n_freqs, "n_freqs", low=1, high=n_points, high_name="n_points")
        k = check_int(self.n_components, "n_components", low=1, high=n_freqs * N_SYMBOLS,
                      high_name="n_freqs * 128")
        return n_points, n_freqs, k

    def fit(self, words, y=None):
        """Fit on a list of words (duplicates are kept once); returns self."""
        n_points, n_freqs, k = self._check_params()
        words = list(dict.fromkeys(check_str_list(words, "words", what="word")))
        if k > len(words):
            raise ValueError(f"n_components={k} must be <= the number of distinct words, {len(words)}")
        X = _spectra(words, n_points, n_freqs)
        U, s, Vt = truncated_svd(X, k, solver=self.solver, random_state=self.random_state)
        self.components_ = Vt
        self.singular_values_ = s
        self.word_vectors_ = WordVectors(np.asarray(words, dtype=str), (U * s).astype(X.dtype))
        self.n_features_in_ = X.shape[1]
        return self

    def fit_transform(self, words, y=None):
        """Fit, then return the vectors of the distinct words (in first-seen order)."""
        return self.fit(words).word_vectors_.vectors

    def transform(self, words):
        """Vectors ``V_k^T x`` of any words (seen in ``fit`` or not)."""
        check_is_fitted(self, "components_")
        words = check_str_list(words, "words", what="word")
        n_points, n_freqs, _ = self._check_params()
        X = _spectra(words, n_points, n_freqs)
        return np.asarray(X @ self.components_.T, dtype=self.components_.dtype)
