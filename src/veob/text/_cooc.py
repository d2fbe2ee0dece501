"""Sparse word-context co-occurrence matrices and their weightings."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import _kernels

__all__ = ["CooccurrenceAccumulator", "cooccurrence_matrix", "normalize_bags", "ppmi"]


def _n_blocks():
    import numba

    return max(1, 8 * numba.get_num_threads())


def cooccurrence_matrix(ids, offsets, n_words, window, weights, *, bags=2):
    """CSR co-occurrence counts of words (rows) with their context words (columns).

    Parameters
    ----------
    ids : ndarray of int
        Token ids of all sentences end to end, in ``[0, n_words)``.
    offsets : ndarray of int
        Sentence boundaries.
    n_words : int
        Number of rows.
    window : int
        Context positions on each side.
    weights : ndarray of float of shape (window,)
        Weight of a context at distance k is ``weights[k - 1]`` (> 0).
    bags : {1, 2}
        2: columns ``[0, n)`` hold the contexts before a word and
        ``[n, 2n)`` those after it (the paper); 1: one bag for both sides.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_words, bags * n_words), float64
    """
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    ctx = ids
    n_ctx = n_words
    after = n_ctx if bags == 2 else 0
    n_cols = bags * n_ctx
    tok_sent = _kernels.token_sentences(offsets, ids.shape[0])
    pos_ptr = np.zeros(n_words + 1, dtype=np.int64)
    positions = np.empty(ids.shape[0], dtype=np.int64)
    _kernels.word_positions(ids, n_words, pos_ptr, positions)
    n_blocks = _n_blocks()
    row_nnz = np.zeros(n_words, dtype=np.int64)
    _kernels.cooc_row_nnz(ctx, offsets, tok_sent, pos_ptr, positions, window, after, n_cols, n_blocks, row_nnz)
    indptr = np.zeros(n_words + 1, dtype=np.int64)
    np.cumsum(row_nnz, out=indptr[1:])
    nnz = int(indptr[-1])
    index_dtype = np.int32 if max(nnz, n_cols) < np.iinfo(np.int32).max else np.int64
    indices = np.empty(nnz, dtype=np.int64)
    data = np.empty(nnz, dtype=np.float64)
    _kernels.cooc_fill(ctx, offsets, tok_sent, pos_ptr, positions, window, after, weights, n_cols, n_blocks,
                       indptr, indices, data)
    X = sp.csr_matrix((data, indices.astype(index_dtype), indptr.astype(index_dtype)), shape=(n_words, n_cols))
    X.has_sorted_indices = True
    return X


class CooccurrenceAccumulator:
    """Co-occurrence counts merged over chunks of sentences, with a growing vocabulary.

    Sentences never span chunks, so the counts of a sentence's pairs all come
    from one chunk and the sum of the chunk matrices is the matrix of the
    whole corpus (exactly for integer weights; for fractional distance
    weights up to the order of the floating-point additions). Memory is the
    merged matrix plus one chunk.

    The merged matrix keeps its columns interleaved, column ``c * bags + b``
    for context word c in bag b, so the columns already stored stay valid
    when the vocabulary grows; :meth:`result` renumbers words by descending
    count (ties alphabetical, as :func:`as_corpus`) and returns the usual
    layout (bag b in columns ``[b n, (b + 1) n)``).
    """

    def __init__(self, window, weights, bags):
        self.window, self.weights, self.bags = window, np.asarray(weights, dtype=np.float64), bags
        self._index = {}
        self._words = []
        self._counts = np.zeros(0, dtype=np.int64)
        self._matrix = None
        self.n_chunks = 0
        self.n_sentences = 0

    def add(self, corpus):
        """Count one chunk (a :class:`Corpus`)."""
        local = corpus.words.tolist()
        to_global = np.empty(len(local), dtype=np.int64)
        for j, word in enumerate(local):
            g = self._index.get(word)
            if g is None:
                g = self._index[word] = len(self._words)
                self._words.append(word)
            to_global[j] = g
        n, bags = len(self._words), self.bags
        counts = np.zeros(n, dtype=np.int64)
        counts[:self._counts.shape[0]] = self._counts
        counts[to_global] += corpus.counts
        self._counts = counts
        ids = to_global[corpus.token_ids.astype(np.int64)]
        part = cooccurrence_matrix(ids, corpus.offsets, n, self.window, self.weights, bags=bags).tocoo()
        col = (part.col % n).astype(np.int64) * bags + part.col // n
        part = sp.csr_matrix((part.data, (part.row, col)), shape=(n, bags * n))
        if self._matrix is None:
            self._matrix = part
        else:
            self._matrix.resize((n, bags * n))
            self._matrix = (self._matrix + part).tocsr()
        self.n_chunks += 1
        self.n_sentences += corpus.offsets.shape[0] - 1

    def result(self):
        """``(words, counts, X)``: words by descending count, X (n, bags n) CSR float64."""
        if self._matrix is None or not self._words:
            raise ValueError("the chunks hold no token; at least one word is required")
        names = np.asarray(self._words, dtype=str)
        order = np.lexsort((names, -self._counts))
        new_id = np.empty_like(order)
        new_id[order] = np.arange(order.shape[0])
        n, bags = names.shape[0], self.bags
        X = self._matrix[order].tocoo()
        col = (X.col % bags).astype(np.int64) * n + new_id[X.col // bags]
        X = sp.csr_matrix((X.data, (X.row, col)), shape=(n, bags * n))
        X.sort_indices()
        return names[order], self._counts[order], X


def normalize_bags(X, bags):
    """Divide each bag of each row by its sum (the paper's "frequency" of the contexts)."""
    n_ctx = X.shape[1] // bags
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    bag = X.indices // n_ctx if bags > 1 else np.zeros_like(X.indices)
    key = rows * bags + bag
    sums = np.bincount(key, weights=X.data, minlength=X.shape[0] * bags)
    out = X.copy()
    out.data = X.data / sums[key]
    return out


def ppmi(X, *, cds=0.75, shift=1.0):
    r"""Positive (shifted) PMI with context-distribution smoothing.

    :math:`\max(\log \frac{\#(w, c)}{\#(w) P_\alpha(c)} - \log s, 0)` with
    :math:`P_\alpha(c) = \#(c)^\alpha / \sum_{c'} \#(c')^\alpha`. Zeros are
    removed from the result.
    """
    X = X.tocsr()
    row_sum = np.asarray(X.sum(axis=1)).ravel()
    col_sum = np.asarray(X.sum(axis=0)).ravel()
    smoothed = np.power(col_sum, cds)
    col_prob = smoothed / smoothed.sum()
    col_prob = np.where(col_prob > 0, col_prob, 1.0)
    out = np.empty_like(X.data)
    _kernels.ppmi_csr(X.indptr.astype(np.int64), X.indices.astype(np.int64), X.data, row_sum, col_prob,
                      float(shift), out)
    # copies: eliminate_zeros compacts the index arrays in place, they must not be X's
    P = sp.csr_matrix((out, X.indices.copy(), X.indptr.copy()), shape=X.shape)
    P.eliminate_zeros()
    return P
