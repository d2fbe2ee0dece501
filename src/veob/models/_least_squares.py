r"""LeastSquaresClassifier: ridge regression on one-hot targets, in closed form."""

from __future__ import annotations

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._progress import check_progress, stage
from .._validation import check_int, check_random_state, check_real, validate_data
from ._calibration import SoftmaxProbaMixin, fit_temperature
from ._nystroem import auto_gamma, fit_nystroem, nystroem_features

__all__ = ["LeastSquaresClassifier"]

# values per row block when streaming over the samples (bounded memory)
_BLOCK_VALUES = 1 << 23
_SOLVERS = ("auto", "primal", "dual")
_KERNELS = ("linear", "rbf")


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
        return _pinv_solve(*np.linalg.eigh(A), B)


def _pinv_solve(w, V, B):
    """Minimum-norm ``A^+ B`` from ``A = V diag(w) V^T`` (eigenvalues below ``n eps max`` treated as zero)."""
    cutoff = V.shape[0] * np.finfo(np.float64).eps * max(float(np.abs(w).max()), 1e-300)
    inv = np.where(w > cutoff, 1.0 / np.where(w > cutoff, w, 1.0), 0.0)
    return V @ (inv[:, None] * (V.T @ B))


def _syrk_update(G, Z):
    """``G += Z^T Z`` in place on the upper triangle of the Fortran-ordered G (BLAS syrk).

    Z is (b, d) in C order and G's dtype: ``Z.T`` is then Fortran-ordered,
    so neither array is copied; syrk does half the work of a product.
    """
    from scipy.linalg import blas

    syrk = blas.ssyrk if G.dtype == np.float32 else blas.dsyrk
    out = syrk(1.0, Z.T, beta=1.0, c=G, trans=0, lower=0, overwrite_c=1)
    if out is not G:  # pragma: no cover - f2py updates a Fortran-ordered c of the right dtype in place
        G[...] = out


def _solve_spd_upper(build, B):
    """Solve ``A W = B`` for the SPD ``A = build()`` (float64, Fortran order, upper triangle read).

    Cholesky in place (no copy of A); when A is not numerically positive
    definite, ``build()`` is called again and the minimum-norm solution is
    taken through the eigendecomposition (pseudo-inverse, as :func:`_solve_spd`).
    """
    try:
        factor = scipy.linalg.cho_factor(build(), lower=False, overwrite_a=True, check_finite=False)
        return scipy.linalg.cho_solve(factor, B, check_finite=False)
    except np.linalg.LinAlgError:
        return _pinv_solve(*scipy.linalg.eigh(build(), lower=False, overwrite_a=True, check_finite=False), B)


