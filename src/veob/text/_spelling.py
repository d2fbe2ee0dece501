"""SpellingCorrector: misspellings corrected from the nearest orthography vectors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from .._threads import jobs_for_work, thread_limits
from .._validation import check_int, check_real, check_str_list
from . import _spelling_kernels as _kernels
from ._corpus import Corpus
from ._orthography import OrthographyEmbedder

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .._typing import ArrayLike, RandomStateLike

__all__ = ["SpellingCorrector", "DEFAULT_EDIT_COSTS"]

#: Edit costs of the score, chosen on the spelling development set (docs/text.md, section 2).
DEFAULT_EDIT_COSTS = {
    "substituted": 1.2,  # a letter written as another letter
    "vowel": 0.7,  # a vowel written as another vowel (a e i o u y)
    "omitted": 0.5,  # a letter of the word left out
    "inserted": 1.2,  # an extra letter
    "doubled": 0.4,  # a doubled letter written once, or a letter written twice
    "transposed": 1.0,  # two adjacent letters swapped
    "first": 1.0,  # at least this for any edit of the first letter
}
_COST_INDEX = {"substituted": _kernels.COST_SUBSTITUTED, "vowel": _kernels.COST_VOWEL,
               "omitted": _kernels.COST_OMITTED, "inserted": _kernels.COST_INSERTED,
               "doubled": _kernels.COST_DOUBLED, "transposed": _kernels.COST_TRANSPOSED,
               "first": _kernels.COST_FIRST}
# queries per kernel call (and progress-bar step)
CHUNK = 16384
# counts below this enter the prior as this (a word counted 0 times is not -inf)
MIN_COUNT_FLOOR = 1e-12


def _check_words(words, name, *, allow_str=False):
    """A list of non-empty str (or one str when ``allow_str``); errors name the first bad position."""
    if allow_str and isinstance(words, str):
        items = [words]
    else:
        items = check_str_list(words, name, what="word")
    for i, w in enumerate(items):
        if not w:
            where = name if allow_str and isinstance(words, str) else f"{name}[{i}]"
            raise ValueError(f"{where} is an empty string; every word needs at least one character")
    return items


def _codes(words):
    """Ragged code points ``(codes, offsets)`` of the words (int32 / int64)."""
    lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).astype(np.int32)
    return codes, offsets


def _unit_rows(X):
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.ascontiguousarray(X / np.where(norms > 0, norms, 1).astype(np.float32))


def _match_case(original, word):
    """``word`` in the case pattern of ``original`` (UPPER, Title or as is)."""
    if len(original) > 1 and original.isupper():
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class SpellingCorrector(BaseEstimator):
    r"""Spelling corrector: nearest orthography vectors, re-ranked by a closed-form score.

    ``fit`` embeds a vocabulary with :class:`OrthographyEmbedder` (letter
    spectra -> SVD), normalises the vectors and indexes them with a
    :class:`veob.partition.CellIndex`. A word that is in the vocabulary is
    its own correction; any other word is embedded from its letters, its
    ``n_candidates`` most similar vocabulary words are taken from the
    ``n_probe`` nearest cells, and the best of them by the score below wins.

    Parameters
    ----------
    n_candidates : int, default=64
        Shortlist length: vocabulary words re-ranked per misspelling.
    n_probe : int, default=128
        Cells (with the nearest centres) scanned for the shortlist; more
        cells scan more words (slower, finds more of the true nearest).
    distance_weight : float, default=6.0
        Weight :math:`\alpha` of the cosine distance in the score.
    prior_weight : float, default=0.15
        Weight :math:`\beta` of the log count (the unigram prior).
    edit_costs : dict or None, default=None
        Costs of the edit operations (keys of :data:`DEFAULT_EDIT_COSTS`:
        ``substituted, vowel, omitted, inserted, doubled, transposed,
        first``); missing keys take the defaults.
    max_edit_cost : float, default=4.0
        The edit cost is bounded by this value (a candidate needing more is
        scored as if it cost exactly this; its computation stops early).
    min_count : int or float, default=1
        Words counted fewer times are left out of the vocabulary.
    lowercase : bool, default=True
        Compare lower-cased words (the vocabulary is lower-cased in ``fit``,
        duplicates' counts are added); a correction takes the case pattern
        of the query (UPPER, Title, lower).
    embedder : OrthographyEmbedder or None, default=None
        Unfitted embedder to clone. None: ``OrthographyEmbedder()`` (its
        dimension capped at the vocabulary size).
    max_level, min_samples : int, default=12, 100
        Depth limit and smallest splittable cell of the :class:`CellIndex`.
    random_state : int, RandomState instance or None, default=None
        Seed of the embedder's and the index's randomized steps.
    n_jobs : int or None, default=None
        Threads of the search (None: leave the numba setting, -1: all cores).

    Attributes
    ----------
    words_ : ndarray of str, shape (n_words,)
        The vocabulary, by descending count (ties alphabetical).
    counts_ : ndarray of shape (n_words,)
        Their counts (float64).
    embedder_ : OrthographyEmbedder
        Fitted on ``words_`` (its ``word_vectors_`` rows follow ``words_``).
    index_ : CellIndex
        Fitted on the unit vectors of ``words_``; its cells are the ones the
        search scans.

    See Also
    --------
    OrthographyEmbedder : The vectors.
    veob.partition.CellIndex : The cells.

    Notes
    -----
    For a misspelling q and a vocabulary word w with count :math:`n_w`,

    .. math::

        \mathrm{score}(w \mid q) = -\alpha\,(1 - \cos(v_q, v_w))
            + \beta \log n_w - \min(E(q, w), E_{\max}),

    a noisy-channel log-probability up to constants: the prior
    :math:`\log P(w) = \log n_w + c`, with temperature :math:`\beta`, and
    the channel :math:`\log P(q \mid w)` from two views of the spelling,
    the cosine of the orthography vectors and a weighted Damerau-Levenshtein
    (optimal string alignment) cost E: the cheapest sequence of
    substitutions, omissions, insertions and adjacent transpositions that
    turns w into q, with the costs of ``edit_costs`` (a vowel for a vowel
    costs less than another substitution, a doubled letter written once or
    a letter written twice less than another omission or insertion, and no
    edit of the first letter costs less than ``first``). E is bounded by
    :math:`E_{\max}`: its dynamic programme stops as soon as two
    consecutive rows exceed it. Only the shortlist is scored, so the exact
    check costs ``n_candidates`` small dynamic programmes per word. The
    weights were chosen on the spelling development set (53,565 real
    misspellings, split in two halves; docs/text.md), never on the test
    misspellings.

    The shortlist comes from the cells of :attr:`index_`: the ``n_probe``
    cells with the nearest centres are scanned (further cells while fewer
    than ``n_candidates`` words were seen), by a float32 dot-product kernel
    over the unit vectors; the result equals ``index_.kneighbors`` with the
    same ``n_probe`` (up to rounding ties), which measures distances in
    float64 behind exact-search filters and is slower for this use.

    The parameters of the search and of the score (``n_candidates``,
    ``n_probe``, the weights, ``edit_costs``, ``max_edit_cost``) are read
    at query time, so ``set_params`` changes them without refitting.
    Counts below 1e-12 enter the prior as 1e-12.

    Everything is deterministic: the same vocabulary, counts and
    ``random_state`` give the same corrections and scores, in any batch
    order and with any number of threads.

    References
    ----------
    .. [1] M. D. Kernighan, K. W. Church and W. A. Gale, "A spelling
       correction program based on a noisy channel model", COLING 1990.
    .. [2] P. Norvig, "How to write a spelling corrector", 2007.

    Examples
    --------
    >>> from veob.text import SpellingCorrector
    >>> words = ["the", "there", "their", "spelling", "spell", "spelled", "corrector", "correct",
    ...          "correction", "vector", "vectors", "letter", "letters", "embedding", "word", "words"]
    >>> counts = [500, 80, 70, 12, 9, 4, 2, 30, 10, 8, 6, 25, 20, 3, 60, 40]
    >>> speller = SpellingCorrector(random_state=0).fit(words, counts)
    >>> speller.correct(["speling", "vectrs", "Teh", "embeding", "word"])
    ['spelling', 'vectors', 'The', 'embedding', 'word']
    >>> [w for w, score in speller.candidates("leter", k=3)]
    ['letter', 'letters', 'there']
    """

    def __init__(self, *, n_candidates: int = 64, n_probe: int = 128, distance_weight: float = 6.0,
                 prior_weight: float = 0.15, edit_costs: Mapping[str, float] | None = None,
                 max_edit_cost: float = 4.0, min_count: int = 1, lowercase: bool = True,
                 embedder: OrthographyEmbedder | None = None, max_level: int = 12, min_samples: int = 100,
                 random_state: RandomStateLike = None, n_jobs: int | None = None) -> None:
        self.n_candidates = n_candidates
        self.n_probe = n_probe
        self.distance_weight = distance_weight
        self.prior_weight = prior_weight
        self.edit_costs = edit_costs
        self.max_edit_cost = max_edit_cost
        self.min_count = min_count
        self.lowercase = lowercase
        self.embedder = embedder
        self.max_level = max_level
        self.min_samples = min_samples
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------ parameters
    def _check_params(self):
        check_int(self.n_candidates, "n_candidates", low=1)
        check_int(self.n_probe, "n_probe", low=1)
        check_real(self.distance_weight, "distance_weight", low=0)
        check_real(self.prior_weight, "prior_weight", low=0)
        check_real(self.max_edit_cost, "max_edit_cost", low=0, low_inclusive=False)
        check_real(self.min_count, "min_count", low=0)
        if not isinstance(self.lowercase, (bool, np.bool_)):
            raise TypeError(f"lowercase={self.lowercase!r} must be True or False")
        if self.embedder is not None and not isinstance(self.embedder, OrthographyEmbedder):
            raise TypeError(f"embedder must be an OrthographyEmbedder or None; got {type(self.embedder).__name__}")
        return self._resolved_costs()

    def _resolved_costs(self):
        costs = dict(DEFAULT_EDIT_COSTS)
        if self.edit_costs is not None:
            if not isinstance(self.edit_costs, dict):
                raise TypeError(f"edit_costs must be a dict of cost name -> number or None; "
                                f"got {type(self.edit_costs).__name__}")
            unknown = sorted(set(self.edit_costs) - set(DEFAULT_EDIT_COSTS), key=str)
            if unknown:
                raise ValueError(f"edit_costs has unknown key {unknown[0]!r}; the keys are "
                                 f"{', '.join(DEFAULT_EDIT_COSTS)}")
            for name, value in self.edit_costs.items():
                costs[name] = check_real(value, f"edit_costs[{name!r}]", low=0)
        return costs

    @staticmethod
    def _cost_array(costs):
        arr = np.empty(_kernels.N_COSTS)
        for name, i in _COST_INDEX.items():
            arr[i] = costs[name]
        return arr

    # ------------------------------------------------------------ fit
    def _vocabulary(self, words, counts):
        if isinstance(words, Corpus):
            if counts is not None:
                raise ValueError("counts must be None when words is a Corpus (its counts are used)")
            words, counts = words.words.tolist(), words.counts
        words = _check_words(words, "words")
        if counts is None:
            counts = np.ones(len(words))
        else:
            if isinstance(counts, (str, bytes)):
                raise TypeError("counts must be an array of numbers, one per word; got a str")
            try:
                counts = np.asarray(counts, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError("counts must be an array of numbers, one per word") from None
            if counts.shape != (len(words),):
                raise ValueError(f"counts has shape {counts.shape}; expected ({len(words)},), one per word")
            bad = np.flatnonzero(~np.isfinite(counts) | (counts < 0))
            if bad.size:
                raise ValueError(f"counts[{bad[0]}]={float(counts[bad[0]])!r} must be a finite number >= 0")
        if self.lowercase:
            words = [w.lower() for w in words]
        names, inverse = np.unique(np.asarray(words, dtype=str), return_inverse=True)
        totals = np.bincount(inverse.ravel(), weights=counts, minlength=names.shape[0])
        keep = totals >= self.min_count
        if not keep.any():
            raise ValueError(f"no word is counted min_count={self.min_count!r} times or more "
                             f"(the largest count is {totals.max():g}); lower min_count")
        names, totals = names[keep], totals[keep]
        order = np.lexsort((names, -totals))  # by count, ties alphabetical
        return names[order], totals[order]

    def fit(self, words: Sequence[str] | Corpus, counts: ArrayLike | None = None) -> SpellingCorrector:
        """Fit on a vocabulary and its counts; returns self.

        Parameters
        ----------
        words : list of str or Corpus
            The vocabulary (non-empty strings; repeats are added up), or a
            :class:`Corpus` (its ``words`` and ``counts``).
        counts : array-like of shape (n_words,) or None, default=None
            How often each word was seen (numbers >= 0); None counts each
            word once (no prior).
        """
        self._check_params()
        names, totals = self._vocabulary(words, counts)
        if self.embedder is None:
            embedder = OrthographyEmbedder(random_state=self.random_state)
            embedder.set_params(n_components=min(embedder._settings()["n_components"], names.shape[0]))
        else:
            embedder = clone(self.embedder)
        embedder.fit(names.tolist())
        from ..partition import CellIndex

        unit = _unit_rows(embedder.word_vectors_.vectors)
        index = CellIndex(self.max_level, self.min_samples, n_probe=self.n_probe, random_state=self.random_state,
                          n_jobs=self.n_jobs).fit(unit)
        part = index.partition_
        self.words_ = names
        self.counts_ = totals
        self.embedder_ = embedder
        self.index_ = index
        self._cell_vectors = np.ascontiguousarray(unit[part.cell_indices_])
        self._cell_rows = np.ascontiguousarray(part.cell_indices_, dtype=np.int64)
        self._cell_ptr = np.ascontiguousarray(part.cell_indptr_, dtype=np.int64)
        self._centers = np.ascontiguousarray(part.cell_centers_, dtype=np.float32)
        self._center_sq = np.einsum("ij,ij->i", self._centers, self._centers).astype(np.float32)
        self._codes, self._offsets = _codes(names.tolist())
        self._max_len = int(np.diff(self._offsets).max())
        self._log_counts = np.log(np.maximum(totals, MIN_COUNT_FLOOR))
        return self

    # ------------------------------------------------------------ queries
    def _known(self, keys):
        """Vocabulary row of each key, -1 when unknown."""
        lookup = self.embedder_.word_vectors_._lookup()
        return np.fromiter((lookup.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))

    def _rank(self, keys, n_out):
        """(scores, rows) of shape (len(keys), n_out) from the kernel, for lower-cased distinct keys."""
        costs = self._cost_array(self._check_params())
        n_words = self.words_.shape[0]
        n_cand = min(max(int(self.n_candidates), n_out), n_words)
        n_probe = int(self.n_probe)
        Q = _unit_rows(self.embedder_.transform(keys))
        q_codes, q_offsets = _codes(keys)
        scores = np.empty((len(keys), n_out))
        rows = np.empty((len(keys), n_out), dtype=np.int64)
        work = len(keys) * n_cand * (self._centers.shape[1] + 64) * max(1, n_probe)
        with thread_limits(jobs_for_work(self.n_jobs, work), blas=False):
            _kernels.rank_candidates(Q, q_codes, q_offsets, self._cell_vectors, self._cell_rows, self._cell_ptr,
                                     self._centers, self._center_sq, self._codes, self._offsets, self._log_counts,
                                     costs, float(self.max_edit_cost), float(self.distance_weight),
                                     float(self.prior_weight), n_probe, n_cand, self._max_len, scores, rows)
        return scores, rows

    def _keys(self, words):
        return [w.lower() for w in words] if self.lowercase else list(words)

    def correct(self, words: Sequence[str], *, progress: bool = True) -> list[str]:
        """The correction of each word (a vocabulary word stays itself).

        Parameters
        ----------
        words : list of str
            Non-empty words.
        progress : bool, default=True
            Show a tqdm progress bar when more than 16,384 words are to be
            corrected (if tqdm is installed).

        Returns
        -------
        corrections : list of str
            One per word, in the case pattern of the word (with
            ``lowercase=True``).
        """
        check_is_fitted(self, "index_")
        words = _check_words(words, "words")
        keys = self._keys(words)
        known = self._known(keys)
        out = list(words)
        todo = sorted({k for k, r in zip(keys, known) if r < 0})
        fixed: dict[str, str] = {}
        steps = range(0, len(todo), CHUNK)
        if progress and len(todo) > CHUNK:
            try:
                from tqdm.auto import tqdm

                steps = tqdm(steps, desc="correct", unit="chunk", leave=False)
            except ImportError:  # pragma: no cover - tqdm is an optional extra
                pass
        for a in steps:
            chunk = todo[a:a + CHUNK]
            _, rows = self._rank(chunk, 1)
            fixed.update(zip(chunk, self.words_[rows[:, 0]].tolist()))
        for i, (w, k, r) in enumerate(zip(words, keys, known)):
            if r < 0:
                out[i] = _match_case(w, fixed[k]) if self.lowercase else fixed[k]
        return out

    def predict(self, words: Sequence[str]) -> np.ndarray:
        """:meth:`correct` as an array (scikit-learn's name)."""
        return np.asarray(self.correct(words, progress=False), dtype=str)

    def candidates(self, words: str | Sequence[str],
                   k: int = 10) -> list[tuple[str, float]] | list[list[tuple[str, float]]]:
        """The k best corrections of a word (or of each word of a list), with their scores.

        Parameters
        ----------
        words : str or list of str
            One word, or a list of words.
        k : int, default=10
            Number of candidates (fewer when the vocabulary is smaller).

        Returns
        -------
        candidates : list of (str, float), or a list of them for a list
            Best first, with the score of the Notes. A vocabulary word is
            its own first candidate (whatever its score), as in
            :meth:`correct`. Words are lower-cased with ``lowercase=True``.
        """
        check_is_fitted(self, "index_")
        single = isinstance(words, str)
        items = _check_words(words, "words", allow_str=True)
        k = check_int(k, "k", low=1)
        keys = self._keys(items)
        k = min(k, self.words_.shape[0])
        distinct = sorted(set(keys))
        scores, rows = self._rank(distinct, k)
        known = self._known(distinct)
        table = {}
        for key, sc, rw, own in zip(distinct, scores, rows, known):
            pairs = [(int(r), float(s)) for r, s in zip(rw, sc) if r >= 0]
            if own >= 0:
                mine = [p for p in pairs if p[0] == own]
                if not mine:  # not among the k best: its score (cosine 1, no edit) is the prior alone
                    mine = [(int(own), float(self.prior_weight) * float(self._log_counts[own]))]
                pairs = mine + [p for p in pairs if p[0] != own]
            table[key] = [(str(self.words_[r]), s) for r, s in pairs[:k]]
        result = [table[key] for key in keys]
        return result[0] if single else result
