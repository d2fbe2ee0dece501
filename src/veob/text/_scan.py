"""The byte-scanner tokenizer: raw texts to token ids without spaCy, at tens of MB/s.

``scan_corpus`` builds a :class:`Corpus` from any iterable of str (read in
batches, so a generator over files works); :class:`TokenTable` maps the
tokens of new texts to the rows of a word table. The rules are in
``_scan_kernels`` (and its Python twin ``_reference.scan_text``).
"""

from __future__ import annotations

import numpy as np

from . import _scan_kernels as K
from ._corpus import Corpus

__all__ = ["TokenTable", "scan_corpus", "scan_tokens", "token_hash", "texts_buffer"]

_BATCH = 5000  # texts per batch of scan_corpus


def token_hash(word):
    """The 64-bit FNV-1a hash the scanner gives ``word`` (ASCII lower-cased, UTF-8)."""
    h = int(K.FNV_OFFSET)
    prime = int(K.FNV_PRIME)
    for b in word.encode("utf8"):
        if 65 <= b <= 90:
            b += 32
        h = ((h ^ b) * prime) & 0xFFFFFFFFFFFFFFFF
    return h


def texts_buffer(texts, *, name="texts", offset=0):
    """One uint8 buffer of the UTF-8 bytes of ``texts`` and the byte range of each.

    TypeError naming the position (``texts[i]``) of the first item that is not a str.
    """
    parts = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{name}[{offset + i}] is {type(t).__name__}; expected str")
        parts.append(t.encode("utf8", "surrogatepass"))
    lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    buf = np.frombuffer(b"".join(parts), dtype=np.uint8) if parts else np.zeros(0, np.uint8)
    if buf.size == 0:
        buf = np.zeros(1, dtype=np.uint8)  # numba wants a non-empty buffer; every range is empty
    return np.ascontiguousarray(buf), starts, ends


def scan_tokens(text):
    """The tokens of one text as a list of str (for inspection and tests).

    Examples
    --------
    >>> from veob.text._scan import scan_tokens
    >>> scan_tokens("I don't like it.<br />It's GREAT!")
    ['i', 'do', 'not', 'like', 'it', '.', 'it', "'s", 'great', '!']
    """
    buf, starts, ends = texts_buffer([text])
    width = int(ends[0] - starts[0]) + 1
    hs, st, ln, kd, sb = (np.empty(width, dtype=np.uint64),) + tuple(np.empty(width, dtype=np.int64)
                                                                     for _ in range(4))
    n = K.scan_text(buf, starts[0], ends[0], hs, st, ln, kd, sb)
    return [_token_string(buf, st[j], ln[j], kd[j]) for j in range(n)]


def _token_string(buf, start, length, kind):
    if kind != K.KIND_SPAN:
        return K.CONSTANTS[int(kind)]
    raw = bytes(buf[start:start + length])
    return raw.decode("utf8", "replace").translate(_LOWER)


_LOWER = {c: c + 32 for c in range(65, 91)}


class _Growing:
    """The growing state of scan_corpus: hash table, counts and first occurrences of each type."""

    def __init__(self, capacity=1 << 16):
        self.keys = np.zeros(2 * capacity, dtype=np.uint64)
        self.ids = np.full(2 * capacity, -1, dtype=np.int64)
        self.counts = np.zeros(capacity, dtype=np.int64)
        self.first = [np.zeros(capacity, dtype=np.int64) for _ in range(3)]  # byte start, length, kind
        self.n_types = 0
        self.words = []

    def grow(self):
        capacity = 2 * self.counts.shape[0]
        hashes = self.keys[self.keys != 0]
        order = self.ids[self.keys != 0]
        keys, ids = K.table_build(np.ascontiguousarray(hashes), 2 * capacity)
        # table_build numbers hashes 0..n-1 by position: put the real ids back
        found = ids >= 0
        ids[found] = order[ids[found]]
        self.keys, self.ids = keys, ids
        self.counts = np.concatenate([self.counts, np.zeros(capacity - self.counts.shape[0], np.int64)])
        self.first = [np.concatenate([f, np.zeros(capacity - f.shape[0], np.int64)]) for f in self.first]


