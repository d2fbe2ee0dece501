"""Tests of veob.partition: kernels vs NumPy twins, exact search, recall, edge cases."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veob.partition import CellIndex, VoronoiPartition
from veob.partition import _build_kernels as K
from veob.partition import _reference as R
from veob.partition import _search_kernels as S
from veob.partition._partition import build_tree, make_items, nearest_centers

DTYPES = [np.float32, np.float64]


def blobs(n=1200, d=6, centers=8, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    C = rng.normal(0, 6, (centers, d))
    X = C[rng.integers(0, centers, n)] + rng.standard_normal((n, d))
    return X.astype(dtype)


# ------------------------------------------------------------------ kernels vs twins

@pytest.fixture(params=DTYPES, ids=["f32", "f64"])
def segments(request):
    """A permutation with three segments, per-segment means and unit vectors."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((700, 11)).astype(request.param)
    order = rng.permutation(700).astype(np.int64)
    starts, ends = np.array([0, 250, 251]), np.array([250, 251, 700])
    items, first = make_items(starts, ends, block=64)
    means = rng.standard_normal((3, 11))
    vecs = rng.standard_normal((3, 11))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return X, order, starts, ends, items, first, means, vecs


def test_make_items_tiles_segments(segments):
    _, _, starts, ends, items, first, _, _ = segments
    for s, (lo, hi) in enumerate(zip(starts, ends)):
        mine = items[items[:, 0] == s]
        assert mine[0, 1] == lo and mine[-1, 2] == hi
        assert np.all(mine[1:, 1] == mine[:-1, 2])
        assert np.all(mine[:, 2] - mine[:, 1] <= 64)
        assert items[first[s], 0] == s


def test_segment_sums_matches_twin(segments):
    X, order, _, _, items, _, _, _ = segments
    out = np.empty((len(items), X.shape[1]))
    K.segment_sums(X, order, items, out)
    np.testing.assert_allclose(out, R.segment_sums_reference(X, order, items), rtol=1e-12, atol=1e-9)


def test_segment_power_step_matches_twin(segments):
    X, order, _, _, items, _, means, vecs = segments
    out = np.empty((len(items), X.shape[1]))
    K.segment_power_step(X, order, items, means, vecs, out)
    np.testing.assert_allclose(out, R.segment_power_step_reference(X, order, items, means, vecs),
                               rtol=1e-10, atol=1e-8)


def test_segment_sides_and_partition_match_twins(segments):
    X, order, starts, ends, items, _, means, vecs = segments
    side = np.zeros(len(order), dtype=np.uint8)
    K.segment_sides(X, order, items, means, vecs, side)
    np.testing.assert_array_equal(side, R.segment_sides_reference(X, order, items, means, vecs, len(order)))
    got = order.copy()
    n_left = np.empty(3, dtype=np.int64)
    K.segment_partition(got, starts, ends, side, n_left)
    ref_order, ref_left = R.segment_partition_reference(order, starts, ends, side)
    np.testing.assert_array_equal(got, ref_order)
    np.testing.assert_array_equal(n_left, ref_left)


def test_gather_rows_matches_fancy_indexing(segments):
    X, order = segments[:2]
    out = np.empty_like(X)
    K.gather_rows(X, order, out)
    np.testing.assert_array_equal(out, X[order])


