"""A closed-form, label-conditioned next-word model that writes reviews (paper section 8 on text)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._progress import check_progress, stage
from .._validation import check_int, check_random_state, check_str_list
from ..partition import VoronoiPartition
from ..spectral import cosine_basis
from . import _composer_kernels as _k
from ._corpus import Corpus
from ._lm import (BOS_ID, build_vocabulary, check_generate_args, check_label, check_labels,
                  encode, generate_ids, ids_to_text, label_index, tokenize)
from ._word_vectors import WordVectors

__all__ = ["ReviewComposer"]

CHUNK = 32768  # targets per feature block
N_CALIBRATION = 2000  # training targets used to calibrate the scores into probabilities
CALIBRATION_OFFSETS = (1e-4, 1e-3)
POSITION_SCALE = 500.0
BIGRAM_PRIOR = 5.0  # pseudo-counts pulling a rare word's bigram row to the pooled / global mean
GRAM_STRIDE = 4  # the global map's Gram matrix is estimated from 1 block in 4 (its role is a prior)
ALPHA_AUTO = 3.0  # "auto" label weight, in rms norms of the context features


def _check_number(value, name, low=None, low_open=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name}={value!r} must be a finite number")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name}={value!r} must be {'>' if low_open else '>='} {low}")
    return float(value)


class ReviewComposer(BaseEstimator):
    r"""Label-conditioned next-word model fitted in closed form (no gradient descent).

    Each position of a review is described by the spectral transform of the
    previous ``context`` word vectors (the ``n_freqs`` lowest DCT
    frequencies), the last word's vector, :math:`\alpha` times the one-hot
    label (the paper's :math:`Z = [P_x; \alpha P_y]`) and the position; a
    ridge least-squares map sends these features to the next word through a
    reduced-rank output, one map per cell of a :class:`VoronoiPartition` of
    the features, shrunk to a shared global map. Begin and end markers are
    words, so reviews end by themselves.

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
    alpha : float or "auto", default="auto"
        Weight of the one-hot label (``>= 0``); "auto" is 3 times the
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
    random_state : int, RandomState instance or None, default=None
        Seed of the word vectors, the partition and the calibration sample.
    progress : bool, default=False
        Show the stages of ``fit`` (tokenizing, the next-word maps) with
        their elapsed time on stderr (tqdm).

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
    alpha_ : float
        The label weight used.
    partition_ : VoronoiPartition
        Cells of the features.
    output_basis_ : ndarray of shape (n_words, n_components)
        Orthonormal output factor :math:`E` (reduced-rank regression).
    global_map_ : ndarray of shape (n_features, n_components)
        :math:`A_0`.
    cell_maps_ : ndarray of shape (n_cells, n_features, n_components)
        :math:`A_c`.
    log_unigram_ : ndarray of shape (n_words,)
        Log frequencies of the words (add-one smoothed).
    calibration_ : ndarray of shape (4,)
        Coefficients turning scores :math:`s` into logits (see Notes).
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

    .. math:: A_c = (G_c + \mu I)^{-1} (Z_c^T Y_c E + \mu A_0),

    :math:`\mu` = ``cell_prior`` times the mean feature energy per
    position. Scores :math:`s = z A_c E^T` estimate :math:`P(w \mid z)`;
    the probabilities are
    :math:`\mathrm{softmax}(a\, s + b \log u_w + c \log(\max(s, 0) + \epsilon))`
    with :math:`u` the unigram frequencies and :math:`(a, b, c, \epsilon)`
    fitted by Newton's method on a sample of training positions (a
    three-parameter concave problem). Generation is nucleus sampling
    (Holtzman et al. 2020) with no 4-gram twice in a review and the end
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

    def __init__(self, word_vectors=None, *, context=8, n_freqs=4, max_vocab=20000, n_cells="auto",
                 alpha="auto", n_components=128, word_dim=64, ridge=1e-3, cell_prior=2000.0, guidance=1.0,
                 random_state=None, progress=False):
        self.word_vectors = word_vectors
        self.context = context
        self.n_freqs = n_freqs
        self.max_vocab = max_vocab
        self.n_cells = n_cells
        self.alpha = alpha
        self.n_components = n_components
        self.word_dim = word_dim
        self.ridge = ridge
        self.cell_prior = cell_prior
        self.guidance = guidance
        self.random_state = random_state
        self.progress = progress

    # -- parameters -----------------------------------------------------------

    def _check_params(self):
        context = check_int(self.context, "context", low=1)
        n_freqs = check_int(self.n_freqs, "n_freqs", low=1, high=context, high_name="context")
        max_vocab = check_int(self.max_vocab, "max_vocab", low=4)
        if self.n_cells != "auto":
            check_int(self.n_cells, "n_cells", low=1)
        if self.alpha != "auto":
            _check_number(self.alpha, "alpha", low=0, low_open=False)
        check_int(self.n_components, "n_components", low=1)
        check_int(self.word_dim, "word_dim", low=1)
        _check_number(self.ridge, "ridge", low=0)
        _check_number(self.cell_prior, "cell_prior", low=0, low_open=False)
        _check_number(self.guidance, "guidance", low=0, low_open=False)
        if self.word_vectors is not None and not isinstance(self.word_vectors, WordVectors):
            raise TypeError(f"word_vectors must be a WordVectors or None; got {type(self.word_vectors).__name__}")
        return context, n_freqs, max_vocab

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
        Z[np.arange(m), base + labels] = self.alpha_
        t = positions.astype(np.float32)
        Z[:, base + n_classes] = t / POSITION_SCALE
        Z[:, base + n_classes + 1] = np.log1p(t) / 7.0
        Z[:, base + n_classes + 2] = 1.0
        return Z

    def _training_blocks(self, ids, offsets, y):
        """Yield (features, targets, target positions) blocks over all positions after ``<s>``."""
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
            yield self._features(windows, pos_in[tg], lab), ids[tg], ids[tg - 1], lab

    def _cells(self, Z):
        """Nearest cell centre of each row (``partition_.predict`` by one GEMM)."""
        C = self.partition_.cell_centers_.astype(np.float32)
        d = np.einsum("ij,ij->i", C, C)[None, :] - 2.0 * (Z @ C.T)
        return np.argmin(d, axis=1)

    def _scores(self, Z, prev, labels):
        """(m, n_words) float32 scores s = (z A_c + T_y[prev]) E^T."""
        cells = self._cells(Z)
        H = self.bigram_tables_[labels, prev]
        for c in np.unique(cells):
            rows = np.flatnonzero(cells == c)
            H[rows] += Z[rows] @ self.cell_maps_[c]
        return H @ self.output_basis_.T

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
        context, n_freqs, max_vocab = self._check_params()
        show = check_progress(self.progress)
        rng = check_random_state(self.random_state)
        with stage(show, f"ReviewComposer.fit: tokenizing {len(texts):,} texts"):
            tokens = [tokenize(t) for t in texts]
            self.vocabulary_ = build_vocabulary(tokens, max_vocab)
            ids, offsets = encode(tokens, self.vocabulary_)
        self.classes_, y = np.unique(labels, return_inverse=True)
        self.class_prior_ = np.bincount(y, minlength=self.classes_.shape[0]) / y.shape[0]
        with stage(show, f"ReviewComposer.fit: word vectors, partition and next-word maps ({ids.shape[0]:,} tokens)"):
            self._fit_ids(ids, offsets, y, context, n_freqs, rng)
        return self

    def _fit_ids(self, ids, offsets, y, context, n_freqs, rng):
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
        self.alpha_ = 0.0
        n_targets = ids.shape[0] - (offsets.shape[0] - 1)

        # the label weight: the rms norm of the context features of the first block
        first = next(self._training_blocks(ids, offsets, y))[0]
        rms = float(np.sqrt(np.mean(np.sum(first[:, :(n_freqs + 1) * d] ** 2, axis=1))))
        self.alpha_ = ALPHA_AUTO * rms if self.alpha == "auto" else float(self.alpha)

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
        for block, (Z, tgt, _, _) in enumerate(self._training_blocks(ids, offsets, y)):
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
        self.bigram_tables_ = self._bigram_tables(ids, offsets, y, Ef)

        # the partition of the features and the per-cell maps
        self.partition_ = VoronoiPartition(max_level=max_level, min_samples=max(50, n_sample // (4 * n_cells)),
                                           random_state=rng.randint(2**31 - 1)).fit(sample)
        K = self.partition_.n_cells_
        Gc = np.zeros((K, D, D))
        Bc = np.zeros((K, D, r))
        calib_rows = np.sort(rng.choice(n_targets, size=min(N_CALIBRATION, n_targets), replace=False))
        calib_Z, calib_t, calib_p, calib_y = [], [], [], []
        done = 0
        for Z, tgt, prev, lab in self._training_blocks(ids, offsets, y):
            cells = self._cells(Z)
            Yc = Ef[tgt] - self.bigram_tables_[lab, prev]  # the cells fit what the bigram tables miss
            for c in np.unique(cells):
                rows = np.flatnonzero(cells == c)
                Zc = Z[rows]
                Gc[c] += Zc.T @ Zc
                Bc[c] += Zc.T @ Yc[rows]
            pick = calib_rows[(calib_rows >= done) & (calib_rows < done + Z.shape[0])] - done
            calib_Z.append(Z[pick])
            calib_t.append(tgt[pick])
            calib_p.append(prev[pick])
            calib_y.append(lab[pick])
            done += Z.shape[0]
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
        self.calibration_ = self._calibrate(np.concatenate(calib_Z), np.concatenate(calib_p),
                                            np.concatenate(calib_y), np.concatenate(calib_t))
        return self

    def _bigram_tables(self, ids, offsets, y, E):
        """T_y[w]: mean output code E[next] after w in label y, shrunk to the pooled mean."""
        import scipy.sparse as sp

        n_words = self.vocabulary_.shape[0]
        review = np.repeat(np.arange(offsets.shape[0] - 1), np.diff(offsets))
        pos = np.flatnonzero(np.arange(ids.shape[0]) - offsets[review] >= 1)
        prev, nxt, lab = ids[pos - 1], ids[pos], y[review[pos]]
        kappa = BIGRAM_PRIOR

        def table(rows):
            C = sp.csr_matrix((np.ones(rows.shape[0], dtype=np.float32), (prev[rows], nxt[rows])),
                              shape=(n_words, n_words))
            return np.asarray(C @ E), np.asarray(C.sum(axis=1)).ravel()

        sums, counts = table(np.arange(pos.shape[0]))
        pooled = sums / (counts + kappa)[:, None]
        out = np.empty((self.classes_.shape[0], n_words, E.shape[1]), dtype=np.float32)
        for k in range(self.classes_.shape[0]):
            sums_k, counts_k = table(np.flatnonzero(lab == k))
            out[k] = (sums_k + kappa * pooled) / (counts_k + kappa)[:, None]
        return out

    def _calibrate(self, Z, prev, labels, targets):
        """Newton's method for (a, b, c) per offset; keep the best log-likelihood."""
        S = self._scores(Z, prev, labels)
        prior = self.log_unigram_
        best = None
        rows = np.arange(S.shape[0])
        for eps in CALIBRATION_OFFSETS:
            F = [S, np.broadcast_to(prior, S.shape), np.log(np.maximum(S, 0) + np.float32(eps))]
            theta = np.array([0.0, 1.0, 0.0])
            ll = -np.inf
            for _ in range(12):
                logits = np.float32(theta[0]) * S + np.float32(theta[1]) * F[1] + np.float32(theta[2]) * F[2]
                logits -= logits.max(axis=1, keepdims=True)
                P = np.exp(logits)
                norm = P.sum(axis=1, keepdims=True)
                new_ll = float(np.mean(logits[rows, targets] - np.log(norm[:, 0])))
                P /= norm
                PF = [P * f for f in F]
                mean = np.stack([pf.sum(axis=1, dtype=np.float64) for pf in PF], axis=1)
                grad = np.array([np.mean(f[rows, targets]) for f in F]) - mean.mean(axis=0)
                second = np.empty((3, 3))
                for i in range(3):
                    for j in range(i, 3):
                        second[i, j] = second[j, i] = np.vdot(PF[i], F[j]) / S.shape[0]
                del PF
                H = second - mean.T @ mean / S.shape[0]
                step = np.linalg.solve(H + 1e-9 * np.eye(3), grad)
                if new_ll < ll - 1e-9:  # overshoot: back off
                    theta = theta - 0.5 * last
                    last = 0.5 * last
                    continue
                ll = new_ll
                theta = theta + step
                last = step
                if np.abs(step).max() < 1e-4:
                    break
            logits = sum(t * f for t, f in zip(theta, F))
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
        coef = np.ascontiguousarray(self.calibration_, dtype=np.float64)
        for Z, tgt, prev, lab in self._training_blocks(ids, offsets, y):
            S = np.ascontiguousarray(self._scores(Z, prev, lab), dtype=np.float32)
            lp = np.empty(tgt.shape[0])
            _k.token_log_probs(S, self.log_unigram_, coef, tgt.astype(np.int64), lp)
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
        guidance = _check_number(self.guidance, "guidance", low=0, low_open=False)
        others = [j for j in range(self.classes_.shape[0]) if j != k]
        if not hasattr(self, "_table_"):
            self._table_ = np.vstack([self.word_vectors_.vectors, np.zeros((1, self.word_vectors_.vector_size),
                                                                             dtype=np.float32)])

        def step(history, t):
            m = history.shape[0]
            windows = np.full((m, context), pad, dtype=np.int64)
            width = min(context, history.shape[1])
            windows[:, context - width:] = history[:, -width:]
            S = self._scores(self._features(windows, np.full(m, t + 1), np.full(m, k)), history[:, -1],
                             np.full(m, k))
            if guidance > 0 and others:
                rest = sum(self._scores(self._features(windows, np.full(m, t + 1), np.full(m, j)), history[:, -1],
                                        np.full(m, j)) for j in others) / len(others)
                S += np.float32(guidance) * (S - rest)
            return S, coef, self.log_unigram_

        return generate_ids(step, n, self.vocabulary_, max_tokens, temperature, top_p, random_state)


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