class RidgeMoments:
    r"""Moments of (features, targets) about a fixed shift, for a ridge solved in closed form.

    For rows :math:`x_i` with targets :math:`y_i` and a shift c (any
    vector; near the mean it keeps the sums small and the float32 Gram
    accurate), with :math:`z_i = x_i - c`, keeps the count n,
    :math:`\sum z_i` and :math:`\sum y_i` (float64),
    :math:`G = \sum z_i z_i^T` (upper triangle, one Fortran-ordered buffer in
    the features' dtype, updated in place by BLAS syrk) and
    :math:`B = \sum z_i y_i^T` (float64). Moments of disjoint row sets with
    the same shift add up, so the rows can come in any blocks.

    :meth:`solve` centres in float64 --
    :math:`G_c = G - n \bar z \bar z^T`, :math:`B_c = B - n \bar z \bar y^T`
    (the shift cancels exactly) -- and solves
    :math:`(G_c + \alpha I) W = B_c` by Cholesky in one float64 buffer;
    :math:`b = \bar y - (c + \bar z)^T W`. Memory: :math:`d^2` values in the
    features' dtype plus :math:`d^2` float64 during a solve.
    """

    def __init__(self, shift, n_targets):
        self.shift = np.asarray(shift)
        d = self.shift.shape[0]
        self.n = 0
        self.sz = np.zeros(d)
        self.sy = np.zeros(n_targets)
        self.G = np.zeros((d, d), dtype=self.shift.dtype, order="F")
        self.B = np.zeros((d, n_targets))

    def add(self, F, Y, *, overwrite=False):
        """Add the rows of F (n_rows, d) with targets Y (n_rows, n_targets).

        ``overwrite=True`` lets the shift be subtracted in F itself (a
        temporary of the caller's) instead of a copy.
        """
        if F.shape[0] == 0:
            return
        if overwrite and F.dtype == self.G.dtype and F.flags.c_contiguous and F.flags.writeable:
            Z = F
            Z -= self.shift
        else:
            Z = np.subtract(F, self.shift, dtype=self.G.dtype)
        self.n += Z.shape[0]
        self.sz += Z.sum(axis=0, dtype=np.float64)
        self.sy += np.sum(Y, axis=0)
        _syrk_update(self.G, Z)
        step = _row_block(8 * Z.shape[1])  # float64 copies of a few MB at a time
        for lo in range(0, Z.shape[0], step):
            self.B += Z[lo:lo + step].T.astype(np.float64) @ Y[lo:lo + step]

    def solve(self, alpha):
        """Ridge weights (d, n_targets) and intercepts (n_targets,), float64."""
        from scipy.linalg import blas

        n = self.n
        z_mean, y_mean = self.sz / n, self.sy / n

        def build():
            A = np.array(self.G, dtype=np.float64, order="F")
            A = blas.dsyr(-float(n), z_mean, a=A, lower=0, overwrite_a=1)
            A[np.diag_indices(A.shape[0])] += alpha
            return A

        coef = _solve_spd_upper(build, self.B - n * np.outer(z_mean, y_mean))
        x_mean = self.shift.astype(np.float64) + z_mean
        return coef, y_mean - x_mean @ coef


def _solve_dual(X, Y, alpha):
    r"""Ridge weights (d, n_targets) and intercepts of rows X (n, d) in the dual form.

    :math:`W = X_c^T (X_c X_c^T + \alpha I)^{-1} Y_c` with centred :math:`X_c, Y_c`
    (the n x n Gram in X's dtype, the solve in float64): cheaper than the
    primal form when there are fewer rows than features.
    """
    x_mean = X.mean(axis=0, dtype=np.float64)
    y_mean = Y.mean(axis=0)
    Xc = X - x_mean.astype(X.dtype)
    dual = _solve_spd(Xc @ Xc.T, Y - y_mean, alpha)
    coef = Xc.T.astype(np.float64) @ dual
    return coef, y_mean - x_mean @ coef


