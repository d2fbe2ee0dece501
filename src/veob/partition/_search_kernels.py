"""Numba kernels of the cell search: k nearest neighbours (exact or probed) and radius queries.

NumPy twins are in ``_reference`` (and the tests compare the search with
brute force); the kernels that build the partition and the index layout
are in ``_build_kernels``. The drivers and every helper they call live in
this one module: numba's on-disk cache does not notice edits to functions
of another file.

Conventions (checked at the Python boundary, never here):

* The index is one :data:`SearchTree` (a namedtuple of arrays and the
  filter constants; numba passes it as one argument). It stores the rows
  sorted by cell (row-major ``data``, cell c is rows
  ``cell_ptr[c]:cell_ptr[c + 1]``, ``index`` their original row numbers,
  ``rho`` their distance to the cell centre, ascending within a cell) and,
  per row, a short projection vector (``phi``, m + 1 values) stored
  column-major per cell: component j of row i of cell c sits at
  ``phi_ptr[c] + j * s_c + i`` (``s_c`` the cell size padded to
  ``PHI_ALIGN``), so the filter vectorizes over the rows of a cell.
* Distances between points are computed directly as
  :math:`\\sum_j (x_j - q_j)^2` in float64 (``_row_sqdist``, never through
  the :math:`\\|x\\|^2 - 2 x \\cdot q + \\|q\\|^2` expansion), so exact
  search returns exactly the brute-force neighbours; the float32
  projection filter only *shortlists* rows, within rigorous rounding
  margins (see ``_scan_cell``).
* Helpers called in the hot loops take ``inline="always"``: a call of a
  compiled function with array arguments costs atomic reference-count
  updates per array, which dominated the search before.
"""

from collections import namedtuple

import numpy as np
from numba import njit, prange

# queries handled by one parallel task of the probe and radius kernels
QUERY_BLOCK = 32
# relative slack added to pruning bounds to absorb float64 rounding
_REL_SLACK = 1e-9
# the float32 projection filter is used only below this magnitude (no overflow of squares)
PHI_MAX = 1e15
# rows of a cell's phi block are padded to a multiple of this (aligned, remainder-free filter loops)
PHI_ALIGN = 16
# absolute slack of the float32 filter: float32 subnormal arithmetic errs by at most 2^-149 per step
_TINY = 1e-37


#: The frozen search index as one kernel argument. ``data`` (n, d) rows sorted by cell, ``index``
#: (n,) their original row numbers, ``rho`` (n,) their distance to their centre, ``phi`` / ``phi_ptr``
#: the projection vectors per cell (``_build_kernels.cell_phi``), ``cproj`` (n_cells, m) the centres'
#: projections ``A (c - mean)``, ``cshift`` (n_cells,) ``||c - mean||``, ``mean`` (d,) and ``axes``
#: (m, d) of the projections, ``cell_ptr`` (n_cells + 1,), ``centers`` (n_cells, d) float64,
#: ``centers_t`` the centres transposed and flattened, ``radius`` (n_cells,) the cell radii;
#: ``kappa`` and ``gamma`` the filter's rounding constants, ``phi_ok`` whether the filter is safe.
SearchTree = namedtuple("SearchTree", ["data", "index", "rho", "phi", "phi_ptr", "cproj", "cshift", "mean", "axes",
                                       "cell_ptr", "centers", "centers_t", "radius", "kappa", "gamma", "phi_ok"])


