"""SVD solvers and their registry.

A solver is a function ``solver(X, n_components, *, n_iter, random_state)``
returning ``(U, s, Vt)`` with singular values in descending order, in the
dtype of X (float32 or float64); :func:`veob.svd` validates the input
before and fixes the signs after. Optional solvers are registered by a
``"module:function"`` path and imported on first use, so registering costs
nothing and ``import veob`` stays light.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ._operator import MatrixOperator

__all__ = ["register_solver", "get_solver", "available_solvers", "choose_solver"]


@dataclass(frozen=True)
class _SolverSpec:
    name: str
    target: object  # callable or "module:function"
    accepts_sparse: bool
    requires: tuple  # importable modules the solver needs
    extra: str | None  # pip extra that provides them
    validates_input: bool  # True: the solver receives X as given (e.g. a dask array)

    def load(self):
        for module in self.requires:
            try:
                importlib.import_module(module)
            except ImportError:
                hint = f": pip install 'veob[{self.extra}]'" if self.extra else ""
                raise ImportError(f"solver={self.name!r} needs {module}{hint}") from None
        if callable(self.target):
            return self.target
        module, _, func = self.target.partition(":")
        return getattr(importlib.import_module(module), func)


_REGISTRY: dict[str, _SolverSpec] = {}


def register_solver(name, target, *, accepts_sparse=True, requires=(), extra=None, validates_input=False):
    """Register an SVD solver under ``name``.

    Parameters
    ----------
    name : str
        The value users pass as ``solver=``.
    target : callable or str
        ``solver(X, n_components, *, n_iter, random_state) -> (U, s, Vt)``, or
        a ``"module:function"`` path imported on first use.
    accepts_sparse : bool, default=True
        Whether scipy sparse input may be passed.
    requires : tuple of str, default=()
        Modules that must be importable; a clear ImportError names ``extra``.
    extra : str, optional
        The ``veob[extra]`` that installs ``requires``.
    validates_input : bool, default=False
        If True the solver gets X untouched (for array types veob does not
        convert, like dask arrays) and must validate it itself.

    Examples
    --------
    A dense solver by NumPy's full SVD, then used by name:

    >>> import numpy as np
    >>> from veob.decomposition import available_solvers, register_solver, svd
    >>> def numpy_full(X, n_components, *, n_iter=None, random_state=None):
    ...     U, s, Vt = np.linalg.svd(X, full_matrices=False)
    ...     return U[:, :n_components], s[:n_components], Vt[:n_components]
    >>> register_solver("numpy-full", numpy_full, accepts_sparse=False)
    >>> "numpy-full" in available_solvers()
    True
    >>> X = np.array([[3.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    >>> svd(X, 1, solver="numpy-full")[1]
    array([3.])
    >>> from veob.decomposition._solvers import _REGISTRY
    >>> del _REGISTRY["numpy-full"]  # (a doctest leaves the registry as it found it)
    """
    _REGISTRY[name] = _SolverSpec(name, target, accepts_sparse, tuple(requires), extra, validates_input)


def available_solvers():
    """Names of the registered solvers, plus ``"auto"``.

    Returns
    -------
    names : tuple of str
        ``"auto"`` first, then the registered names, sorted; any of them is
        a valid ``solver=`` of :func:`veob.svd` and the embedders.

    Examples
    --------
    >>> from veob.decomposition import available_solvers
    >>> names = available_solvers()
    >>> names[0], {"exact", "gram", "randomized", "arpack"} <= set(names)
    ('auto', True)
    """
    return ("auto",) + tuple(sorted(_REGISTRY))


def get_solver(name):
    """Return the spec of solver ``name``; ValueError for unknown names."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"solver={name!r} is not available; choose one of {available_solvers()}") from None


# ---------------------------------------------------------------- helpers

def _gram_upper(Q):
    """Upper triangle of ``Q^T Q`` (BLAS syrk, half the work of a product) in Q's dtype.

    Q is (N, l) in C order, so ``Q.T`` is Fortran-ordered and not copied.
    """
    from scipy.linalg import blas

    syrk = blas.ssyrk if Q.dtype == np.float32 else blas.dsyrk
    return syrk(1.0, Q.T, trans=0, lower=0)


def _orthonormalize(Q, *, passes=1):
    """Orthonormal basis of the columns of a (tall) block Q.

    Cholesky-QR: ``R = chol(Q^T Q)``, ``Q R^{-1}`` -- one SYRK and one
    triangular solve (TRSM, in place) on the tall block, both BLAS-3 in the
    dtype of Q. ``passes=2`` is CholeskyQR2 (orthogonal to working
    precision). Falls back to Householder QR when ``Q^T Q`` is numerically
    singular.
    """
    from scipy.linalg import blas

    threshold = 1e-3 if Q.dtype == np.float32 else 1e-7
    trsm = blas.strsm if Q.dtype == np.float32 else blas.dtrsm
    Q = np.ascontiguousarray(Q)
    for _ in range(passes):
        try:
            R = scipy.linalg.cholesky(_gram_upper(Q).astype(np.float64), lower=False, check_finite=False)
            diag = np.abs(np.diag(R))
            if diag.min() <= threshold * diag.max():
                raise np.linalg.LinAlgError("ill-conditioned block")
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
            return np.linalg.qr(Q)[0].astype(Q.dtype, copy=False)
        # Q R^-1 = (R^-T Q^T)^T: a left solve on the Fortran-ordered Q^T, in place
        Q = trsm(1.0, R.astype(Q.dtype), Q.T, side=0, lower=0, trans_a=1, overwrite_b=1).T
    return Q


def top_eigh(G, k):
    """Top ``k`` eigenpairs of the symmetric matrix G, in descending order.

    A few eigenvectors (``4 k < M``) come from bisection and inverse
    iteration (LAPACK ``syevr`` with an index range), many from the
    divide-and-conquer ``syevd`` of the whole matrix. ``syevr`` runs on one
    BLAS thread: for a few thousand rows one thread is as fast as two, and
    OpenBLAS' threaded ``syevr`` slows down 10-100x when the cores are
    shared with other processes (measured here).
    """
    M = G.shape[0]
    k = min(k, M)
    if 4 * k < M:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            evals, V = scipy.linalg.eigh(G, subset_by_index=[M - k, M - 1], check_finite=False)
    else:
        evals, V = scipy.linalg.eigh(G, check_finite=False, driver="evd")
        evals, V = evals[M - k:], V[:, M - k:]
    return evals[::-1], V[:, ::-1]


def project_factors(Y, V, shape, n_components=None, matmul=None):
    """Singular triplets of ``A`` restricted to the right subspace ``V``.

    ``Y = A V`` for an orthonormal ``V`` (M x l). With ``H = Y^T Y``: when
    the columns of Y are orthogonal to working precision (V already holds
    singular vectors, as from the Gram eigenproblem), the singular values
    are the column norms of Y -- Rayleigh quotients, accurate relative to
    themselves -- and ``U = Y / s``. Otherwise a Rayleigh-Ritz step:
    ``H = W diag(s^2) W^T``, ``U = Y W / s``, right vectors ``V W``. Rounding
    errors in H scale with ``s_i s_j`` (not ``s_1^2``) because the columns of
    Y are nearly orthogonal, so every singular value stays accurate
    relative to itself. Y is overwritten. Returns ``(U, s, Vt)`` sorted
    descending, s in float64.

    ``n_components=k`` returns the top k triplets only (the rotations then
    produce k columns, not l). ``matmul`` (``B -> A @ B``, for a sparse A
    whose product costs less than rotating Y) computes ``U = A (V W) / s``
    instead of ``Y W / s``.
    """
    k = Y.shape[1] if n_components is None else int(n_components)
    H = _gram_upper(Y).astype(np.float64)
    H = np.triu(H) + np.triu(H, 1).T
    s = np.sqrt(np.clip(np.diag(H), 0.0, None))
    scale = np.where(s > 0, s, 1.0)
    coupling = np.abs(H) / np.outer(scale, scale)
    np.fill_diagonal(coupling, 0.0)
    tol = 1e-4 if Y.dtype == np.float32 else 1e-10
    if coupling.max(initial=0.0) > tol:
        evals, W = scipy.linalg.eigh(H, check_finite=False)
        W = np.ascontiguousarray(W[:, ::-1][:, :k])
        s = np.sqrt(np.clip(evals[::-1][:k], 0.0, None))
        V = (V.astype(np.float64) @ W).astype(Y.dtype)
        if matmul is not None:
            U = np.ascontiguousarray(matmul(V), dtype=Y.dtype)
        else:
            Wd = W.astype(Y.dtype)
            step = max(1, (1 << 24) // max(1, Y.shape[1]))
            for start in range(0, Y.shape[0], step):  # in place, a block of rows at a time
                Y[start:start + step, :k] = Y[start:start + step] @ Wd
            U = Y[:, :k]
    else:
        order = np.argsort(s, kind="stable")[::-1][:k]
        if np.array_equal(order, np.arange(Y.shape[1])):
            U = Y
        else:
            s, U, V = s[order], Y[:, order], V[:, order]
    # numerically zero: below the rounding error of a column of Y, eps * s_1 * sqrt(N)
    # (the rank tolerance eps * s_1 * N of matrix_rank would discard real directions
    # of tall float32 matrices: 0.24 s_1 at N = 2e6)
    tiny = s <= s[0] * np.finfo(Y.dtype).eps * np.sqrt(max(shape)) if s.size else s
    U /= np.where(tiny, 1.0, s).astype(U.dtype)
    if tiny.any():
        U[:, tiny] = _complete_basis(U[:, ~tiny], int(tiny.sum()))
    return U, s, np.ascontiguousarray(V.T)


def sparse_gram(A):
    """``A^T A`` as a dense float64 array for a sparse A, by the parallel kernel ``csr_gram``.

    Rows of A (CSR, sorted indices) are dealt to one float64 accumulator
    per numba thread; each row adds the upper triangle of its outer product.
    """
    import numba

    from . import _kernels

    A = sp.csr_matrix(A)
    if not A.has_sorted_indices:
        A = A.sorted_indices()
    upper = _kernels.csr_gram(A.indptr.astype(np.int64), A.indices.astype(np.int64),
                              A.data.astype(np.float64), A.shape[1], max(1, numba.get_num_threads()))
    return upper + np.triu(upper, 1).T


def _complete_basis(U, n_extra):
    """``n_extra`` orthonormal columns orthogonal to the orthonormal U."""
    rng = np.random.RandomState(0)
    Z = rng.standard_normal((U.shape[0], n_extra)).astype(U.dtype)
    if U.shape[1]:
        Z -= U @ (U.T @ Z)
    return np.linalg.qr(Z)[0]


def _tall(X):
    """Return (operator on the tall orientation of X, transposed flag)."""
    n, m = X.shape
    op = MatrixOperator(X)
    return (op, False) if n >= m else (op.T, True)


def _finish(U, s, Vt, k, transposed):
    U, s, Vt = U[:, :k], s[:k].astype(U.dtype), Vt[:k]
    if transposed:
        U, Vt = Vt.T, U.T
    return np.ascontiguousarray(U), s, np.ascontiguousarray(Vt)


def _n_oversamples(k, small_side):
    return int(min(small_side - k, max(10, k // 10)))


# ---------------------------------------------------------------- solvers

def exact_svd(X, n_components, *, n_iter=None, random_state=None):
    """LAPACK ``gesdd`` of the (densified) matrix."""
    A = X.toarray() if sp.issparse(X) else X
    try:
        U, s, Vt = scipy.linalg.svd(A, full_matrices=False, lapack_driver="gesdd", check_finite=False)
    except scipy.linalg.LinAlgError:
        U, s, Vt = scipy.linalg.svd(A, full_matrices=False, lapack_driver="gesvd", check_finite=False)
    k = n_components
    return U[:, :k], s[:k].astype(A.dtype), Vt[:k]


def gram_svd(X, n_components, *, n_iter=None, random_state=None):
    """Eigendecomposition of the smaller Gram matrix, then the other factor.

    ``G = A^T A`` on the small side M (M x M), its top k eigenvectors V,
    ``Y = A V``. The singular values are the column norms of Y (Rayleigh
    quotients: their error is second order in the eigenvector error, so
    they are accurate relative to themselves although G's rounding errors
    scale with ``s_1^2``) and ``U = Y / s``. When the columns of Y are not
    orthogonal to working precision (ill-conditioned data) a Rayleigh-Ritz
    step on ``Y^T Y`` restores it. For sparse X, G is accumulated in
    float64 by a parallel numba kernel straight from the CSR rows
    (:func:`sparse_gram`; SciPy's sparse product is single-threaded and
    about 10x slower).
    """
    op, transposed = _tall(X)
    N, M = op.shape
    k = n_components
    if op.sparse:
        G = sparse_gram(op._A)
    else:
        # float32 stays float32: the eigenvectors only need to span the right
        # subspace; the singular values come from Rayleigh quotients below
        G = op._A.T @ op._A
    V = np.ascontiguousarray(top_eigh(G, k)[1], dtype=op.dtype)
    U, s, Vt = project_factors(op.matmul(V), V, op.shape)
    return _finish(U, s.astype(op.dtype), Vt, k, transposed)


def randomized_svd(X, n_components, *, n_iter="auto", random_state=None):
    """Randomized range finder with power iterations (Halko et al. 2011).

    Works on the tall orientation ``A`` (N x M, N >= M). The sketch lives on
    the small side: ``V <- orth(A^T (A V))`` repeated ``n_iter`` times from a
    Gaussian start, each step orthonormalised by Cholesky-QR of the M x l
    block (never a QR of the tall N x l block), then the Rayleigh-Ritz step
    of :func:`project_factors`.
    """
    from .._validation import check_random_state

    op, transposed = _tall(X)
    N, M = op.shape
    k = n_components
    l = min(M, k + _n_oversamples(k, M))
    if n_iter == "auto":
        n_iter = 7 if k < 0.1 * M else 4
    rng = check_random_state(random_state)
    V = rng.standard_normal((M, l)).astype(op.dtype)
    with _thin_block_threads(op.sparse and k <= 64):
        for i in range(n_iter + 1):
            V = _orthonormalize(op.rmatmul(op.matmul(V)), passes=2 if i == n_iter else 1)
        # sparse A: U = A (V W) / s is one more sparse product, cheaper than rotating the N x l block
        U, s, Vt = project_factors(op.matmul(V), V, op.shape, n_components=k,
                                   matmul=op.matmul if op.sparse else None)
    return _finish(U, s, Vt, k, transposed)


def _thin_block_threads(limit):
    """One BLAS thread inside the block when ``limit`` (else no change).

    With sparse A and k <= 64 the products run in numba kernels and the
    BLAS steps work on thin blocks (M x (k + 10)) that one thread handles
    as fast as two; one thread avoids OpenBLAS' slowdown when the cores are
    shared (the paper's context SVD: 5.7 s instead of 8-15 s here).
    """
    import contextlib

    if not limit:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def arpack_svd(X, n_components, *, n_iter=None, random_state=None):
    """``scipy.sparse.linalg.svds`` with ARPACK (requires k < min(n, m))."""
    from scipy.sparse.linalg import svds

    from .._validation import check_random_state

    k = n_components
    if k >= min(X.shape):
        raise ValueError(
            f"n_components={k} must be < min(n_samples, n_features)={min(X.shape)} for solver='arpack'"
        )
    rng = check_random_state(random_state)
    v0 = rng.uniform(-1, 1, size=min(X.shape)).astype(X.dtype)
    U, s, Vt = svds(X, k=k, solver="arpack", v0=v0)
    order = np.argsort(s)[::-1]
    return U[:, order].astype(X.dtype), s[order].astype(X.dtype), Vt[order].astype(X.dtype)


def incremental_svd(X, n_components, *, n_iter=None, random_state=None):
    """Brand's incremental update over row batches (:class:`veob.IncrementalSVD`).

    Memory: the k x n_features factor plus one batch (sparse batches stay
    sparse); ``U = X V / s`` is computed afterwards, a block of rows at a
    time. Deterministic: ``n_iter`` and ``random_state`` are not used.
    """
    from ._incremental import IncrementalSVD

    inc = IncrementalSVD(n_components).fit(X)
    Vt = inc.components_.astype(X.dtype)
    s = inc.singular_values_
    U = np.empty((X.shape[0], Vt.shape[0]), dtype=X.dtype)
    step = 8192
    scale = np.where(s > 0, s, 1.0).astype(X.dtype)
    for a in range(0, X.shape[0], step):
        U[a:a + step] = np.asarray(X[a:a + step] @ Vt.T) / scale
    return U, s.astype(X.dtype), Vt


def fbpca_svd(X, n_components, *, n_iter="auto", random_state=None):
    """``fbpca.pca(X, k, raw=True)``, seeded through the global NumPy RNG.

    The global RNG state is restored afterwards.
    """
    import fbpca

    from .._validation import check_random_state

    k = n_components
    l = min(min(X.shape), k + _n_oversamples(k, min(X.shape)))
    n_iter = 4 if n_iter == "auto" else n_iter
    seed = check_random_state(random_state).randint(0, 2**31 - 1)
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        U, s, Vt = fbpca.pca(X, k=k, raw=True, n_iter=n_iter, l=l)
    finally:
        np.random.set_state(state)
    dtype = X.dtype
    return U.astype(dtype), s.astype(dtype), Vt.astype(dtype)


register_solver("exact", exact_svd)
register_solver("gram", gram_svd)
register_solver("randomized", randomized_svd)
register_solver("arpack", arpack_svd)
register_solver("incremental", incremental_svd)
register_solver("fbpca", fbpca_svd, requires=("fbpca",), extra="fbpca")
for _name in ("auto", "gram", "tsqr", "randomized"):
    register_solver(
        "dask" if _name == "auto" else f"dask-{_name}",
        f"veob.decomposition._dask:dask_{_name}_svd",
        requires=("dask.array",),
        extra="dask",
        validates_input=True,
    )


# ---------------------------------------------------------------- auto rule

_GRAM_MAX_SIDE = 8000


def choose_solver(shape, n_components, *, sparse=False, n_iter="auto"):
    """The solver ``"auto"`` picks for a matrix of ``shape`` (see :func:`veob.svd`)."""
    n, m = shape
    M, N = min(n, m), max(n, m)
    k = n_components
    if M <= _GRAM_MAX_SIDE:
        if sparse and (M <= 2000 or (m <= 4000 and n >= m)):
            return "gram"
        if not sparse:
            q = (7 if k < 0.1 * M else 4) if n_iter == "auto" else int(n_iter)
            l = min(M, k + _n_oversamples(k, M))
            gram_cost = N * M * M + 10 * M**3
            randomized_cost = 2 * (q + 1) * 2 * N * M * l
            if gram_cost <= 1.5 * randomized_cost:
                return "gram"
    if not sparse and k > 0.5 * M:
        return "exact"
    return "randomized"
