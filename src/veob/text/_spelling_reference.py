"""Plain NumPy / Python twins of ``_spelling_kernels`` (slow; compared by the tests)."""

import numpy as np

from ._spelling_kernels import (
    COST_DOUBLED,
    COST_FIRST,
    COST_INSERTED,
    COST_OMITTED,
    COST_SUBSTITUTED,
    COST_TRANSPOSED,
    COST_VOWEL,
)

VOWELS = frozenset("aeiouy")


def edit_cost_reference(a, b, costs, cap):
    """The full dynamic programme of ``edit_cost`` on two str, then ``min(cost, cap)``."""
    n, m = len(a), len(b)

    def extra(i):  # a[i - 1] is an extra letter of the misspelling
        doubled = (i > 1 and a[i - 2] == a[i - 1]) or (i < n and a[i] == a[i - 1])
        return costs[COST_DOUBLED] if doubled else costs[COST_INSERTED]

    def omitted(j):  # b[j - 1] is missing from the misspelling
        doubled = (j > 1 and b[j - 2] == b[j - 1]) or (j < m and b[j] == b[j - 1])
        return costs[COST_DOUBLED] if doubled else costs[COST_OMITTED]

    first = costs[COST_FIRST]
    d = np.zeros((n + 1, m + 1))
    for j in range(1, m + 1):
        d[0, j] = d[0, j - 1] + (max(omitted(j), first) if j == 1 else omitted(j))
    for i in range(1, n + 1):
        d[i, 0] = d[i - 1, 0] + (max(extra(i), first) if i == 1 else extra(i))
        for j in range(1, m + 1):
            if a[i - 1] == b[j - 1]:
                sub = 0.0
            else:
                both_vowels = a[i - 1] in VOWELS and b[j - 1] in VOWELS
                sub = costs[COST_VOWEL] if both_vowels else costs[COST_SUBSTITUTED]
                if i == 1 and j == 1:
                    sub = max(sub, first)
            options = [d[i - 1, j - 1] + sub, d[i - 1, j] + extra(i), d[i, j - 1] + omitted(j)]
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1] and a[i - 1] != a[i - 2]:
                options.append(d[i - 2, j - 2] + costs[COST_TRANSPOSED])
            d[i, j] = min(options)
    return min(d[n, m], cap)


def shortlist_reference(Q, vectors, rows, cell_ptr, centers, n_probe, k):
    """``shortlist`` by sorting: cells by centre distance, rows by (-similarity, row)."""
    Q = np.asarray(Q, dtype=np.float64)
    out_sim = np.full((Q.shape[0], k), -np.inf)
    out_ind = np.full((Q.shape[0], k), -1, dtype=np.int64)
    C = np.asarray(centers, dtype=np.float64)
    sizes = np.diff(cell_ptr)
    for i, q in enumerate(Q):
        dist = ((C - q) ** 2).sum(axis=1)
        order = np.argsort(dist, kind="stable")
        n_cells = min(n_probe, len(order))
        while n_cells < len(order) and sizes[order[:n_cells]].sum() < k:
            n_cells += 1
        members = np.concatenate([np.arange(cell_ptr[c], cell_ptr[c + 1]) for c in order[:n_cells]])
        sim = np.asarray(vectors, dtype=np.float64)[members] @ q
        best = np.lexsort((rows[members], -sim))[:k]
        out_sim[i, :len(best)] = sim[best]
        out_ind[i, :len(best)] = rows[members][best]
    return out_sim, out_ind


def rank_candidates_reference(queries, Q, vectors, rows, cell_ptr, centers, words, log_counts, costs, cap,
                              distance_weight, prior_weight, n_probe, n_candidates, n_out):
    """``rank_candidates`` with the reference shortlist and edit cost, sorting the scores."""
    sim, ind = shortlist_reference(Q, vectors, rows, cell_ptr, centers, n_probe, n_candidates)
    out_score = np.full((len(queries), n_out), -np.inf)
    out_ind = np.full((len(queries), n_out), -1, dtype=np.int64)
    for i, query in enumerate(queries):
        keep = ind[i] >= 0
        r, s = ind[i][keep], sim[i][keep]
        score = np.array([distance_weight * (s[t] - 1.0) + prior_weight * log_counts[r[t]]
                          - edit_cost_reference(query, words[r[t]], costs, cap) for t in range(len(r))])
        order = np.lexsort((r, -s, -score))[:n_out]
        out_score[i, :len(order)] = score[order]
        out_ind[i, :len(order)] = r[order]
    return out_score, out_ind
