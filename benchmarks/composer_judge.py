"""The independent fluency judge of the review composer: a modified Kneser-Ney trigram.

The composer is scored by a language model it does not contain. This one
differs from :class:`veob.text.KneserNeyLM` (and from anything inside
:class:`veob.text.ReviewComposer`) on purpose, in code and in settings:

- written here from Chen & Goodman (1999) and shares no code with
  ``veob.text`` except the tokenizer (generated reviews are text; both must
  cut them into the same tokens);
- *modified* Kneser-Ney: three discounts per order (counts 1, 2, 3+)
  estimated from the counts of counts, not one fixed discount;
- one model for both sentiments (no label conditioning);
- an open vocabulary: every training word seen at least twice (about
  three times the composer's 20,000 words); the training singletons train
  ``<unk>``, which stands for every rarer or unseen word.

The measure is the perplexity of generated reviews divided by the perplexity
of real test reviews, both under this judge (every token and ``</s>``).
"""

from __future__ import annotations

import numpy as np

UNK, BOS, EOS = 0, 1, 2
_BITS = 21


def _key(*cols):
    k = np.zeros(cols[0].shape[0], dtype=np.int64)
    for c in cols:
        k = (k << _BITS) | c.astype(np.int64)
    return k


def _find(keys, values, q):
    """values[keys == q] (0 where q is absent); keys sorted."""
    if keys.shape[0] == 0:
        return np.zeros(q.shape[0], dtype=values.dtype)
    i = np.minimum(np.searchsorted(keys, q), keys.shape[0] - 1)
    return np.where(keys[i] == q, values[i], 0)


def _discounts(counts):
    """Chen & Goodman's D1, D2, D3+ from the counts of counts."""
    n = [np.count_nonzero(counts == k) for k in (1, 2, 3, 4)]
    n = [max(v, 1) for v in n]
    y = n[0] / (n[0] + 2 * n[1])
    d = np.array([0.0, 1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
    return np.clip(d, 0.0, np.array([0.0, 1.0, 2.0, 3.0]))


class _Level:
    """One order: n-gram keys with their (continuation) counts, and per-context sums."""

    def __init__(self, keys, counts, order):
        self.keys, self.counts = keys, counts.astype(np.float64)
        self.d = _discounts(counts)
        cap = np.minimum(counts, 3)
        if order == 1:
            self.ctx = np.zeros(1, dtype=np.int64)
            self.total = np.array([self.counts.sum()])
            self.gamma_mass = np.array([sum(self.d[k] * np.count_nonzero(cap == k) for k in (1, 2, 3))])
        else:
            prefix = keys >> _BITS
            self.ctx, start = np.unique(prefix, return_index=True)
            self.total = np.add.reduceat(self.counts, start)
            mass = self.d[cap]
            self.gamma_mass = np.add.reduceat(mass, start)


class JudgeTrigram:
    """Interpolated modified Kneser-Ney trigram over an open vocabulary (see the module docstring).

    Parameters
    ----------
    min_count : int, default=2
        Training words seen fewer times become ``<unk>``.
    """

    def __init__(self, min_count=2):
        self.min_count = min_count

    def fit(self, token_lists):
        counts = {}
        for toks in token_lists:
            for t in toks:
                counts[t] = counts.get(t, 0) + 1
        words = sorted((w for w, c in counts.items() if c >= self.min_count), key=lambda w: (-counts[w], w))
        self.vocabulary_ = ["<unk>", "<s>", "</s>"] + words
        self.index_ = {w: i for i, w in enumerate(self.vocabulary_)}
        seq = self._encode(token_lists)
        n_words = len(self.vocabulary_)
        tri = np.unique(_key(seq[:-2], seq[1:-1], seq[2:])[self._valid(seq, 3)], return_counts=True)
        # lower orders: continuation counts N1+(. v w) and N1+(. w)
        bi_types = tri[0] & ((1 << (2 * _BITS)) - 1)
        bi = np.unique(bi_types, return_counts=True)
        uni = np.unique(bi[0] & ((1 << _BITS) - 1), return_counts=True)
        self.levels_ = [_Level(uni[0], uni[1], 1), _Level(bi[0], bi[1], 2), _Level(tri[0], tri[1], 3)]
        self.uniform_ = 1.0 / (n_words - 1)  # <s> is never predicted
        return self

    def _encode(self, token_lists):
        get = self.index_.get
        flat = []
        for toks in token_lists:
            flat += [BOS, BOS]
            flat.extend(get(t, UNK) for t in toks)
            flat.append(EOS)
        return np.asarray(flat, dtype=np.int64)

    @staticmethod
    def _valid(seq, n):
        """Start positions of n-grams that end on a predicted token (never on <s>)."""
        return seq[n - 1:] != BOS

    def log_probs(self, token_lists):
        """Natural-log probability of every token and ``</s>`` of each review, end to end."""
        seq = self._encode(token_lists)
        ok = self._valid(seq, 3)
        u, v, w = seq[:-2][ok], seq[1:-1][ok], seq[2:][ok]
        lv1, lv2, lv3 = self.levels_
        c1 = _find(lv1.keys, lv1.counts, w)
        # one extra pseudo-count spread uniformly keeps every word's probability > 0
        p = (np.maximum(c1 - lv1.d[np.minimum(c1, 3).astype(int)], 0) + (lv1.gamma_mass[0] + 1) * self.uniform_) \
            / (lv1.total[0] + 1)
        for lv, ctx, full in ((lv2, v, _key(v, w)), (lv3, _key(u, v), _key(u, v, w))):
            tot = _find(lv.ctx, lv.total, ctx)
            seen = tot > 0
            c = _find(lv.keys, lv.counts, full[seen])
            gm = _find(lv.ctx, lv.gamma_mass, ctx[seen])
            t = tot[seen]
            p[seen] = np.maximum(c - lv.d[np.minimum(c, 3).astype(int)], 0) / t + gm / t * p[seen]
        return np.log(p)

    def perplexity(self, token_lists):
        return float(np.exp(-np.mean(self.log_probs(token_lists))))
