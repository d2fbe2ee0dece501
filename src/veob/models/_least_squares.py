r"""LeastSquaresClassifier: ridge regression on one-hot targets, in closed form."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._progress import check_progress, stage
from .._validation import check_int, check_random_state, validate_data
from ._calibration import SoftmaxProbaMixin, fit_temperature
from ._nystroem import auto_gamma, fit_nystroem, nystroem_features

__all__ = ["LeastSquaresClassifier"]

# values per row block when streaming over the samples (bounded memory)
_BLOCK_VALUES = 1 << 23
_SOLVERS = ("auto", "primal", "dual")
_KERNELS = ("linear", "rbf")


def _check_alpha(alpha):
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, numbers.Real) or not np.isfinite(alpha) \
            or alpha < 0:
        raise ValueError(f"alpha={alpha!r} must be a finite number >= 0")
    return float(alpha)


def _check_fraction(value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"calibration_fraction={value!r} must be a number in [0, 1)")
    return float(value)


def _row_block(n_features):
    return max(1, _BLOCK_VALUES // max(n_features, 1))


def _solve_spd(A, B, alpha):
    """Solve ``(A + alpha I) W = B`` for symmetric PSD ``A`` (float64).

    Cholesky when the shifted matrix is positive definite, otherwise the
    minimum-norm solution through the eigendecomposition (pseudo-inverse,
    eigenvalues below ``n eps max`` treated as zero).
    """
    A = np.array(A, dtype=np.float64)
    A.flat[::A.shape[0] + 1] += alpha
    B = np.asarray(B, dtype=np.float64)
    try:
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(A, lower=True, check_finite=False), B,
                                      check_finite=False)
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(A)
        cutoff = A.shape[0] * np.finfo(np.float64).eps * max(float(np.abs(w).max()), 1e-300)
        inv = np.where(w > cutoff, 1.0 / np.where(w > cutoff, w, 1.0), 0.0)
        return V @ (inv[:, None] * (V.T @ B))


def _moments(X, Y, rows):
    """Centred second moments of ``X[rows]``: (count, x mean, y mean, Gram (X dtype), cross (float64))."""
    x_mean = X[rows].mean(axis=0, dtype=np.float64)
    y_mean = Y[rows].mean(axis=0)
    xm = x_mean.astype(X.dtype)
    G = np.zeros((X.shape[1], X.shape[1]), dtype=X.dtype)
    B = np.zeros((X.shape[1], Y.shape[1]))
    step = _row_block(X.shape[1])
    for lo in range(0, rows.shape[0], step):
        block = X[rows[lo:lo + step]] - xm
        G += block.T @ block
        B += block.T.astype(np.float64) @ (Y[rows[lo:lo + step]] - y_mean)
    return rows.shape[0], x_mean, y_mean, G, B


def _merge_moments(a, b):
    """Moments of the union of two disjoint row sets (parallel-axis theorem)."""
    na, xa, ya, Ga, Ba = a
    nb, xb, yb, Gb, Bb = b
    n = na + nb
    dx, dy = xa - xb, ya - yb
    w = na * nb / n
    G = Ga.astype(np.float64) + Gb + w * np.outer(dx, dx)
    B = Ba + Bb + w * np.outer(dx, dy)
    return n, (na * xa + nb * xb) / n, (na * ya + nb * yb) / n, G, B


def _solve_primal(moments, alpha):
    _, x_mean, y_mean, G, B = moments
    coef = _solve_spd(G, B, alpha)
    return coef, y_mean - x_mean @ coef


def _solve_dual(X, Y, rows, alpha):
    x_mean = X[rows].mean(axis=0, dtype=np.float64)
    y_mean = Y[rows].mean(axis=0)
    Xc = X[rows] - x_mean.astype(X.dtype)
    dual = _solve_spd(Xc @ Xc.T, Y[rows] - y_mean, alpha)
    coef = Xc.T.astype(np.float64) @ dual
    return coef, y_mean - x_mean @ coef


class LeastSquaresClassifier(SoftmaxProbaMixin, ClassifierMixin, BaseEstimator):
    r"""Ridge least squares on one-hot targets, solved in closed form.

    Parameters
    ----------
    alpha : float, default=0.1
        Ridge penalty :math:`\alpha \ge 0` on the weights, as in
        :class:`sklearn.linear_model.Ridge` (unscaled: it acts on the sum of
        squared residuals). ``alpha=0`` gives the minimum-norm least-squares
        solution. The defaults (``alpha=0.1``, ``kernel="rbf"``) were chosen
        on a validation split of the MNIST and Fashion-MNIST training sets
        with :class:`~veob.images.PatchEmbedder` features (docs/images.md).
    kernel : {"linear", "rbf"}, default="rbf"
        ``"linear"``: ridge on X itself. ``"rbf"``: ridge on Nystroem
        features of the Gaussian kernel
        :math:`k(x, x') = \exp(-\gamma \|x - x'\|^2)` with
        ``n_components`` landmarks (kernel ridge regression, approximately;
        exactly when there are at most ``n_components`` fitting rows).
    n_components : int, default=8192
        Landmarks of the ``"rbf"`` kernel (a seeded random subset of the
        fitting rows). Chosen on the Fashion-MNIST validation split:
        90.99 % with 4,096, 91.62 % with 8,192 (fit cost grows as
        :math:`n m^2 + m^3`: ~3 minutes for 60,000 rows on 2 cores).
    gamma : "auto" or float, default="auto"
        Width of the ``"rbf"`` kernel; ``"auto"`` is one over the median
        squared distance between pairs of up to 1,000 seeded training rows.
    solver : {"auto", "primal", "dual"}, default="auto"
        ``"primal"`` solves the :math:`d \times d` system
        :math:`(X_c^T X_c + \alpha I) W = X_c^T Y_c`, ``"dual"`` the
        :math:`n \times n` system :math:`(X_c X_c^T + \alpha I) A = Y_c`,
        :math:`W = X_c^T A`; ``"auto"`` picks the smaller one. Both are
        solved by Cholesky in float64 (the eigendecomposition when the
        matrix is singular, e.g. ``alpha=0``).
    calibration_fraction : float, default=0.1
        Fraction of the training rows (a seeded random slice) held out to fit
        the softmax temperature of :meth:`predict_proba`; the model is then
        refitted on all rows. 0 skips the calibration (temperature 1).
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of the calibration slice.
    progress : bool, default=False
        Show tqdm progress on stderr for the stages of ``fit`` (Nystroem
        features, calibration solve, final solve).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_classes, n_features)
        Weights of each class's score (float64).
    intercept_ : ndarray of shape (n_classes,)
        Intercept of each class's score.
    temperature_ : float
        Softmax temperature of :meth:`predict_proba`.
    gamma_ : float
        The kernel width used (``kernel="rbf"``).
    landmarks_ : ndarray of shape (n_landmarks, n_features)
        The Nystroem landmarks (``kernel="rbf"``).
    nystroem_map_ : ndarray of shape (n_landmarks, n_kernel_features)
        :math:`T = V_k W_k^{-1/2}` from the eigendecomposition of the
        landmarks' kernel matrix (``kernel="rbf"``); ``coef_`` acts on
        :math:`\phi(x) = k(x, L)\, T`.
    solver_ : str
        The form used, ``"primal"`` or ``"dual"``.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    sklearn.linear_model.RidgeClassifier : The same model with targets in {-1, 1}.
    veob.images.PatchEmbedder : Image features for this head.
    JointEmbeddingClassifier : The paper's section-8 classifier.

    Notes
    -----
    With one-hot targets :math:`Y \in \{0, 1\}^{n \times L}`, column means
    :math:`\bar x, \bar y` and centred :math:`X_c, Y_c`, the weights minimise
    :math:`\|X_c W - Y_c\|_F^2 + \alpha \|W\|_F^2`:

    .. math::

        W = (X_c^T X_c + \alpha I)^{-1} X_c^T Y_c
          = X_c^T (X_c X_c^T + \alpha I)^{-1} Y_c, \qquad
        b = \bar y - W^T \bar x,

    and the scores are :math:`s(x) = W^T x + b` (``decision_function``);
    ``predict`` returns the class of the largest score. These are 2 x
    RidgeClassifier's scores + 1 (its targets are :math:`2Y - 1`), so both
    predict the same classes. The Gram matrix is accumulated in the input
    dtype (float32 stays float32) over row blocks of the centred data, so
    memory stays :math:`O(d^2)` plus one block.

    With ``kernel="rbf"`` the same ridge runs on
    :math:`\phi(x) = k(x, L) V_k W_k^{-1/2}`, where
    :math:`k(L, L) = V W V^T` is the eigendecomposition (a VEOB) of the
    kernel matrix of the landmarks L (eigenvalues below :math:`10^{-6}`
    times the largest dropped), so that
    :math:`\phi(x)^T \phi(x') = k(x, L) k(L, L)^+ k(L, x')` (Williams &
    Seeger 2001): kernel ridge regression restricted to the span of the
    landmarks, at cost :math:`O(n m d + n m^2)` for m landmarks.

    ``predict_proba`` is :math:`\mathrm{softmax}(s(x) / T)`. The temperature
    T is fitted by maximum likelihood on the held-out calibration slice,
    scored by a model fitted on the other rows (temperature scaling, Guo et
    al. 2017); in the primal form the Gram matrix of the whole training set
    is assembled from the two slices' Gram matrices (parallel-axis
    theorem), so calibration costs one extra Cholesky, not a second pass.

    References
    ----------
    .. [1] A. E. Hoerl, R. W. Kennard, "Ridge regression", Technometrics
       12(1), 1970.
    .. [2] C. Guo, G. Pleiss, Y. Sun, K. Q. Weinberger, "On calibration of
       modern neural networks", ICML 2017.
    .. [3] C. K. I. Williams, M. Seeger, "Using the Nystroem method to
       speed up kernel machines", NIPS 2001.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from veob.models import LeastSquaresClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LeastSquaresClassifier(random_state=0).fit(X[:1500], y[:1500])
    >>> bool(clf.score(X[1500:], y[1500:]) > 0.94)
    True
    >>> linear = LeastSquaresClassifier(alpha=1.0, kernel="linear", random_state=0).fit(X[:1500], y[:1500])
    >>> bool(linear.score(X[1500:], y[1500:]) > 0.84)
    True
    >>> clf.predict_proba(X[1500:1502]).shape
    (2, 10)
    """

    def __init__(self, alpha=0.1, *, kernel="rbf", n_components=8192, gamma="auto", solver="auto",
                 calibration_fraction=0.1, random_state=None, progress=False):
        self.alpha = alpha
        self.kernel = kernel
        self.n_components = n_components
        self.gamma = gamma
        self.solver = solver
        self.calibration_fraction = calibration_fraction
        self.random_state = random_state
        self.progress = progress

    def _check_params(self):
        alpha = _check_alpha(self.alpha)
        fraction = _check_fraction(self.calibration_fraction)
        if not isinstance(self.solver, str) or self.solver not in _SOLVERS:
            raise ValueError(f"solver={self.solver!r} must be one of {_SOLVERS}")
        if not isinstance(self.kernel, str) or self.kernel not in _KERNELS:
            raise ValueError(f"kernel={self.kernel!r} must be one of {_KERNELS}")
        check_int(self.n_components, "n_components", low=1)
        gamma = self.gamma
        if not (isinstance(gamma, str) and gamma == "auto"):
            if isinstance(gamma, (bool, np.bool_)) or not isinstance(gamma, numbers.Real) \
                    or not np.isfinite(gamma) or gamma <= 0:
                raise ValueError(f"gamma={gamma!r} must be 'auto' or a finite number > 0")
        return alpha, fraction

    def fit(self, X, y):
        """Fit the weights and the softmax temperature; returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite features; float32 stays float32, other types become float64.
        y : array-like of shape (n_samples,)
            Class labels.
        """
        alpha, fraction = self._check_params()
        show = check_progress(self.progress)
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C")
        check_classification_targets(y)
        self.classes_, target = np.unique(y, return_inverse=True)
        n = X.shape[0]
        Y = np.zeros((n, self.classes_.shape[0]))
        Y[np.arange(n), target] = 1.0
        rng = check_random_state(self.random_state)
        n_cal = int(round(fraction * n))
        calibrate = n_cal >= 1 and n - n_cal >= 1 and self.classes_.shape[0] > 1
        if calibrate:
            perm = rng.permutation(n)
            cal, rest = np.sort(perm[:n_cal]), np.sort(perm[n_cal:])
        else:
            cal, rest = np.arange(0), np.arange(n)
        if self.kernel == "rbf":
            with stage(show, f"LeastSquaresClassifier.fit: Nystroem features ({self.n_components} landmarks)"):
                self.gamma_ = auto_gamma(X, rng) if isinstance(self.gamma, str) else float(self.gamma)
                # landmarks from the fitting rows only: the calibration slice stays unseen
                self.landmarks_, self.nystroem_map_ = fit_nystroem(X, rest, self.n_components, self.gamma_, rng)
                X = nystroem_features(X, self.landmarks_, self.gamma_, self.nystroem_map_)
        d = X.shape[1]
        form = self.solver if self.solver != "auto" else ("primal" if d <= n else "dual")
        self.temperature_ = 1.0
        with stage(show, f"LeastSquaresClassifier.fit: {form} solve ({n} x {d})"):
            self._solve(form, X, Y, rest, cal, target, alpha, calibrate, n)
        return self

    def _solve(self, form, X, Y, rest, cal, target, alpha, calibrate, n):
        if form == "primal":
            moments = _moments(X, Y, rest)
            if calibrate:
                coef, intercept = _solve_primal(moments, alpha)
                scores = X[cal] @ coef.astype(X.dtype) + intercept
                self.temperature_ = fit_temperature(scores, target[cal])
                moments = _merge_moments(moments, _moments(X, Y, cal))
            coef, intercept = _solve_primal(moments, alpha)
        else:
            if calibrate:
                coef, intercept = _solve_dual(X, Y, rest, alpha)
                scores = X[cal] @ coef.astype(X.dtype) + intercept
                self.temperature_ = fit_temperature(scores, target[cal])
            coef, intercept = _solve_dual(X, Y, np.arange(n), alpha)
        self.coef_ = np.ascontiguousarray(coef.T)
        self.intercept_ = intercept
        self.solver_ = form

    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C", reset=False)
        if self.kernel == "rbf":
            X = nystroem_features(X, self.landmarks_.astype(X.dtype), self.gamma_,
                                  self.nystroem_map_.astype(X.dtype))
        return X @ self.coef_.T.astype(X.dtype) + self.intercept_.astype(X.dtype)

    _softmax_scores = _scores  # the scores behind predict_proba (SoftmaxProbaMixin)

    def decision_function(self, X):
        """Class scores :math:`W^T x + b`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            For two classes, the score of ``classes_[1]`` minus that of
            ``classes_[0]`` (scikit-learn's binary convention).
        """
        scores = self._scores(X)
        if self.classes_.shape[0] == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def predict(self, X):
        """Class with the largest score (the first one on ties).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        scores = self._scores(X)
        return self.classes_[np.argmax(scores, axis=1)]

