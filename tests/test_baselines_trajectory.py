"""TrajectoryClassifier: behaviour on synthetic strokes, bad input, and accuracy on pendigits."""

import pickle

import numpy as np
import pytest

from veob.baselines import TrajectoryClassifier
from veob.baselines._trajectory import augment_trajectories
from veob.partition import CellIndex

SMALL = dict(n_landmarks=50, random_state=0)


def _shape(label, n_points):
    t = np.linspace(0.0, 1.0, n_points)
    if label == 0:  # circle
        return np.column_stack([np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)])
    if label == 1:  # zigzag
        return np.column_stack([t, np.abs((4 * t) % 2 - 1)])
    return np.column_stack([t, t ** 3])  # a curved stroke


def strokes(n_per_class, seed, lengths=(6, 40)):
    """Noisy, shifted, scaled strokes of 3 shapes with random numbers of points."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n_per_class):
        for label in range(3):
            points = _shape(label, int(rng.integers(*lengths)))
            points = points * rng.uniform(0.5, 3.0) + rng.uniform(-5, 5, size=2)
            X.append(points + rng.normal(0, 0.02, points.shape) * np.ptp(points, axis=0).max())
            y.append(label)
    return X, np.array(y)


@pytest.fixture(scope="module")
def data():
    return strokes(30, seed=0), strokes(15, seed=1)


@pytest.fixture(scope="module")
def fitted(data):
    (X, y), _ = data
    return TrajectoryClassifier(**SMALL).fit(X, y)


@pytest.mark.parametrize("params", [{}, {"head": "linear", "alpha": 0.1}, {"head": "knn", "n_neighbors": 3},
                                    {"n_augment": 0, "n_components": 10, "resample": None}])
def test_learns_synthetic_strokes(data, params):
    (X, y), (X_test, y_test) = data
    clf = TrajectoryClassifier(**{**SMALL, **params}).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.95
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba >= 0).all()
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X_test))


def test_string_labels_and_classes(data):
    (X, y), (X_test, y_test) = data
    names = np.array(["circle", "zigzag", "curve"])
    clf = TrajectoryClassifier(**SMALL).fit(X, names[y])
    assert sorted(clf.classes_) == sorted(names)
    assert clf.score(X_test, names[y_test]) >= 0.95


def test_invariant_to_translation_and_scale(fitted, data):
    _, (X_test, _) = data
    moved = [5.0 * p + np.array([100.0, -30.0]) for p in X_test]
    np.testing.assert_allclose(fitted.predict_proba(moved), fitted.predict_proba(X_test), atol=1e-8)


def test_robust_to_the_number_of_points(fitted, data):
    """Linear resampling to other lengths keeps the prediction (no refitting)."""
    _, (X_test, y_test) = data
    rng = np.random.default_rng(3)
    resampled = []
    for p in X_test:
        where = np.linspace(0, len(p) - 1, int(rng.integers(8, 65)))
        resampled.append(np.column_stack([np.interp(where, np.arange(len(p)), p[:, j]) for j in range(2)]))
    assert np.mean(fitted.predict(resampled) == fitted.predict(X_test)) >= 0.95


def test_kneighbors_is_exact_search_in_the_embedding(fitted, data):
    (X, y), (X_test, _) = data
    dist, ind = fitted.kneighbors(X_test[:7], n_neighbors=4)
    P, Q = fitted.transform(X), fitted.transform(X_test[:7])
    brute = np.sqrt(((Q[:, None] - P[None]) ** 2).sum(-1))
    np.testing.assert_allclose(dist, np.sort(brute, axis=1)[:, :4], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(brute[np.arange(7)[:, None], ind], dist, rtol=1e-9, atol=1e-12)
    assert ind.max() < len(X) == fitted.n_train_
    assert isinstance(fitted.index_, CellIndex) and fitted.index_.n_samples_fit_ == len(X)
    # None: the training trajectories, each without itself
    ind_self = fitted.kneighbors(n_neighbors=2, return_distance=False)
    assert ind_self.shape == (len(X), 2) and not (ind_self == np.arange(len(X))[:, None]).any()


def test_knn_head_with_one_neighbour_reproduces_training_labels(data):
    (X, y), _ = data
    clf = TrajectoryClassifier(head="knn", n_augment=0, random_state=0).fit(X, y)
    assert clf.vote_index_ is clf.index_
    np.testing.assert_array_equal(clf.predict(X), y)


def test_same_seed_same_model_and_pickle(data):
    (X, y), (X_test, _) = data
    a = TrajectoryClassifier(**SMALL).fit(X, y)
    b = TrajectoryClassifier(**SMALL).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.predict_proba(X_test), a.predict_proba(X_test))
    np.testing.assert_array_equal(c.kneighbors(X_test[:3])[1], a.kneighbors(X_test[:3])[1])


def test_random_state_seeds_the_augmentation(data):
    (X, y), _ = data
    a = TrajectoryClassifier(n_landmarks=50, random_state=0).fit(X, y)
    b = TrajectoryClassifier(n_landmarks=50, random_state=1).fit(X, y)
    assert not np.allclose(a.embedder_.components_, b.embedder_.components_)
    # without copies, the embedding does not depend on the seed (up to signs)
    a0 = TrajectoryClassifier(n_augment=0, n_landmarks=50, random_state=0).fit(X, y)
    b0 = TrajectoryClassifier(n_augment=0, n_landmarks=50, random_state=1).fit(X, y)
    np.testing.assert_allclose(np.abs(a0.transform(X)), np.abs(b0.transform(X)), atol=1e-8)


def test_augment_trajectories_applies_one_affine_map_per_copy():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 2)) for n in (3, 7, 2)]
    same = augment_trajectories(X, 2, 0.0, np.random.default_rng(0))
    assert len(same) == 6
    for got, want in zip(same, X + X):
        np.testing.assert_allclose(got, want)
    moved = augment_trajectories(X, 3, 0.2, np.random.default_rng(5))
    again = augment_trajectories(X, 3, 0.2, np.random.default_rng(5))
    for k, (got, rep) in enumerate(zip(moved, again)):
        np.testing.assert_array_equal(got, rep)
        orig = X[k % 3]
        # a linear map: solve it from the points and check it explains all of them
        A = np.linalg.lstsq(orig, got, rcond=None)[0]
        np.testing.assert_allclose(orig @ A, got, atol=1e-10)
        assert not np.allclose(got, orig)


def test_flattened_rows_equal_point_arrays(data):
    (X, y), _ = data
    rng = np.random.default_rng(0)
    cube = np.stack([p[np.linspace(0, len(p) - 1, 8).astype(int)] for p in X])
    a = TrajectoryClassifier(**SMALL).fit(cube, y)
    b = TrajectoryClassifier(**SMALL).fit(cube.reshape(len(cube), 16), y)
    assert b.n_features_in_ == 16 and not hasattr(a, "n_features_in_")
    queries = cube[rng.permutation(len(cube))[:10]]
    np.testing.assert_allclose(a.predict_proba(queries), b.predict_proba(queries.reshape(10, 16)))
    with pytest.raises(ValueError, match="16 features"):
        b.predict(queries.reshape(10, 16)[:, :12])


@pytest.mark.parametrize("bad, message", [
    (np.zeros((1, 2)), r"trajectories\[2\] has 1 point"),
    (np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0]]), r"trajectories\[2\] contains NaN or infinity"),
    (np.array([[0.0, 1.0], [np.inf, 2.0]]), r"trajectories\[2\] contains NaN or infinity"),
    (np.zeros((5, 3)), r"trajectories\[2\] has shape \(5, 3\)"),
])
def test_bad_trajectories_name_their_index(fitted, data, bad, message):
    (X, y), _ = data
    X = list(X)
    X[2] = bad
    with pytest.raises(ValueError, match=message):
        TrajectoryClassifier(**SMALL).fit(X, y)
    queries = [X[0], X[1], bad]
    for method in (fitted.predict, fitted.predict_proba, fitted.kneighbors, fitted.transform):
        with pytest.raises(ValueError, match=message):
            method(queries)


@pytest.mark.parametrize("params, message", [
    ({"head": "svm"}, "head='svm' must be one of"),
    ({"n_augment": -1}, "n_augment=-1 must be >= 0"),
    ({"jitter": float("nan")}, "jitter=nan must be a finite number >= 0"),
    ({"alpha": -1.0}, "alpha=-1.0 must be a finite number >= 0"),
    ({"n_landmarks": 0}, "n_landmarks=0 must be >= 1"),
    ({"n_neighbors": 0}, "n_neighbors=0 must be >= 1"),
    ({"n_components": 0}, "n_components=0 must be >= 1"),
    ({"n_freqs": 0}, "n_freqs=0 must be >= 1"),
    ({"resample": 1}, "resample=1 must be >= 2"),
    ({"features": ("xy", "speed")}, "features=.* must be distinct names"),
    ({"n_jobs": 0}, "n_jobs=0 is not allowed: use None, a positive number of threads, -1 for all CPUs"),
])
def test_bad_parameters(data, params, message):
    (X, y), _ = data
    with pytest.raises(ValueError, match=message):
        TrajectoryClassifier(**params).fit(X, y)


def test_bad_targets(data):
    (X, y), _ = data
    with pytest.raises(ValueError, match="y has 89 labels; trajectories has 90"):
        TrajectoryClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="at least 2 are required"):
        TrajectoryClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type"):
        TrajectoryClassifier().fit(X, np.linspace(0, 1, len(X)))


def test_pendigits_accuracy_and_length_robustness(data_root):
    """The documented targets, on the real writer-independent test set."""
    from threadpoolctl import threadpool_limits

    from veob.cli._cmd_pendigits import resample_lengths
    from veob.datasets import load_pendigits

    X_train, y_train, X_test, y_test = load_pendigits(data_root / "pendigits" / "pendigits.tar.gz")
    with threadpool_limits(1):  # 2 OpenBLAS threads stall on a shared machine
        clf = TrajectoryClassifier(random_state=0).fit(X_train, y_train)
    accuracy = clf.score(X_test, y_test)
    assert accuracy >= 0.985
    resampled = resample_lengths(X_test, 8, 64, seed=0)
    assert {len(p) for p in resampled} <= set(range(8, 65)) and len({len(p) for p in resampled}) > 50
    assert accuracy - clf.score(resampled, y_test) <= 0.005
