"""Numba kernels of the review models (slow NumPy twins in ``_composer_reference``).

Scores become logits as ``coef[0] * s + coef[1] * log_prior + coef[2] * log(max(s, 0) + coef[3])``
(``log(EPS)`` where that sum is 0): a calibrated linear score
(:class:`ReviewComposer`) or a probability (``coef = (0, 0, 1, 0)``,
:class:`KneserNeyLM`). Arrays are C-contiguous float32 (scores, prior) and
their shapes were checked at the Python boundary. The loops are written to
vectorise: ``fastmath`` with approximate ``log``/``exp`` (about 1e-7
relative error) but without the no-NaN/no-inf assumptions; masked words get
the finite logit ``MASKED`` instead of ``-inf``.
"""

import numpy as np
from numba import njit, prange

EPS = np.float32(1e-30)
MASKED = np.float32(-1e30)
N_BINS = 256  # nucleus histogram: bins of 1/4 nat below the best logit
BIN_SCALE = 4.0
_FAST = {"nsz", "arcp", "contract", "afn", "reassoc"}


@njit(cache=True, nogil=True, fastmath=_FAST)
def _logits(s, log_prior, c0, c1, c2, c3, scale, out):
    for j in range(s.shape[0]):
        v = s[j]
        out[j] = (c0 * v + c1 * log_prior[j] + c2 * np.log(max(max(v, np.float32(0.0)) + c3, EPS))) * scale


@njit(cache=True, nogil=True, parallel=True, fastmath=_FAST)
def token_log_probs(S, log_prior, coef, targets, out):
    """``out[i] = log softmax(logits(S[i]))[targets[i]]`` for every row i."""
    n, V = S.shape
    c0, c1, c2, c3 = np.float32(coef[0]), np.float32(coef[1]), np.float32(coef[2]), np.float32(coef[3])
    for i in prange(n):
        logit = np.empty(V, dtype=np.float32)
        _logits(S[i], log_prior, c0, c1, c2, c3, np.float32(1.0), logit)
        m = logit.max()
        total = 0.0
        for j in range(V):
            total += np.exp(logit[j] - m)
        out[i] = np.float64(logit[targets[i]] - m) - np.log(total)


@njit(cache=True, nogil=True, parallel=True, fastmath=_FAST)
def sample_rows(S, log_prior, coef, generable, ptr, banned, allow_end, eos, temperature, top_p, u, out):
    """Nucleus sampling of one word per row of scores.

    Words not ``generable``, the row's ``banned[ptr[i]:ptr[i+1]]`` and
    ``eos`` unless ``allow_end[i]`` get probability 0. Of the rest, the
    smallest set of most probable words holding ``top_p`` of the mass (at
    ``temperature``) is kept and one word drawn with the uniform ``u[i]``.
    A row with nothing allowed gets ``eos``.
    """
    n, V = S.shape
    c0, c1, c2, c3 = np.float32(coef[0]), np.float32(coef[1]), np.float32(coef[2]), np.float32(coef[3])
    scale = np.float32(1.0 / temperature)
    for i in prange(n):
        logit = np.empty(V, dtype=np.float32)
        _logits(S[i], log_prior, c0, c1, c2, c3, scale, logit)
        for j in range(V):
            if not generable[j]:
                logit[j] = MASKED
        if not allow_end[i]:
            logit[eos] = MASKED
        for k in range(ptr[i], ptr[i + 1]):
            logit[banned[k]] = MASKED
        m = logit.max()
        if m <= MASKED:
            out[i] = eos
            continue
        weight = np.empty(V, dtype=np.float32)
        for j in range(V):
            weight[j] = np.exp(logit[j] - m) if logit[j] > MASKED else np.float32(0.0)
        mass = np.zeros(N_BINS)
        bins = np.empty(V, dtype=np.int64)
        total = 0.0
        for j in range(V):
            if logit[j] <= MASKED:
                bins[j] = N_BINS
                continue
            b = min(int((m - logit[j]) * BIN_SCALE), N_BINS - 1)
            bins[j] = b
            mass[b] += weight[j]
            total += weight[j]
        need = top_p * total
        cum = 0.0
        edge = N_BINS - 1
        for b in range(N_BINS):
            if cum + mass[b] >= need:
                edge = b
                break
            cum += mass[b]
        # inside the edge bin: a finer histogram, then sort the words of its edge sub-bin
        sub_mass = np.zeros(N_BINS)
        sub = np.empty(V, dtype=np.int64)
        for j in range(V):
            if bins[j] == edge:
                f = (m - logit[j]) * BIN_SCALE - edge
                sb = min(max(int(f * N_BINS), 0), N_BINS - 1)
                sub[j] = sb
                sub_mass[sb] += weight[j]
            else:
                sub[j] = -1
        sub_edge = N_BINS - 1
        for b in range(N_BINS):
            if cum + sub_mass[b] >= need:
                sub_edge = b
                break
            cum += sub_mass[b]
        n_edge = 0
        for j in range(V):
            if sub[j] == sub_edge:
                n_edge += 1
        idx = np.empty(n_edge, dtype=np.int64)
        w_edge = np.empty(n_edge)
        k = 0
        for j in range(V):
            if sub[j] == sub_edge:
                idx[k] = j
                w_edge[k] = -weight[j]
                k += 1
        order = np.argsort(w_edge, kind="mergesort")
        taken = np.zeros(V, dtype=np.bool_)
        for j in range(V):
            if sub[j] >= 0 and sub[j] < sub_edge:
                taken[j] = True
        for k in range(n_edge):
            j = idx[order[k]]
            taken[j] = True
            cum += weight[j]
            if cum >= need:
                break
        r = u[i] * cum
        acc = 0.0
        choice = -1
        for j in range(V):
            if bins[j] < edge or taken[j]:
                acc += weight[j]
                choice = j
                if acc >= r:
                    break
        out[i] = choice
