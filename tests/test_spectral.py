import numpy as np
import pytest
import scipy.fft
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from veob import DCT2Transformer, cosine_basis, dct2, spectral_transform, symbol_spectra
from veob.spectral._reference import spectral_transform_reference, symbol_spectra_reference

# ------------------------------------------------------------- cosine_basis

def test_paper_basis_matches_formula():
    N, M = 15, 6
    B = cosine_basis(N, M, kind="paper", dtype=np.float64)
    for m in range(1, M + 1):
        for k in range(1, N + 1):
            assert B[m - 1, k - 1] == pytest.approx(np.cos(np.pi * (N - m) * (k - 1) / (N - 1)), abs=1e-12)


def test_paper_basis_rows_are_orthogonal():
    B = cosine_basis(9, kind="paper", dtype=np.float64)
    # DCT-I: orthogonal with end points weighted by 1/2
    w = np.ones(9)
    w[[0, -1]] = 0.5
    G = (B * w) @ B.T
    assert np.allclose(G - np.diag(np.diag(G)), 0, atol=1e-12)


@given(n_points=st.integers(1, 64))
def test_dct2_basis_is_orthonormal(n_points):
    B = cosine_basis(n_points, kind="dct2", dtype=np.float64)
    assert np.allclose(B @ B.T, np.eye(n_points), atol=1e-10)


def test_dct2_basis_matches_scipy():
    B = cosine_basis(10, 4, kind="dct2", dtype=np.float64)
    ref = scipy.fft.dct(np.eye(10), type=2, norm="ortho", axis=0)[:4]
    assert np.allclose(B, ref)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n_points": 1}, ValueError, "n_points=1 must be >= 2"),
        ({"n_points": 5, "n_freqs": 6}, ValueError, "n_freqs=6 must be <= n_points=5"),
        ({"n_points": 5, "n_freqs": 0}, ValueError, "n_freqs=0 must be >= 1"),
        ({"n_points": 5.0}, TypeError, "n_points"),
        ({"n_points": 5, "kind": "dct3"}, ValueError, "kind='dct3'"),
        ({"n_points": 5, "dtype": np.int32}, TypeError, "dtype"),
    ],
)
def test_cosine_basis_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        cosine_basis(**kwargs)


# ------------------------------------------------------- spectral_transform

@st.composite
def ragged(draw, max_len=40):
    d = draw(st.integers(1, 6))
    lengths = draw(st.lists(st.integers(0, max_len), min_size=1, max_size=8))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, d)) for n in lengths]


@settings(max_examples=60, deadline=None)
@given(seqs=ragged(), n_points=st.integers(2, 20), kind=st.sampled_from(["paper", "dct2"]), data=st.data())
def test_spectral_transform_matches_double_loop(seqs, n_points, kind, data):
    n_freqs = data.draw(st.integers(1, n_points))
    got = spectral_transform(seqs, n_points=n_points, n_freqs=n_freqs, kind=kind)
    ref = spectral_transform_reference(seqs, n_points, n_freqs, kind)
    assert got.shape == (len(seqs), n_freqs * seqs[0].shape[1])
    assert np.allclose(got, ref, atol=1e-9)


def test_spectral_transform_input_forms_agree():
    rng = np.random.default_rng(0)
    cube = rng.standard_normal((4, 7, 3)).astype(np.float32)
    as_list = spectral_transform(list(cube))
    as_cube = spectral_transform(cube)
    values, offsets = cube.reshape(-1, 3), np.arange(5) * 7
    as_ragged = spectral_transform((values, offsets))
    assert as_list.dtype == np.float32
    assert np.array_equal(as_list, as_cube) and np.array_equal(as_list, as_ragged)


def test_spectral_transform_block_layout_and_long_sequences():
    # one-hot of dimension d at position k: block m holds s(N, m, k)
    N, M, d, L = 5, 3, 4, 12  # L > N: the cosine continues
    seq = np.zeros((L, d))
    seq[np.arange(L), np.arange(L) % d] = 1
    out = spectral_transform([seq], n_points=N, n_freqs=M)[0]
    for m in range(1, M + 1):
        for j in range(d):
            expected = sum(np.cos(np.pi * (N - m) * k / (N - 1)) for k in range(L) if k % d == j)
            assert out[(m - 1) * d + j] == pytest.approx(expected)


