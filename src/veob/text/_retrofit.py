"""retrofit: refine word vectors with a dictionary's synonyms and antonyms."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .._validation import check_int, check_real
from ._word_vectors import WordVectors

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

__all__ = ["retrofit", "lexicon_graph"]

_COLUMNS = 128  # columns solved together by conjugate gradients


def _sym_share(M, total):
    """``M`` (0/1, symmetric CSR) with edge (i, j) weighted ``total / sqrt(d_i d_j)``."""
    degree = np.diff(M.indptr).astype(np.float64)
    inv = 1.0 / np.sqrt(np.maximum(degree, 1.0))
    out = M.astype(np.float64).tocoo()
    out.data = total * inv[out.row] * inv[out.col]
    return out.tocsr()


def _system(S, A, alpha, beta, gamma):
    """The SPD matrix ``alpha I + L(beta S~) + Q(gamma A~)``.

    L is the Laplacian of the synonyms, Q the signless Laplacian of the
    antonyms, both with symmetric degree-normalised weights.
    """
    Ws = _sym_share(S, beta)
    Wa = _sym_share(A, gamma)
    diag = alpha + np.asarray(Ws.sum(axis=1)).ravel() + np.asarray(Wa.sum(axis=1)).ravel()
    M = (sp.diags(diag) - Ws + Wa).tocsr()
    M.sort_indices()
    return M, diag


def _block_cg(M, diag, B, X, n_iter, tol):
    """Solve ``M X = B`` column by column with Jacobi-preconditioned conjugate gradients."""
    from ..decomposition._operator import MatrixOperator

    op = MatrixOperator(M.astype(B.dtype))
    inv_diag = (1.0 / diag).astype(B.dtype)[:, None]
    R = B - op.matmul(X)
    Z = R * inv_diag
    P = Z.copy()
    rz = np.einsum("ij,ij->j", R, Z)
    b_norm = np.maximum(np.linalg.norm(B, axis=0), np.finfo(B.dtype).tiny)
    for _ in range(n_iter):
        if np.all(np.linalg.norm(R, axis=0) <= tol * b_norm):
            break
        MP = op.matmul(P)
        pmp = np.einsum("ij,ij->j", P, MP)
        step = np.divide(rz, pmp, out=np.zeros_like(rz), where=pmp > 0)
        X += P * step
        R -= MP * step
        Z = R * inv_diag
        rz_new = np.einsum("ij,ij->j", R, Z)
        P *= np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz > 0)
        P += Z
        rz = rz_new
    return X


def lexicon_graph(words: Sequence[str], entries: Iterable[Any]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Synonym and antonym edges between the given words, as two symmetric CSR matrices.

    Parameters
    ----------
    words : sequence of str
        The vocabulary (row i is ``words[i]``).
    entries : list of dictionary entries
        :func:`veob.datasets.load_dictionary` entries, dicts with ``word``,
        ``synonyms``, ``antonyms`` keys, or ``(word, synonyms, antonyms)``
        tuples. A headword and each of its synonyms (antonyms) are joined
        when both are in ``words``; the relation is made symmetric and a
        word is never its own neighbour.

    Returns
    -------
    synonyms, antonyms : scipy.sparse.csr_matrix of shape (n_words, n_words)
        0/1 adjacency matrices.

    Examples
    --------
    >>> from veob.text import lexicon_graph
    >>> S, A = lexicon_graph(["big", "large", "small"], [("big", ["large", "huge"], ["small"])])
    >>> S.toarray().tolist(), int(A[2, 0])
    ([[0, 1, 0], [1, 0, 0], [0, 0, 0]], 1)
    """
    from ._dictionary import _check_entries

    index = {w: i for i, w in enumerate(words)}
    pairs: dict[str, tuple[list[int], list[int]]] = {"syn": ([], []), "ant": ([], [])}
    for word, syn, ant in _check_entries(entries):
        i = index.get(word)
        if i is None:
            continue
        for kind, others in (("syn", syn), ("ant", ant)):
            rows, cols = pairs[kind]
            for other in others:
                j = index.get(other)
                if j is not None and j != i:
                    rows.append(i)
                    cols.append(j)
    n = len(index)
    out = []
    for kind in ("syn", "ant"):
        rows, cols = pairs[kind]
        r = np.asarray(rows + cols, dtype=np.int64)
        c = np.asarray(cols + rows, dtype=np.int64)
        M = sp.csr_matrix((np.ones(r.shape[0], dtype=np.int8), (r, c)), shape=(n, n))
        M.data[:] = 1  # duplicates summed by the constructor count once
        M.sort_indices()
        out.append(M)
    return out[0], out[1]


