"""TrajectoryTransformer: pen trajectories of any length -> fixed spectral vectors."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, validate_data
from . import _kernels

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from numpy.typing import ArrayLike

__all__ = ["TrajectoryTransformer", "as_trajectories"]

FEATURES = ("xy", "direction", "curvature")


def as_trajectories(trajectories: Any, name: str = "trajectories") -> list[np.ndarray]:
    """Validate trajectories into a list of float64 (len_i, 2) arrays.

    Accepts a list of (len_i, 2) arrays, an (n, L, 2) array, or a 2-D
    (n, 2 L) array of flattened ``x1, y1, x2, y2, ...`` rows (the pendigits
    layout). Raises ValueError naming the index of a trajectory with fewer
    than 2 points, NaN/inf, or a last dimension other than 2.
    """
    if isinstance(trajectories, np.ndarray) and trajectories.ndim == 2:
        if trajectories.dtype.kind not in "biuf":
            raise TypeError(f"{name} has dtype {trajectories.dtype}; expected numbers")
        n, width = trajectories.shape
        if width % 2:
            raise ValueError(
                f"{name} as a 2-D array holds flattened (x, y) pairs and needs an even number of "
                f"columns; got n_features={width}"
            )
        trajectories = trajectories.reshape(n, width // 2, 2)
    if isinstance(trajectories, np.ndarray) and trajectories.ndim == 3:
        return _check_point_array(trajectories, name)
    elif isinstance(trajectories, np.ndarray):
        raise ValueError(
            f"{name} must be a list of (length, 2) arrays or an array of shape (n, L, 2) or (n, 2 L); "
            f"got an array of shape {trajectories.shape}"
        )
    else:
        try:
            items = list(trajectories)
        except TypeError:
            raise TypeError(f"{name} must be a list of (length, 2) arrays") from None
    if not items:
        raise ValueError(f"{name} is empty; at least one trajectory is required")
    out = []
    for i, item in enumerate(items):
        arr = np.asarray(item)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}[{i}] has dtype {arr.dtype}; expected numbers")
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"{name}[{i}] has shape {arr.shape}; expected (length, 2) points (x, y)")
        if arr.shape[0] < 2:
            raise ValueError(f"{name}[{i}] has {arr.shape[0]} point(s); at least 2 are required")
        arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            raise ValueError(f"{name}[{i}] contains NaN or infinity")
        out.append(arr)
    return out


def _check_point_array(arr, name):
    """The checks of :func:`as_trajectories` for an (n, L, 2) array, vectorised; a list of row views."""
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {arr.dtype}; expected numbers")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty; at least one trajectory is required")
    if arr.shape[2] != 2:
        raise ValueError(f"{name}[0] has shape {arr.shape[1:]}; expected (length, 2) points (x, y)")
    if arr.shape[1] < 2:
        raise ValueError(f"{name}[0] has {arr.shape[1]} point(s); at least 2 are required")
    arr = np.asarray(arr, dtype=np.float64)
    bad = ~np.isfinite(arr).all(axis=(1, 2))
    if bad.any():
        raise ValueError(f"{name}[{int(np.argmax(bad))}] contains NaN or infinity")
    return list(arr)


def _is_table(X):
    """True for 2-D array-likes (rows of flattened x, y pairs), False for lists of trajectories."""
    if isinstance(X, np.ndarray):
        return X.ndim == 2
    if isinstance(X, (list, tuple)):
        return False
    if not hasattr(X, "__array__"):
        return False
    try:
        return np.asarray(X).ndim == 2
    except ValueError:  # ragged
        return False


def _normalise(points):
    """Centre on the bounding-box centre, scale the longer side to [-1, 1]."""
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float((high - low).max())
    return (points - (low + high) / 2.0) / (extent / 2.0 if extent > 0 else 1.0)


def _resample(points, n_points):
    """``n_points`` points evenly spaced along the arc length of the polyline."""
    steps = np.sqrt((np.diff(points, axis=0) ** 2).sum(axis=1))
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    if arc[-1] <= 0:
        return np.repeat(points[:1], n_points, axis=0)
    # drop repeated points so np.interp sees a strictly increasing abscissa
    keep = np.concatenate([[True], steps > 0])
    targets = np.linspace(0.0, arc[-1], n_points)
    return np.column_stack([np.interp(targets, arc[keep], points[keep, j]) for j in range(2)])


def _unit(vectors):
    norm = np.sqrt((vectors**2).sum(axis=1, keepdims=True))
    return np.divide(vectors, norm, out=np.zeros_like(vectors), where=norm > 0)


def _point_features(points, features):
    """Per-point features: normalised position, unit direction, turning (sin, cos)."""
    columns = []
    direction = None
    if "direction" in features or "curvature" in features:
        delta = np.empty_like(points)
        delta[1:-1] = points[2:] - points[:-2]  # central differences
        delta[0] = points[1] - points[0]
        delta[-1] = points[-1] - points[-2]
        direction = _unit(delta)
    for feature in features:
        if feature == "xy":
            columns.append(points)
        elif feature == "direction":
            columns.append(direction)
        else:  # curvature: sine and cosine of the turning angle between successive directions
            turn = np.zeros_like(points)
            a, b = direction[:-1], direction[1:]
            turn[1:, 0] = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
            turn[1:, 1] = (a * b).sum(axis=1) - 1.0  # 0 for a straight stroke
            columns.append(turn)
    return np.hstack(columns)


def _point_feature_table(trajectories, features, resample):
    """Per-point features of all trajectories end to end: ``(values (total, 2 F), offsets (n + 1,))``.

    One numba pass (:func:`_kernels.trajectory_point_features`); the NumPy
    twin is :func:`_normalise`, :func:`_resample` and :func:`_point_features`
    applied trajectory by trajectory.
    """
    lengths = np.fromiter((len(t) for t in trajectories), dtype=np.int64, count=len(trajectories))
    offsets = np.zeros(lengths.shape[0] + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    points = np.ascontiguousarray(np.concatenate(trajectories), dtype=np.float64)
    out_lengths = np.full_like(lengths, resample) if resample is not None else lengths
    out_offsets = np.zeros_like(offsets)
    np.cumsum(out_lengths, out=out_offsets[1:])
    codes = np.array([FEATURES.index(f) for f in features], dtype=np.int64)
    values = np.empty((int(out_offsets[-1]), 2 * codes.shape[0]))
    _kernels.trajectory_point_features(points, offsets, 0 if resample is None else int(resample), codes,
                                       out_offsets, values)
    return values, out_offsets


class TrajectoryTransformer(TransformerMixin, BaseEstimator):
    r"""Spectral transform of pen trajectories of any length into fixed vectors.

    Parameters
    ----------
    n_freqs : int, default=6
        Cosine coefficients kept per feature dimension.
    kind : {"dct2", "paper"}, default="dct2"
        ``"dct2"``: the DCT-II with basis length equal to each trajectory's
        length (lowest frequencies first); ``"paper"``: the paper's basis with
        N = length (highest frequencies first).
    features : tuple of str, default=("xy", "direction")
        Per-point features, each 2-D: ``"xy"`` the normalised position,
        ``"direction"`` the unit tangent (central differences), ``"curvature"``
        the sine and (cosine - 1) of the turning angle (TAP's point features
        use positions and their first and second differences).
    resample : int, optional
        Resample every trajectory to this many points evenly spaced along its
        arc length first (invariance to the sampling density).

    Attributes
    ----------
    n_features_out_ : int
        ``n_freqs * 2 * len(features)``.

    See Also
    --------
    spectral_transform : The fixed-N transform of vector sequences.

    Notes
    -----
    Every trajectory is centred on its bounding-box centre and scaled so the
    longer side spans [-1, 1] (translation and scale invariance). A feature
    sequence :math:`x_0 .. x_{L-1}` becomes, for :math:`m < M`,

    .. math:: f_m = \frac{1}{L} \sum_{k=0}^{L-1} c_m
              \cos\left(\frac{\pi m (2k + 1)}{2L}\right) x_k,
              \qquad c_0 = 1,\ c_{m>0} = \sqrt{2},

    a midpoint-rule estimate of the cosine series of the curve
    :math:`x(t), t \in [0, 1]`: the basis is stretched to each trajectory's
    length, so the coefficients do not depend on how many points were
    sampled. Output column ``m * D + j`` holds feature dimension j of
    frequency m (D = 2 x number of features).

    Examples
    --------
    >>> import numpy as np
    >>> from veob.spectral import TrajectoryTransformer
    >>> t = np.linspace(0, 1, 30)
    >>> stroke = np.column_stack([t, t**2])
    >>> tt = TrajectoryTransformer(n_freqs=4)
    >>> tt.fit_transform([stroke, stroke[::3] * 5 + 2]).shape
    (2, 16)
    """

    def __init__(self, n_freqs: int = 6, *, kind: str = "dct2", features: str | Sequence[str] = ("xy", "direction"),
                 resample: int | None = None) -> None:
        self.n_freqs = n_freqs
        self.kind = kind
        self.features = features
        self.resample = resample

    def _check_params(self):
        check_int(self.n_freqs, "n_freqs", low=1)
        if self.kind not in ("dct2", "paper"):
            raise ValueError(f"kind={self.kind!r} must be 'dct2' or 'paper'")
        features = (self.features,) if isinstance(self.features, str) else tuple(self.features)
        if not features or any(f not in FEATURES for f in features) or len(set(features)) != len(features):
            raise ValueError(f"features={self.features!r} must be distinct names from {FEATURES}")
        if self.resample is not None:
            if not isinstance(self.resample, numbers.Integral) or isinstance(self.resample, bool):
                raise TypeError(f"resample={self.resample!r} must be None or an integer")
            check_int(self.resample, "resample", low=2)
        return features

    def _as_table(self, X, reset):
        """Validate the input the way the fit saw it.

        2-D inputs (flattened x, y pairs), and any input after a fit on them,
        go through scikit-learn's validation.
        """
        if sp.issparse(X) or _is_table(X) or (not reset and hasattr(self, "n_features_in_")):
            X = validate_data(self, X, dtype=[np.float64, np.float32], reset=reset)
        elif reset and hasattr(self, "n_features_in_"):
            del self.n_features_in_
        return X

    def fit(self, X: Any, y: object = None) -> TrajectoryTransformer:
        """Check the parameters and the input; nothing is learned. Returns self."""
        features = self._check_params()
        X = self._as_table(X, reset=True)
        trajectories = as_trajectories(X, "X")
        if self.kind == "paper" and self.resample is None:
            shortest = min(len(t) for t in trajectories)
            if shortest <= self.n_freqs - 1:
                raise ValueError(f"n_freqs={self.n_freqs} needs trajectories of > {self.n_freqs - 1} points "
                                 "for kind='paper'")
        self.n_features_out_ = self.n_freqs * 2 * len(features)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Spectral vectors of shape (n_trajectories, n_features_out_)."""
        check_is_fitted(self, "n_features_out_")
        features = self._check_params()
        X = self._as_table(X, reset=False)
        trajectories = as_trajectories(X, "X")
        values, offsets = _point_feature_table(trajectories, features, self.resample)
        lengths = np.diff(offsets)
        if self.kind == "paper" and lengths.min() <= self.n_freqs - 1:
            raise ValueError(f"n_freqs={self.n_freqs} needs trajectories of > {self.n_freqs - 1} points "
                             "for kind='paper'")
        out = np.zeros((lengths.shape[0], self.n_freqs * values.shape[1]))
        _kernels.length_normalized_dct_kernel(values, offsets, self.n_freqs, self.kind == "paper", out)
        return out

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names ``<feature>_<dim>_f<m>`` in output order."""
        check_is_fitted(self, "n_features_out_")
        features = self._check_params()
        dims = [f"{f}_{axis}" for f in features for axis in ("a", "b")]
        return np.asarray([f"{d}_f{m}" for m in range(self.n_freqs) for d in dims], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.input_tags.two_d_array = True
        return tags