def test_spectral_transform_empty_sequence_gives_zeros():
    out = spectral_transform([np.zeros((0, 3)), np.ones((2, 3))])
    assert np.all(out[0] == 0) and np.any(out[1] != 0)


@pytest.mark.parametrize(
    "sequences, exc, match",
    [
        ([], ValueError, "sequences is empty"),
        ([np.ones((3, 2)), np.ones((3, 4))], ValueError, r"sequences\[1\] has dimension 4"),
        ([np.ones(3)], ValueError, r"sequences\[0\] has shape \(3,\)"),
        ([np.array([[1.0, np.nan]])], ValueError, "NaN"),
        ([np.array([["a", "b"]])], TypeError, "dtype"),
        ((np.ones((5, 2)), np.array([0, 3, 2, 5])), ValueError, "non-decreasing"),
        ((np.ones((5, 2)), np.array([0, 3, 4])), ValueError, r"offsets\[-1\]=4 must equal"),
        ((np.ones((5, 2)), np.array([1, 5])), ValueError, r"offsets\[0\]=1 must be 0"),
        (np.ones((2, 3)), ValueError, "3-D"),
    ],
)
def test_spectral_transform_bad_input(sequences, exc, match):
    with pytest.raises(exc, match=match):
        spectral_transform(sequences)


# ------------------------------------------------------------ symbol_spectra

@settings(max_examples=60, deadline=None)
@given(
    seqs=st.lists(st.lists(st.integers(0, 9), max_size=25), min_size=1, max_size=8),
    kind=st.sampled_from(["paper", "dct2"]),
    n_freqs=st.integers(1, 6),
)
def test_symbol_spectra_equals_spectral_transform_of_one_hots(seqs, kind, n_freqs):
    got = symbol_spectra(seqs, 10, n_points=7, n_freqs=n_freqs, kind=kind, dtype=np.float64)
    assert sp.isspmatrix_csr(got) and got.has_sorted_indices
    ref = symbol_spectra_reference(seqs, 10, 7, n_freqs, kind)
    assert np.allclose(got.toarray(), ref.toarray(), atol=1e-12)
    onehots = [np.eye(10)[np.asarray(s, dtype=int)].reshape(len(s), 10) for s in seqs]
    dense = spectral_transform(onehots, n_points=7, n_freqs=n_freqs, kind=kind)
    assert np.allclose(got.toarray(), dense, atol=1e-12)


def test_symbol_spectra_strings_and_ragged_tuple():
    words = ["twighlight", "frowning", "a"]
    S = symbol_spectra(words, 128)
    codes = [np.array([ord(c) for c in w]) for w in words]
    R = symbol_spectra((np.concatenate(codes), np.array([0, 10, 18, 19])), 128)
    assert S.shape == (3, 6 * 128) and S.dtype == np.float32
    assert (S != R).nnz == 0
    # duplicate letters are summed, never stored twice
    row = S[0]
    assert len(np.unique(row.indices)) == row.nnz


@pytest.mark.parametrize(
    "sequences, exc, match",
    [
        ([[1, 2, 200]], ValueError, r"symbol id 200; ids must lie in \[0, n_symbols=128\)"),
        ([[1, -1]], ValueError, "symbol id -1"),
        (["caf\u00e9"], ValueError, "symbol id 233"),
        ([[1.5, 2]], TypeError, "integers"),
        ([], ValueError, "empty"),
        ("word", TypeError, "single string"),
        ([[[1, 2]]], ValueError, "1-D"),
    ],
)
def test_symbol_spectra_bad_input(sequences, exc, match):
    with pytest.raises(exc, match=match):
        symbol_spectra(sequences, 128)


# ---------------------------------------------------------------------- dct2

@settings(max_examples=30, deadline=None)
@given(
    h=st.integers(1, 12), w=st.integers(1, 12), channels=st.sampled_from([None, 1, 3]),
    norm=st.sampled_from(["ortho", None, "forward"]), data=st.data(),
)
def test_dct2_matches_scipy(h, w, channels, norm, data):
    k1, k2 = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    shape = (3, h, w) if channels is None else (3, h, w, channels)
    images = np.random.default_rng(h * w).random(shape)
    ref = scipy.fft.dctn(images, type=2, norm=norm, axes=(1, 2))
    assert np.allclose(dct2(images, norm=norm), ref)
    assert np.allclose(dct2(images, keep=(k1, k2), norm=norm), ref[:, :k1, :k2])


