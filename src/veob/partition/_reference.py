"""Slow, obviously correct NumPy twins of the partition kernels (for tests).

Each ``*_reference`` function computes what the kernel of the same name in
``_build_kernels`` and ``_search_kernels`` compute, the plain way: explicit distance matrices, sorting
by (distance, index), Python loops over rows.
"""

import numpy as np


def _sqdist_matrix(A, B):
    """Exact squared distances (float64) between the rows of A and B."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)


def segment_sums_reference(X, order, items):
    return np.array([X[order[lo:hi]].astype(np.float64).sum(axis=0) for _, lo, hi in items])


def segment_power_step_reference(X, order, items, means, vecs):
    out = []
    for s, lo, hi in items:
        Xc = X[order[lo:hi]].astype(np.float64) - means[s]
        out.append(Xc.T @ (Xc @ vecs[s]))
    return np.array(out)


def segment_sides_reference(X, order, items, means, axes, n):
    side = np.zeros(n, dtype=np.uint8)
    for s, lo, hi in items:
        proj = (X[order[lo:hi]].astype(np.float64) - means[s]) @ axes[s]
        side[lo:hi] = proj > 0
    return side


def segment_partition_reference(order, starts, ends, side):
    order = order.copy()
    n_left = []
    for lo, hi in zip(starts, ends):
        seg = order[lo:hi]
        s = side[lo:hi]
        order[lo:hi] = np.concatenate([seg[s == 0], seg[s == 1]])
        n_left.append(int((s == 0).sum()))
    return order, np.array(n_left, dtype=np.int64)


def tree_descend_reference(X, node_means, node_axes, children):
    out = np.empty(X.shape[0], dtype=np.int64)
    for i, x in enumerate(np.asarray(X, dtype=np.float64)):
        node = 0
        while children[node, 0] >= 0:
            node = children[node, 1] if (x - node_means[node]) @ node_axes[node] > 0 else children[node, 0]
        out[i] = node
    return out


def nearest_center_reference(X, centers):
    """Nearest centre (lowest index on ties) and squared distance, from the full matrix."""
    D = _sqdist_matrix(X, centers)
    labels = D.argmin(axis=1)
    return labels, D[np.arange(len(X)), labels]


def member_sqdist_reference(X, centers, labels):
    diff = np.asarray(X, dtype=np.float64) - np.asarray(centers, dtype=np.float64)[labels]
    return (diff ** 2).sum(axis=1)


def center_adjacency_reference(centers, radius):
    """The paper's test, pair by pair, with the midpoint built explicitly."""
    C = np.asarray(centers, dtype=np.float64)
    n = C.shape[0]
    adjacency = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(i + 1, n):
            m = (C[i] + C[j]) / 2
            dist = np.sqrt(((C - m) ** 2).sum(axis=1))
            h = max(dist[i], dist[j])
            others = np.delete(dist, [i, j])
            two_nearest = bool(np.all(others > h))
            within = h <= radius[i] and h <= radius[j]
            adjacency[i, j] = adjacency[j, i] = two_nearest and within
    return adjacency


def brute_kneighbors_reference(X, Q, k):
    """Brute force: the k smallest exact distances, ordered by (distance, index)."""
    D = _sqdist_matrix(Q, X)
    idx = np.arange(X.shape[0])
    ind = np.array([np.lexsort((idx, row))[:k] for row in D])
    dist = np.sqrt(np.take_along_axis(D, ind, axis=1))
    return dist, ind


def probe_cells_reference(centers, cell_sizes, q, n_probe, k):
    """Cells scanned for query q: the n_probe nearest, then more until k samples."""
    dc = _sqdist_matrix(q[None], centers)[0]
    order = np.lexsort((np.arange(len(dc)), dc))
    cells = list(order[:n_probe])
    total = int(np.sum(cell_sizes[cells]))
    for c in order[n_probe:]:
        if total >= k:
            break
        cells.append(c)
        total += int(cell_sizes[c])
    return cells


def probe_kneighbors_reference(X, labels, centers, Q, k, n_probe):
    """Brute force restricted to the members of the probed cells."""
    sizes = np.bincount(labels, minlength=len(centers))
    dist = np.empty((len(Q), k))
    ind = np.empty((len(Q), k), dtype=np.int64)
    for t, q in enumerate(np.asarray(Q, dtype=np.float64)):
        cells = probe_cells_reference(centers, sizes, q, n_probe, k)
        members = np.flatnonzero(np.isin(labels, cells))
        d, i = brute_kneighbors_reference(X[members], q[None], k)
        dist[t], ind[t] = d[0], members[i[0]]
    return dist, ind


def radius_neighbors_reference(X, Q, radius, members=None):
    """Rows within ``radius`` of each query, ordered by (distance, index).

    ``members`` (optional, one index array per query) restricts the search.
    """
    D = _sqdist_matrix(Q, X)
    out_d, out_i = [], []
    for t, row in enumerate(D):
        cand = np.arange(X.shape[0]) if members is None else np.asarray(members[t])
        dist = np.sqrt(row[cand])
        keep = dist <= radius
        cand, dist = cand[keep], dist[keep]
        order = np.lexsort((cand, dist))
        out_d.append(dist[order])
        out_i.append(cand[order])
    return out_d, out_i


def build_tree_reference(X, max_level, min_samples):
    """Recursive bisection with the exact top eigenvector (``numpy.linalg.eigh``).

    Returns the leaves as a list of row-index arrays, left to right. Agrees
    with ``build_tree`` whenever the power iterations converge to the same
    axis (a clear eigengap at every node).
    """
    X = np.asarray(X, dtype=np.float64)
    leaves = []

    def split(rows, level):
        if level == max_level or rows.size <= max(min_samples, 1):
            leaves.append(rows)
            return
        mu = X[rows].mean(axis=0)
        Xc = X[rows] - mu
        w, V = np.linalg.eigh(Xc.T @ Xc)
        if w[-1] <= 0:
            leaves.append(rows)
            return
        axis = V[:, -1]
        axis = axis * np.sign(axis[np.abs(axis).argmax()])
        right = Xc @ axis > 0
        if right.all() or not right.any():
            leaves.append(rows)
            return
        split(rows[~right], level + 1)
        split(rows[right], level + 1)

    split(np.arange(X.shape[0]), 0)
    return leaves


def cell_phi_reference(data, cell_ptr, centers, mean, axes):
    """Projection vector of every row, one row each: (A (x - mean), ||(I - A^T A)(x - c)||).

    c is the centre of the row's cell (rows ``cell_ptr[c]:cell_ptr[c + 1]``).
    """
    X = np.asarray(data, dtype=np.float64)
    A = np.asarray(axes, dtype=np.float64)
    out = np.empty((X.shape[0], A.shape[0] + 1))
    for c in range(len(cell_ptr) - 1):
        rows = X[cell_ptr[c]:cell_ptr[c + 1]]
        W = rows - centers[c]
        out[cell_ptr[c]:cell_ptr[c + 1], :-1] = (rows - mean) @ A.T
        out[cell_ptr[c]:cell_ptr[c + 1], -1] = np.linalg.norm(W - (W @ A.T) @ A, axis=1)
    return out


def nearest_cell_reference(centers, Q):
    """Nearest centre of each query (lowest index on ties), from the full distance matrix."""
    D = _sqdist_matrix(Q, centers)
    return D.argmin(axis=1)
