"""Numba kernels of the spectral transforms (NumPy twins in ``_reference``).

All kernels take C-contiguous arrays whose bounds were validated at the
Python boundary: offsets are non-decreasing, start at 0 and end at
``len(values)``; symbol ids lie in ``[0, n_symbols)``; the coefficient table
has at least ``max(length)`` columns.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def spectral_transform_kernel(values, offsets, table, out):
    """out[i, m*d + j] = sum_k table[m, k] * values[offsets[i] + k, j]."""
    n_seq = offsets.shape[0] - 1
    d = values.shape[1]
    n_freqs = table.shape[0]
    for i in prange(n_seq):
        start = offsets[i]
        length = offsets[i + 1] - start
        for k in range(length):
            for m in range(n_freqs):
                c = table[m, k]
                base = m * d
                for j in range(d):
                    out[i, base + j] += c * values[start + k, j]


@njit(cache=True, nogil=True, parallel=True)
def symbol_row_counts(symbols, offsets, n_freqs, counts):
    """counts[i] = n_freqs * (number of distinct symbols of sequence i)."""
    n_seq = offsets.shape[0] - 1
    for i in prange(n_seq):
        start = offsets[i]
        stop = offsets[i + 1]
        if stop == start:
            counts[i] = 0
            continue
        seq = np.sort(symbols[start:stop])
        distinct = 1
        for k in range(1, stop - start):
            if seq[k] != seq[k - 1]:
                distinct += 1
        counts[i] = n_freqs * distinct


@njit(cache=True, nogil=True, parallel=True)
def symbol_spectra_fill(symbols, offsets, table, n_symbols, indptr, indices, data):
    """Fill CSR arrays of the spectra of one-hot symbol sequences.

    Row i, column m * n_symbols + s holds sum_{k : symbols[k] = s} table[m, k].
    Columns come out sorted within each row and without duplicates.
    """
    n_seq = offsets.shape[0] - 1
    n_freqs = table.shape[0]
    for i in prange(n_seq):
        start = offsets[i]
        length = offsets[i + 1] - start
        if length == 0:
            continue
        seq = symbols[start:start + length]
        order = np.argsort(seq, kind="mergesort")
        # group starts of equal symbols in sorted order
        group_start = np.empty(length + 1, dtype=np.int64)
        n_groups = 0
        for r in range(length):
            if r == 0 or seq[order[r]] != seq[order[r - 1]]:
                group_start[n_groups] = r
                n_groups += 1
        group_start[n_groups] = length
        pos = indptr[i]
        for m in range(n_freqs):
            for g in range(n_groups):
                total = 0.0
                for r in range(group_start[g], group_start[g + 1]):
                    total += table[m, order[r]]
                indices[pos] = m * n_symbols + seq[order[group_start[g]]]
                data[pos] = total
                pos += 1


@njit(cache=True, nogil=True, parallel=True)
def length_normalized_dct_kernel(values, offsets, n_freqs, paper, out):
    """Per-sequence cosine transform with the basis length N = sequence length.

    out[i, m*d + j] = (1 / L) * sum_k c(m, k; L) * values[offsets[i] + k, j] with
    c the orthonormal DCT-II shape (paper=False: sqrt(2) cos(pi m (2k+1) / 2L),
    1 for m = 0) or the paper's basis (paper=True: cos(pi (L - 1 - m) k / (L - 1)),
    highest frequency first). Sequences have at least 2 points.
    """
    n_seq = offsets.shape[0] - 1
    d = values.shape[1]
    for i in prange(n_seq):
        start = offsets[i]
        length = offsets[i + 1] - start
        inv = 1.0 / length
        for m in range(n_freqs):
            base = m * d
            for k in range(length):
                if paper:
                    c = np.cos(np.pi * (length - 1 - m) * k / (length - 1))
                elif m == 0:
                    c = 1.0
                else:
                    c = np.sqrt(2.0) * np.cos(np.pi * m * (2 * k + 1) / (2.0 * length))
                c *= inv
                for j in range(d):
                    out[i, base + j] += c * values[start + k, j]
