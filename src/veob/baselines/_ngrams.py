"""Fast binary word n-gram counting through 64-bit hashing (numba kernels).

The pieces of :class:`~veob.baselines.SentimentClassifier`'s featuriser:
:func:`token_hashes` tokenises and hashes texts once, :class:`WordVocabulary`
keeps the most frequent words (the seed's vocabulary size), and
:class:`NGramCounter` turns token hashes into a CSR matrix of n-gram
occurrence counts over the n-grams seen in fitted texts.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import _kernels

__all__ = ["NGramCounter", "WordVocabulary", "encode_texts", "token_hashes"]

_NO_LIMIT = np.iinfo(np.int64).max // 4


def encode_texts(texts):
    """One UTF-8 byte buffer for all texts and the byte range of each.

    Returns ``(buf, starts, ends)``: ``buf`` is a C-contiguous uint8 array,
    text i is ``buf[starts[i]:ends[i]]``.
    """
    parts = [t.encode("utf-8", "replace") for t in texts]
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    buf = np.frombuffer(b"".join(parts), dtype=np.uint8)
    return np.ascontiguousarray(buf), starts, ends


def token_hashes(texts, *, punctuation=True):
    """64-bit hashes of the tokens of every text, concatenated.

    Tokens are lower-cased runs of ASCII letters, digits and non-ASCII
    characters with single inner apostrophes ("don't"); with
    ``punctuation`` every "!" and "?" is a token too. HTML-like tags
    (``<br />``) separate tokens; everything else is dropped.

    Returns ``(hashes, offsets)``: the tokens of text i are
    ``hashes[offsets[i]:offsets[i+1]]`` (uint64, never 0).
    """
    buf, starts, ends = encode_texts(texts)
    counts = np.empty(len(starts), dtype=np.int64)
    _kernels.count_tokens(buf, starts, ends, bool(punctuation), counts)
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    hashes = np.empty(offsets[-1], dtype=np.uint64)
    _kernels.hash_tokens(buf, starts, ends, bool(punctuation), offsets, hashes)
    return hashes, offsets


class _Table:
    """A frozen key -> id hash table; only the keys are pickled."""

    def __init__(self, keys):
        self.keys = np.ascontiguousarray(keys, dtype=np.uint64)
        self._build()

    def _build(self):
        self._slots, self._ids, n, _ = _kernels.table_build(self.keys)
        if n != len(self.keys):
            raise ValueError("table keys must be distinct and non-zero")

    def lookup(self, keys):
        out = np.empty(len(keys), dtype=np.int64)
        _kernels.table_lookup(self._slots, self._ids, keys, out)
        return out

    def __len__(self):
        return len(self.keys)

    def __getstate__(self):
        return {"keys": self.keys}

    def __setstate__(self, state):
        self.keys = state["keys"]
        self._build()


class WordVocabulary:
    """The ``max_words`` most frequent tokens; others become out of vocabulary.

    Mirrors a Keras ``TextVectorization(max_tokens=...)`` vocabulary: words
    ranked by their number of occurrences (ties by first occurrence).
    """

    def __init__(self, max_words):
        self.max_words = max_words

    def fit(self, tokens):
        _, _, n_words, ids = _kernels.table_build(tokens)
        freq = np.bincount(ids, minlength=n_words)
        kept = np.argsort(-freq, kind="stable")[: self.max_words]
        word_of_id = np.empty(n_words, dtype=np.uint64)
        word_of_id[ids] = tokens
        self.table_ = _Table(word_of_id[kept])
        return self

    def mask(self, tokens):
        """Set the out-of-vocabulary tokens to 0 (in place) and return them."""
        tokens[self.table_.lookup(tokens) < 0] = 0
        return tokens


def _ngram_hashes(tokens, offsets, ngram_range, max_tokens):
    lo, hi = ngram_range
    limit = _NO_LIMIT if max_tokens is None else int(max_tokens)
    counts = np.empty(len(offsets) - 1, dtype=np.int64)
    _kernels.count_ngrams(tokens, offsets, lo, hi, limit, counts)
    out_offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(counts, out=out_offsets[1:])
    out = np.empty(out_offsets[-1], dtype=np.uint64)
    _kernels.hash_ngrams(tokens, offsets, lo, hi, limit, out_offsets, out)
    return out, out_offsets


def _csr_from_ids(ids, offsets, n_features, dtype):
    """Rows of column ids (-1 = drop) -> CSR of occurrence counts (ids are sorted in place)."""
    n_rows = len(offsets) - 1
    row_nnz = np.empty(n_rows, dtype=np.int64)
    _kernels.csr_counts(ids, offsets, row_nnz)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(row_nnz, out=indptr[1:])
    indices = np.empty(indptr[-1], dtype=np.int64)
    data = np.empty(indptr[-1], dtype=np.int64)
    _kernels.csr_fill(ids, offsets, indptr, indices, data)
    index_dtype = np.int32 if max(n_features, indptr[-1]) < np.iinfo(np.int32).max else np.int64
    X = sp.csr_matrix((data.astype(dtype), indices.astype(index_dtype), indptr.astype(index_dtype)),
                      shape=(n_rows, n_features))
    X.has_sorted_indices = True
    return X


class NGramCounter:
    """Occurrence counts of word n-grams (from token hashes) over fitted columns.

    Parameters
    ----------
    ngram_range : (int, int)
        Smallest and largest n.
    max_tokens : int or None
        Use only the first ``max_tokens`` tokens of every text (out-of-vocabulary
        ones included, as a truncated Keras sequence).
    min_df : int or float
        Keep the n-grams found in at least ``min_df`` fitted texts (a float
        in (0, 1]: that fraction of them).

    Attributes
    ----------
    n_features_ : int
    document_frequency_ : ndarray of shape (n_features_,)
    n_documents_ : int
    """

    def __init__(self, ngram_range=(1, 2), *, max_tokens=None, min_df=1):
        self.ngram_range = ngram_range
        self.max_tokens = max_tokens
        self.min_df = min_df

    def fit_transform(self, tokens, offsets, dtype=np.float32):
        """Learn the n-gram columns of the texts; return their count matrix."""
        grams, gram_offsets = _ngram_hashes(tokens, offsets, self.ngram_range, self.max_tokens)
        _, _, n_unique, ids = _kernels.table_build(grams)
        key_of_id = np.empty(n_unique, dtype=np.uint64)
        key_of_id[ids] = grams
        del grams
        X = _csr_from_ids(ids, gram_offsets, n_unique, dtype)
        del ids
        df = np.bincount(X.indices, minlength=n_unique)
        n_docs = len(offsets) - 1
        min_df = self.min_df if isinstance(self.min_df, (int, np.integer)) else np.ceil(self.min_df * n_docs)
        if min_df > 1:
            keep = np.flatnonzero(df >= min_df)
            X = X[:, keep]
            key_of_id, df = key_of_id[keep], df[keep]
        self.table_ = _Table(key_of_id)
        self.n_features_ = len(key_of_id)
        self.document_frequency_ = df
        self.n_documents_ = n_docs
        return X

    def transform(self, tokens, offsets, dtype=np.float32):
        """Count matrix of the texts over the fitted n-gram columns."""
        grams, gram_offsets = _ngram_hashes(tokens, offsets, self.ngram_range, self.max_tokens)
        ids = self.table_.lookup(grams)
        del grams
        return _csr_from_ids(ids, gram_offsets, self.n_features_, dtype)
