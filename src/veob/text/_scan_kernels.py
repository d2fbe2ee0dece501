"""Numba kernels of the byte-scanner tokenizer (``_scan``); the Python twin is ``_reference.scan_text``.

Texts arrive as one C-contiguous ``uint8`` buffer of UTF-8 bytes with the
byte range ``[starts[i], ends[i])`` of every text. A token is identified by
the 64-bit FNV-1a hash of its normalised bytes (0 is reserved for "none");
an open-addressing table maps hashes to word ids.

Rules (applied to lower-cased ASCII; every byte >= 128 is a word byte, so
"café" is one token, except the right single quote U+2019, read as an
apostrophe):

- a word is a run of letters, digits and non-ASCII characters other than
  those of the General Punctuation block (U+2000-U+206F) and the
  no-break space; an apostrophe (``'`` or U+2019) between word characters
  splits a contraction: ``n't`` -> ``not`` (``can't`` -> ``can not``,
  ``won't`` -> ``will not``), ``'re`` -> ``are``, ``'ve`` -> ``have``,
  ``'ll`` -> ``will``, ``'m`` -> ``am``, ``'s`` and ``'d`` stay (as
  ``'s``, ``'d``); any other apostrophe joins (``o'clock``);
- a ``.`` or ``,`` between two digits stays in the number (``5.99``);
- every other printable ASCII byte is a one-byte token (punctuation);
- whitespace, control bytes, General Punctuation characters (curly
  quotes, dashes, ellipsis), the no-break space and HTML-like tags
  ``<br />`` separate tokens;
- a sentence ends after ``.``, ``!``, ``?`` or ``…`` (and the punctuation
  that follows them): the next word starts a new sentence.
"""

import numpy as np
from numba import njit, prange

FNV_OFFSET = np.uint64(14695981039346656037)
FNV_PRIME = np.uint64(1099511628211)

# token kinds of the first occurrence of a hash: how to rebuild its string
KIND_SPAN = 0  # the lower-cased bytes buf[start:start + length]
KIND_NOT, KIND_ARE, KIND_HAVE, KIND_WILL, KIND_AM, KIND_CAN, KIND_S, KIND_D = 1, 2, 3, 4, 5, 6, 7, 8
CONSTANTS = {KIND_NOT: "not", KIND_ARE: "are", KIND_HAVE: "have", KIND_WILL: "will", KIND_AM: "am",
             KIND_CAN: "can", KIND_S: "'s", KIND_D: "'d"}


@njit(cache=True, nogil=True)
def _lower(b):
    return b + 32 if 65 <= b <= 90 else b


@njit(cache=True, nogil=True)
def _char(buf, i, end):
    """(length, class) of the character at i.

    Class 1 word, 2 apostrophe, 3 separator, 4 punctuation, 5 sentence-ending punctuation.
    """
    b = buf[i]
    if b < 128:
        if (97 <= b <= 122) or (48 <= b <= 57) or (65 <= b <= 90):
            return 1, 1
        if b == 39:
            return 1, 2
        if b == 46 or b == 33 or b == 63:
            return 1, 5
        if 33 <= b <= 126:
            return 1, 4
        return 1, 3
    # UTF-8: the length from the lead byte (a stray continuation byte counts as one)
    n = 1
    if b >= 240:
        n = 4
    elif b >= 224:
        n = 3
    elif b >= 192:
        n = 2
    n = min(n, end - i)
    if n == 2 and b == 194 and buf[i + 1] == 160:  # no-break space
        return 2, 3
    if n == 3 and b == 226 and (buf[i + 1] == 128 or buf[i + 1] == 129):  # U+2000-U+207F punctuation
        if buf[i + 1] == 128 and buf[i + 2] == 153:  # U+2019 right single quote
            return 3, 2
        if buf[i + 1] == 128 and buf[i + 2] == 166:  # U+2026 ellipsis
            return 3, 5
        return 3, 3
    return n, 1


@njit(cache=True, nogil=True)
def _word_end(buf, i, end):
    """End of the run of word characters starting at i."""
    while i < end:
        n, c = _char(buf, i, end)
        if c != 1:
            break
        i += n
    return i


@njit(cache=True, nogil=True)
def _hash_span(buf, a, b):
    h = FNV_OFFSET
    for i in range(a, b):
        h = (h ^ np.uint64(_lower(buf[i]))) * FNV_PRIME
    return h


@njit(cache=True, nogil=True)
def _hash_bytes(h, c0, c1, c2, c3):
    for c in (c0, c1, c2, c3):
        if c >= 0:
            h = (h ^ np.uint64(c)) * FNV_PRIME
    return h


