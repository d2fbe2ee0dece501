"""Top-k accuracy of a class ranking (the paper's top-3 measure)."""

from __future__ import annotations

import numpy as np

from .._validation import check_int

__all__ = ["top_k_accuracy"]


def top_k_accuracy(y_true, ranking, k=3):
    """Fraction of samples whose true class is among the first ``k`` of its ranking.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    ranking : array-like of shape (n_samples, n_classes)
        Class labels of each sample, best first (as returned by
        :meth:`JointEmbeddingClassifier.rank_classes`).
    k : int, default=3
        ``1 <= k <= n_classes``; ``k=1`` is the usual accuracy.

    Returns
    -------
    accuracy : float

    See Also
    --------
    sklearn.metrics.top_k_accuracy_score : The same from class scores.

    Examples
    --------
    >>> from veob.models import top_k_accuracy
    >>> ranking = [[3, 1, 2], [2, 3, 1]]
    >>> top_k_accuracy([1, 1], ranking, k=1), top_k_accuracy([1, 1], ranking, k=2)
    (0.0, 0.5)
    """
    y_true = np.asarray(y_true)
    ranking = np.asarray(ranking)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1-D; got shape {y_true.shape}")
    if ranking.ndim != 2 or ranking.shape[0] != y_true.shape[0]:
        raise ValueError(
            f"ranking must have shape (n_samples, n_classes) with n_samples={y_true.shape[0]}; got {ranking.shape}"
        )
    if y_true.shape[0] == 0:
        raise ValueError("y_true is empty; at least one sample is required")
    k = check_int(k, "k", low=1, high=ranking.shape[1], high_name="n_classes")
    return float(np.mean((ranking[:, :k] == y_true[:, None]).any(axis=1)))
