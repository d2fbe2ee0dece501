r"""A backprop-free classifier of pen trajectories: spectral transform + SVD embedding + closed-form head."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._threads import thread_limits
from .._validation import check_int, check_n_jobs, check_random_state, check_real, validate_data

__all__ = ["TrajectoryClassifier", "augment_trajectories"]

_HEADS = ("rbf", "linear", "knn")


def _is_table(X):
    """2-D array-likes hold flattened ``x1, y1, x2, y2, ...`` rows; lists are ragged trajectories."""
    if sp.issparse(X):
        return True
    if isinstance(X, np.ndarray):
        return X.ndim == 2
    if isinstance(X, (list, tuple)) or not hasattr(X, "__array__"):
        return False
    try:
        return np.asarray(X).ndim == 2
    except ValueError:  # ragged
        return False


def augment_trajectories(trajectories, n_copies, jitter, rng):
    """``n_copies`` random affine distortions of every trajectory (the originals not included).

    Each copy of trajectory i is :math:`A_i p` for every point p, with
    :math:`A_i = \\begin{pmatrix} e^{\\sigma} \\cos\\theta & \\tan\\phi - \\sin\\theta
    \\\\ \\sin\\theta & \\cos\\theta \\end{pmatrix}` and rotation
    :math:`\\theta`, shear :math:`\\phi` and log-stretch :math:`\\sigma` drawn
    independently from :math:`N(0, \\text{jitter}^2)`. Translation is not
    drawn: the spectral transform removes it. Returns a list of
    ``n_copies * len(trajectories)`` float64 arrays, copy-major.
    """
    lengths = np.array([len(t) for t in trajectories], dtype=np.int64)
    values = np.concatenate(trajectories, axis=0)
    owner = np.repeat(np.arange(lengths.shape[0]), lengths)
    cuts = np.cumsum(lengths)[:-1]
    out = []
    n = lengths.shape[0]
    for _ in range(n_copies):
        theta, phi, sigma = rng.normal(0.0, jitter, size=(3, n))
        c, s = np.cos(theta), np.sin(theta)
        A = np.empty((n, 2, 2))
        A[:, 0, 0] = np.exp(sigma) * c
        A[:, 0, 1] = np.tan(phi) - s
        A[:, 1, 0] = s
        A[:, 1, 1] = c
        moved = np.einsum("nij,nj->ni", A[owner], values)
        out.extend(np.split(moved, cuts))
    return out


class TrajectoryClassifier(ClassifierMixin, TransformerMixin, BaseEstimator):
    r"""Classify pen trajectories of any length without gradient descent.

    Three closed-form steps:

    1. :class:`~veob.spectral.TrajectoryTransformer`: every trajectory is
       centred and scaled, resampled along its arc length, and its per-point
       features (position, unit direction, turning) are reduced to their
       ``n_freqs`` lowest cosine coefficients -- a fixed vector whatever the
       number of points;
    2. :class:`~veob.SVDEmbedder` (VEOB, centred): the vectors on the top
       ``n_components`` right singular vectors of the training matrix;
    3. a closed-form head on the embedding: ridge least squares on one-hot
       targets over Nystroem features of a Gaussian kernel
       (:class:`~veob.models.LeastSquaresClassifier`, ``head="rbf"``), the
       same on the embedding itself (``"linear"``), or a vote of the exact
       nearest training trajectories (:class:`~veob.partition.CellIndex`,
       ``"knn"``).

    The training trajectories are first multiplied by ``n_augment`` random
    affine distortions each (rotation, shear, stretch; seeded from
    ``random_state``), which stand in for the writers absent from the
    training set.

    Parameters
    ----------
    n_freqs : int, default=8
        Cosine coefficients kept per feature dimension (>= 1).
    features : tuple of str, default=("xy", "direction", "curvature")
        Per-point features of the spectral transform (see
        :class:`~veob.spectral.TrajectoryTransformer`).
    resample : int or None, default=32
        Points every trajectory is resampled to, evenly along its arc
        length (>= 2), before the transform; None keeps the given points.
    n_augment : int, default=4
        Distorted copies of every training trajectory added to the fit
        (>= 0); 0 fits on the given trajectories only.
    jitter : float, default=0.12
        Standard deviation of the rotation and shear angles (radians) and of
        the log-stretch of the distortions (>= 0).
    n_components : int or None, default=None
        Dimension of the SVD embedding; None keeps every component
        (``min(n_samples, n_features)``). An int is clipped to that bound.
    head : {"rbf", "linear", "knn"}, default="rbf"
        The classifier on the embedding (see above).
    alpha : float, default=0.01
        Ridge penalty of the ``"rbf"`` and ``"linear"`` heads (>= 0).
    n_landmarks : int, default=1000
        Nystroem landmarks of the ``"rbf"`` head (>= 1).
    n_neighbors : int, default=1
        Training trajectories (augmented copies included) voting in the
        ``"knn"`` head (>= 1).
    random_state : int, RandomState instance or None, default=None
        Seeds the distortions, the SVD, the landmarks, the calibration slice
        of the ridge heads and the partitions of the indexes.
    n_jobs : int or None, default=None
        Threads of the numba and BLAS kernels (None: the enclosing joblib
        context's n_jobs, else leave the current setting; -1: all cores).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    transformer_ : TrajectoryTransformer
        The fitted spectral transform.
    embedder_ : SVDEmbedder
        The fitted SVD embedding.
    head_ : LeastSquaresClassifier or None
        The fitted ridge head (None for ``head="knn"``).
    index_ : CellIndex
        Exact nearest-neighbour index of the embedded training trajectories
        as given to ``fit`` (no augmented copies): :meth:`kneighbors`
        returns row numbers of that training set.
    vote_index_ : CellIndex or None
        For ``head="knn"``, the index of every fitted row (augmented copies
        included), whose labels are ``vote_labels_``.
    vote_labels_ : ndarray or None
        Class positions (into ``classes_``) of the rows of ``vote_index_``.
    n_train_ : int
        Number of training trajectories (without the copies).
    n_features_in_ : int
        Only when ``fit`` got a 2-D array of flattened ``x, y`` rows.

    See Also
    --------
    veob.spectral.TrajectoryTransformer : Step 1 on its own.
    veob.models.LeastSquaresClassifier : The ridge head.
    veob.partition.CellIndex : The exact nearest-neighbour search.

    Notes
    -----
    With the spectral vectors :math:`f(T) \in \mathbb{R}^{D}` of trajectory
    T, their mean :math:`\bar f` and the top-k right singular vectors
    :math:`V_k` of the centred training matrix, the embedding is
    :math:`p(T) = V_k^T (f(T) - \bar f)`. The ``"rbf"`` head scores class c by
    :math:`s_c(T) = \sum_j W_{jc}\, \phi_j(p(T)) + b_c`, with
    :math:`\phi(p) = k(p, L) K_{LL}^{-1/2}` the Nystroem features of
    :math:`k(p, q) = \exp(-\gamma \|p - q\|^2)` on landmarks L and W, b the
    ridge solution :math:`\min \|\Phi W + 1 b^T - Y\|^2 + \alpha \|W\|^2`
    for one-hot Y. ``predict_proba`` is a softmax of the scores at a
    temperature fitted on a held-out slice (ridge heads) or the vote shares
    (``"knn"``).

    The spectral vectors use a basis stretched to each trajectory's length
    (a midpoint-rule estimate of the cosine series of the curve), so a
    trajectory resampled to another number of points keeps nearly the same
    vector and the model needs no refitting.

    The defaults were chosen by 5-fold cross-validation on the UCI pendigits
    training set (random folds: the file has no writer ids), see
    docs/pendigits.md.

    References
    ----------
    .. [1] F. Alimoglu, E. Alpaydin, "Combining multiple representations and
       classifiers for pen-based handwritten digit recognition", ICDAR 1997.
    .. [2] J. Zhang, J. Du, L. Dai, "A GRU-based encoder-decoder approach
       with attention for online handwritten mathematical expression
       recognition" (TAP), ICDAR 2017.
    .. [3] C. K. I. Williams, M. Seeger, "Using the Nystroem method to speed
       up kernel machines", NIPS 2001.

    Examples
    --------
    >>> import numpy as np
    >>> from veob.baselines import TrajectoryClassifier
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 2 * np.pi, 20)
    >>> circle, line = np.column_stack([np.cos(t), np.sin(t)]), np.column_stack([t, t])
    >>> X = [s + rng.normal(0, 0.05, s.shape) for s in [circle, line] * 20]
    >>> y = [0, 1] * 20
    >>> clf = TrajectoryClassifier(n_landmarks=20, random_state=0).fit(X, y)
    >>> clf.predict([circle[::2], line[:7]]).tolist()
    [0, 1]
    >>> dist, ind = clf.kneighbors([circle], n_neighbors=2)
    >>> [y[i] for i in ind[0]]
    [0, 0]
    """

    def __init__(self, n_freqs=8, *, features=("xy", "direction", "curvature"), resample=32, n_augment=4,
                 jitter=0.12, n_components=None, head="rbf", alpha=0.01, n_landmarks=1000, n_neighbors=1,
                 random_state=None, n_jobs=None):
        self.n_freqs = n_freqs
        self.features = features
        self.resample = resample
        self.n_augment = n_augment
        self.jitter = jitter
        self.n_components = n_components
        self.head = head
        self.alpha = alpha
        self.n_landmarks = n_landmarks
        self.n_neighbors = n_neighbors
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ input
    def _check_params(self):
        check_int(self.n_augment, "n_augment", low=0)
        check_real(self.jitter, "jitter", low=0)
        if self.n_components is not None:
            check_int(self.n_components, "n_components", low=1)
        if not isinstance(self.head, str) or self.head not in _HEADS:
            raise ValueError(f"head={self.head!r} must be one of {_HEADS}")
        check_real(self.alpha, "alpha", low=0)
        check_int(self.n_landmarks, "n_landmarks", low=1)
        check_int(self.n_neighbors, "n_neighbors", low=1)
        check_n_jobs(self.n_jobs)

    def _trajectories(self, X, reset):
        """Validated list of float64 (len_i, 2) arrays; errors name ``trajectories[i]``."""
        from ..spectral._trajectory import as_trajectories

        if _is_table(X) or (not reset and hasattr(self, "n_features_in_")):  # fitted on a table: a table
            X = validate_data(self, X, dtype=[np.float64, np.float32], reset=reset)
        elif reset and hasattr(self, "n_features_in_"):
            del self.n_features_in_
        return as_trajectories(X, "trajectories")

    def _embed(self, trajectories):
        return self.embedder_.transform(self.transformer_.transform(trajectories))

    # -------------------------------------------------------------------- fit
    def fit(self, trajectories, y):
        """Fit the transform, the embedding, the head and the index; returns self.

        Parameters
        ----------
        trajectories : list of array-like of shape (n_points_i, 2), or array of shape (n, L, 2) or (n, 2 L)
            Pen trajectories ``(x, y)`` in writing order, each with at least
            2 points, finite; a 2-D array holds flattened ``x1, y1, x2, ...``
            rows (the pendigits layout).
        y : array-like of shape (n_trajectories,)
            Class labels.

        Returns
        -------
        self : TrajectoryClassifier

        Raises
        ------
        ValueError
            If a trajectory has fewer than 2 points, NaN or infinity, or
            points that are not ``(x, y)`` pairs; the message names its
            index, ``trajectories[i]``.
        """
        from ..spectral import TrajectoryTransformer

        self._check_params()
        if y is None:
            raise ValueError("TrajectoryClassifier requires y to be passed, but the target y is None")
        items = self._trajectories(trajectories, reset=True)
        y = column_or_1d(np.asarray(y), warn=True)
        if y.shape[0] != len(items):
            raise ValueError(f"y has {y.shape[0]} labels; trajectories has {len(items)} trajectories")
        check_classification_targets(y)
        self.classes_, target = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(f"y has {self.classes_.shape[0]} class; at least 2 are required")
        rng = check_random_state(self.random_state)
        aug_seed, svd_seed, head_seed, index_seed = rng.randint(0, 2**31 - 1, size=4)
        transformer = TrajectoryTransformer(self.n_freqs, features=self.features, resample=self.resample)
        with thread_limits(self.n_jobs):
            self.transformer_ = transformer.fit(items[:1])
            fitted = items
            fitted_target = target
            if self.n_augment > 0:
                copies = augment_trajectories(items, self.n_augment, self.jitter,
                                              np.random.default_rng(aug_seed))
                fitted = items + copies
                fitted_target = np.tile(target, self.n_augment + 1)
            F = self.transformer_.transform(fitted)
            self._fit_rest(F, fitted_target, len(items), svd_seed, head_seed, index_seed)
        return self

    def _fit_rest(self, F, fitted_target, n_train, svd_seed, head_seed, index_seed):
        from ..decomposition import SVDEmbedder
        from ..models import LeastSquaresClassifier
        from ..partition import CellIndex

        k = min(F.shape)
        if self.n_components is not None:
            k = min(k, self.n_components)
        self.embedder_ = SVDEmbedder(n_components=k, center=True, random_state=svd_seed)
        P = self.embedder_.fit_transform(F)
        P = np.ascontiguousarray(P)
        self.head_ = None
        self.vote_index_ = None
        self.vote_labels_ = None
        if self.head == "knn":
            n_neighbors = min(self.n_neighbors, P.shape[0])
            self.vote_index_ = CellIndex(exact=True, random_state=index_seed, n_jobs=self.n_jobs).fit(P)
            self.vote_labels_ = fitted_target
            self._n_votes = n_neighbors
        else:
            self.head_ = LeastSquaresClassifier(alpha=self.alpha, kernel=self.head, n_components=self.n_landmarks,
                                                random_state=head_seed)
            self.head_.fit(P, fitted_target)
        # the original training rows come first in P
        if self.vote_index_ is not None and P.shape[0] == n_train:
            self.index_ = self.vote_index_
        else:
            self.index_ = CellIndex(exact=True, random_state=index_seed, n_jobs=self.n_jobs).fit(P[:n_train])
        self.n_train_ = n_train

    # ---------------------------------------------------------------- predict
    def _positions_proba(self, trajectories):
        """Probabilities over the class positions 0..n_classes-1."""
        check_is_fitted(self, "embedder_")
        items = self._trajectories(trajectories, reset=False)
        with thread_limits(self.n_jobs):
            P = np.ascontiguousarray(self._embed(items))
            if self.head_ is not None:
                return self.head_.predict_proba(P)
            ind = self.vote_index_.kneighbors(P, n_neighbors=self._n_votes, return_distance=False)
        votes = self.vote_labels_[ind]
        n_classes = self.classes_.shape[0]
        proba = np.zeros((votes.shape[0], n_classes))
        for j in range(votes.shape[1]):
            np.add.at(proba, (np.arange(votes.shape[0]), votes[:, j]), 1.0)
        # ties: the class of the nearest voter wins (a tiny bonus below one vote)
        proba[np.arange(votes.shape[0]), votes[:, 0]] += 0.5 / (votes.shape[1] + 1)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_proba(self, trajectories):
        """Class probabilities of each trajectory.

        Parameters
        ----------
        trajectories : list of array-like of shape (n_points_i, 2), or array of shape (n, L, 2) or (n, 2 L)
            Any number of points per trajectory (>= 2).

        Returns
        -------
        proba : ndarray of shape (n_trajectories, n_classes)
            Rows sum to 1; columns follow ``classes_``. Ridge heads: the
            calibrated softmax of the scores; ``"knn"``: the vote shares
            (the nearest voter's class breaks ties).
        """
        return self._positions_proba(trajectories)

    def predict(self, trajectories):
        """The most probable class of each trajectory.

        Parameters
        ----------
        trajectories : list of array-like of shape (n_points_i, 2), or array of shape (n, L, 2) or (n, 2 L)

        Returns
        -------
        y : ndarray of shape (n_trajectories,)
        """
        proba = self._positions_proba(trajectories)
        return self.classes_[np.argmax(proba, axis=1)]

    def transform(self, trajectories):
        """The SVD embedding of each trajectory (the vectors the head and the index see).

        Parameters
        ----------
        trajectories : list of array-like of shape (n_points_i, 2), or array of shape (n, L, 2) or (n, 2 L)

        Returns
        -------
        P : ndarray of shape (n_trajectories, n_components_)
        """
        check_is_fitted(self, "embedder_")
        items = self._trajectories(trajectories, reset=False)
        with thread_limits(self.n_jobs):
            return self._embed(items)

    def kneighbors(self, trajectories=None, n_neighbors=5, return_distance=True):
        """The nearest training trajectories in the embedding space (exact, through CellIndex).

        Parameters
        ----------
        trajectories : list of array-like of shape (n_points_i, 2), array or None, default=None
            Queries; None: the training trajectories, each without itself.
        n_neighbors : int, default=5
            ``1 <= n_neighbors <= n_train_`` (``n_train_ - 1`` for None).
        return_distance : bool, default=True
            Also return the Euclidean distances in the embedding.

        Returns
        -------
        distances : ndarray of shape (n_queries, n_neighbors)
            Ascending; only when ``return_distance=True``.
        indices : ndarray of shape (n_queries, n_neighbors)
            Positions in the trajectories given to ``fit`` (int64), ordered
            by (distance, index).
        """
        check_is_fitted(self, "embedder_")
        if trajectories is None:
            return self.index_.kneighbors(None, n_neighbors=n_neighbors, return_distance=return_distance)
        items = self._trajectories(trajectories, reset=False)
        with thread_limits(self.n_jobs):
            P = np.ascontiguousarray(self._embed(items))
        return self.index_.kneighbors(P, n_neighbors=n_neighbors, return_distance=return_distance)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.non_deterministic = False
        return tags
