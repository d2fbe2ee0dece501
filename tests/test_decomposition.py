import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from veob import IncrementalSVD, SVDEmbedder, svd, svd_error, svd_flip
from veob.decomposition import _kernels, available_solvers, register_solver
from veob.decomposition._kernels import csr_gram, csr_matmul
from veob.decomposition._reference import csr_gram_reference, csr_matmul_reference
from veob.decomposition._solvers import choose_solver

SOLVERS = ["exact", "gram", "randomized", "arpack", "fbpca"]


def planted(n, m, spectrum, seed=0, dtype=np.float64):
    """X = U diag(spectrum) V^T with random orthonormal U, V."""
    rng = np.random.default_rng(seed)
    r = len(spectrum)
    U = np.linalg.qr(rng.standard_normal((n, r)))[0]
    V = np.linalg.qr(rng.standard_normal((m, r)))[0]
    return ((U * spectrum) @ V.T).astype(dtype)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(300, 60), (60, 300)])
def test_solvers_recover_planted_spectrum(solver, dtype, shape):
    spectrum = np.geomspace(100, 1, 40)
    X = planted(*shape, spectrum, dtype=dtype)
    k = 10
    U, s, Vt = svd(X, k, solver=solver, random_state=0)
    assert U.dtype == s.dtype == Vt.dtype == dtype
    assert U.shape == (shape[0], k) and Vt.shape == (k, shape[1])
    rtol = 2e-4 if dtype == np.float32 else 1e-8
    assert np.allclose(s, spectrum[:k], rtol=rtol)
    atol = 1e-4 if dtype == np.float32 else 1e-8
    assert np.allclose(U.T @ U, np.eye(k), atol=atol)
    assert np.allclose(Vt @ Vt.T, np.eye(k), atol=atol)
    # sign convention: largest-magnitude entry of each Vt row is positive
    assert np.all(Vt[np.arange(k), np.argmax(np.abs(Vt), axis=1)] > 0)
    # same factors as the exact solver (signs fixed by the convention)
    U0, s0, Vt0 = svd(X.astype(np.float64), k, solver="exact")
    vector_atol = 1e-3 if dtype == np.float32 else (1e-5 if solver in ("randomized", "fbpca") else 1e-8)
    assert np.allclose(Vt, Vt0, atol=vector_atol)


@pytest.mark.parametrize("solver", ["gram", "randomized", "arpack", "exact"])
def test_sparse_input_matches_dense(solver):
    # decaying spectrum: diagonal scalings around a sparse random core
    core = sp.random(200, 120, density=0.1, random_state=1, format="csr")
    X = (sp.diags(np.geomspace(1, 1e-2, 200)) @ core @ sp.diags(np.geomspace(1, 1e-2, 120))).tocsr()
    Ud, sd, Vtd = svd(X.toarray(), 6, solver="exact")
    Us, ss, Vts = svd(X, 6, solver=solver, random_state=0, n_iter=10)
    assert np.allclose(ss, sd, rtol=1e-6)
    assert np.allclose(np.abs(Vts @ Vtd.T), np.eye(6), atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), m=st.integers(1, 40), seed=st.integers(0, 1000),
       solver=st.sampled_from(["gram", "randomized", "exact"]), data=st.data())
def test_solvers_agree_with_lapack_on_any_shape(n, m, seed, solver, data):
    k = data.draw(st.integers(1, min(n, m)))
    X = np.random.default_rng(seed).standard_normal((n, m))
    U, s, Vt = svd(X, k, solver=solver, random_state=0, n_iter=30)
    s0 = np.linalg.svd(X, compute_uv=False)[:k]
    assert np.allclose(s, s0, rtol=1e-6, atol=1e-9)
    assert np.allclose((U * s) @ Vt, (U * s) @ Vt)  # finite
    assert np.allclose(U.T @ U, np.eye(k), atol=1e-6)


def test_rank_deficient_and_constant_columns():
    X = np.zeros((30, 6))
    X[:, 0] = 1.0  # rank one
    for solver in ("gram", "randomized", "exact"):
        U, s, Vt = svd(X, 3, solver=solver, random_state=0)
        assert s[0] == pytest.approx(np.sqrt(30)) and np.allclose(s[1:], 0, atol=1e-6)
        assert np.allclose(U.T @ U, np.eye(3), atol=1e-6)
    U, s, Vt = svd(np.zeros((5, 4)), 2, solver="gram")
    assert np.all(s == 0) and np.allclose(U.T @ U, np.eye(2))


