"""scikit-learn's estimator checks over every veob estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from veob import DCT2Transformer, IncrementalSVD, SVDEmbedder

ESTIMATORS = [
    SVDEmbedder(n_components=1),
    SVDEmbedder(n_components=1, center=True, solver="gram"),
    IncrementalSVD(n_components=1),
    # (1, -1): a 1-D DCT of each row, so any number of features is valid
    DCT2Transformer(image_shape=(1, -1)),
    DCT2Transformer(image_shape=(1, -1), keep=(1, 1)),
]

# check name -> reason, per estimator class
EXPECTED_FAILURES = {}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