def scan_corpus(texts, *, max_tokens=None, progress=False, desc="tokenize"):
    """Tokenize raw texts with the byte scanner into a :class:`Corpus` (words by descending count).

    Parameters
    ----------
    texts : iterable of str
        Any iterable (a list, or a generator reading files): read once, in
        batches of 5,000 texts.
    max_tokens : int or None, default=None
        Sentences longer than this are cut into pieces of at most
        ``max_tokens`` tokens (None: no limit).
    progress : bool, default=False
        A tqdm bar over the texts.

    Returns
    -------
    corpus : Corpus
        ``sources`` holds the index of each sentence's text.
    """
    limit = np.iinfo(np.int64).max if max_tokens is None else int(max_tokens)
    state = _Growing()
    ids_parts, off_parts, src_parts = [], [], []
    n_texts = 0
    n_tok_total = 0
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(desc=desc, unit="text", leave=False)
        except ImportError:
            bar = None
    batch = []
    iterator = iter(texts)
    while True:
        batch = []
        for t in iterator:
            batch.append(t)
            if len(batch) == _BATCH:
                break
        if not batch:
            break
        buf, starts, ends = texts_buffer(batch, offset=n_texts)
        done = 0
        while done < len(batch):
            s, e = starts[done:], ends[done:]
            size = int(e[-1] - s[0]) + len(batch) - done + 1
            out_ids = np.empty(size, dtype=np.int64)
            out_off = np.empty(size + 1, dtype=np.int64)
            out_src = np.empty(size, dtype=np.int64)
            first = state.first
            n_done, state.n_types, n_tok, n_sent = K.count_corpus(
                buf, s, e, state.keys, state.ids, state.counts, first[0], first[1], first[2],
                state.n_types, state.counts.shape[0], out_ids, out_off, out_src, limit)
            for w in range(len(state.words), state.n_types):  # the strings of the new types
                state.words.append(_token_string(buf, first[0][w], first[1][w], first[2][w]))
            ids_parts.append(out_ids[:n_tok])
            off_parts.append(out_off[1:n_sent + 1] + n_tok_total)
            src_parts.append(out_src[:n_sent] + n_texts + done)
            n_tok_total += n_tok
            done += n_done
            if n_done < len(s):
                state.grow()
        n_texts += len(batch)
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    n_types = state.n_types
    ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, np.int64)
    offsets = np.concatenate([[0]] + off_parts).astype(np.int64) if off_parts else np.zeros(1, np.int64)
    sources = np.concatenate(src_parts) if src_parts else np.zeros(0, np.int64)
    counts = state.counts[:n_types]
    names = np.asarray(state.words, dtype=str) if n_types else np.array([], dtype=str)
    order = np.lexsort((names, -counts))  # by count, ties alphabetical
    new_id = np.empty(n_types, dtype=np.int64)
    new_id[order] = np.arange(n_types)
    corpus = Corpus(names[order], counts[order], new_id[ids].astype(np.int32), offsets, sources)
    corpus.n_texts = n_texts
    return corpus


class TokenTable:
    """Maps the scanner's tokens of new texts to rows of a word list (-1: unknown).

    Parameters
    ----------
    words : sequence of str
        The vocabulary; row i is ``words[i]``.
    """

    def __init__(self, words):
        words = list(words)
        hashes = np.fromiter((token_hash(w) for w in words), dtype=np.uint64, count=len(words))
        size = 1 << max(4, int(np.ceil(np.log2(2 * len(words) + 2))))
        self.keys, self.ids = K.table_build(hashes, size)
        self.n_words = len(words)

    def lookup(self, texts, *, max_tokens=None, name="texts", offset=0):
        """``(ids, offsets)``: the known tokens of each text, at most ``max_tokens`` per text."""
        buf, starts, ends = texts_buffer(texts, name=name, offset=offset)
        limit = np.iinfo(np.int64).max if max_tokens is None else int(max_tokens)
        offsets = np.zeros(starts.shape[0] + 1, dtype=np.int64)
        K.lookup_texts(buf, starts, ends, self.keys, self.ids, limit, np.zeros(0, np.int64), offsets)
        np.cumsum(offsets, out=offsets)
        ids = np.empty(int(offsets[-1]), dtype=np.int64)
        if ids.size:
            K.lookup_texts(buf, starts, ends, self.keys, self.ids, limit, ids, offsets)
        return ids, offsets
