"""Fast products with a dense or sparse matrix and its transpose."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import _kernels

__all__ = ["MatrixOperator", "sparse_dense_matmul"]


def sparse_dense_matmul(A, B):
    """``A @ B`` for a CSR (or CSC) matrix A and a dense B, parallel over the rows of A.

    scipy's sparse-dense product runs on one thread; this is the numba
    kernel of :class:`MatrixOperator` (one output row per thread at a time),
    in A's dtype. Returns a C-ordered ndarray of shape (A.shape[0], B.shape[1]).
    """
    A = _as_csr(A)
    B = np.ascontiguousarray(B, dtype=A.dtype)
    if B.ndim != 2 or B.shape[0] != A.shape[1]:
        raise ValueError(f"B has shape {B.shape}; expected ({A.shape[1]}, n_columns) for A of shape {A.shape}")
    out = np.empty((A.shape[0], B.shape[1]), dtype=A.dtype)
    _kernels.csr_matmul(A.indptr, A.indices, A.data, B, out)
    return out


class MatrixOperator:
    """``A @ B`` and ``A.T @ B`` for a dense array or a CSR/CSC matrix.

    Sparse products run in a numba kernel parallel over output rows; the
    transpose is materialised once as CSR (costs one copy of the non-zeros)
    so both products are row-parallel. Dense products go to BLAS.
    """

    def __init__(self, A):
        self.shape = A.shape
        self.dtype = A.dtype
        self.sparse = sp.issparse(A)
        if self.sparse:
            self._A = _as_csr(A)
            self._At = _as_csr(A.T)
        else:
            self._A = A

    @property
    def T(self):
        op = MatrixOperator.__new__(MatrixOperator)
        op.shape = self.shape[::-1]
        op.dtype = self.dtype
        op.sparse = self.sparse
        if self.sparse:
            op._A, op._At = self._At, self._A
        else:
            op._A = self._A.T
        return op

    def matmul(self, B):
        """Return ``A @ B`` (B dense, shape (n_cols, l))."""
        B = np.ascontiguousarray(B, dtype=self.dtype)
        if not self.sparse:
            return self._A @ B
        return sparse_dense_matmul(self._A, B)

    def rmatmul(self, B):
        """Return ``A.T @ B`` (B dense, shape (n_rows, l))."""
        return self.T.matmul(B)


def _as_csr(A):
    A = A.tocsr()
    if not A.has_sorted_indices:
        A = A.sorted_indices()
    # int32/int64 indices are both fine for the kernel; keep what scipy chose
    return A
