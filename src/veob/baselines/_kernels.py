"""Numba kernels of the n-gram featuriser (NumPy/Python twins in ``_reference``).

Text arrives as one C-contiguous ``uint8`` buffer of UTF-8 bytes with the
byte range ``[starts[i], ends[i])`` of every document. Tokens are hashed
with 64-bit FNV-1a, n-grams by chaining a splitmix64 mixer over the token
hashes; the value 0 is reserved (it marks an out-of-vocabulary token and
an empty hash-table slot). A 64-bit hash collision among the ~10^7
distinct n-grams of a corpus has probability ~10^-5.
"""

import numpy as np
from numba import njit, prange

_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, nogil=True)
def _is_word(b):
    # ASCII letters and digits (after lower-casing) and every byte of a
    # multi-byte UTF-8 character, so "café" is one token
    return (97 <= b <= 122) or (48 <= b <= 57) or b >= 128


@njit(cache=True, nogil=True)
def _lower(b):
    return b + 32 if 65 <= b <= 90 else b


@njit(cache=True, nogil=True)
def _tag_end(buf, i, end):
    """Index just past an HTML-like tag ``<[A-Za-z/][^<>]{0,30}>`` at i, else -1."""
    if i + 1 >= end:
        return -1
    c = buf[i + 1]
    if not ((65 <= c <= 90) or (97 <= c <= 122) or c == 47):
        return -1
    j = i + 2
    while j < end and j <= i + 32 and buf[j] != 60 and buf[j] != 62:
        j += 1
    if j < end and j <= i + 32 and buf[j] == 62:
        return j + 1
    return -1


@njit(cache=True, nogil=True)
def _scan(buf, start, end, punct, out, pos, write):
    """Tokenise one document; write the token hashes at out[pos:] if ``write``.

    Returns the number of tokens. A token is a run of word bytes, with
    single apostrophes allowed between word bytes ("don't"); with
    ``punct`` every "!" and "?" is a token of its own. Tags are separators.
    """
    n = 0
    i = start
    while i < end:
        b = _lower(buf[i])
        if _is_word(b):
            h = _FNV_OFFSET
            while True:
                h ^= np.uint64(b)
                h *= _FNV_PRIME
                i += 1
                if i >= end:
                    break
                b = _lower(buf[i])
                if _is_word(b):
                    continue
                if b == 39 and i + 1 < end and _is_word(_lower(buf[i + 1])):
                    continue
                break
            if write:
                out[pos + n] = h if h != 0 else np.uint64(1)
            n += 1
        elif punct and (b == 33 or b == 63):
            if write:
                h = (_FNV_OFFSET ^ np.uint64(b)) * _FNV_PRIME
                out[pos + n] = h
            n += 1
            i += 1
        elif b == 60:
            stop = _tag_end(buf, i, end)
            i = stop if stop > 0 else i + 1
        else:
            i += 1
    return n


@njit(cache=True, nogil=True, parallel=True)
def count_tokens(buf, starts, ends, punct, counts):
    """counts[i] = number of tokens of document i."""
    dummy = np.empty(0, dtype=np.uint64)
    for i in prange(starts.shape[0]):
        counts[i] = _scan(buf, starts[i], ends[i], punct, dummy, 0, False)


@njit(cache=True, nogil=True, parallel=True)
def hash_tokens(buf, starts, ends, punct, offsets, out):
    """out[offsets[i]:offsets[i+1]] = the token hashes of document i."""
    for i in prange(starts.shape[0]):
        _scan(buf, starts[i], ends[i], punct, out, offsets[i], True)


@njit(cache=True, nogil=True)
def _mix(h, x):
    """Order-dependent combination of two 64-bit hashes (splitmix64 finaliser)."""
    z = h ^ (x + _GOLDEN + (h << np.uint64(6)) + (h >> np.uint64(2)))
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return z if z != 0 else np.uint64(1)


@njit(cache=True, nogil=True)
def _ngrams_of(tokens, lo, hi, n_min, n_max, out, pos, write):
    """n-gram hashes (n_min <= n <= n_max) of tokens[lo:hi]; 0 tokens are skipped."""
    m = 0
    for n in range(n_min, n_max + 1):
        for i in range(lo, hi - n + 1):
            if tokens[i] == 0:
                continue
            h = tokens[i]
            ok = True
            if n > 1:
                h = _mix(np.uint64(n), h)
                for j in range(i + 1, i + n):
                    if tokens[j] == 0:
                        ok = False
                        break
                    h = _mix(h, tokens[j])
            if ok:
                if write:
                    out[pos + m] = h
                m += 1
    return m