def retrofit(word_vectors: WordVectors, entries: Iterable[Any], *, synonym_weight: float = 2.0,
             antonym_weight: float = 1.0, alpha: float = 1.0, n_iter: int = 50, tol: float = 1e-4,
             normalize: bool = True, expand: bool = False) -> WordVectors:
    r"""Refine word vectors with a dictionary: synonyms pull together, antonyms push apart.

    Retrofitting (Faruqui et al. 2015) extended with antonyms, in closed
    form: the new vectors :math:`q_i` minimise the quadratic

    .. math::

        \sum_i \alpha \|q_i - \hat q_i\|^2
        + \beta \sum_{(i, j) \in S} \frac{\|q_i - q_j\|^2}{\sqrt{d_i d_j}}
        + \gamma \sum_{(i, k) \in A} \frac{\|q_i + q_k\|^2}{\sqrt{a_i a_k}}

    with :math:`\hat q_i` the input vector (scaled to unit length when
    ``normalize``), :math:`S` the synonym pairs, :math:`A` the antonym pairs
    between words of the vocabulary, :math:`d_i` and :math:`a_i` the number
    of synonyms and antonyms of word i (so a word's relations share one
    weight, as in Faruqui et al., symmetrically). An antonym is pulled
    towards the *opposite* of the other word: the penalty removes the
    component the two share and keeps the one that tells them apart, so
    the cosine of antonym pairs drops (SimLex-style similarity rates them
    low) without a margin or a gradient. Setting the gradient to zero gives
    the sparse symmetric positive-definite system

    .. math:: (\alpha I + \beta L_S + \gamma |L|_A)\, Q = \alpha \hat Q,

    with :math:`L_S` the normalised Laplacian of the synonym graph and
    :math:`|L|_A` the signless one of the antonym graph, solved by
    Jacobi-preconditioned conjugate gradients, 128 columns at a time
    (sparse products in numba, parallel over rows; memory is a few
    copies of one block of columns). Words without dictionary neighbours
    keep their (normalised) vectors.

    Parameters
    ----------
    word_vectors : WordVectors
        Vectors from any source (e.g. ``ContextEmbedder().fit(...).word_vectors_``
        or :meth:`WordVectors.load_word2vec_format`).
    entries : list of dictionary entries
        :func:`veob.datasets.load_dictionary` entries, dicts or
        ``(word, synonyms, antonyms)`` tuples.
    synonym_weight : float, default=2.0
        :math:`\beta \ge 0`. The defaults (2 and 1) scored best on the
        development sets: similarity (SimVerb, RG-65, YP-130, VERB-143) up
        by 0.15 on average, relatedness (MEN, MTurk-771) up as well
        (``docs/text.md``).
    antonym_weight : float, default=1.0
        :math:`\gamma \ge 0` (0: plain retrofitting).
    alpha : float, default=1.0
        :math:`\alpha > 0`, the pull towards the input vectors.
    n_iter : int, default=50
        Maximum conjugate-gradient iterations.
    tol : float, default=1e-4
        Stop when every column's residual is below ``tol`` times its
        right-hand side.
    normalize : bool, default=True
        Scale the input vectors to unit length first.
    expand : bool, default=False
        Also give a vector to the dictionary words that are not in the
        vocabulary but are synonyms of at least one word that is: its
        input vector :math:`\hat q_i` is the mean of those synonyms'
        (normalised) vectors, and it then takes part in the system like
        every other word. The new words come after the vocabulary, in the
        dictionary's order.

    Returns
    -------
    retrofitted : WordVectors
        The same words, in the same order, with the new vectors (followed
        by the added words when ``expand``).

    See Also
    --------
    lexicon_graph : The synonym and antonym edges used.
    DictionaryEmbedder : Vectors from the dictionary alone.

    References
    ----------
    .. [1] M. Faruqui et al., "Retrofitting word vectors to semantic
       lexicons", NAACL 2015.
    .. [2] N. Mrkšić et al., "Counter-fitting word vectors to linguistic
       constraints", NAACL 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from veob.text import WordVectors, retrofit
    >>> wv = WordVectors(["hot", "cold", "warm"], np.array([[1.0, 0.2], [0.9, 0.4], [0.2, 1.0]]))
    >>> new = retrofit(wv, [("hot", ["warm"], ["cold"])], antonym_weight=4.0)
    >>> bool(new.similarity("hot", "cold") < wv.similarity("hot", "cold"))
    True
    >>> bool(new.similarity("hot", "warm") > wv.similarity("hot", "warm"))
    True
    """
    if not isinstance(word_vectors, WordVectors):
        raise TypeError(f"word_vectors must be a WordVectors; got {type(word_vectors).__name__}")
    beta = check_real(synonym_weight, "synonym_weight", low=0)
    gamma = check_real(antonym_weight, "antonym_weight", low=0)
    alpha = check_real(alpha, "alpha", low=0, low_inclusive=False)
    n_iter = check_int(n_iter, "n_iter", low=0)
    tol = check_real(tol, "tol", low=0)
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"normalize={normalize!r} must be True or False")
    if not isinstance(expand, (bool, np.bool_)):
        raise TypeError(f"expand={expand!r} must be True or False")
    Q0 = word_vectors.unit_vectors() if normalize else word_vectors.vectors
    dtype = np.float32 if Q0.dtype == np.float32 else np.float64
    Q0 = np.ascontiguousarray(Q0, dtype=dtype)
    words = word_vectors.words.tolist()
    if expand:
        extra, rows = _expansion(words, entries)
        if extra:
            extra_vectors = np.vstack([Q0[r].mean(axis=0) for r in rows]).astype(dtype)
            words = words + extra
            Q0 = np.ascontiguousarray(np.vstack([Q0, extra_vectors]))
    S, A = lexicon_graph(words, entries)
    M, diag = _system(S, A, alpha, beta, gamma)
    Q = np.empty_like(Q0)
    for a in range(0, Q0.shape[1], _COLUMNS):  # columns are independent: bound the CG work arrays
        b = min(Q0.shape[1], a + _COLUMNS)
        block = np.ascontiguousarray(Q0[:, a:b])
        Q[:, a:b] = _block_cg(M, diag, alpha * block, block.copy(), n_iter, tol)
    return WordVectors(np.asarray(words, dtype=str), Q)


def _expansion(words, entries):
    """Dictionary words outside ``words`` with in-vocabulary synonyms: (new words, rows of those synonyms)."""
    from ._dictionary import _check_entries

    index = {w: i for i, w in enumerate(words)}
    neighbours = {}
    order = []
    for word, syn, _ in _check_entries(entries):
        for a, b in ((word, s) for s in syn):
            if a == b or not a or not b or any(ch.isspace() for ch in a + b):
                continue
            for x, y in ((a, b), (b, a)):
                if x not in index and y in index:
                    if x not in neighbours:
                        neighbours[x] = []
                        order.append(x)
                    neighbours[x].append(index[y])
    return order, [sorted(set(neighbours[w])) for w in order]
