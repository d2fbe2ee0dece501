r"""Nystroem features of the Gaussian (RBF) kernel: a VEOB of the landmark kernel matrix."""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = ["auto_gamma", "fit_nystroem", "nystroem_features"]

# rows per batch of kernel evaluations (bounded memory)
_BATCH_VALUES = 1 << 23
# pairs for the median heuristic
_GAMMA_ROWS = 1000
# eigenvalues below this fraction of the largest are dropped
_EIG_RTOL = 1e-6


def _sqdist(A, B, b_sq):
    """Squared Euclidean distances (len(A), len(B)) in A's dtype, clipped at 0 (one buffer)."""
    a_sq = np.einsum("ij,ij->i", A, A)
    D = A @ B.T
    D *= -2.0
    D += a_sq[:, None]
    D += b_sq[None, :]
    np.maximum(D, 0, out=D)
    return D


def auto_gamma(X, rng):
    r"""``1 / median ||x_i - x_j||^2`` over pairs of up to 1,000 seeded rows (1.0 if it is 0)."""
    n = X.shape[0]
    rows = np.sort(rng.choice(n, min(n, _GAMMA_ROWS), replace=False))
    S = X[rows].astype(np.float64)
    half = max(1, S.shape[0] // 2)
    A, B = S[:half], S[half:] if S.shape[0] > 1 else S
    D = _sqdist(A, B, np.einsum("ij,ij->i", B, B))
    med = float(np.median(D))
    return 1.0 / med if med > 0 else 1.0


def fit_nystroem(X, pool, n_components, gamma, rng):
    r"""Landmarks (a seeded subset of ``X[pool]``) and the map ``T = V_k diag(w_k)^{-1/2}``.

    With :math:`K_{mm} = V \mathrm{diag}(w) V^T` the kernel matrix of the
    landmarks (float64), components with :math:`w_j \le 10^{-6} w_{max}`
    are dropped, so :math:`\phi(x) = k(x, L) T` satisfies
    :math:`\phi(x)^T \phi(y) = k(x, L) K_{mm}^{+} k(L, y)` (Williams &
    Seeger 2001).
    """
    m = min(int(n_components), pool.shape[0])
    landmarks = np.ascontiguousarray(X[np.sort(rng.choice(pool, m, replace=False))])
    L64 = landmarks.astype(np.float64)
    sq = np.einsum("ij,ij->i", L64, L64)
    # K = exp(-gamma ||l_i - l_j||^2) built in place in one m x m buffer
    K = L64 @ L64.T
    del L64
    K *= -2.0
    K += sq[:, None]
    K += sq[None, :]
    np.maximum(K, 0, out=K)
    K *= -gamma
    np.exp(K, out=K)
    # syevr overwrites K (K.T: the Fortran-ordered view, no copy) and needs O(m)
    # workspace, where numpy's syevd copies K and needs 2 m^2 values more
    if m <= 2048:
        # one thread is as fast for this size, and OpenBLAS' threaded eigensolver
        # slows down many times when the cores are shared (measured here)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            w, V = scipy.linalg.eigh(K.T, overwrite_a=True, check_finite=False, driver="evr")
    else:
        w, V = scipy.linalg.eigh(K.T, overwrite_a=True, check_finite=False, driver="evr")
    del K
    keep = w > _EIG_RTOL * max(float(w.max()), 1e-300)  # w ascending: keep is a suffix
    r = int(keep.sum())
    T = V[:, m - r:]
    T /= np.sqrt(w[m - r:])
    return landmarks, np.ascontiguousarray(T[:, ::-1], dtype=X.dtype)


def nystroem_features(X, landmarks, gamma, T):
    """``exp(-gamma ||x - l||^2) @ T`` for every row, in row batches; X's dtype."""
    n = X.shape[0]
    out = np.empty((n, T.shape[1]), dtype=X.dtype)
    l_sq = np.einsum("ij,ij->i", landmarks, landmarks)
    step = max(1, _BATCH_VALUES // max(landmarks.shape[0], 1))
    for lo in range(0, n, step):
        K = _sqdist(X[lo:lo + step], landmarks, l_sq)
        K *= -gamma
        np.exp(K, out=K)
        out[lo:lo + step] = K @ T
    return out
