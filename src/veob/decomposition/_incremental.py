"""IncrementalSVD: Brand's rank-k update over batches of rows."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, validate_data
from ._embedder import _frobenius_sq
from ._solvers import top_eigh
from ._svd import svd_flip

__all__ = ["IncrementalSVD"]

_SPARSE_SUBBATCH = 2048  # rows of a sparse batch processed at once


class IncrementalSVD(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Truncated SVD updated one batch of rows at a time (Brand 2006).

    Parameters
    ----------
    n_components : int
        Number k of components reported.
    batch_size : int, optional
        Rows per batch in :meth:`fit`; default ``max(5 * n_features, 1000)``
        capped at ``n_samples`` (sparse input: 2048).
    n_oversamples : int, default=None
        Extra components carried internally between updates (default
        ``max(10, n_components)``). Truncating to exactly k after each batch
        throws away directions that later batches would have grown; the
        buffer keeps the reported top k within ~1e-3 relative of the batch
        SVD on real data.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Right singular vectors (rows), signs as in :func:`veob.svd`.
    singular_values_ : ndarray of shape (n_components,)
    explained_variance_ratio_ : ndarray of shape (n_components,)
        :math:`s_i^2 / \|X\|_F^2` over all rows seen (exact, accumulated).
    n_samples_seen_ : int
    n_features_in_ : int

    See Also
    --------
    SVDEmbedder : The batch version.

    Notes
    -----
    The state is the rank-r factor :math:`S V^T` of the rows seen so far
    (r = k + oversamples). A batch B is folded in by the exact SVD of the
    stacked matrix

    .. math:: M = \begin{bmatrix} S V^T \\ B \end{bmatrix}
              = U' S' V'^T,

    computed from the smaller of :math:`M M^T` and :math:`M^T M` in float64.
    :math:`M M^T = [[S^2, S V^T B^T], [B V S, B B^T]]` needs only products
    with B, so sparse batches are never densified (they are processed in
    sub-batches of 2048 rows). This is Brand's rank-k update for added rows
    with the left factor dropped (it is not needed for the embedding).

    References
    ----------
    .. [1] M. Brand, "Fast low-rank modifications of the thin singular value
       decomposition", Linear Algebra and its Applications 415(1), 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from veob import IncrementalSVD, svd
    >>> X = np.random.default_rng(0).standard_normal((600, 40)) * np.geomspace(10, 0.1, 40)
    >>> inc = IncrementalSVD(5, batch_size=100).fit(X)
    >>> s = svd(X, 5)[1]
    >>> bool(np.allclose(inc.singular_values_, s, rtol=1e-3))
    True
    """

    def __init__(self, n_components, *, batch_size=None, n_oversamples=None):
        self.n_components = n_components
        self.batch_size = batch_size
        self.n_oversamples = n_oversamples

    def _check_params(self):
        check_int(self.n_components, "n_components", low=1)
        if self.batch_size is not None:
            check_int(self.batch_size, "batch_size", low=1)
        if self.n_oversamples is not None:
            check_int(self.n_oversamples, "n_oversamples", low=0)

    def fit(self, X, y=None):
        """Fit from scratch, feeding X to :meth:`partial_fit` in batches."""
        self._check_params()
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32])
        if sp.issparse(X):
            X = X.tocsr()
        for attr in ("_factor", "n_samples_seen_"):
            if hasattr(self, attr):
                delattr(self, attr)
        n, m = X.shape
        batch = self.batch_size or (_SPARSE_SUBBATCH if sp.issparse(X) else max(5 * m, 1000))
        for rows in gen_batches(n, min(batch, n), min_batch_size=1):
            self._partial_fit(X[rows])
        return self

    def partial_fit(self, X, y=None):
        """Fold one batch of rows into the decomposition; returns self."""
        self._check_params()
        first = not hasattr(self, "_factor")
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32], reset=first)
        if sp.issparse(X):
            X = X.tocsr()
        self._partial_fit(X)
        return self

    def _partial_fit(self, B):
        if not hasattr(self, "_factor"):
            self._factor = np.zeros((0, B.shape[1]), dtype=np.float64)  # rows of S V^T
            self.n_samples_seen_ = 0
            self._energy = 0.0
        k = self.n_components
        if k > B.shape[1]:
            raise ValueError(f"n_components={k} must be <= n_features={B.shape[1]}")
        rank = k + (self.n_oversamples if self.n_oversamples is not None else max(10, k))
        step = _SPARSE_SUBBATCH if sp.issparse(B) else B.shape[0]
        for start in range(0, B.shape[0], step):
            self._factor = _stack_svd(self._factor, B[start:start + step], rank)
        self.n_samples_seen_ += B.shape[0]
        self._energy += _frobenius_sq(B)
        if self.n_samples_seen_ < k:
            raise ValueError(
                f"n_components={k} must be <= the number of samples seen, n_samples={self.n_samples_seen_}; "
                "pass a larger first batch"
            )
        s = np.linalg.norm(self._factor[:k], axis=1)
        Vt = self._factor[:k] / np.where(s > 0, s, 1.0)[:, None]
        _, Vt = svd_flip(np.zeros((1, k)), Vt)
        dtype = B.dtype
        self.components_ = Vt.astype(dtype)
        self.singular_values_ = s.astype(dtype)
        self.explained_variance_ratio_ = s**2 / self._energy if self._energy > 0 else np.zeros(k)
        self.n_components_ = k

    def transform(self, X):
        """Embed rows: ``X @ components_.T``."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32], reset=False)
        return np.asarray(X @ self.components_.T)

    def inverse_transform(self, X):
        """Map embeddings back: ``X @ components_``."""
        check_is_fitted(self)
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_components_:
            raise ValueError(f"X must have shape (n_samples, {self.n_components_}); got {X.shape}")
        return X @ self.components_

    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _stack_svd(F, B, rank):
    """Rows ``S' V'^T`` (top ``rank``) of the SVD of ``[F; B]``, F = S V^T.

    Works from the smaller Gram matrix in float64; B may be sparse CSR.
    """
    r, m = F.shape
    b = B.shape[0]
    sparse = sp.issparse(B)
    if r + b <= m:
        # row Gram [[F F^T, F B^T], [B F^T, B B^T]], F F^T = S^2 (diagonal up to rounding)
        BF = np.asarray(B @ F.T, dtype=np.float64)  # (b, r)
        BB = B @ B.T
        BB = BB.toarray() if sparse else BB
        G = np.empty((r + b, r + b))
        G[:r, :r] = F @ F.T
        G[:r, r:] = BF.T
        G[r:, :r] = BF
        G[r:, r:] = BB
        _, W = top_eigh(G, rank)
        # rows of S' V'^T = W^T M  (W^T M = U'^T M = S' V'^T)
        top = W[:r].T @ F
        bottom = (B.T @ W[r:]).T if sparse else W[r:].T @ B
        return np.asarray(top + bottom, dtype=np.float64)
    # column Gram M^T M = F^T F + B^T B (m x m)
    Bd = B.toarray() if sparse else B
    G = F.T @ F
    G += Bd.T @ Bd  # in the batch dtype (float32 stays float32), accumulated in float64
    evals, V = top_eigh(G, rank)
    return (V * np.sqrt(np.clip(evals, 0.0, None))).T

