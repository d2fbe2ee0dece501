"""Numba kernels of the Voronoi partition and the cell search.

NumPy twins of every kernel are in ``_reference``; the tests compare them.

Conventions (checked at the Python boundary, never here):

* ``X`` / ``data`` are C-contiguous float32 or float64 arrays of shape
  (n, d); ``order`` / ``index`` are int64 row numbers into them.
* Work on tree nodes is cut into *items*: rows ``order[lo:hi]`` of one
  segment (node) ``seg``; ``items`` has shape (n_items, 3) with columns
  (seg, lo, hi). Partial results are written per item and reduced per
  segment by the caller in a fixed order, so results do not depend on the
  number of threads.
* Distances between points are computed directly as
  :math:`\\sum_j (x_j - q_j)^2` in float64 (never through the
  :math:`\\|x\\|^2 - 2 x \\cdot q + \\|q\\|^2` expansion), so exact search
  returns exactly the brute-force neighbours; GEMM (centre assignment)
  and float32 arithmetic (the search screen) only *shortlist* candidates,
  within a rigorous rounding margin (see ``nearest_center_refine`` and
  ``_block_sqdist_low``).
* The search stores each cell as one column-major block of a flat array
  (``data_t``): coordinate j of row i of cell c sits at
  ``cell_ptr[c] * d + j * n_c + i``.
"""

import numpy as np
from numba import njit, prange

# queries handled by one parallel task of the search kernels
QUERY_BLOCK = 32
# relative slack added to pruning bounds to absorb float64 rounding
_REL_SLACK = 1e-9


# --------------------------------------------------------------- helpers

@njit(cache=True, nogil=True, fastmath=True)
def _sqdist_row(A, i, q):
    """Squared Euclidean distance of row i of A to the float64 vector q."""
    acc = 0.0
    for j in range(q.shape[0]):
        t = A[i, j] - q[j]
        acc += t * t
    return acc


@njit(cache=True, nogil=True)
def _projection(X, i, mean, axis):
    """(x_i - mean) . axis in float64, in a fixed summation order.

    Eight interleaved partial sums (coordinates j = 8m + r go to sum r),
    combined pairwise: fast (independent chains) and, since no fastmath
    reassociation is allowed here, bit-identical wherever it is inlined.
    The split kernel and the tree descent both call it, so a training row
    always descends to the leaf it was put in.
    """
    d = mean.shape[0]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    j = 0
    while j + 8 <= d:
        s0 += (np.float64(X[i, j]) - mean[j]) * axis[j]
        s1 += (np.float64(X[i, j + 1]) - mean[j + 1]) * axis[j + 1]
        s2 += (np.float64(X[i, j + 2]) - mean[j + 2]) * axis[j + 2]
        s3 += (np.float64(X[i, j + 3]) - mean[j + 3]) * axis[j + 3]
        s4 += (np.float64(X[i, j + 4]) - mean[j + 4]) * axis[j + 4]
        s5 += (np.float64(X[i, j + 5]) - mean[j + 5]) * axis[j + 5]
        s6 += (np.float64(X[i, j + 6]) - mean[j + 6]) * axis[j + 6]
        s7 += (np.float64(X[i, j + 7]) - mean[j + 7]) * axis[j + 7]
        j += 8
    while j < d:
        s0 += (np.float64(X[i, j]) - mean[j]) * axis[j]
        j += 1
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@njit(cache=True, nogil=True)
def _greater(d1, i1, d2, i2):
    """(d1, i1) > (d2, i2) in lexicographic order."""
    return d1 > d2 or (d1 == d2 and i1 > i2)


@njit(cache=True, nogil=True)
def _sift_down(hd, hi, size, pos):
    """Restore the max-heap property below ``pos``."""
    while True:
        child = 2 * pos + 1
        if child >= size:
            return
        if child + 1 < size and _greater(hd[child + 1], hi[child + 1], hd[child], hi[child]):
            child += 1
        if _greater(hd[child], hi[child], hd[pos], hi[pos]):
            hd[pos], hd[child] = hd[child], hd[pos]
            hi[pos], hi[child] = hi[child], hi[pos]
            pos = child
        else:
            return