@njit(cache=True, nogil=True, parallel=True)
def count_ngrams(tokens, offsets, n_min, n_max, max_tokens, counts):
    """counts[i] = number of n-grams in the first ``max_tokens`` tokens of document i."""
    dummy = np.empty(0, dtype=np.uint64)
    for i in prange(offsets.shape[0] - 1):
        lo = offsets[i]
        hi = min(offsets[i + 1], lo + max_tokens)
        counts[i] = _ngrams_of(tokens, lo, hi, n_min, n_max, dummy, 0, False)


@njit(cache=True, nogil=True, parallel=True)
def hash_ngrams(tokens, offsets, n_min, n_max, max_tokens, out_offsets, out):
    """out[out_offsets[i]:out_offsets[i+1]] = the n-gram hashes of document i."""
    for i in prange(offsets.shape[0] - 1):
        lo = offsets[i]
        hi = min(offsets[i + 1], lo + max_tokens)
        _ngrams_of(tokens, lo, hi, n_min, n_max, out, out_offsets[i], True)


@njit(cache=True, nogil=True)
def _slot(key, shift):
    return np.int64((key * _GOLDEN) >> np.uint64(shift))


@njit(cache=True, nogil=True)
def table_build(keys):
    """Hash table of the distinct non-zero keys, ids in order of first occurrence.

    Open addressing with linear probing; the table doubles when half full.
    Returns ``(table_keys, table_ids, n_unique, ids)`` with ``ids[p]`` the id
    of ``keys[p]`` (-1 for a zero key).
    """
    bits = 16
    table_keys = np.zeros(1 << bits, dtype=np.uint64)
    table_ids = np.full(1 << bits, -1, dtype=np.int64)
    ids = np.empty(keys.shape[0], dtype=np.int64)
    n_unique = 0
    for p in range(keys.shape[0]):
        key = keys[p]
        if key == 0:
            ids[p] = -1
            continue
        mask = (1 << bits) - 1
        s = _slot(key, 64 - bits)
        while table_keys[s] != 0 and table_keys[s] != key:
            s = (s + 1) & mask
        if table_keys[s] == key:
            ids[p] = table_ids[s]
            continue
        table_keys[s] = key
        table_ids[s] = n_unique
        ids[p] = n_unique
        n_unique += 1
        if 2 * n_unique > (1 << bits):
            bits += 1
            new_keys = np.zeros(1 << bits, dtype=np.uint64)
            new_ids = np.full(1 << bits, -1, dtype=np.int64)
            mask = (1 << bits) - 1
            for q in range(table_keys.shape[0]):
                k = table_keys[q]
                if k != 0:
                    t = _slot(k, 64 - bits)
                    while new_keys[t] != 0:
                        t = (t + 1) & mask
                    new_keys[t] = k
                    new_ids[t] = table_ids[q]
            table_keys, table_ids = new_keys, new_ids
    return table_keys, table_ids, n_unique, ids


@njit(cache=True, nogil=True, parallel=True)
def table_lookup(table_keys, table_ids, keys, out):
    """out[p] = id of keys[p] in the table, -1 when absent (or zero)."""
    size = table_keys.shape[0]
    bits = 0
    while (1 << bits) < size:
        bits += 1
    mask = size - 1
    for p in prange(keys.shape[0]):
        key = keys[p]
        out[p] = -1
        if key == 0:
            continue
        s = _slot(key, 64 - bits)
        while table_keys[s] != 0:
            if table_keys[s] == key:
                out[p] = table_ids[s]
                break
            s = (s + 1) & mask


@njit(cache=True, nogil=True, parallel=True)
def csr_counts(ids, offsets, row_nnz):
    """Sort each row's ids in place (negative ids first) and count its distinct ids >= 0."""
    for i in prange(offsets.shape[0] - 1):
        seg = ids[offsets[i]:offsets[i + 1]]
        seg.sort()
        m = 0
        prev = -1
        for v in seg:
            if v >= 0 and v != prev:
                m += 1
                prev = v
        row_nnz[i] = m


@njit(cache=True, nogil=True, parallel=True)
def csr_fill(ids, offsets, indptr, indices, data):
    """CSR (indices, data = occurrence counts) from the row-sorted ids."""
    for i in prange(offsets.shape[0] - 1):
        q = indptr[i] - 1
        prev = -1
        for p in range(offsets[i], offsets[i + 1]):
            v = ids[p]
            if v < 0:
                continue
            if v != prev:
                q += 1
                indices[q] = v
                data[q] = 0
                prev = v
            data[q] += 1