def test_auto_rule():
    assert choose_solver((60000, 784), 30) == "gram"
    assert choose_solver((528000, 300), 200) == "gram"
    assert choose_solver((80000, 170000), 200, sparse=True) == "randomized"
    assert choose_solver((80000, 700), 40, sparse=True) == "gram"
    # sparse: up to 4000 columns when they are the small side (the parallel Gram kernel)
    assert choose_solver((9000, 3100), 40, sparse=True) == "gram"
    assert choose_solver((3100, 9000), 40, sparse=True) == "randomized"
    assert choose_solver((9000, 4100), 40, sparse=True) == "randomized"
    assert choose_solver((20000, 20000), 15000) == "exact"
    assert choose_solver((100000, 20000), 10) == "randomized"


def test_determinism_and_seed():
    X = planted(400, 100, np.linspace(10, 1, 60), seed=3)
    a = svd(X, 8, solver="randomized", random_state=7)
    b = svd(X, 8, solver="randomized", random_state=7)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    state = np.random.get_state()[1].copy()
    svd(X, 8, solver="fbpca", random_state=7)
    assert np.array_equal(state, np.random.get_state()[1]), "fbpca must not disturb the global RNG"
    c = svd(X, 8, solver="fbpca", random_state=7)
    d = svd(X, 8, solver="fbpca", random_state=7)
    assert np.array_equal(c[1], d[1])


def test_svd_error_certifies():
    spectrum = np.geomspace(100, 1, 30)
    X = planted(300, 80, spectrum, seed=4)
    U, s, Vt = svd(X, 10, solver="exact")
    assert svd_error(X, U, s, Vt, random_state=0) == pytest.approx(spectrum[10], rel=1e-3)
    assert svd_error(sp.csr_matrix(X), U, s, Vt, random_state=0) == pytest.approx(spectrum[10], rel=1e-3)
    assert svd_error(X, *svd(X, 30, solver="exact"), random_state=0) < 1e-8
    with pytest.raises(ValueError, match="shapes do not match"):
        svd_error(X, U[:5], s, Vt)


def test_svd_flip_copy():
    U, Vt = np.ones((3, 2)), np.array([[-2.0, 1.0], [0.5, 0.1]])
    U2, Vt2 = svd_flip(U, Vt)
    assert np.array_equal(Vt, [[-2.0, 1.0], [0.5, 0.1]])
    assert np.array_equal(Vt2[0], [2.0, -1.0]) and np.array_equal(U2[:, 0], [-1, -1, -1])


@pytest.mark.parametrize(
    "X, k, kwargs, exc, match",
    [
        (np.ones((5, 4)), 5, {}, ValueError, r"n_components=5 must be <= min\(n_samples=5, n_features=4\)=4"),
        (np.ones((5, 4)), 0, {}, ValueError, "n_components=0 must be >= 1"),
        (np.ones((5, 4)), 2.0, {}, TypeError, "n_components=2.0 must be an integer"),
        (np.ones(5), 1, {}, ValueError, "2-D"),
        (np.ones((0, 4)), 1, {}, ValueError, "empty"),
        (np.array([[1.0, np.nan]]), 1, {}, ValueError, "NaN or infinity"),
        (np.array([[1.0, np.inf]]), 1, {}, ValueError, "NaN or infinity"),
        (np.array([["a"]]), 1, {}, TypeError, "dtype"),
        (np.ones((5, 4)), 2, {"solver": "qr"}, ValueError, "solver='qr' is not available"),
        (np.ones((5, 4)), 2, {"n_iter": -1}, ValueError, "n_iter=-1 must be >= 0"),
        (np.ones((5, 4)), 4, {"solver": "arpack"}, ValueError, "must be < min"),
        (sp.csr_matrix(np.array([[1.0, np.nan]])), 1, {}, ValueError, "NaN"),
    ],
)
def test_svd_bad_input(X, k, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        svd(X, k, **kwargs)


def test_registry_accepts_new_solver():
    calls = []

    def fake(X, k, *, n_iter, random_state):
        calls.append(k)
        return svd(X, k, solver="exact")

    register_solver("test-fake", fake)
    assert "test-fake" in available_solvers()
    X = planted(50, 20, np.linspace(5, 1, 10))
    assert np.allclose(svd(X, 3, solver="test-fake")[1], svd(X, 3)[1])
    assert calls == [3]
    register_solver("test-missing", "nowhere:func", requires=("no_such_module_xyz",), extra="nothing")
    with pytest.raises(ImportError,
                       match=r"solver='test-missing' needs no_such_module_xyz: pip install 'veob\[nothing\]'"):
        svd(X, 3, solver="test-missing")


# -------------------------------------------------------------- kernels

@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 30), m=st.integers(1, 30), l=st.integers(1, 8), density=st.floats(0, 1),
       seed=st.integers(0, 99))