@pytest.mark.parametrize("dtype", DTYPES)
def test_nearest_centers_matches_twin(dtype):
    rng = np.random.default_rng(2)
    X = (rng.standard_normal((900, 7)) + 50).astype(dtype)   # far from 0: GEMM cancellation
    C = X[rng.choice(900, 40, replace=False)] + 0.01
    C[5] = C[4]                                              # duplicate centre: tie to the lower id
    labels, sqd = nearest_centers(X, C)
    ref_labels, ref_sqd = R.nearest_center_reference(X, C.astype(dtype))
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_allclose(sqd, ref_sqd, rtol=1e-12)
    assert not np.any(labels == 5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_member_sqdist_matches_twin(dtype):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 5)).astype(dtype)
    C = rng.standard_normal((7, 5))
    labels = rng.integers(0, 7, 300).astype(np.int64)
    out = np.empty(300)
    K.member_sqdist(X, C, labels, out)
    np.testing.assert_allclose(out, R.member_sqdist_reference(X, C, labels), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cell_phi_matches_twin_and_bounds_distances(dtype):
    from veob.partition._index import projection_axes

    rng = np.random.default_rng(3)
    X = blobs(n=700, d=12, dtype=dtype)
    index = CellIndex(max_level=4, min_samples=20, random_state=0).fit(X)
    data, ptr, m = index._data, index.partition_.cell_indptr_, index._axes.shape[0]
    phi = np.empty((len(data), m + 1))
    for c in range(index.n_cells_):
        base, n_c = index._phi_ptr[c], ptr[c + 1] - ptr[c]
        stride = (index._phi_ptr[c + 1] - base) // (m + 1)
        assert stride % S.PHI_ALIGN == 0 and stride >= n_c
        phi[ptr[c]:ptr[c + 1]] = index._phi[base:base + (m + 1) * stride].reshape(m + 1, stride)[:, :n_c].T
    ref = R.cell_phi_reference(data, ptr, index._centers, index._mean, index._axes)
    np.testing.assert_allclose(phi, ref, rtol=1e-6, atol=1e-5)
    # the bound: ||phi(q) - phi(x)|| <= ||q - x|| for any query q and member x of the same cell
    Q = rng.normal(0, 6, (30, 12))
    c = 2
    rows = data[ptr[c]:ptr[c + 1]].astype(np.float64)
    phi_q = R.cell_phi_reference(Q, np.array([0, len(Q)]), index._centers[c:c + 1], index._mean, index._axes)
    bound = np.sqrt(((phi_q[:, None, :] - ref[None, ptr[c]:ptr[c + 1]]) ** 2).sum(-1))
    assert np.all(bound <= np.sqrt(R._sqdist_matrix(Q, rows)) * (1 + 1e-12) + 1e-12)
    # the axes are orthonormal (exact eigenvectors for d <= 1024)
    mean, axes = projection_axes(X, 5, np.random.RandomState(0))
    np.testing.assert_allclose(axes @ axes.T, np.eye(5), atol=1e-12)
    np.testing.assert_allclose(mean, X.astype(np.float64).mean(axis=0), rtol=1e-6, atol=1e-6)


def test_projection_axes_randomized_above_1024_features():
    from veob.partition._index import projection_axes

    rng = np.random.default_rng(4)
    X = rng.standard_normal((300, 1100)) * np.linspace(3, 0.1, 1100)
    mean, axes = projection_axes(X, 16, np.random.RandomState(0))
    assert axes.shape == (16, 1100)
    np.testing.assert_allclose(axes @ axes.T, np.eye(16), atol=1e-12)
    index = CellIndex(max_level=3, min_samples=20, exact=True, random_state=0).fit(X)
    Q = rng.standard_normal((5, 1100))
    np.testing.assert_array_equal(index.kneighbors(Q, 3)[1], R.brute_kneighbors_reference(X, Q, 3)[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_nearest_cell_matches_twin(dtype):
    rng = np.random.default_rng(5)
    C = rng.standard_normal((40, 6))
    Q = rng.standard_normal((100, 6)).astype(dtype)
    out = np.empty(100, dtype=np.int64)
    S.nearest_cell(np.ascontiguousarray(C.T).reshape(-1), Q, out)
    np.testing.assert_array_equal(out, R.nearest_cell_reference(C, Q))


@pytest.mark.parametrize("dtype", DTYPES)
def test_tree_descend_matches_twin_and_labels(dtype):
    X = blobs(dtype=dtype)
    vp = VoronoiPartition(max_level=4, min_samples=20, assign="tree", random_state=0).fit(X)
    leaf = np.empty(len(X), dtype=np.int64)
    K.tree_descend(X, vp.node_centers_, vp.node_axes_, vp.node_children_, leaf)
    np.testing.assert_array_equal(leaf, R.tree_descend_reference(X, vp.node_centers_, vp.node_axes_,
                                                                  vp.node_children_))
    np.testing.assert_array_equal(vp.node_cells_[leaf], vp.labels_)


def test_center_adjacency_matches_twin():
    X = blobs(n=2000, d=3, centers=12, seed=4)
    vp = VoronoiPartition(max_level=4, min_samples=30, random_state=0).fit(X)
    got = vp.cell_neighbors()
    ref = R.center_adjacency_reference(vp.cell_centers_, vp.cell_radius_)
    np.testing.assert_array_equal(got.toarray(), ref)
    assert got.nnz > 0 and (got != got.T).nnz == 0 and got.diagonal().sum() == 0


def test_cell_neighbors_on_a_strip_is_a_chain():
    # a long thin strip: cells are slabs across it, each touching the next
    rng = np.random.default_rng(0)
    X = np.column_stack([np.linspace(0, 80, 800), rng.uniform(-4, 4, 800)])
    vp = VoronoiPartition(max_level=3, min_samples=10, random_state=0).fit(X)
    A = vp.cell_neighbors().toarray()
    order = np.argsort(vp.cell_centers_[:, 0])
    chain = A[np.ix_(order, order)]
    expected = np.eye(vp.n_cells_, k=1, dtype=bool) | np.eye(vp.n_cells_, k=-1, dtype=bool)
    np.testing.assert_array_equal(chain, expected)


def test_build_tree_matches_recursive_eigh_reference():
    # elongated data: every node has a clear top axis, so power iteration
    # and eigh agree and the two builds give the same leaves
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3000, 3)) * np.array([50.0, 1.0, 0.5])
    tree = build_tree(X, 3, 50, np.random.RandomState(0))
    got = [np.sort(tree.order[tree.starts[leaf]:tree.ends[leaf]]) for leaf in tree.leaves]
    ref = [np.sort(rows) for rows in R.build_tree_reference(X, 3, 50)]
    assert len(got) == len(ref) == 8
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ VoronoiPartition

@pytest.mark.parametrize("assign", ["nearest", "tree"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_partition_invariants(assign, dtype):
    X = blobs(dtype=dtype)
    vp = VoronoiPartition(max_level=5, min_samples=25, assign=assign, random_state=0).fit(X)
    n = len(X)
    assert vp.cell_centers_.dtype == dtype
    assert 1 < vp.n_cells_ <= 2 ** 5
    assert vp.labels_.dtype == np.int64 and vp.labels_.shape == (n,)
    np.testing.assert_array_equal(np.unique(vp.labels_), np.arange(vp.n_cells_))
    np.testing.assert_array_equal(vp.cell_sizes_, np.bincount(vp.labels_))
    assert vp.cell_sizes_.sum() == n and vp.cell_sizes_.min() >= 1
    np.testing.assert_array_equal(vp.predict(X), vp.labels_)
    X64 = X.astype(np.float64)
    C64 = vp.cell_centers_.astype(np.float64)
    dist = np.sqrt(((X64 - C64[vp.labels_]) ** 2).sum(1))
    np.testing.assert_allclose(vp.cell_radius_, [dist[vp.labels_ == c].max() for c in range(vp.n_cells_)],
                               rtol=1e-12)
    for c in range(vp.n_cells_):
        np.testing.assert_array_equal(vp.cell_members(c), np.flatnonzero(vp.labels_ == c))
    # the tree: children two levels apart in numbering, leaves map to cells
    inner = vp.node_children_[:, 0] >= 0
    np.testing.assert_allclose(np.linalg.norm(vp.node_axes_[inner], axis=1), 1.0, rtol=1e-10)
    assert np.all(vp.node_levels_[vp.node_children_[inner, 0]] == vp.node_levels_[inner] + 1)
    assert np.all(vp.node_sizes_[inner] > 25)
    leaves = ~inner
    np.testing.assert_array_equal(np.sort(vp.node_cells_[leaves & (vp.node_cells_ >= 0)]),
                                  np.arange(vp.n_cells_))
    if assign == "nearest":
        D = ((X64[:, None] - C64[None]) ** 2).sum(-1)
        np.testing.assert_array_equal(vp.labels_, D.argmin(1))
    else:
        # tree cells: centres are the member means, leaves are the cells
        for c in range(vp.n_cells_):
            np.testing.assert_allclose(C64[c], X64[vp.labels_ == c].mean(0), rtol=1e-5, atol=1e-5)


def test_partition_paper_example_two_blobs():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-5, 1, (200, 2)), rng.normal(5, 1, (200, 2))])
    vp = VoronoiPartition(max_level=1, min_samples=10, random_state=0).fit(X)
    assert vp.n_cells_ == 2
    assert set(np.unique(vp.labels_[:200])) | set(np.unique(vp.labels_[200:])) == {0, 1}
    assert len(np.unique(vp.labels_[:200])) == 1


