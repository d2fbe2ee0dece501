r"""CellIndex: nearest-neighbour search over the cells of a VoronoiPartition."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np
from numba import parallel_chunksize
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from .._threads import jobs_for_work, thread_limits
from .._validation import check_int, check_random_state
from . import _build_kernels, _search_kernels
from ._partition import VoronoiPartition, check_partition_params

if TYPE_CHECKING:
    from .._typing import ArrayLike, RandomStateLike

__all__ = ["CellIndex"]

# components m of the projection filter (the top principal axes of the data)
PHI_DIMS = 16
# rows of the seeded subsample the axes are computed from
AXES_SAMPLE = 4096
# queries per block of the exact search (blocks share the loads of their cells)
EXACT_BLOCK = 64


def projection_axes(X, n_axes, rng):
    """Mean of X and ``min(n_axes, d)`` orthonormal axes: its top principal axes.

    The axes are those of a seeded subsample of at most ``AXES_SAMPLE``
    rows: eigenvectors of its centred scatter matrix for ``d <= 1024``,
    veob's randomized SVD above. Any orthonormal axes keep the search
    exact (they only change how much the projection filter prunes), so
    they are re-orthonormalized by QR to working precision.
    Returns ``(mean, axes)``, float64 of shapes (d,) and (m, d).
    """
    n, d = X.shape
    mean = X.mean(axis=0, dtype=np.float64)
    rows = np.sort(rng.choice(n, AXES_SAMPLE, replace=False)) if n > AXES_SAMPLE else np.arange(n)
    Xs = X[rows].astype(np.float64) - mean
    m = min(n_axes, d)
    if d <= 1024:
        _, V = np.linalg.eigh(Xs.T @ Xs)
        axes = V[:, ::-1][:, :m].T
    else:
        from ..decomposition import svd

        m = min(m, Xs.shape[0])
        axes = svd(Xs, m, solver="randomized", random_state=rng)[2]
    Q, _ = np.linalg.qr(np.asarray(axes, dtype=np.float64).T)
    return mean, np.ascontiguousarray(Q.T)


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)


class CellIndex(BaseEstimator):
    r"""k-nearest and radius neighbours searched cell by cell.

    ``fit`` partitions the samples with :class:`VoronoiPartition`
    (``assign="nearest"``) and stores them sorted by cell; queries scan
    cells instead of all samples.

    Parameters
    ----------
    max_level : int, default=9
        Depth limit of the partition (at most ``2 ** max_level`` cells).
    min_samples : int, default=100
        Nodes with ``<= min_samples`` members are not split.
    n_probe : int, default=1
        Number of cells with the nearest centres scanned per query
        (``>= 1``; the paper scans 1). When they hold fewer than
        ``n_neighbors`` samples, further cells are scanned by centre
        distance until ``n_neighbors`` samples were seen. Ignored when
        ``exact=True``.
    exact : bool, default=False
        Return exactly the brute-force neighbours (see Notes).
    random_state : int, RandomState instance or None, default=None
        Seed of the partition.
    n_jobs : int or None, default=None
        Threads for the build and the query batches (None: leave the
        current setting, -1: all cores).

    Attributes
    ----------
    partition_ : VoronoiPartition
        The fitted partition (cells, centres, radii, tree).
    n_cells_ : int
        Number of cells.
    n_samples_fit_ : int
        Number of indexed samples.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    VoronoiPartition : The cells.
    sklearn.neighbors.NearestNeighbors : Brute force and tree searches.

    Notes
    -----
    Distances are Euclidean, :math:`\|q - x\| = (\sum_j (q_j - x_j)^2)^{1/2}`,
    evaluated directly in float64 (not through :math:`\|q\|^2 - 2 q \cdot x
    + \|x\|^2`, whose cancellation reorders close neighbours), and results
    are ordered by (distance, training index), so ties are deterministic.

    Exact search scans the cell :math:`c_0` nearest to the query q, then
    every other cell whose lower bound of the distance from q to any of its
    members does not exceed the current k-th distance :math:`\tau`, in
    increasing order of the bound (so :math:`\tau` shrinks early). Two
    bounds hold for every member x of cell c with centre c and radius
    :math:`r_c`:

    .. math::

        \|q - x\| \ge \|q - c\| - r_c, \qquad
        \|q - x\| \ge \frac{\|q - c\|^2 - \|q - c_0\|^2}{2 \|c - c_0\|},

    the second because x is at least as close to its own centre as to
    :math:`c_0` (the cells are Voronoi cells), so it lies beyond the
    bisecting hyperplane of c and :math:`c_0`. Visiting by centre distance
    and stopping at the first cell whose ball bound exceeds :math:`\tau`
    (the issue's wording) would be wrong when a farther cell has a larger
    radius; testing the bound itself makes the skip exact. Bounds are
    lowered by a relative slack of 1e-9 to absorb rounding.

    Within a cell the rows are sorted by their distance :math:`\rho` to the
    centre. Once the heap is full only the annulus
    :math:`|\rho - \|q - c\|| \le \tau` can qualify (triangle inequality),
    found by binary search. The annulus rows then pass a projection filter:
    with the top m = min(16, d) principal axes A of the data (orthonormal
    rows, P = A^T A) and the data mean :math:`\mu`,

    .. math::

        \|q - x\|^2 \ge \|A (q - x)\|^2
            + \big(\|(I - P)(q - c)\| - \|(I - P)(x - c)\|\big)^2,

    a squared distance between two (m + 1)-vectors: per row
    :math:`(A (x - \mu), \|(I - P)(x - c)\|)` is stored in float32 (one
    column-major block per cell, so the filter vectorizes over rows), and
    the query's is :math:`A (q - \mu)` plus
    :math:`(\|q - c\|^2 - \|A (q - c)\|^2)^{1/2}` per cell. Only rows whose
    bound is below :math:`\tau` (plus a rigorous rounding margin) are
    measured exactly; on MNIST-30 that is 164 of 60,000 rows per query.
    The heap is first filled with the rows of smallest bound of the first
    cell, so :math:`\tau` is tight from the start. So ``n_probe`` results
    are exactly the best ``n_neighbors`` rows of the scanned cells.

    Exact queries are sorted by their nearest centre and processed in
    blocks of 64: a block visits the union of the cells its queries need
    (in increasing order of the smallest bound) and scans each cell for
    every query that still needs it, so a cell's rows are loaded once per
    block. The results do not depend on the blocks.

    References
    ----------
    .. [1] VEOB & ST paper, section 5 (the search scans the nearest cell).
    .. [2] H. Jegou, M. Douze, C. Schmid, "Product quantization for nearest
       neighbor search", IEEE TPAMI 33(1), 2011 (inverted file, n_probe).

    Examples
    --------
    >>> import numpy as np
    >>> from veob.partition import CellIndex
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 8))
    >>> index = CellIndex(max_level=4, min_samples=50, exact=True, random_state=0).fit(X)
    >>> dist, ind = index.kneighbors(X[:2], n_neighbors=3)
    >>> ind[:, 0].tolist(), dist[:, 0].tolist()
    ([0, 1], [0.0, 0.0])
    >>> brute = np.argsort(((X[:2, None] - X[None]) ** 2).sum(-1), axis=1)[:, :3]
    >>> bool((ind == brute).all())
    True
    """

    def __init__(self, max_level: int = 9, min_samples: int = 100, *, n_probe: int = 1, exact: bool = False,
                 random_state: RandomStateLike = None, n_jobs: int | None = None) -> None:
        self.max_level = max_level
        self.min_samples = min_samples
        self.n_probe = n_probe
        self.exact = exact
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _check_search_params(self):
        n_probe = check_int(self.n_probe, "n_probe", low=1)
        exact = _check_bool(self.exact, "exact")
        return n_probe, exact

    def fit(self, X: ArrayLike, y: object = None) -> CellIndex:
        """Partition and index the rows of X; returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            float32 stays float32 (queries are cast to it), other types
            become float64.
        y : None
            Ignored.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C")
        check_partition_params(self.max_level, self.min_samples, self.n_jobs)
        self._check_search_params()
        partition = VoronoiPartition(self.max_level, self.min_samples, assign="nearest",
                                     random_state=self.random_state, n_jobs=self.n_jobs)
        partition._fit(X)
        self.partition_ = partition
        self.n_cells_ = partition.n_cells_
        self.n_samples_fit_ = X.shape[0]
        centers = partition.cell_centers_.astype(np.float64)
        sqdist = np.empty(X.shape[0])
        ptr = partition.cell_indptr_
        with thread_limits(jobs_for_work(self.n_jobs, X.size), blas=False):
            _build_kernels.member_sqdist(X, centers, partition.labels_, sqdist)
            rho = np.sqrt(sqdist)
            # rows by cell, then by distance to the centre (annulus pruning), then by row
            order = np.lexsort((np.arange(X.shape[0]), rho, partition.labels_))
            data = np.ascontiguousarray(X[order])
            rng = check_random_state(self.random_state)
            mean, axes = projection_axes(data, PHI_DIMS, rng)
            align = _search_kernels.PHI_ALIGN
            padded = (np.diff(ptr) + align - 1) // align * align
            phi_ptr = np.concatenate([[0], np.cumsum(padded * (axes.shape[0] + 1))]).astype(np.int64)
            phi = np.zeros(phi_ptr[-1], dtype=np.float32)
            _build_kernels.cell_phi(data, ptr, centers, mean, axes, phi_ptr, phi)
        self._data = data
        self._index = order.astype(np.int64)
        self._rho = np.ascontiguousarray(rho[order])
        self._centers = centers
        self._centers_t = np.ascontiguousarray(centers.T).reshape(-1)
        self._mean = mean
        self._axes = axes
        self._phi = phi
        self._phi_ptr = phi_ptr
        self._cproj = np.ascontiguousarray((centers - mean) @ axes.T)
        self._cshift = np.sqrt(np.einsum("ij,ij->i", centers - mean, centers - mean))
        self._phi_ok = bool(np.all(self._cshift + partition.cell_radius_ < _search_kernels.PHI_MAX))
        return self

    def _filter_constants(self):
        """(kappa, gamma) of the projection filter (see ``_search_kernels._scan_cell``).

        ``kappa`` scales the slack for the float64 rounding of the residual
        norm (a difference of squares: its error is the square root of
        ``~(d + m) u`` relative, u = 2^-53) and for the float32 rounding of
        the stored and query components (u = 2^-24); ``gamma`` bounds the
        relative float32 rounding of a sum of m + 1 squared differences.
        """
        d = self.n_features_in_
        m = self._axes.shape[0]
        u64, u32 = 2.0 ** -53, 2.0 ** -24
        kappa = 8.0 * np.sqrt((d + m + 8) * max(m, 1) * u64) + 1.01 * u32 + 1e-15
        gamma = 2.0 * (m + 4) * u32 / (1.0 - (m + 4) * u32)
        return float(kappa), float(gamma)

    def _validate_queries(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C", reset=False)
        return np.ascontiguousarray(X, dtype=self._dtype)

    def _tree(self):
        """The index as one ``_search_kernels.SearchTree`` for the kernels."""
        part = self.partition_
        kappa, gamma = self._filter_constants()
        return _search_kernels.SearchTree(
            self._data, self._index, self._rho, self._phi, self._phi_ptr, self._cproj, self._cshift, self._mean,
            self._axes, part.cell_indptr_, self._centers, self._centers_t, part.cell_radius_, kappa, gamma,
            self._phi_ok)

    def _query_order(self, Q):
        """Queries sorted by their nearest centre: neighbouring queries share cells in cache (any order is exact)."""
        near = np.empty(Q.shape[0], dtype=np.int64)
        _search_kernels.nearest_cell(self._centers_t, Q, near)
        return np.argsort(near, kind="stable").astype(np.int64)

    def _search(self, Q, k, n_probe, exact):
        """Run the kernel on validated queries.

        Returns ``(dist, ind, stats)``; ``stats`` holds per-query arrays
        ``cells`` (cells scanned) and ``distances`` (rows measured exactly).
        """
        n_q = Q.shape[0]
        dist = np.empty((n_q, k))
        ind = np.empty((n_q, k), dtype=np.int64)
        stats = {"cells": np.empty(n_q, dtype=np.int64), "distances": np.empty(n_q, dtype=np.int64)}
        tree = self._tree()
        n_jobs = jobs_for_work(self.n_jobs, Q.size * max(1, self.n_samples_fit_ // 16))
        with thread_limits(n_jobs, blas=False):
            if exact:
                order = self._query_order(Q)
                block_ptr = np.append(np.arange(0, n_q, EXACT_BLOCK, dtype=np.int64), np.int64(n_q))
                # blocks differ in cost: hand them out one at a time (a loaded machine stalls static halves)
                with parallel_chunksize(1):
                    _search_kernels.knn_exact(tree, Q, k, order, block_ptr, dist, ind, stats["cells"],
                                              stats["distances"])
            else:
                _search_kernels.knn_probe(tree, Q, k, n_probe, np.arange(n_q, dtype=np.int64), dist, ind,
                                          stats["cells"], stats["distances"])
        return dist.astype(self._dtype, copy=False), ind, stats

    @property
    def _dtype(self):
        return self._data.dtype

    def _indexed_rows(self):
        """The indexed samples in their original order."""
        rows = np.empty_like(self._data)
        rows[self._index] = self._data
        return rows

    def kneighbors(self, X: ArrayLike | None = None, n_neighbors: int = 10,
                   return_distance: bool = True) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """The ``n_neighbors`` nearest indexed samples of each query.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features) or None, default=None
            Queries (cast to the indexed dtype). None: the indexed samples,
            each without itself (as in scikit-learn).
        n_neighbors : int, default=10
            ``1 <= n_neighbors <= n_samples_fit_`` (``n_samples_fit_ - 1``
            when X is None).
        return_distance : bool, default=True
            Also return the distances.

        Returns
        -------
        distances : ndarray of shape (n_queries, n_neighbors)
            Euclidean distances (not squared), ascending; only when
            ``return_distance=True``.
        indices : ndarray of shape (n_queries, n_neighbors)
            Row numbers of the neighbours in the fitted data (int64),
            ordered by (distance, index).
        """
        check_is_fitted(self)
        n_probe, exact = self._check_search_params()
        return_distance = _check_bool(return_distance, "return_distance")
        self_query = X is None
        limit = self.n_samples_fit_ - 1 if self_query else self.n_samples_fit_
        if isinstance(n_neighbors, numbers.Integral) and not isinstance(n_neighbors, (bool, np.bool_)) \
                and n_neighbors > limit:
            what = "n_samples_fit_ - 1 (X=None excludes each sample itself)" if self_query else "n_samples_fit_"
            raise ValueError(f"n_neighbors={n_neighbors} must be <= {what}={limit}")
        k = check_int(n_neighbors, "n_neighbors", low=1)
        if self_query:
            Q = self._indexed_rows()
            dist, ind, _ = self._search(Q, k + 1, n_probe, exact)
            dist, ind = _drop_self(dist, ind)
        else:
            Q = self._validate_queries(X)
            dist, ind, _ = self._search(Q, k, n_probe, exact)
        return (dist, ind) if return_distance else ind

    def radius_neighbors(self, X: ArrayLike, radius: float,
                         return_distance: bool = True) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Indexed samples within distance ``radius`` of each query.

        With ``exact=True`` every sample within the radius is returned;
        otherwise only those in the ``n_probe`` cells nearest to the query.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Queries (cast to the indexed dtype).
        radius : float
            Finite, ``>= 0``; a sample at distance ``<= radius`` is returned.
        return_distance : bool, default=True
            Also return the distances.

        Returns
        -------
        distances : ndarray of shape (n_queries,), dtype object
            One array of distances per query, ascending; only when
            ``return_distance=True``.
        indices : ndarray of shape (n_queries,), dtype object
            One int64 array of row numbers per query, ordered by
            (distance, index).
        """
        check_is_fitted(self)
        n_probe, exact = self._check_search_params()
        return_distance = _check_bool(return_distance, "return_distance")
        if isinstance(radius, (bool, np.bool_)) or not isinstance(radius, numbers.Real) \
                or not np.isfinite(radius) or radius < 0:
            raise ValueError(f"radius={radius!r} must be a finite number >= 0")
        Q = self._validate_queries(X)
        n_q = Q.shape[0]
        offsets = np.zeros(n_q + 1, dtype=np.int64)
        no_d, no_i = np.empty(0), np.empty(0, dtype=np.int64)
        args = (self._tree(), Q, float(radius), n_probe, exact)
        with thread_limits(jobs_for_work(self.n_jobs, Q.size * max(1, self.n_samples_fit_ // 16)), blas=False):
            _search_kernels.radius_scan(*args, False, offsets, no_d, no_i)
            np.cumsum(offsets, out=offsets)
            flat_d = np.empty(offsets[-1])
            flat_i = np.empty(offsets[-1], dtype=np.int64)
            _search_kernels.radius_scan(*args, True, offsets, flat_d, flat_i)
        flat_d = flat_d.astype(self._dtype, copy=False)
        dist = np.empty(n_q, dtype=object)
        ind = np.empty(n_q, dtype=object)
        for t in range(n_q):
            dist[t] = flat_d[offsets[t]:offsets[t + 1]]
            ind[t] = flat_i[offsets[t]:offsets[t + 1]]
        return (dist, ind) if return_distance else ind

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


def _drop_self(dist, ind):
    """Remove each query's own index (row t) from its k + 1 results, else the last."""
    n, k1 = ind.shape
    rows = np.arange(n)
    is_self = ind == rows[:, None]
    has_self = is_self.any(axis=1)
    drop = np.where(has_self, is_self.argmax(axis=1), k1 - 1)
    keep = np.ones((n, k1), dtype=bool)
    keep[rows, drop] = False
    return dist[keep].reshape(n, k1 - 1), ind[keep].reshape(n, k1 - 1)
