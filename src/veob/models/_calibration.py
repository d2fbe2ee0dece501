r"""Softmax probabilities with a temperature fitted by maximum likelihood."""

from __future__ import annotations

import numpy as np

__all__ = ["SoftmaxProbaMixin", "fit_temperature", "softmax"]

# search interval of log T around the log of the scores' median spread: wide
# below (sharp), narrow above, so softmax never flattens into exact ties
_LOG_BELOW, _LOG_ABOVE = 12.0, 3.0


def softmax(scores, temperature):
    r"""Row-wise ``softmax(scores / temperature)``, stable for any finite scale.

    ``-inf`` scores get probability 0; every row needs one finite score.
    """
    z = np.asarray(scores, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


class SoftmaxProbaMixin:
    """``predict_proba`` / ``predict_log_proba`` as ``softmax(scores / temperature_)``.

    The classifier provides ``_softmax_scores(X)`` (its class scores,
    columns in ``classes_`` order) and the fitted ``temperature_``.
    """

    def predict_proba(self, X):
        """Calibrated probabilities ``softmax(scores / temperature_)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns follow ``classes_``.
        """
        return softmax(self._softmax_scores(X), self.temperature_)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


def _nll(log_t, scores, target):
    p = softmax(scores, np.exp(log_t))
    return -np.mean(np.log(np.maximum(p[np.arange(target.shape[0]), target], 1e-300)))


def fit_temperature(scores, target):
    r"""Temperature :math:`T > 0` minimising the log loss of ``softmax(scores / T)``.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_classes)
        Larger is more likely; ``-inf`` marks an impossible class.
    target : ndarray of shape (n_samples,)
        Column of the true class of each row.

    Returns
    -------
    temperature : float
        The minimiser over :math:`\log T` in the window
        :math:`[\log m - 12, \log m + 3]` around the log of the scores'
        median spread m (max - min per row; bounded Brent search). The cap
        keeps :math:`T \le 20 m`, so the probabilities never flatten into
        exact ties and their argmax stays the argmax of the scores; 1.0 when no row has a finite spread or a finite true
        score (nothing to calibrate on).

    Notes
    -----
    The log loss :math:`-\frac1n \sum_i \log \mathrm{softmax}(s_i / T)_{y_i}`
    is convex in :math:`1 / T`, so the one-dimensional search finds the
    global minimum (Guo et al. 2017, "On calibration of modern neural
    networks", temperature scaling).
    """
    from scipy.optimize import minimize_scalar

    scores = np.asarray(scores, dtype=np.float64)
    target = np.asarray(target, dtype=np.int64)
    rows = np.arange(target.shape[0])
    ok = np.isfinite(scores[rows, target])
    scores, target = scores[ok], target[ok]
    if scores.shape[0] == 0 or scores.shape[1] < 2:
        return 1.0
    finite = np.where(np.isfinite(scores), scores, np.nan)
    spread = np.nanmax(finite, axis=1) - np.nanmin(finite, axis=1)
    spread = spread[np.isfinite(spread) & (spread > 0)]
    if spread.size == 0:
        return 1.0
    center = float(np.log(np.median(spread)))
    result = minimize_scalar(_nll, bounds=(center - _LOG_BELOW, center + _LOG_ABOVE), args=(scores, target),
                             method="bounded", options={"xatol": 1e-4})
    return float(np.exp(result.x))
