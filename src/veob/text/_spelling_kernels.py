"""Numba kernels of :class:`veob.text.SpellingCorrector` (NumPy twins in ``_spelling_reference``).

Every kernel takes C-contiguous arrays whose bounds were validated at the
Python boundary. Words are ragged arrays of code points (``codes``,
``offsets``: word i is ``codes[offsets[i]:offsets[i + 1]]``). The edit
costs are a float64 array indexed by the ``COST_*`` constants.
"""

import numpy as np
from numba import njit, prange

# positions in the cost array (see SpellingCorrector, Notes)
COST_SUBSTITUTED = 0  # a letter of the word written as another letter
COST_VOWEL = 1  # ... a vowel written as another vowel (a e i o u y)
COST_OMITTED = 2  # a letter of the word missing from the misspelling
COST_INSERTED = 3  # an extra letter in the misspelling
COST_DOUBLED = 4  # a doubled letter written once, or a letter written twice
COST_TRANSPOSED = 5  # two adjacent letters swapped
COST_FIRST = 6  # lower bound of any edit of the first letter
N_COSTS = 7


@njit(cache=True, nogil=True, inline="always")
def _is_vowel(c):
    return c == 97 or c == 101 or c == 105 or c == 111 or c == 117 or c == 121


@njit(cache=True, nogil=True)
def edit_cost(a, b, costs, cap, work):
    """Weighted Damerau-Levenshtein (optimal string alignment) cost of turning word b into misspelling a.

    Bounded: the result is ``min(cost, cap)``, and the dynamic programme
    stops as soon as two consecutive rows exceed ``cap`` (no later cell can
    come back below it). ``work`` is a float64 scratch of shape
    ``(3, >= len(b) + 1)``.
    """
    n = a.shape[0]
    m = b.shape[0]
    low = min(costs[COST_OMITTED], costs[COST_INSERTED], costs[COST_DOUBLED])
    if abs(n - m) * low > cap:
        return cap
    first = costs[COST_FIRST]
    prev2 = work[0]
    prev = work[1]
    cur = work[2]
    prev[0] = 0.0
    for j in range(1, m + 1):
        bj = b[j - 1]
        c = costs[COST_DOUBLED] if (j > 1 and b[j - 2] == bj) or (j < m and b[j] == bj) else costs[COST_OMITTED]
        if j == 1:
            c = max(c, first)
        prev[j] = prev[j - 1] + c
    prev_min = 0.0
    for i in range(1, n + 1):
        ai = a[i - 1]
        # ai is an extra letter of the misspelling
        ins = costs[COST_DOUBLED] if (i > 1 and a[i - 2] == ai) or (i < n and a[i] == ai) else costs[COST_INSERTED]
        cur[0] = prev[0] + (max(ins, first) if i == 1 else ins)
        row_min = cur[0]
        for j in range(1, m + 1):
            bj = b[j - 1]
            if ai == bj:
                sub = 0.0
            else:
                sub = costs[COST_VOWEL] if _is_vowel(ai) and _is_vowel(bj) else costs[COST_SUBSTITUTED]
                if i == 1 and j == 1:
                    sub = max(sub, first)
            omit = costs[COST_DOUBLED] if (j > 1 and b[j - 2] == bj) or (j < m and b[j] == bj) else costs[COST_OMITTED]
            v = prev[j - 1] + sub
            x = prev[j] + ins
            if x < v:
                v = x
            x = cur[j - 1] + omit
            if x < v:
                v = x
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == bj and ai != bj:
                x = prev2[j - 2] + costs[COST_TRANSPOSED]
                if x < v:
                    v = x
            cur[j] = v
            if v < row_min:
                row_min = v
        if row_min > cap and prev_min > cap:
            return cap
        prev_min = row_min
        prev2, prev, cur = prev, cur, prev2
    return min(prev[m], cap)


