"""veob.images: PatchEmbedder and its numba kernels."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.utils.estimator_checks import parametrize_with_checks

from veob.images import PatchEmbedder, _kernels
from veob.images._reference import (
    block_histograms_reference,
    correlate_reference,
    extract_patches_reference,
    hash_codes_reference,
)
from veob.models import LeastSquaresClassifier

SMALL = dict(patch_size=3, n_filters=(4, 4), block_size=4, hist_components=8)


@pytest.fixture(scope="module")
def digit_images():
    digits = load_digits()
    return digits.images / 16.0, digits.target


@pytest.fixture(scope="module")
def colour_images():
    rng = np.random.default_rng(0)
    base = rng.random((40, 20, 18, 3))
    # smooth them a little so the filters see structure
    return (base + np.roll(base, 1, axis=1) + np.roll(base, 1, axis=2)) / 3.0


# ---------------------------------------------------------------- estimator checks
@parametrize_with_checks([
    PatchEmbedder(patch_size=3, n_filters=(2, 2), block_size=2, image_shape=(1, -1), random_state=0),
    PatchEmbedder(patch_size=1, n_filters=(1,), block_size=3, hist_components=None, image_shape=(1, -1)),
])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ---------------------------------------------------------------- kernels
@pytest.mark.parametrize("k", [1, 3, 4])
def test_extract_patches_matches_reference(k):
    images = np.random.default_rng(k).random((3, 7, 6, 2)).astype(np.float32)
    for remove_mean in (False, True):
        out = np.empty((3 * 7 * 6, k * k * 2), dtype=np.float32)
        _kernels.extract_patches(images, k, remove_mean, out)
        np.testing.assert_allclose(out, extract_patches_reference(images, k, remove_mean), atol=1e-6)


@pytest.mark.parametrize("k", [1, 3, 4])
def test_correlate_matches_reference(k):
    rng = np.random.default_rng(k)
    images = rng.random((2, 6, 5, 3)).astype(np.float32)
    filters = rng.standard_normal((4, k, k, 3)).astype(np.float32)
    out = np.empty((2, 4, 6, 5), dtype=np.float32)
    _kernels.correlate(images, filters, out)
    np.testing.assert_allclose(out, correlate_reference(images, filters), atol=1e-5)


def test_hash_codes_and_block_histograms_match_reference():
    rng = np.random.default_rng(3)
    maps = rng.standard_normal((3, 2, 9, 8, 1)).astype(np.float32)
    filters = rng.standard_normal((3, 3, 3, 1)).astype(np.float32)
    codes = np.empty((3, 2, 9, 8), dtype=np.int32)
    _kernels.hash_codes(maps, filters, codes)
    np.testing.assert_array_equal(codes, hash_codes_reference(maps, filters))
    assert codes.min() >= 0 and codes.max() < 8
    for block_h, block_w, stride_y, stride_x in ((4, 4, 4, 4), (3, 5, 2, 3), (9, 8, 1, 1)):
        by = (9 - block_h) // stride_y + 1
        bx = (8 - block_w) // stride_x + 1
        out = np.zeros((3, 2, by * bx, 8), dtype=np.float32)
        _kernels.block_histograms(codes, block_h, block_w, stride_y, stride_x, out)
        ref = block_histograms_reference(codes, 8, block_h, block_w, stride_y, stride_x)
        np.testing.assert_array_equal(out, ref)
        assert (out.sum(axis=-1) == block_h * block_w).all()


# ---------------------------------------------------------------- the embedder
def test_filters_are_orthonormal_and_the_svd_of_the_patches(digit_images):
    images, _ = digit_images
    emb = PatchEmbedder(patch_size=3, n_filters=(5, 4), block_size=4, n_fit_images=300, random_state=0)
    emb.fit(images)
    for W in emb.filters_:
        M = W.reshape(W.shape[0], -1).astype(np.float64)
        np.testing.assert_allclose(M @ M.T, np.eye(M.shape[0]), atol=1e-5)
        # orthogonal to the constant patch: mean removal does not change the responses
        np.testing.assert_allclose(M.sum(axis=1), 0.0, atol=1e-4)
    # stage 1 = top right singular vectors of the mean-removed patches of the fitting images
    rng = np.random.RandomState(0)
    subset = np.sort(rng.choice(len(images), 300, replace=False))
    P = extract_patches_reference(images[subset][..., None], 3, True)
    _, s, Vt = np.linalg.svd(P, full_matrices=False)
    np.testing.assert_allclose(emb.filter_singular_values_[0], s[:5], rtol=1e-4)
    W1 = emb.filters_[0].reshape(5, -1)
    np.testing.assert_allclose(np.abs((W1 @ Vt[:5].T).diagonal()), 1.0, atol=1e-4)


def test_shapes_and_feature_layout(digit_images):
    images, _ = digit_images
    emb = PatchEmbedder(**SMALL, random_state=0).fit(images[:200])
    assert emb.image_shape_ == (8, 8, 1)
    assert emb.n_maps_ == 4 and emb.n_blocks_ == 4
    assert emb.hist_components_.shape == (4, 8, 16)
    F = emb.transform(images[:5])
    assert F.shape == (5, 4 * 4 * 8) and F.dtype == np.float32
    assert emb.get_feature_names_out().shape == (128,)
    # without the histogram embedding: square-root frequencies, unit norm per (map, block)
    raw = PatchEmbedder(**{**SMALL, "hist_components": None}, random_state=0).fit(images[:200])
    H = raw.transform(images[:5]).reshape(5, 4, 4, 16)
    np.testing.assert_allclose((H ** 2).sum(axis=-1), 1.0, rtol=1e-6)
    counts = PatchEmbedder(**{**SMALL, "hist_components": None}, hellinger=False, random_state=0).fit(images[:200])
    np.testing.assert_array_equal(counts.transform(images[:5]).reshape(5, 4, 4, 16).sum(-1), 16)
    # the embedding is the projection of the Hellinger histograms on hist_components_
    proj = np.einsum("nmbk,mrk->nmbr", H, emb.hist_components_).reshape(5, -1)
    np.testing.assert_allclose(F, proj, atol=1e-5)


def test_one_stage_and_overlapping_blocks(digit_images):
    images, _ = digit_images
    emb = PatchEmbedder(patch_size=3, n_filters=(6,), block_size=4, block_stride=2, hist_components=None,
                        random_state=0).fit(images[:100])
    assert emb.n_maps_ == 1 and emb.n_blocks_ == 9
    assert emb.transform(images[:3]).shape == (3, 9 * 64)
    # blocks larger than the image are cut to it
    big = PatchEmbedder(patch_size=3, n_filters=(2, 2), block_size=50, random_state=0).fit(images[:50])
    assert big.block_shapes_ == [(8, 8, 50, 50)] and big.n_blocks_ == 1
    # a spatial pyramid: 2 x 2 blocks of 4 and the whole image
    pyramid = PatchEmbedder(patch_size=3, n_filters=(2, 2), block_size=(4, 8), hist_components=None,
                            random_state=0).fit(images[:50])
    assert pyramid.n_blocks_ == 5
    H = pyramid.transform(images[:3]).reshape(3, 2, 5, 4) ** 2 * np.array([16] * 4 + [64])[:, None]
    # the whole-image counts are the sums of the four block counts
    np.testing.assert_allclose(H[:, :, 4], H[:, :, :4].sum(axis=2), rtol=1e-5)


def test_determinism_pickle_and_batches(digit_images):
    images, _ = digit_images
    a = PatchEmbedder(**SMALL, n_fit_images=100, random_state=7).fit(images[:400])
    b = PatchEmbedder(**SMALL, n_fit_images=100, random_state=7).fit(images[:400])
    c = PatchEmbedder(**SMALL, n_fit_images=100, random_state=8).fit(images[:400])
    F = a.transform(images[:300])
    np.testing.assert_array_equal(F, b.transform(images[:300]))
    assert not np.array_equal(a.filters_[0], c.filters_[0])
    again = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(again.transform(images[:300]), F)
    small_batches = PatchEmbedder(**SMALL, n_fit_images=100, batch_size=7, random_state=7).fit(images[:400])
    np.testing.assert_array_equal(small_batches.transform(images[:300]), F)
    # one image at a time gives the same features as one pass
    np.testing.assert_array_equal(np.concatenate([a.transform(images[i:i + 1]) for i in range(20)]), F[:20])


def test_scale_invariance_and_flat_input(digit_images):
    images, _ = digit_images
    emb = PatchEmbedder(**SMALL, random_state=0).fit(images[:200])
    F = emb.transform(images[:10])
    np.testing.assert_array_equal(emb.transform(images[:10] * 16), F)
    flat = PatchEmbedder(**SMALL, image_shape=(8, 8), random_state=0).fit(images[:200].reshape(200, 64))
    np.testing.assert_array_equal(flat.transform(images[:10].reshape(10, 64)), F)
    assert flat.n_features_in_ == 64


def test_colour_images(colour_images):
    emb = PatchEmbedder(patch_size=3, n_filters=(6, 4), block_size=6, hist_components=8, random_state=0)
    F = emb.fit_transform(colour_images)
    assert emb.filters_[0].shape == (6, 3, 3, 3) and emb.filters_[1].shape == (4, 3, 3, 1)
    assert F.shape == (40, 6 * 9 * 8)
    # a grey image repeated over 3 channels is not the same as the grey model, but it runs and is finite
    assert np.isfinite(F).all()
    with pytest.raises(ValueError, match=r"fitted on \(20, 18, 3\)"):
        emb.transform(colour_images[:, :, :, :2])


def test_128_pixel_colour_images_in_bounded_batches():
    rng = np.random.default_rng(0)
    images = rng.random((6, 128, 128, 3)).astype(np.float32)
    emb = PatchEmbedder(n_filters=(4, 4), block_size=32, hist_components=4, n_fit_images=2, random_state=0)
    emb.fit(images)
    assert emb._auto_batch() >= 1
    F = emb.transform(images)
    assert F.shape == (6, 4 * 16 * 4)
    np.testing.assert_array_equal(F[3:], emb.transform(images[3:]))


@pytest.mark.parametrize("params, error, match", [
    ({"patch_size": 0}, ValueError, "patch_size=0 must be >= 1"),
    ({"n_filters": (8, 8, 8)}, ValueError, "must hold one or two stages"),
    ({"n_filters": (10, 4)}, ValueError, r"n_filters\[0\]=10 must be <= patch_size\*\*2 \* n_channels=9"),
    ({"n_filters": (4, 13), "patch_size": 5}, ValueError, r"n_filters\[1\]=13 must be <= the maximum number of"),
    ({"n_filters": "8"}, TypeError, "n_filters"),
    ({"block_size": 0}, ValueError, "block_size=0 must be >= 1"),
    ({"block_stride": 0}, ValueError, "block_stride=0 must be >= 1"),
    ({"block_size": (4, 0)}, ValueError, r"block_size\[1\]=0 must be >= 1"),
    ({"block_size": (4, 2), "block_stride": (1,)}, ValueError, "one stride per block size"),
    ({"block_size": ()}, ValueError, "at least one size"),
    ({"hist_components": 0}, ValueError, "hist_components=0 must be >= 1"),
    ({"hellinger": "yes"}, TypeError, "hellinger='yes' must be True or False"),
    ({"n_fit_images": 0}, ValueError, "n_fit_images=0 must be >= 1"),
])
def test_bad_params(digit_images, params, error, match):
    images, _ = digit_images
    with pytest.raises(error, match=match):
        PatchEmbedder(**{**SMALL, **params}).fit(images[:20])


def test_bad_input(digit_images):
    images, _ = digit_images
    bad = images[:10].copy()
    bad[2, 3, 4] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinity \(first at index \(2, 3, 4\)\)"):
        PatchEmbedder(**SMALL).fit(bad)
    with pytest.raises(ValueError, match="pass images of shape"):
        PatchEmbedder(**SMALL).fit(images[:10].reshape(10, 64))
    with pytest.raises(ValueError, match="must have shape"):
        PatchEmbedder(**SMALL).fit(images[0, 0])
    with pytest.raises(TypeError, match="dtype"):
        PatchEmbedder(**SMALL).fit(np.array([["a"]], dtype=object)[None])
    with pytest.raises(ValueError, match=r"image_shape=\(7, 7\) holds 49 values"):
        PatchEmbedder(**SMALL, image_shape=(7, 7)).fit(images[:10].reshape(10, 64))
    emb = PatchEmbedder(**SMALL).fit(images[:50])
    with pytest.raises(ValueError, match="fitted on"):
        emb.transform(images[:5, :6])


def test_end_to_end_sklearn_digits(digit_images):
    images, y = digit_images
    emb = PatchEmbedder(patch_size=3, n_filters=(6, 6), block_size=4, hist_components=16, random_state=0)
    F = emb.fit(images[:1500]).transform(images)
    clf = LeastSquaresClassifier(random_state=0).fit(F[:1500], y[:1500])
    # ridge on the raw pixels reaches 0.86 on this split
    assert clf.score(F[1500:], y[1500:]) > 0.9


def test_mnist_slice(data_root):
    from veob.datasets import load_mnist

    X, y, Xt, yt = load_mnist(data_root / "mnist")
    emb = PatchEmbedder(hist_components=8, n_fit_images=500, random_state=0)
    F = emb.fit(X[:3000]).transform(X[:3000])
    Ft = emb.transform(Xt[:1000])
    clf = LeastSquaresClassifier(random_state=0).fit(F, y[:3000])
    score = clf.score(Ft, yt[:1000])
    # PCANet features + ridge on 3,000 images (kNN on the pixels: ~91 %)
    assert score > 0.95
