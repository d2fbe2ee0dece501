"""Slow, obviously correct NumPy twins of ``_composer_kernels``."""

import numpy as np

EPS = 1e-30


def logits(S, log_prior, coef):
    S = np.asarray(S, dtype=np.float64)
    return coef[0] * S + coef[1] * log_prior + coef[2] * np.log(np.maximum(np.maximum(S, 0) + coef[3], EPS))


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



def base_probs(labels, prev, rows, bigram, trigram):
    """Dense P(. | row, prev, label) of the two count levels, one row per position."""
    b_ptr, b_idx, b_alpha, b_gamma, low = bigram
    t_ptr, t_idx, t_alpha, t_gamma = trigram
    n_words = low.shape[1]
    out = np.empty((len(labels), n_words))
    for i, (k, v, row) in enumerate(zip(labels, prev, rows)):
        p = b_gamma[k, v] * low[k].astype(np.float64)
        r = k * n_words + v
        p[b_idx[b_ptr[r]:b_ptr[r + 1]]] += b_alpha[b_ptr[r]:b_ptr[r + 1]]
        if row >= 0:
            p = t_gamma[row] * p
            p[t_idx[t_ptr[row]:t_ptr[row + 1]]] += t_alpha[t_ptr[row]:t_ptr[row + 1]]
        out[i] = p
    return out


def base_logits(R, labels, prev, rows, bigram, trigram, log_low, log_prior, coef):
    P = base_probs(labels, prev, rows, bigram, trigram)
    return coef[0] * np.asarray(R, np.float64) + coef[1] * log_prior + coef[2] * np.log(np.maximum(P + coef[3], EPS))


def log_softmax_at(L, targets):
    L = L - L.max(axis=1, keepdims=True)
    L = L - np.log(np.exp(L).sum(axis=1, keepdims=True))
    return L[np.arange(L.shape[0]), targets]


def candidate_nucleus(H, Hg, k, others, prev, rows, E, bigram, trigram, lists, log_prior, coef, guidance,
                      generable, ptr, banned, allow_end, eos, end_bias, temperature, top_p):
    """Per row: the probabilities over the nucleus of the shortlist (zeros elsewhere), by a full sort."""
    t_ptr, t_words, b_ptr, b_words, common = lists
    n_words = E.shape[0]
    out = np.zeros((H.shape[0], n_words))
    for i, (v, row) in enumerate(zip(prev, rows)):
        cand = list(b_words[b_ptr[k * n_words + v]:b_ptr[k * n_words + v + 1]]) + list(common[k]) + [eos]
        if row >= 0:
            cand += list(t_words[t_ptr[row]:t_ptr[row + 1]])
        cand = np.array(sorted({int(w) for w in cand}))
        ok = generable[cand] & ~np.isin(cand, banned[ptr[i]:ptr[i + 1]]) & ((cand != eos) | allow_end[i])
        cand = cand[ok]
        if cand.size == 0:
            out[i, eos] = 1.0
            continue

        def logit(label, h, v=v, row=row, cand=cand):
            P = base_probs([label], [v], [row], bigram, trigram)[0, cand]
            return coef[0] * (E[cand].astype(np.float64) @ h) + coef[2] * np.log(np.maximum(P + coef[3], EPS))

        L = logit(k, H[i])
        if guidance > 0 and len(others):
            L = L + guidance * (L - np.mean([logit(j, Hg[q, i]) for q, j in enumerate(others)], axis=0))
        L = (L + coef[1] * log_prior[cand] + end_bias * (cand == eos)) / temperature
        p = np.exp(L - L.max())
        p /= p.sum()
        order = np.argsort(-p, kind="stable")
        c = np.cumsum(p[order])
        keep = order[:int(np.searchsorted(c, top_p * (1 - 1e-12))) + 1]
        out[i, cand[keep]] = p[keep] / p[keep].sum()
    return out