def test_dct2_dtypes():
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    assert dct2(images, keep=5).dtype == np.float32
    assert dct2(images.astype(np.float64), keep=5).dtype == np.float64
    assert np.allclose(dct2(images, keep=5), dct2(images.astype(np.float64), keep=5), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    "images, keep, exc, match",
    [
        (np.ones((4, 4)), None, ValueError, r"\(n, h, w\)"),
        (np.ones((2, 4, 4)), (5, 2), ValueError, r"5 must lie in \[1, 4\]"),
        (np.ones((2, 4, 4)), (0, 2), ValueError, "must lie in"),
        (np.ones((2, 4, 4)), "ab", TypeError, "keep"),
        (np.full((2, 4, 4), np.inf), None, ValueError, "NaN or infinity"),
        (np.ones((0, 4, 4)), None, ValueError, "empty"),
    ],
)
def test_dct2_bad_input(images, keep, exc, match):
    with pytest.raises(exc, match=match):
        dct2(images, keep=keep)


def test_dct2_transformer_round_trip():
    X = np.random.default_rng(0).random((5, 36))
    t = DCT2Transformer((6, 6)).fit(X)
    assert np.allclose(t.inverse_transform(t.transform(X)), X)
    low = DCT2Transformer((6, -1), keep=(3, 3)).fit(X)
    assert low.image_shape_ == (6, 6) and low.transform(X).shape == (5, 9)
    assert len(low.get_feature_names_out()) == 9
    with pytest.raises(ValueError, match="holds 25 values, but X has 36 features"):
        DCT2Transformer((5, 5)).fit(X)


# ------------------------------------------------------ TrajectoryTransformer

from veob.spectral import TrajectoryTransformer  # noqa: E402
from veob.spectral._reference import length_normalized_dct_reference  # noqa: E402
from veob.spectral._trajectory import _normalise, _point_features  # noqa: E402


def _strokes(n=12, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        L = int(rng.integers(2, 40))
        out.append(np.cumsum(rng.standard_normal((L, 2)), axis=0) * 10 + 50)
    return out


@pytest.mark.parametrize("kind", ["dct2", "paper"])
@pytest.mark.parametrize("features", [("xy",), ("xy", "direction"), ("xy", "direction", "curvature")])
def test_trajectory_transform_matches_direct_loop(kind, features):
    strokes = [s for s in _strokes() if len(s) > 4]
    got = TrajectoryTransformer(n_freqs=4, kind=kind, features=features).fit_transform(strokes)
    per_point = [_point_features(_normalise(s), features) for s in strokes]
    ref = length_normalized_dct_reference(per_point, 4, kind)
    assert got.shape == (len(strokes), 4 * 2 * len(features))
    assert np.allclose(got, ref)


def test_trajectory_invariance_to_translation_and_scale():
    strokes = _strokes()
    tt = TrajectoryTransformer(features=("xy", "direction", "curvature")).fit(strokes)
    moved = [s * 3.5 - 17.0 for s in strokes]
    assert np.allclose(tt.transform(strokes), tt.transform(moved))


def test_trajectory_ragged_equals_padded_and_flat():
    rng = np.random.default_rng(1)
    cube = rng.random((5, 8, 2)) * 100
    tt = TrajectoryTransformer().fit(cube)
    as_list = tt.transform(list(cube))
    assert np.allclose(tt.transform(cube), as_list)
    flat = TrajectoryTransformer().fit(cube.reshape(5, 16))
    assert np.allclose(flat.transform(cube.reshape(5, 16)), as_list)


def test_trajectory_resampling_makes_length_irrelevant():
    strokes = _strokes(seed=2)
    tt = TrajectoryTransformer(resample=32).fit(strokes)
    dense = []
    for s in strokes:  # three points inserted on every segment: the same polyline
        t = np.unique(np.concatenate([np.arange(len(s)), np.arange(len(s) - 1) + 0.25,
                                      np.arange(len(s) - 1) + 0.5, np.arange(len(s) - 1) + 0.8]))
        dense.append(np.column_stack([np.interp(t, np.arange(len(s)), s[:, j]) for j in range(2)]))
    assert np.allclose(tt.transform(strokes), tt.transform(dense), atol=1e-9)


@pytest.mark.parametrize(
    "trajectories, match",
    [
        ([np.ones((5, 2)), np.ones((1, 2))], r"X\[1\] has 1 point\(s\); at least 2 are required"),
        ([np.ones((5, 2)), np.array([[0.0, 1.0], [np.nan, 2.0]])], r"X\[1\] contains NaN"),
        ([np.ones((5, 3))], r"X\[0\] has shape \(5, 3\); expected \(length, 2\)"),
        ([], "empty"),
        (np.ones((4, 5)), "even number of columns"),
    ],
)
def test_trajectory_bad_input(trajectories, match):
    with pytest.raises(ValueError, match=match):
        TrajectoryTransformer().fit_transform(trajectories)


def test_trajectory_bad_parameters():
    with pytest.raises(ValueError, match="features="):
        TrajectoryTransformer(features=("xy", "speed")).fit([np.ones((3, 2))])
    with pytest.raises(ValueError, match="kind="):
        TrajectoryTransformer(kind="dct3").fit([np.ones((3, 2))])
    with pytest.raises(ValueError, match="resample=1 must be >= 2"):
        TrajectoryTransformer(resample=1).fit([np.ones((3, 2))])


@pytest.mark.parametrize("resample", [None, 2, 7, 32])
@pytest.mark.parametrize("features", [("xy", "direction", "curvature"), ("curvature", "xy")])
def test_trajectory_point_feature_kernel_matches_numpy_twin(resample, features):
    from veob.spectral._trajectory import _normalise, _point_feature_table, _point_features, _resample

    rng = np.random.default_rng(0)
    trajectories = [rng.standard_normal((rng.integers(2, 40), 2)).cumsum(axis=0) for _ in range(200)]
    trajectories += [np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 3.0], [2.0, 3.0], [2.0, 3.0], [5.0, 1.0]]),
                     np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([[0.0, 0.0], [1.0, 0.0]])]  # repeats, a dot
    values, offsets = _point_feature_table(trajectories, features, resample)
    reference = []
    for points in trajectories:
        points = _normalise(points)
        if resample is not None:
            points = _resample(points, resample)
        reference.append(_point_features(points, features))
    assert offsets[-1] == values.shape[0] == sum(len(r) for r in reference)
    np.testing.assert_allclose(values, np.vstack(reference), rtol=0, atol=1e-12)


