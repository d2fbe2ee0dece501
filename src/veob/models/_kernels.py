"""Numba kernels of the models (NumPy twins in ``_reference``).

Inputs are validated at the Python boundary: ``data`` rows are sorted by
(cell, class) and ``segment_ptr`` delimits the rows of each (cell, class)
pair, segment ``cell * n_classes + class``.
"""

import numpy as np
from numba import njit, prange

# queries per product of the segment search at most (the caller's groups are smaller)
QUERY_CHUNK = 1024


@njit(cache=True, nogil=True, inline="always")
def _exact_sq(data, i, queries, t):
    """Squared distance of query t and data row i, accumulated in float64 (the reference value)."""
    acc = 0.0
    for j in range(data.shape[1]):
        diff = np.float64(queries[t, j]) - np.float64(data[i, j])
        acc += diff * diff
    return acc


@njit(cache=True, nogil=True, inline="always")
def _limit(best, q_sq, rel, absolute, dtype):
    """The largest ``|x|^2 (1 - 2 rel) - 2 q.x`` (data dtype) of a row that may reach ``best``, rounded up."""
    value = best - q_sq * (1.0 - 2.0 * rel) + absolute
    return dtype(value + abs(value) * 2.0 * np.finfo(dtype).eps)


@njit(cache=True, nogil=True, parallel=True)
def segment_search(data, rows, row_sq, segment_ptr, queries, query_sq, task_query, task_segment, group_ptr, exclude,
                   rel, absolute, task_sq, task_row, task_measured):
    """Best match of every task's query among the rows of the task's segment.

    Tasks are sorted by segment; group g = tasks ``[group_ptr[g],
    group_ptr[g + 1])`` shares one segment, so its queries are compared with
    the segment's rows by one matrix product per chunk of at most
    ``QUERY_CHUNK`` queries (BLAS, in the data's dtype):
    ``D = |q|^2 + |x|^2 - 2 q.x``, whose rounding (product and comparison in
    the data's dtype) is below ``2 rel (|q|^2 + |x|^2) + absolute``. A row is
    measured exactly (float64, as the reference) only when D minus that
    bound does not exceed the best exact value so far, which starts at
    ``task_sq[k]`` / ``task_row[k]`` (a best match already known, e.g. from
    another segment) or, when that is inf, at the exact value of the row of
    smallest D. So the result is exactly the best row (smallest float64
    squared distance, ties to the smaller original row) among the segment's
    rows and the starting one, as scanning all of them would give. A row
    equal to ``exclude[task_query[k]]`` is skipped. ``task_sq`` / ``task_row``
    are updated in place (inf / -1 when there was no row);
    ``task_measured[k]`` counts the rows measured exactly. Groups run in
    parallel (one BLAS thread each: set by the caller).
    """
    n_groups = group_ptr.shape[0] - 1
    d = data.shape[1]
    shrink = data.dtype.type(1.0 - 2.0 * rel)
    for g in prange(n_groups):
        first, last = group_ptr[g], group_ptr[g + 1]
        s = task_segment[first]
        lo, hi = segment_ptr[s], segment_ptr[s + 1]
        block = data[lo:hi]
        xs = np.empty(hi - lo, dtype=data.dtype)  # |x|^2 (1 - 2 rel) in the data's dtype
        for i in range(hi - lo):
            xs[i] = row_sq[lo + i] * shrink
        for a in range(first, last, QUERY_CHUNK):
            b = min(a + QUERY_CHUNK, last)
            Qg = np.empty((b - a, d), dtype=data.dtype)
            for r in range(b - a):
                Qg[r] = queries[task_query[a + r]]
            A = np.dot(Qg, block.T)
            A *= 2.0
            for r in range(b - a):
                k = a + r
                t = task_query[k]
                skip = exclude[t]
                best = task_sq[k]
                best_r = task_row[k]
                measured = 0
                pick = -1
                if best == np.inf:  # no starting match: the approximately nearest row
                    low = np.inf
                    for i in range(hi - lo):
                        v = xs[i] - A[r, i]
                        if (v < low or pick < 0) and rows[lo + i] != skip:
                            low = v
                            pick = i
                    if pick >= 0:
                        best = _exact_sq(data, lo + pick, queries, t)
                        best_r = rows[lo + pick]
                        measured = 1
                if best < np.inf:
                    limit = _limit(best, query_sq[t], rel, absolute, data.dtype.type)
                    for i in range(hi - lo):
                        if xs[i] - A[r, i] <= limit and i != pick:
                            row = rows[lo + i]
                            if row == skip:
                                continue
                            e = _exact_sq(data, lo + i, queries, t)
                            measured += 1
                            if e < best or (e == best and row < best_r):
                                best = e
                                best_r = row
                                limit = _limit(best, query_sq[t], rel, absolute, data.dtype.type)
                task_sq[k] = best
                task_row[k] = best_r
                task_measured[k] = measured


@njit(cache=True, nogil=True)
def reduce_tasks(task_query, task_class, task_sq, task_row, best_sq, best_row):
    """Fold the tasks' results into the best match of every (query, class) (ties: smaller row)."""
    for k in range(task_query.shape[0]):
        t = task_query[k]
        c = task_class[k]
        e = task_sq[k]
        r = task_row[k]
        if r < 0:
            continue
        if e < best_sq[t, c] or (e == best_sq[t, c] and (best_row[t, c] < 0 or r < best_row[t, c])):
            best_sq[t, c] = e
            best_row[t, c] = r
