"""Numba kernels of :mod:`veob.text` (slow NumPy twins in ``_reference``).

Every kernel takes C-contiguous arrays whose bounds were validated at the
Python boundary: offsets are non-decreasing, start at 0 and end at the
length of the array they index; ids lie in ``[0, n)`` of the table they
index.
"""

import numpy as np
from numba import njit, prange

# token flags of the sentencizer (bit field, see _corpus)
FLAG_PUNCT = 1  # spaCy's ``is_punct``
FLAG_STOP = 2  # the token text is one of the sentencizer's punct_chars


@njit(cache=True, nogil=True)
def sentencize(chunks, text_offsets, chunk_ptr, tok_norm, tok_flags, max_tokens,
               out_ids, sent_ptr, sent_src):
    """spaCy's rule-based sentencizer over chunked token streams, then the length filter.

    Text t is the chunk sequence ``chunks[text_offsets[t]:text_offsets[t+1]]``;
    chunk c expands to the tokens ``chunk_ptr[c]:chunk_ptr[c+1]`` of
    ``tok_norm`` (the output id of a kept token, -1 for a dropped one) and
    ``tok_flags``. A new sentence starts at a token that is neither
    punctuation nor a stop character when a stop character was seen since
    the current sentence began (``Sentencizer.predict``). Sentences with
    ``1..max_tokens`` kept tokens are written to ``out_ids`` with boundaries
    ``sent_ptr`` and text index ``sent_src``. Returns the number of sentences.
    """
    n_texts = text_offsets.shape[0] - 1
    n_sent = 0
    pos = 0
    sent_ptr[0] = 0
    for t in range(n_texts):
        start = pos  # first kept token of the current sentence
        seen_stop = False
        for q in range(text_offsets[t], text_offsets[t + 1]):
            c = chunks[q]
            for r in range(chunk_ptr[c], chunk_ptr[c + 1]):
                flags = tok_flags[r]
                is_stop = (flags & FLAG_STOP) != 0
                if seen_stop and (flags & FLAG_PUNCT) == 0 and not is_stop:
                    # close the current sentence
                    length = pos - start
                    if 1 <= length <= max_tokens:
                        n_sent += 1
                        sent_ptr[n_sent] = pos
                        sent_src[n_sent - 1] = t
                    else:
                        pos = start
                    start = pos
                    seen_stop = False
                elif is_stop:
                    seen_stop = True
                norm = tok_norm[r]
                if norm >= 0:
                    out_ids[pos] = norm
                    pos += 1
        length = pos - start
        if 1 <= length <= max_tokens:
            n_sent += 1
            sent_ptr[n_sent] = pos
            sent_src[n_sent - 1] = t
        else:
            pos = start
    return n_sent


@njit(cache=True, nogil=True)
def context_sensitive(chunks, text_offsets, first_char, last_char, starts_special, ends_special,
                      pair_table, flagged):
    """Flag texts where a special case can match across the space between two chunks.

    A flagged text has two adjacent chunks (one space apart) where a special
    case can match across the space and overlap a special case inside a chunk.

    ``first_char``/``last_char`` are the code points of each chunk's ends
    (>= 128 never pairs), ``starts_special``/``ends_special`` whether its
    first/last token is a multi-token special case, ``pair_table[a, b]``
    whether a pattern token ending in a can precede one starting with b.
    """
    for t in range(text_offsets.shape[0] - 1):
        for q in range(text_offsets[t], text_offsets[t + 1] - 1):
            left = chunks[q]
            right = chunks[q + 1]
            if not (ends_special[left] or starts_special[right]):
                continue
            a = last_char[left]
            b = first_char[right]
            if a < 128 and b < 128 and pair_table[a, b]:
                flagged[t] = True
                break


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, nogil=True)
def uniform_at(seed, position):
    """A uniform number in [0, 1) that depends only on ``(seed, position)``.

    SplitMix64 (Steele, Lea & Flood 2014) of ``seed + (position + 1) * golden``:
    a counter-based stream, so a token's draw does not depend on how the
    corpus was cut into chunks.
    """
    z = np.uint64(seed) + (np.uint64(position) + np.uint64(1)) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True)
def subsample_tokens(ids, offsets, remap, keep_prob, seed, start, out_ids, out_offsets):
    """Drop out-of-vocabulary tokens and subsample frequent ones, sentence by sentence.

    Token ``i`` (global position ``start + i``) of word ``w = remap[ids[i]]``
    is kept if ``w >= 0`` and ``uniform_at(seed, start + i) < keep_prob[w]``
    (``keep_prob >= 1``: always). Kept tokens are written as ``w`` to
    ``out_ids``; ``out_offsets`` gets the new sentence boundaries. Returns
    the number of kept tokens.
    """
    n = 0
    out_offsets[0] = 0
    for s in range(offsets.shape[0] - 1):
        for i in range(offsets[s], offsets[s + 1]):
            w = remap[ids[i]]
            if w < 0:
                continue
            p = keep_prob[w]
            if p < 1.0 and uniform_at(seed, start + i) >= p:
                continue
            out_ids[n] = w
            n += 1
        out_offsets[s + 1] = n
    return n


