"""Slow, obviously correct Python twins of the n-gram kernels (for tests)."""

import re

import numpy as np

_M = (1 << 64) - 1
_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB

_TAG = re.compile(rb"<[A-Za-z/][^<>]{0,30}>")
_WORD = rb"[a-z0-9\x80-\xff]+(?:'[a-z0-9\x80-\xff]+)*"
_TOKEN = re.compile(_WORD)
_TOKEN_PUNCT = re.compile(_WORD + rb"|[!?]")


def tokens_reference(text, punctuation=True):
    """The tokens of one text as bytes: tags removed, ASCII lower-cased, regex split."""
    raw = _TAG.sub(b" ", text.encode("utf-8", "replace")).lower()
    return (_TOKEN_PUNCT if punctuation else _TOKEN).findall(raw)


def fnv1a_reference(token):
    """64-bit FNV-1a of a bytes token (0 is mapped to 1)."""
    h = _FNV_OFFSET
    for byte in token:
        h = ((h ^ byte) * _FNV_PRIME) & _M
    return h or 1


def mix_reference(h, x):
    """The kernels' order-dependent 64-bit hash combination."""
    z = h ^ ((x + _GOLDEN + ((h << 6) & _M) + (h >> 2)) & _M)
    z = ((z ^ (z >> 30)) * _MIX1) & _M
    z = ((z ^ (z >> 27)) * _MIX2) & _M
    z ^= z >> 31
    return z or 1


def ngram_hashes_reference(tokens, ngram_range, max_tokens=None):
    """n-gram hashes of one token-hash list (0 = out of vocabulary), n-major order."""
    tokens = list(tokens)[:max_tokens] if max_tokens is not None else list(tokens)
    out = []
    lo, hi = ngram_range
    for n in range(lo, hi + 1):
        for i in range(len(tokens) - n + 1):
            window = tokens[i:i + n]
            if 0 in window:
                continue
            h = window[0]
            if n > 1:
                h = mix_reference(n, h)
                for t in window[1:]:
                    h = mix_reference(h, t)
            out.append(h)
    return out


def count_matrix_reference(texts, ngram_range, *, max_tokens=None, min_df=1, punctuation=True,
                           vocabulary=None):
    """Dense n-gram count matrix with columns in order of first occurrence.

    ``vocabulary``: a set of token hashes; other tokens are out of vocabulary.
    Returns ``(counts, keys)``.
    """
    grams = []
    for text in texts:
        toks = [fnv1a_reference(t) for t in tokens_reference(text, punctuation)]
        if vocabulary is not None:
            toks = [t if t in vocabulary else 0 for t in toks]
        grams.append(ngram_hashes_reference(toks, ngram_range, max_tokens))
    column = {}
    for doc in grams:
        for g in doc:
            column.setdefault(g, len(column))
    counts = np.zeros((len(texts), len(column)))
    for i, doc in enumerate(grams):
        for g in doc:
            counts[i, column[g]] += 1
    keys = np.array(list(column), dtype=np.uint64)
    keep = (counts > 0).sum(axis=0) >= min_df
    return counts[:, keep], keys[keep]


def top_words_reference(texts, max_words, punctuation=True):
    """The ``max_words`` most frequent token hashes (ties: first occurrence)."""
    freq = {}
    for text in texts:
        for t in tokens_reference(text, punctuation):
            h = fnv1a_reference(t)
            freq[h] = freq.get(h, 0) + 1
    order = sorted(freq, key=lambda h: -freq[h])  # sorted() is stable: dict order = first occurrence
    return set(order[:max_words])
