"""Spectral transform of ragged vector and symbol sequences."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .._validation import check_int
from . import _kernels
from ._basis import _check_kind, _check_points_freqs, basis_table
from ._ragged import as_ragged_symbols, as_ragged_vectors

if TYPE_CHECKING:
    from typing import Any

    from numpy.typing import DTypeLike

__all__ = ["spectral_transform", "symbol_spectra"]

_EMPTY = ("zero", "raise")


def _check_empty(empty, offsets):
    """Apply the ``empty`` policy to the sequences of a ragged ``offsets`` array."""
    if empty not in _EMPTY:
        raise ValueError(f"empty={empty!r} must be 'zero' (an empty sequence gives a zero row) or 'raise'")
    if empty == "raise":
        idx = np.flatnonzero(offsets[1:] == offsets[:-1])
        if idx.size:
            raise ValueError(
                f"sequences[{int(idx[0])}] is empty (length 0; {idx.size} empty sequence"
                f"{'s' if idx.size > 1 else ''} in all): drop it, or pass empty='zero' for a zero row"
            )


def _spectral_transform(values, offsets, n_points, n_freqs, kind):
    """Private twin of :func:`spectral_transform` on validated arrays."""
    lengths = np.diff(offsets)
    max_len = int(lengths.max()) if lengths.size else 0
    table = basis_table(kind, n_points, n_freqs, max(max_len, 1), dtype=values.dtype)
    out = np.zeros((offsets.shape[0] - 1, n_freqs * values.shape[1]), dtype=values.dtype)
    _kernels.spectral_transform_kernel(values, offsets, table, out)
    return out


def spectral_transform(sequences: Any, *, n_points: int = 15, n_freqs: int = 6, kind: str = "paper",
                       empty: str = "zero") -> np.ndarray:
    r"""Spectral transform of variable-length sequences of vectors.

    Parameters
    ----------
    sequences : list of ndarray of shape (len_i, d), tuple (values, offsets) or ndarray of shape (n, L, d)
        The sequences. ``(values, offsets)`` is the ragged (CSR-like) form:
        ``values`` of shape (total_length, d) and ``offsets`` of shape
        (n + 1,), non-decreasing, from 0 to ``total_length``; sequence i is
        ``values[offsets[i]:offsets[i + 1]]``. A sequence may be empty
        (length 0) in every form: see ``empty``.
    n_points : int, default=15
        The basis length N (the paper uses about twice the mean length).
    n_freqs : int, default=6
        Number M of basis functions kept, ``1 <= n_freqs <= n_points``.
    kind : {"paper", "dct2"}, default="paper"
        Basis, see :func:`cosine_basis`. ``"paper"`` keeps the M highest
        frequencies (high-pass), ``"dct2"`` the M lowest (low-pass).
    empty : {"zero", "raise"}, default="zero"
        What a length-0 sequence gives: ``"zero"`` a row of zeros (the sum
        over no positions, see Notes), ``"raise"`` a ``ValueError`` naming
        the index of the first empty sequence (to catch, e.g., sentences
        that lost every word to a vocabulary filter).

    Returns
    -------
    spectra : ndarray of shape (n, n_freqs * d)
        Block layout: column ``(m - 1) * d + j`` holds dimension j of
        :math:`f_m`. float32 input gives float32 output, anything else
        float64.

    See Also
    --------
    symbol_spectra : The same transform for one-hot symbol sequences, sparse.
    cosine_basis : The basis functions.

    Notes
    -----
    Each sequence :math:`x_1, \dots, x_L` becomes

    .. math:: f_m = \sum_{k=1}^{L} s(N, m, k)\, x_k, \qquad m = 1, \dots, M,

    with :math:`s` the basis of :func:`cosine_basis`. The cosine is
    evaluated for every position k, also beyond N (it simply continues), so
    sequences longer than ``n_points`` are transformed, not truncated.
    The M vectors are concatenated (not summed). A sequence of length
    :math:`L = 0` has an empty sum: :math:`f_m = 0` for every m, so its row
    is all zeros (``empty="zero"``), whatever the dimension.

    Examples
    --------
    >>> import numpy as np
    >>> from veob import spectral_transform
    >>> seqs = [np.eye(3, dtype=np.float32), np.ones((1, 3), dtype=np.float32)]
    >>> spectral_transform(seqs, n_points=3, n_freqs=2)
    array([[ 1., -1.,  1.,  1.,  0., -1.],
           [ 1.,  1.,  1.,  1.,  1.,  1.]], dtype=float32)
    >>> spectral_transform([np.zeros((0, 2)), np.ones((1, 2))], n_points=3, n_freqs=1)
    array([[0., 0.],
           [1., 1.]])
    """
    kind = _check_kind(kind)
    n_points, n_freqs = _check_points_freqs(n_points, n_freqs, kind)
    values, offsets = as_ragged_vectors(sequences)
    _check_empty(empty, offsets)
    return _spectral_transform(values, offsets, n_points, n_freqs, kind)


def _symbol_spectra(symbols, offsets, n_symbols, n_points, n_freqs, kind, dtype):
    """Private twin of :func:`symbol_spectra` on validated arrays."""
    n_seq = offsets.shape[0] - 1
    lengths = np.diff(offsets)
    max_len = int(lengths.max()) if lengths.size else 0
    table = basis_table(kind, n_points, n_freqs, max(max_len, 1), dtype=np.float64)
    counts = np.empty(n_seq, dtype=np.int64)
    _kernels.symbol_row_counts(symbols, offsets, n_freqs, counts)
    indptr = np.zeros(n_seq + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = np.empty(nnz, dtype=np.int64)
    data = np.empty(nnz, dtype=np.float64)
    _kernels.symbol_spectra_fill(symbols, offsets, table, n_symbols, indptr, indices, data)
    n_cols = n_freqs * n_symbols
    index_dtype = np.int32 if max(nnz, n_cols) < np.iinfo(np.int32).max else np.int64
    return sp.csr_matrix(
        (data.astype(dtype), indices.astype(index_dtype), indptr.astype(index_dtype)),
        shape=(n_seq, n_cols),
    )


def symbol_spectra(sequences: Any, n_symbols: int, *, n_points: int = 15, n_freqs: int = 6, kind: str = "paper",
                   dtype: DTypeLike = np.float32, empty: str = "zero") -> sp.csr_matrix:
    r"""Spectral transform of one-hot symbol sequences as a sparse matrix.

    Equal to ``spectral_transform`` of the one-hot encoded sequences, built
    directly in CSR form without densifying anything.

    Parameters
    ----------
    sequences : list of (1-D int array or str), tuple (symbols, offsets) or ndarray of shape (n, L)
        Symbol ids in ``[0, n_symbols)``. Strings are read as their code
        points (``ord``), so ASCII words work with ``n_symbols=128``. A
        ``list`` is always a list of sequences; the ragged form must be a
        ``tuple`` of two arrays.
    n_symbols : int
        Alphabet size (the one-hot dimension d).
    n_points, n_freqs, kind, empty
        As in :func:`spectral_transform`: an empty sequence (``""``) gives
        an empty row (all zeros) or, with ``empty="raise"``, a ValueError.
    dtype : dtype, default=np.float32
        dtype of the stored values (sums are accumulated in float64).

    Returns
    -------
    spectra : scipy.sparse.csr_matrix of shape (n, n_freqs * n_symbols)
        Column ``(m - 1) * n_symbols + s`` holds
        :math:`\sum_{k : x_k = s} s(N, m, k)`; indices sorted, no duplicates.

    See Also
    --------
    spectral_transform : The dense transform of arbitrary vector sequences.

    Examples
    --------
    >>> from veob import symbol_spectra
    >>> S = symbol_spectra(["aba", "b"], n_symbols=128, n_points=3, n_freqs=1)
    >>> S.shape, S.nnz
    ((2, 128), 3)
    >>> S[0, ord("a")], S[0, ord("b")]   # cos(0) + cos(2 pi) and cos(pi)
    (np.float32(2.0), np.float32(-1.0))
    """
    kind = _check_kind(kind)
    n_points, n_freqs = _check_points_freqs(n_points, n_freqs, kind)
    n_symbols = check_int(n_symbols, "n_symbols", low=1)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype={dtype} must be a floating dtype (float32 or float64)")
    symbols, offsets = as_ragged_symbols(sequences, n_symbols)
    _check_empty(empty, offsets)
    return _symbol_spectra(symbols, offsets, n_symbols, n_points, n_freqs, kind, dtype)
