"""Estimators' input errors are one line naming the argument and the first bad position (issue 19)."""

import numpy as np
import pytest

from veob import DCT2Transformer, IncrementalSVD, SVDEmbedder
from veob.images import PatchEmbedder
from veob.models import JointEmbeddingClassifier, LeastSquaresClassifier

RNG = np.random.default_rng(0)
ESTIMATORS = {
    "SVDEmbedder": lambda: SVDEmbedder(n_components=2),
    "IncrementalSVD": lambda: IncrementalSVD(2),
    "DCT2Transformer": lambda: DCT2Transformer((2, 3)),
    "PatchEmbedder": lambda: PatchEmbedder(patch_size=3, n_filters=(2, 2), block_size=2, image_shape=(2, 3)),
    "LeastSquaresClassifier": lambda: LeastSquaresClassifier(n_components=8, random_state=0),
    "JointEmbeddingClassifier": lambda: JointEmbeddingClassifier(random_state=0),
}


def _fit(make, X, y=None):
    model = make()
    y = (np.arange(len(X)) % 2) if y is None else y
    return model.fit(X, y)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_one_d_input_names_x_and_prints_no_array(name):
    with pytest.raises(ValueError) as info:
        _fit(ESTIMATORS[name], np.arange(1000, dtype=float))
    message = str(info.value)
    assert "\n" not in message and "array=" not in message and "999" not in message, message
    assert message.startswith("X must") and "shape (1000,)" in message  # names X and what it got


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_nan_in_x_names_the_first_position(name):
    X = RNG.random((40, 6))
    X[7, 4] = np.nan
    X[9, 1] = np.inf
    with pytest.raises(ValueError, match=r"^X contains NaN or infinity \(first at row 7, column 4\)"):
        _fit(ESTIMATORS[name], X)


def test_nan_in_y_names_y_and_the_position():
    y = (np.arange(40) % 2).astype(float)
    y[11] = np.nan
    with pytest.raises(ValueError, match=r"^y contains NaN or infinity \(first at row 11\)"):
        LeastSquaresClassifier(n_components=8).fit(RNG.random((40, 6)), y)
