"""veob.models: LeastSquaresClassifier, JointEmbeddingClassifier, kernels (the pipelines: test_experiments.py)."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs
from sklearn.linear_model import RidgeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from veob.models import JointEmbeddingClassifier, LeastSquaresClassifier, top_k_accuracy
from veob.models._calibration import fit_temperature, softmax
from veob.models._reference import best_match_scan_reference


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:1500], y[:1500], X[1500:], y[1500:]


# ---------------------------------------------------------------- estimator checks
@parametrize_with_checks([
    LeastSquaresClassifier(),
    LeastSquaresClassifier(kernel="linear"),
    LeastSquaresClassifier(solver="dual", calibration_fraction=0.0),
    JointEmbeddingClassifier(),
    JointEmbeddingClassifier(strategy="cells", min_samples=20, n_probe=2),
])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ---------------------------------------------------------------- least squares
def test_least_squares_matches_sklearn_ridge(digits):
    X, y, Xt, _ = digits
    ours = LeastSquaresClassifier(alpha=3.0, kernel="linear", calibration_fraction=0.0).fit(X, y)
    ref = RidgeClassifier(alpha=3.0).fit(X, y)
    # RidgeClassifier regresses 2 Y - 1: its scores are 2 s - 1
    np.testing.assert_allclose(2 * ours.decision_function(Xt) - 1, ref.decision_function(Xt), atol=1e-8)
    np.testing.assert_array_equal(ours.predict(Xt), ref.predict(Xt))


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_least_squares_primal_equals_dual(alpha):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 25))
    y = rng.integers(0, 3, 40)
    primal = LeastSquaresClassifier(alpha=alpha, kernel="linear", solver="primal", calibration_fraction=0).fit(X, y)
    dual = LeastSquaresClassifier(alpha=alpha, kernel="linear", solver="dual", calibration_fraction=0).fit(X, y)
    np.testing.assert_allclose(primal.coef_, dual.coef_, atol=1e-8)
    np.testing.assert_allclose(primal.intercept_, dual.intercept_, atol=1e-8)
    auto = LeastSquaresClassifier(kernel="linear", calibration_fraction=0)
    assert auto.fit(X[:, :5], y).solver_ == "primal"
    assert auto.fit(X[:10], y[:10]).solver_ == "dual"


def test_least_squares_rbf_is_exact_kernel_ridge_with_all_landmarks():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    Xt = rng.standard_normal((30, 4))
    clf = LeastSquaresClassifier(alpha=0.3, kernel="rbf", gamma=0.4, calibration_fraction=0).fit(X, y)
    assert clf.landmarks_.shape == (80, 4) and clf.gamma_ == 0.4
    # kernel ridge with an unpenalised intercept: centred kernel, centred targets
    def k(A, B):
        return np.exp(-0.4 * ((A[:, None] - B[None]) ** 2).sum(-1))
    K, Kt = k(X, X), k(Xt, X)
    Y = np.eye(3)[y]
    H = np.eye(80) - 1 / 80
    dual = np.linalg.solve(H @ K @ H + 0.3 * np.eye(80), Y - Y.mean(0))
    Kt_c = Kt - Kt.mean(1, keepdims=True) - K.mean(0) + K.mean()
    expected = Kt_c @ dual + Y.mean(0)
    np.testing.assert_allclose(clf.decision_function(Xt), expected, atol=1e-6)


def test_least_squares_rbf_beats_linear_on_digits(digits):
    X, y, Xt, yt = digits
    linear = LeastSquaresClassifier(alpha=0.1, kernel="linear", random_state=0).fit(X, y)
    rbf = LeastSquaresClassifier(alpha=0.1, kernel="rbf", n_components=500, random_state=0).fit(X, y)
    assert rbf.nystroem_map_.shape[0] == 500
    assert rbf.score(Xt, yt) > linear.score(Xt, yt) + 0.05
    gamma = rbf.gamma_
    d2 = ((X[:500, None] - X[None, 500:1000]) ** 2).sum(-1)
    assert 0.2 / np.median(d2) < gamma < 5 / np.median(d2)


def test_least_squares_float32_stays_float32(digits):
    X, y, Xt, _ = digits
    clf = LeastSquaresClassifier(kernel="linear", random_state=0).fit(X.astype(np.float32), y)
    assert clf.decision_function(Xt.astype(np.float32)).dtype == np.float32
    ref = LeastSquaresClassifier(kernel="linear", random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.coef_, ref.coef_, rtol=1e-3, atol=1e-4)
    rbf = LeastSquaresClassifier(n_components=300, random_state=0).fit(X.astype(np.float32), y)
    assert rbf.landmarks_.dtype == np.float32
    assert rbf.decision_function(Xt.astype(np.float32)).dtype == np.float32


def test_least_squares_calibration_and_proba(digits):
    X, y, Xt, yt = digits
    clf = LeastSquaresClassifier(random_state=0).fit(X, y)
    proba = clf.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(Xt))
    assert 0 < clf.temperature_ < 1  # raw scores are under-confident
    uncal = LeastSquaresClassifier(calibration_fraction=0.0, random_state=0).fit(X, y)
    assert uncal.temperature_ == 1.0
    log_loss = -np.mean(np.log(proba[np.arange(len(yt)), yt]))
    log_loss_uncal = -np.mean(np.log(uncal.predict_proba(Xt)[np.arange(len(yt)), yt]))
    assert log_loss < 0.5 * log_loss_uncal
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(Xt)), proba)


def test_least_squares_binary_decision_function():
    X, y = make_blobs(60, centers=2, random_state=0)
    clf = LeastSquaresClassifier(random_state=0).fit(X, y)
    dec = clf.decision_function(X)
    assert dec.shape == (60,)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[(dec > 0).astype(int)])


@pytest.mark.parametrize("params, match", [
    ({"alpha": -1.0}, "alpha=-1.0 must be a finite number >= 0"),
    ({"alpha": np.nan}, "alpha=nan"),
    ({"solver": "qr"}, "solver='qr' must be one of"),
    ({"calibration_fraction": 1.0}, r"calibration_fraction=1.0 must be a finite number in \[0, 1\)"),
    ({"kernel": "poly"}, "kernel='poly' must be one of"),
    ({"kernel": "rbf", "gamma": 0.0}, "gamma=0.0 must be 'auto' or a finite number > 0"),
    ({"kernel": "rbf", "n_components": 0}, "n_components=0 must be >= 1"),
])
def test_least_squares_bad_params(digits, params, match):
    X, y, _, _ = digits
    with pytest.raises(ValueError, match=match):
        LeastSquaresClassifier(**params).fit(X, y)


def test_least_squares_bad_input(digits):
    X, y, _, _ = digits
    bad = X.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LeastSquaresClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        LeastSquaresClassifier().fit(X, y + 0.5)
    clf = LeastSquaresClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :10])


def test_least_squares_end_to_end_digits(digits):
    X, y, Xt, yt = digits
    clf = LeastSquaresClassifier(random_state=0).fit(X, y)
    assert clf.score(Xt, yt) > 0.94
    linear = LeastSquaresClassifier(alpha=1.0, kernel="linear", random_state=0).fit(X, y)
    assert linear.score(Xt, yt) > 0.84
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(Xt), clf.predict_proba(Xt))


# ---------------------------------------------------------------- calibration
def test_fit_temperature_recovers_a_planted_temperature():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((4000, 5)) * 3
    proba = softmax(scores, 2.0)
    target = np.array([rng.choice(5, p=p) for p in proba])
    assert abs(fit_temperature(scores, target) - 2.0) < 0.2
    assert fit_temperature(np.zeros((3, 1)), np.zeros(3, dtype=int)) == 1.0


def test_softmax_handles_minus_inf():
    p = softmax(np.array([[0.0, -np.inf, 1.0]]), 1.0)
    assert p[0, 1] == 0.0
    np.testing.assert_allclose(p.sum(), 1.0)


# ---------------------------------------------------------------- kernels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_best_match_kernel_matches_reference(dtype):
    """The segment search (products + exact refinement) equals scanning every row of the searched segments;
    the exact search equals brute force over each class."""
    from veob.models._reference import best_match_brute_reference

    rng = np.random.default_rng(1)
    n, d, n_cells, n_classes = 400, 5, 7, 3
    X = rng.standard_normal((n, d)) * 50 + 20
    X[300:340] = X[:40]  # duplicated rows: ties go to the lower training row
    X = X.astype(dtype)
    cells = rng.integers(0, n_cells, n)
    labels = rng.integers(0, n_classes, n)
    layout = JointEmbeddingClassifier()
    counts = np.bincount(cells * n_classes + labels, minlength=n_cells * n_classes)
    layout._index_segments(X, cells * n_classes + labels, counts, n_classes)
    layout.classes_ = np.arange(n_classes)
    data, rows, ptr = layout._data, layout._rows, layout._segment_ptr
    near = X[:20] + rng.normal(scale=1e-3, size=(20, d)).astype(dtype)  # near-ties with training rows
    for Q in (rng.standard_normal((30, d)).astype(dtype) * 50, np.concatenate([X[:20], X[300:310]]), near):
        Q64 = Q.astype(np.float64)
        q_sq = np.einsum("ij,ij->i", Q64, Q64)
        probes = rng.integers(-1, n_cells, (len(Q), n_classes, 3)).astype(np.int64)
        exclude = np.where(rng.random(len(Q)) < 0.5, rng.integers(0, 20, len(Q)), -1).astype(np.int64)
        for exact in (False, True):
            sq = np.full((len(Q), n_classes), np.inf)
            best = np.full((len(Q), n_classes), -1, dtype=np.int64)
            measured = np.zeros(len(Q), dtype=np.int64)
            if exact:
                layout._exact_tasks(Q, Q64, q_sq, np.sqrt(q_sq), exclude, sq, best, measured)
                ref_sq, ref_best = best_match_brute_reference(data, rows, labels[rows], Q, n_classes, exclude)
            else:
                task_query = np.repeat(np.arange(len(Q)), n_classes * 3)
                task_segment = (probes * n_classes + np.arange(n_classes)[None, :, None]).reshape(-1)
                valid = probes.reshape(-1) >= 0
                layout._run_tasks(Q, q_sq, task_query[valid], task_segment[valid], exclude, sq, best, measured)
                ref_sq, ref_best = best_match_scan_reference(data, rows, ptr, Q, probes, exclude)
            np.testing.assert_allclose(sq, ref_sq, rtol=1e-12)  # the reference sums in another order
            np.testing.assert_array_equal(best, ref_best)
            assert measured.max() <= n


# ---------------------------------------------------------------- joint embedding
def test_per_label_components_are_the_svd_of_the_label_block_matrix(digits):
    X, y, _, _ = digits
    X = X[:, :12]  # 12 features x 10 classes = 120 columns
    clf = JointEmbeddingClassifier(n_joint=40, min_samples=100, random_state=0).fit(X, y)
    Z = np.zeros((X.shape[0], 10 * 12))
    for i, c in enumerate(y):
        Z[i, c * 12:(c + 1) * 12] = X[i]
    s = np.linalg.svd(Z, compute_uv=False)
    np.testing.assert_allclose(clf.singular_values_, s[:40], rtol=1e-8)
    V = clf.components_
    np.testing.assert_allclose(V @ V.T, np.eye(40), atol=1e-10)
    # every component lives in one class block
    blocks = np.abs(V.reshape(40, 10, 12)).sum(axis=2) > 0
    assert (blocks.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(blocks.argmax(axis=1), clf.component_classes_)


def test_per_label_best_matches_are_exact_with_all_cells(digits):
    X, y, Xt, _ = digits
    clf = JointEmbeddingClassifier(max_level=4, min_samples=20, n_probe=10**6, random_state=0).fit(X, y)
    dist, rows = clf.best_matches(Xt[:50])
    for c in range(10):
        members = np.flatnonzero(y == c)
        D = np.sqrt(((Xt[:50, None, :] - X[members][None]) ** 2).sum(-1))
        np.testing.assert_allclose(dist[:, c], D.min(axis=1), rtol=1e-12)
        np.testing.assert_array_equal(rows[:, c], members[D.argmin(axis=1)])


def test_per_label_exact_search_is_brute_force_and_prunes(digits):
    """exact=True: the brute-force best match of every class, measuring a fraction of the rows."""
    X, y, Xt, _ = digits
    clf = JointEmbeddingClassifier(min_samples=30, exact=True, random_state=0).fit(X, y)
    assert clf.partition_.n_cells_ > 10
    dist, rows = clf.best_matches(Xt)
    for c in range(10):
        members = np.flatnonzero(y == c)
        D = np.sqrt(((Xt[:, None, :] - X[members][None]) ** 2).sum(-1))
        np.testing.assert_allclose(dist[:, c], D.min(axis=1), rtol=1e-12)
        np.testing.assert_array_equal(rows[:, c], members[D.argmin(axis=1)])
    _, _, measured = clf._best_matches(clf._check_X(Xt), return_measured=True)
    assert measured.mean() < 0.5 * len(X)  # the bounds skip most rows
    # leave-one-out: a training image's own row is never its best match
    sq, own = clf._best_matches(clf._check_X(X[:50]), exclude=np.arange(50))
    assert not np.any(own == np.arange(50)[:, None])
    assert np.all(sq[np.arange(50), y[:50]] > 0)


def test_per_label_end_to_end_digits(digits):
    X, y, Xt, yt = digits
    clf = JointEmbeddingClassifier(min_samples=50, random_state=0).fit(X, y)
    ranking = clf.rank_classes(Xt)
    assert ranking.shape == (len(yt), 10)
    assert (np.sort(ranking, axis=1) == np.arange(10)).all()
    np.testing.assert_array_equal(ranking[:, 0], clf.predict(Xt))
    assert top_k_accuracy(yt, ranking, 1) > 0.93
    assert top_k_accuracy(yt, ranking, 3) > 0.98
    # training samples find themselves
    assert clf.score(X, y) == 1.0
    proba = clf.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], ranking[:, 0])


def test_joint_more_probes_never_increase_best_distances(digits):
    X, y, Xt, _ = digits
    one = JointEmbeddingClassifier(min_samples=30, n_probe=1, random_state=0).fit(X, y)
    three = JointEmbeddingClassifier(min_samples=30, n_probe=3, random_state=0).fit(X, y)
    assert one.partition_.n_cells_ > 10
    d1, _ = one.best_matches(Xt)
    d3, _ = three.best_matches(Xt)
    assert (d3 <= d1 + 1e-12).all() and (d3 < d1).any()


def test_joint_string_labels_determinism_and_pickle(digits):
    X, y, Xt, _ = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    a = JointEmbeddingClassifier(min_samples=50, random_state=3).fit(X, names[y])
    b = JointEmbeddingClassifier(min_samples=50, random_state=3).fit(X, names[y])
    np.testing.assert_array_equal(a.rank_classes(Xt), b.rank_classes(Xt))
    assert set(a.predict(Xt)) <= set(names)
    again = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(again.predict_proba(Xt), a.predict_proba(Xt))


def test_cells_strategy_end_to_end_digits(digits):
    X, y, Xt, yt = digits
    clf = JointEmbeddingClassifier(strategy="cells", min_samples=50, random_state=0).fit(X, y)
    assert clf.n_joint_ == X.shape[1] + 10
    expected_alpha = np.sqrt(np.mean((X ** 2).sum(axis=1)))
    assert clf.label_weight_ == pytest.approx(expected_alpha)
    assert clf.cell_maps_.shape == (clf.partition_.n_cells_, X.shape[1], clf.n_joint_)
    assert clf.cell_class_counts_.sum() == len(y)
    ranking = clf.rank_classes(Xt)
    assert top_k_accuracy(yt, ranking, 1) > 0.85
    assert top_k_accuracy(yt, ranking, 3) > 0.93
    with pytest.raises(ValueError, match="strategy='per_label'"):
        clf.best_matches(Xt)


@pytest.mark.parametrize("params, error, match", [
    ({"label_weight": -1.0}, ValueError, "label_weight=-1.0 must be 'auto' or a finite number > 0"),
    ({"label_weight": 0}, ValueError, "label_weight=0 must be"),
    ({"label_weight": "big"}, ValueError, "label_weight='big'"),
    ({"label_weight": "big"}, TypeError, "label_weight='big' must be 'auto' or a finite number > 0"),
    ({"strategy": "knn"}, ValueError, "strategy='knn' must be one of"),
    ({"n_joint": 0}, ValueError, "n_joint=0 must be >= 1"),
    ({"n_probe": 0}, ValueError, "n_probe=0 must be >= 1"),
    ({"n_joint": 2.5}, TypeError, "n_joint=2.5 must be an integer"),
    ({"max_level": -1}, ValueError, "max_level=-1 must be >= 0"),
    ({"exact": "yes"}, TypeError, "exact='yes' must be True or False"),
])
def test_joint_bad_params(digits, params, error, match):
    X, y, _, _ = digits
    with pytest.raises(error, match=match):
        JointEmbeddingClassifier(**params).fit(X, y)


def test_joint_bad_input(digits):
    X, y, _, _ = digits
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        JointEmbeddingClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        JointEmbeddingClassifier().fit(X, y * 0.3)


def test_top_k_accuracy_validation():
    with pytest.raises(ValueError, match="k=4 must be <= n_classes=3"):
        top_k_accuracy([1], [[1, 2, 3]], k=4)
    with pytest.raises(ValueError, match="ranking must have shape"):
        top_k_accuracy([1, 2], [[1, 2, 3]])
    assert top_k_accuracy([3], [[1, 2, 3]], k=3) == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_syrk_update_is_in_place_on_the_upper_triangle(dtype):
    from veob.models._least_squares import _syrk_update

    rng = np.random.default_rng(0)
    F1, F2 = rng.normal(size=(50, 7)).astype(dtype), rng.normal(size=(9, 7)).astype(dtype)
    G = np.zeros((7, 7), dtype=dtype, order="F")
    address = G.__array_interface__["data"][0]
    _syrk_update(G, F1)
    _syrk_update(G, F2)
    assert G.__array_interface__["data"][0] == address  # no copy of the Gram buffer
    expected = F1.T.astype(np.float64) @ F1 + F2.T.astype(np.float64) @ F2
    np.testing.assert_allclose(np.triu(G), np.triu(expected), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shift", ["zero", "mean", "far"])
def test_ridge_moments_equal_sklearn_ridge_for_any_shift_and_blocks(shift):
    """Moments about any shift, added in blocks of any size, give the centred ridge exactly."""
    from sklearn.linear_model import Ridge

    from veob.models._least_squares import RidgeMoments

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 12)) * np.geomspace(5, 0.1, 12) + 3.0
    Y = np.eye(3)[rng.integers(0, 3, 300)]
    c = {"zero": np.zeros(12), "mean": X.mean(axis=0), "far": X.mean(axis=0) + 50.0}[shift]
    moments = RidgeMoments(c, 3)
    for lo, hi in ((0, 7), (7, 7), (7, 180), (180, 300)):
        moments.add(X[lo:hi], Y[lo:hi])
    coef, intercept = moments.solve(2.0)
    ridge = Ridge(alpha=2.0).fit(X, Y)
    np.testing.assert_allclose(coef.T, ridge.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(intercept, ridge.intercept_, rtol=1e-8, atol=1e-10)


def test_ridge_moments_singular_system_gives_the_minimum_norm_solution():
    """alpha=0 and a constant column: Cholesky fails on the exact zero pivot, the pseudo-inverse answers."""
    from veob.models._least_squares import RidgeMoments

    rng = np.random.default_rng(2)
    X = np.column_stack([rng.normal(size=(40, 3)), np.ones(40)])  # centred, the last column is exactly 0
    Y = np.eye(2)[rng.integers(0, 2, 40)]
    moments = RidgeMoments(np.zeros(4), 2)
    moments.add(X, Y)
    coef, intercept = moments.solve(0.0)
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    np.testing.assert_allclose(coef, np.linalg.pinv(Xc) @ Yc, atol=1e-10)
    assert np.all(coef[3] == 0)
    np.testing.assert_allclose(intercept, Y.mean(axis=0) - X.mean(axis=0) @ coef, atol=1e-12)


def test_least_squares_rbf_fit_never_forms_the_feature_matrix(monkeypatch):
    """The primal rbf fit and predict stream the Nystroem features in row blocks.

    Blocks of 2^16 values make the feature matrix (20,000 x 256 float32,
    20 MB) 80 blocks long; the peak must stay well below it.
    """
    import tracemalloc

    from threadpoolctl import threadpool_limits

    from veob.models import _least_squares, _nystroem

    monkeypatch.setattr(_least_squares, "_BLOCK_VALUES", 1 << 16)
    monkeypatch.setattr(_nystroem, "_BATCH_VALUES", 1 << 16)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 8)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    clf = LeastSquaresClassifier(n_components=256, random_state=0)
    tracemalloc.start()
    with threadpool_limits(1):  # 80 small products: threads only add waiting on a shared machine
        clf.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    feature_matrix = X.shape[0] * clf.nystroem_map_.shape[1] * 4
    assert peak < 0.25 * feature_matrix, (peak, feature_matrix)  # the calibration tenth is kept
    tracemalloc.start()
    scores = clf.decision_function(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.1 * feature_matrix + scores.nbytes, (peak, feature_matrix)
    assert np.mean((scores > 0) == y) > 0.9


def test_joint_alpha_is_a_deprecated_name_of_label_weight(digits):
    X, y, Xt, _ = digits
    new = JointEmbeddingClassifier(strategy="cells", label_weight=5.0, min_samples=50, random_state=0).fit(X, y)
    assert new.get_params()["label_weight"] == 5.0 and new.label_weight_ == 5.0
    message = r"alpha=\.\.\.\) is deprecated .* use JointEmbeddingClassifier\(label_weight=5"
    with pytest.warns(FutureWarning, match=message):
        old = JointEmbeddingClassifier(strategy="cells", alpha=5.0, min_samples=50, random_state=0).fit(X, y)
    np.testing.assert_array_equal(old.predict_proba(Xt), new.predict_proba(Xt))
    with pytest.warns(FutureWarning, match="use label_weight_"):
        assert old.alpha_ == 5.0
    with pytest.raises(ValueError, match="pass label_weight= only"):
        JointEmbeddingClassifier(alpha=5.0, label_weight=2.0).fit(X, y)


def test_row_moments_equal_ridge_moments_in_blocks():
    """The dual accumulator (ImageClassifier with fewer rows than features) solves the same ridge as the primal one."""
    from veob.models._least_squares import RidgeMoments, RowMoments

    rng = np.random.default_rng(0)
    F, Y = rng.standard_normal((40, 60)), rng.standard_normal((40, 3))
    primal, dual = RidgeMoments(F[:5].mean(axis=0), 3), RowMoments(3)
    for lo in (0, 7, 30):
        hi = {0: 7, 7: 30, 30: 40}[lo]
        primal.add(F[lo:hi], Y[lo:hi])
        dual.add(F[lo:hi], Y[lo:hi])
    for (w1, b1), (w2, b2) in [(primal.solve(a), dual.solve(a)) for a in (0.5, 10.0)]:
        np.testing.assert_allclose(w1, w2, atol=1e-10)
        np.testing.assert_allclose(b1, b2, atol=1e-10)
