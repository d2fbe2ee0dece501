"""ImageClassifier on small synthetic colour textures: learning, invariants, calibration, bad input."""

import pickle

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from veob.baselines import ImageClassifier
from veob.baselines._image import _area_matrix, _platt, _resize

SMALL = dict(sizes=(16, 8), patch_sizes=(3, 3), block_sizes=(8, 4), colours=("rgb", "rgb"), n_filters=(4, 4),
             hist_components=8, alpha=1.0)


def textures(n, seed, n_classes=2, side=24):
    """Class 0: horizontal red stripes, 1: vertical blue stripes, 2: green checks; random phase and noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.integers(0, 70, (n, side, side, 3)).astype(np.float64)
    grid = np.arange(side)
    for i, label in enumerate(y):
        period, phase = rng.integers(3, 6), rng.integers(0, 6)
        band = ((grid + phase) // period) % 2 == 0
        if label == 0:
            X[i, band, :, 0] += 150
        elif label == 1:
            X[i, :, band, 2] += 150
        else:
            X[i][np.ix_(band, band)] += [0, 150, 0]
    return X.clip(0, 255).astype(np.uint8), y


@pytest.fixture(scope="module")
def data():
    X, y = textures(120, 0)
    Xt, yt = textures(40, 1)
    return X, y, Xt, yt


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _, _ = data
    names = np.array(["cat", "dog"])[y]
    return ImageClassifier(random_state=0, **SMALL).fit(X, names)


def test_learns_textures_and_column_order(data, fitted):
    _, _, Xt, yt = data
    names = np.array(["cat", "dog"])[yt]
    assert list(fitted.classes_) == ["cat", "dog"]
    assert fitted.score(Xt, names) >= 0.9
    proba = fitted.predict_proba(Xt)
    assert proba.shape == (len(yt), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()
    # column 1 is "dog" (classes_[1]) and agrees with predict and with the decision sign
    np.testing.assert_array_equal(fitted.classes_[proba.argmax(axis=1)], fitted.predict(Xt))
    np.testing.assert_array_equal(fitted.decision_function(Xt) > 0, proba[:, 1] > 0.5)
    assert proba[yt == 1, 1].mean() > proba[yt == 0, 1].mean()
    np.testing.assert_allclose(np.exp(fitted.predict_log_proba(Xt)), proba)
    assert fitted.transform(Xt).shape == (len(yt), fitted.n_features_)
    assert fitted.n_features_ == 4 * (4 + 4) * 8  # per scale: 4 maps x 4 blocks x 8 components


def test_flip_makes_scores_mirror_invariant(data, fitted):
    _, _, Xt, _ = data
    np.testing.assert_allclose(fitted.decision_function(Xt[:, :, ::-1]), fitted.decision_function(Xt),
                               rtol=1e-4, atol=1e-6)


def test_any_image_size_is_resized(data, fitted):
    _, _, Xt, _ = data
    bigger = np.repeat(np.repeat(Xt, 2, axis=1), 2, axis=2)  # 48 x 48: averages back to the same 24 x 24
    np.testing.assert_allclose(fitted.decision_function(bigger), fitted.decision_function(Xt), rtol=1e-4,
                               atol=1e-5)
    odd = fitted.predict_proba(Xt[:, :23, :21])
    assert odd.shape == (len(Xt), 2)


def test_batch_size_seed_and_pickle(data, fitted):
    X, y, Xt, _ = data
    names = np.array(["cat", "dog"])[y]
    again = ImageClassifier(random_state=0, batch_size=7, **SMALL).fit(X, names)
    np.testing.assert_allclose(again.decision_function(Xt), fitted.decision_function(Xt), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(again.calibration_, fitted.calibration_, rtol=1e-4)
    clone = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(clone.predict_proba(Xt), fitted.predict_proba(Xt))


@pytest.mark.parametrize("hist_components", [8, 2])
def test_head_is_ridge_on_the_features(data, hist_components):
    """flip=False, no calibration: the weights are sklearn Ridge's on one-hot targets.

    120 images and 256 features: the dual form; 64 features: the primal form.
    """
    X, y, Xt, _ = data
    params = {**SMALL, "hist_components": hist_components}
    clf = ImageClassifier(random_state=0, flip=False, calibration_fraction=0.0, **params).fit(X, y)
    assert clf.n_features_ == 32 * hist_components
    np.testing.assert_array_equal(clf.calibration_, [1.0, 0.0])
    F = clf.transform(X).astype(np.float64)
    ridge = Ridge(alpha=SMALL["alpha"]).fit(F, np.eye(2)[y])
    # the Gram matrix is accumulated from float32 products: agreement to float32 accuracy
    tol = 1e-4 * np.abs(ridge.coef_).max()
    np.testing.assert_allclose(clf.coef_, ridge.coef_, rtol=1e-3, atol=tol)
    np.testing.assert_allclose(clf.intercept_, ridge.intercept_, rtol=1e-3, atol=1e-5)
    scores = ridge.predict(clf.transform(Xt).astype(np.float64))
    np.testing.assert_allclose(clf.decision_function(Xt), scores[:, 1] - scores[:, 0], rtol=1e-3, atol=1e-5)


def test_opponent_colour_and_three_classes():
    X, y = textures(90, 2, n_classes=3)
    Xt, yt = textures(30, 3, n_classes=3)
    clf = ImageClassifier(random_state=0, **{**SMALL, "colours": ("opponent", "rgb")}).fit(X, y)
    assert clf.score(Xt, yt) >= 0.8
    proba = clf.predict_proba(Xt)
    assert proba.shape == (30, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.decision_function(Xt).shape == (30, 3)


def test_resize_is_area_averaging():
    rng = np.random.default_rng(0)
    images = rng.random((2, 12, 9, 3)).astype(np.float32)
    for n_in, n_out in ((12, 5), (9, 4), (7, 7), (6, 3)):
        R = _area_matrix(n_in, n_out)
        np.testing.assert_allclose(R.sum(axis=1), 1.0, rtol=1e-6)
        np.testing.assert_allclose(R.sum(axis=0), n_out / n_in, rtol=1e-5)  # every pixel counted equally
    out = _resize(images, 5)
    assert out.shape == (2, 5, 5, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out.mean(axis=(1, 2)), images.mean(axis=(1, 2)), rtol=1e-5)
    square = rng.random((1, 8, 8, 3)).astype(np.float32)
    blocks = square.reshape(1, 4, 2, 4, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(_resize(square, 4), blocks, rtol=1e-6)
    Rh, Rw = _area_matrix(8, 3), _area_matrix(8, 3)  # the general (einsum) path agrees with the matrices
    np.testing.assert_allclose(_resize(square, 3)[0, ..., 1], Rh @ square[0, ..., 1] @ Rw.T, rtol=1e-5)


def test_calibration_slice_joins_the_final_ridge(data, fitted):
    """The final ridge is fitted on all images: with or without a calibration slice, the same weights.

    With calibration the slice's features are added to the Gram matrix after
    the first solve; without, every row is added in batch order.
    """
    X, y, Xt, _ = data
    names = np.array(["cat", "dog"])[y]
    plain = ImageClassifier(random_state=0, calibration_fraction=0.0, **SMALL).fit(X, names)
    tol = 1e-4 * np.abs(plain.coef_).max()
    np.testing.assert_allclose(fitted.coef_, plain.coef_, rtol=1e-3, atol=tol)
    np.testing.assert_allclose(fitted.decision_function(Xt), plain.decision_function(Xt), rtol=1e-3, atol=1e-5)
    assert not np.array_equal(fitted.calibration_, plain.calibration_)  # only the probabilities differ


def test_platt_recovers_a_logistic_model():
    rng = np.random.default_rng(0)
    s = rng.normal(0, 2, 20000)
    positive = rng.random(20000) < 1 / (1 + np.exp(-(1.5 * s - 0.5)))
    a, b = _platt(s, positive)
    assert abs(a - 1.5) < 0.1 and abs(b + 0.5) < 0.1


@pytest.mark.parametrize("X, error, match", [
    (np.zeros((4, 8, 8)), ValueError, r"shape \(n, height, width, 3\)"),
    (np.zeros((4, 8, 8, 1)), ValueError, "RGB"),
    (np.zeros((0, 8, 8, 3)), ValueError, "empty"),
    (np.full((4, 8, 8, 3), np.nan), ValueError, "NaN"),
    ("images", TypeError, "string"),
    (np.zeros((4, 8, 8, 3), dtype=object), TypeError, "dtype"),
])
def test_bad_images(X, error, match):
    with pytest.raises(error, match=match):
        ImageClassifier(**SMALL).fit(X, [0, 1, 0, 1])


@pytest.mark.parametrize("params, match", [
    ({"alpha": 0.0}, "alpha=0.0"),
    ({"colours": ("rgb", "hsv")}, r"colours\[1\]='hsv'"),
    ({"colours": ("rgb",)}, "one entry per scale"),
    ({"sizes": (16,)}, "same length"),
    ({"sizes": (16, 2), "patch_sizes": (3, 1)}, r"sizes\[1\]=2 must be >= 4"),
    ({"patch_sizes": (3, 9)}, r"patch_sizes\[1\]=9 must be <= sizes\[1\]=8"),
    ({"calibration_fraction": 1.0}, "calibration_fraction=1.0"),
    ({"flip": "yes"}, "flip='yes'"),
    ({"hist_components": 0}, "hist_components=0"),
])
def test_bad_parameters(data, params, match):
    X, y, _, _ = data
    with pytest.raises((ValueError, TypeError), match=match):
        ImageClassifier(**{**SMALL, **params}).fit(X[:8], y[:8])


def test_bad_targets_and_unfitted(data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match="one label per image"):
        ImageClassifier(**SMALL).fit(X[:8], y[:7])
    with pytest.raises(ValueError, match="at least 2"):
        ImageClassifier(**SMALL).fit(X[:8], np.zeros(8, dtype=int))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ImageClassifier().predict(X[:2])
