"""Numba kernels that build the Voronoi partition: split the tree, assign rows to cells.

NumPy twins of every kernel are in ``_reference``; the tests compare them.
The search kernels (and the layout of the search index) are in
``_search_kernels``. Every kernel here calls only helpers of this module:
numba's on-disk cache does not notice edits to functions of another file.

Conventions (checked at the Python boundary, never here):

* ``X`` is a C-contiguous float32 or float64 array of shape (n, d);
  ``order`` holds int64 row numbers into it.
* Work on tree nodes is cut into *items*: rows ``order[lo:hi]`` of one
  segment (node) ``seg``; ``items`` has shape (n_items, 3) with columns
  (seg, lo, hi). Partial results are written per item and reduced per
  segment by the caller in a fixed order, so results do not depend on the
  number of threads.
* Distances between points are computed directly as
  :math:`\\sum_j (x_j - q_j)^2` in float64 (never through the
  :math:`\\|x\\|^2 - 2 x \\cdot q + \\|q\\|^2` expansion); GEMM only
  *shortlists* candidate centres, within rigorous rounding margins (see
  ``nearest_center_refine``).
"""

import numpy as np
from numba import njit, prange

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


# ------------------------------------------------------- search layout

@njit(cache=True, nogil=True, parallel=True)
def cell_phi(data, cell_ptr, centers, mean, axes, phi_ptr, phi):
    """Projection vectors of the indexed rows, column-major per cell.

    For row x of cell c (rows ``cell_ptr[c]:cell_ptr[c + 1]`` of data) and
    the orthonormal rows A of ``axes`` (m x d): component j < m is
    ``A_j . (x - mean)``, component m is ``||(x - c) - A^T A (x - c)||``
    (the residual of x - c off the span of A, computed directly, without
    cancellation), all in float64 and stored in ``phi``'s dtype at
    ``phi_ptr[c] + j * s_c + i`` for row i of the cell, where
    ``s_c = (phi_ptr[c + 1] - phi_ptr[c]) / (m + 1)`` is the cell size
    padded to a multiple of ``_search_kernels.PHI_ALIGN`` (padding entries are left as
    they are).
    """
    n_cells = cell_ptr.shape[0] - 1
    d = data.shape[1]
    m = axes.shape[0]
    for c in prange(n_cells):
        lo = cell_ptr[c]
        n_c = cell_ptr[c + 1] - lo
        base = phi_ptr[c]
        stride = (phi_ptr[c + 1] - base) // (m + 1)
        w = np.empty(d)
        for i in range(n_c):
            p = lo + i
            for j in range(d):
                w[j] = np.float64(data[p, j]) - centers[c, j]
            for kk in range(m):
                proj = 0.0
                coef = 0.0
                for j in range(d):
                    proj += axes[kk, j] * (np.float64(data[p, j]) - mean[j])
                    coef += axes[kk, j] * w[j]
                phi[base + kk * stride + i] = proj
                for j in range(d):
                    w[j] -= coef * axes[kk, j]
            r2 = 0.0
            for j in range(d):
                r2 += w[j] * w[j]
            phi[base + m * stride + i] = np.sqrt(r2)
