"""Class-conditional interpolated Kneser-Ney n-gram model.

Also the review tokenizer, vocabulary and sampling loop it shares with
:class:`ReviewComposer`.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, check_random_state, check_str_list

__all__ = ["KneserNeyLM"]

UNK, BOS, EOS = "<unk>", "<s>", "</s>"
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2
SPECIALS = (UNK, BOS, EOS)
SENTENCE_END = (".", "!", "?")
BLOCK_ORDER = 4  # no n-gram of this order twice inside a generated review

_TAG = re.compile(r"<[^>]*>")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[.!?]+|[,;:()\-]")
_NO_SPACE_BEFORE = re.compile(r" ([.,!?;:)])")
_NO_SPACE_AFTER = re.compile(r"([(]) ")
_CAPITALISE = re.compile(r"(^|[.!?] )([a-z])")
_PRONOUN_I = re.compile(r"\bi\b(?='|\s|$|[.,!?;:)])")


# -- text <-> ids ---------------------------------------------------------------

def tokenize(text):
    """Lower-cased word and punctuation tokens of one review.

    Tags such as ``<br />`` are removed, words keep inner apostrophes
    (``don't``), runs of sentence punctuation become their first mark
    (``...`` -> ``.``, ``?!`` -> ``?``) and quotes are dropped.
    """
    text = _TAG.sub(" ", text).lower()
    return [tok if tok[0] not in ".!?" else tok[0] for tok in _TOKEN.findall(text)]


def detokenize(tokens):
    """Join tokens into text: no space before punctuation, sentences and "I" capitalised."""
    text = " ".join(tokens)
    text = _NO_SPACE_BEFORE.sub(r"\1", text)
    text = _NO_SPACE_AFTER.sub(r"\1", text)
    text = _PRONOUN_I.sub("I", text)
    return _CAPITALISE.sub(lambda m: m.group(1) + m.group(2).upper(), text)


def check_labels(labels, n_texts, name="labels"):
    if isinstance(labels, str):
        raise TypeError(f"{name} must be a sequence with one label per text; got a single str")
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per text); got shape {labels.shape}")
    if labels.shape[0] != n_texts:
        raise ValueError(f"{name} has {labels.shape[0]} entries but texts has {n_texts}; "
                         "give exactly one label per text")
    if labels.dtype.kind not in "biuUO":
        raise TypeError(f"{name} must hold integers or strings; got dtype {labels.dtype}")
    if labels.dtype.kind == "O":
        if not all(isinstance(v, str) for v in labels):
            raise TypeError(f"{name} must hold integers or strings")
        labels = labels.astype(str)
    return labels


def build_vocabulary(token_lists, max_vocab):
    """Specials, then the ``max_vocab - 3`` most frequent tokens (ties alphabetical)."""
    counts = {}
    for toks in token_lists:
        for tok in toks:
            counts[tok] = counts.get(tok, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))[:max(max_vocab - len(SPECIALS), 0)]
    return np.array(list(SPECIALS) + words)


def encode(token_lists, vocabulary):
    """Padded id sequences ``<s> w1 .. wL </s>`` end to end, with offsets."""
    index = {w: i for i, w in enumerate(vocabulary.tolist())}
    get = index.get
    lengths = np.fromiter((len(t) + 2 for t in token_lists), dtype=np.int64, count=len(token_lists))
    offsets = np.zeros(len(token_lists) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = [BOS_ID]
    for i, toks in enumerate(token_lists):
        if i:
            flat.append(BOS_ID)
        flat.extend(get(t, UNK_ID) for t in toks)
        flat.append(EOS_ID)
    ids = np.asarray(flat, dtype=np.int32) if token_lists else np.zeros(0, np.int32)
    return ids, offsets


def label_index(classes, labels, name="labels"):
    """Positions of ``labels`` in ``classes`` (ValueError for unknown ones)."""
    labels = np.asarray(labels)
    pos = np.searchsorted(classes, labels)
    pos = np.clip(pos, 0, classes.shape[0] - 1)
    bad = classes[pos] != labels
    if np.any(bad):
        first = labels[np.flatnonzero(bad)[0]].item()
        raise ValueError(f"{name} holds {first!r}, which is not a training label; "
                         f"allowed: {classes.tolist()}")
    return pos.astype(np.int64)


def check_label(classes, label):
    if isinstance(label, (list, tuple, np.ndarray)):
        raise TypeError(f"label={label!r} must be one label, not a sequence")
    matches = [i for i, c in enumerate(classes.tolist()) if type(c) is type(np.asarray(label).item()) and c == label]
    if not matches:
        raise ValueError(f"label={label!r} is not a training label; allowed: {classes.tolist()}")
    return matches[0]


def check_generate_args(n, max_tokens, temperature, top_p):
    n = check_int(n, "n", low=1)
    max_tokens = check_int(max_tokens, "max_tokens", low=1)
    for name, v in (("temperature", temperature), ("top_p", top_p)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
            raise TypeError(f"{name}={v!r} must be a finite number")
    if not temperature > 0:
        raise ValueError(f"temperature={temperature!r} must be > 0")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p={top_p!r} must lie in (0, 1]")
    return n, max_tokens, float(temperature), float(top_p)


def generate_ids(draw, n, vocabulary, max_tokens, random_state):
    """The shared sampling loop.

    ``draw(history, t, ptr, banned, allow_end, u)`` gets the
    (n_active, t + 1) token ids so far (column 0 is ``<s>``), the words
    banned in each row (``banned[ptr[i]:ptr[i + 1]]``: a 4-gram already in
    the review, or a sentence mark right after one), whether ``</s>`` is
    allowed (only after ``.``, ``!`` or ``?``) and one uniform number per
    row, and returns the next word of each row. Returns a list of
    (token id list, ended) pairs.
    """
    rng = check_random_state(random_state)
    hist = np.full((n, max_tokens + 1), BOS_ID, dtype=np.int32)
    active = np.arange(n)
    lengths = np.full(n, max_tokens, dtype=np.int64)
    ended = np.zeros(n, dtype=bool)
    seen = [dict() for _ in range(n)]  # (w1, w2, w3) -> words that followed it
    end_marks = np.isin(vocabulary, SENTENCE_END)
    mark_ids = np.flatnonzero(end_marks).tolist()
    for t in range(max_tokens):
        ptr = [0]
        banned = []
        after_mark = end_marks[hist[active, t]] if t > 0 else np.zeros(active.shape[0], dtype=np.bool_)
        keys = hist[active, t - BLOCK_ORDER + 2:t + 1].tolist() if t >= BLOCK_ORDER - 1 else [None] * len(active)
        for row, key, mark in zip(active.tolist(), keys, after_mark.tolist()):
            if key is not None:
                banned.extend(seen[row].get(tuple(key), ()))
            if mark:  # runs of sentence marks were collapsed in training: no ". ." either
                banned.extend(mark_ids)
            ptr.append(len(banned))
        out = np.asarray(draw(hist[active, :t + 1], t, np.asarray(ptr, dtype=np.int64),
                              np.asarray(banned, dtype=np.int64), np.ascontiguousarray(after_mark, dtype=np.bool_),
                              rng.random_sample(active.shape[0])), dtype=np.int64)
        if t >= BLOCK_ORDER - 1:  # the n-gram (last BLOCK_ORDER - 1 words, new word) is now used
            for row, key, w in zip(active.tolist(), keys, out.tolist()):
                if w != EOS_ID:
                    seen[row].setdefault(tuple(key), []).append(w)
        done = out == EOS_ID
        hist[active, t + 1] = out.astype(np.int32)
        lengths[active[done]] = t
        ended[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    return [(hist[i, 1:lengths[i] + 1].tolist(), bool(ended[i])) for i in range(n)]


def generable_mask(vocabulary):
    """Words a generator may write: all but ``<unk>`` and ``<s>``."""
    generable = np.ones(vocabulary.shape[0], dtype=np.bool_)
    generable[[UNK_ID, BOS_ID]] = False
    return generable


def ids_to_text(ids, vocabulary):
    return detokenize([vocabulary[i] for i in ids])


# -- Kneser-Ney -----------------------------------------------------------------

_BITS = 21  # word ids < 2**21, three of them in an int64 key


def _keys(*cols):
    key = np.zeros(cols[0].shape[0], dtype=np.int64)
    for c in cols:
        key = (key << _BITS) | c.astype(np.int64)
    return key


def _lookup(sorted_keys, values, queries, default=0):
    pos = np.searchsorted(sorted_keys, queries)
    pos_c = np.minimum(pos, max(sorted_keys.shape[0] - 1, 0))
    hit = (sorted_keys.shape[0] > 0) & (sorted_keys[pos_c] == queries) if sorted_keys.shape[0] else \
        np.zeros(queries.shape[0], dtype=bool)
    out = np.full(queries.shape[0], default, dtype=values.dtype if values.size else np.float64)
    out[hit] = values[pos_c[hit]]
    return out


def _count(keys):
    uniq, counts = np.unique(keys, return_counts=True)
    return uniq, counts.astype(np.float64)


def _group(keys, shift, weights=None):
    """Sum of ``weights`` (or number of keys) per prefix ``keys >> shift``; keys sorted."""
    prefix = keys >> shift
    uniq, start = np.unique(prefix, return_index=True)
    if weights is None:
        sums = np.diff(np.append(start, keys.shape[0])).astype(np.float64)
    else:
        sums = np.add.reduceat(weights, start) if keys.size else np.zeros(0)
    return uniq, sums


class _KNTables:
    """Sorted n-gram count tables of one class (trigram model and lower orders)."""

    def __init__(self, ids, offsets, order):
        self.order = order
        grams = []
        starts, stops = offsets[:-1], offsets[1:]
        pad = order - 2  # extra <s> so that the first word has order - 1 words of context
        seqs = []
        for a, b in zip(starts.tolist(), stops.tolist()):
            seqs.append(np.concatenate([np.full(pad, BOS_ID, np.int64), ids[a:b].astype(np.int64)]))
        flat = np.concatenate(seqs) if seqs else np.zeros(0, np.int64)
        bounds = np.cumsum([0] + [s.shape[0] for s in seqs])
        # n-grams that do not cross a review boundary, as int64 keys
        pos_in = np.arange(flat.shape[0]) - np.repeat(bounds[:-1], np.diff(bounds))
        for n in range(1, order + 1):
            valid = np.flatnonzero(pos_in >= n - 1)
            cols = [flat[valid - (n - 1 - j)] for j in range(n)]
            grams.append(_keys(*cols) if valid.size else np.zeros(0, np.int64))
        self.levels = []
        # level n (context length n - 1): highest order uses counts, lower ones continuation counts
        for n in range(1, order + 1):
            if n == order:
                keys, counts = _count(grams[n - 1])
            else:
                higher = np.unique(grams[n])  # types of (n+1)-grams
                keys, counts = _count(higher & ((1 << (_BITS * n)) - 1))  # N1+(. w_1..w_n)
            if n == 1:
                ctx_keys, ctx_total = np.zeros(1, np.int64), np.array([counts.sum()])
                ctx_types = np.array([float(keys.shape[0])])
                follow_keys, follow_types = ctx_keys, ctx_types
            else:
                ctx_keys, ctx_total = _group(keys, _BITS, counts)
                # gamma: the distinct words counted after the context (NLTK counts the followers among
                # the n-grams instead; the two differ only after <s>, where NLTK's sum exceeds 1)
                follow_keys, follow_types = _group(keys, _BITS)
            self.levels.append((keys, counts, ctx_keys, ctx_total, follow_keys, follow_types))

    def score(self, context, words, discounts, uniform):
        """P(word | context) for arrays: context of shape (m, order - 1), words (m,)."""
        m = words.shape[0]
        keys, counts, _, total, _, _ = self.levels[0]
        d1 = discounts[0]
        p = (np.maximum(_lookup(keys, counts, words.astype(np.int64)) - d1, 0.0)
             + d1 * keys.shape[0] * uniform) / max(total[0], 1.0)
        for n in range(2, self.order + 1):
            keys, counts, ctx_keys, ctx_total, follow_keys, follow_types = self.levels[n - 1]
            ctx = _keys(*[context[:, self.order - n + j] for j in range(n - 1)]) if m else np.zeros(0, np.int64)
            tot = _lookup(ctx_keys, ctx_total, ctx)
            seen = (tot > 0) & (_lookup(follow_keys, follow_types, ctx) > 0)
            if not seen.any():
                continue
            d = discounts[n - 1]
            c = _lookup(keys, counts, (ctx[seen] << _BITS) | words[seen].astype(np.int64))
            ft = _lookup(follow_keys, follow_types, ctx[seen])
            alpha = np.maximum(c - d, 0.0) / tot[seen]
            gamma = d * ft / tot[seen]
            p[seen] = alpha + gamma * p[seen]
        return p

    def distribution(self, context, n_words, discounts, uniform):
        """P(. | context) over the vocabulary for one context (tuple of order - 1 ids)."""
        keys, counts, _, total, _, _ = self.levels[0]
        d1 = discounts[0]
        p = np.zeros(n_words)
        p[keys] = np.maximum(counts - d1, 0.0)
        p += d1 * keys.shape[0] * uniform
        p /= max(total[0], 1.0)
        for n in range(2, self.order + 1):
            keys, counts, ctx_keys, ctx_total, follow_keys, follow_types = self.levels[n - 1]
            ctx = 0
            for w in context[self.order - n:]:
                ctx = (ctx << _BITS) | int(w)
            i = np.searchsorted(ctx_keys, ctx)
            if i >= ctx_keys.shape[0] or ctx_keys[i] != ctx:
                continue
            j = np.searchsorted(follow_keys, ctx)
            if j >= follow_keys.shape[0] or follow_keys[j] != ctx:
                continue
            tot, d = ctx_total[i], discounts[n - 1]
            lo, hi = np.searchsorted(keys, [ctx << _BITS, (ctx + 1) << _BITS])
            p *= d * follow_types[j] / tot
            p[keys[lo:hi] & ((1 << _BITS) - 1)] += np.maximum(counts[lo:hi] - d, 0.0) / tot
        return p


class KneserNeyLM(BaseEstimator):
    r"""Class-conditional interpolated Kneser-Ney n-gram language model.

    One n-gram model per label over a shared vocabulary (the same tokenizer
    and vocabulary as :class:`ReviewComposer`, so the two are comparable
    token by token).

    Parameters
    ----------
    order : int, default=3
        n-gram order (3: trigrams), ``>= 1``.
    max_vocab : int, default=20000
        Vocabulary size including ``<unk>``, ``<s>`` and ``</s>``
        (``>= 4``); rarer words become ``<unk>``.
    discount : float, default=0.75
        Absolute discount :math:`d` of the orders ``>= 2``, in (0, 1].
    unigram_discount : float or None, default=None
        Discount of the unigram (continuation) level, interpolated with the
        uniform distribution over the vocabulary; None uses ``discount``.
        0 gives NLTK's ``KneserNeyInterpolated`` exactly (no uniform floor:
        a word that never continues a bigram then has probability 0).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted.
    vocabulary_ : ndarray of str of shape (n_words,)
        ``<unk>``, ``<s>``, ``</s>``, then words by descending count.
    class_prior_ : ndarray of shape (n_classes,)
        Share of the texts of each label.

    See Also
    --------
    ReviewComposer : The closed-form spectral next-word model.

    Notes
    -----
    Each review is padded as ``<s>^{n-1} w_1 .. w_L </s>``. With
    :math:`c` counts of the highest order, :math:`N_{1+}(\bullet\, h\, w)`
    continuation counts (distinct left extensions) of the lower orders,
    :math:`N_{1+}(h\, \bullet)` the distinct followers of context :math:`h`:

    .. math::

       P(w \mid h) = \frac{\max(c(h w) - d, 0)}{c(h \bullet)}
                     + \frac{d\, N_{1+}(h \bullet)}{c(h \bullet)}\, P(w \mid h')

    with :math:`h'` the context without its first word, continuation
    counts in place of :math:`c` below the highest order, and the unigram
    level interpolated with :math:`1 / |V|`. An unseen context passes its
    whole mass to the lower order (NLTK's convention).

    References
    ----------
    .. [1] R. Kneser and H. Ney, "Improved backing-off for m-gram language
       modeling", ICASSP 1995.
    .. [2] S. F. Chen and J. Goodman, "An empirical study of smoothing
       techniques for language modeling", Computer Speech and Language, 1999.

    Examples
    --------
    >>> from veob.text import KneserNeyLM
    >>> texts = ["a good film.", "a good story.", "a bad film.", "a bad plot."]
    >>> lm = KneserNeyLM(order=2).fit(texts, ["pos", "pos", "neg", "neg"])
    >>> lm.predict(["good film.", "bad plot."]).tolist()
    ['pos', 'neg']
    >>> lm.generate("neg", n=1, random_state=0)[0].split()[0] in ("A", "Bad")
    True
    >>> KneserNeyLM().predict(["a film."])
    Traceback (most recent call last):
    ...
    sklearn.exceptions.NotFittedError: This KneserNeyLM instance is not fitted yet...
    """

    def __init__(self, order=3, *, max_vocab=20000, discount=0.75, unigram_discount=None):
        self.order = order
        self.max_vocab = max_vocab
        self.discount = discount
        self.unigram_discount = unigram_discount

    def _discounts(self):
        order = check_int(self.order, "order", low=1)
        d = self.discount
        if isinstance(d, bool) or not isinstance(d, (int, float, np.number)) or not 0 < d <= 1:
            raise ValueError(f"discount={d!r} must lie in (0, 1]")
        d1 = d if self.unigram_discount is None else self.unigram_discount
        if isinstance(d1, bool) or not isinstance(d1, (int, float, np.number)) or not 0 <= d1 <= 1:
            raise ValueError(f"unigram_discount={d1!r} must lie in [0, 1] or be None")
        return order, [float(d1)] + [float(d)] * (order - 1)

    def fit(self, texts, labels):
        """Count the n-grams of each label's texts; returns self.

        Parameters
        ----------
        texts : list of str
            Raw reviews.
        labels : array-like of shape (n_texts,)
            One label (int or str) per text.
        """
        texts = check_str_list(texts, "texts")
        labels = check_labels(labels, len(texts))
        order, _ = self._discounts()
        max_vocab = check_int(self.max_vocab, "max_vocab", low=4)
        tokens = [tokenize(t) for t in texts]
        self.vocabulary_ = build_vocabulary(tokens, max_vocab)
        ids, offsets = encode(tokens, self.vocabulary_)
        self.classes_, y = np.unique(labels, return_inverse=True)
        self.class_prior_ = np.bincount(y, minlength=self.classes_.shape[0]) / y.shape[0]
        self._fit_ids(ids, offsets, y, order)
        return self

    def _fit_ids(self, ids, offsets, y, order):
        self.tables_ = []
        for k in range(self.classes_.shape[0]):
            rows = np.flatnonzero(y == k)
            lengths = offsets[rows + 1] - offsets[rows]
            sub_off = np.concatenate([[0], np.cumsum(lengths)])
            take = np.concatenate([np.arange(offsets[r], offsets[r + 1]) for r in rows])
            tables = _KNTables(ids[take], sub_off, order)
            self.tables_.append([list(level) for level in tables.levels])
        return self

    def _bigram_csr(self):
        """An order-2 model as arrays: ``P(w | v, y) = alpha[y n + v, w] + gamma[y, v] * low[y, w]``.

        Returns ``(indptr, indices, alpha, gamma, low)``: a CSR matrix of
        ``n_classes * n_words`` rows (label-major, columns sorted within a row)
        holding the discounted bigram terms, the back-off weight of every
        context (1 for a context never seen, whose whole mass goes to the
        lower order) and the lower-order (continuation unigram) distribution.
        """
        order, discounts = self._discounts()
        if order != 2:
            raise ValueError(f"_bigram_csr needs order=2; this model has order={order}")
        n_words, n_classes = self.vocabulary_.shape[0], self.classes_.shape[0]
        low = np.zeros((n_classes, n_words))
        gamma = np.ones((n_classes, n_words))
        rows, cols, vals = [], [], []
        mask = (1 << _BITS) - 1
        d1, d = discounts
        for k in range(n_classes):
            (ukeys, ucounts, _, utotal, _, _), (keys, counts, ctx_keys, ctx_total, follow_keys, follow_types) = \
                self.tables_[k]
            low[k] = d1 * ukeys.shape[0] / n_words
            low[k, ukeys] += np.maximum(ucounts - d1, 0.0)
            low[k] /= max(utotal[0], 1.0)
            ctx = keys >> _BITS
            tot = _lookup(ctx_keys, ctx_total, ctx)
            rows.append(k * n_words + ctx)
            cols.append(keys & mask)
            vals.append(np.maximum(counts - d, 0.0) / tot)
            gamma[k, ctx_keys] = d * _lookup(follow_keys, follow_types, ctx_keys) / ctx_total
        rows, cols, vals = (np.concatenate(a) for a in (rows, cols, vals))
        indptr = np.zeros(n_classes * n_words + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_classes * n_words), out=indptr[1:])
        return indptr, cols.astype(np.int32), vals.astype(np.float32), gamma.astype(np.float32), \
            low.astype(np.float32)

    def _tables(self, k):
        t = _KNTables.__new__(_KNTables)
        t.order = len(self.tables_[k])
        t.levels = self.tables_[k]
        return t

    def _token_log_probs(self, ids, offsets, y):
        """log P of every token after ``<s>`` (words and ``</s>``), review by review."""
        order, discounts = self._discounts()
        n_words = self.vocabulary_.shape[0]
        out = np.empty(ids.shape[0] - (offsets.shape[0] - 1))
        review = np.repeat(np.arange(offsets.shape[0] - 1), np.diff(offsets))
        pos_in = np.arange(ids.shape[0]) - offsets[review]
        targets = np.flatnonzero(pos_in >= 1)
        ctx = np.full((targets.shape[0], max(order - 1, 1)), BOS_ID, dtype=np.int64)
        for j in range(1, order):
            src = targets - j
            ok = pos_in[targets] - j >= 0
            ctx[ok, order - 1 - j] = ids[src[ok]]
        p = np.empty(targets.shape[0])
        for k in range(self.classes_.shape[0]):
            sel = np.flatnonzero(y[review[targets]] == k)
            if sel.size:
                p[sel] = self._tables(k).score(ctx[sel, :order - 1], ids[targets[sel]], discounts, 1.0 / n_words)
        with np.errstate(divide="ignore"):
            out[:] = np.log(np.maximum(p, 0.0))
        return out, review[targets]

    def _check_fitted(self):
        check_is_fitted(self, "tables_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags

    def log_likelihood(self, texts, labels, *, per_token=False):
        """Mean log probability per token (words and ``</s>``) of texts given their labels.

        Parameters
        ----------
        texts : list of str
        labels : array-like of shape (n_texts,)
            Labels seen in ``fit``.
        per_token : bool, default=False
            Return the log probability of every token (reviews end to end)
            instead of the mean.

        Returns
        -------
        log_likelihood : float or ndarray
            Natural log; the perplexity is ``exp(-log_likelihood)``.
        """
        self._check_fitted()
        texts = check_str_list(texts, "texts")
        labels = check_labels(labels, len(texts))
        y = label_index(self.classes_, labels)
        ids, offsets = encode([tokenize(t) for t in texts], self.vocabulary_)
        lp, _ = self._token_log_probs(ids, offsets, y)
        return lp if per_token else float(lp.mean())

    def predict(self, texts):
        """Most probable label of each text (Bayes rule with the class priors)."""
        self._check_fitted()
        texts = check_str_list(texts, "texts")
        ids, offsets = encode([tokenize(t) for t in texts], self.vocabulary_)
        scores = np.empty((len(texts), self.classes_.shape[0]))
        for k in range(self.classes_.shape[0]):
            lp, review = self._token_log_probs(ids, offsets, np.full(len(texts), k))
            scores[:, k] = np.bincount(review, weights=lp, minlength=len(texts)) + np.log(self.class_prior_[k])
        return self.classes_[np.argmax(scores, axis=1)]

    def generate(self, label, n=1, *, max_tokens=600, temperature=1.0, top_p=0.9, random_state=None):
        """Sample ``n`` reviews of a label (nucleus sampling, no repeated 4-gram).

        Parameters and returns as :meth:`ReviewComposer.generate`.
        """
        self._check_fitted()
        k = check_label(self.classes_, label)
        n, max_tokens, temperature, top_p = check_generate_args(n, max_tokens, temperature, top_p)
        order, discounts = self._discounts()
        tables = self._tables(k)
        n_words = self.vocabulary_.shape[0]
        log_prior = np.zeros(n_words, dtype=np.float32)

        generable = generable_mask(self.vocabulary_)
        coef = np.array([0.0, 0.0, 1.0, 0.0])

        def draw(history, t, ptr, banned, allow_end, u):
            from ._composer_kernels import sample_rows

            ctx = np.full((history.shape[0], order - 1), BOS_ID, dtype=np.int64)
            width = min(order - 1, history.shape[1])
            if width:
                ctx[:, order - 1 - width:] = history[:, -width:]
            scores = np.stack([tables.distribution(tuple(c), n_words, discounts, 1.0 / n_words) for c in ctx])
            out = np.empty(history.shape[0], dtype=np.int64)
            sample_rows(scores.astype(np.float32), log_prior, coef, generable, ptr, banned, allow_end, EOS_ID,
                        temperature, top_p, u, out)
            return out

        out = generate_ids(draw, n, self.vocabulary_, max_tokens, random_state)
        return [ids_to_text(ids, self.vocabulary_) for ids, _ in out]
