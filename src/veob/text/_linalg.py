"""Linear-algebra helpers of :mod:`veob.text` on top of :func:`veob.svd`."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ..decomposition import svd, svd_flip
from . import _kernels

__all__ = ["incremental_svd", "sparse_gram_svd", "truncated_svd"]


def _n_blocks():
    import numba

    return max(1, numba.get_num_threads())


def small_eigh(G, k):
    """Top-k eigenpairs (ascending) of a small symmetric matrix, with one BLAS thread.

    For a few thousand rows one thread is as fast as two, and OpenBLAS'
    threaded ``syevr`` slows down 10-100x when the cores are shared with
    other processes (measured here).
    """
    from threadpoolctl import threadpool_limits

    m = G.shape[0]
    with threadpool_limits(limits=1, user_api="blas"):
        return scipy.linalg.eigh(G, subset_by_index=[m - k, m - 1], check_finite=False)


def sparse_gram_svd(X, k):
    """Top-k SVD of a sparse X with few columns through its Gram matrix.

    ``G = X^T X`` is accumulated by a parallel numba kernel straight from
    the CSR arrays (scipy's sparse-sparse product is single-threaded and
    about 10x slower here), then the top k eigenpairs of G give
    ``V`` and ``s``, and ``U = X V / s``. Signs follow :func:`veob.svd_flip`.
    """
    X = sp.csr_matrix(X)
    if not X.has_sorted_indices:
        X = X.sorted_indices()
    m = X.shape[1]
    upper = _kernels.csr_gram(X.indptr.astype(np.int64), X.indices.astype(np.int64),
                              X.data.astype(np.float64), m, _n_blocks())
    G = upper + np.triu(upper, 1).T
    evals, V = small_eigh(G, k)
    evals, V = evals[::-1], V[:, ::-1]
    s = np.sqrt(np.clip(evals, 0.0, None))
    Y = np.asarray(X @ V.astype(X.dtype))
    scale = np.where(s > 0, s, 1.0)
    U = Y / scale.astype(Y.dtype)
    U, Vt = svd_flip(U, np.ascontiguousarray(V.T.astype(X.dtype)), copy=False)
    return U, s.astype(X.dtype), Vt


def incremental_svd(X, k, batch_size=None):
    """Top-k SVD by Brand's incremental update over row batches (:class:`veob.IncrementalSVD`).

    Memory: the k x n_features factor plus one batch (sparse batches stay
    sparse); ``U = X V / s`` is computed afterwards batch by batch.
    """
    from ..decomposition import IncrementalSVD

    inc = IncrementalSVD(k, batch_size=batch_size).fit(X)
    Vt = inc.components_.astype(X.dtype)
    s = inc.singular_values_
    U = np.empty((X.shape[0], Vt.shape[0]), dtype=X.dtype)
    step = 8192
    scale = np.where(s > 0, s, 1.0).astype(X.dtype)
    for a in range(0, X.shape[0], step):
        U[a:a + step] = np.asarray(X[a:a + step] @ Vt.T) / scale
    U, Vt = svd_flip(U, Vt, copy=False)
    return U, s.astype(X.dtype), Vt


def truncated_svd(X, k, *, solver="auto", n_iter="auto", random_state=None):
    """:func:`veob.svd`, except sparse X with at most 4,000 columns: :func:`sparse_gram_svd`.

    For k <= 64 the dense steps of the randomized solver work on thin
    blocks (n x (k + 10)) that one BLAS thread handles as fast as two; they
    run with one thread, which avoids OpenBLAS' slowdown when the cores are
    shared (the paper's context SVD: 5.7 s instead of 8-15 s here).
    """
    if solver == "auto" and sp.issparse(X) and X.shape[1] <= 4000 and X.shape[0] >= X.shape[1]:
        return sparse_gram_svd(X, k)
    if solver == "incremental":
        return incremental_svd(X, k)
    if k <= 64:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return svd(X, k, solver=solver, n_iter=n_iter, random_state=random_state)
    return svd(X, k, solver=solver, n_iter=n_iter, random_state=random_state)