def test_csr_matmul_matches_reference(n, m, l, density, seed):
    A = sp.random(n, m, density=density, random_state=seed, format="csr", dtype=np.float64)
    B = np.random.default_rng(seed).standard_normal((m, l))
    out = np.empty((n, l))
    csr_matmul(A.indptr, A.indices, A.data, B, out)
    assert np.allclose(out, csr_matmul_reference(A.indptr, A.indices, A.data, B))
    assert np.allclose(out, A @ B)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 30), m=st.integers(1, 20), density=st.floats(0, 1), n_blocks=st.integers(1, 4),
       seed=st.integers(0, 99))
def test_csr_gram_matches_reference(n, m, density, n_blocks, seed):
    A = sp.random(n, m, density=density, random_state=seed, format="csr", dtype=np.float64)
    upper = csr_gram(A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data, m, n_blocks)
    assert np.allclose(upper, csr_gram_reference(A.indptr, A.indices, A.data, m))
    assert np.allclose(upper + np.triu(upper, 1).T, (A.T @ A).toarray())


@pytest.mark.parametrize("shape", [(300, 40), (40, 300)])
def test_sparse_gram_solver_uses_parallel_kernel(shape, monkeypatch):
    calls = []
    kernel = _kernels.csr_gram

    def spy(indptr, indices, data, n_cols, n_blocks):
        calls.append((indptr.shape[0] - 1, n_cols))
        return kernel(indptr, indices, data, n_cols, n_blocks)

    monkeypatch.setattr(_kernels, "csr_gram", spy)
    X = sp.random(*shape, density=0.1, random_state=1, format="csr", dtype=np.float64)
    U, s, Vt = svd(X, 5, solver="gram")
    assert calls == [(max(shape), min(shape))]  # the Gram matrix of the small side, from the kernel
    Ud, sd, Vtd = svd(X.toarray(), 5, solver="gram")
    assert np.allclose(s, sd, rtol=1e-10)
    assert np.allclose(Vt, Vtd, atol=1e-8) and np.allclose(U, Ud, atol=1e-8)  # same signs too
    assert np.allclose(s, np.linalg.svd(X.toarray(), compute_uv=False)[:5], rtol=1e-10)
    assert np.allclose(U.T @ U, np.eye(5), atol=1e-10)
    # "auto" takes the same path for sparse input with few columns
    calls.clear()
    if shape[0] >= shape[1]:
        assert all(np.array_equal(a, b) for a, b in zip(svd(X, 5), (U, s, Vt)))
        assert len(calls) == 1


@pytest.mark.parametrize("sparse", [False, True])
def test_incremental_solver(sparse):
    assert "incremental" in available_solvers()
    X = planted(400, 50, np.geomspace(50, 1, 12), seed=5)
    X = sp.csr_matrix(X) if sparse else X
    U, s, Vt = svd(X, 6, solver="incremental")
    U0, s0, Vt0 = svd(X.toarray() if sparse else X, 6, solver="exact")
    assert np.allclose(s, s0, rtol=1e-8)
    assert np.allclose(Vt, Vt0, atol=1e-6) and np.allclose(U, U0, atol=1e-6)
    inc = IncrementalSVD(6).fit(X)
    assert np.allclose(s, inc.singular_values_) and np.allclose(np.abs(Vt), np.abs(inc.components_))


# -------------------------------------------------------------- SVDEmbedder

def test_embedder_is_the_paper_projection():
    X = planted(120, 30, np.geomspace(20, 1, 25), seed=5)
    emb = SVDEmbedder(n_components=5)
    P = emb.fit_transform(X)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    assert np.allclose(np.abs(P), np.abs(U[:, :5] * s[:5]))
    assert np.allclose(emb.transform(X), P)
    assert np.allclose(emb.components_ @ emb.components_.T, np.eye(5))
    assert np.allclose(emb.explained_variance_ratio_, s[:5] ** 2 / (s**2).sum())
    assert emb.inverse_transform(P).shape == X.shape


def test_embedder_energy_fraction_and_center():
    X = planted(200, 40, np.geomspace(30, 1, 40), seed=6) + 3.0
    emb = SVDEmbedder(n_components=0.95).fit(X)
    energy = np.cumsum(emb.explained_variance_ratio_)
    assert energy[-1] >= 0.95 and (len(energy) == 1 or energy[-2] < 0.95)
    pca = SVDEmbedder(n_components=4, center=True).fit(X)
    from sklearn.decomposition import PCA

    ref = PCA(4, svd_solver="full").fit(X)
    assert np.allclose(np.abs(pca.transform(X)), np.abs(ref.transform(X)), atol=1e-8)
    with pytest.raises(ValueError, match="center=True is not supported for sparse X"):
        SVDEmbedder(2, center=True).fit(sp.csr_matrix(X))
    with pytest.raises(ValueError, match=r"a float must lie in \(0, 1\)"):
        SVDEmbedder(1.5).fit(X)