@njit(cache=True, nogil=True)
def padded_positions(ids, offsets, n_words, window):
    """Token ids padded with sentinels, and the positions of each word in them.

    ``window`` sentinels (-1) go around every sentence; the positions come
    from a counting sort by word.

    Returns ``(padded, pos_ptr, positions)``: word w occurs at
    ``padded[positions[pos_ptr[w]:pos_ptr[w + 1]]]``, ascending. With the
    sentinels a window never needs the sentence bounds.
    """
    n_sent = offsets.shape[0] - 1
    padded = np.full(ids.shape[0] + (n_sent + 1) * window, -1, dtype=np.int32)
    pos_ptr = np.zeros(n_words + 1, dtype=np.int64)
    at = window
    for s in range(n_sent):
        for i in range(offsets[s], offsets[s + 1]):
            padded[at] = ids[i]
            pos_ptr[ids[i] + 1] += 1
            at += 1
        at += window
    for w in range(n_words):
        pos_ptr[w + 1] += pos_ptr[w]
    fill = pos_ptr[:n_words].copy()
    positions = np.empty(pos_ptr[n_words], dtype=np.int64)
    for i in range(padded.shape[0]):
        w = padded[i]
        if w >= 0:
            positions[fill[w]] = i
            fill[w] += 1
    return padded, pos_ptr, positions


@njit(cache=True, nogil=True, parallel=True)
def cooc_row_nnz(padded, pos_ptr, positions, window, after_offset, n_cols, n_blocks, row_nnz):
    """Number of distinct context columns of each word (row) of the co-occurrence matrix.

    A context at distance k before a token goes to column ``padded[i - k]``,
    one after it to ``after_offset + padded[i + k]`` (``after_offset = 0``:
    one bag, ``n_words``: two bags); sentinels (-1) are skipped. Rows are
    dealt to ``n_blocks`` interleaved blocks, each with its own marker array.
    """
    n_rows = pos_ptr.shape[0] - 1
    for b in prange(n_blocks):
        mark = np.full(n_cols, -1, dtype=np.int64)
        for w in range(b, n_rows, n_blocks):
            count = 0
            for q in range(pos_ptr[w], pos_ptr[w + 1]):
                i = positions[q]
                for k in range(1, window + 1):
                    c = padded[i - k]
                    if c >= 0 and mark[c] != w:
                        mark[c] = w
                        count += 1
                    c = padded[i + k]
                    if c >= 0:
                        c += after_offset
                        if mark[c] != w:
                            mark[c] = w
                            count += 1
            row_nnz[w] = count


@njit(cache=True, nogil=True, parallel=True)
def cooc_fill(padded, pos_ptr, positions, window, after_offset, weights, n_cols, n_blocks,
              indptr, indices, data):
    """Fill the CSR arrays (sorted columns) of the weighted co-occurrence matrix.

    Entry (w, c) is the sum of ``weights[k - 1]`` over the occurrences of
    context c at distance k of word w; ``indptr`` comes from
    :func:`cooc_row_nnz`.
    """
    n_rows = pos_ptr.shape[0] - 1
    for b in prange(n_blocks):
        acc = np.zeros(n_cols, dtype=np.float64)
        touched = np.empty(n_cols, dtype=np.int64)
        for w in range(b, n_rows, n_blocks):
            n_touched = 0
            for q in range(pos_ptr[w], pos_ptr[w + 1]):
                i = positions[q]
                for k in range(1, window + 1):
                    wk = weights[k - 1]
                    c = padded[i - k]
                    if c >= 0:
                        if acc[c] == 0.0:
                            touched[n_touched] = c
                            n_touched += 1
                        acc[c] += wk
                    c = padded[i + k]
                    if c >= 0:
                        c += after_offset
                        if acc[c] == 0.0:
                            touched[n_touched] = c
                            n_touched += 1
                        acc[c] += wk
            cols = np.sort(touched[:n_touched])
            p = indptr[w]
            for t in range(n_touched):
                c = cols[t]
                indices[p + t] = c
                data[p + t] = acc[c]
                acc[c] = 0.0


@njit(cache=True, nogil=True, parallel=True)
def ppmi_csr(indptr, indices, data, row_sum, col_prob, shift, out):
    """out[p] = max(log(data[p] / (row_sum[i] * col_prob[j])) - log(shift), 0).

    ``col_prob`` is the (smoothed) context distribution P_a(c), so the
    ratio is ``P(w, c) / (P(w) P_a(c))`` with ``P(w, c) = data / total`` and
    ``P(w) = row_sum / total``.
    """
    n = indptr.shape[0] - 1
    log_shift = np.log(shift)
    for i in prange(n):
        rs = row_sum[i]
        for p in range(indptr[i], indptr[i + 1]):
            v = np.log(data[p] / (rs * col_prob[indices[p]])) - log_shift
            out[p] = v if v > 0.0 else 0.0


@njit(cache=True, nogil=True, parallel=True)
def sentence_spectra(ids, offsets, start, word_weights, coef, table, out):
    """Spectral transform of sentences of embedded words, summed over the words.

    For sentence ``s = start + r`` with word ids ``w_k = ids[offsets[s] + k]``:
    ``out[r, f*d + j] = sum_k coef[t, f, k] * word_weights[w_k] * table[w_k, j]``
    for ``r < out.shape[0]``. ``coef`` holds basis tables of shape
    (n_freqs, max_len): one (t = 0) for every sentence, or one per sentence
    length (t = length). ``table`` is the (n_words, d) word vectors, so the
    (length, d) sequences of word vectors are never materialised.
    """
    n_rows = out.shape[0]
    d = table.shape[1]
    n_freqs = coef.shape[1]
    per_length = coef.shape[0] > 1
    for r in prange(n_rows):
        s = start + r
        a = offsets[s]
        length = offsets[s + 1] - a
        t = length if per_length else 0
        for j in range(out.shape[1]):
            out[r, j] = 0.0
        for k in range(length):
            w = ids[a + k]
            ww = word_weights[w]
            if ww == 0.0:
                continue
            for f in range(n_freqs):
                c = coef[t, f, k] * ww
                if c == 0.0:
                    continue
                base = f * d
                for j in range(d):
                    out[r, base + j] += c * table[w, j]
