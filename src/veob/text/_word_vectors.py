"""WordVectors: a vocabulary with one vector per word, and its queries."""

from __future__ import annotations

import numbers
import os
import weakref
from typing import TYPE_CHECKING

import numpy as np

from .._validation import check_int

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .._typing import ArrayLike, PathLike

__all__ = ["WordVectors", "read_word_pairs"]

# WordVectors -> (words array, {word: row}); never saved
_LOOKUP: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
METRICS = ("cosine", "euclidean")


def _check_words(words, name="words"):
    if isinstance(words, str):
        raise TypeError(f"{name} must be a list or array of str; got a single str")
    arr = np.asarray(words)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "UO":
        raise TypeError(f"{name} has dtype {arr.dtype}; expected str")
    if arr.dtype.kind == "O" and not all(isinstance(w, str) for w in arr.tolist()):
        raise TypeError(f"{name} must hold str only")
    return arr.astype(str) if arr.size else np.array([], dtype=str)


class WordVectors:
    r"""Words and their vectors, with nearest-neighbour and similarity queries.

    Parameters
    ----------
    words : array-like of str of shape (n_words,)
        Distinct words.
    vectors : array-like of shape (n_words, d)
        Finite vectors, one row per word (float32 stays float32, anything
        else becomes float64).

    Attributes
    ----------
    words : ndarray of str of shape (n_words,)
    vectors : ndarray of shape (n_words, d)

    See Also
    --------
    ContextEmbedder, DictionaryEmbedder, OrthographyEmbedder : Estimators whose
        ``word_vectors_`` is a WordVectors.

    Notes
    -----
    The cosine distance is :math:`1 - u \cdot v / (\|u\| \|v\|)` (a zero
    vector has similarity 0 to everything). The state is two arrays, so
    :func:`veob.save` and :func:`veob.load` round-trip it.

    Examples
    --------
    >>> import numpy as np
    >>> from veob.text import WordVectors
    >>> wv = WordVectors(["cat", "dog", "car"], np.array([[1.0, 0.1], [0.9, 0.2], [0.0, 1.0]]))
    >>> [(w, round(d, 3)) for w, d in wv.most_similar("cat", topn=2)]
    [('dog', 0.007), ('car', 0.9)]
    >>> round(wv.similarity("cat", "car"), 3)
    0.1
    >>> wv["dog"].tolist()
    [0.9, 0.2]
    """

    def __init__(self, words: Iterable[str], vectors: ArrayLike) -> None:
        words = _check_words(words)
        vectors = np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D (n_words, d); got shape {vectors.shape}")
        if vectors.dtype.kind not in "biuf":
            raise TypeError(f"vectors has dtype {vectors.dtype}; expected numbers")
        if vectors.shape[0] != words.shape[0]:
            raise ValueError(f"vectors has {vectors.shape[0]} rows but there are {words.shape[0]} words")
        if words.shape[0] == 0 or vectors.shape[1] == 0:
            raise ValueError(f"WordVectors needs at least one word and one dimension; got {vectors.shape}")
        dtype = np.float32 if vectors.dtype == np.float32 else np.float64
        vectors = np.ascontiguousarray(vectors, dtype=dtype)
        if not np.isfinite(vectors).all():
            raise ValueError("vectors contains NaN or infinity")
        if len(set(words.tolist())) != words.shape[0]:
            seen = set()
            for w in words.tolist():
                if w in seen:
                    raise ValueError(f"words must be distinct; {w!r} repeats")
                seen.add(w)
        self.words = words
        self.vectors = vectors

    # ------------------------------------------------------------ lookup
    def _lookup(self):
        cached = _LOOKUP.get(self)
        if cached is None or cached[0] is not self.words:
            cached = (self.words, {w: i for i, w in enumerate(self.words.tolist())})
            _LOOKUP[self] = cached
        return cached[1]

    def __len__(self) -> int:
        return int(self.words.shape[0])

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word in self._lookup()

    @property
    def vector_size(self) -> int:
        """Dimension d of the vectors."""
        return int(self.vectors.shape[1])

    def index(self, word: str) -> int:
        """Row of ``word``; KeyError if it is not in the vocabulary."""
        if not isinstance(word, str):
            raise TypeError(f"word must be a str; got {type(word).__name__}")
        try:
            return self._lookup()[word]
        except KeyError:
            raise KeyError(f"word {word!r} is not in the vocabulary ({len(self):,} words); "
                           f"check `{word!r} in word_vectors` first") from None

    def __getitem__(self, word: str | Sequence[str]) -> np.ndarray:
        if isinstance(word, str):
            return self.vectors[self.index(word)]
        return self.vectors[[self.index(w) for w in word]]

    def __repr__(self):
        return f"WordVectors(n_words={len(self)}, vector_size={self.vector_size})"

    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to unit Euclidean norm (zero rows stay zero)."""
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        return self.vectors / np.where(norms > 0, norms, 1).astype(self.vectors.dtype)

    # ------------------------------------------------------------ word2vec files
    def save_word2vec_format(self, path: PathLike, *, binary: bool = False) -> str:
        """Write the vectors in the word2vec format (gensim's ``KeyedVectors`` reads it).

        Parameters
        ----------
        path : str or path-like
            The file to write (replaced atomically: a failure leaves no
            partial file).
        binary : bool, default=False
            The binary format (float32 bytes) instead of text.

        Returns
        -------
        path : str

        Notes
        -----
        The bytes are those of gensim's ``save_word2vec_format``: the
        header ``"<n_words> <dim>"``, then one line per word with the
        ``str`` of each float32 value (text), or the word, a space and the
        little-endian float32 vector (binary). Vectors are written as
        float32. Words must hold no whitespace.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from veob.text import WordVectors
        >>> wv = WordVectors(["cat", "dog"], np.array([[0.5, 1.0], [0.25, -2.0]], dtype=np.float32))
        >>> path = wv.save_word2vec_format(os.path.join(tempfile.mkdtemp(), "vectors.txt"))
        >>> print(open(path).read(), end="")
        2 2
        cat 0.5 1.0
        dog 0.25 -2.0
        >>> [w for w, _ in WordVectors.load_word2vec_format(path).most_similar("cat", topn=1)]
        ['dog']
        """
        from ._word2vec import write_word2vec

        if not isinstance(binary, (bool, np.bool_)):
            raise TypeError(f"binary={binary!r} must be True or False")
        return write_word2vec(path, self.words.tolist(), self.vectors, binary=bool(binary))

    @classmethod
    def load_word2vec_format(cls, path: PathLike, *, binary: bool | None = None,
                             limit: int | None = None) -> WordVectors:
        """Read a word2vec text or binary file (as written by gensim or the C tool).

        Parameters
        ----------
        path : str or path-like
            The file.
        binary : bool or None, default=None
            The format; None detects it from the first record.
        limit : int, optional
            Read only the first ``limit`` words.

        Returns
        -------
        word_vectors : WordVectors
            float32 vectors.

        Raises
        ------
        ValueError
            Naming the line (text) or record (binary) that is malformed,
            holds NaN or infinity, or is missing; nothing is loaded then.
        FileNotFoundError
            When ``path`` does not exist.

        Examples
        --------
        >>> import os, tempfile
        >>> from veob.text import WordVectors
        >>> path = os.path.join(tempfile.mkdtemp(), "v.txt")
        >>> _ = open(path, "w").write("2 3\\nsun 1 0 0\\nmoon 0.5 0.5 0\\n")
        >>> WordVectors.load_word2vec_format(path)
        WordVectors(n_words=2, vector_size=3)
        """
        from ._word2vec import read_word2vec

        if binary is not None and not isinstance(binary, (bool, np.bool_)):
            raise TypeError(f"binary={binary!r} must be True, False or None (detect)")
        if limit is not None:
            limit = check_int(limit, "limit", low=1)
        words, vectors = read_word2vec(path, binary=binary, limit=limit)
        if not words:
            raise ValueError(f"{os.fspath(path)}: the file holds no word")
        return cls(words, vectors)

    # ------------------------------------------------------------ queries
    def _query_vector(self, word_or_vector):
        if isinstance(word_or_vector, str):
            return self.vectors[self.index(word_or_vector)], self.index(word_or_vector)
        q = np.asarray(word_or_vector)
        if q.dtype.kind not in "biuf" or q.ndim != 1 or q.shape[0] != self.vector_size:
            raise ValueError(
                f"word_or_vector must be a word (str) or a vector of shape ({self.vector_size},); "
                f"got {type(word_or_vector).__name__} of shape {getattr(q, 'shape', None)}"
            )
        if not np.isfinite(q).all():
            raise ValueError("word_or_vector contains NaN or infinity")
        return q.astype(self.vectors.dtype), None

    def most_similar(self, word_or_vector, topn=10, index=None, *, metric="cosine", include_query=False):
        r"""The ``topn`` nearest words, closest first.

        Parameters
        ----------
        word_or_vector : str or ndarray of shape (d,)
            A word of the vocabulary or a query vector.
        topn : int, default=10
            Number of neighbours returned.
        index : fitted nearest-neighbour index, optional
            Anything with ``kneighbors(Q, n_neighbors, return_distance=True)
            -> (distances, indices)`` over the rows of this object, such as a
            fitted :class:`veob.partition.CellIndex`: fitted on
            ``unit_vectors()`` for ``metric="cosine"`` (its Euclidean
            distance :math:`\delta` is reported as the cosine distance
            :math:`\delta^2 / 2`) or on ``vectors`` for ``"euclidean"``.
            None searches by brute force (exact).
        metric : {"cosine", "euclidean"}, default="cosine"
            Distance reported (and ranked by).
        include_query : bool, default=False
            Whether a query word is listed (at distance 0, first, as in the
            paper's tables). Left out by default, as gensim's
            ``KeyedVectors.most_similar`` does; a query vector is never
            matched to a word, so every row counts.

        Returns
        -------
        neighbours : list of (str, float)
            ``(word, distance)`` pairs, ascending distance.

        Examples
        --------
        >>> import numpy as np
        >>> from veob.text import WordVectors
        >>> wv = WordVectors(["a", "b", "c"], np.eye(3))
        >>> wv.most_similar("a", topn=2, metric="euclidean")
        [('b', 1.4142135623730951), ('c', 1.4142135623730951)]
        >>> wv.most_similar("a", topn=2, include_query=True)
        [('a', 0.0), ('b', 1.0)]
        """
        topn = check_int(topn, "topn", low=1)
        if metric not in METRICS:
            raise ValueError(f"metric={metric!r} is not supported; choose one of {METRICS}")
        q, qi = self._query_vector(word_or_vector)
        skip = qi if (qi is not None and not include_query) else None
        k = min(topn + (skip is not None), len(self))
        if index is not None:
            if not hasattr(index, "kneighbors"):
                raise TypeError("index must have a kneighbors method (e.g. a fitted CellIndex); "
                                f"got {type(index).__name__}")
            query = q
            if metric == "cosine":
                norm = np.linalg.norm(q)
                query = q / norm if norm > 0 else q
            dist, idx = index.kneighbors(query[None, :].astype(self.vectors.dtype), n_neighbors=k,
                                         return_distance=True)
            dist, idx = np.asarray(dist)[0].astype(np.float64), np.asarray(idx)[0].astype(np.int64)
            if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
                raise ValueError(f"index returned row {idx.max()}, but there are {len(self)} words; "
                                 "fit it on this object's vectors")
            if metric == "cosine":
                dist = dist ** 2 / 2.0
        else:
            dist = self._distances(q, metric)
            k = min(k, dist.shape[0])
            idx = np.argpartition(dist, k - 1)[:k] if k < dist.shape[0] else np.arange(dist.shape[0])
            idx = idx[np.lexsort((idx, dist[idx]))]
            dist = dist[idx]
        if metric == "cosine" and qi is not None:
            dist = np.where(idx == qi, 0.0, dist)  # exact zero for the query itself
        out = [(str(self.words[i]), float(d)) for i, d in zip(idx, dist) if i != skip]
        return out[:topn]

    def _distances(self, q, metric):
        V = self.vectors
        if metric == "euclidean":
            out = np.empty(V.shape[0], dtype=np.float64)
            step = max(1, (1 << 22) // V.shape[1])
            for a in range(0, V.shape[0], step):
                out[a:a + step] = np.linalg.norm(V[a:a + step] - q, axis=1)
            return out
        norms = np.linalg.norm(V, axis=1).astype(np.float64)
        qn = float(np.linalg.norm(q))
        dots = (V @ q).astype(np.float64)
        denom = norms * qn
        cos = np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
        return np.clip(1.0 - cos, 0.0, 2.0)

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words (0 if either vector is zero).

        Examples
        --------
        >>> import numpy as np
        >>> from veob.text import WordVectors
        >>> WordVectors(["x", "y"], np.array([[1.0, 0.0], [1.0, 1.0]])).similarity("x", "y")
        0.7071067811865475
        """
        a = self.vectors[self.index(w1)].astype(np.float64)
        b = self.vectors[self.index(w2)].astype(np.float64)
        denom = np.linalg.norm(a) * np.linalg.norm(b)
        return float(a @ b / denom) if denom > 0 else 0.0

    def similarities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Cosine similarities of word pairs (NaN where a word is missing)."""
        lookup = self._lookup()
        U = self.unit_vectors()
        out = np.full(len(pairs), np.nan)
        for n, (a, b) in enumerate(pairs):
            i, j = lookup.get(a), lookup.get(b)
            if i is not None and j is not None:
                out[n] = float(U[i].astype(np.float64) @ U[j].astype(np.float64))
        return out

    def evaluate_word_pairs(self, pairs_or_path: PathLike | Iterable[tuple[str, str, float]], *,
                            delimiter: str | None = None,
                            case_insensitive: bool = True) -> tuple[float, float, int]:
        r"""Correlation of cosine similarities with graded word-pair scores.

        Parameters
        ----------
        pairs_or_path : str, path-like or iterable of (str, str, float)
            A file with one ``word1 word2 score`` per line (tab or space
            separated; blank lines and lines starting with ``#`` are
            skipped) or the triples themselves.
        delimiter : str, optional
            Field separator of the file. Default: a tab if the line has
            one, else any whitespace.
        case_insensitive : bool, default=True
            Lower-case the pair words before the lookup.

        Returns
        -------
        spearman : float
            Spearman rank correlation over the pairs whose two words are
            in the vocabulary (NaN if fewer than 2).
        pearson : float
            Pearson correlation over the same pairs.
        n_oov : int
            Number of pairs skipped because a word is missing.

        Examples
        --------
        >>> import numpy as np
        >>> from veob.text import WordVectors
        >>> wv = WordVectors(["a", "b", "c"], np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]))
        >>> rho, r, n_oov = wv.evaluate_word_pairs([("a", "b", 8.0), ("a", "c", 1.0),
        ...                                         ("b", "c", 5.0), ("a", "zzz", 3.0)])
        >>> round(rho, 3), n_oov
        (1.0, 1)
        """
        from scipy.stats import pearsonr, spearmanr

        if isinstance(pairs_or_path, (str, os.PathLike)):
            pairs = read_word_pairs(pairs_or_path, delimiter=delimiter)
        else:
            pairs = _check_pairs(pairs_or_path)
        if case_insensitive:
            pairs = [(a.lower(), b.lower(), s) for a, b, s in pairs]
        sims = self.similarities([(a, b) for a, b, _ in pairs])
        scores = np.array([s for _, _, s in pairs], dtype=np.float64)
        ok = ~np.isnan(sims)
        n_oov = int((~ok).sum())
        if ok.sum() < 2:
            return float("nan"), float("nan"), n_oov
        x, y = sims[ok], scores[ok]
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            return float("nan"), float("nan"), n_oov
        return float(spearmanr(x, y)[0]), float(pearsonr(x, y)[0]), n_oov


def _check_pairs(pairs):
    try:
        items = list(pairs)
    except TypeError:
        raise TypeError(f"pairs_or_path must be a path or an iterable of (word1, word2, score); "
                        f"got {type(pairs).__name__}") from None
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) != 3:
            raise ValueError(f"pair {i} is {item!r}; expected (word1, word2, score)")
        a, b, s = item
        if not isinstance(a, str) or not isinstance(b, str):
            raise TypeError(f"pair {i} is {item!r}; the words must be str")
        if not isinstance(s, numbers.Real) or isinstance(s, bool):
            raise TypeError(f"pair {i} is {item!r}; the score must be a number")
        out.append((a, b, float(s)))
    return out


def read_word_pairs(path: PathLike, *, delimiter: str | None = None) -> list[tuple[str, str, float]]:
    """Read ``word1 word2 score`` lines (tab or space separated, ``#`` comments).

    Parameters
    ----------
    path : str or path-like
        The file (UTF-8).
    delimiter : str, optional
        Field separator; default a tab if the line has one, else whitespace.

    Returns
    -------
    pairs : list of (str, str, float)

    Examples
    --------
    >>> import os, tempfile
    >>> from veob.text import read_word_pairs
    >>> path = os.path.join(tempfile.mkdtemp(), "pairs.txt")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write("# a comment\\ncar\\tautomobile\\t8.9\\n\\nbird crane 2\\n")
    >>> read_word_pairs(path)
    [('car', 'automobile', 8.9), ('bird', 'crane', 2.0)]
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like; got {type(path).__name__}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"word-pair file {os.fspath(path)!r} does not exist; expected lines "
                                "'word1 word2 score' (tab or space separated, '#' comments)")
    pairs = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            sep = delimiter if delimiter is not None else ("\t" if "\t" in line else None)
            fields = [f.strip() for f in line.split(sep)]
            if len(fields) != 3:
                raise ValueError(f"{os.fspath(path)!r} line {lineno}: {line!r} has {len(fields)} fields; "
                                 "expected 'word1 word2 score'")
            try:
                score = float(fields[2])
            except ValueError:
                raise ValueError(f"{os.fspath(path)!r} line {lineno}: score {fields[2]!r} is not a number") from None
            pairs.append((fields[0], fields[1], score))
    return pairs
