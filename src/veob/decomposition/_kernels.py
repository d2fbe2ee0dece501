"""Numba kernels of the decomposition solvers (NumPy twins in ``_reference``)."""

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