@njit(cache=True, nogil=True)
def _heap_offer(hd, hi, size, k, d2, idx):
    """Offer (d2, idx) to the bounded max-heap of capacity k; returns the new size."""
    if size < k:
        pos = size
        hd[pos] = d2
        hi[pos] = idx
        while pos > 0:
            parent = (pos - 1) // 2
            if _greater(hd[pos], hi[pos], hd[parent], hi[parent]):
                hd[pos], hd[parent] = hd[parent], hd[pos]
                hi[pos], hi[parent] = hi[parent], hi[pos]
                pos = parent
            else:
                break
        return size + 1
    if _greater(hd[0], hi[0], d2, idx):
        hd[0] = d2
        hi[0] = idx
        _sift_down(hd, hi, k, 0)
    return size


@njit(cache=True, nogil=True)
def _heap_sorted(hd, hi, size, out_d, out_i):
    """Pop the heap into out_d/out_i ascending by (distance, index); takes sqrt."""
    for pos in range(size - 1, -1, -1):
        out_d[pos] = np.sqrt(hd[0])
        out_i[pos] = hi[0]
        last = size - 1
        hd[0] = hd[last]
        hi[0] = hi[last]
        size = last
        _sift_down(hd, hi, size, 0)


@njit(cache=True, nogil=True)
def _block_sqdist(flat, base, stride, a, b, q, acc):
    """acc[i] = sum_j (flat[base + j * stride + a + i] - q[j])^2 for i in [0, b - a).

    ``flat[base:]`` is a column-major block (coordinate j of its row i at
    ``base + j * stride + i``), so the inner loop runs over rows and
    vectorizes without horizontal sums (and without fastmath); each row's
    sum runs over j in order, so a row gets the same value wherever it is
    measured.
    """
    # unsigned indices: no negative-index wraparound checks in the hot loop
    m = np.uint64(b - a)
    for i in range(m):
        acc[i] = 0.0
    for j in range(q.shape[0]):
        qj = q[j]
        off = np.uint64(base + j * stride + a)
        for i in range(m):
            t = flat[off + i] - qj
            acc[i] += t * t


@njit(cache=True, nogil=True, fastmath=True)
def _block_sqdist_low(flat, base, stride, a, b, q_low, acc_low):
    """``_block_sqdist`` in the storage dtype (float32: twice the SIMD width).

    Only a screen: for float32 the result is within a relative
    ``gamma_{d+2} = (d + 2) u / (1 - (d + 2) u)`` (u = 2^-24) of the exact
    sum of squares (all terms are non-negative, in any summation order;
    underflow only lowers it), so a row whose screened value exceeds
    ``top * (1 + gamma)`` cannot beat ``top``.
    """
    m = np.uint64(b - a)
    for i in range(m):
        acc_low[i] = 0.0
    for j in range(q_low.shape[0]):
        qj = q_low[j]
        off = np.uint64(base + j * stride + a)
        for i in range(m):
            t = flat[off + i] - qj
            acc_low[i] += t * t


@njit(cache=True, nogil=True)
def _column_row_sqdist(flat, base, stride, i, q):
    """Row i of a column-major block: the same float64 sum as ``_block_sqdist``, bit for bit."""
    acc = 0.0
    off = np.uint64(base + i)
    for j in range(q.shape[0]):
        t = flat[off + np.uint64(j * stride)] - q[j]
        acc += t * t
    return acc


