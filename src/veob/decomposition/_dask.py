"""SVD of arrays that live on disk or on a Dask cluster (dense or sparse).

Registered as the solvers ``"dask"``, ``"dask-gram"``, ``"dask-tsqr"`` and
``"dask-randomized"``; dask is imported only when one of them is used
(``pip install 'veob[dask]'``). The input may be a ``dask.array.Array``, a
NumPy array, or an ``np.memmap`` (read chunk by chunk with ordinary file
reads, so the mapped file never piles up in resident memory). Every pass
over the data is a blockwise map and a tree reduction of small (M x M or
M x l) matrices; the small eigen/QR problems are solved locally in float64.
The left factor of a dask array stays a dask array (computed where its
blocks are); the other results come back as NumPy arrays. With a ``distributed.Client``
active, the work runs on its cluster; otherwise on the threaded scheduler.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._validation import check_random_state, float_dtype_for
from ._solvers import _n_oversamples, _orthonormalize, project_factors, top_eigh

__all__ = ["dask_svd", "dask_svd_error", "dask_energy", "as_dask_array", "chunk_rows", "is_out_of_core"]

_MIN_CHUNK_BYTES = 32 << 20
_MAX_CHUNK_BYTES = 128 << 20


def _available_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 4 << 30


def chunk_rows(n_rows, n_cols, itemsize):
    """Rows per chunk: about 1/32 of the free memory, between 32 and 256 MB."""
    target = min(_MAX_CHUNK_BYTES, max(_MIN_CHUNK_BYTES, _available_memory() // 32))
    return int(max(1, min(n_rows, target // max(1, n_cols * itemsize))))


def _read_rows(filename, offset, start, stop, n_cols, dtype):
    """Rows [start, stop) of a C-ordered binary matrix file, as a fresh array."""
    dtype = np.dtype(dtype)
    count = (stop - start) * n_cols
    with open(filename, "rb") as fh:
        fh.seek(offset + start * n_cols * dtype.itemsize)
        block = np.fromfile(fh, dtype=dtype, count=count)
    if block.size != count:
        raise ValueError(f"{filename}: expected {count} values at row {start}, read {block.size} (file truncated?)")
    return block.reshape(stop - start, n_cols)


def as_dask_array(X, *, dtype=None):
    """Wrap X as a dask array chunked by rows (one column block).

    ``np.memmap`` inputs become chunks read from the file on demand;
    NumPy arrays are wrapped without a copy; dask arrays are rechunked to a
    single column block if needed. Integer and float64 data are read as
    float64, float32 stays float32 (``dtype`` overrides).
    """
    import dask
    import dask.array as da

    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D; got a dask array of shape {X.shape}")
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        target = np.dtype(dtype) if dtype is not None else float_dtype_for(X.dtype)
        return X.astype(target) if X.dtype != target else X
    if isinstance(X, np.memmap) and X.ndim == 2 and X.flags.c_contiguous and getattr(X, "filename", None):
        target = np.dtype(dtype) if dtype is not None else float_dtype_for(X.dtype)
        n, m = X.shape
        rows = chunk_rows(n, m, X.dtype.itemsize)
        blocks = []
        base = X.offset if hasattr(X, "offset") else 0
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            block = dask.delayed(_read_rows, pure=True)(X.filename, base, start, stop, m, X.dtype.str)
            blocks.append(da.from_delayed(block, shape=(stop - start, m), dtype=X.dtype))
        arr = da.concatenate(blocks, axis=0)
        return arr.astype(target) if arr.dtype != target else arr
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"X must be 2-D; got an array of shape {arr.shape}")
    target = np.dtype(dtype) if dtype is not None else float_dtype_for(arr.dtype)
    rows = chunk_rows(arr.shape[0], arr.shape[1], target.itemsize)
    return da.from_array(arr, chunks=(rows, arr.shape[1]), asarray=False).astype(target)


def _compute(*values):
    """Compute on the active distributed client if any, else with threads."""
    import dask

    scheduler = None if _distributed_client() is not None else "threads"
    return dask.compute(*values, scheduler=scheduler)


def _tree_sum(parts):
    import dask

    parts = list(parts)
    while len(parts) > 1:
        parts = [dask.delayed(np.add)(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


def _gram_block(block):
    G = block.T @ block
    return (G.toarray() if sp.issparse(G) else G).astype(np.float64)


def _normal_block(block, V):
    return np.asarray(block.T @ (block @ V), dtype=np.float64)


def _matmul(block, V):
    return np.asarray(block @ V)


def _r_factor(*blocks):
    blocks = [b.toarray() if sp.issparse(b) else b for b in blocks]
    stacked = np.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0]
    return scipy.linalg.qr(stacked.astype(np.float64, copy=False), mode="r", check_finite=False)[0][: stacked.shape[1]]


def _check_finite_block(block):
    if not np.isfinite(block).all():
        raise ValueError("X contains NaN or infinity; remove or impute them")
    return block


class _SparseShape:
    """Shape and dtype of a sparse matrix held as a list of row blocks."""

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype


def _sparse_blocks(X):
    """(shape holder, CSR row blocks of the tall orientation, transposed flag).

    Blocks are scattered to the workers once when a distributed client is
    active, else wrapped as delayed objects for the threaded scheduler.
    """
    import dask

    from .._validation import check_matrix

    X = check_matrix(X, "X")  # finite, float32/float64, CSR or CSC
    transposed = X.shape[0] < X.shape[1]
    A = (X.T if transposed else X).tocsr()
    n, m = A.shape
    nnz_per_row = max(1.0, A.nnz / max(1, n))
    rows = int(max(1, min(n, (_MAX_CHUNK_BYTES // 4) // int(nnz_per_row * (A.dtype.itemsize + 4) + 1))))
    client = _distributed_client()
    if client is not None:
        rows = min(rows, max(1, -(-n // (4 * max(1, len(client.scheduler_info().get("workers", {})))))))
    pieces = [A[start:start + rows] for start in range(0, n, rows)]
    if client is not None:
        blocks = client.scatter(pieces)
    else:
        blocks = [dask.delayed(piece) for piece in pieces]
    return _SparseShape((n, m), A.dtype), blocks, transposed


def _tall_dask(X):
    """(dask array in the tall orientation, transposed flag)."""
    n, m = X.shape
    return (X, False) if n >= m else (X.T.rechunk({0: "auto", 1: -1}), True)


def _check_shape(A, k):
    n, m = A.shape
    if 0 in (n, m):
        raise ValueError(f"X is empty (shape {A.shape}); at least one row and one column are required")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"n_components={k!r} must be an integer")
    if not 1 <= k <= min(n, m):
        raise ValueError(f"n_components={k} must lie in [1, min(n_samples={n}, n_features={m})={min(n, m)}]")


def _is_dask_array(X):
    return (type(X).__module__ or "").startswith("dask.")


def _distributed_client():
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError):
        return None


def _materialize(Y):
    """A dask array as one NumPy array, written block by block (no concatenated copy)."""
    if _distributed_client() is not None:
        (out,) = _compute(Y)
        return np.ascontiguousarray(out)
    # in waves of as many blocks as threads, written as they come: da.store with the
    # threaded scheduler kept most computed blocks alive at once (a second copy of the
    # output: 4 GB peak instead of 2 for 10M x 50 float32)
    import dask

    out = np.empty(Y.shape, dtype=Y.dtype)
    blocks = Y.to_delayed().ravel()
    starts = np.concatenate([[0], np.cumsum(Y.chunks[0])])
    wave = max(1, os.cpu_count() or 1)
    for first in range(0, len(blocks), wave):
        parts = dask.compute(*blocks[first:first + wave], scheduler="threads")
        for i, part in enumerate(parts, start=first):
            out[starts[i]:starts[i + 1]] = part
    return out


def _finish(A, blocks, V, k, transposed, keep_dask=False):
    """Y = A V on the cluster, then the small factorisation locally.

    ``keep_dask`` (a dask array came in): U stays a dask array, computed
    where the blocks live (see :func:`_finish_dask`); otherwise Y is gathered
    into one NumPy array.
    """
    if keep_dask and not isinstance(A, _SparseShape) and not transposed:
        found = _finish_dask(A, V, k)
        if found is not None:
            return found
    if isinstance(A, _SparseShape):
        import dask

        parts = _compute(*[dask.delayed(_matmul)(b, V) for b in blocks])
        Y = np.ascontiguousarray(np.vstack(parts), dtype=A.dtype)
    else:
        Y = _materialize(A.map_blocks(np.matmul, V, chunks=(A.chunks[0], (V.shape[1],)), dtype=A.dtype))
    U, s, Vt = project_factors(Y, V, A.shape)
    U, s, Vt = U[:, :k], s[:k].astype(A.dtype), Vt[:k]
    if transposed:
        U, Vt = Vt.T, U.T
    U, Vt = np.ascontiguousarray(U), np.ascontiguousarray(Vt)
    if keep_dask:  # the small side's factor: a dask array as well, for one return type
        import dask.array as da

        U = da.from_array(U, chunks=(A.chunks[1][0] if transposed else A.chunks[0], (k,)))
    return U, s, Vt


def _gram64(block):
    return (block.T @ block).astype(np.float64)


def _rotate(block, W, inv_s):
    out = block @ W
    out *= inv_s
    return out


def _persist(*arrays):
    """Compute dask arrays and keep them as dask arrays: on the workers with a distributed client."""
    import dask

    if _distributed_client() is not None:
        from distributed import wait

        arrays = dask.persist(*arrays)
        wait(list(arrays))
        return arrays
    return dask.persist(*arrays, scheduler="threads")


def _finish_dask(A, V, k):
    """U as a dask array where A's blocks live: ``Y = A V`` kept blockwise, the Rayleigh-Ritz step local.

    The l x l matrix ``H = Y^T Y`` is reduced from the blocks, its
    eigendecomposition ``H = W diag(s^2) W^T`` gives the singular values and
    the right vectors ``V W`` (signs fixed here by :func:`veob.svd_flip`'s
    rule), and ``U = Y W / s`` is computed blockwise and persisted: nothing
    of size N comes back. Returns None when a singular value is numerically
    zero (its column of U needs the whole basis: the NumPy path handles it).
    """
    import dask

    Y = A.map_blocks(np.matmul, V, chunks=(A.chunks[0], (V.shape[1],)), dtype=A.dtype)
    (Y,) = _persist(Y)
    (H,) = _compute(_tree_sum(dask.delayed(_gram64)(b) for b in Y.to_delayed().ravel()))
    evals, W = scipy.linalg.eigh(H, check_finite=False)
    W, s = W[:, ::-1][:, :k], np.sqrt(np.clip(evals[::-1][:k], 0.0, None))
    if s.size and (s <= s[0] * np.finfo(A.dtype).eps * np.sqrt(A.shape[0])).any():
        return None
    Vt = np.ascontiguousarray((V.astype(np.float64) @ W).T, dtype=A.dtype)
    # svd_flip's signs, applied to U before it is computed (veob.svd's own flip then finds nothing to do)
    signs = np.where(Vt[np.arange(k), np.abs(Vt).argmax(axis=1)] < 0, -1.0, 1.0)
    W, Vt = W * signs, Vt * signs[:, None].astype(A.dtype)
    U = Y.map_blocks(_rotate, W.astype(A.dtype), (1.0 / s).astype(A.dtype), chunks=(A.chunks[0], (k,)),
                     dtype=A.dtype)
    (U,) = _persist(U)
    del Y
    return U, s.astype(A.dtype), Vt


def dask_svd(X, n_components, *, method="auto", n_iter="auto", random_state=None):
    r"""Truncated SVD of a dask array, NumPy array or memmap, computed blockwise.

    Parameters
    ----------
    X : dask.array.Array, ndarray, np.memmap or sparse matrix of shape (n_samples, n_features)
        Finite numeric data; float32 stays float32. A scipy sparse matrix is
        cut into CSR row blocks (scattered to the workers once when a
        distributed client is active) and never densified, except per block
        by ``method="tsqr"``.
    n_components : int
        Number k of singular triplets.
    method : {"auto", "gram", "tsqr", "randomized"}, default="auto"
        With A the tall orientation (N x M, N >= M):

        - ``"gram"``: one pass for ``G = sum_b A_b^T A_b`` (M x M, float64),
          its top-k eigenvectors V, one pass for ``Y = A V``, then the
          Rayleigh-quotient step of the in-memory ``"gram"`` solver. Exact to
          float precision; memory O(M^2 + N k).
        - ``"tsqr"``: one pass of blockwise QR reduced in a tree to the
          R factor of A (Benson, Gleich & Demmel 2013), SVD of R (backward
          stable: no squaring of the condition number), then ``Y = A V``.
        - ``"randomized"``: Halko et al. power iterations, each one pass
          ``Z = sum_b A_b^T (A_b V)`` reduced to M x l and orthonormalised
          locally; for large M.

        ``"auto"`` is ``"gram"`` when ``M <= 4000`` else ``"randomized"``.
    n_iter : int or "auto", default="auto"
        Power iterations of the randomized method (7 if k < 0.1 M else 4).
    random_state : int, RandomState instance or None, default=None
        Seed of the randomized method.

    Returns
    -------
    U : ndarray or dask.array.Array of shape (n_samples, k)
        A dask array when X is one: chunked like X's rows and already
        computed (persisted on the workers when a distributed client is
        active), so the N x k factor never travels to the caller unless
        asked for (``U.compute()``, ``U.to_zarr(...)``, blockwise use).
        NumPy for NumPy, memmap and sparse input.
    s : ndarray of shape (k,)
    Vt : ndarray of shape (k, n_features)
        Signs follow :func:`veob.svd`'s convention (fixed before U is
        computed, so a dask U is not touched again).

    Notes
    -----
    Flops: ``gram`` costs :math:`N M^2` (one pass) plus :math:`2 N M k`;
    ``tsqr`` about :math:`2 N M^2`; randomized :math:`4 (q + 1) N M l`.
    Communication per pass is one M x M (or M x l) matrix per block; for a
    dask array ``Y = A V`` stays blockwise, ``Y^T Y`` (l x l) is reduced,
    and ``U = Y W / s`` is computed where Y lives. For other inputs the
    N x k result is gathered once.

    References
    ----------
    .. [1] A. Benson, D. Gleich, J. Demmel, "Direct QR factorizations for
       tall-and-skinny matrices in MapReduce architectures", IEEE BigData 2013.
    .. [2] N. Halko, P. G. Martinsson, J. A. Tropp, SIAM Review 53(2), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from veob import svd
    >>> X = np.random.default_rng(0).standard_normal((1000, 20)) * np.geomspace(10, 1, 20)
    >>> U, s, Vt = svd(da.from_array(X, chunks=(250, 20)), 3, solver="dask")
    >>> np.allclose(s, np.linalg.svd(X, compute_uv=False)[:3])
    True
    """
    import dask

    if method not in ("auto", "gram", "tsqr", "randomized"):
        raise ValueError(f"method={method!r} must be one of 'auto', 'gram', 'tsqr', 'randomized'")
    keep_dask = _is_dask_array(X)
    if sp.issparse(X):
        A, blocks, transposed = _sparse_blocks(X)
    else:
        A0 = as_dask_array(X)
        if A0.dtype.kind != "f":
            raise TypeError(f"X has dtype {A0.dtype}; expected numbers")
        A0 = A0.map_blocks(_check_finite_block, dtype=A0.dtype)
        A, transposed = _tall_dask(A0)
        blocks = None
    _check_shape(A, n_components)
    N, M = A.shape
    k = n_components
    if method == "auto":
        method = "gram" if M <= 4000 else "randomized"
    if blocks is None:
        blocks = A.to_delayed().ravel()
    if method == "gram":
        (G,) = _compute(_tree_sum(dask.delayed(_gram_block)(b) for b in blocks))
        V = np.ascontiguousarray(top_eigh(G, k)[1], dtype=A.dtype)
    elif method == "tsqr":
        parts = [dask.delayed(_r_factor)(b) for b in blocks]
        while len(parts) > 1:
            parts = [dask.delayed(_r_factor)(*parts[i:i + 8]) for i in range(0, len(parts), 8)]
        (R,) = _compute(parts[0])
        _, _, Wt = scipy.linalg.svd(R, full_matrices=False, check_finite=False)
        V = np.ascontiguousarray(Wt[:k].T, dtype=A.dtype)
    else:
        l = min(M, k + _n_oversamples(k, M))
        if n_iter == "auto":
            n_iter = 7 if k < 0.1 * M else 4
        rng = check_random_state(random_state)
        V = rng.standard_normal((M, l)).astype(A.dtype)
        for i in range(int(n_iter) + 1):
            (Z,) = _compute(_tree_sum(dask.delayed(_normal_block)(b, V) for b in blocks))
            V = _orthonormalize(Z.astype(A.dtype), passes=2 if i == n_iter else 1)
    return _finish(A, blocks, V, k, transposed, keep_dask=keep_dask)


def _solver(method):
    def solve(X, n_components, *, n_iter="auto", random_state=None):
        return dask_svd(X, n_components, method=method, n_iter=n_iter, random_state=random_state)

    solve.__name__ = f"dask_{method}_svd"
    solve.__doc__ = f"``dask_svd(..., method={method!r})``."
    return solve


dask_auto_svd = _solver("auto")
dask_gram_svd = _solver("gram")
dask_tsqr_svd = _solver("tsqr")
dask_randomized_svd = _solver("randomized")


def is_out_of_core(X):
    """True for inputs the dask path handles without loading: dask arrays and memmaps."""
    if isinstance(X, np.memmap):
        return True
    try:
        import dask.array as da
    except ImportError:
        return False
    return isinstance(X, da.Array)


_RESIDUAL_ROWS = 16384  # rows converted to float64 at a time in _residual_block


def _residual_block(block, U_block, s, Vt, v):
    """``R_b^T R_b v`` for the residual ``R_b = block - U_b diag(s) Vt``, in float64.

    Converted to float64 a slice of rows at a time, so the temporary memory
    is a few MB whatever the block size and dtype.
    """
    SVv = s[:, None] * (Vt @ v)
    out = np.zeros((block.shape[1], v.shape[1]))
    for a in range(0, block.shape[0], _RESIDUAL_ROWS):
        rows = block[a:a + _RESIDUAL_ROWS]
        rows = rows.toarray() if sp.issparse(rows) else rows
        rows = np.asarray(rows, dtype=np.float64)
        U_rows = np.asarray(U_block[a:a + _RESIDUAL_ROWS], dtype=np.float64)
        r = rows @ v - U_rows @ SVv
        out += rows.T @ r - Vt.T @ (s[:, None] * (U_rows.T @ r))
    return out


def dask_svd_error(X, U, s, Vt, *, n_iter=20, random_state=None):
    """Blockwise power-method estimate of ``||X - U diag(s) Vt||_2`` (see ``svd_error``)."""
    import dask

    A = as_dask_array(X)  # native dtype: the blocks are converted to float64 in slices
    U = np.asarray(U)
    s = np.asarray(s, dtype=np.float64)
    Vt = np.asarray(Vt, dtype=np.float64)
    rng = check_random_state(random_state)
    v = rng.standard_normal((A.shape[1], 1))
    v /= np.linalg.norm(v)
    starts = np.concatenate([[0], np.cumsum(A.chunks[0])])
    blocks = A.to_delayed().ravel()
    estimate = 0.0
    for _ in range(n_iter):
        parts = [dask.delayed(_residual_block)(b, U[starts[i]:starts[i + 1]], s, Vt, v)
                 for i, b in enumerate(blocks)]
        (w,) = _compute(_tree_sum(parts))
        norm = float(np.linalg.norm(w))
        if norm == 0.0:
            return 0.0
        estimate = np.sqrt(norm)
        v = w / norm
    return float(estimate)


def _energy_block(block):
    flat = block.reshape(-1).astype(np.float64)
    return float(flat @ flat)


def dask_energy(X):
    """Squared Frobenius norm of X, one blockwise pass."""
    import dask

    A = as_dask_array(X)
    (total,) = _compute(_tree_sum(dask.delayed(_energy_block)(b) for b in A.to_delayed().ravel()))
    return float(total)
