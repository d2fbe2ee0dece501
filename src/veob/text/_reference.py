"""Slow, obviously correct NumPy/Python twins of the numba kernels in ``_kernels``."""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp

from ._kernels import FLAG_PUNCT, FLAG_STOP

__all__ = ["context_sensitive", "cooccurrence", "padded_positions", "ppmi_dense",
           "pool_ids", "pool_table", "scan_text", "sentence_spectra", "sentencize", "subsample_tokens", "uniform_at"]


def sentencize(chunks, text_offsets, chunk_ptr, tok_norm, tok_flags, max_tokens):
    """Token lists of the kept sentences and their text index (spaCy's Sentencizer.predict)."""
    sentences, sources = [], []
    for t in range(len(text_offsets) - 1):
        tokens = [r for q in range(text_offsets[t], text_offsets[t + 1])
                  for r in range(chunk_ptr[chunks[q]], chunk_ptr[chunks[q] + 1])]
        starts = [0] if tokens else []
        seen = False
        for i, r in enumerate(tokens):
            stop = bool(tok_flags[r] & FLAG_STOP)
            if seen and not tok_flags[r] & FLAG_PUNCT and not stop:
                starts.append(i)
                seen = False
            elif stop:
                seen = True
        for a, b in zip(starts, starts[1:] + [len(tokens)]):
            kept = [int(tok_norm[r]) for r in tokens[a:b] if tok_norm[r] >= 0]
            if 1 <= len(kept) <= max_tokens:
                sentences.append(kept)
                sources.append(t)
    return sentences, sources


def context_sensitive(chunks, text_offsets, first_char, last_char, starts_special, ends_special, pair_table):
    out = np.zeros(len(text_offsets) - 1, dtype=bool)
    for t in range(len(text_offsets) - 1):
        seq = chunks[text_offsets[t]:text_offsets[t + 1]]
        for left, right in zip(seq[:-1], seq[1:]):
            a, b = last_char[left], first_char[right]
            if (ends_special[left] or starts_special[right]) and a < 128 and b < 128 and pair_table[a, b]:
                out[t] = True
    return out


def padded_positions(ids, offsets, n_words, window):
    """Sentences joined with ``window`` sentinels (-1) between them, and word positions."""
    parts = [np.full(window, -1)]
    for s in range(len(offsets) - 1):
        parts += [np.asarray(ids[offsets[s]:offsets[s + 1]]), np.full(window, -1)]
    padded = np.concatenate(parts).astype(np.int32)
    real = np.flatnonzero(padded >= 0)
    order = real[np.argsort(padded[real], kind="stable")]
    ptr = np.concatenate([[0], np.cumsum(np.bincount(padded[real], minlength=n_words))])
    return padded, ptr, order