@njit(cache=True, nogil=True)
def _first_above(rho, lo, hi, value, strict):
    """First p in [lo, hi) with rho[p] > value (strict) or >= value; hi if none (rho ascends)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if rho[mid] > value or (not strict and rho[mid] == value):
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, nogil=True)
def _annulus(rho, lo, hi, low, high):
    """Rows [a, b) of [lo, hi) with low <= rho <= high (rho ascends within a cell)."""
    a = _first_above(rho, lo, hi, low, False)
    b = _first_above(rho, a, hi, high, True)
    return a, b


@njit(cache=True, nogil=True)
def _scan_cell(data_t, index, rho, cell_ptr, c, q, q_low, gamma, dq, hd, hi_, size, k, acc, acc_low, counts):
    """Offer the rows of cell c to the heap; returns the new heap size.

    ``data_t`` stores each cell as a column-major block (see
    ``_block_sqdist``); ``rho`` is each row's distance to its cell centre
    (rows of a cell are sorted by it) and ``dq`` the query's distance to
    centre c. Once the heap is full (k-th squared distance ``top``, tau its
    root), only rows with ``dq - tau <= rho <= dq + tau`` can qualify
    (triangle inequality): two binary searches find that annulus, and only
    its rows are measured, in one vectorized block. With ``gamma > 0``
    (float32 storage) the block is first measured in float32 and only rows
    whose screened value is ``<= top * (1 + gamma)`` are re-measured in
    float64 (see ``_block_sqdist_low``). The annulus is widened by a
    relative slack of 1e-9 against rounding. ``counts[0]`` accumulates the
    rows measured.
    """
    lo = cell_ptr[c]
    hi = cell_ptr[c + 1]
    if hi == lo:
        return size
    d = q.shape[0]
    base = lo * d
    stride = hi - lo
    if size < k:
        a = lo
        b = hi
    else:
        tau = np.sqrt(hd[0]) * (1.0 + _REL_SLACK) + _REL_SLACK * (dq + rho[hi - 1])
        a, b = _annulus(rho, lo, hi, dq - tau, dq + tau)
    if b <= a:
        return size
    counts[0] += b - a
    if size == k and gamma > 0.0:
        _block_sqdist_low(data_t, base, stride, a - lo, b - lo, q_low, acc_low)
        limit = hd[0] * (1.0 + gamma)
        for i in range(b - a):
            if acc_low[i] <= limit:
                d2 = _column_row_sqdist(data_t, base, stride, a - lo + i, q)
                idx = index[a + i]
                if d2 < hd[0] or (d2 == hd[0] and idx < hi_[0]):
                    size = _heap_offer(hd, hi_, size, k, d2, idx)
                    limit = hd[0] * (1.0 + gamma)
        return size
    _block_sqdist(data_t, base, stride, a - lo, b - lo, q, acc)
    for i in range(b - a):
        d2 = acc[i]
        idx = index[a + i]
        if size < k or d2 < hd[0] or (d2 == hd[0] and idx < hi_[0]):
            size = _heap_offer(hd, hi_, size, k, d2, idx)
    return size


# --------------------------------------------------------- tree building

@njit(cache=True, nogil=True, parallel=True)
def segment_sums(X, order, items, out):
    """out[t] = sum of rows X[order[lo:hi]] of item t, in float64."""
    d = X.shape[1]
    for t in prange(items.shape[0]):
        acc = np.zeros(d)
        for p in range(items[t, 1], items[t, 2]):
            i = order[p]
            for j in range(d):
                acc[j] += X[i, j]
        for j in range(d):
            out[t, j] = acc[j]


@njit(cache=True, nogil=True, parallel=True, fastmath=True)
def segment_power_step(X, order, items, means, vecs, out):
    """One power-iteration step of the centred covariance, per item.

    out[t] = sum_{p in item t} ((x_p - mu_s) . v_s) (x_p - mu_s), with s the
    item's segment: the item's share of :math:`X_c^T X_c v` in one pass
    over the rows.
    """
    d = X.shape[1]
    for t in prange(items.shape[0]):
        s = items[t, 0]
        mean = means[s]
        vec = vecs[s]
        acc = np.zeros(d)
        xc = np.empty(d)
        for p in range(items[t, 1], items[t, 2]):
            i = order[p]
            y = 0.0
            for j in range(d):
                xc[j] = X[i, j] - mean[j]
                y += xc[j] * vec[j]
            for j in range(d):
                acc[j] += y * xc[j]
        for j in range(d):
            out[t, j] = acc[j]


@njit(cache=True, nogil=True, parallel=True)
def segment_sides(X, order, items, means, axes, side):
    """side[p] = 1 if (x_{order[p]} - mu_s) . a_s > 0 else 0, for p in each item."""
    for t in prange(items.shape[0]):
        s = items[t, 0]
        mean = means[s]
        axis = axes[s]
        for p in range(items[t, 1], items[t, 2]):
            side[p] = 1 if _projection(X, order[p], mean, axis) > 0.0 else 0


@njit(cache=True, nogil=True, parallel=True)
def segment_partition(order, starts, ends, side, n_left):
    """Stable in-place partition of order[start:end] by side (0 first), per segment.

    n_left[s] receives the number of rows with side 0.
    """
    for s in prange(starts.shape[0]):
        lo = starts[s]
        hi = ends[s]
        buf = np.empty(hi - lo, dtype=order.dtype)
        n_right = 0
        w = lo
        for p in range(lo, hi):
            if side[p] == 0:
                order[w] = order[p]
                w += 1
            else:
                buf[n_right] = order[p]
                n_right += 1
        n_left[s] = w - lo
        for r in range(n_right):
            order[w + r] = buf[r]


@njit(cache=True, nogil=True, parallel=True)
def gather_rows(src, rows, dst):
    """dst[i] = src[rows[i]] for every i."""
    d = src.shape[1]
    for i in prange(rows.shape[0]):
        r = rows[i]
        for j in range(d):
            dst[i, j] = src[r, j]


@njit(cache=True, nogil=True, parallel=True)
def tree_descend(X, node_means, node_axes, children, out):
    """out[i] = the leaf node row i descends to (right when projection > 0)."""
    for i in prange(X.shape[0]):
        node = 0
        while children[node, 0] >= 0:
            if _projection(X, i, node_means[node], node_axes[node]) > 0.0:
                node = children[node, 1]
            else:
                node = children[node, 0]
        out[i] = node


# ------------------------------------------------------------ assignment

@njit(cache=True, nogil=True, parallel=True)
def nearest_center_refine(X, centers, G, xnorm, cnorm, margin, labels, sqdist):
    """Exact nearest centre of each row from a GEMM shortlist.

    ``G[i, c]`` is the GEMM value of :math:`x_i \\cdot c` and
    ``a_{ic} = xnorm[i] + cnorm[c] - 2 G[i, c]`` approximates
    :math:`\\|x_i - c\\|^2` with absolute error at most ``margin[i]``.
    When the second smallest approximation exceeds the smallest by more than
    ``2 margin[i]``, the smallest wins outright; otherwise every centre
    within ``2 margin[i]`` of the smallest is re-measured directly in
    float64, the nearest wins and ties go to the lower centre index. ``labels[i]`` and ``sqdist[i]`` receive
    the result (the exact nearest centre, whatever the GEMM rounding).
    """
    n_centers = centers.shape[0]
    d = centers.shape[1]
    n = X.shape[0]
    n_blocks = (n + 255) // 256
    for blk in prange(n_blocks):
        x = np.empty(d)
        for i in range(blk * 256, min(n, (blk + 1) * 256)):
            # smallest and second smallest approximation in one pass
            best_approx = np.inf
            second = np.inf
            arg = 0
            for c in range(n_centers):
                a = xnorm[i] + cnorm[c] - 2.0 * G[i, c]
                if a < best_approx:
                    second = best_approx
                    best_approx = a
                    arg = c
                elif a < second:
                    second = a
            for j in range(d):
                x[j] = X[i, j]
            limit = best_approx + 2.0 * margin[i]
            if second > limit:
                # a clear winner: no other centre can be nearer
                labels[i] = arg
                sqdist[i] = _sqdist_row(centers, arg, x)
                continue
            best = -1
            best_d2 = np.inf
            for c in range(n_centers):
                if xnorm[i] + cnorm[c] - 2.0 * G[i, c] <= limit:
                    d2 = _sqdist_row(centers, c, x)
                    if d2 < best_d2:
                        best_d2 = d2
                        best = c
            labels[i] = best
            sqdist[i] = best_d2


@njit(cache=True, nogil=True, parallel=True)
def member_sqdist(X, centers, labels, out):
    """out[i] = squared distance of row i to centre labels[i] (float64, direct)."""
    d = X.shape[1]
    for i in prange(X.shape[0]):
        c = labels[i]
        acc = 0.0
        for j in range(d):
            t = X[i, j] - centers[c, j]
            acc += t * t
        out[i] = acc


@njit(cache=True, nogil=True, parallel=True)
def center_adjacency(centers, radius, near_order, adjacency):
    """The paper's neighbour test for every pair of centres.

    Cells i < j are neighbours when the midpoint m of their centres lies
    within both radii (``||c_i - c_j|| / 2 <= min(r_i, r_j)``) AND has
    exactly c_i and c_j as its two nearest centres: every other centre k is
    strictly farther from m. ``near_order[i]`` lists the centres by distance
    from c_i, so a violating k is usually met first. Distances are direct
    float64 sums. ``adjacency`` (n_cells, n_cells) uint8 is filled
    symmetrically.
    """
    n = centers.shape[0]
    d = centers.shape[1]
    for i in prange(n):
        m = np.empty(d)
        for j in range(i + 1, n):
            for t in range(d):
                m[t] = 0.5 * (centers[i, t] + centers[j, t])
            hi2 = _sqdist_row(centers, i, m)
            hj2 = _sqdist_row(centers, j, m)
            h = np.sqrt(max(hi2, hj2))
            if h > radius[i] or h > radius[j]:
                continue
            h2 = max(hi2, hj2)
            ok = True
            for r in range(n):
                kk = near_order[i, r]
                if kk == i or kk == j:
                    continue
                if _sqdist_row(centers, kk, m) <= h2:
                    ok = False
                    break
            if ok:
                adjacency[i, j] = 1
                adjacency[j, i] = 1


# ---------------------------------------------------------------- search

@njit(cache=True, nogil=True)
def _center_distances(centers_t, q, dc):
    """dc[c] = ||q - c|| for every centre (float64, direct); returns the nearest (lowest index on ties)."""
    n = dc.shape[0]
    _block_sqdist(centers_t, 0, n, 0, n, q, dc)
    best = 0
    for c in range(n):
        dc[c] = np.sqrt(dc[c])
        if dc[c] < dc[best]:
            best = c
    return best


@njit(cache=True, nogil=True)
def _lower_bound(dc, g2, radius, c, c0, tau):
    """A lower bound of ||q - x|| over the members x of cell c.

    The larger of two valid bounds, each lowered by a rounding slack: the
    ball bound ``||q - c|| - r_c`` and, because every member is at least as
    close to its own centre c as to the query's nearest centre c0, the
    bisector bound ``(||q - c||^2 - ||q - c0||^2) / (2 ||c - c0||)``
    (``g2[c] = ||c - c0||^2``). The bisector bound is skipped when the
    ball bound already exceeds ``tau`` (the cell is pruned either way).
    """
    b = dc[c] - radius[c] - _REL_SLACK * (dc[c] + radius[c])
    if b <= tau and g2[c] > 0.0:
        g = np.sqrt(g2[c])
        bis = (dc[c] * dc[c] - dc[c0] * dc[c0]) / (2.0 * g)
        bis -= _REL_SLACK * (dc[c] * dc[c] + dc[c0] * dc[c0] + radius[c] * radius[c]) / g
        if bis > b:
            b = bis
    return b


@njit(cache=True, nogil=True)
def _probe_order(dc, n_probe, sel):
    """sel[:n_probe] = the n_probe nearest centres, ascending (ties: lower index)."""
    n = dc.shape[0]
    if n_probe >= n or n_probe > 32:
        order = np.argsort(dc, kind="mergesort")
        for r in range(min(n_probe, n)):
            sel[r] = order[r]
        return min(n_probe, n)
    count = 0
    for c in range(n):
        v = dc[c]
        if count == n_probe and v >= dc[sel[count - 1]]:
            continue
        pos = count if count < n_probe else n_probe - 1
        while pos > 0 and dc[sel[pos - 1]] > v:
            sel[pos] = sel[pos - 1]
            pos -= 1
        sel[pos] = c
        if count < n_probe:
            count += 1
    return count


@njit(cache=True, nogil=True)
def _max_cell(cell_ptr):
    m = 1
    for c in range(cell_ptr.shape[0] - 1):
        m = max(m, cell_ptr[c + 1] - cell_ptr[c])
    return m


@njit(cache=True, nogil=True, parallel=True)
def knn_cells(data_t, index, rho, cell_ptr, centers, centers_t, radius, Q, k, n_probe, exact, gamma,
              out_dist, out_ind, n_cells_visited, n_distances):
    """k nearest indexed rows of every query, searching cell by cell.

    The rows are sorted by cell and, within a cell, by their distance
    ``rho`` to the centre: cell c is rows ``cell_ptr[c]:cell_ptr[c+1]``,
    stored as one column-major block of ``data_t``; ``index`` maps rows
    back to training row numbers. ``centers`` (float64, one row per cell),
    ``centers_t`` (its transpose, flattened) and ``radius`` (max member
    distance) describe the cells. A bounded max-heap per query keeps the k
    best (squared distance, index) pairs; rows are filtered as in
    ``_scan_cell``.

    exact=False: scan the ``n_probe`` cells with the nearest centres, then
    further cells by centre distance until k rows were seen.
    exact=True: scan the nearest cell c0, then every cell whose lower bound
    (``_lower_bound``) is not above the current k-th distance, in increasing
    order of the bound; the result equals brute force ordered by
    (distance, index). ``gamma > 0`` enables the float32 screen of
    ``_scan_cell`` (the caller passes 0 for float64 data or huge values).

    Per query, ``n_cells_visited`` and ``n_distances`` receive the cells
    scanned and the rows measured. Parallel over blocks of queries.
    """
    n_q = Q.shape[0]
    n_cells = centers.shape[0]
    d = Q.shape[1]
    max_cell = _max_cell(cell_ptr)
    n_blocks = (n_q + QUERY_BLOCK - 1) // QUERY_BLOCK
    for blk in prange(n_blocks):
        dc = np.empty(n_cells)
        g2 = np.empty(n_cells)
        lb = np.empty(n_cells)
        cand = np.empty(n_cells, dtype=np.int64)
        hd = np.empty(k)
        hi = np.empty(k, dtype=np.int64)
        q = np.empty(d)
        q_low = np.empty(d, dtype=data_t.dtype)
        acc = np.empty(max_cell)
        acc_low = np.empty(max_cell, dtype=data_t.dtype)
        counts = np.zeros(1, dtype=np.int64)
        for t in range(blk * QUERY_BLOCK, min(n_q, (blk + 1) * QUERY_BLOCK)):
            for j in range(d):
                q[j] = Q[t, j]
                q_low[j] = Q[t, j]
            c0 = _center_distances(centers_t, q, dc)
            counts[0] = 0
            size = 0
            visited = 0
            if exact:
                size = _scan_cell(data_t, index, rho, cell_ptr, c0, q, q_low, gamma, dc[c0], hd, hi, size, k, acc, acc_low, counts)
                visited += 1
                tau = np.sqrt(hd[0]) if size == k else np.inf
                _block_sqdist(centers_t, 0, n_cells, 0, n_cells, centers[c0], g2)
                n_cand = 0
                for c in range(n_cells):
                    if c == c0 or cell_ptr[c + 1] == cell_ptr[c]:
                        continue
                    bound = _lower_bound(dc, g2, radius, c, c0, tau)
                    if bound <= tau:
                        lb[n_cand] = bound
                        cand[n_cand] = c
                        n_cand += 1
                if n_cand > 0:
                    perm = np.argsort(lb[:n_cand], kind="mergesort")
                    for r in range(n_cand):
                        if size == k:
                            tau = np.sqrt(hd[0])
                        if lb[perm[r]] > tau:
                            break
                        c = cand[perm[r]]
                        size = _scan_cell(data_t, index, rho, cell_ptr, c, q, q_low, gamma, dc[c], hd, hi, size, k, acc, acc_low, counts)
                        visited += 1
            else:
                n_sel = _probe_order(dc, n_probe, cand)
                for r in range(n_sel):
                    c = cand[r]
                    size = _scan_cell(data_t, index, rho, cell_ptr, c, q, q_low, gamma, dc[c], hd, hi, size, k, acc, acc_low, counts)
                    visited += 1
                if size < k:
                    order = np.argsort(dc, kind="mergesort")
                    for r in range(n_sel, n_cells):
                        if size == k:
                            break
                        c = order[r]
                        size = _scan_cell(data_t, index, rho, cell_ptr, c, q, q_low, gamma, dc[c], hd, hi, size, k, acc, acc_low, counts)
                        visited += 1
            _heap_sorted(hd, hi, size, out_dist[t], out_ind[t])
            n_cells_visited[t] = visited
            n_distances[t] = counts[0]


@njit(cache=True, nogil=True, parallel=True)
def radius_scan(data_t, index, rho, cell_ptr, centers, centers_t, radius, Q, r, n_probe, exact, fill,
                offsets, out_dist, out_ind):
    """Indexed rows within distance r of each query, in two passes.

    ``fill=False``: ``offsets[t + 1]`` receives the number of rows of the
    scanned cells within distance r of query t (the caller turns the counts
    into offsets with a cumulative sum). ``fill=True``: query t writes its
    rows to ``out_*[offsets[t]:offsets[t + 1]]``, sorted by (distance,
    index). Both passes scan the same cells (exact: every cell whose lower
    bound is <= r; else the n_probe nearest) and measure only the rows in
    the annulus ``|rho - ||q - c||| <= r``. Layout as in ``knn_cells``.
    """
    n_q = Q.shape[0]
    n_cells = centers.shape[0]
    d = Q.shape[1]
    max_cell = _max_cell(cell_ptr)
    n_blocks = (n_q + QUERY_BLOCK - 1) // QUERY_BLOCK
    for blk in prange(n_blocks):
        dc = np.empty(n_cells)
        g2 = np.empty(n_cells)
        cand = np.empty(n_cells, dtype=np.int64)
        q = np.empty(d)
        acc = np.empty(max_cell)
        for t in range(blk * QUERY_BLOCK, min(n_q, (blk + 1) * QUERY_BLOCK)):
            for j in range(d):
                q[j] = Q[t, j]
            c0 = _center_distances(centers_t, q, dc)
            if exact:
                _block_sqdist(centers_t, 0, n_cells, 0, n_cells, centers[c0], g2)
                n_cand = 0
                for c in range(n_cells):
                    if cell_ptr[c + 1] == cell_ptr[c]:
                        continue
                    if c == c0 or _lower_bound(dc, g2, radius, c, c0, r) <= r:
                        cand[n_cand] = c
                        n_cand += 1
            else:
                n_cand = _probe_order(dc, n_probe, cand)
            w = offsets[t] if fill else 0
            for s in range(n_cand):
                c = cand[s]
                lo = cell_ptr[c]
                hi = cell_ptr[c + 1]
                if hi == lo:
                    continue
                reach = r * (1.0 + _REL_SLACK) + _REL_SLACK * (dc[c] + rho[hi - 1])
                a, b = _annulus(rho, lo, hi, dc[c] - reach, dc[c] + reach)
                if b <= a:
                    continue
                _block_sqdist(data_t, lo * d, hi - lo, a - lo, b - lo, q, acc)
                for i in range(b - a):
                    dist = np.sqrt(acc[i])
                    if dist <= r:
                        if fill:
                            out_dist[w] = dist
                            out_ind[w] = index[a + i]
                        w += 1
            if not fill:
                offsets[t + 1] = w
                continue
            lo = offsets[t]
            hi = offsets[t + 1]
            if hi - lo > 1:
                # sort by index, then stably by distance: (distance, index) order
                by_index = np.argsort(out_ind[lo:hi], kind="mergesort")
                dist_tmp = out_dist[lo:hi][by_index]
                ind_tmp = out_ind[lo:hi][by_index]
                by_dist = np.argsort(dist_tmp, kind="mergesort")
                for s in range(hi - lo):
                    out_dist[lo + s] = dist_tmp[by_dist[s]]
                    out_ind[lo + s] = ind_tmp[by_dist[s]]