@njit(cache=True, nogil=True)
def edit_costs(a_codes, a_offsets, b_codes, b_offsets, costs, cap, out):
    """``out[i] = edit_cost(a_i, b_i)`` for word pairs (tests and the benchmark)."""
    longest = 0
    for i in range(b_offsets.shape[0] - 1):
        longest = max(longest, b_offsets[i + 1] - b_offsets[i])
    work = np.empty((3, longest + 1))
    for i in range(out.shape[0]):
        out[i] = edit_cost(a_codes[a_offsets[i]:a_offsets[i + 1]], b_codes[b_offsets[i]:b_offsets[i + 1]],
                           costs, cap, work)


# not inline="always": numba's IR inlining would drop fastmath (measured 6x slower, no SIMD)
@njit(cache=True, nogil=True, fastmath=True)
def _dot(x, y):
    s = np.float32(0.0)
    for j in range(x.shape[0]):
        s += x[j] * y[j]
    return s


@njit(cache=True, nogil=True, inline="always")
def _better(s, r, s0, r0):
    """(s, r) ranks before (s0, r0): larger similarity, then smaller row."""
    return s > s0 or (s == s0 and r < r0)


@njit(cache=True, nogil=True)
def _heap_push(hs, hr, size, k, s, r):
    """Keep the k best (similarity, row) pairs in a min-heap whose root is the worst; returns the size."""
    if size < k:
        i = size
        size += 1
        while i > 0:  # sift up: the parent must be worse than the new pair
            p = (i - 1) // 2
            if _better(hs[p], hr[p], s, r):
                hs[i] = hs[p]
                hr[i] = hr[p]
                i = p
            else:
                break
        hs[i] = s
        hr[i] = r
        return size
    if not _better(s, r, hs[0], hr[0]):
        return size
    i = 0
    while True:  # sift down from the root
        left = 2 * i + 1
        if left >= k:
            break
        w = left
        if left + 1 < k and _better(hs[w], hr[w], hs[left + 1], hr[left + 1]):
            w = left + 1
        if _better(s, r, hs[w], hr[w]):  # the worse child is worse than the new pair: move it up
            hs[i] = hs[w]
            hr[i] = hr[w]
            i = w
        else:
            break
    hs[i] = s
    hr[i] = r
    return size


@njit(cache=True, nogil=True)
def _nearest_cells(cd, n, sel):
    """Indices of the n smallest entries of cd, ascending (ties: smaller index), into sel; returns n."""
    n = min(n, cd.shape[0])
    filled = 0
    for c in range(cd.shape[0]):
        v = cd[c]
        if filled == n and v >= cd[sel[n - 1]]:
            continue
        u = filled - 1 if filled < n else n - 2
        if filled < n:
            filled += 1
        while u >= 0 and cd[sel[u]] > v:
            sel[u + 1] = sel[u]
            u -= 1
        sel[u + 1] = c
    return n


@njit(cache=True, nogil=True)
def _shortlist(q, vectors, rows, cell_ptr, centers, center_sq, n_probe, k, cd, sel, hs, hr):
    """The k rows most similar to unit query q among the n_probe cells with the nearest centres.

    Cells are ranked by ``||c||^2 - 2 q.c`` (the squared distance minus the
    constant ``||q||^2``; ties: the smaller cell); further cells are scanned
    in that order while fewer than k rows were seen. Fills the heap
    ``(hs, hr)`` with (similarity, vocabulary row) and returns its size.
    ``cd`` and ``sel`` are scratch arrays of length n_cells.
    """
    n_cells = centers.shape[0]
    for c in range(n_cells):
        cd[c] = center_sq[c] - 2.0 * _dot(centers[c], q)
    n_sel = _nearest_cells(cd, n_probe, sel)
    size = 0
    seen = 0
    for p in range(n_cells):
        if p >= n_sel:
            if seen >= k:
                break
            if p == n_sel:  # fewer than k rows in the probed cells: go on by centre distance
                sel[:] = np.argsort(cd, kind="mergesort")
        c = sel[p]
        for t in range(cell_ptr[c], cell_ptr[c + 1]):
            s = _dot(vectors[t], q)
            r = rows[t]
            if size < k or _better(s, r, hs[0], hr[0]):
                size = _heap_push(hs, hr, size, k, s, r)
        seen += cell_ptr[c + 1] - cell_ptr[c]
    return size


