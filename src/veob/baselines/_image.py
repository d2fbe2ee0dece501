r"""A backprop-free colour image classifier: multi-scale PatchEmbedder features + ridge."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._threads import thread_limits
from .._validation import check_int, check_random_state, check_real
from ..models._least_squares import RidgeMoments, RowMoments

__all__ = ["ImageClassifier"]

_COLOURS = ("rgb", "opponent")
# images per batch of the feature pass (bounded memory: a few hundred MB at 128 x 128)
_DEFAULT_BATCH = 1000
_PLATT_ITERATIONS = 50


class ImageClassifier(ClassifierMixin, TransformerMixin, BaseEstimator):
    r"""Colour image classifier without gradient descent: PatchEmbedder at several scales + ridge.

    Three closed-form parts:

    1. **Resizing** of every image to each of ``sizes`` (area averaging, a
       fixed linear map), optionally turned into opponent colour planes.
    2. **PatchEmbedder** features at every scale (:class:`veob.images.PatchEmbedder`):
       two stages of SVD filter banks learned on colour patches, binary
       hashing of the second stage's responses, block histograms (square
       roots of frequencies) embedded on their top singular vectors. The
       features of all scales are concatenated.
    3. **Ridge head** on the features of the images and (``flip=True``)
       of their mirror images, solved in closed form from the Gram matrix
       accumulated over batches; the scores of an image are averaged with
       those of its mirror image. Probabilities come from Platt scaling of
       the scores of a held-out calibration slice (two numbers fitted by
       Newton's method), after which the ridge is re-solved on all images.

    Memory stays bounded: the features are computed in batches of
    ``batch_size`` images and only one :math:`d \times d` float32 Gram
    matrix (and the features of the calibration slice) are kept, plus one
    float64 :math:`d \times d` buffer while solving: 1.8 GB at the default
    :math:`d = 12{,}288`.

    Parameters
    ----------
    sizes : tuple of int, default=(64, 64, 32)
        Side of the square resized image of each scale (each ``>= 4``). A
        "scale" is one PatchEmbedder; two may share a size and differ in
        colour planes.
    patch_sizes : tuple of int, default=(5, 5, 3)
        Patch (filter) side of each scale, ``1 <= patch <= size``.
    block_sizes : tuple of int, default=(16, 16, 8)
        Pooling block side of each scale (``block_size`` of PatchEmbedder;
        blocks do not overlap).
    colours : tuple of {"rgb", "opponent"}, default=("rgb", "opponent", "rgb")
        Colour planes the filters of each scale see: the RGB channels, or
        the opponent planes :math:`((R+G+B)/\sqrt3, (R-G)/\sqrt2,
        (R+G-2B)/\sqrt6)`. The two give different filter banks (the patch
        mean is removed over all channels), hence different codes.
    n_filters : (int, int), default=(8, 8)
        Filters of the two stages of every PatchEmbedder (the second count is
        the number of code bits, at most 12).
    hist_components : int, default=32
        Dimension of the embedding of each block histogram.
    flip : bool, default=True
        Also fit on the left-right mirror image of every training image and
        average the scores of each image with those of its mirror image.
    alpha : float, default=300.0
        Ridge penalty on the weights (unscaled, as in sklearn's Ridge).
    calibration_fraction : float, default=0.1
        Fraction of the training images (seeded, stratified by class) held out to
        fit the probability calibration; the ridge is then re-solved on all
        images. 0 skips it (probabilities from the raw scores, no scaling).
    n_fit_images : int, default=2000
        Images (a seeded random subset) that learn the filter banks and the
        histogram embeddings.
    batch_size : int or None, default=None
        Images per batch of the feature pass (None: 1,000). The results do
        not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the fitting images of the embedders and the calibration slice.
    n_jobs : int or None, default=None
        Threads for the numba kernels and BLAS (None: the enclosing joblib
        context's n_jobs, else leave the current setting; -1: all cores).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (for Dogs vs Cats, 0 = cat, 1 = dog).
    embedders_ : list of PatchEmbedder
        The fitted embedder of every scale.
    coef_ : ndarray of shape (n_classes, n_features)
        Ridge weights of each class's score (float64).
    intercept_ : ndarray of shape (n_classes,)
    calibration_ : ndarray of shape (2,)
        ``(a, b)``: for two classes, :math:`P(\text{classes\_}[1] \mid x) =
        \sigma(a\, s(x) + b)` with :math:`s` the difference of the two class
        scores; for more classes ``a`` is the inverse softmax temperature and
        ``b`` is 0.
    n_features_ : int
        Dimension of the concatenated features.
    n_features_in_ : int
        ``h * w * 3`` of the fitted images (any image size is accepted later,
        as every image is resized).

    See Also
    --------
    veob.images.PatchEmbedder : The features of each scale.
    veob.models.LeastSquaresClassifier : The same ridge head, on stored features.
    veob.datasets.load_image_folder : Loads Kaggle Dogs vs Cats images.

    Notes
    -----
    **Resizing.** An image :math:`I` (per channel, :math:`h \times w`) becomes
    :math:`R_h I R_w^\top` at side s, where row i of :math:`R_h` averages the
    source pixels under the target pixel's span :math:`[i h / s, (i+1) h / s)`
    (weights proportional to the overlap, rows summing to 1).

    **Head.** With :math:`F` the features of the training images and of their
    mirror images, one-hot targets :math:`Y` (each image's row repeated),
    centred :math:`F_c, Y_c`,

    .. math:: W = (F_c^\top F_c + \alpha I)^{-1} F_c^\top Y_c, \qquad b = \bar y - W^\top \bar f,

    and the scores are :math:`s(x) = \tfrac12 (W^\top f(x) + W^\top f(\bar x)) + b`
    (:math:`\bar x` the mirror image). The Gram matrix of the features minus
    the mean feature of the first batch is accumulated in place in float32
    (BLAS ``syrk``); the exact mean is removed in float64 and the system is
    solved by Cholesky in one float64 buffer. With fewer
    training rows (images and mirror images) than features the equivalent
    dual form :math:`W = F_c^\top (F_c F_c^\top + \alpha I)^{-1} Y_c` is
    solved instead, from the kept rows.

    **Calibration.** For two classes, :math:`a, b` maximise the likelihood of
    :math:`\sigma(a s + b)` on the calibration slice scored by the ridge fitted
    without it (Platt 1999, with his smoothed targets
    :math:`(n_+ + 1)/(n_+ + 2)` and :math:`1/(n_- + 2)`), by Newton's method on
    the two parameters; the calibration slice's features are then added to
    the same Gram matrix and the final ridge is solved on all images, so
    calibration costs one extra solve, not a second pass over the images.

    Cost per image and scale of side s: :math:`O(s^2 k^2 (3 L_1 + L_1 L_2))`
    for the filters (twice with ``flip``); the head costs
    :math:`O(n d^2 + d^3)`.

    References
    ----------
    .. [1] T.-H. Chan, K. Jia, S. Gao, J. Lu, Z. Zeng, Y. Ma, "PCANet: A
       simple deep learning baseline for image classification?", IEEE
       Trans. Image Processing 24(12), 2015.
    .. [2] J. Platt, "Probabilistic outputs for support vector machines and
       comparisons to regularized likelihood methods", 1999.
    .. [3] VEOB & ST, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform".

    Examples
    --------
    >>> import numpy as np
    >>> from veob.baselines import ImageClassifier
    >>> rng = np.random.default_rng(0)
    >>> def texture(label, n):
    ...     # class 0: horizontal red stripes; class 1: vertical blue stripes
    ...     x = rng.integers(0, 60, (n, 32, 32, 3)).astype(np.uint8)
    ...     stripes = (np.arange(32) // 3 % 2 == 0)
    ...     if label == 0:
    ...         x[:, stripes, :, 0] += 150
    ...     else:
    ...         x[:, :, stripes, 2] += 150
    ...     return x
    >>> X = np.concatenate([texture(0, 40), texture(1, 40)])
    >>> y = np.repeat([0, 1], 40)
    >>> clf = ImageClassifier(sizes=(16,), patch_sizes=(3,), block_sizes=(8,), colours=("rgb",),
    ...                       n_filters=(4, 4), hist_components=8, alpha=1.0, random_state=0).fit(X, y)
    >>> clf.predict(np.concatenate([texture(0, 2), texture(1, 2)])).tolist()
    [0, 0, 1, 1]
    >>> clf.predict_proba(texture(1, 3)).shape
    (3, 2)
    """

    def __init__(self, *, sizes=(64, 64, 32), patch_sizes=(5, 5, 3), block_sizes=(16, 16, 8),
                 colours=("rgb", "opponent", "rgb"), n_filters=(8, 8), hist_components=32, flip=True,
                 alpha=300.0, calibration_fraction=0.1,
                 n_fit_images=2000, batch_size=None, random_state=None, n_jobs=None):
        self.sizes = sizes
        self.patch_sizes = patch_sizes
        self.block_sizes = block_sizes
        self.n_filters = n_filters
        self.hist_components = hist_components
        self.colours = colours
        self.flip = flip
        self.alpha = alpha
        self.calibration_fraction = calibration_fraction
        self.n_fit_images = n_fit_images
        self.batch_size = batch_size
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------ checks
    def _check_params(self):
        scales = []
        lengths = set()
        for name in ("sizes", "patch_sizes", "block_sizes"):
            value = getattr(self, name)
            if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
                value = (value,)
            if not isinstance(value, (tuple, list)) or len(value) == 0:
                raise TypeError(f"{name}={getattr(self, name)!r} must be a non-empty tuple of integers")
            scales.append(tuple(check_int(v, f"{name}[{i}]", low=1) for i, v in enumerate(value)))
            lengths.add(len(value))
        if len(lengths) != 1:
            raise ValueError(f"sizes={self.sizes!r}, patch_sizes={self.patch_sizes!r} and "
                             f"block_sizes={self.block_sizes!r} must have the same length (one entry per scale)")
        for i, (size, patch) in enumerate(zip(scales[0], scales[1])):
            if size < 4:
                raise ValueError(f"sizes[{i}]={size} must be >= 4")
            if patch > size:
                raise ValueError(f"patch_sizes[{i}]={patch} must be <= sizes[{i}]={size}")
        colours = (self.colours,) if isinstance(self.colours, str) else self.colours
        if not isinstance(colours, (tuple, list)) or len(colours) != len(scales[0]):
            raise ValueError(f"colours={self.colours!r} must hold one entry per scale ({len(scales[0])})")
        for i, colour in enumerate(colours):
            if not isinstance(colour, str) or colour not in _COLOURS:
                raise ValueError(f"colours[{i}]={colour!r} must be one of {_COLOURS}")
        scales.append(tuple(colours))
        if not isinstance(self.flip, (bool, np.bool_)):
            raise TypeError(f"flip={self.flip!r} must be True or False")
        alpha = check_real(self.alpha, "alpha", low=0, low_inclusive=False)
        fraction = check_real(self.calibration_fraction, "calibration_fraction", low=0, high=1, high_inclusive=False)
        check_int(self.hist_components, "hist_components", low=1)
        check_int(self.n_fit_images, "n_fit_images", low=1)
        if self.batch_size is not None:
            check_int(self.batch_size, "batch_size", low=1)
        return list(zip(*scales)), float(alpha), float(fraction)

    # ----------------------------------------------------------- fitting
    def fit(self, X, y):
        """Learn the filter banks, the ridge head and the calibration; returns self.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, 3)
            RGB images (uint8 0-255 or floats; the features depend on signs of
            filter responses only, so the scale does not matter).
        y : array-like of shape (n_images,)
            Class labels (at least two classes).

        Returns
        -------
        self : ImageClassifier
        """
        scales, alpha, fraction = self._check_params()
        X = _check_images(X, "X")
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y has shape {y.shape}; expected ({X.shape[0]},), one label per image")
        check_classification_targets(y)
        self.classes_, target = np.unique(y, return_inverse=True)
        n_classes = self.classes_.shape[0]
        if n_classes < 2:
            raise ValueError(f"y has {n_classes} class; a classifier needs at least 2")
        rng = check_random_state(self.random_state)
        n = X.shape[0]
        self.n_features_in_ = int(np.prod(X.shape[1:]))
        with thread_limits(self.n_jobs):
            self._fit_embedders(X, scales, rng)
            cal = _calibration_rows(target, fraction, rng)
            Y = np.zeros((n, n_classes))
            Y[np.arange(n), target] = 1.0
            is_cal = np.zeros(n, dtype=bool)
            is_cal[cal] = True
            moments, cal_views = self._moments(X, Y, is_cal)
            self.calibration_ = np.array([1.0, 0.0])
            if cal.size:
                coef, intercept = moments.solve(alpha)
                scores = self._scores_from_features(cal_views, coef, intercept)
                self.calibration_ = _fit_calibration(scores, target[cal], n_classes)
                for F in cal_views:  # the calibration slice joins the same moments
                    moments.add(F, Y[is_cal])
                del cal_views
            coef, intercept = moments.solve(alpha)
        self.coef_ = np.ascontiguousarray(coef.T)
        self.intercept_ = intercept
        return self

    def _fit_embedders(self, X, scales, rng):
        from ..images import PatchEmbedder

        n = X.shape[0]
        m = min(n, int(self.n_fit_images))
        subset = np.sort(rng.choice(n, m, replace=False)) if m < n else np.arange(n)
        sample = np.asarray(X[subset])
        n_filters = tuple(self.n_filters) if not isinstance(self.n_filters, numbers.Integral) else self.n_filters
        self.embedders_ = []
        self.scales_ = [(size, colour) for size, _, _, colour in scales]
        for size, patch, block, colour in scales:
            images = _prepare(sample, size, colour)
            embedder = PatchEmbedder(patch_size=patch, n_filters=n_filters, block_size=block,
                                     hist_components=self.hist_components, n_fit_images=m,
                                     random_state=rng.randint(2**31 - 1))
            self.embedders_.append(embedder.fit(images))
        self.n_features_ = sum(e._n_features_out for e in self.embedders_)

    def _features(self, images):
        """Concatenated features of all scales of one batch, float32 (n, n_features_)."""
        resized = {}
        blocks = []
        for (size, colour), embedder in zip(self.scales_, self.embedders_):
            if size not in resized:
                resized[size] = _resize(images, size)
            blocks.append(embedder.transform(_prepare(resized[size], size, colour)))
        return np.hstack(blocks)

    def _batches(self, n):
        step = int(self.batch_size) if self.batch_size is not None else _DEFAULT_BATCH
        return ((lo, min(lo + step, n)) for lo in range(0, n, step))

    def _views(self, batch):
        """The feature matrices of a batch: the images, and their mirror images with ``flip``."""
        yield self._features(batch)
        if self.flip:
            yield self._features(batch[:, :, ::-1])

    def _moments(self, X, Y, is_cal):
        """Moments of the non-calibration rows (all views), and the calibration slice's features.

        The primal moments (:class:`veob.models._least_squares.RidgeMoments`)
        are taken about the mean feature of the first batch: one float32
        Gram buffer updated in place, never a copy of it.
        """
        d, k = self.n_features_, Y.shape[1]
        keep_rows = X.shape[0] * (2 if self.flip else 1) <= d
        moments = RowMoments(k) if keep_rows else None
        n_cal = int(is_cal.sum())
        cal_views = [np.empty((n_cal, d), dtype=np.float32) for _ in range(2 if self.flip else 1)] if n_cal else []
        filled = 0
        for lo, hi in self._batches(X.shape[0]):
            views = list(self._views(np.asarray(X[lo:hi])))
            if moments is None:
                shift = sum(F.mean(axis=0, dtype=np.float64) for F in views) / len(views)
                moments = RidgeMoments(shift.astype(np.float32), k)
            mask = is_cal[lo:hi]
            count = int(mask.sum())
            for j, F in enumerate(views):
                if count:
                    cal_views[j][filled:filled + count] = F[mask]
                    moments.add(F[~mask], Y[lo:hi][~mask], overwrite=not keep_rows)
                else:
                    moments.add(F, Y[lo:hi], overwrite=not keep_rows)
            filled += count
            del views
        return moments, cal_views

    @staticmethod
    def _scores_from_features(views, coef, intercept):
        scores = sum(F.astype(np.float64) @ coef for F in views) / len(views)
        return scores + intercept

    # --------------------------------------------------------- predicting
    def transform(self, X):
        """The concatenated multi-scale features of the images (no mirror images).

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, 3)

        Returns
        -------
        features : ndarray of shape (n_images, n_features_)
            float32.
        """
        check_is_fitted(self, "coef_")
        X = _check_images(X, "X")
        with thread_limits(self.n_jobs):
            return np.concatenate([self._features(np.asarray(X[lo:hi])) for lo, hi in self._batches(X.shape[0])])

    def _class_scores(self, X):
        check_is_fitted(self, "coef_")
        X = _check_images(X, "X")
        out = np.empty((X.shape[0], self.classes_.shape[0]))
        with thread_limits(self.n_jobs):
            for lo, hi in self._batches(X.shape[0]):
                views = list(self._views(np.asarray(X[lo:hi])))
                out[lo:hi] = self._scores_from_features(views, self.coef_.T, self.intercept_)
        return out

    def decision_function(self, X):
        """Ridge scores, averaged with the mirror images' with ``flip``.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, 3)

        Returns
        -------
        scores : ndarray of shape (n_images,) or (n_images, n_classes)
            For two classes, the score of ``classes_[1]`` minus that of
            ``classes_[0]`` (positive: dog).
        """
        scores = self._class_scores(X)
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def predict(self, X):
        """The class of the largest score of each image.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, 3)

        Returns
        -------
        y : ndarray of shape (n_images,)
        """
        scores = self._class_scores(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        """Calibrated class probabilities; columns follow ``classes_`` (column 1 = dog).

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, 3)

        Returns
        -------
        proba : ndarray of shape (n_images, n_classes)
            Rows sum to 1.
        """
        return _probabilities(self._class_scores(X), self.calibration_)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags


# --------------------------------------------------------------- helpers

def _check_images(X, name):
    """A numeric (n, h, w, 3) array (uint8 kept; a memory map is not loaded)."""
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be an array of RGB images of shape (n, height, width, 3); got a string")
    arr = X if isinstance(X, np.ndarray) else np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {arr.dtype}; expected a numeric array of RGB images")
    if arr.ndim != 4 or arr.shape[-1] != 3:
        hint = "; pass X[None] for a single image" if arr.ndim == 3 and arr.shape[-1] == 3 else ""
        raise ValueError(f"{name} must have shape (n, height, width, 3) (RGB images); got shape {arr.shape}{hint}")
    if 0 in arr.shape:
        raise ValueError(f"{name} is empty (shape {arr.shape}); every axis must be non-empty")
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            bad = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise ValueError(f"{name} contains NaN or infinity (first at index {bad}); remove or impute them")
    return arr


def _prepare(images, size, colour):
    """Resize a batch to ``size`` and convert its colour planes (float32, C order)."""
    out = _resize(images, size)
    if colour == "opponent":
        r, g, b = out[..., 0], out[..., 1], out[..., 2]
        out = np.stack([(r + g + b) / np.sqrt(3.0), (r - g) / np.sqrt(2.0), (r + g - 2 * b) / np.sqrt(6.0)],
                       axis=-1).astype(np.float32)
    return np.ascontiguousarray(out)


def _area_matrix(n_in, n_out):
    """(n_out, n_in) matrix whose row i averages the source pixels under target pixel i."""
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    src = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, src + 1) - np.maximum(lo, src), 0.0, None)
    return (overlap / overlap.sum(axis=1, keepdims=True)).astype(np.float32)


def _resize(images, size):
    """Area-average resize of (n, h, w, c) images to (n, size, size, c) float32."""
    n, h, w, c = images.shape
    images = np.asarray(images, dtype=np.float32)
    if (h, w) == (size, size):
        return images
    if h % size == 0 and w % size == 0:
        fh, fw = h // size, w // size
        return images.reshape(n, size, fh, size, fw, c).mean(axis=(2, 4), dtype=np.float32)
    Rh, Rw = _area_matrix(h, size), _area_matrix(w, size)
    return np.einsum("ih,nhwc,jw->nijc", Rh, images, Rw, optimize=True).astype(np.float32)


def _calibration_rows(target, fraction, rng):
    """A seeded, class-stratified slice of about ``fraction`` of the rows (sorted)."""
    if fraction == 0:
        return np.arange(0)
    rows = []
    for c in range(int(target.max()) + 1):
        members = np.flatnonzero(target == c)
        k = int(round(fraction * members.shape[0]))
        if k >= members.shape[0]:
            k = members.shape[0] - 1
        if k >= 1:
            rows.append(rng.choice(members, k, replace=False))
    if len(rows) < 2:  # a class would be missing from the slice: nothing to calibrate on
        return np.arange(0)
    return np.sort(np.concatenate(rows))


def _fit_calibration(scores, target, n_classes):
    """Platt's (a, b) for two classes; (1 / temperature, 0) for more."""
    if n_classes > 2:
        from ..models._calibration import fit_temperature

        return np.array([1.0 / fit_temperature(scores, target), 0.0])
    return _platt(scores[:, 1] - scores[:, 0], target == 1)


def _platt(s, positive):
    """Maximum-likelihood ``(a, b)`` of ``sigmoid(a s + b)`` with Platt's smoothed targets (Newton)."""
    n_pos = int(positive.sum())
    n_neg = positive.shape[0] - n_pos
    t = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    scale = float(np.std(s)) or 1.0
    z = s / scale
    a, b = 1.0, float(np.log((n_pos + 1.0) / (n_neg + 1.0)))
    A = np.column_stack([z, np.ones_like(z)])

    def loss(params):
        u = A @ params
        return float(np.sum(np.logaddexp(0.0, u) - t * u))

    params = np.array([a, b])
    current = loss(params)
    for _ in range(_PLATT_ITERATIONS):
        p = 0.5 * (1.0 + np.tanh(0.5 * (A @ params)))
        grad = A.T @ (p - t)
        H = A.T @ (A * (p * (1 - p))[:, None]) + 1e-12 * np.eye(2)
        step = np.linalg.solve(H, grad)
        shrink = 1.0
        while shrink > 1e-8:  # backtracking keeps the loss decreasing
            trial = params - shrink * step
            value = loss(trial)
            if value <= current:
                break
            shrink /= 2
        else:
            break
        done = current - value < 1e-12 * max(1.0, abs(current))
        params, current = trial, value
        if done:
            break
    return np.array([params[0] / scale, params[1]])


def _probabilities(scores, calibration):
    a, b = calibration
    if scores.shape[1] == 2:
        u = a * (scores[:, 1] - scores[:, 0]) + b
        p1 = 0.5 * (1.0 + np.tanh(0.5 * u))
        return np.column_stack([1.0 - p1, p1])
    z = a * scores
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    return z / z.sum(axis=1, keepdims=True)
