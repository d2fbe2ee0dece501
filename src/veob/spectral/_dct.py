"""Separable 2-D DCT-II of images, full or low-pass block only."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np
import scipy.fft
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import float_dtype_for, validate_data

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["dct2", "DCT2Transformer"]

_NORMS = ("ortho", "backward", "forward", None)
_CHUNK_VALUES = 1 << 24  # input values converted to float per chunk


def _dct_matrix(n, keep, norm, dtype):
    """Rows 0..keep-1 of the DCT-II matrix of size n with scipy's ``norm``."""
    return np.ascontiguousarray(scipy.fft.dct(np.eye(n), type=2, norm=norm, axis=0)[:keep], dtype=dtype)


def _check_images(images, name="images"):
    arr = np.asarray(images)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {arr.dtype}; expected a numeric image array")
    if arr.ndim not in (3, 4):
        raise ValueError(
            f"{name} must have shape (n, h, w) or (n, h, w, c); got shape {arr.shape}"
            + (" (add a leading axis for a single image: images[None])" if arr.ndim == 2 else "")
        )
    if 0 in arr.shape:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity; remove or impute them")
    return arr


def _check_keep(keep, h, w):
    if keep is None:
        return h, w
    if isinstance(keep, numbers.Integral) and not isinstance(keep, bool):
        keep = (keep, keep)
    try:
        k1, k2 = keep
    except (TypeError, ValueError):
        raise TypeError(f"keep={keep!r} must be None, an int or a pair (k1, k2)") from None
    for value, size, axis in ((k1, h, "height"), (k2, w, "width")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"keep={keep!r} must hold integers")
        if not 1 <= value <= size:
            raise ValueError(f"keep={tuple(keep)!r}: {value} must lie in [1, {size}] (the image {axis})")
    return int(k1), int(k2)