def uniform_at(seed, position):
    """SplitMix64 of ``seed + (position + 1) * golden`` in Python integers, mapped to [0, 1)."""
    mask = (1 << 64) - 1
    z = (seed + (position + 1) * 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z ^= z >> 31
    return (z >> 11) / float(1 << 53)


def subsample_tokens(ids, offsets, remap, keep_prob, seed, start):
    """Kept tokens (as new ids) sentence by sentence, and the new offsets."""
    out, bounds = [], [0]
    for s in range(len(offsets) - 1):
        for i in range(offsets[s], offsets[s + 1]):
            w = remap[ids[i]]
            if w >= 0 and (keep_prob[w] >= 1.0 or uniform_at(seed, start + i) < keep_prob[w]):
                out.append(int(w))
        bounds.append(len(out))
    return np.asarray(out, dtype=np.int64), np.asarray(bounds, dtype=np.int64)


def cooccurrence(ids, offsets, n_words, window, weights, bags=2):
    """The co-occurrence matrix from explicit (word, context, weight) triplets summed by scipy."""
    ctx = ids
    n_ctx = n_words
    rows, cols, vals = [], [], []
    for s in range(len(offsets) - 1):
        a, b = offsets[s], offsets[s + 1]
        for i in range(a, b):
            for k in range(1, window + 1):
                if i - k >= a:
                    rows.append(ids[i])
                    cols.append(ctx[i - k])
                    vals.append(weights[k - 1])
                if i + k < b:
                    rows.append(ids[i])
                    cols.append(ctx[i + k] + (n_ctx if bags == 2 else 0))
                    vals.append(weights[k - 1])
    X = sp.coo_matrix((vals, (rows, cols)), shape=(n_words, bags * n_ctx)).tocsr()
    X.sum_duplicates()
    return X


def ppmi_dense(C, cds, shift):
    C = np.asarray(C, dtype=np.float64)
    row = C.sum(axis=1, keepdims=True)
    col = C.sum(axis=0) ** cds
    p_c = col / col.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(C / (row * p_c[None, :])) - np.log(shift)
    pmi[~np.isfinite(pmi)] = 0.0
    return np.maximum(pmi, 0.0)


def sentence_spectra(ids, offsets, word_weights, coef, table):
    """Explicit sequences of weighted word vectors times the basis table."""
    n = len(offsets) - 1
    n_freqs, d = coef.shape[1], table.shape[1]
    out = np.zeros((n, n_freqs * d))
    for s in range(n):
        seq = ids[offsets[s]:offsets[s + 1]]
        L = len(seq)
        basis = coef[L if coef.shape[0] > 1 else 0][:, :L]
        vecs = table[seq] * word_weights[seq][:, None]
        out[s] = (basis @ vecs).reshape(-1)
    return out


def pool_ids(ids, offsets, weights, table, n_freqs, decay):
    """Weighted DCT-II pooling, one text at a time, with explicit basis vectors."""
    d = table.shape[1]
    out = np.zeros((len(offsets) - 1, n_freqs * d))
    for r in range(len(offsets) - 1):
        seq = np.asarray(ids[offsets[r]:offsets[r + 1]])
        L = len(seq)
        if L == 0:
            continue
        k = np.arange(L)
        X = weights[seq][:, None] * table[seq]
        for f in range(n_freqs):
            basis = np.cos(np.pi * f * (k + 0.5) / L)
            out[r, f * d:(f + 1) * d] = decay ** f * (basis @ X) / L
    return out


def scan_text(text):
    """The byte scanner's tokens of one text, in plain Python (see ``_scan_kernels``)."""
    data = text.encode("utf8", "surrogatepass")
    out, starts = [], []
    i, pending = 0, True
    n = len(data)

    def char(i):
        b = data[i]
        if b < 128:
            c = chr(b)
            if c.isascii() and (c.isalnum()):
                return 1, 1
            if b == 39:
                return 1, 2
            if c in ".!?":
                return 1, 5
            if 33 <= b <= 126:
                return 1, 4
            return 1, 3
        length = 4 if b >= 240 else 3 if b >= 224 else 2 if b >= 192 else 1
        length = min(length, n - i)
        if length == 2 and data[i:i + 2] == b"\xc2\xa0":
            return 2, 3
        if length == 3 and b == 226 and data[i + 1] in (128, 129):
            if data[i:i + 3] == b"\xe2\x80\x99":
                return 3, 2
            if data[i:i + 3] == b"\xe2\x80\xa6":
                return 3, 5
            return 3, 3
        return length, 1

    def word_end(i):
        while i < n:
            w, c = char(i)
            if c != 1:
                break
            i += w
        return i

    def lower(raw):
        return raw.decode("utf8", "replace").translate({c: c + 32 for c in range(65, 91)})

    def emit(tok):
        nonlocal pending
        starts.append(pending)
        pending = False
        out.append(tok)

    while i < n:
        if data[i] == 60:
            m = re.match(rb"<[A-Za-z/][^<>]{0,30}>", data[i:i + 33])
            if m:
                i += m.end()
                continue
        width, cls = char(i)
        if cls == 1:
            a = i
            i = word_end(i)
            while i + 1 < n and data[i] in b".," and 48 <= data[i - 1] <= 57 and 48 <= data[i + 1] <= 57:
                i = word_end(i + 1)
            done = False
            while i < n and not done:
                qw, qc = char(i)
                if qc != 2 or i + qw >= n or char(i + qw)[1] != 1:
                    break
                s = i + qw
                e = word_end(s)
                suffix = lower(data[s:e])
                stem = lower(data[a:i])
                kind = {"s": "'s", "d": "'d", "m": "am", "re": "are", "ve": "have", "ll": "will"}.get(suffix)
                if suffix == "t" and len(stem) >= 2 and stem.endswith("n"):
                    kind = "not"
                if kind is None:
                    i = e
                    continue
                if kind == "not":
                    stem = stem[:-1]
                    stem = {"ca": "can", "wo": "will"}.get(stem, stem)
                emit(stem)
                starts.append(False)
                out.append(kind)
                done = True
                i = e
            if not done:
                emit(lower(data[a:i]))
            continue
        if width == 1 and cls in (2, 4, 5):
            starts.append(False)
            out.append(chr(data[i]))
        if cls == 5:
            pending = True
        i += width
    if starts:
        starts[0] = True
    return out, starts


def pool_table(ids, offsets, table, decay):
    """Folded-table encoding, one text at a time."""
    n_freqs, k = table.shape[1], table.shape[2]
    out = np.zeros((len(offsets) - 1, k))
    for r in range(len(offsets) - 1):
        seq = np.asarray(ids[offsets[r]:offsets[r + 1]])
        L = len(seq)
        for f in range(n_freqs):
            basis = np.cos(np.pi * f * (np.arange(L) + 0.5) / max(L, 1))
            if L:
                out[r] += decay ** f * (basis @ table[seq, f]) / L
    return out
