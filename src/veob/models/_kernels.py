"""Numba kernels of the models (NumPy twins in ``_reference``).

Inputs are validated at the Python boundary: ``data`` rows are sorted by
(cell, class) and ``segment_ptr`` delimits the rows of each (cell, class)
pair, segment ``cell * n_classes + class``; probe cell ids lie in
``[0, n_cells)`` or are -1 (unused slot).
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def best_match_scan(data, rows, segment_ptr, queries, probes, exclude, best_sq, best_row):
    """Best match of every (query, class) among the probed cells' members of that class.

    For query t and class c, scan the rows of segments ``probes[t, c, p] *
    n_classes + c`` and keep the smallest squared Euclidean distance (float64
    accumulation; ties go to the smaller original row number). A training
    row equal to ``exclude[t]`` is skipped (leave-one-out; -1 skips none).
    Writes ``best_sq[t, c]`` (inf when no member was seen) and
    ``best_row[t, c]`` (the original row number, -1 when none).
    """
    n_q = queries.shape[0]
    n_classes = probes.shape[1]
    n_probe = probes.shape[2]
    d = data.shape[1]
    for t in prange(n_q):
        skip = exclude[t]
        for c in range(n_classes):
            best = np.inf
            best_r = -1
            for p in range(n_probe):
                cell = probes[t, c, p]
                if cell < 0:
                    continue
                seg = cell * n_classes + c
                for i in range(segment_ptr[seg], segment_ptr[seg + 1]):
                    r = rows[i]
                    if r == skip:
                        continue
                    acc = 0.0
                    for j in range(d):
                        diff = np.float64(queries[t, j]) - np.float64(data[i, j])
                        acc += diff * diff
                    if acc < best or (acc == best and r < best_r):
                        best = acc
                        best_r = r
            best_sq[t, c] = best
            best_row[t, c] = best_r