class RowMoments:
    """The rows themselves, for the dual form (fewer rows than features).

    Same interface as :class:`RidgeMoments` -- ``add(F, Y)`` in blocks, then
    ``solve(alpha)`` -- with the rows kept and :func:`_solve_dual` solved in
    float64.
    """

    def __init__(self, n_targets):
        self.features, self.targets = [], []
        self.n_targets = n_targets

    def add(self, F, Y, *, overwrite=False):
        """Keep the rows of F (n_rows, d) and their targets Y (``overwrite`` is accepted and ignored)."""
        if F.shape[0]:
            self.features.append(F)
            self.targets.append(Y)

    def solve(self, alpha):
        """Ridge weights (d, n_targets) and intercepts (n_targets,), float64."""
        return _solve_dual(np.concatenate(self.features).astype(np.float64), np.concatenate(self.targets), alpha)


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
    predict the same classes. The primal form streams: the features of one
    block of rows at a time (Nystroem features included) update the Gram
    matrix of the rows shifted by an estimate of their mean, in the input
    dtype (float32 stays float32) and in place (BLAS ``syrk``); the mean is
    removed exactly in float64 before the Cholesky solve. Memory stays
    :math:`O(d^2)` plus one block: the :math:`n \times d` feature matrix is
    never formed.

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
    al. 2017); in the primal form the calibration rows' features are kept
    and added to the same Gram matrix afterwards (the moments about a common
    shift add up), so calibration costs one extra Cholesky, not a second
    pass.

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
        alpha = check_real(self.alpha, "alpha", low=0)
        fraction = check_real(self.calibration_fraction, "calibration_fraction", low=0, high=1, high_inclusive=False)
        if not isinstance(self.solver, str) or self.solver not in _SOLVERS:
            raise ValueError(f"solver={self.solver!r} must be one of {_SOLVERS}")
        if not isinstance(self.kernel, str) or self.kernel not in _KERNELS:
            raise ValueError(f"kernel={self.kernel!r} must be one of {_KERNELS}")
        check_int(self.n_components, "n_components", low=1)
        check_real(self.gamma, "gamma", low=0, low_inclusive=False, allow=("auto",))
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
            d = self.nystroem_map_.shape[1]
        else:
            d = X.shape[1]
        form = self.solver if self.solver != "auto" else ("primal" if d <= n else "dual")
        self.temperature_ = 1.0
        with stage(show, f"LeastSquaresClassifier.fit: {form} solve ({n} x {d})"):
            self._solve(form, X, Y, rest, cal, target, alpha, calibrate, n)
        return self

    def _solve(self, form, X, Y, rest, cal, target, alpha, calibrate, n):
        if form == "primal":
            coef, intercept = self._fit_primal(X, Y, target, cal, calibrate, alpha)
        else:
            F = self._features(X)
            if calibrate:
                coef, intercept = _solve_dual(F[rest], Y[rest], alpha)
                scores = F[cal] @ coef.astype(F.dtype) + intercept
                self.temperature_ = fit_temperature(scores, target[cal])
            coef, intercept = _solve_dual(F, Y, alpha)
        self.coef_ = np.ascontiguousarray(coef.T)
        self.intercept_ = intercept
        self.solver_ = form

    def _features(self, X):
        """The features the weights act on: X, or its Nystroem features (X's dtype)."""
        if self.kernel != "rbf":
            return X
        return nystroem_features(X, self.landmarks_.astype(X.dtype, copy=False), self.gamma_,
                                 self.nystroem_map_.astype(X.dtype, copy=False))

    def _fit_primal(self, X, Y, target, cal, calibrate, alpha):
        """The d x d ridge over row blocks of the features (the n x d feature matrix is never formed).

        The moments are taken about the mean feature of up to one block of
        evenly spaced rows; the calibration rows' features are kept to be
        scored by the model fitted without them, then added to the moments.
        """
        n = X.shape[0]
        step = _row_block(max(X.shape[1], self.landmarks_.shape[0] if self.kernel == "rbf" else 0))
        probe = np.unique(np.linspace(0, n - 1, min(n, step)).astype(np.int64))
        moments = RidgeMoments(self._features(X[probe]).mean(axis=0, dtype=np.float64).astype(X.dtype),
                               Y.shape[1])
        is_cal = np.zeros(n, dtype=bool)
        is_cal[cal] = True
        F_cal = np.empty((cal.shape[0], moments.G.shape[0]), dtype=X.dtype)  # rows of cal, in order
        filled = 0
        for lo in range(0, n, step):
            F = self._features(X[lo:lo + step])
            fresh = F is not X and not np.shares_memory(F, X)  # a temporary: shifted in place
            mask = is_cal[lo:lo + step]
            if mask.any():
                count = int(mask.sum())
                F_cal[filled:filled + count] = F[mask]
                filled += count
                F, Yb, fresh = F[~mask], Y[lo:lo + step][~mask], True
            else:
                Yb = Y[lo:lo + step]
            moments.add(F, Yb, overwrite=fresh)
            del F
        if calibrate:
            coef, intercept = moments.solve(alpha)
            scores = F_cal @ coef.astype(F_cal.dtype) + intercept
            self.temperature_ = fit_temperature(scores, target[cal])
            moments.add(F_cal, Y[cal], overwrite=True)
        del F_cal
        return moments.solve(alpha)

    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C", reset=False)
        W = self.coef_.T.astype(X.dtype)
        b = self.intercept_.astype(X.dtype)
        if self.kernel != "rbf":
            return X @ W + b
        out = np.empty((X.shape[0], W.shape[1]), dtype=X.dtype)
        step = _row_block(max(X.shape[1], self.nystroem_map_.shape[0]))
        for lo in range(0, X.shape[0], step):  # row blocks: the Nystroem features are never all formed
            out[lo:lo + step] = self._features(X[lo:lo + step]) @ W + b
        return out

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

