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


@njit(cache=True, nogil=True, parallel=True)
def trajectory_point_features(points, offsets, n_resample, codes, out_offsets, out):
    """Per-point features of every trajectory (twin: ``_trajectory._point_features`` and helpers).

    Trajectory i (rows ``offsets[i]:offsets[i + 1]`` of ``points``) is
    centred on its bounding-box centre and scaled so its longer side spans
    [-1, 1]; with ``n_resample > 0`` it is resampled to ``n_resample``
    points evenly spaced along its arc length (linear interpolation, as
    ``np.interp``); then feature block c of ``codes`` (0: position,
    1: unit central-difference direction, 2: turning sine and cosine - 1)
    fills columns ``2c, 2c + 1`` of rows ``out_offsets[i]:out_offsets[i + 1]``.
    """
    n = offsets.shape[0] - 1
    for i in prange(n):
        a = offsets[i]
        length = offsets[i + 1] - a
        lox, hix, loy, hiy = points[a, 0], points[a, 0], points[a, 1], points[a, 1]
        for j in range(1, length):
            x, y = points[a + j, 0], points[a + j, 1]
            lox, hix = min(lox, x), max(hix, x)
            loy, hiy = min(loy, y), max(hiy, y)
        extent = max(hix - lox, hiy - loy)
        half = extent / 2.0 if extent > 0 else 1.0
        cx, cy = (lox + hix) / 2.0, (loy + hiy) / 2.0
        src = np.empty((length, 2))
        for j in range(length):
            src[j, 0] = (points[a + j, 0] - cx) / half
            src[j, 1] = (points[a + j, 1] - cy) / half
        o = out_offsets[i]
        m = out_offsets[i + 1] - o
        P = np.empty((m, 2))
        if n_resample > 0:
            arc = np.empty(length)
            arc[0] = 0.0
            for j in range(1, length):
                dx, dy = src[j, 0] - src[j - 1, 0], src[j, 1] - src[j - 1, 1]
                arc[j] = arc[j - 1] + np.sqrt(dx * dx + dy * dy)
            total = arc[length - 1]
            if total <= 0:
                for t in range(m):
                    P[t, 0], P[t, 1] = src[0, 0], src[0, 1]
            else:
                step = total / (m - 1) if m > 1 else 0.0
                seg = 0
                for t in range(m):
                    target = t * step if t < m - 1 else total
                    while seg < length - 2 and arc[seg + 1] <= target:
                        seg += 1
                    # skip zero-length segments (np.interp sees only increasing knots)
                    lo = seg
                    while lo > 0 and arc[lo] == arc[lo - 1]:
                        lo -= 1
                    hi = seg + 1
                    span = arc[hi] - arc[lo]
                    if target >= arc[hi] or span <= 0:
                        P[t, 0], P[t, 1] = src[hi, 0], src[hi, 1]
                    elif target <= arc[lo]:
                        P[t, 0], P[t, 1] = src[lo, 0], src[lo, 1]
                    else:
                        w = (target - arc[lo]) / span
                        P[t, 0] = src[lo, 0] + w * (src[hi, 0] - src[lo, 0])
                        P[t, 1] = src[lo, 1] + w * (src[hi, 1] - src[lo, 1])
        else:
            for t in range(m):
                P[t, 0], P[t, 1] = src[t, 0], src[t, 1]
        D = np.zeros((m, 2))
        for t in range(m):
            if m == 1:
                break
            if t == 0:
                dx, dy = P[1, 0] - P[0, 0], P[1, 1] - P[0, 1]
            elif t == m - 1:
                dx, dy = P[m - 1, 0] - P[m - 2, 0], P[m - 1, 1] - P[m - 2, 1]
            else:
                dx, dy = P[t + 1, 0] - P[t - 1, 0], P[t + 1, 1] - P[t - 1, 1]
            norm = np.sqrt(dx * dx + dy * dy)
            if norm > 0:
                D[t, 0], D[t, 1] = dx / norm, dy / norm
        for c in range(codes.shape[0]):
            col = 2 * c
            code = codes[c]
            for t in range(m):
                if code == 0:
                    out[o + t, col], out[o + t, col + 1] = P[t, 0], P[t, 1]
                elif code == 1:
                    out[o + t, col], out[o + t, col + 1] = D[t, 0], D[t, 1]
                elif t == 0:
                    out[o + t, col], out[o + t, col + 1] = 0.0, 0.0
                else:
                    ax, ay, bx, by = D[t - 1, 0], D[t - 1, 1], D[t, 0], D[t, 1]
                    out[o + t, col] = ax * by - ay * bx
                    out[o + t, col + 1] = ax * bx + ay * by - 1.0