# ------------------------------------------------------- length-0 sequences (issue 19)

def test_length_0_sequences_give_zero_rows_in_every_form_or_raise_naming_the_index():
    d = 3
    seqs = [np.ones((2, d)), np.zeros((0, d)), np.arange(6.0).reshape(2, d), np.zeros((0, d))]
    full = spectral_transform(seqs, n_points=4, n_freqs=2)
    assert full.shape == (4, 2 * d)
    np.testing.assert_array_equal(full[[1, 3]], 0.0)  # the empty sum
    np.testing.assert_array_equal(full[[0, 2]], spectral_transform([seqs[0], seqs[2]], n_points=4, n_freqs=2))
    values, offsets = np.concatenate(seqs), np.array([0, 2, 2, 4, 4])
    np.testing.assert_array_equal(spectral_transform((values, offsets), n_points=4, n_freqs=2), full)
    np.testing.assert_array_equal(spectral_transform(np.zeros((2, 0, d)), n_points=4, n_freqs=2), 0.0)
    with pytest.raises(ValueError, match=r"sequences\[1\] is empty \(length 0; 2 empty sequences in all\)"):
        spectral_transform(seqs, n_points=4, n_freqs=2, empty="raise")
    with pytest.raises(ValueError, match=r"sequences\[1\] is empty"):
        spectral_transform((values, offsets), n_points=4, n_freqs=2, empty="raise")
    spectral_transform(seqs[:1], n_points=4, n_freqs=2, empty="raise")  # nothing empty: fine
    with pytest.raises(ValueError, match=r"empty='skip' must be 'zero'"):
        spectral_transform(seqs, empty="skip")
    S = symbol_spectra(["ab", "", "ba"], n_symbols=128, n_points=3, n_freqs=2)
    assert S.shape == (3, 256) and S[1].nnz == 0
    with pytest.raises(ValueError, match=r"sequences\[1\] is empty \(length 0; 1 empty sequence in all\)"):
        symbol_spectra(["ab", "", "ba"], n_symbols=128, empty="raise")
