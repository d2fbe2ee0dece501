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
   evaluate_paper_pipeline  -- 2-D DCT -> SVD -> JointEmbeddingClassifier
                               with top-1/top-3 and step timings (section 6.6)
   evaluate_patch_pipeline  -- PatchEmbedder -> LeastSquaresClassifier with
                               top-1 and step timings
"""

from ._joint import JointEmbeddingClassifier
from ._least_squares import LeastSquaresClassifier
from ._metrics import top_k_accuracy
from ._pipelines import evaluate_paper_pipeline, evaluate_patch_pipeline

__all__ = [
    "JointEmbeddingClassifier",
    "LeastSquaresClassifier",
    "evaluate_paper_pipeline",
    "evaluate_patch_pipeline",
    "top_k_accuracy",
]