def test_partition_min_samples_and_max_level_stop():
    X = blobs(n=1000)
    assert VoronoiPartition(max_level=0, random_state=0).fit(X).n_cells_ == 1
    assert VoronoiPartition(max_level=9, min_samples=1000, random_state=0).fit(X).n_cells_ == 1
    vp = VoronoiPartition(max_level=20, min_samples=60, assign="tree", random_state=0).fit(X)
    leaf_sizes = vp.node_sizes_[vp.node_children_[:, 0] < 0]
    assert leaf_sizes.max() <= 60 and vp.node_levels_.max() < 20


@pytest.mark.parametrize("assign", ["nearest", "tree"])
def test_partition_degenerate_inputs(assign):
    kw = dict(max_level=9, min_samples=2, assign=assign, random_state=0)
    same = np.ones((50, 3))
    vp = VoronoiPartition(**kw).fit(same)
    assert vp.n_cells_ == 1 and vp.cell_radius_[0] == 0
    one = VoronoiPartition(**kw).fit([[1.0, 2.0]])
    assert one.n_cells_ == 1 and one.labels_.tolist() == [0]
    few = VoronoiPartition(max_level=9, min_samples=100, assign=assign, random_state=0).fit(blobs(n=40))
    assert few.n_cells_ == 1
    dup = np.repeat(np.arange(5.0), 30)[:, None]            # d = 1, heavy duplicates
    vd = VoronoiPartition(**kw).fit(dup)
    assert vd.n_cells_ == 5
    for c in range(5):
        assert np.ptp(dup[vd.cell_members(c)]) == 0
    tiny = np.array([[0.1], [0.1], [0.1]])                  # a float64 mean that is not exact
    assert VoronoiPartition(**kw).fit(tiny).n_cells_ == 1