# --------------------------------------------------------------- helpers
@njit(cache=True, nogil=True, inline="always")
def _row_sqdist(data, p, Qf, u):
    """:math:`\\sum_j (x_j - q_j)^2` of row p of data and the float64 query ``Qf[u]``, in float64.

    The search's distance: eight interleaved partial sums (coordinate
    j = 8m + r goes to sum r) combined pairwise, a fixed order (no
    fastmath), so a row gets the same value wherever it is measured.
    Queries are rows of 2-d buffers (here and in the heap helpers): taking
    a row view in a hot loop would cost reference-count updates.
    """
    d = Qf.shape[1]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    j = 0
    while j + 8 <= d:
        t0 = np.float64(data[p, j]) - Qf[u, j]
        t1 = np.float64(data[p, j + 1]) - Qf[u, j + 1]
        t2 = np.float64(data[p, j + 2]) - Qf[u, j + 2]
        t3 = np.float64(data[p, j + 3]) - Qf[u, j + 3]
        t4 = np.float64(data[p, j + 4]) - Qf[u, j + 4]
        t5 = np.float64(data[p, j + 5]) - Qf[u, j + 5]
        t6 = np.float64(data[p, j + 6]) - Qf[u, j + 6]
        t7 = np.float64(data[p, j + 7]) - Qf[u, j + 7]
        s0 += t0 * t0
        s1 += t1 * t1
        s2 += t2 * t2
        s3 += t3 * t3
        s4 += t4 * t4
        s5 += t5 * t5
        s6 += t6 * t6
        s7 += t7 * t7
        j += 8
    while j < d:
        t0 = np.float64(data[p, j]) - Qf[u, j]
        s0 += t0 * t0
        j += 1
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@njit(cache=True, nogil=True, inline="always")
def _greater(d1, i1, d2, i2):
    """(d1, i1) > (d2, i2) in lexicographic order."""
    return d1 > d2 or (d1 == d2 and i1 > i2)


@njit(cache=True, nogil=True, inline="always")
def _sift_down(hd, hi, u, size, pos):
    """Restore the max-heap property of heap ``(hd[u], hi[u])`` below ``pos``."""
    while True:
        child = 2 * pos + 1
        if child >= size:
            return
        if child + 1 < size and _greater(hd[u, child + 1], hi[u, child + 1], hd[u, child], hi[u, child]):
            child += 1
        if _greater(hd[u, child], hi[u, child], hd[u, pos], hi[u, pos]):
            hd[u, pos], hd[u, child] = hd[u, child], hd[u, pos]
            hi[u, pos], hi[u, child] = hi[u, child], hi[u, pos]
            pos = child
        else:
            return


@njit(cache=True, nogil=True, inline="always")
def _heap_offer(hd, hi, u, size, k, d2, idx):
    """Offer (d2, idx) to the bounded max-heap ``(hd[u], hi[u])`` of capacity k; returns the new size."""
    if size < k:
        pos = size
        hd[u, pos] = d2
        hi[u, pos] = idx
        while pos > 0:
            parent = (pos - 1) // 2
            if _greater(hd[u, pos], hi[u, pos], hd[u, parent], hi[u, parent]):
                hd[u, pos], hd[u, parent] = hd[u, parent], hd[u, pos]
                hi[u, pos], hi[u, parent] = hi[u, parent], hi[u, pos]
                pos = parent
            else:
                break
        return size + 1
    if _greater(hd[u, 0], hi[u, 0], d2, idx):
        hd[u, 0] = d2
        hi[u, 0] = idx
        _sift_down(hd, hi, u, k, 0)
    return size


@njit(cache=True, nogil=True)
def _heap_sorted(hd, hi, u, size, out_d, out_i, t):
    """Pop heap u into ``out_d[t]``/``out_i[t]`` ascending by (distance, index); takes sqrt."""
    for pos in range(size - 1, -1, -1):
        out_d[t, pos] = np.sqrt(hd[u, 0])
        out_i[t, pos] = hi[u, 0]
        last = size - 1
        hd[u, 0] = hd[u, last]
        hi[u, 0] = hi[u, last]
        size = last
        _sift_down(hd, hi, u, size, 0)


@njit(cache=True, nogil=True, inline="always")
def _block_sqdist(flat, base, stride, a, n, Qm, u, acc):
    """acc[i] = sum_j (flat[base + j * stride + a + i] - Qm[u, j])^2 for i in [0, n).

    ``flat[base:]`` is a column-major block (component j of its row i at
    ``base + j * stride + i``), so the inner loop runs over rows and
    vectorizes without horizontal sums, in the dtype of ``flat`` and
    ``acc`` (float32 for the projection filter: twice the SIMD width). The
    callers pass ranges aligned to ``PHI_ALIGN`` rows inside blocks padded
    to a multiple of it: no scalar remainder loops.
    """
    # unsigned indices: no negative-index wraparound checks in the hot loop
    m = np.uint64(n)
    for i in range(m):
        acc[i] = 0.0
    for j in range(Qm.shape[1]):
        qj = Qm[u, j]
        off = np.uint64(base + j * stride + a)
        for i in range(m):
            t = flat[off + i] - qj
            acc[i] += t * t


