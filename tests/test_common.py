"""scikit-learn's estimator checks over every veob estimator."""

import numpy as np
from sklearn.utils.estimator_checks import parametrize_with_checks

from veob import CellIndex, DCT2Transformer, IncrementalSVD, SVDEmbedder, VoronoiPartition
from veob._validation import validate_data
from veob.baselines import TrajectoryClassifier
from veob.spectral import TrajectoryTransformer
from veob.spectral._trajectory import _is_table, as_trajectories

ESTIMATORS = [
    SVDEmbedder(n_components=1),
    SVDEmbedder(n_components=1, center=True, solver="gram"),
    IncrementalSVD(n_components=1),
    # (1, -1): a 1-D DCT of each row, so any number of features is valid
    DCT2Transformer(image_shape=(1, -1)),
    DCT2Transformer(image_shape=(1, -1), keep=(1, 1)),
    # small parameters: the checks fit ~50 samples, below the default min_samples=100
    VoronoiPartition(max_level=2, min_samples=5),
    VoronoiPartition(max_level=2, min_samples=5, assign="tree"),
    CellIndex(),
    CellIndex(max_level=3, min_samples=5, exact=True),
]



def _widen(X):
    """Each row of values ``v_1 .. v_d`` as the trajectory ``(-1, 0), (1, v_1), .., (d, v_d)``.

    scikit-learn's checks feed rows of any width (odd ones, single columns); a trajectory
    row holds flattened (x, y) pairs of at least 2 points. This bijection keeps every
    property the checks test (same rows -> same trajectories, dtype, order of samples).
    """
    n, d = X.shape
    pts = np.empty((n, d + 1, 2), dtype=X.dtype)
    pts[:, 0] = (-1, 0)
    pts[:, 1:, 0] = np.arange(1, d + 1)
    pts[:, 1:, 1] = X
    return pts.reshape(n, 2 * (d + 1))


def _rows(X):
    """A list of equal-length numeric rows as a 2-D array (the checks pass ``X.tolist()``);
    the classes read a list as a list of (length, 2) trajectories."""
    if isinstance(X, list) and X and all(np.ndim(r) == 1 for r in X):
        return np.asarray(X)
    return X


class AnyWidthTrajectoryTransformer(TrajectoryTransformer):
    """TrajectoryTransformer reading any 2-D numeric input (rows of any width) through :func:`_widen`."""

    def _as_table(self, X, reset):
        X = super()._as_table(_rows(X), reset)
        return _widen(X) if isinstance(X, np.ndarray) and X.ndim == 2 else X


class AnyWidthTrajectoryClassifier(TrajectoryClassifier):
    """TrajectoryClassifier reading any 2-D numeric input (rows of any width) through :func:`_widen`."""

    def _trajectories(self, X, reset):
        X = _rows(X)
        # a list of (length, 2) trajectories, read as the class reads it
        if not (_is_table(X) or (not reset and hasattr(self, "n_features_in_"))):
            return super()._trajectories(X, reset)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=reset)
        return as_trajectories(_widen(X), "trajectories")


ESTIMATORS += [
    AnyWidthTrajectoryTransformer(),
    AnyWidthTrajectoryClassifier(n_landmarks=20, n_augment=1),
]

# check name -> reason, per estimator class
EXPECTED_FAILURES = {}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
