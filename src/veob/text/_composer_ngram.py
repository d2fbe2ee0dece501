"""The count part of :class:`ReviewComposer`: a label bigram under a class trigram.

Two levels of closed-form counts, each discounted as in Kneser-Ney:

- the *label bigram* :math:`P_2(w \\mid v, y)`: the bigram counts of the
  label's reviews, backing off to the interpolated Kneser-Ney bigram of all
  reviews (:class:`KneserNeyLM` with ``order=2``);
- the *class trigram* :math:`P_3(w \\mid g(u), v, y)`: counts of (cell of the
  word two back, previous word, next word) over all reviews, backing off to
  :math:`P_2`. The cells :math:`g` are a :class:`VoronoiPartition` of the
  word vectors, so ``u`` is known only up to its neighbourhood in the
  embedding.

Both are stored as CSR rows (columns sorted within a row) so that the numba
kernels can read one probability by binary search or spread a whole row.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._lm import BOS_ID, KneserNeyLM


def ney_discount(counts):
    """Ney's closed-form absolute discount :math:`n_1 / (n_1 + 2 n_2)` from the counts of counts."""
    n1, n2 = np.count_nonzero(counts == 1), np.count_nonzero(counts == 2)
    return float(np.clip(n1 / max(n1 + 2 * n2, 1), 0.05, 0.95))


def positions(ids, offsets):
    """Target positions after ``<s>``, with the previous word and the one before (``<s>`` if none)."""
    review = np.repeat(np.arange(offsets.shape[0] - 1), np.diff(offsets))
    pos_in = np.arange(ids.shape[0]) - offsets[review]
    t = np.flatnonzero(pos_in >= 1)
    u = np.where(pos_in[t] >= 2, ids[np.maximum(t - 2, 0)], BOS_ID)
    return t, review[t], u.astype(np.int64), ids[t - 1].astype(np.int64)


def _discounted(C, d):
    """Rows of counts -> (alpha = max(c - d, 0) / c(row), gamma = d N1+(row) / c(row); 1 for empty rows)."""
    total = np.asarray(C.sum(axis=1)).ravel()
    inv = np.where(total > 0, 1.0 / np.maximum(total, 1.0), 0.0)
    gamma = np.where(total > 0, d * np.diff(C.indptr) * inv, 1.0)
    A = C.copy()
    A.data = np.maximum(A.data - d, 0.0)
    return sp.diags(inv) @ A, gamma


def _csr_arrays(A):
    A = A.tocsr()
    A.sum_duplicates()
    A.sort_indices()
    return A.indptr.astype(np.int64), A.indices.astype(np.int32), A.data.astype(np.float32)


def fit_bigram(ids, offsets, y, n_words, n_classes):
    """The label bigram: ``(indptr, indices, alpha, gamma, low)`` and its discount.

    ``P_2(w | v, y) = alpha[y n + v, w] + gamma[y, v] * low[y, w]``.
    """
    pooled = KneserNeyLM(order=2, max_vocab=n_words)
    pooled.vocabulary_, pooled.classes_ = np.arange(n_words).astype(str), np.zeros(1, dtype=np.int64)
    pooled._fit_ids(ids, offsets, np.zeros_like(y), 2)
    ip, ix, al, ga, low = pooled._bigram_csr()
    P = sp.csr_matrix((al, ix, ip), shape=(n_words, n_words))
    t, review, _, v = positions(ids, offsets)
    counts = [sp.csr_matrix((np.ones(np.count_nonzero(sel)), (v[sel], ids[t[sel]])), shape=(n_words, n_words))
              for sel in (y[review] == k for k in range(n_classes))]
    for C in counts:
        C.sum_duplicates()
    d = ney_discount(np.concatenate([C.data for C in counts]))
    blocks, gammas = [], []
    for C in counts:
        A, g = _discounted(C, d)
        blocks.append(A + sp.diags(g) @ P)
        gammas.append(g * ga[0])
    indptr, indices, alpha = _csr_arrays(sp.vstack(blocks))
    return (indptr, indices, alpha, np.stack(gammas).astype(np.float32),
            np.repeat(low, n_classes, axis=0).astype(np.float32)), d


def fit_trigram(ids, offsets, word_cells, n_words):
    """The class trigram over all reviews: ``(contexts, indptr, indices, alpha, gamma)`` and its discount.

    Row ``r`` is the context key ``contexts[r] = word_cells[u] * n_words + v``;
    ``P_3(w | r) = alpha[r, w] + gamma[r] * P_2(w | v, y)``.
    """
    t, _, u, v = positions(ids, offsets)
    key = (word_cells[u] * n_words + v) * n_words + ids[t]
    keys, counts = np.unique(key, return_counts=True)
    d = ney_discount(counts)
    contexts, rows = np.unique(keys // n_words, return_inverse=True)
    C = sp.csr_matrix((counts.astype(np.float64), (rows, keys % n_words)), shape=(contexts.shape[0], n_words))
    A, gamma = _discounted(C, d)
    indptr, indices, alpha = _csr_arrays(A)
    return (contexts, indptr, indices, alpha, gamma.astype(np.float32)), d


def context_rows(contexts, word_cells, u, v, n_words):
    """Row of each (u, v) in the class trigram, -1 when the context was never seen."""
    key = word_cells[u] * n_words + v
    at = np.minimum(np.searchsorted(contexts, key), max(contexts.shape[0] - 1, 0))
    return np.where((contexts.shape[0] > 0) & (contexts[at] == key), at, -1).astype(np.int64)


def shortlist(indptr, alpha, size):
    """CSR lists of the ``size`` largest entries of each row, largest first: ``(ptr, positions)``."""
    rows = np.repeat(np.arange(indptr.shape[0] - 1), np.diff(indptr))
    order = np.lexsort((-alpha, rows))
    keep = order[np.arange(order.shape[0]) - indptr[rows[order]] < size]
    ptr = np.zeros_like(indptr)
    np.cumsum(np.bincount(rows[keep], minlength=indptr.shape[0] - 1), out=ptr[1:])
    return ptr, keep