def test_partition_determinism_and_pickle():
    X = blobs(n=1500, d=10)
    a = VoronoiPartition(max_level=5, min_samples=20, random_state=3).fit(X)
    b = VoronoiPartition(max_level=5, min_samples=20, random_state=3).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.node_axes_, b.node_axes_)
    c = pickle.loads(pickle.dumps(a))
    Q = blobs(n=200, d=10, seed=9)
    np.testing.assert_array_equal(c.predict(Q), a.predict(Q))
    np.testing.assert_array_equal(c.cell_neighbors().toarray(), a.cell_neighbors().toarray())


def test_partition_n_jobs_does_not_change_the_result():
    X = blobs(n=3000, d=5)
    a = VoronoiPartition(max_level=6, min_samples=20, random_state=0, n_jobs=1).fit(X)
    b = VoronoiPartition(max_level=6, min_samples=20, random_state=0, n_jobs=2).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cell_centers_, b.cell_centers_)


@pytest.mark.parametrize(
    "params, exc, match",
    [
        ({"max_level": -1}, ValueError, "max_level=-1 must be >= 0"),
        ({"max_level": 2.5}, TypeError, "max_level=2.5 must be an integer"),
        ({"min_samples": 0}, ValueError, "min_samples=0 must be >= 1"),
        ({"assign": "kmeans"}, ValueError, "assign='kmeans' must be 'nearest' or 'tree'"),
        ({"n_jobs": 0}, ValueError, "n_jobs=0"),
        ({"random_state": "x"}, TypeError, "random_state"),
    ],
)
def test_partition_bad_parameters(params, exc, match):
    with pytest.raises(exc, match=match):
        VoronoiPartition(**params).fit(blobs(n=50))