@njit(cache=True, nogil=True, parallel=True)
def shortlist(Q, vectors, rows, cell_ptr, centers, center_sq, n_probe, out_sim, out_ind):
    """Per query, the ``k = out_ind.shape[1]`` most similar rows of the probed cells, best first.

    ``vectors`` are the unit vocabulary vectors sorted by cell (cell c is
    ``vectors[cell_ptr[c]:cell_ptr[c + 1]]``), ``rows`` their vocabulary
    rows. Ties in similarity go to the smaller row.
    """
    k = out_ind.shape[1]
    for i in prange(Q.shape[0]):
        cd = np.empty(centers.shape[0], dtype=np.float32)
        sel = np.empty(centers.shape[0], dtype=np.int64)
        hs = np.empty(k, dtype=np.float32)
        hr = np.empty(k, dtype=np.int64)
        size = _shortlist(Q[i], vectors, rows, cell_ptr, centers, center_sq, n_probe, k, cd, sel, hs, hr)
        _sorted_out(hs, hr, size, out_sim[i], out_ind[i])


@njit(cache=True, nogil=True)
def _sorted_out(hs, hr, size, out_s, out_r):
    """The heap's pairs best first into out_s / out_r (padding: -inf, -1)."""
    order = np.empty(size, dtype=np.int64)
    for t in range(size):
        order[t] = t
    # insertion sort: k is small
    for t in range(1, size):
        v = order[t]
        u = t - 1
        while u >= 0 and _better(hs[v], hr[v], hs[order[u]], hr[order[u]]):
            order[u + 1] = order[u]
            u -= 1
        order[u + 1] = v
    for t in range(out_r.shape[0]):
        if t < size:
            out_s[t] = hs[order[t]]
            out_r[t] = hr[order[t]]
        else:
            out_s[t] = -np.inf
            out_r[t] = -1


@njit(cache=True, nogil=True, parallel=True)
def rank_candidates(Q, q_codes, q_offsets, vectors, rows, cell_ptr, centers, center_sq, v_codes, v_offsets,
                    log_counts, costs, cap, distance_weight, prior_weight, n_probe, n_candidates, max_len,
                    out_score, out_ind):
    """Shortlist by vector similarity, then rank by the closed-form score; best ``out_ind.shape[1]`` per query.

    score = distance_weight * (cos - 1) + prior_weight * log_counts[row]
    - edit_cost(query, word). Ties go to the larger similarity, then the
    smaller row. Rows beyond the shortlist are padded with -1 / -inf.
    """
    n_out = out_ind.shape[1]
    for i in prange(Q.shape[0]):
        cd = np.empty(centers.shape[0], dtype=np.float32)
        sel = np.empty(centers.shape[0], dtype=np.int64)
        hs = np.empty(n_candidates, dtype=np.float32)
        hr = np.empty(n_candidates, dtype=np.int64)
        work = np.empty((3, max_len + 1))
        size = _shortlist(Q[i], vectors, rows, cell_ptr, centers, center_sq, n_probe, n_candidates, cd, sel, hs,
                          hr)
        a = q_codes[q_offsets[i]:q_offsets[i + 1]]
        score = np.empty(size)
        for t in range(size):
            r = hr[t]
            e = edit_cost(a, v_codes[v_offsets[r]:v_offsets[r + 1]], costs, cap, work)
            score[t] = distance_weight * (np.float64(hs[t]) - 1.0) + prior_weight * log_counts[r] - e
        # best n_out by (score, similarity, -row)
        taken = np.zeros(size, dtype=np.bool_)
        for o in range(n_out):
            best = -1
            for t in range(size):
                if taken[t]:
                    continue
                if best < 0 or score[t] > score[best] or (score[t] == score[best] and _better(hs[t], hr[t],
                                                                                              hs[best], hr[best])):
                    best = t
            if best < 0:
                out_score[i, o] = -np.inf
                out_ind[i, o] = -1
            else:
                taken[best] = True
                out_score[i, o] = score[best]
                out_ind[i, o] = hr[best]