def _dct2(arr, k1, k2, norm):
    """Private twin of :func:`dct2` on a validated (n, h, w[, c]) array."""
    dtype = float_dtype_for(arr.dtype)
    n, h, w = arr.shape[:3]
    channels = arr.shape[3] if arr.ndim == 4 else 1
    if (k1, k2) == (h, w):
        return scipy.fft.dctn(arr.astype(dtype, copy=False), type=2, norm=norm, axes=(1, 2))
    C1 = _dct_matrix(h, k1, norm, dtype)  # (k1, h)
    C2t = _dct_matrix(w, k2, norm, dtype).T.copy()  # (w, k2)
    out = np.empty((n, k1, k2, channels), dtype=dtype)
    chunk = max(1, _CHUNK_VALUES // (h * w * channels))
    for start in range(0, n, chunk):
        block = arr[start:start + chunk].astype(dtype, copy=False).reshape(-1, h, w, channels)
        m = block.shape[0]
        # contract the width: (m, h, c, w) @ (w, k2)
        tmp = np.ascontiguousarray(block.transpose(0, 1, 3, 2)).reshape(-1, w) @ C2t
        # contract the height: (m, c, k2, h) @ (h, k1)
        tmp = np.ascontiguousarray(tmp.reshape(m, h, channels, k2).transpose(0, 2, 3, 1)).reshape(-1, h)
        tmp = tmp @ C1.T
        out[start:start + m] = tmp.reshape(m, channels, k2, k1).transpose(0, 3, 2, 1)
    return out if arr.ndim == 4 else out[..., 0]


def dct2(images: ArrayLike, keep: int | tuple[int, int] | None = None, *, norm: str | None = "ortho") -> np.ndarray:
    r"""Separable 2-D DCT-II of a stack of images.

    Parameters
    ----------
    images : array-like of shape (n, h, w) or (n, h, w, c)
        Images; channels (if any) are transformed independently.
    keep : int or (int, int), optional
        Keep only the low-pass block of the first ``k1 x k2`` coefficients.
        Only that block is computed, with two matrix products
        (cost :math:`O(n h w k_2 + n h k_1 k_2)` instead of a full transform).
        ``None`` computes the full transform with ``scipy.fft.dctn``.
    norm : {"ortho", "backward", "forward", None}, default="ortho"
        Normalisation, as in :func:`scipy.fft.dct` (``None`` is "backward").

    Returns
    -------
    coefficients : ndarray of shape (n, k1, k2) or (n, k1, k2, c)
        float32 for float32 and 8/16-bit integer input, else float64.

    See Also
    --------
    DCT2Transformer : The same as a scikit-learn transformer on flat rows.
    scipy.fft.dctn : The full transform.

    Notes
    -----
    With ``norm="ortho"`` coefficient :math:`(u, v)` of image :math:`x` is

    .. math:: X_{uv} = c_u c_v \sum_{i=0}^{h-1} \sum_{j=0}^{w-1} x_{ij}
              \cos\frac{\pi u (2i + 1)}{2h} \cos\frac{\pi v (2j + 1)}{2w},
              \quad c_u = \sqrt{(2 - \delta_{u0}) / h},

    i.e. ``C_h X C_w^T`` with the orthonormal DCT-II matrices; the full
    transform is inverted by ``scipy.fft.idctn(..., type=2, norm="ortho")``.
    An orthonormal transform of the whole image followed by SVD spans the
    same subspace as the SVD of the pixels: the DCT pays off by keeping a
    low-pass block.

    Examples
    --------
    >>> import numpy as np
    >>> from veob import dct2
    >>> images = np.random.default_rng(0).random((2, 8, 8))
    >>> dct2(images, keep=(3, 3)).shape
    (2, 3, 3)
    >>> import scipy.fft
    >>> np.allclose(dct2(images, keep=3), scipy.fft.dctn(images, norm="ortho", axes=(1, 2))[:, :3, :3])
    True
    """
    if norm not in _NORMS:
        raise ValueError(f"norm={norm!r} is not supported; choose one of {_NORMS}")
    arr = _check_images(images)
    k1, k2 = _check_keep(keep, arr.shape[1], arr.shape[2])
    return _dct2(arr, k1, k2, norm)


class DCT2Transformer(TransformerMixin, BaseEstimator):
    r"""2-D DCT-II of flattened images, as a scikit-learn transformer.

    Parameters
    ----------
    image_shape : tuple of int
        ``(h, w)`` or ``(h, w, c)``; each row of X is one image flattened in
        C order. One entry may be -1 and is inferred from the number of
        features (``(1, -1)`` makes this a 1-D DCT of every row).
    keep : int or (int, int), optional
        Low-pass block to keep, see :func:`dct2`.
    norm : {"ortho", "backward", "forward", None}, default="ortho"
        Normalisation of :func:`scipy.fft.dct`.

    Attributes
    ----------
    image_shape_ : tuple of int
        The resolved image shape.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    dct2 : The function behind it.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from veob import DCT2Transformer
    >>> X = load_digits().data
    >>> DCT2Transformer((8, 8), keep=(4, 4)).fit_transform(X).shape
    (1797, 16)
    """

    def __init__(self, image_shape: tuple[int, ...], keep: int | tuple[int, int] | None = None, *,
                 norm: str | None = "ortho") -> None:
        self.image_shape = image_shape
        self.keep = keep
        self.norm = norm

    def _resolve_shape(self, n_features):
        try:
            shape = tuple(int(s) for s in self.image_shape)
        except TypeError:
            raise TypeError(f"image_shape={self.image_shape!r} must be a tuple (h, w) or (h, w, c)") from None
        if len(shape) not in (2, 3) or shape.count(-1) > 1 or any(s == 0 or s < -1 for s in shape):
            raise ValueError(
                f"image_shape={self.image_shape!r} must be (h, w) or (h, w, c) of positive sizes, "
                "with at most one -1"
            )
        known = int(np.prod([s for s in shape if s != -1]))
        if -1 in shape:
            if n_features % known:
                raise ValueError(f"image_shape={self.image_shape!r} does not divide n_features={n_features}")
            shape = tuple(n_features // known if s == -1 else s for s in shape)
        elif known != n_features:
            raise ValueError(
                f"image_shape={self.image_shape!r} holds {known} values, but X has {n_features} features"
            )
        return shape

    def fit(self, X: ArrayLike, y: object = None) -> DCT2Transformer:
        """Validate X and resolve ``image_shape``; returns self."""
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        if self.norm not in _NORMS:
            raise ValueError(f"norm={self.norm!r} is not supported; choose one of {_NORMS}")
        self.image_shape_ = self._resolve_shape(X.shape[1])
        _check_keep(self.keep, *self.image_shape_[:2])
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """DCT coefficients of every row, flattened: (n_samples, k1 * k2 [* c])."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        k1, k2 = _check_keep(self.keep, *self.image_shape_[:2])
        coef = _dct2(X.reshape((X.shape[0],) + self.image_shape_), k1, k2, self.norm)
        return coef.reshape(X.shape[0], -1)

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """Images (flattened) from coefficients; dropped coefficients are zero."""
        check_is_fitted(self)
        h, w = self.image_shape_[:2]
        k1, k2 = _check_keep(self.keep, h, w)
        tail = self.image_shape_[2:]
        X = np.asarray(X)
        expected = k1 * k2 * int(np.prod(tail, dtype=int))
        if X.ndim != 2 or X.shape[1] != expected:
            raise ValueError(f"X must have shape (n_samples, {expected}); got {X.shape}")
        full = np.zeros((X.shape[0], h, w) + tail, dtype=float_dtype_for(X.dtype))
        full[:, :k1, :k2] = X.reshape((X.shape[0], k1, k2) + tail)
        images = scipy.fft.idctn(full, type=2, norm=self.norm, axes=(1, 2))
        return images.reshape(X.shape[0], -1)

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names ``dct_u_v`` (and ``_c`` per channel) of the output columns."""
        check_is_fitted(self)
        k1, k2 = _check_keep(self.keep, *self.image_shape_[:2])
        if len(self.image_shape_) == 3:
            names = [f"dct_{u}_{v}_{c}" for u in range(k1) for v in range(k2) for c in range(self.image_shape_[2])]
        else:
            names = [f"dct_{u}_{v}" for u in range(k1) for v in range(k2)]
        return np.asarray(names, dtype=object)
