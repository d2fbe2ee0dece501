"""Slow, obviously correct NumPy twins of the decomposition kernels."""

import numpy as np


def csr_matmul_reference(indptr, indices, data, B):
    out = np.zeros((len(indptr) - 1, B.shape[1]), dtype=np.result_type(data, B))
    for i in range(len(indptr) - 1):
        for p in range(indptr[i], indptr[i + 1]):
            out[i] += data[p] * B[indices[p]]
    return out
