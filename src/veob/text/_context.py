"""ContextEmbedder: word vectors from co-occurrence counts (PPMI-SVD, and the paper's section 6.3)."""

from __future__ import annotations

import os
import tempfile

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, check_random_state, check_real
from ..decomposition import svd
from . import _kernels
from ._cooc import cooccurrence_matrix, normalize_bags, ppmi
from ._corpus import Corpus, as_corpus
from ._word_vectors import WordVectors

__all__ = ["ContextEmbedder"]

WEIGHTINGS = ("ppmi", "paper")
DISTANCE_WEIGHTINGS = ("linear", "none", "harmonic")
PRESETS = (None, "paper")
# the paper's section 6.3 (what preset="paper" sets)
_PAPER = dict(n_components=50, window=2, weighting="paper", bags=2, distance_weighting="none", subsample=None,
              min_count=1, eig_power=1.0, add_context=False)
_DEFAULT_COMPONENTS = 300
_SPILL_BLOCK = 1 << 22  # tokens per block when fit_chunks reads its spilled ids back


def distance_weights(window, kind):
    """Weight of a context at distance ``k = 1 .. window``.

    ``"none"``: 1; ``"linear"``: ``(window - k + 1) / window`` (word2vec's
    dynamic window in expectation); ``"harmonic"``: ``1 / k`` (GloVe).
    """
    k = np.arange(1, window + 1, dtype=np.float64)
    if kind == "none":
        return np.ones(window)
    if kind == "linear":
        return (window - k + 1) / window
    return 1.0 / k


