"""CellIndex against scikit-learn's NearestNeighbors on sklearn's digits (an outside reference,
beside the comparisons with veob's own NumPy twins in tests/test_partition.py)."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neighbors import NearestNeighbors

from veob.partition import CellIndex

K = 10


@pytest.fixture(scope="module")
def digits():
    X = load_digits().data  # 1797 x 64, integer pixels 0..16: many tied distances
    rng = np.random.default_rng(0)
    order = rng.permutation(X.shape[0])
    train, test = X[order[:1500]], X[order[1500:]]
    nn = NearestNeighbors(n_neighbors=K, algorithm="brute").fit(train)
    return train, test, nn


def _same_neighbours(dist, ind, ref_dist, ref_ind, X, Q):
    """Equal distances; equal indices except that tied samples may come in any order."""
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-9, atol=1e-9)
    for t in range(Q.shape[0]):
        # the rows are the true k nearest: their distances (recomputed) are the reference ones
        np.testing.assert_allclose(np.linalg.norm(X[ind[t]] - Q[t], axis=1), ref_dist[t], rtol=1e-9, atol=1e-9)
        assert len(set(ind[t])) == K
        below = ref_dist[t] < ref_dist[t, -1]  # every neighbour strictly inside the k-th distance is the same
        assert set(ind[t][below]) == set(ref_ind[t][below])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exact_search_equals_nearest_neighbors(digits, dtype):
    train, test, nn = digits
    ref_dist, ref_ind = nn.kneighbors(test)
    index = CellIndex(max_level=5, min_samples=20, exact=True, random_state=0).fit(train.astype(dtype))
    dist, ind = index.kneighbors(test, n_neighbors=K)
    tol = 1e-9 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(dist, ref_dist, rtol=tol, atol=tol)
    if dtype == np.float64:
        _same_neighbours(dist, ind, ref_dist, ref_ind, train, test)
    # without queries: each sample's neighbours, itself excluded, as NearestNeighbors does
    self_dist, _ = index.kneighbors(n_neighbors=K)
    ref_self, _ = NearestNeighbors(n_neighbors=K, algorithm="brute").fit(train).kneighbors()
    np.testing.assert_allclose(self_dist, ref_self, rtol=tol, atol=tol)


def test_exact_radius_search_equals_nearest_neighbors(digits):
    train, test, nn = digits
    index = CellIndex(max_level=5, min_samples=20, exact=True, random_state=0).fit(train)
    radius = 20.0  # between the 1st and the 10th neighbour distance of most digits
    dist, ind = index.radius_neighbors(test, radius)
    ref_dist, ref_ind = nn.radius_neighbors(test, radius, sort_results=True)
    assert sum(len(i) for i in ind) > len(test)
    for t in range(len(test)):
        assert set(ind[t].tolist()) == set(ref_ind[t].tolist())
        np.testing.assert_allclose(np.sort(dist[t]), ref_dist[t], rtol=1e-9, atol=1e-9)


def test_probe_search_recall_against_nearest_neighbors(digits):
    train, test, nn = digits
    _, true = nn.kneighbors(test)
    index = CellIndex(max_level=5, min_samples=20, random_state=0).fit(train)
    recalls = []
    for n_probe in (1, 3, index.n_cells_):
        ind = index.set_params(n_probe=n_probe).kneighbors(test, K, return_distance=False)
        recalls.append(np.mean([len(set(a) & set(b)) for a, b in zip(ind, true)]) / K)
    # one cell of ~50 digits already holds most of the 10 nearest; more probes only add
    assert recalls[0] > 0.5
    assert recalls[0] <= recalls[1] <= recalls[2]
    assert recalls[1] > 0.8
    assert recalls[2] > 0.99  # every cell probed: the exact neighbours up to ties