def test_embedder_pickle_and_float32():
    X = planted(100, 20, np.geomspace(10, 1, 20), dtype=np.float32)
    emb = SVDEmbedder(n_components=3, solver="randomized", random_state=0).fit(X)
    assert emb.components_.dtype == np.float32 and emb.transform(X).dtype == np.float32
    clone = pickle.loads(pickle.dumps(emb))
    assert np.array_equal(clone.transform(X), emb.transform(X))


# ----------------------------------------------------------- IncrementalSVD

@pytest.mark.parametrize("sparse", [False, True])
def test_incremental_matches_batch(sparse):
    X = planted(1000, 50, np.geomspace(50, 0.5, 50), seed=7)
    Xin = sp.csr_matrix(X) if sparse else X
    inc = IncrementalSVD(8, batch_size=100).fit(Xin)
    s = svd(X, 8, solver="exact")[1]
    assert np.allclose(inc.singular_values_, s, rtol=1e-3)
    Vt = svd(X, 8, solver="exact")[2]
    assert np.allclose(np.abs(np.sum(inc.components_ * Vt, axis=1)), 1, atol=1e-3)
    assert inc.n_samples_seen_ == 1000
    assert np.allclose(np.cumsum(inc.explained_variance_ratio_)[-1], (s**2).sum() / (X**2).sum(), rtol=1e-3)


def test_incremental_partial_fit_and_errors():
    X = planted(300, 40, np.geomspace(20, 1, 40), seed=8)
    inc = IncrementalSVD(5)
    for chunk in np.array_split(X, 6):
        inc.partial_fit(chunk)
    assert np.allclose(inc.singular_values_, svd(X, 5)[1], rtol=5e-3)
    assert inc.transform(X).shape == (300, 5)
    with pytest.raises(ValueError, match="features"):
        inc.partial_fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="n_components=50 must be <= n_features=40"):
        IncrementalSVD(50).fit(X)
    with pytest.raises(ValueError, match="batch_size=0 must be >= 1"):
        IncrementalSVD(5, batch_size=0).fit(X)


def test_incremental_sparse_batches_are_not_densified(monkeypatch):
    core = sp.random(3000, 5000, density=0.002, random_state=0, format="csr")
    X = (sp.diags(np.geomspace(1, 1e-2, 3000)) @ core @ sp.diags(np.geomspace(1, 1e-3, 5000))).tocsr()
    calls = []
    original = sp.csr_matrix.toarray

    def spy(self, *args, **kwargs):
        calls.append(self.shape)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", spy)
    inc = IncrementalSVD(5, batch_size=1000).fit(X)
    densified = [shape for shape in calls if shape[1] == X.shape[1]]  # B B^T (b x b) is fine
    assert not densified, f"a sparse batch was densified: {densified}"
    s = svd(X, 5, solver="arpack", random_state=0)[1]
    assert np.allclose(inc.singular_values_, s, rtol=1e-3)


# ------------------------------------------------------------- real data

def test_mnist_svd_accuracy(mnist_train_pixels):
    X = mnist_train_pixels
    s_exact = np.linalg.svd(X.astype(np.float64), compute_uv=False)[:30]
    U, s, Vt = svd(X, 30)
    assert np.max(np.abs(s - s_exact) / s_exact) <= 1e-4
    inc = IncrementalSVD(30, batch_size=3000).fit(X)  # 20 batches
    assert np.max(np.abs(inc.singular_values_ - s_exact) / s_exact) <= 1e-3


@pytest.mark.parametrize("solver", ["gram", "randomized"])
def test_tall_float32_keeps_small_singular_directions(solver):
    # 300,000 rows: eps32 * n_rows = 0.036, larger than the smallest singular value ratio
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((300_000, 12), dtype=np.float32) * np.geomspace(1, 0.01, 12).astype(np.float32))
    U, s, Vt = svd(X, 12, solver=solver, random_state=0)
    assert np.allclose(X[:2000] @ Vt.T, U[:2000] * s, atol=1e-3 * s[0] / np.sqrt(300_000) * 50)
    assert np.allclose(U.T @ U, np.eye(12), atol=1e-3)


def test_sparse_dense_matmul_matches_scipy():
    from veob.decomposition._operator import sparse_dense_matmul

    A = sp.random(300, 200, density=0.05, format="csc", random_state=0, dtype=np.float32)
    B = np.random.default_rng(0).standard_normal((200, 7))
    out = sparse_dense_matmul(A, B)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out, A @ B.astype(np.float32), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"B has shape \(199, 7\); expected \(200, n_columns\)"):
        sparse_dense_matmul(A, B[:199])
