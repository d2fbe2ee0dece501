r"""VoronoiPartition: recursive principal-axis bisection into Voronoi cells.

The tree is grown level by level: all nodes of a level are *segments* of one
permutation ``order`` of the rows, and each kernel call handles every segment
of the level at once (parallel over fixed-size row blocks), so the Python
overhead is a few calls per level, not per node. The frozen tree is a set of
flat arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._threads import jobs_for_work, thread_limits
from .._validation import check_int, check_n_jobs, check_random_state
from . import _build_kernels

if TYPE_CHECKING:
    from .._typing import ArrayLike, RandomStateLike

__all__ = ["VoronoiPartition"]

# rows per parallel work item
ITEM_ROWS = 4096
# warm start: power iterations on a seeded subsample of size // SUBSAMPLE_FRACTION
# members (clipped to [SUBSAMPLE_MIN, SUBSAMPLE_MAX]), for nodes of more than
# SUBSAMPLE_FRACTION * SUBSAMPLE_MIN members
SUBSAMPLE_FRACTION = 8
SUBSAMPLE_MIN = 256
SUBSAMPLE_MAX = 1024
SUBSAMPLE_ITER = 12
# power iterations on all members: after a warm start / from a random start
FULL_ITER_WARM = 2
FULL_ITER_COLD = 4
# stop iterating a node once its axis moves less than this (2-norm)
AXIS_TOL = 1e-3


def make_items(starts, ends, block=ITEM_ROWS):
    """Cut segments [starts[s], ends[s]) into work items (seg, lo, hi).

    Returns ``items`` (n_items, 3) and ``first`` (n_segments,), the index of
    each segment's first item (for ``np.add.reduceat``). Every segment must
    be non-empty.
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    counts = (ends - starts + block - 1) // block
    seg = np.repeat(np.arange(starts.shape[0], dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    within = np.arange(seg.shape[0], dtype=np.int64) - first[seg]
    lo = starts[seg] + within * block
    hi = np.minimum(lo + block, ends[seg])
    return np.ascontiguousarray(np.stack([seg, lo, hi], axis=1)), first


def segment_means(X, order, starts, ends):
    """Float64 mean of rows X[order[start:end]] of every segment."""
    items, first = make_items(starts, ends)
    partial = np.empty((items.shape[0], X.shape[1]), dtype=np.float64)
    _build_kernels.segment_sums(X, order, items, partial)
    sums = np.add.reduceat(partial, first, axis=0)
    return sums / (np.asarray(ends) - np.asarray(starts))[:, None]


def power_iterate(X, order, starts, ends, means, V, n_iter, tol=AXIS_TOL):
    """Power iterations of every segment's centred covariance, in place on V.

    Returns the per-segment Rayleigh estimate ``||C v||`` of the last step
    (0 for a segment without variance, whose row of V is then zeroed).
    """
    S = V.shape[0]
    active = np.arange(S)
    lam = np.zeros(S)
    for _ in range(n_iter):
        items, first = make_items(starts[active], ends[active])
        partial = np.empty((items.shape[0], X.shape[1]), dtype=np.float64)
        _build_kernels.segment_power_step(X, order, items, np.ascontiguousarray(means[active]),
                                    np.ascontiguousarray(V[active]), partial)
        W = np.add.reduceat(partial, first, axis=0)
        norms = np.linalg.norm(W, axis=1)
        lam[active] = norms
        dead = norms <= 0.0
        W[dead] = 0.0
        W[~dead] /= norms[~dead, None]
        moved = np.linalg.norm(W - V[active], axis=1)
        V[active] = W
        active = active[(moved > tol) & ~dead]
        if active.size == 0:
            break
    return lam


def top_axes(X, order, starts, ends, means, rng):
    """Approximate top principal axis of every segment (seeded).

    A seeded Gaussian start vector; segments of more than
    ``SUBSAMPLE_FRACTION * SUBSAMPLE_MIN`` members first run up to
    ``SUBSAMPLE_ITER`` power iterations on a seeded uniform subsample of
    1/8 of their members (256 to 1024), then every segment runs power iterations on all its members
    (``FULL_ITER_WARM`` after a warm start, else up to ``FULL_ITER_COLD``),
    each stopping early once the axis moves less than ``AXIS_TOL``. Signs
    are fixed so that the largest-magnitude entry is positive. Returns
    ``(axes, lam)``; ``lam[s] == 0`` marks a segment without variance.
    """
    S, d = means.shape
    V = rng.standard_normal((S, d))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    sizes = ends - starts
    big = np.flatnonzero(sizes > SUBSAMPLE_FRACTION * SUBSAMPLE_MIN)
    if big.size:
        m = np.clip(sizes[big] // SUBSAMPLE_FRACTION, SUBSAMPLE_MIN, SUBSAMPLE_MAX)
        picks = [order[starts[s] + np.sort(rng.choice(sizes[s], m_s, replace=False))] for s, m_s in zip(big, m)]
        sub_order = np.concatenate(picks)
        sub_ends = np.cumsum(m)
        Vb = V[big]
        power_iterate(X, sub_order, sub_ends - m, sub_ends, means[big], Vb, SUBSAMPLE_ITER)
        V[big] = Vb
    lam = np.zeros(S)
    warm = np.zeros(S, dtype=bool)
    warm[big] = True
    for mask, n_iter in ((warm, FULL_ITER_WARM), (~warm, FULL_ITER_COLD)):
        sel = np.flatnonzero(mask)
        if sel.size:
            Vs = V[sel]
            lam[sel] = power_iterate(X, order, starts[sel], ends[sel], means[sel], Vs, n_iter)
            V[sel] = Vs
    lam[~np.isfinite(lam)] = 0.0
    V[lam <= 0.0] = 0.0
    # sign convention: the largest-magnitude entry is positive
    pivot = np.abs(V).argmax(axis=1)
    signs = np.sign(V[np.arange(S), pivot])
    signs[signs == 0] = 1.0
    V *= signs[:, None]
    return V, lam


class FlatTree:
    """The frozen tree: plain arrays, searched iteratively, pickled as is."""

    def __init__(self, order, node_means, node_axes, children, levels, starts, ends):
        self.order = order
        self.node_means = node_means
        self.node_axes = node_axes
        self.children = children
        self.levels = levels
        self.starts = starts
        self.ends = ends

    @property
    def leaves(self):
        """Leaf node ids in left-to-right order (by their rows in ``order``)."""
        leaves = np.flatnonzero(self.children[:, 0] < 0)
        return leaves[np.argsort(self.starts[leaves], kind="stable")]


def build_tree(X, max_level, min_samples, rng):
    """Recursive principal-axis bisection of the rows of X, level by level.

    A node is split when its level is below ``max_level``, it has more than
    ``min_samples`` members, its members have non-zero variance and both
    sides of the hyperplane through its centroid (normal: top principal
    axis) are non-empty. A member goes right when its projection is > 0.
    """
    n, d = X.shape
    # Xw holds the rows in the current order, so every node is a contiguous
    # block (kernels stream memory instead of gathering scattered rows);
    # order[p] is the original row number of working row p
    Xw = X
    spare = None
    ident = np.arange(n, dtype=np.int64)
    order = ident.copy()
    side = np.zeros(n, dtype=np.uint8)
    node_means, node_axes, children, levels, starts_all, ends_all = [], [], [], [], [], []
    seg_starts = np.array([0], dtype=np.int64)
    seg_ends = np.array([n], dtype=np.int64)
    n_nodes = 1
    for level in range(max_level + 1):
        S = seg_starts.shape[0]
        sizes = seg_ends - seg_starts
        means = segment_means(Xw, ident, seg_starts, seg_ends)
        axes = np.zeros((S, d))
        kids = np.full((S, 2), -1, dtype=np.int64)
        node_means.append(means)
        node_axes.append(axes)
        children.append(kids)
        levels.append(np.full(S, level, dtype=np.int64))
        starts_all.append(seg_starts)
        ends_all.append(seg_ends)
        if level == max_level:
            break
        cand = np.flatnonzero(sizes > max(min_samples, 1))
        if cand.size == 0:
            break
        A, lam = top_axes(Xw, ident, seg_starts[cand], seg_ends[cand], means[cand], rng)
        valid = lam > 0.0
        cand, A = cand[valid], A[valid]
        if cand.size == 0:
            break
        items, _ = make_items(seg_starts[cand], seg_ends[cand])
        _build_kernels.segment_sides(Xw, ident, items, np.ascontiguousarray(means[cand]), np.ascontiguousarray(A), side)
        local = ident.copy()
        n_left = np.empty(cand.size, dtype=np.int64)
        _build_kernels.segment_partition(local, seg_starts[cand], seg_ends[cand], side, n_left)
        ok = (n_left > 0) & (n_left < sizes[cand])
        split, n_left, A = cand[ok], n_left[ok], A[ok]
        if split.size == 0:
            break
        order = order[local]
        if spare is None:
            spare = np.empty_like(X)
        _build_kernels.gather_rows(Xw, local, spare)
        Xw, spare = spare, (None if Xw is X else Xw)
        axes[split] = A
        kids[split, 0] = n_nodes + 2 * np.arange(split.size)
        kids[split, 1] = kids[split, 0] + 1
        n_nodes += 2 * split.size
        mid = seg_starts[split] + n_left
        seg_starts = np.stack([seg_starts[split], mid], axis=1).reshape(-1)
        seg_ends = np.stack([mid, seg_ends[split]], axis=1).reshape(-1)
    return FlatTree(
        order=order,
        node_means=np.ascontiguousarray(np.concatenate(node_means)),
        node_axes=np.ascontiguousarray(np.concatenate(node_axes)),
        children=np.ascontiguousarray(np.concatenate(children)),
        levels=np.concatenate(levels),
        starts=np.concatenate(starts_all),
        ends=np.concatenate(ends_all),
    )


ASSIGN_ROWS = 4096


def nearest_centers(X, centers):
    """Exact nearest centre (lowest index on ties) and squared distance of each row.

    GEMM in X's dtype shortlists the centres, ``nearest_center_refine``
    re-measures the shortlist directly in float64. The shortlist margin is a
    rigorous bound of the GEMM rounding error: for a dot product of length
    d in unit roundoff u, ``|fl(x.c) - x.c| <= gamma_d ||x|| ||c||`` with
    ``gamma_d = d u / (1 - d u)`` (Higham 2002, eq. 3.5), for any summation
    order, plus the float64 error of the norms.
    """
    n, d = X.shape
    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    C64 = centers.astype(np.float64)
    cnorm = np.einsum("ij,ij->i", C64, C64)
    cmax = float(np.sqrt(cnorm.max()))
    u = np.finfo(X.dtype).eps / 2
    gamma = (d + 2) * u / (1 - (d + 2) * u)
    u64 = np.finfo(np.float64).eps
    labels = np.empty(n, dtype=np.int64)
    sqdist = np.empty(n, dtype=np.float64)
    for lo in range(0, n, ASSIGN_ROWS):
        hi = min(n, lo + ASSIGN_ROWS)
        chunk = X[lo:hi]
        G = chunk @ centers.T
        x64 = chunk.astype(np.float64)
        xnorm = np.einsum("ij,ij->i", x64, x64)
        xn = np.sqrt(xnorm)
        margin = 2.0 * gamma * xn * cmax + 8 * (d + 4) * u64 * (xnorm + cmax * cmax) + 1e-300
        _build_kernels.nearest_center_refine(chunk, C64, G, xnorm, cnorm, margin, labels[lo:hi], sqdist[lo:hi])
    return labels, sqdist


_ASSIGN = ("nearest", "tree")


def check_partition_params(max_level, min_samples, n_jobs):
    """Validate the parameters shared by VoronoiPartition and CellIndex."""
    max_level = check_int(max_level, "max_level", low=0, high=40)
    min_samples = check_int(min_samples, "min_samples", low=1)
    return max_level, min_samples, check_n_jobs(n_jobs)


class VoronoiPartition(ClusterMixin, BaseEstimator):
    r"""Recursive principal-axis bisection of samples into Voronoi cells.

    The partition of the VEOB paper (section 5): split the samples by the
    hyperplane through their centroid whose normal is their top principal
    axis, recurse on both sides, and turn the leaves into cells.

    Parameters
    ----------
    max_level : int, default=9
        Depth limit, ``0 <= max_level <= 40``: the root is level 0, so there
        are at most ``2 ** max_level`` leaves. The paper uses 9-10.
    min_samples : int, default=100
        A node with ``<= min_samples`` members is not split (``>= 1``). The
        paper uses 100-200.
    assign : {"nearest", "tree"}, default="nearest"
        ``"nearest"`` (the paper): a second pass assigns every sample to the
        nearest leaf centroid and drops the cells left empty; cells are then
        true Voronoi cells of their centres. ``"tree"``: a sample stays in
        the leaf it descends to.
    random_state : int, RandomState instance or None, default=None
        Seeds the power iterations (start vectors and subsamples).
    n_jobs : int or None, default=None
        Threads for the numba kernels and BLAS (None: leave the current
        setting, -1: all cores).

    Attributes
    ----------
    cell_centers_ : ndarray of shape (n_cells, n_features)
        Centroid of each cell's leaf (the input dtype, float32 or float64).
    cell_radius_ : ndarray of shape (n_cells,)
        Largest distance of a member to its cell centre (float64).
    cell_sizes_ : ndarray of shape (n_cells,)
        Number of members of each cell (all >= 1).
    labels_ : ndarray of shape (n_samples,)
        Cell of each training row (int64, ``0 .. n_cells_ - 1``).
    n_cells_ : int
        Number of cells.
    cell_indptr_, cell_indices_ : ndarray of shape (n_cells + 1,), (n_samples,)
        Members by cell, CSR-like: the rows of cell i are
        ``cell_indices_[cell_indptr_[i]:cell_indptr_[i + 1]]``, ascending.
    node_centers_ : ndarray of shape (n_nodes, n_features)
        Float64 centroid of every tree node (node 0 is the root; nodes are
        numbered level by level).
    node_axes_ : ndarray of shape (n_nodes, n_features)
        Unit normal (top principal axis) of every split node; zeros at leaves.
    node_children_ : ndarray of shape (n_nodes, 2)
        Left and right child of each node, ``-1`` at leaves. A point x goes
        right when :math:`(x - \mathrm{center}) \cdot \mathrm{axis} > 0`.
    node_levels_, node_sizes_ : ndarray of shape (n_nodes,)
        Depth and number of members (before reassignment) of every node.
    node_cells_ : ndarray of shape (n_nodes,)
        Cell id of each leaf, ``-1`` for inner nodes and dropped leaves.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    CellIndex : Nearest-neighbour search over these cells.
    sklearn.cluster.BisectingKMeans : Bisection by 2-means instead of the principal axis.

    Notes
    -----
    At a node with members :math:`x_1, \dots, x_m`, centroid
    :math:`\mu = \frac1m \sum_i x_i` and centred matrix
    :math:`X_c = [x_i - \mu]_i`, the normal :math:`a` is the top right
    singular vector of :math:`X_c` (the top eigenvector of
    :math:`X_c^T X_c`), found by seeded power iteration
    :math:`a \leftarrow X_c^T X_c a / \|X_c^T X_c a\|` -- one fused pass over
    the members per step, warm-started on a seeded subsample of 1/8 of the
    members (256 to 1,024) for large nodes (the randomized flavour of the method). Member
    :math:`x` goes right when :math:`(x - \mu) \cdot a > 0`, else left. A
    node stays a leaf at ``max_level``, at ``<= min_samples`` members, when
    its members have no variance (all identical), or when one side would be
    empty, so duplicates and constant data always terminate.

    Each level costs :math:`O(n d)` per power step, and there are at most
    ``max_level`` levels, so the build is :math:`O(n d \log n)` with
    ``max_level`` :math:`\approx \log_2(n / \mathrm{min\_samples})`. The
    nearest-centre pass computes distance blocks with GEMM and re-measures
    a shortlist (within a rigorous rounding bound) directly, so every
    sample gets its exactly nearest centre (ties: the lower cell id); the
    cell centres stay the leaf centroids, which keeps every cell a Voronoi
    cell of ``cell_centers_`` -- what the exact search of
    :class:`CellIndex` relies on.

    References
    ----------
    .. [1] VEOB & ST, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform", section 5.
    .. [2] N. Halko, P.-G. Martinsson, J. A. Tropp, "Finding structure with
       randomness", SIAM Review 53(2), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from veob.partition import VoronoiPartition
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(-5, 1, (200, 2)), rng.normal(5, 1, (200, 2))])
    >>> vp = VoronoiPartition(max_level=1, min_samples=10, random_state=0).fit(X)
    >>> vp.n_cells_, vp.cell_sizes_.tolist()
    (2, [200, 200])
    >>> vp.predict([[-4.0, -6.0], [6.0, 5.0]]).tolist()
    [0, 1]
    """

    def __init__(self, max_level: int = 9, min_samples: int = 100, *, assign: str = "nearest",
                 random_state: RandomStateLike = None, n_jobs: int | None = None) -> None:
        self.max_level = max_level
        self.min_samples = min_samples
        self.assign = assign
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _check_assign(self):
        if not isinstance(self.assign, str) or self.assign not in _ASSIGN:
            raise ValueError(f"assign={self.assign!r} must be 'nearest' or 'tree'")
        return self.assign

    def fit(self, X: ArrayLike, y: object = None) -> VoronoiPartition:
        """Build the tree and the cells of the rows of X; returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples as rows; float32 stays float32, other types become
            float64. NaN and infinity are rejected.
        y : None
            Ignored.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C")
        self._fit(X)
        return self

    def _fit(self, X):
        """Fit on validated C-contiguous float X; returns the tree permutation."""
        max_level, min_samples, n_jobs = check_partition_params(self.max_level, self.min_samples, self.n_jobs)
        assign = self._check_assign()
        rng = check_random_state(self.random_state)
        with thread_limits(jobs_for_work(n_jobs, X.size * max_level), blas=False):
            tree = build_tree(X, max_level, min_samples, rng)
            leaves = tree.leaves
            node_cells = np.full(tree.children.shape[0], -1, dtype=np.int64)
            if assign == "tree":
                labels = np.empty(X.shape[0], dtype=np.int64)
                for cell, leaf in enumerate(leaves):
                    labels[tree.order[tree.starts[leaf]:tree.ends[leaf]]] = cell
                node_cells[leaves] = np.arange(leaves.size)
                centers = tree.node_means[leaves].astype(X.dtype)
                sqdist = np.empty(X.shape[0])
                _build_kernels.member_sqdist(X, centers.astype(np.float64), labels, sqdist)
            else:
                leaf_centers = tree.node_means[leaves].astype(X.dtype)
                labels, sqdist = nearest_centers(X, leaf_centers)
                kept = np.bincount(labels, minlength=leaves.size) > 0
                renumber = np.cumsum(kept) - 1
                labels = renumber[labels]
                node_cells[leaves[kept]] = np.arange(int(kept.sum()))
                centers = leaf_centers[kept]
        n_cells = centers.shape[0]
        sizes = np.bincount(labels, minlength=n_cells)
        radius = np.zeros(n_cells)
        np.maximum.at(radius, labels, sqdist)
        self.cell_centers_ = np.ascontiguousarray(centers)
        self.cell_radius_ = np.sqrt(radius)
        self.cell_sizes_ = sizes.astype(np.int64)
        self.labels_ = labels
        self.n_cells_ = int(n_cells)
        self.cell_indices_ = np.argsort(labels, kind="stable").astype(np.int64)
        self.cell_indptr_ = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.node_centers_ = tree.node_means
        self.node_axes_ = tree.node_axes
        self.node_children_ = tree.children
        self.node_levels_ = tree.levels
        self.node_sizes_ = (tree.ends - tree.starts).astype(np.int64)
        self.node_cells_ = node_cells
        return self

    def _validate_query(self, X, name="X"):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C", reset=False)
        return np.ascontiguousarray(X, dtype=self.cell_centers_.dtype)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Cell of each row of X, consistent with ``assign``.

        ``"nearest"``: the nearest cell centre (exact, ties to the lower id);
        ``"tree"``: the cell of the leaf the row descends to. For the
        training rows this reproduces ``labels_``. X is cast to the dtype of
        the fitted data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Cell ids (int64).
        """
        X = self._validate_query(X)
        with thread_limits(check_partition_params(self.max_level, self.min_samples, self.n_jobs)[2]):
            if self.assign == "tree":
                leaf = np.empty(X.shape[0], dtype=np.int64)
                _build_kernels.tree_descend(X, self.node_centers_, self.node_axes_, self.node_children_, leaf)
                return self.node_cells_[leaf]
            return nearest_centers(X, self.cell_centers_)[0]

    def cell_members(self, i: int) -> np.ndarray:
        """Training row numbers of cell ``i`` (ascending).

        Parameters
        ----------
        i : int
            Cell id, ``0 <= i < n_cells_`` (negative values count from the end).

        Returns
        -------
        rows : ndarray of shape (cell_sizes_[i],)
        """
        check_is_fitted(self)
        i = check_int(i, "i", low=-self.n_cells_, high=self.n_cells_ - 1, high_name="n_cells_ - 1")
        if i < 0:
            i += self.n_cells_
        return self.cell_indices_[self.cell_indptr_[i]:self.cell_indptr_[i + 1]].copy()

    def cell_neighbors(self) -> sp.csr_matrix:
        r"""Adjacent cells by the paper's midpoint test, as a sparse matrix.

        Cells i and j are neighbours when the midpoint
        :math:`m = (c_i + c_j) / 2` of their centres (a) has exactly
        :math:`c_i` and :math:`c_j` as its two nearest centres -- every other
        centre is strictly farther from m -- and (b) lies within both radii,
        :math:`\|c_i - c_j\| / 2 \le \min(r_i, r_j)`. Both conditions must
        hold: the reference code's test mixed ``||`` and ``&&`` without
        parentheses, which is not this.

        Returns
        -------
        adjacency : scipy.sparse.csr_matrix of shape (n_cells, n_cells), dtype bool
            Symmetric, empty diagonal.

        Examples
        --------
        >>> import numpy as np
        >>> from veob.partition import VoronoiPartition
        >>> X = np.column_stack([np.linspace(0, 40, 400), np.tile([-3.0, 3.0], 200)])  # a strip
        >>> vp = VoronoiPartition(max_level=2, min_samples=10, random_state=0).fit(X)
        >>> vp.cell_centers_[:, 0].round(1)
        array([ 5., 15., 25., 35.])
        >>> vp.cell_neighbors().toarray().astype(int)
        array([[0, 1, 0, 0],
               [1, 0, 1, 0],
               [0, 1, 0, 1],
               [0, 0, 1, 0]])
        """
        check_is_fitted(self)
        C = self.cell_centers_.astype(np.float64)
        n = C.shape[0]
        sq = np.einsum("ij,ij->i", C, C)
        D = sq[:, None] + sq[None, :] - 2.0 * (C @ C.T)
        near_order = np.ascontiguousarray(np.argsort(D, axis=1, kind="stable"))
        adjacency = np.zeros((n, n), dtype=np.uint8)
        with thread_limits(check_partition_params(self.max_level, self.min_samples, self.n_jobs)[2]):
            _build_kernels.center_adjacency(C, self.cell_radius_, near_order, adjacency)
        return sp.csr_matrix(adjacency.astype(bool))