@njit(cache=True, nogil=True)
def _hash_const(kind):
    if kind == KIND_NOT:
        return _hash_bytes(FNV_OFFSET, 110, 111, 116, -1)
    if kind == KIND_ARE:
        return _hash_bytes(FNV_OFFSET, 97, 114, 101, -1)
    if kind == KIND_HAVE:
        return _hash_bytes(FNV_OFFSET, 104, 97, 118, 101)
    if kind == KIND_WILL:
        return _hash_bytes(FNV_OFFSET, 119, 105, 108, 108)
    if kind == KIND_AM:
        return _hash_bytes(FNV_OFFSET, 97, 109, -1, -1)
    if kind == KIND_CAN:
        return _hash_bytes(FNV_OFFSET, 99, 97, 110, -1)
    if kind == KIND_S:
        return _hash_bytes(FNV_OFFSET, 39, 115, -1, -1)
    return _hash_bytes(FNV_OFFSET, 39, 100, -1, -1)  # KIND_D


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
def _suffix_kind(buf, a, b, stem_a, stem_b):
    """Kind of the contraction suffix buf[a:b] after an apostrophe that follows the stem buf[stem_a:stem_b].

    -2: not a contraction, the apostrophe joins.
    """
    n = b - a
    c0 = _lower(buf[a])
    if n == 1:
        if c0 == 115:
            return KIND_S
        if c0 == 100:
            return KIND_D
        if c0 == 109:
            return KIND_AM
        if c0 == 116 and stem_b - stem_a >= 2 and _lower(buf[stem_b - 1]) == 110:  # n't
            return KIND_NOT
        return -2
    if n == 2:
        c1 = _lower(buf[a + 1])
        if c0 == 114 and c1 == 101:
            return KIND_ARE
        if c0 == 118 and c1 == 101:
            return KIND_HAVE
        if c0 == 108 and c1 == 108:
            return KIND_WILL
    return -2


@njit(cache=True, nogil=True)
def _emit(n, h, kind, a, length, sent, out_hash, out_start, out_len, out_kind, out_sent):
    out_hash[n] = h
    out_kind[n] = kind
    out_start[n] = a
    out_len[n] = length
    out_sent[n] = sent
    return n + 1


@njit(cache=True, nogil=True)
def scan_text(buf, start, end, out_hash, out_start, out_len, out_kind, out_sent):
    """Tokens of one text: writes hashes (and where each came from) from index 0; returns their number.

    ``out_kind`` is KIND_SPAN (the token is ``buf[out_start:out_start + out_len]``,
    ASCII lower-cased) or a constant's kind; ``out_sent[t]`` is 1 where
    token t starts a sentence. The output arrays need ``end - start + 1``
    slots (a text has at most one token per byte, plus one for a split
    contraction).
    """
    n = 0
    i = start
    pending = True  # the next word starts a sentence
    while i < end:
        if buf[i] == 60:  # '<': an HTML tag is a separator
            t = _tag_end(buf, i, end)
            if t >= 0:
                i = t
                continue
        width, cls = _char(buf, i, end)
        if cls == 1:
            a = i
            i = _word_end(buf, i, end)
            # a decimal point or thousands separator between digits stays in the number (5.99, 1,000)
            while i + 1 < end and (buf[i] == 46 or buf[i] == 44) and 48 <= buf[i - 1] <= 57 and 48 <= buf[i + 1] <= 57:
                i = _word_end(buf, i + 1, end)
            done = False
            while i < end and not done:
                qw, qc = _char(buf, i, end)
                if qc != 2 or i + qw >= end or _char(buf, i + qw, end)[1] != 1:
                    break
                s = i + qw
                e = _word_end(buf, s, end)
                kind = _suffix_kind(buf, s, e, a, i)
                if kind == -2:  # an apostrophe inside a word (o'clock): keep going
                    i = e
                    continue
                stem_end = i - 1 if kind == KIND_NOT else i
                sent = 1 if pending else 0
                if kind == KIND_NOT and stem_end - a == 2 and _lower(buf[a]) == 99 and _lower(buf[a + 1]) == 97:
                    n = _emit(n, _hash_const(KIND_CAN), KIND_CAN, a, 2, sent, out_hash, out_start, out_len,
                              out_kind, out_sent)  # ca n't -> can not
                elif kind == KIND_NOT and stem_end - a == 2 and _lower(buf[a]) == 119 and _lower(buf[a + 1]) == 111:
                    n = _emit(n, _hash_const(KIND_WILL), KIND_WILL, a, 2, sent, out_hash, out_start, out_len,
                              out_kind, out_sent)  # wo n't -> will not
                else:
                    n = _emit(n, _hash_span(buf, a, stem_end), KIND_SPAN, a, stem_end - a, sent, out_hash,
                              out_start, out_len, out_kind, out_sent)
                n = _emit(n, _hash_const(kind), kind, s, e - s, 0, out_hash, out_start, out_len, out_kind, out_sent)
                pending = False
                done = True
                i = e
            if not done:
                n = _emit(n, _hash_span(buf, a, i), KIND_SPAN, a, i - a, 1 if pending else 0, out_hash, out_start,
                          out_len, out_kind, out_sent)
                pending = False
            continue
        if width == 1 and (cls == 2 or cls == 4 or cls == 5):  # ASCII punctuation: one token per byte
            n = _emit(n, (FNV_OFFSET ^ np.uint64(buf[i])) * FNV_PRIME, KIND_SPAN, i, 1, 0, out_hash, out_start,
                      out_len, out_kind, out_sent)
        if cls == 5:
            pending = True
        i += width
    if n > 0:
        out_sent[0] = 1
    return n


