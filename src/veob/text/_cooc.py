"""Sparse word-context co-occurrence matrices and their weightings."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import _kernels

__all__ = ["cooccurrence_matrix", "normalize_bags", "ppmi"]


def _n_blocks():
    import numba

    return max(1, 8 * numba.get_num_threads())


def cooccurrence_matrix(ids, offsets, n_words, window, weights, *, bags=2):
    """CSR co-occurrence counts of words (rows) with their context words (columns).

    Parameters
    ----------
    ids : ndarray of int
        Token ids of all sentences end to end, in ``[0, n_words)``.
    offsets : ndarray of int
        Sentence boundaries.
    n_words : int
        Number of rows.
    window : int
        Context positions on each side.
    weights : ndarray of float of shape (window,)
        Weight of a context at distance k is ``weights[k - 1]`` (> 0).
    bags : {1, 2}
        2: columns ``[0, n)`` hold the contexts before a word and
        ``[n, 2n)`` those after it (the paper); 1: one bag for both sides.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_words, bags * n_words), float64
    """
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    after = n_words if bags == 2 else 0
    n_cols = bags * n_words
    padded, pos_ptr, positions = _kernels.padded_positions(ids, offsets, n_words, window)
    n_blocks = _n_blocks()
    row_nnz = np.zeros(n_words, dtype=np.int64)
    _kernels.cooc_row_nnz(padded, pos_ptr, positions, window, after, n_cols, n_blocks, row_nnz)
    indptr = np.zeros(n_words + 1, dtype=np.int64)
    np.cumsum(row_nnz, out=indptr[1:])
    nnz = int(indptr[-1])
    index_dtype = np.int32 if max(nnz, n_cols) < np.iinfo(np.int32).max else np.int64
    indices = np.empty(nnz, dtype=np.int64)
    data = np.empty(nnz, dtype=np.float64)
    _kernels.cooc_fill(padded, pos_ptr, positions, window, after, weights, n_cols, n_blocks,
                       indptr, indices, data)
    del padded, positions
    X = sp.csr_matrix((data, indices.astype(index_dtype), indptr.astype(index_dtype)), shape=(n_words, n_cols))
    X.has_sorted_indices = True
    return X


def normalize_bags(X, bags):
    """Divide each bag of each row by its sum (the paper's "frequency" of the contexts)."""
    n_ctx = X.shape[1] // bags
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    bag = X.indices // n_ctx if bags > 1 else np.zeros_like(X.indices)
    key = rows * bags + bag
    sums = np.bincount(key, weights=X.data, minlength=X.shape[0] * bags)
    out = X.copy()
    out.data = X.data / sums[key]
    return out


def ppmi(X, *, cds=0.75, shift=1.0):
    r"""Positive (shifted) PMI with context-distribution smoothing.

    :math:`\max(\log \frac{\#(w, c)}{\#(w) P_\alpha(c)} - \log s, 0)` with
    :math:`P_\alpha(c) = \#(c)^\alpha / \sum_{c'} \#(c')^\alpha`. Zeros are
    removed from the result.
    """
    X = X.tocsr()
    row_sum = np.asarray(X.sum(axis=1)).ravel()
    col_sum = np.asarray(X.sum(axis=0)).ravel()
    smoothed = np.power(col_sum, cds)
    col_prob = smoothed / smoothed.sum()
    col_prob = np.where(col_prob > 0, col_prob, 1.0)
    out = np.empty_like(X.data)
    _kernels.ppmi_csr(X.indptr.astype(np.int64), X.indices.astype(np.int64), X.data, row_sum, col_prob,
                      float(shift), out)
    # copies: eliminate_zeros compacts the index arrays in place, they must not be X's
    P = sp.csr_matrix((out, X.indices.copy(), X.indptr.copy()), shape=X.shape)
    P.eliminate_zeros()
    return P
