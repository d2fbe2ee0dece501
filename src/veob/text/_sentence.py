"""SentenceEmbedder: spectral transform of word vectors over a sentence, then SVD (section 6.5)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, check_real
from ..decomposition import svd_flip
from ..decomposition._solvers import top_eigh
from ..spectral._basis import basis_table
from . import _kernels
from ._corpus import Corpus, as_corpus
from ._word_vectors import WordVectors

__all__ = ["SentenceEmbedder", "sentence_coefficients"]

KINDS = ("paper", "dct2")
WEIGHTINGS = ("none", "mean", "sif")
PRESETS = (None, "paper")
_PAPER = dict(n_points=32, n_freqs=6, kind="paper", weighting="none", remove_components=0, freq_decay=1.0)
_CHUNK = 32768  # sentences per block of the Gram accumulation


def sentence_coefficients(kind, n_points, n_freqs, max_len):
    """Basis tables of shape (1 or max_len + 1, n_freqs, max_len).

    A fixed ``n_points`` gives one table (the cosine continues past N);
    ``n_points=None`` gives one table per sentence length L with N = L (a
    sentence of one word has N = 1: only the constant survives).
    """
    width = max(max_len, 1)
    if n_points is not None:
        return basis_table(kind, n_points, n_freqs, width, dtype=np.float64)[None]
    out = np.zeros((width + 1, n_freqs, width))
    for L in range(1, width + 1):
        if kind == "paper" and L == 1:
            out[L, :, 0] = 1.0
            continue
        out[L, :, :L] = basis_table(kind, L, min(n_freqs, L), L, dtype=np.float64) if n_freqs <= L else \
            np.vstack([basis_table(kind, L, L, L), np.zeros((n_freqs - L, L))])
    return out


class SentenceEmbedder(BaseEstimator):
    r"""Sentence vectors: spectral transform of the word vectors, then SVD.

    Each sentence is the sequence of its words' vectors (from a
    :class:`WordVectors`, e.g. ``ContextEmbedder(...).word_vectors_``),
    optionally weighted per word; the spectral transform sums
    ``coefficient(position) x weight x vector`` over **all** the words (the
    reference code kept only the last word) into ``n_freqs`` blocks that
    are concatenated; the sentence matrix is embedded on its top singular
    vectors.

    Parameters
    ----------
    word_vectors : WordVectors
        The word table. Tokens outside it are skipped.
    n_points : int or None, default=32
        Basis length N; None uses N = the sentence's own length.
    n_freqs : int, default=2
        Number of frequency blocks. With ``kind="dct2"`` these are the
        lowest: block 0 is the (weighted) sum of the word vectors, block 1
        the trend from the start to the end of the sentence.
    n_components : int or None, default=None
        Embedding dimension (after removing ``remove_components``). None:
        400, capped at the number of spectral features minus
        ``remove_components``; the paper kept 200.
    preset : {None, "paper"}, default=None
        ``"paper"`` is the paper's high-pass setting: ``n_points=32,
        n_freqs=6, kind="paper"``, no word weights, no component removal,
        vectors :math:`U S` (overrides those parameters, not
        ``n_components``).
    kind : {"dct2", "paper"}, default="dct2"
        Basis (see :func:`veob.cosine_basis`): "dct2" keeps the lowest
        frequencies, "paper" the highest.
    weighting : {"sif", "mean", "none"}, default="sif"
        Word weights: "sif" is :math:`a / (a + p(w))` divided by the
        sentence length (Arora et al. 2017), with p(w) the word's relative
        frequency in the fitted sentences; "mean" is :math:`1 / L`; "none"
        is 1 (the paper).
    sif_a : float, default=1e-3
        The SIF constant a.
    remove_components : int, default=1
        Leading singular directions removed (SIF's common component).
    freq_decay : float, default=0.5
        Block f is scaled by ``freq_decay ** f`` (1: equal weights).
    eig_power : float, default=0.5
        Sentence vectors are :math:`U_k S_k^p` (1: the projection
        :math:`V_k^T x`; 0.5 damps the dominant directions).
    random_state : None
        Unused (the decomposition is exact); kept for a uniform API.

    Attributes
    ----------
    settings_ : dict
        The resolved settings (after ``preset``).
    embedding_ : ndarray of shape (n_sentences, n_components)
        Vectors of the fitted sentences.
    components_ : ndarray of shape (n_components, n_freqs * d)
        Basis of the spectra (right singular vectors).
    singular_values_ : ndarray of shape (n_components,)
    removed_singular_values_ : ndarray of shape (remove_components,)
    word_weights_ : ndarray of shape (n_words,)
        Weight of each word of ``word_vectors``.

    See Also
    --------
    ContextEmbedder : Word vectors to feed in.
    veob.spectral_transform : The transform of explicit vector sequences.

    Notes
    -----
    With word ids :math:`w_1 \dots w_L`, weights :math:`\omega` and word
    vectors :math:`e_w`, block f of a sentence is

    .. math:: f_f = \gamma^f \sum_{k=1}^{L} c(N, f, k)\, \omega_{w_k}\, e_{w_k},

    computed by a numba kernel straight from the word table. The Gram
    matrix :math:`G = X^T X` of the spectra is accumulated block by block
    of sentences (X is never held whole), its top eigenvectors give
    :math:`V`, and a sentence embeds as :math:`S^{p-1} V_{r:r+k}^T x` (the
    first r directions removed). Cosine similarity of these vectors is the
    sentence similarity. The defaults scored best on our held-out sentence
    proxy (docs/text.md): SIF weights, the two lowest DCT-II blocks (the
    weighted mean and the start-to-end trend of the sentence), the common
    direction removed, 400 dimensions, :math:`p = 1/2`.

    References
    ----------
    .. [1] L. Y. Lu, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform", 2023, section 6.5.
    .. [2] S. Arora, Y. Liang, T. Ma, "A simple but tough-to-beat baseline
       for sentence embeddings", ICLR 2017.
    .. [3] N. Almarwani, H. Aldarmaki, M. Diab, "Efficient sentence
       embedding using discrete cosine transform", EMNLP 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from veob.text import SentenceEmbedder, WordVectors
    >>> rng = np.random.default_rng(0)
    >>> wv = WordVectors(["a", "b", "c", "d"], rng.standard_normal((4, 3)))
    >>> sentences = [["a", "b"], ["b", "c", "d"], ["d", "a"], ["c"], ["a", "b", "c"]]
    >>> emb = SentenceEmbedder(wv, n_components=2).fit(sentences)
    >>> emb.transform([["a", "b"]]).shape
    (1, 2)
    >>> emb.most_similar(["a", "b"], topn=1)[0][0]
    0
    """

    def __init__(self, word_vectors, *, n_points=32, n_freqs=2, n_components=None, preset=None, kind="dct2",
                 weighting="sif", sif_a=1e-3, remove_components=1, freq_decay=0.5, eig_power=0.5,
                 random_state=None):
        self.word_vectors = word_vectors
        self.n_points = n_points
        self.n_freqs = n_freqs
        self.n_components = n_components
        self.preset = preset
        self.kind = kind
        self.weighting = weighting
        self.sif_a = sif_a
        self.remove_components = remove_components
        self.freq_decay = freq_decay
        self.eig_power = eig_power
        self.random_state = random_state

    # ------------------------------------------------------------ settings
    def _check_params(self):
        """Validate the parameters as ``fit`` does (``veob.load`` calls this too); the resolved settings."""
        return self._settings()

    def _settings(self):
        if self.preset not in PRESETS:
            raise ValueError(f"preset={self.preset!r} is not supported; choose one of {PRESETS}")
        if not isinstance(self.word_vectors, WordVectors):
            raise TypeError(f"word_vectors must be a WordVectors (e.g. ContextEmbedder().fit(...).word_vectors_); "
                            f"got {type(self.word_vectors).__name__}")
        cfg = dict(n_points=self.n_points, n_freqs=self.n_freqs, kind=self.kind, weighting=self.weighting,
                   remove_components=self.remove_components, freq_decay=self.freq_decay)
        if self.preset == "paper":
            cfg.update(_PAPER)
        if cfg["kind"] not in KINDS:
            raise ValueError(f"kind={cfg['kind']!r} is not supported; choose one of {KINDS}")
        if cfg["weighting"] not in WEIGHTINGS:
            raise ValueError(f"weighting={cfg['weighting']!r} is not supported; choose one of {WEIGHTINGS}")
        if cfg["n_points"] is not None:
            cfg["n_points"] = check_int(cfg["n_points"], "n_points", low=2 if cfg["kind"] == "paper" else 1)
            cfg["n_freqs"] = check_int(cfg["n_freqs"], "n_freqs", low=1, high=cfg["n_points"], high_name="n_points")
        else:
            cfg["n_freqs"] = check_int(cfg["n_freqs"], "n_freqs", low=1)
        cfg["remove_components"] = check_int(cfg["remove_components"], "remove_components", low=0)
        for name in ("sif_a", "freq_decay"):
            check_real(cfg.get(name, getattr(self, name)), name, low=0, low_inclusive=False)
        cfg["sif_a"] = float(self.sif_a)
        cfg["eig_power"] = check_real(self.eig_power if self.preset is None else 1.0, "eig_power")
        cfg["n_components"] = (None if self.n_components is None
                               else check_int(self.n_components, "n_components", low=1))
        return cfg

    def _ids(self, sentences):
        """(ids, offsets) of the sentences on the word table's rows."""
        wv = self.word_vectors
        if isinstance(sentences, Corpus) and sentences.words.shape == wv.words.shape \
                and np.array_equal(sentences.words, wv.words):
            return sentences.token_ids.astype(np.int64), sentences.offsets, sentences.counts
        corpus = as_corpus(sentences, vocabulary=wv.words)
        return corpus.token_ids.astype(np.int64), corpus.offsets, corpus.counts

    def _weights(self, cfg, counts):
        n = len(self.word_vectors)
        if cfg["weighting"] != "sif":
            return np.ones(n)
        total = counts.sum()
        p = counts / total if total > 0 else np.zeros(n)
        return cfg["sif_a"] / (cfg["sif_a"] + p)

    def _plan(self, cfg, max_len):
        """(basis tables, word table, length scaling) for sentences up to ``max_len`` words."""
        coef = sentence_coefficients(cfg["kind"], cfg["n_points"], cfg["n_freqs"], max_len)
        decay = cfg["freq_decay"] ** np.arange(cfg["n_freqs"])
        coef = np.ascontiguousarray(coef * decay[None, :, None])
        table = np.ascontiguousarray(self.word_vectors.vectors, dtype=np.float32)
        return coef.astype(np.float32), table, cfg["weighting"] in ("sif", "mean")

    def _spectra(self, plan, ids, offsets, start, stop):
        """Spectra of sentences start..stop as (stop - start, n_freqs * d) float32."""
        coef, table, length_scale = plan
        out = np.empty((stop - start, coef.shape[1] * table.shape[1]), dtype=np.float32)
        _kernels.sentence_spectra(ids, offsets, start, self.word_weights_.astype(np.float32), coef, table, out)
        if length_scale:
            lengths = np.diff(offsets[start:stop + 1]).astype(np.float32)
            out /= np.maximum(lengths, 1.0)[:, None]
        return out

    # ------------------------------------------------------------ fit
    def fit(self, sentences, y=None):
        """Fit on sentences (a :class:`Corpus` or a list of token lists); returns self."""
        cfg = self._settings()
        ids, offsets, counts = self._ids(sentences)
        n = offsets.shape[0] - 1
        if n == 0:
            raise ValueError("sentences is empty; at least one sentence is required")
        self.word_weights_ = self._weights(cfg, counts)
        plan = self._plan(cfg, int(np.diff(offsets).max()))
        m = plan[0].shape[1] * plan[1].shape[1]
        r = cfg["remove_components"]
        k = cfg["n_components"]
        if k is None:
            k = max(1, min(400, m - r, n - r))
        if k + r > min(n, m):
            raise ValueError(f"n_components + remove_components = {k + r} must be <= min(n_sentences={n}, "
                             f"n_features={m})")
        G = np.zeros((m, m))
        for a in range(0, n, _CHUNK):
            X = self._spectra(plan, ids, offsets, a, min(n, a + _CHUNK))
            G += (X.T @ X).astype(np.float64)  # float32 BLAS (syrk), summed in float64
        evals, V = top_eigh(G, k + r)
        s = np.sqrt(np.clip(evals, 0.0, None))
        Vt = np.ascontiguousarray(V.T)
        _, Vt = svd_flip(np.zeros((1, k + r)), Vt, copy=False)
        self.components_ = Vt[r:]
        self.singular_values_ = s[r:]
        self.removed_singular_values_ = s[:r]
        self.n_features_in_ = m
        self.settings_ = cfg
        self.embedding_ = self._embed(plan, ids, offsets)
        return self

    def _embed(self, plan, ids, offsets):
        n = offsets.shape[0] - 1
        out = np.empty((n, self.components_.shape[0]), dtype=np.float32)
        s = self.singular_values_.astype(np.float64)
        scale = np.power(np.where(s > 0, s, 1.0), self.settings_["eig_power"] - 1.0)
        P = (self.components_.T * scale).astype(np.float32)
        for a in range(0, n, _CHUNK):
            b = min(n, a + _CHUNK)
            out[a:b] = self._spectra(plan, ids, offsets, a, b) @ P
        return out

    def fit_transform(self, sentences, y=None):
        """Fit and return ``embedding_``."""
        return self.fit(sentences).embedding_

    def transform(self, sentences):
        """Vectors of (new) sentences: a :class:`Corpus` or a list of token lists."""
        check_is_fitted(self, "components_")
        ids, offsets, _ = self._ids(sentences)
        plan = self._plan(self.settings_, int(np.diff(offsets).max()))
        return self._embed(plan, ids, offsets)

    def most_similar(self, sentence_or_vector, topn=10):
        """The ``topn`` fitted sentences closest in cosine distance.

        Parameters
        ----------
        sentence_or_vector : list of str or ndarray of shape (n_components,)
            A tokenized sentence or a sentence vector.
        topn : int, default=10

        Returns
        -------
        neighbours : list of (int, float)
            ``(index of the fitted sentence, cosine distance)``, closest first.
        """
        check_is_fitted(self, "embedding_")
        topn = check_int(topn, "topn", low=1)
        if isinstance(sentence_or_vector, np.ndarray) and sentence_or_vector.dtype.kind in "iuf":
            q = np.asarray(sentence_or_vector, dtype=np.float64)
            if q.shape != (self.embedding_.shape[1],):
                raise ValueError(f"sentence_or_vector has shape {q.shape}; expected "
                                 f"({self.embedding_.shape[1]},) or a list of tokens")
        else:
            if isinstance(sentence_or_vector, str):
                raise TypeError("sentence_or_vector must be a list of tokens (e.g. 'a b'.split()), not a str")
            q = self.transform([list(sentence_or_vector)])[0].astype(np.float64)
        E = self.embedding_
        norms = np.linalg.norm(E, axis=1).astype(np.float64)
        qn = np.linalg.norm(q)
        dots = (E @ q.astype(E.dtype)).astype(np.float64)
        denom = norms * qn
        cos = np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
        dist = np.clip(1.0 - cos, 0.0, 2.0)
        k = min(topn, dist.shape[0])
        idx = np.argpartition(dist, k - 1)[:k] if k < dist.shape[0] else np.arange(dist.shape[0])
        idx = idx[np.lexsort((idx, dist[idx]))]
        return [(int(i), float(dist[i])) for i in idx]
