"""The Dask solvers: blockwise SVD of dask arrays, memmaps and NumPy arrays."""

import numpy as np
import pytest

from veob import SVDEmbedder, svd

da = pytest.importorskip("dask.array", reason="the dask solvers need dask: pip install 'veob[dask]'")

METHODS = ["dask", "dask-gram", "dask-tsqr", "dask-randomized"]


def decaying(n, m, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, m)) * np.geomspace(10, 0.1, m)).astype(dtype)


@pytest.mark.parametrize("solver", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dask_solvers_match_in_memory(solver, dtype):
    X = decaying(3000, 40, dtype=dtype)
    U0, s0, Vt0 = svd(X, 6, solver="exact")
    U, s, Vt = svd(da.from_array(X, chunks=(700, 40)), 6, solver=solver, random_state=0)
    assert U.dtype == s.dtype == Vt.dtype == dtype
    # a dask array in, the left factor stays a dask array (chunked like X, already computed)
    assert isinstance(U, da.Array) and U.shape == (3000, 6) and U.chunks[0] == (700, 700, 700, 700, 200)
    assert all(isinstance(chunk, np.ndarray) for chunk in dict(U.dask).values())
    assert isinstance(Vt, np.ndarray) and Vt.shape == (6, 40)
    U = U.compute()
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    assert np.allclose(s, s0, rtol=rtol)
    vector_atol = 1e-5 if solver == "dask-randomized" and dtype == np.float64 else 100 * rtol
    assert np.allclose(Vt, Vt0, atol=vector_atol)  # same sign convention
    assert np.allclose(U.T @ U, np.eye(6), atol=100 * rtol)


def test_wide_numpy_and_memmap_inputs(tmp_path):
    X = decaying(2500, 30, seed=1)
    s0 = np.linalg.svd(X.astype(np.float64), compute_uv=False)[:4]
    path = tmp_path / "X.npy"
    np.save(path, X)
    memmap = np.load(path, mmap_mode="r")
    for inp in (X, memmap, da.from_array(X.T, chunks=(30, 600))):
        U, s, Vt = svd(inp, 4, solver="dask")
        assert np.allclose(s, s0, rtol=1e-4)
        # NumPy (and a memmap) in, NumPy out; a dask array in, a dask left factor out
        assert isinstance(U, da.Array if isinstance(inp, da.Array) else np.ndarray)
    assert U.shape == (30, 4) and Vt.shape == (4, 2500)
    U0 = svd(np.ascontiguousarray(X.T), 4, solver="exact")[0]
    assert np.allclose(U.compute(), U0, atol=1e-4)


def test_seeded_randomized_is_deterministic():
    X = da.from_array(decaying(2000, 60, seed=2), chunks=(500, 60))
    a = svd(X, 5, solver="dask-randomized", random_state=3)
    b = svd(X, 5, solver="dask-randomized", random_state=3)
    for x, y in zip(a, b):
        assert np.array_equal(np.asarray(x), np.asarray(y))


def test_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    X = decaying(4000, 50, seed=4)
    s0 = np.linalg.svd(X.astype(np.float64), compute_uv=False)[:5]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None, local_directory=str(tmp_path)) as cluster:
        with distributed.Client(cluster) as client:
            arr = client.persist(da.from_array(X, chunks=(1000, 50)))
            U, s, Vt = svd(arr, 5, solver="dask")
            # U is held by the workers, computed: its keys are in the cluster's memory
            assert isinstance(U, da.Array)
            keys = {str(key) for key in U.__dask_keys__() for key in (key if isinstance(key, list) else [key])}
            held = {str(key) for keys_ in client.has_what().values() for key in keys_}
            assert keys <= held
            U_local = U.compute()
            emb = SVDEmbedder(5, solver="dask").fit(X)
    assert np.allclose(s, s0, rtol=1e-4)
    assert np.allclose(U_local.T @ U_local, np.eye(5), atol=1e-4)
    assert np.allclose(U_local * s, X @ Vt.T, rtol=1e-3, atol=1e-3)
    assert np.allclose(emb.singular_values_, s0, rtol=1e-4)


@pytest.mark.parametrize(
    "X, k, kwargs, exc, match",
    [
        (np.ones((10, 4)), 5, {}, ValueError, r"n_components=5 must lie in \[1, min"),
        (np.ones((10, 4)), 0, {}, ValueError, "n_components=0"),
        (np.ones(10), 1, {}, ValueError, "2-D"),
        (np.array([[1.0, np.nan], [1.0, 2.0]]), 1, {}, ValueError, "NaN or infinity"),
    ],
)
def test_bad_input(X, k, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        svd(X, k, solver="dask", **kwargs)


def test_embedder_out_of_core_and_blockwise_certificate(tmp_path):
    from veob import svd_error

    X = decaying(3000, 25, seed=5)
    path = tmp_path / "X.npy"
    np.save(path, X)
    memmap = np.load(path, mmap_mode="r")
    ref = SVDEmbedder(4).fit(X)
    lazy = da.from_array(X, chunks=(800, 25))
    for model, data in ((SVDEmbedder(4), lazy), (SVDEmbedder(4, solver="dask"), memmap),
                        (SVDEmbedder(4, solver="dask-tsqr", center=True), lazy)):
        model.fit(data)
        assert model.n_features_in_ == 25
        if not model.center:
            assert np.allclose(model.singular_values_, ref.singular_values_, rtol=1e-4)
            assert np.allclose(model.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-4)
        assert np.allclose(model.transform(lazy), model.transform(X), atol=1e-3)
    with pytest.raises(ValueError, match="energy fraction is not supported"):
        SVDEmbedder(0.9, solver="dask").fit(lazy)
    U, s, Vt = svd(memmap, 4, solver="dask")
    in_memory = svd_error(X, U, s, Vt, random_state=0)
    assert svd_error(memmap, U, s, Vt, random_state=0) == pytest.approx(in_memory, rel=1e-6)
    assert svd_error(lazy, U, s, Vt, random_state=0) == pytest.approx(in_memory, rel=1e-6)


@pytest.mark.parametrize("solver", ["dask", "dask-gram", "dask-randomized", "dask-tsqr"])
def test_sparse_input_is_blocked_not_densified(solver):
    import scipy.sparse as sp

    core = sp.random(1500, 600, density=0.02, random_state=0, format="csr")
    X = (sp.diags(np.geomspace(1, 1e-2, 1500)) @ core @ sp.diags(np.geomspace(1, 1e-2, 600))).tocsr()
    s0 = svd(X, 5, solver="exact")[1]
    for inp in (X, X.T.tocsr()):  # tall and wide
        U, s, Vt = svd(inp, 5, solver=solver, random_state=0, n_iter=10)
        assert np.allclose(s, s0, rtol=1e-5)
        assert U.shape == (inp.shape[0], 5) and Vt.shape == (5, inp.shape[1])
