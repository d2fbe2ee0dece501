"""Numba kernels of the review models (slow NumPy twins in ``_composer_reference``).

:func:`sample_rows` turns dense scores into logits as ``coef[0] * s +
coef[1] * log_prior + coef[2] * log(max(s, 0) + coef[3])`` (``log(EPS)``
where that sum is 0); :class:`KneserNeyLM` passes probabilities with
``coef = (0, 0, 1, 0)``. :class:`ReviewComposer`'s logits are
``coef[0] * r + coef[1] * log_prior + coef[2] * log(p + coef[3])`` with ``r``
the spectral score and ``p`` the count model's probability
(:func:`base_logits`, :func:`sample_candidates`). The count model is two
CSR levels (columns sorted within a row): the label bigram
``bigram = (indptr, indices, alpha, gamma, low)`` and the class trigram
``trigram = (indptr, indices, alpha, gamma)`` above it (see
``_composer_ngram``). Arrays are C-contiguous float32 (scores, prior) and
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


@njit(cache=True, nogil=True)
def _row_value(indptr, indices, alpha, r, w):
    """alpha[r, w] of a CSR matrix with sorted columns (0 if absent)."""
    lo, hi = indptr[r], indptr[r + 1]
    end = hi
    while lo < hi:
        mid = (lo + hi) // 2
        if indices[mid] < w:
            lo = mid + 1
        else:
            hi = mid
    if lo < end and indices[lo] == w:
        return alpha[lo]
    return np.float32(0.0)


@njit(cache=True, nogil=True)
def _base_p(bigram, trigram, k, v, row, w):
    """P(w | row of the class trigram (-1: unseen), previous word v, label k)."""
    b_ptr, b_idx, b_alpha, b_gamma, low = bigram
    n_words = low.shape[1]
    p = b_gamma[k, v] * low[k, w] + _row_value(b_ptr, b_idx, b_alpha, k * n_words + v, w)
    if row >= 0:
        t_ptr, t_idx, t_alpha, t_gamma = trigram
        p = t_gamma[row] * p + _row_value(t_ptr, t_idx, t_alpha, row, w)
    return p


@njit(cache=True, nogil=True, parallel=True, fastmath=_FAST)
def base_logits(R, labels, prev, rows, bigram, trigram, log_low, log_prior, coef):
    """In place: ``R[i] = coef[0] R[i] + coef[1] log_prior + coef[2] log(P(. | rows[i], prev[i], labels[i]))``.

    ``log_low = log(bigram[4])``. A word in neither sparse row has
    probability ``gamma_3 gamma_2 low``, so its log is a sum; only the
    sparse entries take a log. ``coef[3]`` must be 0.
    """
    n, V = R.shape
    b_ptr, b_idx, b_alpha, b_gamma, low = bigram
    t_ptr, t_idx, t_alpha, t_gamma = trigram
    c0, c1, c2 = np.float32(coef[0]), np.float32(coef[1]), np.float32(coef[2])
    for i in prange(n):
        k, v, row = labels[i], prev[i], rows[i]
        g2 = b_gamma[k, v]
        g3 = t_gamma[row] if row >= 0 else np.float32(1.0)
        log_g = np.log(max(g2 * g3, EPS))
        for j in range(V):
            R[i, j] = c0 * R[i, j] + c1 * log_prior[j] + c2 * (log_g + log_low[k, j])
        r = k * V + v
        for q in range(b_ptr[r], b_ptr[r + 1]):
            j = b_idx[q]
            R[i, j] += c2 * (np.log(max(g3 * (g2 * low[k, j] + b_alpha[q]), EPS)) - (log_g + log_low[k, j]))
        if row >= 0:
            for q in range(t_ptr[row], t_ptr[row + 1]):
                j = t_idx[q]
                below = g3 * (g2 * low[k, j] + _row_value(b_ptr, b_idx, b_alpha, r, j))
                R[i, j] += c2 * (np.log(max(below + t_alpha[q], EPS)) - np.log(max(below, EPS)))


@njit(cache=True, nogil=True, parallel=True, fastmath=_FAST)
def log_softmax_at(L, targets, out):
    """``out[i] = log softmax(L[i])[targets[i]]``."""
    n, V = L.shape
    for i in prange(n):
        m = L[i].max()
        total = 0.0
        for j in range(V):
            total += np.exp(L[i, j] - m)
        out[i] = np.float64(L[i, targets[i]] - m) - np.log(total)


@njit(cache=True, nogil=True, parallel=True, fastmath=_FAST)
def sample_candidates(H, Hg, k, others, prev, rows, E, bigram, trigram, lists, log_prior, coef, guidance,
                      generable, ptr, banned, allow_end, eos, end_bias, temperature, top_p, u, out):
    """Nucleus sampling over a shortlist of candidate words per row.

    ``lists = (t_ptr, t_words, b_ptr, b_words, common)``: row i scores the
    likeliest followers of its class-trigram context ``rows[i]`` (if seen),
    those of ``(k, prev[i])`` in the label bigram, ``common[k]`` and
    ``eos``. A candidate's logit is ``coef[0] H[i] . E[w] + coef[1]
    log_prior[w] + coef[2] log(P(w) + coef[3])``, guided as ``L + guidance
    (L - mean_j L_j)`` by the other labels ``others[j]`` (codes
    ``Hg[j, i]``), ``end_bias`` added to ``eos``, divided by ``temperature``; the word is drawn with
    ``u[i]`` within the ``top_p`` nucleus of the shortlist. Masks as in
    :func:`sample_rows`.
    """
    n, r_dim = H.shape
    n_words = E.shape[0]
    t_ptr, t_words, b_ptr, b_words, common = lists
    c0, c1, c2, c3 = np.float32(coef[0]), np.float32(coef[1]), np.float32(coef[2]), np.float32(coef[3])
    n_other = others.shape[0]
    for i in prange(n):
        v, row = prev[i], rows[i]
        state = np.zeros(n_words, dtype=np.int8)  # 1 candidate, 2 masked
        for q in range(ptr[i], ptr[i + 1]):
            state[banned[q]] = 2
        if not allow_end[i]:
            state[eos] = 2
        n_tri = t_ptr[row + 1] - t_ptr[row] if row >= 0 else 0
        b_row = k * n_words + v
        n_bi = b_ptr[b_row + 1] - b_ptr[b_row]
        size = n_tri + n_bi + common.shape[1] + 1
        cand = np.empty(size, dtype=np.int64)
        m = 0
        for q in range(size):
            if q < n_tri:
                w = t_words[t_ptr[row] + q]
            elif q < n_tri + n_bi:
                w = b_words[b_ptr[b_row] + q - n_tri]
            elif q < size - 1:
                w = common[k, q - n_tri - n_bi]
            else:
                w = eos
            if state[w] == 0 and generable[w]:
                state[w] = 1
                cand[m] = w
                m += 1
        if m == 0:
            out[i] = eos
            continue
        logit = np.empty(m)
        for q in range(m):
            w = cand[q]
            s = np.float32(0.0)
            for d in range(r_dim):
                s += H[i, d] * E[w, d]
            lw = c0 * s + c2 * np.log(max(_base_p(bigram, trigram, k, v, row, w) + c3, EPS))
            if guidance > 0 and n_other > 0:
                lo = np.float32(0.0)
                for j in range(n_other):
                    so = np.float32(0.0)
                    for d in range(r_dim):
                        so += Hg[j, i, d] * E[w, d]
                    lo += c0 * so + c2 * np.log(max(_base_p(bigram, trigram, others[j], v, row, w) + c3, EPS))
                lw += guidance * (lw - lo / n_other)
            if w == eos:
                lw += end_bias
            logit[q] = (lw + c1 * log_prior[w]) / temperature
        top = logit.max()
        weight = np.empty(m)
        total = 0.0
        for q in range(m):
            weight[q] = np.exp(logit[q] - top)
            total += weight[q]
        order = np.argsort(-weight, kind="mergesort")
        need = top_p * total
        cum = 0.0
        n_keep = m
        for q in range(m):
            cum += weight[order[q]]
            if cum >= need:
                n_keep = q + 1
                break
        target = u[i] * cum
        acc = 0.0
        choice = cand[order[n_keep - 1]]
        for q in range(n_keep):
            acc += weight[order[q]]
            if acc >= target:
                choice = cand[order[q]]
                break
        out[i] = choice


@njit(cache=True, nogil=True, parallel=True)
def residual_codes(Z, centers, center_sq, maps, out):
    """``out[i] = Z[i] @ maps[c]`` with ``c`` the nearest of ``centers`` (``center_sq = |centers|^2``).

    For the small batches of generation, where per-cell BLAS calls cost more
    than the arithmetic.
    """
    n, D = Z.shape
    K = centers.shape[0]
    r = maps.shape[2]
    for i in prange(n):
        best, cell = np.inf, 0
        for c in range(K):
            dot = 0.0
            for d in range(D):
                dot += Z[i, d] * centers[c, d]
            dist = center_sq[c] - 2.0 * dot
            if dist < best:
                best, cell = dist, c
        for j in range(r):
            out[i, j] = 0.0
        for d in range(D):
            z = Z[i, d]
            if z != 0.0:
                for j in range(r):
                    out[i, j] += z * maps[cell, d, j]
