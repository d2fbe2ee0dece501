"""Slow, obviously correct NumPy twins of the decomposition kernels."""

import numpy as np


def csr_matmul_reference(indptr, indices, data, B):
    out = np.zeros((len(indptr) - 1, B.shape[1]), dtype=np.result_type(data, B))
    for i in range(len(indptr) - 1):
        for p in range(indptr[i], indptr[i + 1]):
            out[i] += data[p] * B[indices[p]]
    return out


def csr_gram_reference(indptr, indices, data, n_cols):
    """Upper triangle of ``X^T X`` (float64), one outer product of a row at a time."""
    out = np.zeros((n_cols, n_cols))
    for i in range(len(indptr) - 1):
        cols = np.asarray(indices[indptr[i]:indptr[i + 1]])
        vals = np.asarray(data[indptr[i]:indptr[i + 1]], dtype=np.float64)
        out[np.ix_(cols, cols)] += np.outer(vals, vals)
    return np.triu(out)
