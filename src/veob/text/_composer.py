"""A closed-form, label-conditioned next-word model that writes reviews (paper section 8 on text)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._progress import check_progress, stage
from .._validation import check_int, check_random_state, check_real, check_str_list, renamed_parameter
from ..partition import VoronoiPartition
from ..spectral import cosine_basis
from . import _composer_kernels as _k
from . import _composer_ngram as _ng
from ._corpus import Corpus
from ._lm import (
    BOS_ID,
    EOS_ID,
    SENTENCE_END,
    UNK_ID,
    build_vocabulary,
    check_generate_args,
    check_label,
    check_labels,
    encode,
    generable_mask,
    generate_ids,
    ids_to_text,
    label_index,
    tokenize,
)
from ._word_vectors import WordVectors

__all__ = ["ReviewComposer"]

CHUNK = 32768  # targets per feature block
N_CALIBRATION = 2000  # training targets used to calibrate the scores into probabilities
CALIBRATION_OFFSETS = (0.0,)  # added to the count probabilities before the log (base_logits needs 0)
HELD_OUT_SHARE = 50  # one review in 50 (at most HELD_OUT_MAX) is held out of the fit to calibrate it
HELD_OUT_MAX = 1000
SCORE_ROWS = 4096
SMALL_BATCH = 1024  # rows up to which the codes z A_c are computed by the numba kernel
POSITION_SCALE = 500.0
GRAM_STRIDE = 4  # the global map's Gram matrix is estimated from 1 block in 4 (its role is a prior)
ALPHA_AUTO = 3.0  # "auto" label weight, in rms norms of the context features


class ReviewComposer(BaseEstimator):
    r"""Label-conditioned next-word model fitted in closed form (no gradient descent).

    Each position of a review is described by the spectral transform of the
    previous ``context`` word vectors (the ``n_freqs`` lowest DCT
    frequencies), the last word's vector, :math:`\alpha` times the one-hot
    label (the paper's :math:`Z = [P_x; \alpha P_y]`) and the position. The
    next word's probability starts from a label-conditioned bigram model
    (counts, discounted as in Kneser-Ney, backing off to the bigram of all
    reviews); a ridge least-squares map sends the features to what the
    bigram misses, through a reduced-rank output, one map per cell of a
    :class:`VoronoiPartition` of the features, shrunk to a shared global
    map. Everything beyond the previous word (the older context, the label
    beyond its bigram counts, the position) comes from the spectral
    features. Begin and end markers are words, so reviews end by
    themselves.

    Parameters
    ----------
    word_vectors : WordVectors or None, default=None
        Input word vectors. None fits ``ContextEmbedder(weighting="ppmi")``
        vectors of dimension ``word_dim`` on the training reviews. Words
        without a vector get zeros.
    context : int, default=8
        Number of previous words transformed (``>= 1``).
    n_freqs : int, default=4
        Low-frequency DCT blocks kept, ``1 <= n_freqs <= context``.
    max_vocab : int, default=20000
        Vocabulary size including ``<unk>``, ``<s>`` and ``</s>`` (``>= 4``).
    n_cells : int or "auto", default="auto"
        Cells of the partition (rounded up to a power of two, ``>= 1``).
        "auto": one per 40,000 training positions, at least one per label,
        at most 128.
    label_weight : float or "auto", default="auto"
        Weight :math:`\alpha` of the one-hot label (``>= 0``); "auto" is 3 times the
        root-mean-square norm of the context features, so that the
        partition splits by label first and every cell map is specific to
        one label.
    n_components : int, default=128
        Rank of the output map (``>= 1``).
    word_dim : int, default=64
        Dimension of the fitted word vectors when ``word_vectors`` is None.
    ridge : float, default=1e-3
        Ridge penalty, relative to the mean feature energy (``> 0``).
    cell_prior : float, default=2000
        Strength of the pull of each cell's map towards the global map, in
        pseudo-positions (``>= 0``); small cells fall back to the global map.
    guidance : float, default=1.0
        Label contrast used by :meth:`generate` (``>= 0``): the scores of the
        requested label :math:`s_y` are replaced by
        :math:`s_y + g\,(s_y - \bar s_{\ne y})`, with :math:`\bar s_{\ne y}`
        the mean scores under the other labels (as classifier-free
        guidance does with logits). 0 samples the model as fitted; it does
        not change :meth:`log_likelihood`.
    n_candidates : int, default=512
        Words scored at each step of :meth:`generate` (``>= 1``): the
        ``n_candidates`` likeliest followers of the class-trigram context and
        of the previous word under the label, the ``n_candidates // 2``
        likeliest words after any word, and ``</s>``. The nucleus is drawn
        from this shortlist (it held 89 % of the model's probability on IMDB
        test positions, the rest being the long tail, see docs/composer.md);
        :meth:`log_likelihood` always normalises over the whole vocabulary.
    word_cells : int, default=1024
        Cells of the :class:`VoronoiPartition` of the word vectors that stand
        for the word two back in the class trigram (``>= 1``).
    random_state : int, RandomState instance or None, default=None
        Seed of the word vectors, the partition and the calibration sample.
    progress : bool, default=False
        Show the stages of ``fit`` (tokenizing, the next-word maps) with
        their elapsed time on stderr (tqdm).
    alpha : float or "auto"
        Deprecated old name of ``label_weight`` (``alpha`` is the ridge
        penalty everywhere else in veob); still accepted with a
        FutureWarning, removed in the next release.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Sorted labels.
    vocabulary_ : ndarray of str of shape (n_words,)
        ``<unk>``, ``<s>``, ``</s>``, then words by descending count.
    word_vectors_ : WordVectors
        The input word vectors used (scaled to unit root-mean-square norm).
    basis_ : ndarray of shape (n_freqs, context)
        The DCT rows applied to the context window (oldest word first).
    label_weight_ : float
        The label weight used.
    partition_ : VoronoiPartition
        Cells of the features.
    output_basis_ : ndarray of shape (n_words, n_components)
        Orthonormal output factor :math:`E` (reduced-rank regression).
    global_map_ : ndarray of shape (n_features, n_components)
        :math:`A_0`.
    cell_maps_ : ndarray of shape (n_cells, n_features, n_components)
        :math:`A_c`.
    ngram_indptr_, ngram_indices_, ngram_alpha_ : ndarray
        CSR matrix of ``n_classes * n_words`` rows (label-major) holding
        the discounted bigram terms :math:`\max(c_y(v w) - d, 0) / c_y(v)`
        plus :math:`\gamma_y(v)` times those of the pooled bigram.
    ngram_gamma_ : ndarray of shape (n_classes, n_words)
        Back-off weight of every (label, previous word) to the unigram.
    ngram_low_ : ndarray of shape (n_classes, n_words)
        The continuation unigram (Kneser-Ney) of the pooled bigram.
    candidate_ptr_, candidate_words_ : ndarray
        CSR lists of the likeliest followers of each (label, word), best first.
    common_words_ : ndarray of shape (n_classes, n_candidates // 2)
        The likeliest words after any word.
    log_unigram_ : ndarray of shape (n_words,)
        Log frequencies of the words (add-one smoothed).
    calibration_ : ndarray of shape (4,)
        Coefficients turning scores into logits (see Notes).
    end_bias_ : float
        Log-odds added to ``</s>`` right after ``.``, ``!`` or ``?``, fitted
        on the held-out reviews' sentence ends.
    class_prior_ : ndarray of shape (n_classes,)

    See Also
    --------
    KneserNeyLM : The count baseline on the same vocabulary.
    veob.partition.VoronoiPartition : The cells.
    veob.spectral.spectral_transform : The transform of the context window.

    Notes
    -----
    With :math:`x_{t-C}, \dots, x_{t-1}` the previous word vectors (zeros
    before the review) and :math:`b_m` the DCT-II rows of length :math:`C`,
    the features of position :math:`t` are

    .. math::

       z_t = \Big[\sum_{k=1}^{C} b_m(k)\, x_{t-C-1+k}\Big]_{m=1..M},\;
             x_{t-1},\; \alpha\, e_{y},\; t / 500,\; \log(1 + t) / 7,\; 1 .

    With :math:`G = Z^T Z`, :math:`B = Z^T Y` (:math:`Y` one-hot next words),
    the ridge map is :math:`W = (G + \lambda I)^{-1} B`; the reduced-rank
    solution keeps the top :math:`r` right singular vectors :math:`E` of
    :math:`L^{-1} B` (:math:`G + \lambda I = L L^T`), i.e. of the fitted
    values, and :math:`A_0 = W E`. In cell :math:`c`,

    The bigram part is

    .. math::

       P_2(w \mid v, y) = \frac{\max(c_y(v w) - d, 0)}{c_y(v \bullet)}
           + \gamma_y(v)\, P_{KN}(w \mid v), \quad
       \gamma_y(v) = \frac{d\, N_{1+}(v \bullet)}{c_y(v \bullet)},

    with :math:`c_y` the bigram counts of the label's reviews,
    :math:`d = 0.75` and :math:`P_{KN}` the interpolated Kneser-Ney bigram
    of all reviews (:class:`KneserNeyLM` with ``order=2``); a word never
    seen in the label has :math:`\gamma_y = 1`. With
    :math:`T_y[v] = \sum_w P_2(w \mid v, y) E_w` the bigram in the output
    space, the maps of the cells fit the rest, :math:`Y_c E - T_y[v]`:

    .. math:: A_c = (G_c + \mu I)^{-1} (Z_c^T (Y_c E - T_c) + \mu A_0),

    :math:`\mu` = ``cell_prior`` times the mean feature energy per
    position (:math:`A_0` is the same fit over all positions). Scores
    :math:`s_w = P_2(w \mid v, y) + z A_c E_w^T` estimate
    :math:`P(w \mid z)`; the probabilities are
    :math:`\mathrm{softmax}(a\, s + b \log u_w + c \log(\max(s, 0) + \epsilon))`
    with :math:`u` the unigram frequencies and :math:`(a, b, c, \epsilon)`
    fitted by Newton's method on a sample of training positions (a
    three-parameter concave problem). Generation is nucleus sampling
    (Holtzman et al. 2020) over a shortlist of candidate words
    (``n_candidates``) with no 4-gram twice in a review and the end
    marker allowed only after ``.``, ``!`` or ``?``.

    References
    ----------
    .. [1] L. Y. Lu, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform", 2023, section 8.
    .. [2] A. J. Izenman, "Reduced-rank regression for the multivariate
       linear model", J. Multivariate Analysis 5, 1975.
    .. [3] A. Holtzman et al., "The curious case of neural text
       degeneration", ICLR 2020.

    Examples
    --------
    >>> from veob.text import ReviewComposer
    >>> texts = ["a great film . i loved it ."] * 20 + ["a dull film . i hated it ."] * 20
    >>> labels = [1] * 20 + [0] * 20
    >>> model = ReviewComposer(context=3, n_freqs=2, word_dim=4, n_components=8,
    ...                        random_state=0).fit(texts, labels)
    >>> model.generate(1, n=1, random_state=0)
    ['A great film. I loved it.']
    >>> model.predict(["i hated it ."]).tolist()
    [0]
    """

    # files saved before ``alpha`` became ``label_weight`` load under the new names (veob.load)
    _renamed_on_load = {"alpha": "label_weight", "alpha_": "label_weight_"}

    def __init__(self, word_vectors=None, *, context=8, n_freqs=4, max_vocab=20000, n_cells="auto",
                 label_weight="auto", n_components=128, word_dim=64, ridge=1e-3, cell_prior=2000.0, guidance=1.0,
                 n_candidates=512, word_cells=1024, random_state=None, progress=False, alpha="deprecated"):
        self.word_vectors = word_vectors
        self.context = context
        self.n_freqs = n_freqs
        self.max_vocab = max_vocab
        self.n_cells = n_cells
        self.label_weight = label_weight
        self.n_components = n_components
        self.word_dim = word_dim
        self.ridge = ridge
        self.cell_prior = cell_prior
        self.guidance = guidance
        self.n_candidates = n_candidates
        self.word_cells = word_cells
        self.random_state = random_state
        self.progress = progress
        self.alpha = alpha

    @property
    def alpha_(self):
        """Deprecated alias of ``label_weight_`` (FutureWarning; removed in the next release)."""
        warnings.warn("ReviewComposer.alpha_ is deprecated and will be removed in the next release: use "
                      "label_weight_", FutureWarning, stacklevel=2)
        return self.label_weight_

    # -- parameters -----------------------------------------------------------

    def _check_params(self):
        context = check_int(self.context, "context", low=1)
        n_freqs = check_int(self.n_freqs, "n_freqs", low=1, high=context, high_name="context")
        max_vocab = check_int(self.max_vocab, "max_vocab", low=4)
        if self.n_cells != "auto":
            check_int(self.n_cells, "n_cells", low=1)
        label_weight = check_real(renamed_parameter(self, "label_weight", "alpha", default="auto"), "label_weight",
                                  low=0, allow=("auto",))
        check_int(self.n_components, "n_components", low=1)
        check_int(self.word_dim, "word_dim", low=1)
        check_real(self.ridge, "ridge", low=0, low_inclusive=False)
        check_real(self.cell_prior, "cell_prior", low=0)
        check_real(self.guidance, "guidance", low=0)
        check_int(self.n_candidates, "n_candidates", low=1)
        check_int(self.word_cells, "word_cells", low=1)
        if self.word_vectors is not None and not isinstance(self.word_vectors, WordVectors):
            raise TypeError(f"word_vectors must be a WordVectors or None; got {type(self.word_vectors).__name__}")
        return context, n_freqs, max_vocab, label_weight

    # -- features -------------------------------------------------------------

    def _word_table(self, vocabulary, ids, offsets, rng):
        """(n_words + 1, d) input vectors, last row zero (padding)."""
        if self.word_vectors is None:
            from ._context import ContextEmbedder

            counts = np.bincount(ids, minlength=vocabulary.shape[0])
            keep = np.flatnonzero(counts > 0)
            remap = np.full(vocabulary.shape[0], -1, dtype=np.int64)
            remap[keep] = np.arange(keep.shape[0])
            corpus = Corpus(vocabulary[keep], counts[keep], remap[ids], offsets, np.arange(offsets.shape[0] - 1))
            dim = min(check_int(self.word_dim, "word_dim", low=1), keep.shape[0] - 1)
            # the settings the composer was tuned with (ContextEmbedder's defaults changed since)
            emb = ContextEmbedder(n_components=max(dim, 1), window=3, bags=2, distance_weighting="linear",
                                  eig_power=0.5, add_context=False, min_count=1, subsample=None,
                                  random_state=rng.randint(2**31 - 1)).fit(corpus)
            source = emb.word_vectors_
        else:
            source = self.word_vectors
        table = np.zeros((vocabulary.shape[0] + 1, source.vector_size), dtype=np.float32)
        lookup = source._lookup() if hasattr(source, "_lookup") else {w: i for i, w in enumerate(source.words)}
        for i, w in enumerate(vocabulary.tolist()):
            j = lookup.get(w)
            if j is not None:
                table[i] = source.vectors[j]
        rms = np.sqrt(np.mean(np.sum(table[:-1] ** 2, axis=1)))
        if rms > 0:
            table /= rms
        return table

    def _features(self, windows, positions, labels):
        """Features of rows: ``windows`` (m, context) word ids (``n_words`` = padding), oldest first."""
        table = self._table_
        d = table.shape[1]
        m = windows.shape[0]
        n_freqs = self.basis_.shape[0]
        n_classes = self.classes_.shape[0]
        Z = np.zeros((m, self.n_features_), dtype=np.float32)
        for k in range(windows.shape[1]):
            vec = table[windows[:, k]]
            for f in range(n_freqs):
                Z[:, f * d:(f + 1) * d] += self.basis_[f, k] * vec
        Z[:, n_freqs * d:(n_freqs + 1) * d] = table[windows[:, -1]]
        base = (n_freqs + 1) * d
        Z[np.arange(m), base + labels] = self.label_weight_
        t = positions.astype(np.float32)
        Z[:, base + n_classes] = t / POSITION_SCALE
        Z[:, base + n_classes + 1] = np.log1p(t) / 7.0
        Z[:, base + n_classes + 2] = 1.0
        return Z

    def _set_label(self, Z, label):
        """Rewrite the one-hot label block of features ``Z`` in place."""
        base = (self.basis_.shape[0] + 1) * self._table_.shape[1]
        Z[:, base:base + self.classes_.shape[0]] = 0.0
        Z[:, base + label] = self.label_weight_

    def _training_blocks(self, ids, offsets, y):
        """Yield (features, targets, previous words, words before them, labels) over all positions after ``<s>``."""
        context = self.basis_.shape[1]
        pad = self.vocabulary_.shape[0]
        review = np.repeat(np.arange(offsets.shape[0] - 1), np.diff(offsets))
        pos_in = np.arange(ids.shape[0]) - offsets[review]
        targets = np.flatnonzero(pos_in >= 1)
        for a in range(0, targets.shape[0], CHUNK):
            tg = targets[a:a + CHUNK]
            windows = np.empty((tg.shape[0], context), dtype=np.int64)
            for lag in range(1, context + 1):
                ok = pos_in[tg] - lag >= 0
                windows[:, context - lag] = np.where(ok, ids[np.maximum(tg - lag, 0)], pad)
            lab = y[review[tg]]
            before = np.where(pos_in[tg] >= 2, ids[np.maximum(tg - 2, 0)], BOS_ID).astype(np.int64)
            yield self._features(windows, pos_in[tg], lab), ids[tg], ids[tg - 1].astype(np.int64), before, lab

    def _cells(self, Z):
        """Nearest cell centre of each row (``partition_.predict`` by one GEMM)."""
        C = self.partition_.cell_centers_.astype(np.float32)
        d = np.einsum("ij,ij->i", C, C)[None, :] - 2.0 * (Z @ C.T)
        return np.argmin(d, axis=1)

    def _residual(self, Z):
        """(m, n_components) float32 codes :math:`z A_c` of the rows (each row's cell map)."""
        H = np.empty((Z.shape[0], self.cell_maps_.shape[2]), dtype=np.float32)
        if Z.shape[0] <= SMALL_BATCH:  # generation: one numba pass, no per-cell BLAS calls
            C = self.partition_.cell_centers_.astype(np.float32)
            _k.residual_codes(np.ascontiguousarray(Z, dtype=np.float32), C, np.einsum("ij,ij->i", C, C),
                              self.cell_maps_, H)
            return H
        cells = self._cells(Z)
        for c in np.unique(cells):
            rows = np.flatnonzero(cells == c)
            H[rows] = Z[rows] @ self.cell_maps_[c]
        return H

    def _rows(self, before, prev):
        return _ng.context_rows(self.trigram_contexts_, self.word_cells_, before, prev, self.vocabulary_.shape[0])

    def _log_low(self):
        if getattr(self, "_log_low_cache", None) is None or self._log_low_cache.shape != self.bigram_low_.shape:
            self._log_low_cache = np.log(np.maximum(self.bigram_low_, 1e-30)).astype(np.float32)
        return self._log_low_cache

    def _counts(self):
        return ((self.bigram_indptr_, self.bigram_indices_, self.bigram_alpha_, self.bigram_gamma_, self.bigram_low_),
                (self.trigram_indptr_, self.trigram_indices_, self.trigram_alpha_, self.trigram_gamma_))

    def _logits(self, Z, prev, before, labels, coef=None):
        """(m, n_words) float32 logits :math:`a\\, z A_c E^T + b \\log u + c \\log P_3`."""
        L = np.ascontiguousarray(self._residual(Z) @ self.output_basis_.T, dtype=np.float32)
        coef = self.calibration_ if coef is None else coef
        _k.base_logits(L, np.asarray(labels, np.int64), prev, self._rows(before, prev), *self._counts(),
                       self._log_low(), self.log_unigram_, np.asarray(coef, dtype=np.float64))
        if getattr(self, "end_bias_", 0.0):
            L[self._marks()[prev], EOS_ID] += np.float32(self.end_bias_)
        return L

    # -- fit ------------------------------------------------------------------

    def fit(self, texts, labels):
        """Fit the next-word maps on labelled reviews; returns self.

        Parameters
        ----------
        texts : list of str
            Raw reviews (``<br />`` tags are removed).
        labels : array-like of shape (n_texts,)
            One label (int or str) per review; at least one.
        """
        texts = check_str_list(texts, "texts")
        labels = check_labels(labels, len(texts))
        context, n_freqs, max_vocab, label_weight = self._check_params()
        show = check_progress(self.progress)
        rng = check_random_state(self.random_state)
        with stage(show, f"ReviewComposer.fit: tokenizing {len(texts):,} texts"):
            tokens = [tokenize(t) for t in texts]
            self.vocabulary_ = build_vocabulary(tokens, max_vocab)
            ids, offsets = encode(tokens, self.vocabulary_)
        self.classes_, y = np.unique(labels, return_inverse=True)
        self.class_prior_ = np.bincount(y, minlength=self.classes_.shape[0]) / y.shape[0]
        # held-out reviews for the calibration: in-sample counts and maps look too good
        n_reviews = len(texts)
        n_held = min(n_reviews // HELD_OUT_SHARE, HELD_OUT_MAX) if n_reviews >= 2 * HELD_OUT_SHARE else \
            int(n_reviews >= 4)
        held = np.zeros(n_reviews, dtype=bool)
        held[rng.choice(n_reviews, size=n_held, replace=False)] = True
        fit_part, held_part = (_reviews(ids, offsets, y, np.flatnonzero(sel)) for sel in (~held, held))
        with stage(show, f"ReviewComposer.fit: word vectors, partition and next-word maps ({ids.shape[0]:,} tokens)"):
            self._fit_ids(*fit_part, context, n_freqs, label_weight, rng, held=held_part if n_held else fit_part)
        return self

    def _fit_ids(self, ids, offsets, y, context, n_freqs, label_weight, rng, held):
        n_words = self.vocabulary_.shape[0]
        n_classes = self.classes_.shape[0]
        counts = np.bincount(ids, minlength=n_words).astype(np.float64)
        counts[BOS_ID] = 0
        self.log_unigram_ = np.log((counts + 1) / (counts.sum() + n_words)).astype(np.float32)
        self._table_ = self._word_table(self.vocabulary_, ids, offsets, rng)
        d = self._table_.shape[1]
        self.word_vectors_ = WordVectors(self.vocabulary_, self._table_[:-1].copy())
        self.basis_ = cosine_basis(context, n_freqs, kind="dct2", dtype=np.float32)
        self.n_features_ = (n_freqs + 1) * d + n_classes + 3
        self.label_weight_ = 0.0
        n_targets = ids.shape[0] - (offsets.shape[0] - 1)

        # the label weight: the rms norm of the context features of the first block
        first = next(self._training_blocks(ids, offsets, y))[0]
        rms = float(np.sqrt(np.mean(np.sum(first[:, :(n_freqs + 1) * d] ** 2, axis=1))))
        self.label_weight_ = ALPHA_AUTO * rms if label_weight == "auto" else label_weight

        # pass 1: global normal equations and a sample for the partition
        D = self.n_features_
        G = np.zeros((D, D))
        B = np.zeros((D, n_words))
        n_cells = self.n_cells
        if n_cells == "auto":
            n_cells = int(min(128, max(n_classes, n_targets // 40000)))
        max_level = int(np.ceil(np.log2(n_cells))) if n_cells > 1 else 0
        n_sample = min(n_targets, max(2000, 400 * 2 ** max_level))
        sample_rows = np.sort(rng.choice(n_targets, size=n_sample, replace=False))
        sample = []
        done = 0
        n_gram_rows = 0
        for block, (Z, tgt, _, _, _) in enumerate(self._training_blocks(ids, offsets, y)):
            if block % GRAM_STRIDE == 0:  # the global Gram matrix from every GRAM_STRIDE-th block
                G += Z.T @ Z
                n_gram_rows += Z.shape[0]
            _add_rows(B, Z, tgt, n_words)
            pick = sample_rows[(sample_rows >= done) & (sample_rows < done + Z.shape[0])] - done
            sample.append(Z[pick])
            done += Z.shape[0]
        sample = np.concatenate(sample)
        G *= n_targets / n_gram_rows
        energy = np.trace(G) / D
        lam = float(self.ridge) * energy  # relative to the mean feature energy
        L = np.linalg.cholesky(G + lam * np.eye(D))
        M = _solve_lower(L, B)
        r = min(check_int(self.n_components, "n_components", low=1), n_words, D)
        # right singular vectors of M (D x n_words) from the small Gram matrix M M^T
        evals, U = np.linalg.eigh(M @ M.T)
        top = np.argsort(evals)[::-1][:r]
        E = (M.T @ U[:, top]) / np.sqrt(np.maximum(evals[top], 1e-300))
        Ef = E.astype(np.float32)
        self._fit_counts(ids, offsets, y, rng)
        tables, A3 = self._count_tables(Ef)

        # the partition of the features and the per-cell maps
        self.partition_ = VoronoiPartition(max_level=max_level, min_samples=max(50, n_sample // (4 * n_cells)),
                                           random_state=rng.randint(2**31 - 1)).fit(sample)
        K = self.partition_.n_cells_
        Gc = np.zeros((K, D, D))
        Bc = np.zeros((K, D, r))
        for Z, tgt, prev, before, lab in self._training_blocks(ids, offsets, y):
            cells = self._cells(Z)
            rows = self._rows(before, prev)
            T = tables[lab, prev]  # the cells fit what the count model misses
            seen = rows >= 0
            T[seen] = self.trigram_gamma_[rows[seen], None] * T[seen] + np.asarray(A3[rows[seen]] @ Ef)
            Yc = Ef[tgt] - T
            for c in np.unique(cells):
                sel = np.flatnonzero(cells == c)
                Zc = Z[sel]
                Gc[c] += Zc.T @ Zc
                Bc[c] += Zc.T @ Yc[sel]
        # the global map: the same residual fit over all cells together
        A0 = np.linalg.solve(Gc.sum(axis=0) + lam * eye_(D), Bc.sum(axis=0))
        mu = float(self.cell_prior) * energy / max(n_targets, 1)
        maps = np.empty((K, D, r), dtype=np.float32)
        eye = eye_(D)
        for c in range(K):
            maps[c] = np.linalg.solve(Gc[c] + (mu + lam * np.sum(np.diag(Gc[c])) / max(np.trace(G), 1e-300)) * eye
                                      + 1e-12 * energy * eye, Bc[c] + mu * A0)
        self.output_basis_ = Ef
        self.global_map_ = A0.astype(np.float32)
        self.cell_maps_ = maps
        # the calibration, on positions of the held-out reviews
        n_held = held[0].shape[0] - (held[1].shape[0] - 1)
        calib_rows = np.sort(rng.choice(n_held, size=min(N_CALIBRATION, n_held), replace=False))
        calib = [[], [], [], [], []]
        done = 0
        for block in self._training_blocks(*held):
            pick = calib_rows[(calib_rows >= done) & (calib_rows < done + block[0].shape[0])] - done
            for part, arr in zip(calib, block):
                part.append(arr[pick])
            done += block[0].shape[0]
        self.calibration_ = self._calibrate(*(np.concatenate(part) for part in calib))
        self.end_bias_ = 0.0
        self.end_bias_ = self._fit_end_bias(held)
        return self

    def _fit_end_bias(self, held):
        """Log-odds added to ``</s>`` after a sentence mark, by Newton's method on the held-out sentence ends.

        The calibration sees few review ends; this one parameter makes the
        model's end probability after ``.``, ``!``, ``?`` match the held-out
        reviews in likelihood: with :math:`p_i` the model's :math:`P(</s>)`
        at held-out position :math:`i` after a mark and :math:`e_i` whether the
        review ended there, :math:`\\delta` maximises
        :math:`\\sum_i e_i \\log q_i + (1 - e_i) \\log(1 - q_i)`,
        :math:`q_i = p_i e^\\delta / (1 - p_i + p_i e^\\delta)` (concave).
        """
        p, ended = [], []
        for Z, tgt, prev, before, lab in self._training_blocks(*held):
            at = np.flatnonzero(self._marks()[prev])
            for a in range(0, at.shape[0], SCORE_ROWS):
                q = at[a:a + SCORE_ROWS]
                L = self._logits(Z[q], prev[q], before[q], lab[q]).astype(np.float64)
                L -= L.max(axis=1, keepdims=True)
                P = np.exp(L)
                p.append(P[:, EOS_ID] / P.sum(axis=1))
                ended.append(tgt[q] == EOS_ID)
        if not p or not np.concatenate(ended).any():
            return 0.0
        p, ended = np.clip(np.concatenate(p), 1e-12, 1 - 1e-12), np.concatenate(ended)
        delta = 0.0
        for _ in range(50):
            q = p * np.exp(delta) / (1 - p + p * np.exp(delta))
            grad, curv = np.sum(ended - q), np.sum(q * (1 - q))
            step = grad / max(curv, 1e-12)
            delta = float(np.clip(delta + step, -10.0, 10.0))
            if abs(step) < 1e-8:
                break
        return delta

    def _marks(self):
        return np.isin(self.vocabulary_, SENTENCE_END)

    def _fit_counts(self, ids, offsets, y, rng):
        """The count model (label bigram under a class trigram, see ``_composer_ngram``) and the shortlists."""
        n_words, n_classes = self.vocabulary_.shape[0], self.classes_.shape[0]
        self._log_low_cache = None
        n_cells = check_int(self.word_cells, "word_cells", low=1)
        level = int(np.ceil(np.log2(n_cells))) if n_cells > 1 else 0
        words = self._table_[:-1]
        part = VoronoiPartition(max_level=level, min_samples=1, random_state=rng.randint(2**31 - 1)).fit(words)
        cells = np.asarray(part.labels_, dtype=np.int64)
        cells[[UNK_ID, BOS_ID, EOS_ID]] = cells.max() + 1 + np.arange(3)  # the markers are cells of their own
        self.word_cells_ = cells
        bigram, self.bigram_discount_ = _ng.fit_bigram(ids, offsets, y, n_words, n_classes)
        (self.bigram_indptr_, self.bigram_indices_, self.bigram_alpha_, self.bigram_gamma_,
         self.bigram_low_) = bigram
        trigram, self.trigram_discount_ = _ng.fit_trigram(ids, offsets, cells, n_words)
        (self.trigram_contexts_, self.trigram_indptr_, self.trigram_indices_, self.trigram_alpha_,
         self.trigram_gamma_) = trigram
        n_cand = check_int(self.n_candidates, "n_candidates", low=1)
        self.bigram_list_ptr_, keep = _ng.shortlist(self.bigram_indptr_, self.bigram_alpha_, n_cand)
        self.bigram_list_words_ = self.bigram_indices_[keep]
        self.trigram_list_ptr_, keep = _ng.shortlist(self.trigram_indptr_, self.trigram_alpha_, n_cand)
        self.trigram_list_words_ = self.trigram_indices_[keep]
        n_common = min(max(1, n_cand // 2), n_words)
        self.common_words_ = np.argsort(-self.bigram_low_, axis=1, kind="stable")[:, :n_common].astype(np.int64)

    def _lists(self):
        return (self.trigram_list_ptr_, self.trigram_list_words_, self.bigram_list_ptr_, self.bigram_list_words_,
                self.common_words_)

    def _count_tables(self, E):
        """T[y, v] = sum_w P_2(w | v, y) E[w] (the label bigram in the output space) and the class-trigram matrix."""
        import scipy.sparse as sp

        n_words, n_classes = self.vocabulary_.shape[0], self.classes_.shape[0]
        A = sp.csr_matrix((self.bigram_alpha_, self.bigram_indices_, self.bigram_indptr_),
                          shape=(n_classes * n_words, n_words))
        T = np.asarray(A @ E).reshape(n_classes, n_words, E.shape[1])
        T += self.bigram_gamma_[:, :, None] * (self.bigram_low_ @ E)[:, None, :]
        A3 = sp.csr_matrix((self.trigram_alpha_, self.trigram_indices_, self.trigram_indptr_),
                           shape=(self.trigram_contexts_.shape[0], n_words))
        return T.astype(np.float32), A3

    def _calibrate(self, Z, targets, prev, before, labels):
        """Newton's method for (a, b, c) per offset; keep the best log-likelihood."""
        R = np.ascontiguousarray(self._residual(Z) @ self.output_basis_.T, dtype=np.float32)
        prior = np.broadcast_to(self.log_unigram_, R.shape)
        best = None
        rows = np.arange(R.shape[0])
        for eps in CALIBRATION_OFFSETS:
            LP = self._logits(Z, prev, before, labels, coef=(0.0, 0.0, 1.0, eps))
            F = [R, prior, LP]
            theta = np.array([1.0, 0.0, 1.0])
            ll = -np.inf
            last = np.zeros(3)
            for _ in range(15):
                logits = np.float32(theta[0]) * R + np.float32(theta[1]) * prior + np.float32(theta[2]) * LP
                logits -= logits.max(axis=1, keepdims=True)
                P = np.exp(logits)
                norm = P.sum(axis=1, keepdims=True)
                new_ll = float(np.mean(logits[rows, targets] - np.log(norm[:, 0])))
                if new_ll < ll - 1e-9:  # overshoot: back off
                    theta = theta - 0.5 * last
                    last = 0.5 * last
                    continue
                P /= norm
                PF = [P * f for f in F]
                mean = np.stack([pf.sum(axis=1, dtype=np.float64) for pf in PF], axis=1)
                grad = np.array([np.mean(f[rows, targets]) for f in F]) - mean.mean(axis=0)
                second = np.empty((3, 3))
                for i in range(3):
                    for j in range(i, 3):
                        second[i, j] = second[j, i] = np.vdot(PF[i], F[j]) / R.shape[0]
                del PF
                H = second - mean.T @ mean / R.shape[0]
                step = np.linalg.solve(H + 1e-9 * np.eye(3), grad)
                ll = new_ll
                theta = theta + step
                last = step
                if np.abs(step).max() < 1e-4:
                    break
            logits = np.float32(theta[0]) * R + np.float32(theta[1]) * prior + np.float32(theta[2]) * LP
            logits -= logits.max(axis=1, keepdims=True)
            final = float(np.mean(logits[rows, targets] - np.log(np.exp(logits).sum(axis=1))))
            if best is None or final > best[0]:
                best = (final, np.array([theta[0], theta[1], theta[2], eps]))
        return best[1]

    # -- use ------------------------------------------------------------------

    def _encode_eval(self, texts, labels):
        texts = check_str_list(texts, "texts")
        labels = check_labels(labels, len(texts))
        y = label_index(self.classes_, labels)
        ids, offsets = encode([tokenize(t) for t in texts], self.vocabulary_)
        return ids, offsets, y

    def _token_log_probs(self, ids, offsets, y):
        out = []
        for Z, tgt, prev, before, lab in self._training_blocks(ids, offsets, y):
            for a in range(0, Z.shape[0], SCORE_ROWS):
                part = slice(a, a + SCORE_ROWS)
                L = self._logits(Z[part], prev[part], before[part], lab[part])
                lp = np.empty(L.shape[0])
                _k.log_softmax_at(L, tgt[part].astype(np.int64), lp)
                out.append(lp)
        return np.concatenate(out) if out else np.zeros(0)

    def log_likelihood(self, texts, labels, *, per_token=False):
        """Mean log probability per token (words and ``</s>``) of texts given their labels.

        Parameters
        ----------
        texts : list of str
        labels : array-like of shape (n_texts,)
            Labels seen in ``fit``.
        per_token : bool, default=False
            Return the log probability of every token (reviews end to end).

        Returns
        -------
        log_likelihood : float or ndarray
            Natural log; words outside the vocabulary count as ``<unk>``.
            The perplexity is ``exp(-log_likelihood)``.
        """
        check_is_fitted(self, "cell_maps_")
        ids, offsets, y = self._encode_eval(texts, labels)
        lp = self._token_log_probs(ids, offsets, y)
        return lp if per_token else float(lp.mean())

    def predict(self, texts):
        """Most probable label of each text (Bayes rule over the class-conditional likelihoods)."""
        check_is_fitted(self, "cell_maps_")
        texts = check_str_list(texts, "texts")
        ids, offsets = encode([tokenize(t) for t in texts], self.vocabulary_)
        review = np.repeat(np.arange(len(texts)), np.diff(offsets) - 1)
        scores = np.empty((len(texts), self.classes_.shape[0]))
        for k in range(self.classes_.shape[0]):
            lp = self._token_log_probs(ids, offsets, np.full(len(texts), k))
            scores[:, k] = np.bincount(review, weights=lp, minlength=len(texts)) + np.log(self.class_prior_[k])
        return self.classes_[np.argmax(scores, axis=1)]

    def generate(self, label, n=1, *, max_tokens=600, temperature=1.0, top_p=0.9, random_state=None):
        """Write ``n`` reviews of a label.

        Parameters
        ----------
        label : int or str
            A label seen in ``fit``.
        n : int, default=1
            Number of reviews (sampled together, in one batch).
        max_tokens : int, default=600
            A review that has not ended after this many tokens is cut.
        temperature : float, default=1.0
            Logits are divided by it (``> 0``).
        top_p : float, default=0.9
            Nucleus mass, in (0, 1].
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        reviews : list of str
            Detokenised, sentences capitalised; no 4-gram occurs twice in a
            review.
        """
        check_is_fitted(self, "cell_maps_")
        k = check_label(self.classes_, label)
        n, max_tokens, temperature, top_p = check_generate_args(n, max_tokens, temperature, top_p)
        out = self._generate_ids(k, n, max_tokens, temperature, top_p, random_state)
        return [ids_to_text(ids, self.vocabulary_) for ids, _ in out]

    def _generate_ids(self, k, n, max_tokens, temperature, top_p, random_state):
        context = self.basis_.shape[1]
        pad = self.vocabulary_.shape[0]
        coef = np.ascontiguousarray(self.calibration_, dtype=np.float64)
        guidance = check_real(self.guidance, "guidance", low=0)
        others = np.array([j for j in range(self.classes_.shape[0]) if j != k] if guidance > 0 else [],
                          dtype=np.int64)
        if not hasattr(self, "_table_"):
            self._table_ = np.vstack([self.word_vectors_.vectors, np.zeros((1, self.word_vectors_.vector_size),
                                                                             dtype=np.float32)])
        generable = generable_mask(self.vocabulary_)
        counts, lists = self._counts(), self._lists()
        r = self.cell_maps_.shape[2]

        def draw(history, t, ptr, banned, allow_end, u):
            m = history.shape[0]
            windows = np.full((m, context), pad, dtype=np.int64)
            width = min(context, history.shape[1])
            windows[:, context - width:] = history[:, -width:]
            position = np.full(m, t + 1)
            Z = self._features(windows, position, np.full(m, k))
            H = self._residual(Z)
            Hg = np.empty((others.shape[0], m, r), dtype=np.float32)
            for q, j in enumerate(others):
                self._set_label(Z, j)
                Hg[q] = self._residual(Z)
            prev = history[:, -1].astype(np.int64)
            before = history[:, -2].astype(np.int64) if history.shape[1] > 1 else np.full(m, BOS_ID, np.int64)
            out = np.empty(m, dtype=np.int64)
            _k.sample_candidates(H, Hg, k, others, prev, self._rows(before, prev), self.output_basis_, *counts, lists,
                                 self.log_unigram_, coef, guidance, generable, ptr, banned, allow_end, EOS_ID,
                                 self.end_bias_, temperature, top_p, u, out)
            return out

        return generate_ids(draw, n, self.vocabulary_, max_tokens, random_state)


def _reviews(ids, offsets, y, rows):
    """(ids, offsets, labels) of the reviews ``rows`` (sorted)."""
    lengths = offsets[rows + 1] - offsets[rows]
    sub = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    np.cumsum(lengths, out=sub[1:])
    take = np.repeat(offsets[rows] - sub[:-1], lengths) + np.arange(sub[-1])
    return ids[take], sub, y[rows]


def eye_(n):
    return np.eye(n)


def _add_rows(B, Z, targets, n_words):
    """B[:, w] += sum of the rows of Z whose target is w (B is (D, n_words))."""
    import scipy.sparse as sp

    Y = sp.csr_matrix((np.ones(targets.shape[0], dtype=np.float32), (targets, np.arange(targets.shape[0]))),
                      shape=(n_words, targets.shape[0]))
    B += (Y @ Z).T


def _solve_lower(L, B):
    from scipy.linalg import solve_triangular

    return solve_triangular(L, B, lower=True)