def test_partition_bad_input():
    X = blobs(n=100)
    with pytest.raises(ValueError, match="NaN"):
        VoronoiPartition().fit(np.full((5, 2), np.nan))
    with pytest.raises(ValueError, match="2D array"):
        VoronoiPartition().fit(np.ones(5))
    vp = VoronoiPartition(max_level=2, min_samples=5, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        vp.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"i=9 must be <= n_cells_ - 1=3"):
        vp.cell_members(9)
    with pytest.raises(TypeError, match="i=1.0 must be an integer"):
        vp.cell_members(1.0)
    np.testing.assert_array_equal(vp.cell_members(-1), vp.cell_members(vp.n_cells_ - 1))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        VoronoiPartition().predict(X)


# ------------------------------------------------------------------ CellIndex: exact search

def _assert_same_neighbours(dist, ind, ref_dist, ref_ind, dtype):
    np.testing.assert_array_equal(ind, ref_ind)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-6)
    assert dist.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_equals_brute_force_random(dtype):
    X = blobs(n=2000, d=6, dtype=dtype)
    Q = blobs(n=150, d=6, seed=7, dtype=dtype)
    index = CellIndex(max_level=6, min_samples=20, exact=True, random_state=0).fit(X)
    dist, ind = index.kneighbors(Q, n_neighbors=7)
    _assert_same_neighbours(dist, ind, *R.brute_kneighbors_reference(X, Q, 7), dtype)
    # k larger than any cell: the heap fills across cells
    dist, ind = index.kneighbors(Q[:20], n_neighbors=300)
    _assert_same_neighbours(dist, ind, *R.brute_kneighbors_reference(X, Q[:20], 300), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_equals_brute_force_with_duplicates_and_ties(dtype):
    rng = np.random.default_rng(11)
    base = rng.integers(0, 4, (60, 3)).astype(dtype)          # integer grid: many exact ties
    X = base[rng.integers(0, 60, 900)]
    Q = np.concatenate([base[:10], rng.integers(0, 4, (10, 3)).astype(dtype) + 0.5])
    index = CellIndex(max_level=5, min_samples=10, exact=True, random_state=0).fit(X)
    dist, ind = index.kneighbors(Q, n_neighbors=25)
    _assert_same_neighbours(dist, ind, *R.brute_kneighbors_reference(X, Q, 25), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_equals_brute_force_d1(dtype):
    rng = np.random.default_rng(12)
    X = rng.standard_normal((700, 1)).astype(dtype) * 10
    Q = rng.standard_normal((40, 1)).astype(dtype) * 12
    index = CellIndex(max_level=5, min_samples=8, exact=True, random_state=0).fit(X)
    _assert_same_neighbours(*index.kneighbors(Q, 5), *R.brute_kneighbors_reference(X, Q, 5), dtype)


def test_exact_projection_filter_is_off_for_huge_values():
    # float32 squares of values ~1e18 could overflow: the float32 filter must be skipped
    rng = np.random.default_rng(13)
    X = (rng.standard_normal((400, 3)) * 1e18).astype(np.float32)
    Q = (rng.standard_normal((20, 3)) * 1e18).astype(np.float32)
    index = CellIndex(max_level=4, min_samples=10, exact=True, random_state=0).fit(X)
    assert not index._phi_ok
    _assert_same_neighbours(*index.kneighbors(Q, 4), *R.brute_kneighbors_reference(X, Q, 4), np.float32)
    # a normal index and huge queries: the filter is switched off per query
    small = CellIndex(max_level=4, min_samples=10, exact=True, random_state=0).fit(X / np.float32(1e18))
    assert small._phi_ok
    both = np.concatenate([Q[:5], Q[5:] / np.float32(1e18)])
    ref = R.brute_kneighbors_reference(X / np.float32(1e18), both, 4)
    _assert_same_neighbours(*small.kneighbors(both, 4), *ref, np.float32)
    dist, ind = small.radius_neighbors(both[3:6], 1e18)
    ref_d, ref_i = R.radius_neighbors_reference(X / np.float32(1e18), both[3:6], 1e18)
    assert [len(i) for i in ind] == [len(i) for i in ref_i]
    for t in range(3):
        np.testing.assert_array_equal(ind[t], ref_i[t])


@pytest.mark.parametrize("block", [1, 7, 1000])
def test_exact_result_does_not_depend_on_the_query_blocks(monkeypatch, block):
    from veob.partition import _index

    X = blobs(n=1500, d=5, dtype=np.float32)
    Q = blobs(n=90, d=5, seed=9, dtype=np.float32)
    index = CellIndex(max_level=5, min_samples=15, exact=True, random_state=0).fit(X)
    monkeypatch.setattr(_index, "EXACT_BLOCK", block)
    _assert_same_neighbours(*index.kneighbors(Q, 6), *R.brute_kneighbors_reference(X, Q, 6), np.float32)


def test_exact_search_prunes():
    X = blobs(n=4000, d=8, centers=20, seed=1)
    index = CellIndex(max_level=6, min_samples=20, exact=True, random_state=0).fit(X)
    Q = index._validate_queries(blobs(n=100, d=8, centers=20, seed=2))
    _, ind, stats = index._search(Q, 10, 1, True)
    np.testing.assert_array_equal(ind, R.brute_kneighbors_reference(X, Q, 10)[1])
    # the projection filter leaves few exact distances: far fewer than brute force's 4,000
    assert stats["distances"].mean() < 400
    assert 1 <= stats["cells"].min() and stats["cells"].max() <= index.n_cells_


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 120), d=st.integers(1, 4), k=st.integers(1, 6), seed=st.integers(0, 1000),
       levels=st.integers(0, 5), grid=st.booleans())
