"""TextEncoder: raw text to sentence and document vectors, fitted on the user's own corpus."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, check_random_state, check_real
from . import _encoder_kernels
from ._scan import TokenTable, scan_corpus
from ._word_vectors import WordVectors

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    from .._typing import ArrayLike, PathLike, RandomStateLike

__all__ = ["TextEncoder"]

FORMAT = "veob.TextEncoder"
FORMAT_VERSION = 1
_ARRAYS = ("vectors", "weights", "table", "components", "singular_values", "counts")
_STATS_SENTENCES = 200_000  # sentences of the fit corpus used for the whitening statistics


class TextEncoder(TransformerMixin, BaseEstimator):
    r"""Raw text to vectors in one call: fitted on your corpus in about a minute, no download, no GPU.

    ``fit(texts)`` tokenizes any iterable of strings with veob's byte
    scanner, fits word vectors (:class:`ContextEmbedder` with its defaults
    and ``word_dim`` dimensions; refined with :func:`retrofit` when a
    ``dictionary`` is given) and the sentence model: SIF word weights from
    the corpus frequencies, a weighted mean (and optionally more DCT-II
    blocks) of the word vectors, and a partial whitening learnt from the
    corpus' sentences. ``encode(texts)`` follows sentence-transformers'
    ``encode``.

    Parameters
    ----------
    dictionary : list of dictionary entries or None, default=None
        :func:`veob.datasets.load_dictionary` entries (or ``(word,
        synonyms, antonyms)`` tuples). Dictionary words missing from the
        corpus get the mean vector of their known synonyms, then every
        vector is refined by :func:`retrofit` with ``retrofit_weights``.
    word_vectors : WordVectors or None, default=None
        Word vectors from elsewhere (see :meth:`from_word_vectors`); None
        fits them on the corpus.
    word_dim : int, default=1000
        Dimension of the fitted word vectors (``ContextEmbedder(n_components=...)``).
    n_components : int or None, default=None
        Output dimension: the leading directions of the corpus' sentence
        vectors; None keeps all ``word_dim * n_freqs``.
    n_freqs : int, default=1
        DCT-II blocks per text: 1 is the weighted mean of the word vectors;
        block 2 adds the start-to-end trend (word order), and so on.
    freq_decay : float, default=0.5
        Block f is scaled by ``freq_decay ** f``.
    sif_a : float, default=1e-3
        SIF weight :math:`a / (a + p(w))` of a word of relative frequency
        :math:`p(w)` in the fit corpus (Arora et al. 2017).
    eig_power : float, default=0.5
        Vectors are :math:`x V S^{p-1}` on the corpus' sentence basis
        (:math:`p = 1`: a rotation, :math:`p = 0`: full whitening).
    remove_components : int, default=0
        Leading corpus directions removed (SIF's common component).
    retrofit_weights : (float, float), default=(0.5, 0.25)
        Synonym and antonym weights of :func:`retrofit` when a dictionary
        is given.
    max_tokens : int or None, default=None
        Tokens of a text used by ``encode`` (None: all, pooled).
    progress : bool, default=True
        Progress bars while fitting (tqdm, when installed).
    random_state : int, RandomState instance or None, default=None
        Seed of the word vectors' subsampling and SVD.

    Attributes
    ----------
    word_vectors_ : WordVectors
        The (refined) word vectors.
    word_weights_ : ndarray of shape (n_words,)
        SIF weight of each word.
    word_counts_ : ndarray of shape (n_words,)
        Occurrences of each word in the fit corpus (0 for words added from
        the dictionary or given vectors never seen).
    components_ : ndarray of shape (n_components, word_dim * n_freqs)
        Rows of the output basis (corpus sentence directions).
    singular_values_ : ndarray of shape (n_components,)
    table_ : ndarray of shape (n_words, n_freqs, n_components)
        The word vectors already weighted and projected on the output basis
        per DCT block (what ``encode`` sums), float32.
    fit_info_ : dict
        Texts, sentences and tokens of the fit corpus, seconds per stage.

    See Also
    --------
    ContextEmbedder, retrofit : The word vectors.
    SentenceEmbedder : The paper's sentence model over token lists.
    veob.store.VeobEmbeddingFunction : The encoder as a Chroma embedding function.

    Notes
    -----
    A text with known words :math:`w_0 \dots w_{L-1}` (tokens the word
    vectors do not know are skipped) becomes

    .. math::

        x_f = \frac{\gamma^f}{L} \sum_{k} \cos\Big(\frac{\pi f (k + 1/2)}{L}\Big)
              \frac{a}{a + p(w_k)}\, e_{w_k}, \qquad
        y = [x_0, \dots, x_{F-1}]\, V_{r:r+k} S_{r:r+k}^{p-1},

    where :math:`V, S` are the eigenvectors and singular values of the
    Gram matrix of the corpus' sentence vectors (the final SVD). Because
    everything is linear up to :math:`y`, the projection is folded into
    the word table at fit time, so ``encode`` only scans the bytes, looks
    the tokens up and sums rows of ``table_`` (numba, parallel over
    texts). **A text with no known word (or an empty string) gets the
    zero vector**, whose cosine similarity to anything is 0 (never NaN).
    A long document is pooled whole (all its sentences, up to
    ``max_tokens`` tokens), the document vector of the same model.

    References
    ----------
    .. [1] S. Arora, Y. Liang, T. Ma, "A simple but tough-to-beat baseline
       for sentence embeddings", ICLR 2017.
    .. [2] O. Levy, Y. Goldberg, I. Dagan, "Improving distributional
       similarity with lessons learned from word embeddings", TACL 3, 2015.
    .. [3] N. Almarwani, H. Aldarmaki, M. Diab, "Efficient sentence
       embedding using discrete cosine transform", EMNLP 2019.

    Examples
    --------
    >>> from veob.text import TextEncoder
    >>> texts = ["the cat sat on the mat.", "a dog sat on a rug.", "the cat ran.", "a dog ran.",
    ...          "the car stopped on the road.", "a bus stopped on the road."] * 20
    >>> encoder = TextEncoder(word_dim=4, progress=False, random_state=0).fit(texts)
    >>> encoder.encode(["a cat sat", "the bus stopped"]).shape
    (2, 4)
    >>> sims = encoder.similarity(["the cat sat"], ["a dog sat", "the bus stopped"])
    >>> bool(sims[0, 0] > sims[0, 1])
    True
    """

    def __init__(self, *, dictionary: Sequence[Any] | None = None, word_vectors: WordVectors | None = None,
                 word_dim: int = 1000, n_components: int | None = None, n_freqs: int = 1, freq_decay: float = 0.5,
                 sif_a: float = 1e-3, eig_power: float = 0.5, remove_components: int = 0,
                 retrofit_weights: tuple[float, float] = (0.5, 0.25), max_tokens: int | None = None,
                 progress: bool = True, random_state: RandomStateLike = None) -> None:
        self.dictionary = dictionary
        self.word_vectors = word_vectors
        self.word_dim = word_dim
        self.n_components = n_components
        self.n_freqs = n_freqs
        self.freq_decay = freq_decay
        self.sif_a = sif_a
        self.eig_power = eig_power
        self.remove_components = remove_components
        self.retrofit_weights = retrofit_weights
        self.max_tokens = max_tokens
        self.progress = progress
        self.random_state = random_state

    @classmethod
    def from_word_vectors(cls, word_vectors: WordVectors, **params: Any) -> TextEncoder:
        """An encoder over given word vectors (e.g. a word2vec or GloVe file); ``fit`` learns the rest.

        Parameters
        ----------
        word_vectors : WordVectors
            E.g. ``WordVectors.load_word2vec_format("glove.txt")``.
        **params
            Other :class:`TextEncoder` parameters.

        Returns
        -------
        encoder : TextEncoder
            Unfitted: ``fit(texts)`` computes the word weights and the
            output basis from your corpus, keeping the vectors.

        Examples
        --------
        >>> import numpy as np
        >>> from veob.text import TextEncoder, WordVectors
        >>> wv = WordVectors(["good", "great", "bad", "film"], np.eye(4))
        >>> enc = TextEncoder.from_word_vectors(wv, progress=False).fit(["a good film", "a bad film"] * 5)
        >>> enc.encode("great film").shape
        (4,)
        """
        if not isinstance(word_vectors, WordVectors):
            raise TypeError(f"word_vectors must be a WordVectors; got {type(word_vectors).__name__}")
        return cls(word_vectors=word_vectors, **params)

    # ------------------------------------------------------------ settings
    def _check_params(self):
        """Validate the parameters as ``fit`` does; returns the resolved settings."""
        if self.word_vectors is not None and not isinstance(self.word_vectors, WordVectors):
            raise TypeError(f"word_vectors must be a WordVectors or None; got {type(self.word_vectors).__name__}")
        if self.dictionary is not None and isinstance(self.dictionary, (str, bytes, os.PathLike)):
            raise TypeError("dictionary must be a list of entries (veob.datasets.load_dictionary()), not a path")
        cfg = {"word_dim": check_int(self.word_dim, "word_dim", low=1),
               "n_components": None if self.n_components is None else check_int(self.n_components, "n_components",
                                                                                   low=1),
               "n_freqs": check_int(self.n_freqs, "n_freqs", low=1),
               "freq_decay": check_real(self.freq_decay, "freq_decay", low=0, low_inclusive=False),
               "sif_a": check_real(self.sif_a, "sif_a", low=0, low_inclusive=False),
               "eig_power": check_real(self.eig_power, "eig_power"),
               "remove_components": check_int(self.remove_components, "remove_components", low=0),
               "max_tokens": None if self.max_tokens is None else check_int(self.max_tokens, "max_tokens", low=1)}
        rw = self.retrofit_weights
        if not isinstance(rw, (tuple, list)) or len(rw) != 2:
            raise TypeError(f"retrofit_weights={rw!r} must be a pair (synonym weight, antonym weight)")
        cfg["retrofit_weights"] = [check_real(rw[0], "retrofit_weights[0]", low=0),
                                   check_real(rw[1], "retrofit_weights[1]", low=0)]
        if not isinstance(self.progress, (bool, np.bool_)):
            raise TypeError(f"progress={self.progress!r} must be True or False")
        return cfg

    # ------------------------------------------------------------ fit
    def fit(self, texts: Iterable[str], y: object = None) -> TextEncoder:
        """Fit the word vectors and the sentence model on raw texts; returns self.

        Parameters
        ----------
        texts : iterable of str
            The corpus, read once in batches (a generator over files works).
        y : None
            Ignored.

        Returns
        -------
        self : TextEncoder
        """
        import time

        from ._context import ContextEmbedder
        from ._retrofit import retrofit

        cfg = self._check_params()
        if isinstance(texts, (str, bytes)):
            raise TypeError("texts must be an iterable of str (e.g. a list of documents), not a single str")
        if not hasattr(texts, "__iter__"):
            raise TypeError(f"texts must be an iterable of str; got {type(texts).__name__}")
        rng = check_random_state(self.random_state)
        seconds = {}
        start = time.perf_counter()
        corpus = scan_corpus(texts, progress=self.progress, desc="TextEncoder: tokenize")
        seconds["tokenize"] = time.perf_counter() - start
        if corpus.n_tokens == 0:
            raise ValueError("texts hold no token (an empty corpus or only whitespace); give a corpus of documents")
        start = time.perf_counter()
        if self.word_vectors is None:
            k = min(cfg["word_dim"], max(1, int(np.sum(corpus.counts >= 5)) - 1))
            emb = ContextEmbedder(n_components=k, progress=self.progress, random_state=rng)
            try:
                emb.fit(corpus)
            except ValueError as exc:
                raise ValueError(f"texts are too small to fit word vectors: {exc}") from None
            wv = emb.word_vectors_
            del emb  # its context vectors (components_) are not needed
        else:
            wv = self.word_vectors
        seconds["word_vectors"] = time.perf_counter() - start
        start = time.perf_counter()
        if self.dictionary is not None:
            wv = retrofit(wv, self.dictionary, synonym_weight=cfg["retrofit_weights"][0],
                          antonym_weight=cfg["retrofit_weights"][1], expand=True)
            seconds["retrofit"] = time.perf_counter() - start
        start = time.perf_counter()
        counts = self._counts(wv, corpus)
        weights = self._sif(counts, cfg["sif_a"])
        vectors = np.ascontiguousarray(wv.vectors, dtype=np.float32)
        ids, offsets = self._corpus_ids(corpus, wv, rng)
        info = {"n_texts": int(getattr(corpus, "n_texts", 0)), "n_sentences": corpus.n_sentences,
                "n_tokens": corpus.n_tokens, "n_types": int(corpus.words.shape[0]), "n_words": len(wv)}
        del corpus
        components, s = self._basis(ids, offsets, weights, vectors, cfg)
        seconds["sentence_model"] = time.perf_counter() - start
        self.word_vectors_ = WordVectors(wv.words, vectors)
        self.word_counts_ = counts
        self.word_weights_ = weights
        self.components_ = components
        self.singular_values_ = s
        self.settings_ = cfg
        self.fit_info_ = {**info, "seconds": {k: round(v, 3) for k, v in seconds.items()},
                          "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        self._finish()
        return self

    @staticmethod
    def _sif(counts, a):
        total = max(int(counts.sum()), 1)
        return (a / (a + counts / total)).astype(np.float32)

    @staticmethod
    def _counts(wv, corpus):
        index = {w: i for i, w in enumerate(corpus.words.tolist())}
        counts = np.zeros(len(wv), dtype=np.int64)
        for i, w in enumerate(wv.words.tolist()):
            j = index.get(w)
            if j is not None:
                counts[i] = corpus.counts[j]
        return counts

    @staticmethod
    def _corpus_ids(corpus, wv, rng):
        """Corpus sentences (a sample of at most 200,000) as rows of the word table."""
        lookup = wv._lookup()
        remap = np.fromiter((lookup.get(w, -1) for w in corpus.words.tolist()), dtype=np.int64,
                            count=corpus.words.shape[0])
        n = corpus.n_sentences
        rows = np.arange(n) if n <= _STATS_SENTENCES else np.sort(rng.choice(n, _STATS_SENTENCES, replace=False))
        starts, stops = corpus.offsets[rows], corpus.offsets[rows + 1]
        lengths = stops - starts
        take = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
        ids = remap[corpus.token_ids[take]]
        keep = ids >= 0
        kept_per_row = np.add.reduceat(keep.astype(np.int64), np.concatenate([[0], np.cumsum(lengths)[:-1]])) \
            if lengths.size else np.zeros(0, np.int64)
        kept_per_row = np.where(lengths > 0, kept_per_row, 0)
        offsets = np.concatenate([[0], np.cumsum(kept_per_row)]).astype(np.int64)
        return np.ascontiguousarray(ids[keep]), offsets

    @staticmethod
    def _pool(ids, offsets, weights, vectors, n_freqs, decay):
        out = np.empty((offsets.shape[0] - 1, n_freqs * vectors.shape[1]), dtype=np.float32)
        _encoder_kernels.pool_ids(ids, offsets, weights, vectors, n_freqs, np.float32(decay), out)
        return out

    def _basis(self, ids, offsets, weights, vectors, cfg):
        """Output basis (rows) scaled by S^(p-1), and the kept singular values, from the corpus' sentences."""
        from ..decomposition._solvers import top_eigh

        D = cfg["n_freqs"] * vectors.shape[1]
        G = np.zeros((D, D))
        n = offsets.shape[0] - 1
        step = max(1, (1 << 26) // max(D, 1))  # ~256 MB of float32 sentence vectors per block
        for a in range(0, n, step):
            b = min(n, a + step)
            X = self._pool(ids[offsets[a]:offsets[b]], offsets[a:b + 1] - offsets[a], weights, vectors,
                           cfg["n_freqs"], cfg["freq_decay"])
            G += (X.T @ X).astype(np.float64)  # float32 BLAS (syrk), summed in float64
        r = cfg["remove_components"]
        k = cfg["n_components"] or (D - r)
        if k + r > D:
            raise ValueError(f"n_components + remove_components = {k + r} must be <= word_dim * n_freqs = {D}")
        evals, V = top_eigh(G, k + r)
        s = np.sqrt(np.clip(evals, 0.0, None))
        from ..decomposition import svd_flip

        _, Vt = svd_flip(np.zeros((1, k + r)), np.ascontiguousarray(V.T), copy=False)
        return np.ascontiguousarray(Vt[r:]), s[r:]

    def _finish(self):
        """Fold the projection into the word table: ``table_[w, f] = weight_w e_w P_f``."""
        cfg = self.settings_
        s = self.singular_values_.astype(np.float64)
        scale = np.power(np.where(s > 0, s, 1.0), cfg["eig_power"] - 1.0)
        P = (self.components_.T * scale).astype(np.float32)  # (D, k)
        d = self.word_vectors_.vector_size
        F = cfg["n_freqs"]
        vectors = self.word_vectors_.vectors
        table = np.empty((len(self.word_vectors_), F, P.shape[1]), dtype=np.float32)
        for f in range(F):
            table[:, f] = (vectors @ P[f * d:(f + 1) * d]) * self.word_weights_[:, None]
        self.table_ = table
        self._token_table = TokenTable(self.word_vectors_.words.tolist())

    # ------------------------------------------------------------ encode
    def _tokens(self):
        table = getattr(self, "_token_table", None)
        if table is None:
            table = self._token_table = TokenTable(self.word_vectors_.words.tolist())
        return table

    def encode(self, texts: str | Iterable[str], *, batch_size: int = 4096, show_progress_bar: bool | None = None,
               normalize_embeddings: bool = False, convert_to_numpy: bool = True) -> np.ndarray | list[np.ndarray]:
        """Vectors of texts, as sentence-transformers' ``encode``.

        Parameters
        ----------
        texts : str or iterable of str
            A text gives a 1-D vector, a list of texts an (n, d) array.
        batch_size : int, default=4096
            Texts tokenized and pooled per batch.
        show_progress_bar : bool or None, default=None
            None: a bar for more than 100,000 texts.
        normalize_embeddings : bool, default=False
            Scale every non-zero vector to unit length.
        convert_to_numpy : bool, default=True
            False: a list of 1-D arrays.

        Returns
        -------
        embeddings : ndarray of float32 of shape (n, n_components) or (n_components,)
            A text with no known word gets the zero vector.

        Examples
        --------
        >>> from veob.text import TextEncoder
        >>> texts = ["the cat sat.", "a dog sat.", "the cat ran.", "a dog ran."] * 20
        >>> enc = TextEncoder(word_dim=3, progress=False, random_state=0).fit(texts)
        >>> enc.encode(["the cat", ""], normalize_embeddings=True).round(3)[1].tolist()
        [0.0, 0.0, 0.0]
        """
        check_is_fitted(self, "table_")
        single = isinstance(texts, str)
        if single:
            texts = [texts]
        elif isinstance(texts, bytes) or not hasattr(texts, "__iter__"):
            raise TypeError(f"texts must be a str or an iterable of str; got {type(texts).__name__}")
        texts = texts if isinstance(texts, list) else list(texts)
        batch_size = check_int(batch_size, "batch_size", low=1)
        n = len(texts)
        k = self.table_.shape[2]
        out = np.empty((n, k), dtype=np.float32)
        show = n > 100_000 if show_progress_bar is None else bool(show_progress_bar)
        bar = None
        if show:
            try:
                from tqdm.auto import tqdm

                bar = tqdm(total=n, desc="encode", unit="text", leave=False)
            except ImportError:
                bar = None
        tokens = self._tokens()
        decay = np.float32(self.settings_["freq_decay"])
        for a in range(0, n, batch_size):
            b = min(n, a + batch_size)
            ids, offsets = tokens.lookup(texts[a:b], max_tokens=self.settings_["max_tokens"], offset=a)
            _encoder_kernels.pool_table(ids, offsets, self.table_, decay, out[a:b])
            if bar is not None:
                bar.update(b - a)
        if bar is not None:
            bar.close()
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.where(norms > 0, norms, 1.0)
        if single:
            return out[0]
        return out if convert_to_numpy else list(out)

    def transform(self, texts: Iterable[str]) -> np.ndarray:
        """``encode(texts)``, for pipelines."""
        return np.asarray(self.encode(texts, show_progress_bar=False))

    def similarity(self, a: str | Sequence[str] | ArrayLike, b: str | Sequence[str] | ArrayLike) -> np.ndarray:
        """Cosine similarity matrix of two lists of texts (or of their vectors).

        Parameters
        ----------
        a, b : str, list of str, or array of shape (n, d)
            Texts (encoded first) or embeddings.

        Returns
        -------
        similarities : ndarray of shape (len(a), len(b))
            0 where either vector is zero.
        """
        A, B = (self._as_vectors(x, name) for x, name in ((a, "a"), (b, "b")))
        na = np.linalg.norm(A, axis=1, keepdims=True)
        nb = np.linalg.norm(B, axis=1, keepdims=True)
        return (A / np.where(na > 0, na, 1.0)) @ (B / np.where(nb > 0, nb, 1.0)).T

    def _as_vectors(self, x, name):
        if isinstance(x, np.ndarray) and x.dtype.kind in "fiu":
            X = np.atleast_2d(x).astype(np.float32)
            if X.ndim != 2 or X.shape[1] != self.table_.shape[2]:
                raise ValueError(f"{name} has shape {x.shape}; expected (n, {self.table_.shape[2]}) embeddings "
                                 "or texts")
            return X
        return np.atleast_2d(np.asarray(self.encode([x] if isinstance(x, str) else x, show_progress_bar=False)))

    # ------------------------------------------------------------ save / load
    def _arrays(self):
        return {"vectors": self.word_vectors_.vectors, "weights": self.word_weights_, "table": self.table_,
                "components": self.components_.astype(np.float64), "singular_values": self.singular_values_,
                "counts": self.word_counts_}

    def fingerprint(self) -> str:
        """A SHA-256 of the fitted arrays and words: changes whenever the model does."""
        check_is_fitted(self, "table_")
        h = hashlib.sha256()
        for name in _ARRAYS:
            arr = np.ascontiguousarray(self._arrays()[name])
            h.update(name.encode() + str(arr.dtype).encode() + str(arr.shape).encode() + arr.tobytes())
        h.update("\n".join(self.word_vectors_.words.tolist()).encode("utf8"))
        return h.hexdigest()

    def save(self, folder: PathLike, *, metadata: Mapping[str, Any] | None = None) -> Path:
        """Write the model to a folder, without pickle.

        The folder holds ``model.safetensors`` (or ``model.npz`` without the
        safetensors package), ``config.json``, ``vocab.json`` and a model card
        ``README.md``.

        The folder is written next to its final place and renamed, so a
        failure leaves no half-written model.

        Parameters
        ----------
        folder : str or path-like
            Created (its parent must exist); an existing model folder is replaced.
        metadata : dict, optional
            JSON-serialisable facts for the model card (e.g. dev-set scores).

        Returns
        -------
        folder : pathlib.Path
        """
        check_is_fitted(self, "table_")
        folder = Path(folder)
        parent = folder.resolve().parent
        if not parent.is_dir():
            raise FileNotFoundError(f"folder={str(folder)!r}: the parent folder {str(parent)!r} does not exist")
        if folder.exists() and not (folder / "config.json").is_file() and any(folder.iterdir()):
            raise FileExistsError(f"folder={str(folder)!r} exists and is not a TextEncoder folder; pick a new "
                                  "or an empty folder")
        arrays = {k: np.ascontiguousarray(v) for k, v in self._arrays().items()}
        config = {"format": FORMAT, "format_version": FORMAT_VERSION, "veob_version": _version(),
                  "params": self._saved_params(), "settings": self.settings_, "fit_info": self.fit_info_,
                  "fingerprint": self.fingerprint(), "dimension": int(self.table_.shape[2]),
                  "metadata": metadata or {}}
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
        try:
            config["arrays"] = _write_arrays(tmp, arrays)
            (tmp / "vocab.json").write_text(json.dumps(self.word_vectors_.words.tolist(), ensure_ascii=False),
                                            encoding="utf8")
            (tmp / "config.json").write_text(json.dumps(config, indent=2, default=_jsonable), encoding="utf8")
            (tmp / "README.md").write_text(_model_card(config, len(self.word_vectors_)), encoding="utf8")
            if folder.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=parent))
                os.replace(folder, old / "model")
                os.replace(tmp, folder)
                _rmtree(old)
            else:
                os.replace(tmp, folder)
        except BaseException:
            _rmtree(tmp)
            raise
        return folder

    def _saved_params(self):
        params = self.get_params(deep=False)
        params.pop("dictionary", None)
        params.pop("word_vectors", None)
        params["retrofit_weights"] = list(params["retrofit_weights"])
        params["random_state"] = params["random_state"] if isinstance(params["random_state"],
                                                                       (int, type(None))) else None
        params["dictionary_given"] = self.dictionary is not None
        params["word_vectors_given"] = self.word_vectors is not None
        return params

    @classmethod
    def load(cls, folder: PathLike) -> TextEncoder:
        """Read a model written by :meth:`save`; ValueError naming the file for anything corrupt or changed.

        Parameters
        ----------
        folder : str or path-like

        Returns
        -------
        encoder : TextEncoder
            Fitted; encodes exactly as the saved one (same bytes out).
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"folder={str(folder)!r} " + ("is a file, expected a model folder"
                                                                  if folder.exists() else "does not exist"))
        config_file = folder / "config.json"
        try:
            config = json.loads(config_file.read_text(encoding="utf8"))
        except FileNotFoundError:
            raise ValueError(f"{str(folder)!r} holds no config.json: not a TextEncoder folder "
                             "(write one with TextEncoder.save)") from None
        except (OSError, ValueError) as exc:
            raise ValueError(f"{str(config_file)!r} is not valid JSON ({exc}); save the model again") from None
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise ValueError(f"{str(config_file)!r} is not a TextEncoder config (format {config.get('format')!r})"
                             if isinstance(config, dict) else f"{str(config_file)!r} is not a TextEncoder config")
        version = config.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ValueError(f"{str(config_file)!r} has format_version {version!r}; this veob reads up to "
                             f"{FORMAT_VERSION}: upgrade veob")
        try:
            words = json.loads((folder / "vocab.json").read_text(encoding="utf8"))
            arrays = _read_arrays(folder, config.get("arrays", {}))
            params = dict(config["params"])
            settings = config["settings"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{str(folder)!r}: {exc}; save the model again") from None
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError(f"{str(folder / 'vocab.json')!r} must hold a list of words")
        params.pop("dictionary_given", None)
        params.pop("word_vectors_given", None)
        try:
            enc = cls(**params)
            enc._check_params()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{str(config_file)!r} holds invalid parameters: {exc}") from None
        n = len(words)
        expected = {"vectors": (n, None), "weights": (n,), "counts": (n,)}
        for name, shape in expected.items():
            arr = arrays[name]
            if arr.shape[0] != n or (len(shape) == 1 and arr.ndim != 1):
                raise ValueError(f"{str(folder)!r}: array {name!r} has shape {arr.shape}; expected {n} rows")
        for name in ("vectors", "weights", "table", "components", "singular_values"):
            if not np.isfinite(arrays[name]).all():
                raise ValueError(f"{str(folder)!r}: array {name!r} holds NaN or infinity; save the model again")
        k = arrays["components"].shape[0]
        if arrays["table"].shape != (n, settings.get("n_freqs", 1), k) or arrays["singular_values"].shape != (k,):
            raise ValueError(f"{str(folder)!r}: arrays 'table' {arrays['table'].shape}, 'components' "
                             f"{arrays['components'].shape} and 'singular_values' do not fit together")
        enc.word_vectors_ = WordVectors(words, arrays["vectors"])
        enc.word_weights_ = arrays["weights"].astype(np.float32)
        enc.word_counts_ = arrays["counts"].astype(np.int64)
        enc.components_ = arrays["components"]
        enc.singular_values_ = arrays["singular_values"]
        enc.table_ = np.ascontiguousarray(arrays["table"], dtype=np.float32)
        enc.settings_ = settings
        enc.fit_info_ = config.get("fit_info", {})
        if config.get("fingerprint") != enc.fingerprint():
            raise ValueError(f"{str(folder)!r}: the arrays do not match the fingerprint in config.json (the model "
                             "was changed after it was saved); save it again")
        return enc


def _version():
    from .._version import __version__

    return __version__


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _write_arrays(folder, arrays):
    try:
        from safetensors.numpy import save_file
    except ImportError:
        np.savez(folder / "model.npz", **arrays)
        return {"file": "model.npz", "format": "npz"}
    save_file(arrays, str(folder / "model.safetensors"), metadata={"format": FORMAT})
    return {"file": "model.safetensors", "format": "safetensors"}


def _read_arrays(folder, spec):
    file = spec.get("file") if isinstance(spec, dict) else None
    kind = spec.get("format") if isinstance(spec, dict) else None
    if file not in ("model.safetensors", "model.npz") or kind not in ("safetensors", "npz"):
        raise ValueError(f"config.json names no array file (arrays={spec!r})")
    path = folder / file
    if kind == "safetensors":
        try:
            from safetensors.numpy import load_file
        except ImportError:
            raise ValueError(f"{file} needs the safetensors package: pip install safetensors") from None
        try:
            arrays = load_file(str(path))
        except Exception as exc:  # the library raises its own error types for corrupt files
            raise ValueError(f"{file} cannot be read ({type(exc).__name__}: {exc})") from None
    else:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    missing = [name for name in _ARRAYS if name not in arrays]
    if missing:
        raise ValueError(f"{file} lacks the arrays {missing}")
    return arrays


def _rmtree(path):
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _model_card(config, n_words):
    s, info, meta = config["settings"], config["fit_info"], config.get("metadata") or {}
    lines = [
        "# veob TextEncoder",
        "",
        "Static sentence and document vectors fitted with veob (backprop-free: PPMI-SVD word vectors, SIF",
        "weights, a whitening learnt from the corpus). Load with `veob.text.TextEncoder.load(folder)`; encode",
        "with `encoder.encode(texts)`; use with Chroma through `veob.store.VeobEmbeddingFunction(folder)`.",
        "",
        "## Fit corpus",
        f"- texts: {info.get('n_texts', 0):,}; sentences: {info.get('n_sentences', 0):,}; tokens: "
        f"{info.get('n_tokens', 0):,}; token types: {info.get('n_types', 0):,}",
        f"- vocabulary of the encoder: {n_words:,} words; output dimension: {config.get('dimension', '?')}",
        f"- fitted {info.get('date', '?')} with veob {config.get('veob_version', '?')} in "
        + ", ".join(f"{k} {v:.1f} s" for k, v in (info.get("seconds") or {}).items()),
        "",
        "## Settings",
        *(f"- {k}: {v}" for k, v in s.items()),
        f"- dictionary: {'yes' if config['params'].get('dictionary_given') else 'no'}; given word vectors: "
        f"{'yes' if config['params'].get('word_vectors_given') else 'no'}",
        "",
    ]
    if meta:
        lines += ["## Evaluation and notes", *(f"- {k}: {v}" for k, v in meta.items()), ""]
    lines += [f"fingerprint: `{config['fingerprint']}`", ""]
    return "\n".join(lines)
