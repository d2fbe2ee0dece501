"""Numba kernels of the decomposition solvers (NumPy twins in ``_reference``)."""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def csr_matmul(indptr, indices, data, B, out):
    """out = A @ B for A in CSR form (indptr, indices, data), B dense C-order.

    Parallel over the rows of A; each output row is written by one thread.
    """
    n_rows = indptr.shape[0] - 1
    l = B.shape[1]
    for i in prange(n_rows):
        for j in range(l):
            out[i, j] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            v = data[p]
            col = indices[p]
            for j in range(l):
                out[i, j] += v * B[col, j]


@njit(cache=True, nogil=True, parallel=True)
def csr_gram(indptr, indices, data, n_cols, n_blocks):
    """Upper triangle of ``X^T X`` for X in CSR form with sorted indices.

    Rows are dealt to ``n_blocks`` interleaved blocks, each with its own
    dense (n_cols, n_cols) float64 accumulator; returns their sum.
    """
    n_rows = indptr.shape[0] - 1
    acc = np.zeros((n_blocks, n_cols, n_cols), dtype=np.float64)
    for b in prange(n_blocks):
        G = acc[b]
        for i in range(b, n_rows, n_blocks):
            end = indptr[i + 1]
            for p in range(indptr[i], end):
                v = data[p]
                c = indices[p]
                for q in range(p, end):
                    G[c, indices[q]] += v * data[q]
    out = np.zeros((n_cols, n_cols), dtype=np.float64)
    for b in range(n_blocks):
        out += acc[b]
    return out