def test_exact_equals_brute_force_property(n, d, k, seed, levels, grid):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, (n, d)).astype(float) if grid else rng.standard_normal((n, d))
    Q = rng.standard_normal((5, d))
    k = min(k, n)
    index = CellIndex(max_level=levels, min_samples=3, exact=True, random_state=seed).fit(X)
    dist, ind = index.kneighbors(Q, k)
    ref_dist, ref_ind = R.brute_kneighbors_reference(X, Q, k)
    np.testing.assert_array_equal(ind, ref_ind)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-12, atol=1e-12)


def test_radius_neighbors_exact_equals_brute_force():
    X = blobs(n=1500, d=4)
    Q = blobs(n=60, d=4, seed=8)
    index = CellIndex(max_level=5, min_samples=20, exact=True, random_state=0).fit(X)
    for radius in (0.0, 0.7, 2.5):
        dist, ind = index.radius_neighbors(Q, radius)
        ref_d, ref_i = R.radius_neighbors_reference(X, Q, radius)
        assert dist.dtype == object and len(ind) == len(Q)
        for t in range(len(Q)):
            np.testing.assert_array_equal(ind[t], ref_i[t])
            np.testing.assert_allclose(dist[t], ref_d[t], rtol=1e-12)
    assert sum(len(i) for i in ind) > 0
    only = index.radius_neighbors(X[:3], 0.0, return_distance=False)
    assert [0 in only[0], 1 in only[1], 2 in only[2]] == [True, True, True]


# ------------------------------------------------------------------ CellIndex: approximate search