class ContextEmbedder(BaseEstimator):
    r"""Word vectors from the words around each word: PPMI, then SVD.

    The defaults are the settings that scored best on the development sets
    of human word-similarity judgments (``docs/text.md``; the recipe of
    Levy, Goldberg & Dagan 2015): rare words dropped and frequent words
    subsampled before windowing, a symmetric window of 3 with linearly
    decaying weights, positive PMI with context-distribution smoothing
    0.75, a rank-300 SVD, and word vectors :math:`U` plus context vectors
    :math:`V`, each row scaled to unit length ("W + C"). ``preset="paper"``
    is the paper's section 6.3: counts of the 2 words before and the 2
    after as two bags, each bag of each row divided by its sum, SVD 50,
    vectors :math:`U S`.

    Parameters
    ----------
    window : int, default=3
        Context positions on each side of a word.
    n_components : int or None, default=None
        Embedding dimension; None: 300 (50 with ``preset="paper"``).
    weighting : {"ppmi", "paper"}, default="ppmi"
        ``"ppmi"``: :math:`\max(\log\frac{\#(w,c)\,D_\alpha}{\#(w)\,\#(c)^\alpha} - \log s, 0)`;
        ``"paper"``: each bag of each row divided by its sum.
    bags : {1, 2}, default=1
        1: one bag for both sides of a word; 2: contexts before and after
        a word are different columns (the paper).
    distance_weighting : {"linear", "none", "harmonic"}, default="linear"
        Weight of a context at distance k: :math:`(w - k + 1) / w`, 1 or
        :math:`1 / k`.
    subsample : float or None, default=1e-3
        Threshold t of frequent-word subsampling (Mikolov et al. 2013): a
        token of a word with relative frequency f is dropped with
        probability :math:`1 - \sqrt{t / f}` before windowing, so the
        window reaches further past frequent words. None: no subsampling.
        The draws are a counter-based stream seeded from ``random_state``.
    min_count : int, default=5
        Words seen fewer times are removed from the sentences before
        windowing (they are neither rows nor contexts).
    cds : float, default=0.75
        Context-distribution smoothing exponent :math:`\alpha` (ppmi only).
    shift : float, default=1.0
        PMI shift :math:`s \ge 1` (``log s`` is subtracted; ppmi only).
    eig_power : float, default=0.0
        Word vectors are :math:`U_k S_k^p`.
    add_context : bool, default=True
        Add the context vectors :math:`V_k S_k^p` (summed over the bags)
        to the word vectors, each of the two scaled to unit rows first
        ("W + C"); False: the word vectors alone.
    preset : {None, "paper"}, default=None
        ``"paper"`` overrides ``window``, ``weighting``, ``bags``,
        ``distance_weighting``, ``subsample``, ``min_count``, ``eig_power``,
        ``add_context`` (and ``n_components`` when None) with the paper's
        values.
    solver : str, default="auto"
        SVD solver (see :func:`veob.svd`), or ``"incremental"``: Brand's
        update over row batches (:class:`veob.IncrementalSVD`).
    n_iter : int or "auto", default=3
        Power iterations of the randomized solver.
    progress : bool, default=False
        Show a tqdm progress bar over the stages of ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsampling draws and of the randomized solver.

    Attributes
    ----------
    word_vectors_ : WordVectors
        The vocabulary (most frequent first) and the word vectors.
    word_counts_ : ndarray of int of shape (n_words,)
        Occurrences of each word in the fitted sentences.
    singular_values_ : ndarray of shape (n_components,)
    components_ : ndarray of shape (n_components, bags * n_words)
        Right singular vectors (the context side).
    settings_ : dict
        The settings used (after ``preset``).
    n_tokens_ : int
        Tokens left after removing rare words and subsampling.

    See Also
    --------
    prepare_corpus : Sentences from raw texts.
    SentenceEmbedder : Sentence vectors from these word vectors.

    Notes
    -----
    With :math:`\#(w, c)` the weighted count of context c around word w,
    :math:`\#(w) = \sum_c \#(w, c)` and :math:`D_\alpha = \sum_c \#(c)^\alpha`,
    the PPMI matrix is factored as :math:`X \approx U_k S_k V_k^T`; the
    vectors are :math:`\hat u_w + \hat v_w` with :math:`\hat{}` the row
    scaled to unit length (``add_context=True``) or :math:`U_k S_k^p`.
    The co-occurrence matrix is built by numba kernels straight from the
    token ids into CSR arrays (token positions sorted by word, each word's
    row accumulated in a dense scratch row, parallel over words), and the
    SVD is randomized with ``n_iter`` power iterations.

    References
    ----------
    .. [1] O. Levy, Y. Goldberg, I. Dagan, "Improving distributional
       similarity with lessons learned from word embeddings", TACL 3, 2015.
    .. [2] T. Mikolov et al., "Distributed representations of words and
       phrases and their compositionality", NIPS 2013.
    .. [3] L. Y. Lu, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform", 2023, section 6.3.

    Examples
    --------
    >>> from veob.text import ContextEmbedder
    >>> sentences = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"],
    ...              ["a", "dog", "ran"], ["the", "car", "stopped"]] * 5
    >>> emb = ContextEmbedder(n_components=3, subsample=None, random_state=0).fit(sentences)
    >>> emb.word_vectors_.most_similar("cat", topn=1)[0][0]
    'dog'
    >>> ContextEmbedder(preset="paper", n_components=3, random_state=0).fit(sentences).settings_["window"]
    2
    """

    def __init__(self, window=3, n_components=None, *, weighting="ppmi", bags=1, distance_weighting="linear",
                 subsample=1e-3, min_count=5, cds=0.75, shift=1.0, eig_power=0.0, add_context=True,
                 preset=None, solver="auto", n_iter=3, progress=False, random_state=None):
        self.window = window
        self.n_components = n_components
        self.weighting = weighting
        self.bags = bags
        self.distance_weighting = distance_weighting
        self.subsample = subsample
        self.min_count = min_count
        self.cds = cds
        self.shift = shift
        self.eig_power = eig_power
        self.add_context = add_context
        self.preset = preset
        self.solver = solver
        self.n_iter = n_iter
        self.progress = progress
        self.random_state = random_state

    # ------------------------------------------------------------ settings
    def _check_params(self):
        """Validate the parameters as ``fit`` does (``veob.load`` calls this too); the resolved settings."""
        return self._settings()

    def _settings(self):
        if self.preset not in PRESETS:
            raise ValueError(f"preset={self.preset!r} is not supported; choose one of {PRESETS}")
        cfg = dict(n_components=self.n_components, window=self.window, weighting=self.weighting, bags=self.bags,
                   distance_weighting=self.distance_weighting, subsample=self.subsample,
                   min_count=self.min_count, eig_power=self.eig_power, add_context=self.add_context)
        if self.preset == "paper":
            n_components = cfg["n_components"]
            cfg.update(_PAPER)
            if n_components is not None:
                cfg["n_components"] = n_components
        if cfg["n_components"] is None:
            cfg["n_components"] = _DEFAULT_COMPONENTS
        cfg["n_components"] = check_int(cfg["n_components"], "n_components", low=1)
        cfg["window"] = check_int(cfg["window"], "window", low=1)
        if cfg["weighting"] not in WEIGHTINGS:
            raise ValueError(f"weighting={cfg['weighting']!r} is not supported; choose one of {WEIGHTINGS}")
        if cfg["distance_weighting"] not in DISTANCE_WEIGHTINGS:
            raise ValueError(f"distance_weighting={cfg['distance_weighting']!r} is not supported; choose one of "
                             f"{DISTANCE_WEIGHTINGS}")
        if isinstance(cfg["bags"], (bool, np.bool_)) or cfg["bags"] not in (1, 2):
            raise ValueError(f"bags={cfg['bags']!r} must be 1 or 2")
        cfg["bags"] = int(cfg["bags"])
        if cfg["subsample"] is not None:
            cfg["subsample"] = check_real(cfg["subsample"], "subsample")
            if cfg["subsample"] <= 0:
                raise ValueError(f"subsample={cfg['subsample']!r} must be > 0 (a frequency threshold such as "
                                 "1e-4), or None for no subsampling")
        cfg["min_count"] = check_int(cfg["min_count"], "min_count", low=1)
        cfg["eig_power"] = check_real(cfg["eig_power"], "eig_power")
        if not isinstance(cfg["add_context"], (bool, np.bool_)):
            raise TypeError(f"add_context={cfg['add_context']!r} must be True or False")
        cfg["add_context"] = bool(cfg["add_context"])
        cfg["cds"] = check_real(self.cds, "cds", low=0, high=1, low_inclusive=False)
        cfg["shift"] = check_real(self.shift, "shift")
        if cfg["shift"] < 1:
            raise ValueError(f"shift={self.shift!r} must be >= 1 (log(shift) is subtracted from PMI)")
        if self.n_iter != "auto":
            check_int(self.n_iter, "n_iter", low=0)
        if not isinstance(self.progress, (bool, np.bool_)):
            raise TypeError(f"progress={self.progress!r} must be True or False")
        return cfg

    def _vocabulary(self, cfg, counts):
        """(kept word rows, remap old id -> new id or -1, keep probabilities of the kept words)."""
        kept = np.flatnonzero(counts >= cfg["min_count"])
        if kept.shape[0] == 0:
            raise ValueError(f"no word occurs min_count={cfg['min_count']} times; lower min_count or give "
                             "more text")
        remap = np.full(counts.shape[0], -1, dtype=np.int64)
        remap[kept] = np.arange(kept.shape[0])
        keep_prob = np.ones(kept.shape[0])
        if cfg["subsample"] is not None:
            f = counts[kept] / counts[kept].sum()
            keep_prob = np.minimum(1.0, np.sqrt(cfg["subsample"] / f))
        return kept, remap, keep_prob

    # ------------------------------------------------------------ fit
    def fit(self, sentences, y=None):
        """Fit on sentences: a :class:`Corpus` or a list of token lists; returns self.

        Parameters
        ----------
        sentences : Corpus or list of list of str
            Tokenized sentences (e.g. from :func:`prepare_corpus`).
        y : None
            Ignored.

        Returns
        -------
        self : ContextEmbedder
        """
        cfg = self._settings()
        corpus = sentences if isinstance(sentences, Corpus) else as_corpus(sentences)
        if corpus.words.shape[0] == 0:
            raise ValueError("sentences hold no token; at least one word is required")
        rng = check_random_state(self.random_state)
        seed = _draw_seed(rng)
        with _Stages(self.progress, 4) as stages:
            stages.step("subsampling")
            kept, remap, keep_prob = self._vocabulary(cfg, corpus.counts)
            ids, offsets = _subsample(corpus.token_ids, corpus.offsets, remap, keep_prob, seed, 0)
            stages.step("co-occurrence counts")
            X = _counts(ids, offsets, kept.shape[0], cfg)
            del ids
            return self._fit_counts(corpus.words[kept], corpus.counts[kept], X, int(offsets[-1]), cfg, rng, stages)

    def fit_chunks(self, chunks, y=None):
        r"""Fit on an iterable of sentence chunks, reading each chunk once; returns self.

        For corpora that do not fit in memory as text: each chunk (a
        :class:`Corpus` or a list of token lists, e.g. the sentences of one
        file) is read once; its token ids are appended to a temporary file
        while the word counts are merged. Rare-word removal and
        subsampling need the counts of the whole corpus, so the ids are
        then read back in blocks and their co-occurrence counts summed;
        memory is the count matrix plus one block (the temporary file
        holds 4 bytes per token and is deleted). Subsampling draws depend on
        a token's position in the concatenation only, so the result equals
        :meth:`fit` on the concatenated chunks (to the rounding of the
        summed counts). For a matrix too large for one SVD, combine with
        ``solver="incremental"`` (Brand's update over row batches) or
        ``solver="dask"`` (blockwise, on the current ``distributed`` client).

        Parameters
        ----------
        chunks : iterable of Corpus or list of list of str
            The sentences, chunk by chunk (a generator is fine).
        y : None
            Ignored.

        Returns
        -------
        self : ContextEmbedder

        Examples
        --------
        >>> import numpy as np
        >>> from veob.text import ContextEmbedder
        >>> sentences = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat", "ran"],
        ...              ["a", "dog", "ran"], ["the", "car", "stopped"]] * 4
        >>> whole = ContextEmbedder(n_components=3, subsample=None, random_state=0).fit(sentences)
        >>> parts = ContextEmbedder(n_components=3, subsample=None, random_state=0).fit_chunks(
        ...     sentences[i:i + 6] for i in range(0, 20, 6))
        >>> bool(np.allclose(whole.word_vectors_.vectors, parts.word_vectors_.vectors, atol=1e-5))
        True
        """
        cfg = self._settings()
        if isinstance(chunks, (str, Corpus)) or not hasattr(chunks, "__iter__"):
            raise TypeError(f"chunks must be an iterable of sentence chunks; got {type(chunks).__name__}")
        rng = check_random_state(self.random_state)
        seed = _draw_seed(rng)
        with tempfile.TemporaryDirectory(prefix="veob-chunks-") as tmp, _Stages(self.progress, 4) as stages:
            stages.step("reading chunks")
            spill = _Spill(tmp)
            for i, chunk in enumerate(chunks):
                try:
                    corpus = chunk if isinstance(chunk, Corpus) else as_corpus(chunk)
                except (TypeError, ValueError) as exc:
                    raise type(exc)(f"chunks[{i}]: {exc}") from None
                spill.add(corpus)
            if spill.n_chunks == 0:
                raise ValueError("chunks is empty; at least one chunk of sentences is required")
            words, counts, order = spill.vocabulary()
            if words.shape[0] == 0:
                raise ValueError("the chunks hold no token; at least one word is required")
            kept, remap_sorted, keep_prob = self._vocabulary(cfg, counts)
            remap = np.full(order.shape[0], -1, dtype=np.int64)
            remap[order] = remap_sorted  # first-seen id -> new id
            stages.step("co-occurrence counts")
            X, n_tokens = None, 0
            for ids, offsets, start in spill.blocks():
                ids, offsets = _subsample(ids, offsets, remap, keep_prob, seed, start)
                n_tokens += int(offsets[-1])
                part = _counts(ids, offsets, kept.shape[0], cfg)
                X = part if X is None else X + part
            spill.close()
            X.sort_indices()
            self.n_chunks_ = spill.n_chunks
            return self._fit_counts(words[kept], counts[kept], X, n_tokens, cfg, rng, stages)

    def _fit_counts(self, words, counts, X, n_tokens, cfg, rng, stages):
        n_words = words.shape[0]
        if X.nnz == 0:
            hint = (f"; subsampling (subsample={cfg['subsample']}) kept {n_tokens} of {int(counts.sum())} "
                    "tokens: on a small corpus use subsample=None" if cfg["subsample"] is not None else "")
            raise ValueError("the sentences hold no pair of words within the window after removing words seen "
                             f"fewer than min_count={cfg['min_count']} times{hint}")
        stages.step("weighting")
        if cfg["weighting"] == "paper":
            X = normalize_bags(X, cfg["bags"])
        else:
            X = ppmi(X, cds=cfg["cds"], shift=cfg["shift"])
        X = X.astype(np.float32)
        k = cfg["n_components"]
        if k > min(X.shape):
            raise ValueError(f"n_components={k} must be <= min(n_words, n_contexts)={min(X.shape)} "
                             f"(the words seen at least min_count={cfg['min_count']} times)")
        stages.step("SVD")
        U, s, Vt = svd(X, k, solver=self.solver, n_iter=self.n_iter, random_state=rng)
        scale = np.power(s.astype(np.float64), cfg["eig_power"]).astype(np.float32)
        vectors = U * scale
        if cfg["add_context"]:
            C = (Vt.T * scale).reshape(cfg["bags"], n_words, k).sum(axis=0)
            vectors = _unit_rows(vectors) + _unit_rows(C)
        self.n_tokens_ = n_tokens
        self.word_vectors_ = WordVectors(words, vectors)
        self.word_counts_ = np.asarray(counts, dtype=np.int64)
        self.singular_values_ = s
        self.components_ = Vt
        self.settings_ = cfg
        return self

    def transform(self, words):
        """Vectors of vocabulary words, shape (len(words), n_components).

        Raises KeyError naming the first word that is not in the vocabulary.
        """
        check_is_fitted(self, "word_vectors_")
        return self.word_vectors_[list(words)]