@njit(cache=True, nogil=True, inline="always")
def _first_above(rho, lo, hi, value, strict):
    """First p in [lo, hi) with rho[p] > value (strict) or >= value; hi if none (rho ascends)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if rho[mid] > value or (not strict and rho[mid] == value):
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, nogil=True, inline="always")
def _annulus(rho, lo, hi, low, high):
    """Rows [a, b) of [lo, hi) with low <= rho <= high (rho ascends within a cell)."""
    a = _first_above(rho, lo, hi, low, False)
    b = _first_above(rho, a, hi, high, True)
    return a, b


@njit(cache=True, nogil=True, inline="always")
def _query_phi(Q, t, mean, axes, Qf, Y, Ylow, u):
    """``Qf[u] = Q[t]`` in float64, ``Y[u, :m] = A (q - mean)`` (and in Ylow's dtype); returns ||q - mean||."""
    d = Qf.shape[1]
    nrm = 0.0
    for j in range(d):
        Qf[u, j] = Q[t, j]
        v = Qf[u, j] - mean[j]
        nrm += v * v
    for kk in range(axes.shape[0]):
        acc = 0.0
        for j in range(d):
            acc += axes[kk, j] * (Qf[u, j] - mean[j])
        Y[u, kk] = acc
        Ylow[u, kk] = acc
    return np.sqrt(nrm)


@njit(cache=True, nogil=True)
def _fill_heap(data, index, lo, hi_row, Qf, u, hd, hi, size, k, counts):
    """Measure rows lo, lo + 1, ... exactly into heap u until it holds k pairs; returns (size, next row)."""
    p = lo
    while size < k and p < hi_row:
        d2 = _row_sqdist(data, p, Qf, u)
        counts[u] += 1
        size = _heap_offer(hd, hi, u, size, k, d2, index[p])
        p += 1
    return size, p


@njit(cache=True, nogil=True, inline="always")
def _scan_cell(tree, c, Qf, Y, Ylow, u, qshift, dq, hd, hi, size, k, acc, use_phi, counts):
    """Offer the rows of cell c to the heap of one query; returns the new heap size.

    Rows are measured exactly (``_row_sqdist``) until the heap holds k
    pairs. Then, with tau the current k-th distance, a row x can only enter
    if ``||q - x|| <= tau``, and two filters skip rows that cannot:

    * the annulus ``|rho_x - dq| <= tau`` (triangle inequality; rows are
      sorted by their distance rho to the centre, two binary searches);
    * the projection bound: with the orthonormal rows of ``axes`` (A, m x d)
      and P = A^T A, every x of cell c satisfies
      ``||q - x||^2 >= ||A (q - x)||^2 + (||(I - P)(q - c)|| - ||(I - P)(x - c)||)^2``
      (Pythagoras, then the triangle inequality in the complement of P).
      ``phi`` holds, per row, ``(A (x - mean), ||(I - P)(x - c)||)`` in
      float32; the query's ``(A (q - mean), ||(I - P)(q - c)||)`` is
      ``y`` plus ``sqrt(dq^2 - ||y - A (c - mean)||^2)`` (``cproj`` holds
      ``A (c - mean)``), so the bound is a squared distance of m + 1
      components, computed in float32 over the annulus in one vectorized
      block. Only rows whose bound is ``<= (tau (1 + 1e-9) + slack)^2 (1 + gamma)``
      (plus ``_TINY``) are measured, where ``slack = kappa (dq + 2 r_c +
      ||q - mean|| + ||c - mean||)`` bounds the float64 rounding (cancellation in the
      residual norm) and the float32 rounding of the stored components, and
      ``gamma`` the float32 rounding of the sum. ``use_phi=False`` (huge
      values) measures the whole annulus.

    Query u is row u of the 2-d buffers ``Qf`` (float64 query), ``Y``
    (float64 components, last one per cell), ``Ylow`` (the same in phi's
    dtype), ``hd``/``hi`` (heap); ``counts[u]`` accumulates the rows
    measured exactly. Survivors of the filter are looked for 16 rows at a
    time (a vectorized count first: most chunks have none). ``kappa`` and
    ``gamma`` are the tree's.
    """
    data, index, rho, phi, phi_ptr = tree.data, tree.index, tree.rho, tree.phi, tree.phi_ptr
    cproj, cshift, cell_ptr, radius = tree.cproj, tree.cshift, tree.cell_ptr, tree.radius
    kappa, gamma = tree.kappa, tree.gamma
    lo = cell_ptr[c]
    hi_row = cell_ptr[c + 1]
    m = Y.shape[1] - 1
    base = phi_ptr[c]
    stride = (phi_ptr[c + 1] - base) // (m + 1)
    if use_phi:
        zz = 0.0
        for kk in range(m):
            t = Y[u, kk] - cproj[c, kk]
            zz += t * t
        Ylow[u, m] = np.sqrt(max(dq * dq - zz, 0.0))
    # the arguments are not reassigned: numba's inliner then returned None
    sz = size
    start = lo
    # rows with acc <= skip were measured while filling the heap
    skip = acc.dtype.type(-np.inf)
    have_acc = False
    if sz < k:
        if use_phi and hi_row - lo > k - sz:
            # fill the heap with the k - sz rows of smallest bound (and their ties): a tight tau at once
            _block_sqdist(phi, base, stride, 0, stride, Ylow, u, acc)
            have_acc = True
            skip = np.partition(acc[:hi_row - lo], k - sz - 1)[k - sz - 1]
            for p in range(lo, hi_row):
                if acc[p - lo] <= skip:
                    d2 = _row_sqdist(data, p, Qf, u)
                    counts[u] += 1
                    sz = _heap_offer(hd, hi, u, sz, k, d2, index[p])
        else:
            sz, start = _fill_heap(data, index, lo, hi_row, Qf, u, hd, hi, sz, k, counts)
            if start >= hi_row:
                return sz
    slack = kappa * (dq + 2.0 * radius[c] + qshift + cshift[c])
    reach = np.sqrt(hd[u, 0]) * (1.0 + _REL_SLACK) + slack
    a, b = _annulus(rho, start, hi_row, dq - reach, dq + reach)
    if b <= a:
        return sz
    # acc[i] belongs to row shift + i
    shift = lo
    limit = acc.dtype.type(np.inf)
    if use_phi:
        if not have_acc:
            first = ((a - lo) // PHI_ALIGN) * PHI_ALIGN
            last = ((b - lo + PHI_ALIGN - 1) // PHI_ALIGN) * PHI_ALIGN
            _block_sqdist(phi, base, stride, first, last - first, Ylow, u, acc)
            shift = lo + first
        # the limit in phi's dtype, rounded up (a float32 rounding may lose one unit)
        limit = acc.dtype.type((reach * reach * (1.0 + gamma) + _TINY) * (1.0 + 2.0 ** -20))
    i0 = a - shift
    n = b - shift
    while i0 < n:
        i1 = min(n, i0 + PHI_ALIGN)
        hits = PHI_ALIGN
        if use_phi:
            hits = 0
            for i in range(np.uint64(i1 - i0)):
                hits += acc[np.uint64(i0) + i] <= limit
        if hits > 0:
            for i in range(i0, i1):
                if not use_phi or (skip < acc[i] and acc[i] <= limit):
                    p = shift + i
                    d2 = _row_sqdist(data, p, Qf, u)
                    counts[u] += 1
                    idx = index[p]
                    if d2 < hd[u, 0] or (d2 == hd[u, 0] and idx < hi[u, 0]):
                        sz = _heap_offer(hd, hi, u, sz, k, d2, idx)
                        if use_phi:
                            reach = np.sqrt(hd[u, 0]) * (1.0 + _REL_SLACK) + slack
                            limit = acc.dtype.type((reach * reach * (1.0 + gamma) + _TINY) * (1.0 + 2.0 ** -20))
        i0 = i1
    return sz


@njit(cache=True, nogil=True)
def _scan_cell_call(tree, c, Qf, Y, Ylow, u, qshift, dq, hd, hi, size, k, acc, use_phi, counts):
    """``_scan_cell`` as a plain call, for call sites outside the hot loops (fewer inlined copies to compile)."""
    return _scan_cell(tree, c, Qf, Y, Ylow, u, qshift, dq, hd, hi, size, k, acc, use_phi, counts)


@njit(cache=True, nogil=True)
def _center_distances(centers_t, Qm, u, dc, v):
    """``dc[v, c] = ||Qm[u] - c||`` for every centre (float64, direct); returns the nearest (lowest index on ties)."""
    n = dc.shape[1]
    d = Qm.shape[1]
    for c in range(n):
        dc[v, c] = 0.0
    for j in range(d):
        qj = Qm[u, j]
        off = np.uint64(j * n)
        for c in range(np.uint64(n)):
            t = centers_t[off + c] - qj
            dc[v, c] += t * t
    best = 0
    for c in range(n):
        dc[v, c] = np.sqrt(dc[v, c])
        if dc[v, c] < dc[v, best]:
            best = c
    return best


@njit(cache=True, nogil=True)
def _bisector_scale(centers_t, centers, c0, out, v):
    """``out[v, c] = 1 / (2 ||c - c0||)`` for every centre (0 where the centres coincide)."""
    _center_distances(centers_t, centers, c0, out, v)
    for c in range(out.shape[1]):
        out[v, c] = 0.5 / out[v, c] if out[v, c] > 0.0 else 0.0


@njit(cache=True, nogil=True, inline="always")
def _cell_bound(dq, d0, rc, scale):
    """A lower bound of ||q - x|| over the members x of a cell.

    The larger of the ball bound ``dq - r_c`` and, because every member is
    at least as close to its own centre c as to the query's nearest centre
    c0, the bisector bound ``(||q - c||^2 - ||q - c0||^2) / (2 ||c - c0||)``
    (``scale = 1 / (2 ||c - c0||)``, 0 when undefined: the bound is then
    0, still valid), each lowered by a rounding slack.
    """
    ball = dq - rc - _REL_SLACK * (dq + rc)
    bis = ((dq * dq - d0 * d0) - 2.0 * _REL_SLACK * (dq * dq + d0 * d0 + rc * rc)) * scale
    return max(ball, bis)


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
    """The largest cell size, rounded up to a multiple of PHI_ALIGN (length of the filter buffers)."""
    m = 1
    for c in range(cell_ptr.shape[0] - 1):
        m = max(m, cell_ptr[c + 1] - cell_ptr[c])
    return ((m + PHI_ALIGN - 1) // PHI_ALIGN) * PHI_ALIGN


@njit(cache=True, nogil=True, parallel=True)
def nearest_cell(centers_t, Q, out):
    """``out[t]`` = the centre nearest to query t (direct float64 distances, lowest index on ties)."""
    n_q = Q.shape[0]
    d = Q.shape[1]
    n_cells = centers_t.shape[0] // d
    n_blocks = (n_q + QUERY_BLOCK - 1) // QUERY_BLOCK
    for blk in prange(n_blocks):
        Qf = np.empty((1, d))
        dc = np.empty((1, n_cells))
        for t in range(blk * QUERY_BLOCK, min(n_q, (blk + 1) * QUERY_BLOCK)):
            for j in range(d):
                Qf[0, j] = Q[t, j]
            out[t] = _center_distances(centers_t, Qf, 0, dc, 0)


@njit(cache=True, nogil=True, parallel=True)
def knn_exact(tree, Q, k, order, block_ptr, out_dist, out_ind, n_cells_visited, n_distances):
    """Exactly the k nearest indexed rows of every query (ties by index).

    Queries are handled in blocks: ``order[block_ptr[b]:block_ptr[b + 1]]``
    are the queries of block b (the caller sorts them by their nearest
    centre, so a block's queries are close to each other and visit mostly
    the same cells). Every query scans its nearest cell c0, then needs
    every cell c whose lower bound (``_cell_bound``) is not above its
    current k-th distance tau. The block visits the union of these cells in
    increasing order of their smallest bound, and each cell is scanned
    (``_scan_cell``) for every query of the block that still needs it, so
    the cell's rows are loaded once per block. tau only shrinks, so a cell
    skipped because its bound exceeds tau could not hold a neighbour: the
    result equals brute force ordered by (distance, index).

    ``tree`` is a :data:`SearchTree`; its ``phi_ok`` enables the
    projection filter (False for huge values). Per query,
    ``n_cells_visited`` and ``n_distances`` receive the cells scanned and
    the rows measured exactly. Parallel over blocks.
    """
    mean, axes, centers, centers_t = tree.mean, tree.axes, tree.centers, tree.centers_t
    radius, cell_ptr, phi, phi_ok = tree.radius, tree.cell_ptr, tree.phi, tree.phi_ok
    n_cells = centers.shape[0]
    d = Q.shape[1]
    m = axes.shape[0]
    max_cell = _max_cell(cell_ptr)
    n_blocks = block_ptr.shape[0] - 1
    B = 1
    for blk in range(n_blocks):
        B = max(B, block_ptr[blk + 1] - block_ptr[blk])
    for blk in prange(n_blocks):
        first = block_ptr[blk]
        nb = block_ptr[blk + 1] - first
        dc = np.empty((B, n_cells))
        lb = np.empty((B, n_cells))
        scale = np.empty((B, n_cells))
        ref = np.empty(B, dtype=np.int64)
        near = np.empty(B, dtype=np.int64)
        key = np.empty(n_cells)
        cand = np.empty(n_cells, dtype=np.int64)
        Qf = np.empty((B, d))
        Y = np.empty((B, m + 1))
        Ylow = np.empty((B, m + 1), dtype=phi.dtype)
        qshift = np.empty(B)
        use = np.empty(B, dtype=np.bool_)
        hd = np.empty((B, k))
        hi = np.empty((B, k), dtype=np.int64)
        sizes = np.zeros(B, dtype=np.int64)
        taus = np.empty(B)
        counts = np.zeros(B, dtype=np.int64)
        visits = np.ones(B, dtype=np.int64)
        acc = np.empty(max_cell, dtype=phi.dtype)
        n_ref = 0
        for u in range(nb):
            qshift[u] = _query_phi(Q, order[first + u], mean, axes, Qf, Y, Ylow, u)
            use[u] = phi_ok and qshift[u] < PHI_MAX
            c0 = _center_distances(centers_t, Qf, u, dc, u)
            near[u] = c0
            r = 0
            while r < n_ref and ref[r] != c0:
                r += 1
            if r == n_ref:
                ref[r] = c0
                _bisector_scale(centers_t, centers, c0, scale, r)
                n_ref += 1
            sizes[u] = _scan_cell_call(tree, c0, Qf, Y, Ylow, u, qshift[u], dc[u, c0], hd, hi, 0, k, acc, use[u],
                                       counts)
            taus[u] = np.sqrt(hd[u, 0]) if sizes[u] == k else np.inf
            d0 = dc[u, c0]
            for c in range(n_cells):
                lb[u, c] = _cell_bound(dc[u, c], d0, radius[c], scale[r, c])
        n_cand = 0
        for c in range(n_cells):
            if cell_ptr[c + 1] == cell_ptr[c]:
                continue
            low = np.inf
            need = False
            for u in range(nb):
                if c != near[u]:
                    low = min(low, lb[u, c])
                    need = need or lb[u, c] <= taus[u]
            if need:
                key[n_cand] = low
                cand[n_cand] = c
                n_cand += 1
        perm = np.argsort(key[:n_cand])
        for s in range(n_cand):
            c = cand[perm[s]]
            for u in range(nb):
                if c != near[u] and lb[u, c] <= taus[u]:
                    sizes[u] = _scan_cell(tree, c, Qf, Y, Ylow, u, qshift[u], dc[u, c], hd, hi, sizes[u], k, acc,
                                          use[u], counts)
                    visits[u] += 1
                    if sizes[u] == k:
                        taus[u] = np.sqrt(hd[u, 0])
        for u in range(nb):
            t = order[first + u]
            _heap_sorted(hd, hi, u, sizes[u], out_dist, out_ind, t)
            n_cells_visited[t] = visits[u]
            n_distances[t] = counts[u]


@njit(cache=True, nogil=True, parallel=True)
def knn_probe(tree, Q, k, n_probe, order, out_dist, out_ind, n_cells_visited, n_distances):
    """The k nearest rows among the ``n_probe`` cells with the nearest centres.

    Further cells are scanned by centre distance only while fewer than k
    rows were seen. Rows are filtered as in ``_scan_cell``, so the result
    is exactly the best k of the scanned cells, ordered by (distance,
    index). Queries are taken in the order ``order`` (the caller sorts them
    by their nearest centre, so consecutive queries reuse the cells in
    cache). Per query, ``n_cells_visited`` and ``n_distances`` receive the
    cells scanned and the rows measured exactly. Parallel over blocks of
    queries.
    """
    n_q = Q.shape[0]
    mean, axes, centers, centers_t = tree.mean, tree.axes, tree.centers, tree.centers_t
    cell_ptr, phi, phi_ok = tree.cell_ptr, tree.phi, tree.phi_ok
    n_cells = centers.shape[0]
    d = Q.shape[1]
    m = axes.shape[0]
    max_cell = _max_cell(cell_ptr)
    n_blocks = (n_q + QUERY_BLOCK - 1) // QUERY_BLOCK
    for blk in prange(n_blocks):
        dc = np.empty((1, n_cells))
        cand = np.empty(n_cells, dtype=np.int64)
        by_dist = np.empty(n_cells, dtype=np.int64)
        hd = np.empty((1, k))
        hi = np.empty((1, k), dtype=np.int64)
        Qf = np.empty((1, d))
        Y = np.empty((1, m + 1))
        Ylow = np.empty((1, m + 1), dtype=phi.dtype)
        acc = np.empty(max_cell, dtype=phi.dtype)
        counts = np.zeros(1, dtype=np.int64)
        for s in range(blk * QUERY_BLOCK, min(n_q, (blk + 1) * QUERY_BLOCK)):
            t = order[s]
            qshift = _query_phi(Q, t, mean, axes, Qf, Y, Ylow, 0)
            use = phi_ok and qshift < PHI_MAX
            _center_distances(centers_t, Qf, 0, dc, 0)
            counts[0] = 0
            size = 0
            n_sel = _probe_order(dc[0], n_probe, cand)
            visited = 0
            while visited < n_cells:
                if visited < n_sel:
                    c = cand[visited]
                elif size < k:
                    if visited == n_sel:
                        # fewer than k rows in the probed cells: go on by centre distance
                        by_dist[:] = np.argsort(dc[0], kind="mergesort")
                    c = by_dist[visited]
                else:
                    break
                size = _scan_cell(tree, c, Qf, Y, Ylow, 0, qshift, dc[0, c], hd, hi, size, k, acc, use, counts)
                visited += 1
            _heap_sorted(hd, hi, 0, size, out_dist, out_ind, t)
            n_cells_visited[t] = visited
            n_distances[t] = counts[0]


@njit(cache=True, nogil=True, inline="always")
def _radius_cell(tree, c, Qf, Y, Ylow, qshift, dq, r, acc, use_phi, fill, out_dist, out_ind, w):
    """Rows of cell c within distance r of query ``Qf[0]`` (filtered as in ``_scan_cell``); returns the new count w.

    With ``fill``, row w of ``out_*`` receives each hit (distance, index).
    """
    data, index, rho, phi, phi_ptr = tree.data, tree.index, tree.rho, tree.phi, tree.phi_ptr
    cproj, cshift, cell_ptr, radius = tree.cproj, tree.cshift, tree.cell_ptr, tree.radius
    kappa, gamma = tree.kappa, tree.gamma
    lo = cell_ptr[c]
    hi = cell_ptr[c + 1]
    if hi == lo:
        return w
    reach = r * (1.0 + _REL_SLACK) + kappa * (dq + 2.0 * radius[c] + qshift + cshift[c])
    a, b = _annulus(rho, lo, hi, dq - reach, dq + reach)
    if b <= a:
        return w
    limit = reach * reach * (1.0 + gamma) + _TINY
    if use_phi:
        m = Y.shape[1] - 1
        zz = 0.0
        for kk in range(m):
            t = Y[0, kk] - cproj[c, kk]
            zz += t * t
        Ylow[0, m] = np.sqrt(max(dq * dq - zz, 0.0))
        base = phi_ptr[c]
        first = ((a - lo) // PHI_ALIGN) * PHI_ALIGN
        last = ((b - lo + PHI_ALIGN - 1) // PHI_ALIGN) * PHI_ALIGN
        _block_sqdist(phi, base, (phi_ptr[c + 1] - base) // (m + 1), first, last - first, Ylow, 0, acc)
    shift = lo + first if use_phi else 0
    for p in range(a, b):
        if use_phi and acc[p - shift] > limit:
            continue
        dist = np.sqrt(_row_sqdist(data, p, Qf, 0))
        if dist <= r:
            if fill:
                out_dist[w] = dist
                out_ind[w] = index[p]
            w += 1
    return w


@njit(cache=True, nogil=True, parallel=True)
def radius_scan(tree, Q, r, n_probe, exact, fill, offsets, out_dist, out_ind):
    """Indexed rows within distance r of each query, in two passes.

    ``fill=False``: ``offsets[t + 1]`` receives the number of rows of the
    scanned cells within distance r of query t (the caller turns the counts
    into offsets with a cumulative sum). ``fill=True``: query t writes its
    rows to ``out_*[offsets[t]:offsets[t + 1]]``, sorted by (distance,
    index). Both passes scan the same cells (exact: the nearest cell and
    every cell whose ``_cell_bound`` is <= r; else the n_probe nearest)
    and filter rows as in ``_scan_cell`` with r in place of tau.
    """
    n_q = Q.shape[0]
    mean, axes, centers, centers_t = tree.mean, tree.axes, tree.centers, tree.centers_t
    radius, cell_ptr, phi, phi_ok = tree.radius, tree.cell_ptr, tree.phi, tree.phi_ok
    n_cells = centers.shape[0]
    d = Q.shape[1]
    m = axes.shape[0]
    max_cell = _max_cell(cell_ptr)
    n_blocks = (n_q + QUERY_BLOCK - 1) // QUERY_BLOCK
    for blk in prange(n_blocks):
        dc = np.empty((1, n_cells))
        scale = np.empty((1, n_cells))
        cand = np.empty(n_cells, dtype=np.int64)
        Qf = np.empty((1, d))
        Y = np.empty((1, m + 1))
        Ylow = np.empty((1, m + 1), dtype=phi.dtype)
        acc = np.empty(max_cell, dtype=phi.dtype)
        for t in range(blk * QUERY_BLOCK, min(n_q, (blk + 1) * QUERY_BLOCK)):
            qshift = _query_phi(Q, t, mean, axes, Qf, Y, Ylow, 0)
            use = phi_ok and qshift < PHI_MAX
            c0 = _center_distances(centers_t, Qf, 0, dc, 0)
            if exact:
                _bisector_scale(centers_t, centers, c0, scale, 0)
                n_cand = 0
                for c in range(n_cells):
                    if c == c0 or _cell_bound(dc[0, c], dc[0, c0], radius[c], scale[0, c]) <= r:
                        cand[n_cand] = c
                        n_cand += 1
            else:
                n_cand = _probe_order(dc[0], n_probe, cand)
            w = offsets[t] if fill else 0
            for s in range(n_cand):
                c = cand[s]
                w = _radius_cell(tree, c, Qf, Y, Ylow, qshift, dc[0, c], r, acc, use, fill, out_dist, out_ind, w)
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
