r"""JointEmbeddingClassifier: the supervised VEOB of the paper's section 8."""

from __future__ import annotations

import warnings

import numpy as np
from numba import parallel_chunksize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .._threads import thread_limits
from .._validation import check_int, check_random_state, check_real, renamed_parameter, validate_data
from ..decomposition import svd
from ..partition import VoronoiPartition
from . import _kernels
from ._calibration import SoftmaxProbaMixin, fit_temperature

__all__ = ["JointEmbeddingClassifier"]

_STRATEGIES = ("per_label", "cells")
# queries per batch of the cell search (bounded memory)
_QUERY_BATCH = 4096
# values of a (queries x segment rows) product of the segment search
_GROUP_VALUES = 1 << 16
# training rows used to fit the softmax temperature
_CALIBRATION_ROWS = 2000
# relative ridge of the per-cell least-squares maps (times the mean squared row norm)
_CELL_RIDGE = 1e-3


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)


def _sign_fix(V):
    """Make the largest-magnitude entry of every column positive (in place)."""
    pivot = np.abs(V).argmax(axis=0)
    signs = np.sign(V[pivot, np.arange(V.shape[1])])
    signs[signs == 0] = 1.0
    V *= signs
    return V


def _label_blocks_svd(X, target, n_classes, n_components):
    r"""Top right singular vectors of the label-block matrix Z (n, L d), exactly.

    Row i of Z holds ``X[i]`` in block ``target[i]`` and zeros elsewhere, so
    :math:`Z^T Z = \mathrm{diag}(X_0^T X_0, \dots, X_{L-1}^T X_{L-1})` is
    block diagonal: its eigenvectors are those of the blocks, padded with
    zeros. Returns ``(components (k, L d), singular_values (k,),
    owners (k,))`` with the k largest singular values over all blocks
    (ties: lower class, then lower block index).
    """
    d = X.shape[1]
    values, vectors = [], []
    for c in range(n_classes):
        Xc = X[target == c].astype(np.float64)
        w, V = np.linalg.eigh(Xc.T @ Xc)
        values.append(np.clip(w[::-1], 0.0, None))
        vectors.append(_sign_fix(V[:, ::-1]))
    flat = np.concatenate(values)
    owner = np.repeat(np.arange(n_classes), d)
    column = np.tile(np.arange(d), n_classes)
    top = np.lexsort((column, owner, -flat))[:n_components]
    components = np.zeros((top.shape[0], n_classes * d))
    for j, t in enumerate(top):
        c = owner[t]
        components[j, c * d:(c + 1) * d] = vectors[c][:, column[t]]
    return components, np.sqrt(flat[top]), owner[top]