# ---------------------------------------------------------------- helpers

def _draw_seed(rng):
    """A 62-bit seed for the counter-based subsampling stream."""
    return np.uint64((int(rng.randint(0, 2**31 - 1)) << 31) | int(rng.randint(0, 2**31 - 1)))


def _subsample(ids, offsets, remap, keep_prob, seed, start):
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    out_ids = np.empty(ids.shape[0], dtype=np.int64)
    out_offsets = np.empty(offsets.shape[0], dtype=np.int64)
    n = _kernels.subsample_tokens(ids, offsets, remap, keep_prob.astype(np.float64), seed, np.int64(start),
                                  out_ids, out_offsets)
    return out_ids[:n], out_offsets


def _counts(ids, offsets, n_words, cfg):
    window = cfg["window"]
    return cooccurrence_matrix(ids, offsets, n_words, window, distance_weights(window, cfg["distance_weighting"]),
                               bags=cfg["bags"])


def _unit_rows(A):
    norms = np.linalg.norm(A, axis=1, keepdims=True)
    return A / np.where(norms > 0, norms, 1.0).astype(A.dtype)


class _Spill:
    """Token ids of the chunks in a temporary file, with the merged word counts."""

    def __init__(self, folder):
        self._ids = open(os.path.join(folder, "ids.bin"), "wb")
        self._lengths = open(os.path.join(folder, "lengths.bin"), "wb")
        self._index = {}
        self._words = []
        self._counts = np.zeros(0, dtype=np.int64)
        self.n_chunks = 0
        self.n_tokens = 0
        self.n_sentences = 0

    def add(self, corpus):
        local = corpus.words.tolist()
        to_global = np.empty(len(local), dtype=np.int64)
        for j, word in enumerate(local):
            g = self._index.get(word)
            if g is None:
                g = self._index[word] = len(self._words)
                self._words.append(word)
            to_global[j] = g
        counts = np.zeros(len(self._words), dtype=np.int64)
        counts[:self._counts.shape[0]] = self._counts
        np.add.at(counts, to_global, corpus.counts)
        self._counts = counts
        self._ids.write(to_global[corpus.token_ids].astype(np.int32).tobytes())
        self._lengths.write(np.diff(corpus.offsets).astype(np.int64).tobytes())
        self.n_chunks += 1
        self.n_tokens += corpus.n_tokens
        self.n_sentences += corpus.n_sentences

    def vocabulary(self):
        """(words by descending count, their counts, first-seen id of each)."""
        names = np.asarray(self._words, dtype=str) if self._words else np.array([], dtype=str)
        order = np.lexsort((names, -self._counts))  # by count, ties alphabetical (as_corpus' order)
        return names[order], self._counts[order], order

    def blocks(self):
        """(ids, offsets, global start) of consecutive blocks of whole sentences."""
        self._ids.close()
        self._lengths.close()
        lengths = np.fromfile(self._lengths.name, dtype=np.int64)
        ids = np.memmap(self._ids.name, dtype=np.int32, mode="r") if self.n_tokens else np.zeros(0, np.int32)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        s = 0
        n_sent = lengths.shape[0]
        while s < n_sent:
            e = int(np.searchsorted(offsets, offsets[s] + _SPILL_BLOCK, side="right")) - 1
            e = min(max(e, s + 1), n_sent)
            a, b = int(offsets[s]), int(offsets[e])
            yield np.asarray(ids[a:b], dtype=np.int64), offsets[s:e + 1] - a, a
            s = e

    def close(self):
        for fh in (self._ids, self._lengths):
            if not fh.closed:
                fh.close()


class _Stages:
    """A tqdm bar over the named stages of a fit (nothing when disabled or tqdm is missing).

    ``step(name)`` closes the running stage and starts ``name``.
    """

    def __init__(self, enabled, total, desc="ContextEmbedder"):
        self._bar = None
        self._started = False
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, desc=desc, unit="stage", leave=False)

    def step(self, name):
        if self._bar is not None:
            if self._started:
                self._bar.update(1)
            self._started = True
            self._bar.set_postfix_str(name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            if self._started and exc[0] is None:
                self._bar.update(1)
            self._bar.close()
        return False