# ---------------------------------------------------------------- hash table

@njit(cache=True, nogil=True)
def _slot(key, mask):
    h = key ^ (key >> np.uint64(29))
    return np.int64(h & np.uint64(mask))


@njit(cache=True, nogil=True)
def table_find(keys, key):
    """Slot of ``key`` in the open-addressing table ``keys``, or of the empty slot where it would go.

    The table is a power of 2 long.
    """
    mask = keys.shape[0] - 1
    s = _slot(key, mask)
    while keys[s] != 0 and keys[s] != key:
        s = (s + 1) & mask
    return s


@njit(cache=True, nogil=True)
def table_build(hashes, size):
    """Table of ``size`` slots (a power of 2 > 2 len(hashes)) mapping hashes[i] -> i."""
    keys = np.zeros(size, dtype=np.uint64)
    ids = np.full(size, -1, dtype=np.int64)
    for i in range(hashes.shape[0]):
        s = table_find(keys, hashes[i])
        keys[s] = hashes[i]
        ids[s] = i
    return keys, ids


@njit(cache=True, nogil=True)
def count_corpus(buf, starts, ends, keys, ids, counts, first_start, first_len, first_kind, n_types, max_types,
                 out_ids, out_offsets, out_src, max_tokens):
    """Tokenize texts into growing-vocabulary ids and sentences.

    Every new hash gets the next id; when the types of the next text would
    overfill the table (half its slots) or the type arrays (``max_types``),
    returns early so the caller can grow them and resume with that text.
    Sentences (at most ``max_tokens`` tokens each; longer ones are cut) are
    written to ``out_ids`` / ``out_offsets`` / ``out_src`` (the text of
    each) from index 0. Returns ``(n_texts_done, n_types, n_tokens,
    n_sentences)``.
    """
    n_tok = 0
    n_sent = 0
    out_offsets[0] = 0
    width = 1
    for t in range(starts.shape[0]):
        width = max(width, ends[t] - starts[t] + 1)
    hs = np.empty(width, dtype=np.uint64)
    st = np.empty(width, dtype=np.int64)
    ln = np.empty(width, dtype=np.int64)
    kd = np.empty(width, dtype=np.int64)
    sb = np.empty(width, dtype=np.int64)
    limit = keys.shape[0] // 2
    for t in range(starts.shape[0]):
        m = scan_text(buf, starts[t], ends[t], hs, st, ln, kd, sb)
        # make sure the new types of this text fit before touching the state
        new = 0
        for j in range(m):
            s = table_find(keys, hs[j])
            if keys[s] == 0:
                new += 1
        if n_types + new > max_types or n_types + new > limit:
            return t, n_types, n_tok, n_sent
        in_sent = 0
        for j in range(m):
            s = table_find(keys, hs[j])
            if keys[s] == 0:
                keys[s] = hs[j]
                ids[s] = n_types
                first_start[n_types] = st[j]
                first_len[n_types] = ln[j]
                first_kind[n_types] = kd[j]
                n_types += 1
            w = ids[s]
            counts[w] += 1
            if (sb[j] == 1 or in_sent == max_tokens) and in_sent > 0:
                out_src[n_sent] = t
                n_sent += 1
                out_offsets[n_sent] = n_tok
                in_sent = 0
            out_ids[n_tok] = w
            n_tok += 1
            in_sent += 1
        if in_sent > 0:
            out_src[n_sent] = t
            n_sent += 1
            out_offsets[n_sent] = n_tok
    return starts.shape[0], n_types, n_tok, n_sent


@njit(cache=True, nogil=True, parallel=True)
def lookup_texts(buf, starts, ends, keys, ids, max_tokens, out_ids, out_offsets):
    """Word ids (``ids`` of the table, -1 for unknown tokens are dropped) of every text.

    Pass 1 (``out_ids`` of length 0): writes each text's number of known
    tokens (at most ``max_tokens``) to ``out_offsets[t + 1]``. Pass 2: the
    caller has turned ``out_offsets`` into a cumulative sum; writes the ids.
    """
    n = starts.shape[0]
    fill = out_ids.shape[0] > 0
    for t in prange(n):
        width = ends[t] - starts[t] + 1
        hs = np.empty(width, dtype=np.uint64)
        st = np.empty(width, dtype=np.int64)
        ln = np.empty(width, dtype=np.int64)
        kd = np.empty(width, dtype=np.int64)
        sb = np.empty(width, dtype=np.int64)
        m = scan_text(buf, starts[t], ends[t], hs, st, ln, kd, sb)
        k = 0
        pos = out_offsets[t] if fill else 0
        for j in range(m):
            if k >= max_tokens:
                break
            s = table_find(keys, hs[j])
            if keys[s] == hs[j]:
                if fill:
                    out_ids[pos + k] = ids[s]
                k += 1
        if not fill:
            out_offsets[t + 1] = k
