"""Numba kernel of TextEncoder's pooling (the NumPy twin is ``_reference.pool_ids``)."""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def pool_ids(ids, offsets, weights, table, n_freqs, decay, out):
    """Weighted DCT-II pooling of the word vectors of each text.

    For text r with known word ids ``w_0 .. w_{L-1}`` (``ids[offsets[r]:offsets[r + 1]]``)::

        out[r, f d + j] = decay**f / L * sum_k cos(pi f (k + 1/2) / L) weights[w_k] table[w_k, j]

    for ``f < n_freqs`` (f = 0: the weighted mean). A text without known
    words gets a zero row.
    """
    n = offsets.shape[0] - 1
    d = table.shape[1]
    for r in prange(n):
        a = offsets[r]
        L = offsets[r + 1] - a
        for j in range(out.shape[1]):
            out[r, j] = 0.0
        if L == 0:
            continue
        for k in range(L):
            w = ids[a + k]
            ww = weights[w]
            if ww == 0.0:
                continue
            for f in range(n_freqs):
                c = ww * decay ** f / L
                if f > 0:
                    c *= np.cos(np.pi * f * (k + 0.5) / L)
                base = f * d
                for j in range(d):
                    out[r, base + j] += c * table[w, j]


@njit(cache=True, nogil=True, parallel=True)
def pool_table(ids, offsets, table, decay, out):
    """Encode with a folded table: ``out[r] = sum_f decay**f / L sum_k cos(pi f (k + 1/2) / L) table[w_k, f]``.

    ``table`` has shape (n_words, n_freqs, k): the word vectors already
    weighted and projected per DCT block. A text without known words gets
    a zero row.
    """
    n = offsets.shape[0] - 1
    n_freqs = table.shape[1]
    k = table.shape[2]
    for r in prange(n):
        a = offsets[r]
        L = offsets[r + 1] - a
        for j in range(k):
            out[r, j] = 0.0
        if L == 0:
            continue
        for t in range(L):
            w = ids[a + t]
            for f in range(n_freqs):
                c = decay ** f / L
                if f > 0:
                    c *= np.cos(np.pi * f * (t + 0.5) / L)
                for j in range(k):
                    out[r, j] += c * table[w, f, j]