class JointEmbeddingClassifier(SoftmaxProbaMixin, ClassifierMixin, BaseEstimator):
    r"""Classifier on a joint embedding of inputs and labels, searched by cells.

    The supervised VEOB of the paper (section 8) for inputs that are already
    embedded (e.g. the 30-d SVD of the 2-D DCT of images): inputs and labels
    are embedded together by SVD, the joint embedding is partitioned into
    Voronoi cells (:class:`veob.partition.VoronoiPartition`), and a query is
    answered from the cells nearest to it.

    Parameters
    ----------
    n_joint : int, default=100
        Dimension of the joint embedding (``>= 1``; capped at the rank
        bound: ``n_classes * n_features`` for ``"per_label"``,
        ``min(n_samples, n_features + n_classes)`` for ``"cells"``).
    label_weight : "auto" or float, default="auto"
        Weight :math:`\alpha` of the labels in :math:`Z = [P_x;\ \alpha P_y]`
        (``strategy="cells"``; unused by ``"per_label"``, but validated).
        ``"auto"`` is the root mean square row norm of X, so the X part and
        the one-hot Y part of Z have the same Frobenius norm. Must be > 0.
    strategy : {"per_label", "cells"}, default="per_label"
        ``"per_label"`` (the reference notebook): the label-block embedding
        and a best-match search per class (see Notes). ``"cells"`` (the
        paper's section 8): per-cell least-squares maps.
    max_level : int, default=9
        Depth limit of the partition (at most ``2 ** max_level`` cells).
    min_samples : int, default=200
        Nodes with ``<= min_samples`` members are not split.
    n_probe : int, default=1
        Cells searched per query and class (``"per_label"``) or per query
        (``"cells"``), nearest centres first.
    exact : bool, default=False
        ``"per_label"`` only: find the exact best match of every class (what
        a brute-force search returns) by searching every cell of the class,
        skipping the cells and rows that provably cannot beat the best match
        found (see Notes); ``n_probe`` is then ignored. Unused (but
        validated) by ``"cells"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the partition and the calibration subsample.
    n_jobs : int or None, default=None
        Threads for the partition and the search (None: the enclosing joblib
        context's n_jobs, else leave the current setting; -1: all cores).
    alpha : "auto" or float
        Deprecated old name of ``label_weight`` (``alpha`` is the ridge
        penalty everywhere else in veob); still accepted with a
        FutureWarning, removed in the next release.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    components_ : ndarray of shape (n_joint_, n_classes * n_features) or (n_joint_, n_features + n_classes)
        The orthonormal basis :math:`U_z^T` of the joint embedding (rows).
    singular_values_ : ndarray of shape (n_joint_,)
        Singular values of Z, descending.
    component_classes_ : ndarray of shape (n_joint_,)
        ``"per_label"`` only: the class block holding each component.
    n_joint_ : int
        Dimension of the joint embedding used.
    label_weight_ : float
        The label weight used (``"cells"``; resolved from ``"auto"``).
    partition_ : VoronoiPartition
        The cells of the joint embedding of the training samples.
    cell_class_counts_ : ndarray of shape (n_cells, n_classes)
        Training samples of each class in each cell (the label statistics).
    cell_means_ : ndarray of shape (n_cells, n_features)
        ``"cells"`` only: the x-part of each cell's centroid in Z.
    cell_maps_ : ndarray of shape (n_cells, n_features, n_joint_)
        ``"cells"`` only: the least-squares maps :math:`A_c` (centred).
    temperature_ : float
        Softmax temperature of :meth:`predict_proba`.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    LeastSquaresClassifier : Ridge on one-hot targets, closed form.
    veob.partition.VoronoiPartition : The cells.
    veob.spectral.dct2, veob.SVDEmbedder : The paper's image embedding.

    Notes
    -----
    **per_label.** Sample i with embedding :math:`x_i \in \mathbb{R}^d` and
    label :math:`y_i` becomes :math:`z_i \in \mathbb{R}^{L d}`: :math:`x_i`
    in block :math:`y_i`, zeros elsewhere. The SVD of :math:`Z` keeps the
    ``n_joint`` top right singular vectors :math:`U_z`; since
    :math:`Z^T Z = \mathrm{diag}(X_c^T X_c)` is block diagonal this is
    computed exactly from the per-class Gram matrices (each component
    belongs to one class block). The joint embeddings
    :math:`p_i = U_z^T z_i` are partitioned into cells. To classify x, for
    every class c the query :math:`z_c` (x in block c) is embedded,
    :math:`q_c = U_z^T z_c`, the ``n_probe`` cells with the nearest centres
    among the cells holding class c are searched, and the best match of
    class c is the member of class c in them nearest to x. Distances are
    measured exactly, :math:`\|z_c - z_i\| = \|x - x_i\|` for same-class
    members, not in the truncated joint space: the truncation keeps only
    the ~``n_joint / L`` top directions of each class, and measuring there
    would drop the residual (top-3 on MNIST falls from 99.6 % to 89 %).
    Classes are ranked by the distance of their best match (the paper's
    top-3 measure), and the scores are :math:`-\|x - x_{best}\|^2`.

    The search inside the chosen cells is exact and runs as matrix
    products: the (query, segment) pairs are grouped by segment (the members
    of one class in one cell), each group's queries are compared with the
    segment's rows by one product :math:`\|q\|^2 + \|x\|^2 - 2 q \cdot x` in
    the input dtype, and only the rows whose rounding bound lets them reach
    the best match are measured again directly in float64 (ties go to the
    lower training row). With ``exact=True`` each class is searched in its
    segment with the nearest centroid first, then in every segment whose
    lower bound :math:`\max(0, \|x - m\| - r)` (centroid m, radius r) does not
    exceed that best distance: the result is the brute-force best match. On
    MNIST-30 the bound excludes almost nothing (the cells are wider than the
    match distances), so the exact search costs about one brute-force pass,
    made cheaper by the grouped products and by measuring about 2 rows per
    (query, class) exactly.

    **cells.** :math:`Z = [X,\ \alpha Y]` with one-hot Y, :math:`P_z = Z U_z`
    (row-major), cells of :math:`P_z`. Each cell fits a ridge map
    :math:`P_z \approx \bar p + (x - \bar x) A_c` on its members (relative
    ridge :math:`10^{-3}` times their mean squared row norm). To classify x
    the ``n_probe`` cells whose x-part :math:`\bar x` is nearest are chosen,
    :math:`Z' = U_z (\bar p + (x - \bar x) A_c)`, and the scores are the
    y-part :math:`Y' = Z'_y / \alpha`, averaged over the probed cells.

    ``predict_proba`` is :math:`\mathrm{softmax}(\mathrm{scores} / T)`. T is
    fitted by maximum likelihood on a seeded subsample of at most 2,000
    training samples: leave-one-out for ``"per_label"`` (each sample's own
    match is excluded), in-sample for ``"cells"`` (optimistic).

    References
    ----------
    .. [1] VEOB & ST, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform", sections 5, 6.6 and 8.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from veob.models import JointEmbeddingClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = JointEmbeddingClassifier(min_samples=50, random_state=0).fit(X[:1500], y[:1500])
    >>> bool(clf.score(X[1500:], y[1500:]) > 0.9)
    True
    >>> ranking = clf.rank_classes(X[1500:1510])   # classes, best first
    >>> ranking.shape
    (10, 10)
    >>> bool(np.mean([label in top3 for label, top3 in zip(y[1500:1510], ranking[:, :3])]) >= 0.9)
    True
    """

    # files saved before ``alpha`` became ``label_weight`` load under the new names (veob.load)
    _renamed_on_load = {"alpha": "label_weight", "alpha_": "label_weight_"}

    def __init__(self, n_joint=100, label_weight="auto", strategy="per_label", max_level=9, min_samples=200,
                 n_probe=1, exact=False, random_state=None, n_jobs=None, alpha="deprecated"):
        self.n_joint = n_joint
        self.label_weight = label_weight
        self.strategy = strategy
        self.max_level = max_level
        self.min_samples = min_samples
        self.n_probe = n_probe
        self.exact = exact
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.alpha = alpha

    @property
    def alpha_(self):
        """Deprecated alias of ``label_weight_`` (FutureWarning; removed in the next release)."""
        warnings.warn("JointEmbeddingClassifier.alpha_ is deprecated and will be removed in the next release: "
                      "use label_weight_", FutureWarning, stacklevel=2)
        return self.label_weight_

    # ------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Embed, partition and calibrate; returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Embedded inputs; float32 stays float32, other types become float64.
        y : array-like of shape (n_samples,)
            Class labels.
        """
        n_joint = check_int(self.n_joint, "n_joint", low=1)
        label_weight = check_real(renamed_parameter(self, "label_weight", "alpha", default="auto"), "label_weight",
                                  low=0, low_inclusive=False, allow=("auto",))
        if not isinstance(self.strategy, str) or self.strategy not in _STRATEGIES:
            raise ValueError(f"strategy={self.strategy!r} must be one of {_STRATEGIES}")
        check_int(self.n_probe, "n_probe", low=1)
        _check_bool(self.exact, "exact")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C")
        check_classification_targets(y)
        self.classes_, target = np.unique(y, return_inverse=True)
        rng = check_random_state(self.random_state)
        partition_seed = rng.randint(np.iinfo(np.int32).max)
        with thread_limits(self.n_jobs):
            if self.strategy == "per_label":
                self._fit_per_label(X, target, n_joint, label_weight, partition_seed)
            else:
                self._fit_cells(X, target, n_joint, label_weight, partition_seed)
            self._calibrate(X, target, rng)
        return self

    def _partition(self, P, seed):
        return VoronoiPartition(self.max_level, self.min_samples, random_state=seed, n_jobs=self.n_jobs).fit(P)

    def _fit_per_label(self, X, target, n_joint, label_weight, seed):
        n, d = X.shape
        L = self.classes_.shape[0]
        components, s, owners = _label_blocks_svd(X, target, L, min(n_joint, L * d))
        k = components.shape[0]
        P = np.empty((n, k), dtype=X.dtype)
        for c in range(L):
            rows = target == c
            P[rows] = X[rows] @ components[:, c * d:(c + 1) * d].T.astype(X.dtype)
        part = self._partition(P, seed)
        cells = part.labels_
        n_cells = part.n_cells_
        counts = np.zeros((n_cells, L), dtype=np.int64)
        np.add.at(counts, (cells, target), 1)
        self._index_segments(X, cells * L + target, counts.reshape(-1), L)
        self.components_ = components
        self.singular_values_ = s
        self.component_classes_ = self.classes_[owners]
        self.n_joint_ = int(k)
        self.label_weight_ = float(np.sqrt(np.mean(np.einsum("ij,ij->i", X, X, dtype=np.float64)))) \
            if label_weight == "auto" else float(label_weight)
        self.partition_ = part
        self.cell_class_counts_ = counts
        centers = part.cell_centers_.astype(np.float64)
        self._centers = centers
        self._center_sq = np.einsum("ij,ij->i", centers, centers)
        self._holding = [np.flatnonzero(counts[:, c]) for c in range(L)]

    def _index_segments(self, X, segment, counts, n_classes):
        """Rows sorted by (cell, class) segment, with what the segment search needs.

        Stores the rows, their original numbers and squared norms (float64),
        the segments' centroids and radii (float64, input space) and the
        non-empty segments grouped by class.
        """
        n, d = X.shape
        n_segments = counts.shape[0]
        X64 = X.astype(np.float64)
        sums = np.zeros((n_segments, d))
        np.add.at(sums, segment, X64)
        seg_centers = sums / np.maximum(counts, 1)[:, None]
        diff = X64 - seg_centers[segment]
        seg_radius = np.zeros(n_segments)
        np.maximum.at(seg_radius, segment, np.sqrt(np.einsum("ij,ij->i", diff, diff)))
        del diff
        order = np.lexsort((np.arange(n), segment))
        used = np.flatnonzero(counts)
        by_class = used[np.argsort(used % n_classes, kind="stable")]
        row_sq = np.einsum("ij,ij->i", X64, X64)[order]
        self._data = np.ascontiguousarray(X[order])
        self._rows = order.astype(np.int64)
        self._row_sq = np.ascontiguousarray(row_sq)
        self._segment_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._seg_centers = seg_centers
        self._seg_radius = seg_radius
        self._class_segments = by_class.astype(np.int64)
        self._class_ptr = np.concatenate([[0], np.cumsum(np.bincount(used % n_classes, minlength=n_classes))]
                                         ).astype(np.int64)

    def _fit_cells(self, X, target, n_joint, label_weight, seed):
        n, d = X.shape
        L = self.classes_.shape[0]
        if label_weight == "auto":
            label_weight = float(np.sqrt(np.mean(np.einsum("ij,ij->i", X, X, dtype=np.float64))))
            label_weight = label_weight if label_weight > 0 else 1.0
        Z = np.zeros((n, d + L), dtype=X.dtype)
        Z[:, :d] = X
        Z[np.arange(n), d + target] = label_weight
        k = min(n_joint, n, d + L)
        U, s, Vt = svd(Z, k, random_state=seed)
        P = np.ascontiguousarray((U * s).astype(X.dtype))
        part = self._partition(P, seed)
        cells = part.labels_
        n_cells = part.n_cells_
        counts = np.zeros((n_cells, L), dtype=np.int64)
        np.add.at(counts, (cells, target), 1)
        x_means = np.zeros((n_cells, d))
        p_means = np.zeros((n_cells, k))
        maps = np.zeros((n_cells, d, k))
        for cell in range(n_cells):
            members = part.cell_members(cell)
            Xm = X[members].astype(np.float64)
            Pm = P[members].astype(np.float64)
            x_means[cell] = Xm.mean(axis=0)
            p_means[cell] = Pm.mean(axis=0)
            Xc = Xm - x_means[cell]
            G = Xc.T @ Xc
            ridge = _CELL_RIDGE * (np.einsum("ij,ij->", Xm, Xm) / Xm.shape[0]) + 1e-12
            G.flat[::d + 1] += ridge
            maps[cell] = np.linalg.solve(G, Xc.T @ (Pm - p_means[cell]))
        self.components_ = Vt.astype(np.float64)
        self.singular_values_ = s.astype(np.float64)
        self.n_joint_ = int(k)
        self.label_weight_ = float(label_weight)
        self.partition_ = part
        self.cell_class_counts_ = counts
        self.cell_means_ = x_means
        self.cell_maps_ = maps
        self._p_means = p_means
        # y-part of U_z applied to the cell outputs, divided by the label weight: (k, L)
        self._y_part = Vt[:, d:].astype(np.float64) / label_weight
        self._cell_mean_sq = np.einsum("ij,ij->i", x_means, x_means)

    def _calibrate(self, X, target, rng):
        n = X.shape[0]
        m = min(n, _CALIBRATION_ROWS)
        rows = np.sort(rng.choice(n, m, replace=False)) if m < n else np.arange(n)
        exclude = rows if self.strategy == "per_label" else None
        scores = self._scores(X[rows], exclude=exclude)
        self.temperature_ = fit_temperature(scores, target[rows])

    # ------------------------------------------------------------- predict
    def _check_X(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C", reset=False)
        dtype = self._data.dtype if self.strategy == "per_label" and hasattr(self, "_data") else X.dtype
        return np.ascontiguousarray(X, dtype=dtype)

    def _probes(self, Xb, c, n_probe):
        """Cells (n_q, n_probe) nearest to the class-c queries among cells holding class c."""
        d = Xb.shape[1]
        W = self.components_[:, c * d:(c + 1) * d].T  # (d, k)
        Q = Xb.astype(np.float64) @ W
        holding = self._holding[c]
        C = self._centers[holding]
        sq = np.einsum("ij,ij->i", Q, Q)[:, None] - 2.0 * (Q @ C.T) + self._center_sq[holding]
        p = min(n_probe, holding.shape[0])
        if p < sq.shape[1]:
            part = np.argpartition(sq, p - 1, axis=1)[:, :p]
        else:
            part = np.broadcast_to(np.arange(sq.shape[1]), sq.shape).copy()
        order = np.argsort(np.take_along_axis(sq, part, axis=1), axis=1, kind="stable")
        picks = holding[np.take_along_axis(part, order, axis=1)[:, :p]]
        out = np.full((Xb.shape[0], n_probe), -1, dtype=np.int64)
        out[:, :p] = picks
        return out

    def _margin(self):
        """(rel, absolute): ``|q|^2 + |x|^2 - 2 q.x`` is within ``2 rel (|q|^2 + |x|^2) + absolute`` of the float64 sum.

        The product q.x in the data's dtype is off by at most ``gamma_d |q||x|``
        (any summation order), the float64 reference by ``gamma_d |q - x|^2``
        (``gamma_d ~ d u``, u the unit roundoff); both are below
        ``(d + 4) (u + u_64) (|q| + |x|)^2 <= rel (|q|^2 + |x|^2)``;
        ``absolute`` covers underflow.
        """
        d = self._data.shape[1]
        info = np.finfo(self._data.dtype)
        u, u64 = float(info.eps) / 2, 2.0 ** -53
        return 2.0 * (d + 4) * (u + u64), 4.0 * d * float(info.tiny)

    def _run_tasks(self, Q, query_sq, task_query, task_segment, skip, best_sq, best_row, measured, sort=True):
        """Search each task's segment for its query; fold the results into best_sq / best_row."""
        if task_query.shape[0] == 0:
            return
        if sort:
            order = np.argsort(task_segment, kind="stable")
            task_query, task_segment = task_query[order], task_segment[order]
        # groups: one segment and as many queries as keep the (queries x rows) product
        # near 256 KB (in cache, and balanced parallel work)
        change = np.flatnonzero(np.diff(task_segment)) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [task_segment.shape[0]]])
        sizes = np.diff(self._segment_ptr)[task_segment[starts]]
        steps = np.clip(_GROUP_VALUES // np.maximum(sizes, 1), 16, 1024)  # the products stay in cache
        group_ptr = np.concatenate([np.concatenate([np.arange(a, b, step) for a, b, step in zip(starts, ends, steps)]),
                                    [task_segment.shape[0]]]).astype(np.int64)
        n_tasks = task_query.shape[0]
        L = self.classes_.shape[0]
        # start from the best match already known for (query, class): fewer exact measurements
        task_sq = best_sq[task_query, task_segment % L]
        task_row = best_row[task_query, task_segment % L]
        task_measured = np.empty(n_tasks, dtype=np.int64)
        rel, absolute = self._margin()
        # the groups' products run in parallel, one BLAS thread each
        with threadpool_limits(1, user_api="blas"), parallel_chunksize(1):
            _kernels.segment_search(self._data, self._rows, self._row_sq, self._segment_ptr, Q, query_sq, task_query,
                                    task_segment, group_ptr, skip, rel, absolute, task_sq, task_row, task_measured)
        _kernels.reduce_tasks(task_query, task_segment % L, task_sq, task_row, best_sq, best_row)
        measured += np.bincount(task_query, weights=task_measured, minlength=measured.shape[0]).astype(np.int64)

    def _best_matches(self, X, exclude=None, return_measured=False):
        """(squared distances, rows) of every class's best match, (n, n_classes).

        ``return_measured=True`` adds the number of rows measured exactly per
        query (the work of the search besides the products).
        """
        L = self.classes_.shape[0]
        exact = _check_bool(self.exact, "exact")
        n_probe = min(check_int(self.n_probe, "n_probe", low=1), self.partition_.n_cells_)
        n = X.shape[0]
        best_sq = np.full((n, L), np.inf)
        best_row = np.full((n, L), -1, dtype=np.int64)
        measured = np.zeros(n, dtype=np.int64)
        with thread_limits(self.n_jobs):
            for lo in range(0, n, _QUERY_BATCH):
                Xb = np.ascontiguousarray(X[lo:lo + _QUERY_BATCH])
                nb = Xb.shape[0]
                X64 = Xb.astype(np.float64)
                query_sq = np.einsum("ij,ij->i", X64, X64)
                query_norm = np.sqrt(query_sq)
                skip = np.full(nb, -1, dtype=np.int64) if exclude is None \
                    else np.ascontiguousarray(exclude[lo:lo + _QUERY_BATCH], dtype=np.int64)
                out = (best_sq[lo:lo + _QUERY_BATCH], best_row[lo:lo + _QUERY_BATCH], measured[lo:lo + _QUERY_BATCH])
                if exact:
                    self._exact_tasks(Xb, X64, query_sq, query_norm, skip, *out)
                    continue
                probes = np.empty((nb, L, n_probe), dtype=np.int64)
                # small products between numba parallel regions: one BLAS
                # thread avoids the slowdown of spinning thread pools
                with threadpool_limits(1, user_api="blas"):
                    for c in range(L):
                        probes[:, c, :] = self._probes(Xb, c, n_probe)
                task_query = np.repeat(np.arange(nb, dtype=np.int64), L * n_probe)
                task_segment = (probes * L + np.arange(L)[None, :, None]).reshape(-1)
                valid = probes.reshape(-1) >= 0
                self._run_tasks(Xb, query_sq, task_query[valid], task_segment[valid], skip, *out)
        return (best_sq, best_row, measured) if return_measured else (best_sq, best_row)

    def _exact_tasks(self, Xb, X64, query_sq, query_norm, skip, best_sq, best_row, measured):
        """Every class's exact best match: its nearest segment, then every segment its bound cannot exclude.

        The distance from q to any member of segment s (centroid m, radius r)
        is at least ``max(0, |q - m| - r)``; a segment is searched when that
        bound does not exceed the best distance of the first pass.
        """
        L = self.classes_.shape[0]
        segments = self._class_segments  # grouped by class
        centers = self._seg_centers[segments]
        c_sq = np.einsum("ij,ij->i", centers, centers)
        with threadpool_limits(1, user_api="blas"):
            D = query_sq[:, None] + c_sq[None, :] - 2.0 * (X64 @ centers.T)
        scale = (query_norm[:, None] + np.sqrt(c_sq)[None, :]) ** 2
        dist = np.sqrt(np.maximum(D - 1e-12 * scale, 0.0))  # lowered by the rounding of the expansion
        nearest = np.empty((Xb.shape[0], L), dtype=np.int64)
        for c in range(L):
            a, b = self._class_ptr[c], self._class_ptr[c + 1]
            if b > a:
                nearest[:, c] = segments[a + np.argmin(D[:, a:b], axis=1)]
        has = self._class_ptr[1:] > self._class_ptr[:-1]
        task_query = np.repeat(np.arange(Xb.shape[0], dtype=np.int64), int(has.sum()))
        self._run_tasks(Xb, query_sq, task_query, nearest[:, has].reshape(-1), skip, best_sq, best_row, measured)
        bound = np.maximum(dist - self._seg_radius[segments][None, :] * (1 + 1e-12), 0.0) ** 2
        limit = best_sq[:, segments % L] * (1 + 1e-9)
        need = (bound <= limit) & (nearest[:, segments % L] != segments[None, :])
        cols, queries = np.nonzero(need.T)  # segment-major: the tasks come grouped by segment
        self._run_tasks(Xb, query_sq, queries.astype(np.int64), segments[cols], skip, best_sq, best_row, measured,
                        sort=False)

    def _cell_scores(self, X):
        n_probe = min(check_int(self.n_probe, "n_probe", low=1), self.cell_means_.shape[0])
        X64 = X.astype(np.float64)
        scores = np.empty((X.shape[0], self.classes_.shape[0]))
        for lo in range(0, X.shape[0], _QUERY_BATCH):
            Xb = X64[lo:lo + _QUERY_BATCH]
            sq = np.einsum("ij,ij->i", Xb, Xb)[:, None] - 2.0 * (Xb @ self.cell_means_.T) + self._cell_mean_sq
            if n_probe < sq.shape[1]:
                part = np.argpartition(sq, n_probe - 1, axis=1)[:, :n_probe]
            else:
                part = np.broadcast_to(np.arange(sq.shape[1]), sq.shape)
            acc = np.zeros((Xb.shape[0], self.classes_.shape[0]))
            for p in range(part.shape[1]):
                cell = part[:, p]
                z = self._p_means[cell] + np.einsum("ij,ijk->ik", Xb - self.cell_means_[cell],
                                                         self.cell_maps_[cell])
                acc += z @ self._y_part
            scores[lo:lo + _QUERY_BATCH] = acc / part.shape[1]
        return scores

    def _scores(self, X, exclude=None):
        if self.strategy == "per_label":
            return -self._best_matches(X, exclude)[0]
        return self._cell_scores(X)

    def best_matches(self, X):
        """The best-matching training sample of every class (``"per_label"``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_classes)
            Euclidean distance to the best match of each class (columns
            follow ``classes_``).
        indices : ndarray of shape (n_samples, n_classes)
            Training row of each best match.
        """
        X = self._check_X(X)
        if self.strategy != "per_label":
            raise ValueError(f"best_matches needs strategy='per_label'; this model has strategy={self.strategy!r}")
        sq, rows = self._best_matches(X)
        return np.sqrt(sq), rows

    def decision_scores(self, X):
        """Class scores (larger is better): ``-distance**2`` of the best match, or the cell estimate Y'.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes)
        """
        return self._scores(self._check_X(X))

    def rank_classes(self, X):
        """Classes of each sample, best first (the paper's ranking, for top-k).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ranking : ndarray of shape (n_samples, n_classes)
            Class labels by decreasing score; ties keep the order of
            ``classes_``. Top-k is correct when the true class is among the
            first k columns.
        """
        scores = self.decision_scores(X)
        order = np.argsort(-scores, axis=1, kind="stable")
        return self.classes_[order]

    _softmax_scores = decision_scores  # the scores behind predict_proba (SoftmaxProbaMixin)

    def predict(self, X):
        """The most probable class of each sample.

        This is the first class of :meth:`rank_classes` except when two
        scores are so close that their probabilities round to the same
        value; the first such class (in ``classes_`` order) is returned then,
        so ``predict`` always agrees with the argmax of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

