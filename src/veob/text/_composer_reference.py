"""Slow, obviously correct NumPy twins of ``_composer_kernels``."""

import numpy as np

EPS = 1e-30


def logits(S, log_prior, coef):
    S = np.asarray(S, dtype=np.float64)
    return coef[0] * S + coef[1] * log_prior + coef[2] * np.log(np.maximum(np.maximum(S, 0) + coef[3], EPS))


def token_log_probs(S, log_prior, coef, targets):
    L = logits(S, log_prior, coef)
    L = L - L.max(axis=1, keepdims=True)
    L = L - np.log(np.exp(L).sum(axis=1, keepdims=True))
    return L[np.arange(L.shape[0]), targets]


def nucleus(S, log_prior, coef, generable, ptr, banned, allow_end, eos, temperature, top_p):
    """Per row: the probabilities over the nucleus (zeros elsewhere), by a full sort."""
    L = logits(S, log_prior, coef) / temperature
    out = np.zeros_like(L)
    for i in range(L.shape[0]):
        row = np.where(generable, L[i], -np.inf)
        if not allow_end[i]:
            row[eos] = -np.inf
        row[banned[ptr[i]:ptr[i + 1]]] = -np.inf
        if np.isneginf(row).all():
            out[i, eos] = 1.0
            continue
        p = np.exp(row - row.max())
        p /= p.sum()
        order = np.argsort(-p, kind="stable")
        cum = np.cumsum(p[order])
        k = int(np.searchsorted(cum, top_p * (1 - 1e-12))) + 1
        keep = order[:k]
        out[i, keep] = p[keep] / p[keep].sum()
    return out