@pytest.mark.parametrize("dtype", DTYPES)
def test_probe_search_matches_twin(dtype):
    X = blobs(n=1500, d=5, dtype=dtype)
    Q = blobs(n=80, d=5, seed=5, dtype=dtype)
    for n_probe in (1, 3):
        index = CellIndex(max_level=6, min_samples=15, n_probe=n_probe, random_state=0).fit(X)
        part = index.partition_
        dist, ind = index.kneighbors(Q, 12)
        ref_d, ref_i = R.probe_kneighbors_reference(X, part.labels_, part.cell_centers_, Q, 12, n_probe)
        _assert_same_neighbours(dist, ind, ref_d, ref_i, dtype)


def test_probe_radius_search_matches_twin():
    X = blobs(n=1500, d=5)
    Q = blobs(n=50, d=5, seed=6)
    index = CellIndex(max_level=6, min_samples=15, n_probe=2, random_state=0).fit(X)
    part = index.partition_
    dist, ind = index.radius_neighbors(Q, 2.0)
    dc = ((Q[:, None] - part.cell_centers_[None]) ** 2).sum(-1)
    members = [np.flatnonzero(np.isin(part.labels_, np.lexsort((np.arange(len(row)), row))[:2])) for row in dc]
    ref_d, ref_i = R.radius_neighbors_reference(X, Q, 2.0, members)
    for t in range(len(Q)):
        np.testing.assert_array_equal(ind[t], ref_i[t])


def test_recall_grows_with_n_probe_and_reaches_brute_force():
    X = blobs(n=3000, d=8, centers=20, seed=1)
    Q = blobs(n=200, d=8, centers=20, seed=2)
    _, true = R.brute_kneighbors_reference(X, Q, 10)
    index = CellIndex(max_level=6, min_samples=20, random_state=0).fit(X)
    found_prev = np.zeros(len(Q))
    recalls = []
    for n_probe in (1, 2, 4, 8, index.n_cells_):
        ind = index.set_params(n_probe=n_probe).kneighbors(Q, 10, return_distance=False)
        found = np.array([len(set(a) & set(b)) for a, b in zip(ind, true)])
        assert np.all(found >= found_prev)               # probed sets are nested
        found_prev = found
        recalls.append(found.mean() / 10)
    assert recalls[0] > 0.3 and recalls[-2] > 0.9 and recalls[-1] == 1.0
    assert recalls[-2] > recalls[0]


def test_kneighbors_without_queries_excludes_self():
    X = blobs(n=600, d=4)
    index = CellIndex(max_level=4, min_samples=20, exact=True, random_state=0).fit(X)
    dist, ind = index.kneighbors(n_neighbors=5)
    _, ref = R.brute_kneighbors_reference(X, X, 6)
    np.testing.assert_array_equal(ind, ref[:, 1:])
    assert not np.any(ind == np.arange(600)[:, None])
    with pytest.raises(ValueError, match=r"n_neighbors=600 must be <= n_samples_fit_ - 1"):
        index.kneighbors(n_neighbors=600)


def test_cell_index_determinism_and_pickle():
    X = blobs(n=1200, d=6)
    Q = blobs(n=100, d=6, seed=3)
    a = CellIndex(max_level=5, min_samples=20, n_probe=2, random_state=4).fit(X)
    b = CellIndex(max_level=5, min_samples=20, n_probe=2, random_state=4).fit(X)
    c = pickle.loads(pickle.dumps(a))
    ra, rb, rc = a.kneighbors(Q, 5), b.kneighbors(Q, 5), c.kneighbors(Q, 5)
    for other in (rb, rc):
        np.testing.assert_array_equal(ra[0], other[0])
        np.testing.assert_array_equal(ra[1], other[1])


