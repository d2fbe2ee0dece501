"""svd solvers against scikit-learn, fbpca and scipy on the issue's shapes."""

from __future__ import annotations

import numpy as np
import pytest

import veob

from ._data import context_like, exact_singular_values, max_rel_error, mnist_pixels, planted_dense
from .conftest import record_ratio, time_peer


def _singular_values(result):
    """Summary of an (U, s, Vt) result in the child: the singular values only."""
    return result[1]


def _planted_inputs(n, m, decay, seed, k, **kwargs):
    """Setup in the child: the planted matrix (regenerated from its seed, not pickled) and k."""
    return (planted_dense(n, m, decay=decay, seed=seed), k), kwargs


def _context_inputs(shape, k, **kwargs):
    """Setup in the child: the sparse context-like matrix (regenerated from its seed) and k."""
    return (context_like(*shape), k), kwargs


def _fit_incremental(X, n_components, batch_size):
    return veob.IncrementalSVD(n_components, batch_size=batch_size).fit(X).singular_values_


@pytest.fixture(scope="module")
def mnist(quick):
    X = mnist_pixels(quick)
    return X, exact_singular_values(X, 30)


def test_svd_mnist_vs_randomized_svd(run, benchmark, mnist, quick):
    """60,000 x 784 float32, k = 30: >= 3x sklearn randomized_svd, faster than fbpca."""
    from sklearn.utils.extmath import randomized_svd

    X, s_ref = mnist
    s = run(veob.svd, X, 30, random_state=0, summary=_singular_values)
    benchmark.extra_info["shape"] = list(X.shape)
    benchmark.extra_info["rel_error"] = max_rel_error(s, s_ref)
    rounds = 1 if quick else 3
    peer, (_, s_peer, _) = time_peer(randomized_svd, X, 30, random_state=0, rounds=rounds)
    benchmark.extra_info["peer_rel_error"] = max_rel_error(s_peer, s_ref)
    ratio = record_ratio(benchmark, "sklearn.utils.extmath.randomized_svd", peer)
    try:
        import fbpca
    except ImportError:
        fbpca = None
    if fbpca is not None:
        fb, (_, s_fb, _) = time_peer(fbpca.pca, X, 30, raw=True, rounds=rounds)
        benchmark.extra_info["fbpca_median"] = fb
        benchmark.extra_info["fbpca_ratio"] = fb / benchmark.stats.stats.median
        benchmark.extra_info["fbpca_rel_error"] = max_rel_error(s_fb, s_ref)
    assert benchmark.extra_info["rel_error"] <= 1e-4
    if not quick:
        print(f"\nmnist svd ratio vs randomized_svd: {ratio:.2f}")


def test_svd_sentence_shape_vs_randomized_svd(run, benchmark, quick):
    """528,000 x 300 float32 with a decaying spectrum, k = 200: >= 10x sklearn randomized_svd."""
    from sklearn.utils.extmath import randomized_svd

    n = 20000 if quick else 528000
    X = planted_dense(n, 300, decay=0.5, seed=1)
    s_ref = exact_singular_values(X, 200)
    s = run(veob.svd, n, 300, 0.5, 1, 200, random_state=0, setup=_planted_inputs, summary=_singular_values,
            rounds=3)
    benchmark.extra_info["shape"] = list(X.shape)
    benchmark.extra_info["rel_error"] = max_rel_error(s, s_ref)
    peer, (_, s_peer, _) = time_peer(randomized_svd, X, 200, random_state=0, rounds=1)
    benchmark.extra_info["peer_rel_error"] = max_rel_error(s_peer, s_ref)
    record_ratio(benchmark, "sklearn.utils.extmath.randomized_svd", peer)
    assert benchmark.extra_info["rel_error"] <= 1e-4


def test_svd_sparse_context_shape_vs_truncated_svd(run, benchmark, quick):
    """Sparse 80,000 x 170,000, ~10 M non-zeros, k = 200, vs TruncatedSVD at equal accuracy.

    Both use 5 power iterations (TruncatedSVD's default); accuracy is the
    largest relative error of the 200 singular values against a 20-iteration
    reference, and veob's must be <= TruncatedSVD's.
    """
    from sklearn.decomposition import TruncatedSVD

    shape = (4000, 8500, 100_000) if quick else (80000, 170000, 10_000_000)
    X, k = context_like(*shape), (20 if quick else 200)
    s_ref = veob.svd(X, k, solver="randomized", n_iter=20, random_state=1)[1].astype(np.float64)
    s = run(veob.svd, shape, k, solver="randomized", n_iter=5, random_state=0, setup=_context_inputs,
            summary=_singular_values, rounds=1 if quick else 3)
    benchmark.extra_info.update(shape=list(X.shape), nnz=int(X.nnz), k=k,
                                rel_error=max_rel_error(s, s_ref))
    peer, model = time_peer(lambda: TruncatedSVD(k, n_iter=5, random_state=0).fit(X), rounds=1)
    benchmark.extra_info["peer_rel_error"] = max_rel_error(model.singular_values_, s_ref)
    record_ratio(benchmark, "sklearn.decomposition.TruncatedSVD(n_iter=5)", peer)
    if not quick:
        assert benchmark.extra_info["peak_rss_gb"] < 3.0
    assert benchmark.extra_info["rel_error"] <= benchmark.extra_info["peer_rel_error"] * 1.05


def test_svd_sparse_vs_scipy_svds(run, benchmark, quick):
    """The same sparse shape against scipy.sparse.linalg.svds (ARPACK) at k = 50."""
    from scipy.sparse.linalg import svds

    shape, k = ((4000, 8500, 100_000), 10) if quick else ((80000, 170000, 10_000_000), 50)
    X = context_like(*shape)
    s = run(veob.svd, shape, k, random_state=0, setup=_context_inputs, summary=_singular_values,
            rounds=1 if quick else 3)
    peer, (_, s_peer, _) = time_peer(svds, X, k=k, random_state=0, rounds=1)
    s_peer = np.sort(s_peer)[::-1]
    benchmark.extra_info.update(shape=list(X.shape), k=k, rel_error_vs_arpack=max_rel_error(s, s_peer))
    record_ratio(benchmark, "scipy.sparse.linalg.svds(arpack)", peer)


def test_incremental_svd_mnist(run, benchmark, mnist, quick):
    """IncrementalSVD over 20 row batches: singular values within 1e-3 of the batch SVD."""
    X, s_ref = mnist
    batch = X.shape[0] // 20

    s = run(_fit_incremental, X, 30, batch, rounds=1 if quick else 3)
    benchmark.extra_info["rel_error"] = max_rel_error(s, s_ref)
    benchmark.extra_info["batches"] = 20
    from sklearn.decomposition import IncrementalPCA

    peer, _ = time_peer(lambda: IncrementalPCA(30, batch_size=batch).fit(X), rounds=1)
    record_ratio(benchmark, "sklearn.decomposition.IncrementalPCA (centred)", peer)
    assert benchmark.extra_info["rel_error"] <= 1e-3
