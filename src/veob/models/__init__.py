"""
Supervised models (:mod:`veob.models`)
======================================

Closed-form classifiers on VEOB embeddings: the joint input-label
embedding of the paper's section 8 searched by Voronoi cells, and ridge
least squares on one-hot targets.

.. autosummary::

   JointEmbeddingClassifier -- joint embedding of inputs and labels,
                               partition, best match per class (paper
                               section 8); rank_classes for top-k
   LeastSquaresClassifier   -- ridge on one-hot targets (primal or dual,
                               Cholesky), calibrated predict_proba
   top_k_accuracy           -- fraction of samples whose class is in the
                               first k of a ranking

The end-to-end protocols ``evaluate_paper_pipeline`` and
``evaluate_patch_pipeline`` moved to :mod:`veob.experiments`; importing
them from here still works until veob 0.2.0, with a FutureWarning.
"""

from ._joint import JointEmbeddingClassifier
from ._least_squares import LeastSquaresClassifier
from ._metrics import top_k_accuracy

__all__ = [
    "JointEmbeddingClassifier",
    "LeastSquaresClassifier",
    "top_k_accuracy",
]

_MOVED_TO_EXPERIMENTS = ("evaluate_paper_pipeline", "evaluate_patch_pipeline")


def __getattr__(name):
    if name in _MOVED_TO_EXPERIMENTS:  # deprecated re-export, removed in veob 0.2.0
        from .. import experiments

        return experiments._moved(__name__, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
