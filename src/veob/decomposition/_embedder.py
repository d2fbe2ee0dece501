"""SVDEmbedder: the VEOB embedding as a scikit-learn transformer."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import validate_data
from ._solvers import choose_solver
from ._svd import _check_n_components, _check_n_iter, _svd
from ._svd import svd as _svd_any

__all__ = ["SVDEmbedder"]


def _frobenius_sq(X):
    """Squared Frobenius norm accumulated in float64, chunk by chunk."""
    data = X.data if sp.issparse(X) else X.reshape(-1)
    total = 0.0
    step = 1 << 22
    for start in range(0, data.size, step):
        chunk = data[start:start + step].astype(np.float64)
        total += float(chunk @ chunk)
    return total


def _is_dask_array(X):
    return (type(X).__module__ or "").startswith("dask.")


class SVDEmbedder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Vector embedding on an orthonormal basis (VEOB) by truncated SVD.

    Parameters
    ----------
    n_components : int or float, default=50
        An int ``k >= 1`` keeps k components. A float in (0, 1) keeps the
        smallest k whose singular values hold at least that fraction of the
        total squared Frobenius norm (the "energy").
    solver : str, default="auto"
        SVD solver, see :func:`veob.svd`.
    center : bool, default=False
        Subtract the column means first (then this is PCA). The paper does
        not centre; dense input only.

        Dask arrays (any solver "auto") and memmaps (with ``solver="dask"``)
        are fitted block by block without being loaded.
    n_iter : int or "auto", default="auto"
        Power iterations of randomized solvers.
    random_state : int, RandomState instance or None, default=None
        Seed of randomized solvers.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The orthonormal basis :math:`V_k^T` (rows).
    singular_values_ : ndarray of shape (n_components,)
        Singular values, descending.
    explained_variance_ratio_ : ndarray of shape (n_components,)
        :math:`s_i^2 / \|X\|_F^2` (of the centred X when ``center=True``).
    mean_ : ndarray of shape (n_features,) or None
        Column means when ``center=True``.
    n_components_ : int
        Number of components kept.
    n_features_in_ : int
        Number of features seen in ``fit``.
    solver_ : str
        The solver used (resolves ``"auto"``).

    See Also
    --------
    svd : The decomposition.
    IncrementalSVD : The same embedding fitted batch by batch.

    Notes
    -----
    With samples as rows, :math:`X = U S V^T` and the embedding of X is
    :math:`P = X V_k = U_k S_k` -- the paper's :math:`\tilde P = \tilde U^T X
    = \tilde\Sigma \tilde V^T` with samples as columns. ``transform`` applies
    ``X @ components_.T`` to new rows; ``inverse_transform`` maps back with
    ``P @ components_``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from veob import SVDEmbedder
    >>> X = load_digits().data
    >>> emb = SVDEmbedder(n_components=10).fit(X)
    >>> emb.transform(X).shape
    (1797, 10)
    >>> SVDEmbedder(n_components=0.9).fit(X).n_components_
    9
    """

    def __init__(self, n_components=50, *, solver="auto", center=False, n_iter="auto", random_state=None):
        self.n_components = n_components
        self.solver = solver
        self.center = center
        self.n_iter = n_iter
        self.random_state = random_state

    def _check_params(self):
        """Check the parameters that do not depend on X (``fit`` and :func:`veob.load` call this)."""
        from ._solvers import get_solver

        k = self.n_components
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Real):
            raise TypeError(f"n_components={k!r} must be an int >= 1 or a float in (0, 1)")
        if isinstance(k, numbers.Integral):
            if k < 1:
                raise ValueError(f"n_components={k!r} must be >= 1")
        elif not 0.0 < k < 1.0:
            raise ValueError(f"n_components={k!r}: a float must lie in (0, 1) (the energy fraction to keep)")
        if not isinstance(self.center, (bool, np.bool_)):
            raise TypeError(f"center={self.center!r} must be True or False")
        _check_n_iter(self.n_iter)
        if self.solver != "auto":
            get_solver(self.solver)

    def _resolve_k(self, shape):
        k = self.n_components
        if isinstance(k, numbers.Real) and not isinstance(k, (numbers.Integral, bool, np.bool_)):
            if not 0.0 < k < 1.0:
                raise ValueError(
                    f"n_components={k!r}: a float must lie in (0, 1) (the energy fraction to keep)"
                )
            return float(k)
        return _check_n_components(k, shape)

    def fit(self, X, y=None):
        """Fit the basis on X; returns self."""
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return the embedding ``U_k * s_k`` of the training rows."""
        U, s = self._fit(X)
        return U * s

    def _dask_solver(self, X):
        """The blockwise solver to use for X, or None for the in-memory path."""
        from ._solvers import get_solver

        if isinstance(self.solver, str) and self.solver != "auto":
            return self.solver if get_solver(self.solver).validates_input else None
        return "dask" if _is_dask_array(X) else None

    def _fit_out_of_core(self, X, solver):
        """Fit on a dask array or memmap without loading it (dask solvers)."""
        from ._dask import as_dask_array, dask_energy

        A = as_dask_array(X)
        if A.ndim != 2:
            raise ValueError(f"X must be 2-D; got shape {A.shape}")
        self.n_features_in_ = int(A.shape[1])
        k = self._resolve_k(A.shape)
        if isinstance(k, float):
            raise ValueError(
                f"n_components={k!r}: an energy fraction is not supported with solver={solver!r}; pass an int"
            )
        if self.center:
            self.mean_ = np.asarray(A.mean(axis=0).compute())
            A = A - self.mean_.astype(A.dtype)
        else:
            self.mean_ = None
        total = dask_energy(A)
        U, s, Vt = _svd_any(A, k, solver=solver, n_iter=self.n_iter, random_state=self.random_state)
        return U, s, Vt, total, solver

    def _fit(self, X):
        self._check_params()
        solver = self._dask_solver(X)
        if solver is not None and not sp.issparse(X):  # sparse input: validated here, blocked by the solver
            U, s, Vt, total, solver = self._fit_out_of_core(X, solver)
            return self._set_fitted(U, s, Vt, total, solver)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32])
        k = self._resolve_k(X.shape)
        _check_n_iter(self.n_iter)
        if self.center:
            if sp.issparse(X):
                raise ValueError(
                    "center=True is not supported for sparse X (it would densify it); "
                    "use center=False (the paper's VEOB) or pass a dense array"
                )
            self.mean_ = X.mean(axis=0)
            X = X - self.mean_
        else:
            self.mean_ = None
        total = _frobenius_sq(X)
        M = min(X.shape)
        if isinstance(k, float):
            U, s, Vt, solver = self._fit_energy(X, k, total, M)
        else:
            solver = self.solver
            if solver == "auto":
                solver = choose_solver(X.shape, k, sparse=sp.issparse(X), n_iter=self.n_iter)
            U, s, Vt = _svd(X, k, solver, self.n_iter, self.random_state)
        return self._set_fitted(U, s, Vt, total, solver)

    def _set_fitted(self, U, s, Vt, total, solver):
        self.components_ = Vt
        self.singular_values_ = s
        self.explained_variance_ratio_ = (s.astype(np.float64) ** 2 / total if total > 0 else
                                          np.zeros_like(s, dtype=np.float64))
        self.n_components_ = int(s.shape[0])
        self.solver_ = solver
        return U, s

    def _fit_energy(self, X, fraction, total, M):
        """Smallest k whose singular values hold ``fraction`` of the energy."""
        k = min(M, 16)
        while True:
            solver = self.solver
            if solver == "auto":
                solver = "gram" if M <= 8000 else choose_solver(X.shape, k, sparse=sp.issparse(X))
                if solver == "gram":
                    k = M
            U, s, Vt = _svd(X, k, solver, self.n_iter, self.random_state)
            energy = np.cumsum(s.astype(np.float64) ** 2) / total if total > 0 else np.ones(len(s))
            reached = np.flatnonzero(energy >= fraction - 1e-12)
            if reached.size or k >= M:
                keep = int(reached[0]) + 1 if reached.size else k
                return U[:, :keep], s[:keep], Vt[:keep], solver
            k = min(M, 2 * k)

    def transform(self, X):
        """Embed rows: ``(X - mean_) @ components_.T``.

        Dask arrays are embedded block by block (the result is a NumPy array).
        """
        check_is_fitted(self)
        if _is_dask_array(X):
            from ._dask import _materialize, as_dask_array

            A = as_dask_array(X, dtype=self.components_.dtype)
            if A.ndim != 2 or A.shape[1] != self.n_features_in_:
                raise ValueError(f"X has shape {A.shape}; expected (n_samples, {self.n_features_in_})")
            P = _materialize(A @ self.components_.T)
            return P - self.mean_ @ self.components_.T if self.mean_ is not None else P
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32], reset=False)
        P = X @ self.components_.T
        if self.mean_ is not None:
            P = P - self.mean_ @ self.components_.T
        return np.asarray(P)

    def inverse_transform(self, X):
        """Map embeddings back: ``X @ components_ (+ mean_)``."""
        check_is_fitted(self)
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_components_:
            raise ValueError(f"X must have shape (n_samples, {self.n_components_}); got {X.shape}")
        out = X @ self.components_
        if self.mean_ is not None:
            out = out + self.mean_
        return out

    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = not self.center
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
