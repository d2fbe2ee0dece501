"""Slow, obviously correct NumPy twins of the numba kernels (for tests)."""

import numpy as np


def best_match_scan_reference(data, rows, segment_ptr, queries, probes, exclude):
    """Double loop over (query, class), one vectorised distance per probed segment."""
    n_q, n_classes, _ = probes.shape
    best_sq = np.full((n_q, n_classes), np.inf)
    best_row = np.full((n_q, n_classes), -1, dtype=np.int64)
    for t in range(n_q):
        for c in range(n_classes):
            cand = []
            for cell in probes[t, c]:
                if cell < 0:
                    continue
                seg = cell * n_classes + c
                cand.extend(range(segment_ptr[seg], segment_ptr[seg + 1]))
            cand = [i for i in cand if rows[i] != exclude[t]]
            if not cand:
                continue
            diff = data[cand].astype(np.float64) - queries[t].astype(np.float64)
            sq = np.einsum("ij,ij->i", diff, diff)
            # smallest distance, then smallest original row
            pick = np.lexsort((rows[cand], sq))[0]
            best_sq[t, c] = sq[pick]
            best_row[t, c] = rows[cand][pick]
    return best_sq, best_row


def best_match_brute_reference(data, rows, labels, queries, n_classes, exclude):
    """Exact best match of every (query, class) over all training rows of the class (brute force)."""
    n_q = queries.shape[0]
    best_sq = np.full((n_q, n_classes), np.inf)
    best_row = np.full((n_q, n_classes), -1, dtype=np.int64)
    for t in range(n_q):
        diff = data.astype(np.float64) - queries[t].astype(np.float64)
        sq = np.einsum("ij,ij->i", diff, diff)
        for c in range(n_classes):
            cand = np.flatnonzero((labels == c) & (rows != exclude[t]))
            if cand.size:
                pick = cand[np.lexsort((rows[cand], sq[cand]))[0]]
                best_sq[t, c] = sq[pick]
                best_row[t, c] = rows[pick]
    return best_sq, best_row
