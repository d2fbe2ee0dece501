"""Cosine bases of the spectral transform."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._validation import check_int

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

__all__ = ["cosine_basis", "basis_table", "KINDS"]

KINDS = ("paper", "dct2")


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not supported; choose one of {KINDS}")
    return kind


def _check_points_freqs(n_points, n_freqs, kind):
    low = 2 if kind == "paper" else 1
    n_points = check_int(n_points, "n_points", low=low)
    if n_freqs is None:
        n_freqs = n_points
    n_freqs = check_int(n_freqs, "n_freqs", low=1, high=n_points, high_name="n_points")
    return n_points, n_freqs


def basis_table(kind: str, n_points: int, n_freqs: int, length: int, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Coefficients ``s(m, k)`` for ``k = 0 .. length - 1`` (any length).

    The cosine of each basis function is continued past ``n_points``, which
    is how the paper's formula is evaluated for sequences longer than N.
    Returns an array of shape ``(n_freqs, length)``.
    """
    k = np.arange(length, dtype=np.float64)
    N = float(n_points)
    if kind == "paper":
        m = np.arange(1, n_freqs + 1, dtype=np.float64)
        table = np.cos(np.pi * np.outer(N - m, k) / (N - 1.0))
    else:
        f = np.arange(n_freqs, dtype=np.float64)
        table = np.cos(np.pi * np.outer(f, 2.0 * k + 1.0) / (2.0 * N))
        scale = np.full(n_freqs, np.sqrt(2.0 / N))
        scale[0] = np.sqrt(1.0 / N)
        table *= scale[:, None]
    # cos(pi / 2) is 6e-17 in floating point: snap the exact zeros
    table[np.abs(table) < 1e-12] = 0.0
    return np.ascontiguousarray(table, dtype=dtype)


def cosine_basis(n_points: int, n_freqs: int | None = None, *, kind: str = "paper",
                 dtype: DTypeLike = np.float32) -> np.ndarray:
    r"""Cosine basis functions of the spectral transform.

    Parameters
    ----------
    n_points : int
        Number of sample points N of the basis (``>= 2`` for ``kind="paper"``,
        ``>= 1`` for ``kind="dct2"``).
    n_freqs : int, optional
        Number of basis functions M kept, ``1 <= n_freqs <= n_points``.
        Defaults to ``n_points`` (the full basis).
    kind : {"paper", "dct2"}, default="paper"
        ``"paper"`` is the VEOB paper's basis, highest frequency first;
        ``"dct2"`` is the orthonormal DCT-II, lowest frequency first.
    dtype : dtype, default=np.float32
        Floating dtype of the result.

    Returns
    -------
    basis : ndarray of shape (n_freqs, n_points)
        Row ``m - 1`` is the m-th basis function sampled at k = 1 .. N.

    See Also
    --------
    spectral_transform : Apply the basis to sequences of vectors.

    Notes
    -----
    With ``kind="paper"`` (Lu 2023, section 4) the entries are

    .. math:: s(N, m, k) = \cos\left(\frac{\pi (N - m) (k - 1)}{N - 1}\right),
              \quad 1 \le m \le M,\ 1 \le k \le N,

    so m = 1 has frequency N - 1 (a "short span", high-pass) and m = N is
    the constant function. These are the DCT-I cosines in reverse order;
    they are orthogonal but not normalised.

    With ``kind="dct2"`` the entries are the orthonormal DCT-II

    .. math:: c(f, k) = \sqrt{\frac{2 - \delta_{f0}}{N}}
              \cos\left(\frac{\pi f (2k + 1)}{2N}\right),
              \quad 0 \le f < M,\ 0 \le k < N,

    whose full basis (M = N) is an orthogonal matrix, the one used by
    ``scipy.fft.dct(x, type=2, norm="ortho")``.

    References
    ----------
    .. [1] L. Y. Lu, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform", 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from veob import cosine_basis
    >>> cosine_basis(3, kind="paper")
    array([[ 1., -1.,  1.],
           [ 1.,  0., -1.],
           [ 1.,  1.,  1.]], dtype=float32)
    >>> B = cosine_basis(8, kind="dct2", dtype=np.float64)
    >>> np.allclose(B @ B.T, np.eye(8))
    True
    """
    kind = _check_kind(kind)
    n_points, n_freqs = _check_points_freqs(n_points, n_freqs, kind)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype={dtype} must be a floating dtype (float32 or float64)")
    return basis_table(kind, n_points, n_freqs, n_points, dtype=dtype)