def test_cell_index_edge_cases():
    one = CellIndex(exact=True).fit([[3.0, 4.0]])
    dist, ind = one.kneighbors([[0.0, 0.0]], 1)
    assert ind.tolist() == [[0]] and dist.tolist() == [[5.0]]
    same = CellIndex(max_level=4, min_samples=2, random_state=0).fit(np.zeros((30, 2)))
    dist, ind = same.kneighbors([[1.0, 0.0]], 4)
    assert ind.tolist() == [[0, 1, 2, 3]] and np.all(dist == 1.0)
    small = CellIndex(random_state=0).fit(blobs(n=50))        # n < min_samples: one cell
    assert small.n_cells_ == 1
    ind = small.kneighbors(blobs(n=3, seed=1), 50, return_distance=False)
    assert sorted(ind[0].tolist()) == list(range(50))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda ix, X: ix.kneighbors(X, 0), ValueError, "n_neighbors=0 must be >= 1"),
        (lambda ix, X: ix.kneighbors(X, 101), ValueError, "n_neighbors=101 must be <= n_samples_fit_=100"),
        (lambda ix, X: ix.kneighbors(X, 2.0), TypeError, "n_neighbors=2.0 must be an integer"),
        (lambda ix, X: ix.kneighbors(X[:, :2], 3), ValueError, "features"),
        (lambda ix, X: ix.kneighbors(np.full((2, 4), np.nan), 3), ValueError, "NaN"),
        (lambda ix, X: ix.kneighbors(X, 3, return_distance=1), TypeError, "return_distance=1"),
        (lambda ix, X: ix.radius_neighbors(X, -1.0), ValueError, "radius=-1.0 must be a finite number >= 0"),
        (lambda ix, X: ix.radius_neighbors(X, np.inf), ValueError, "radius=inf"),
        (lambda ix, X: ix.set_params(n_probe=0).kneighbors(X, 3), ValueError, "n_probe=0 must be >= 1"),
        (lambda ix, X: ix.set_params(exact="yes").kneighbors(X, 3), TypeError, "exact='yes' must be True or False"),
    ],
)
def test_cell_index_bad_input(call, exc, match):
    X = blobs(n=100, d=4)
    index = CellIndex(max_level=3, min_samples=10, random_state=0).fit(X)
    with pytest.raises(exc, match=match):
        call(index, X)


@pytest.mark.parametrize(
    "params, exc, match",
    [
        ({"n_probe": 0}, ValueError, "n_probe=0 must be >= 1"),
        ({"n_probe": 1.5}, TypeError, "n_probe=1.5 must be an integer"),
        ({"exact": None}, TypeError, "exact=None must be True or False"),
        ({"max_level": -2}, ValueError, "max_level=-2 must be >= 0"),
        ({"min_samples": 0}, ValueError, "min_samples=0 must be >= 1"),
    ],
)
def test_cell_index_bad_parameters(params, exc, match):
    with pytest.raises(exc, match=match):
        CellIndex(**params).fit(blobs(n=50))


def test_cell_index_queries_are_cast_to_the_indexed_dtype():
    X = blobs(n=500, d=3, dtype=np.float32)
    index = CellIndex(max_level=3, min_samples=20, exact=True, random_state=0).fit(X)
    d32, i32 = index.kneighbors(X[:10].astype(np.float64), 3)
    assert d32.dtype == np.float32
    np.testing.assert_array_equal(i32, index.kneighbors(X[:10], 3)[1])


# ------------------------------------------------------------------ real data

def test_mnist_exact_and_probe_recall(mnist_train_pixels):
    from veob import svd

    X = mnist_train_pixels
    _, s, Vt = svd(X, 30, random_state=0)
    P = np.ascontiguousarray(X @ Vt.T)
    train, test = P[:20000], P[50000:50300]
    index = CellIndex(max_level=7, min_samples=100, exact=True, random_state=0).fit(train)
    dist, ind = index.kneighbors(test, 10)
    ref_d, ref_i = R.brute_kneighbors_reference(train, test, 10)
    np.testing.assert_array_equal(ind, ref_i)
    index.set_params(exact=False, n_probe=8)
    approx = index.kneighbors(test, 10, return_distance=False)
    recall = np.mean([len(set(a) & set(b)) for a, b in zip(approx, ref_i)]) / 10
    assert recall > 0.9
