"""DictionaryEmbedder: word vectors from a dictionary's synonyms and antonyms (paper section 6.4)."""

from __future__ import annotations

from itertools import chain

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, check_random_state, check_real
from ..datasets._base import gc_paused
from ..datasets._dictionary import DictionaryEntry
from ..decomposition import svd, svd_error
from ._evaluation import entry_fields
from ._orthography import OrthographyEmbedder
from ._word_vectors import WordVectors

__all__ = ["DictionaryEmbedder"]

PRESETS = (None, "paper")
ANTONYM_MODES = ("separate", "shared")
NORMALIZATIONS = ("none", "symmetric")

# the paper's settings; the defaults (preset=None) are the best on our similarity proxy
# coordinates per relation column of the sketch of the small components
_SKETCH_NNZ = 8

_PAPER = dict(rows="headwords", symmetric=False, normalization="none", antonyms="separate",
              antonym_weight=1.0, ortho_weight="paper", eig_power=1.0, small_components="project")


def _check_entries(entries):
    """Validated ``(word, synonyms, antonyms)`` of the entries, first occurrence of each word, no empty strings.

    The types are checked in bulk (one set of the types of all synonyms, built
    in C); the entry at fault is looked up only when the check fails.
    """
    if isinstance(entries, (str, bytes)):
        raise TypeError("entries must be a list of dictionary entries (veob.datasets.load_dictionary()); got a str")
    try:
        items = list(entries)
    except TypeError:
        raise TypeError(f"entries must be a list of dictionary entries; got {type(entries).__name__}") from None
    if not items:
        raise ValueError("entries is empty; at least one dictionary entry is required")
    words, syns, ants = [], [], []
    for e in items:
        if isinstance(e, DictionaryEntry):  # the loader's entries: no copy of the meanings (nor of lists)
            word, syn, ant = e.word, e.synonyms or (), e.antonyms or ()
            if type(syn) is not list and type(syn) is not tuple:
                syn = list(syn)
            if type(ant) is not list and type(ant) is not tuple:
                ant = list(ant)
        else:
            word, syn, ant, _ = entry_fields(e)
        words.append(word)
        syns.append(syn)
        ants.append(ant)
    if set(map(type, words)) != {str} or "" in words:
        i = next(i for i, w in enumerate(words) if not isinstance(w, str) or not w)
        raise TypeError(f"entries[{i}] has word {words[i]!r}; expected a non-empty str")
    for name, values in (("synonyms", syns), ("antonyms", ants)):
        types = set(map(type, chain.from_iterable(values)))
        if types - {str} and not all(isinstance(v, str) for v in chain.from_iterable(values)):
            i = next(i for i, vs in enumerate(values) if not all(isinstance(v, str) for v in vs))
            raise TypeError(f"entries[{i}] ({words[i]!r}) has non-str {name}")
    out = list(zip(words, syns, ants))
    if len(set(words)) < len(words):  # the first entry of a word wins
        first = {}
        for i, word in enumerate(words):
            first.setdefault(word, i)
        out = [out[i] for i in first.values()]
    if "" in chain.from_iterable(syns) or "" in chain.from_iterable(ants):  # empty strings are no words
        out = [(w, [v for v in syn if v], [v for v in ant if v]) if "" in syn or "" in ant else (w, syn, ant)
               for w, syn, ant in out]
    return out


def _component_svd(R, O, col_words, k, solver, n_iter, random_state, sketch=False):
    """Projections ``X V_k``, singular values and residual norm of ``X = [O | R]``, solving only the big components.

    The relation slices R are block diagonal over the connected components
    of the word graph, and the singular values of a block-diagonal matrix
    are those of its blocks; a block's largest singular value is at most
    its Frobenius norm. So only the components whose norm can reach the
    k-th singular value enter the SVD (the giant component and the large
    synonym cliques: 60,464 of the 147,388 words of the full dictionary);
    a component left out has all its singular values below ``s_k``, and
    its rows get their exact
    projection ``x V_k`` (zero on the relation columns, their orthography
    part otherwise). With an orthography slice (dense columns shared by all
    rows) the selection is an approximation that ignores the small
    orthography weight of the components left out.
    """
    import scipy.sparse.csgraph as csgraph

    n_rows = R.shape[0]
    n_words = max(int(col_words.max()) + 1 if col_words.size else 0, n_rows)
    row_of = np.repeat(np.arange(n_rows), np.diff(R.indptr))
    graph = sp.csr_matrix((np.ones(R.nnz, dtype=np.int8), (row_of, col_words[R.indices])), shape=(n_words, n_words))
    _, label = csgraph.connected_components(graph, directed=False)
    row_label = label[:n_rows]
    sq = np.bincount(row_of, weights=R.data.astype(np.float64) ** 2, minlength=n_rows)
    if O is not None:
        sq += np.einsum("ij,ij->i", O, O, dtype=np.float64)
    bound = np.sqrt(np.bincount(row_label, weights=sq, minlength=label.max() + 1))
    order = np.sort(bound)[::-1]
    tau = order[min(k, order.shape[0]) - 1]
    n_o = O.shape[1] if O is not None else 0
    while True:
        rows = np.flatnonzero(bound[row_label] >= tau)
        if rows.shape[0] <= k + 1 or rows.shape[0] == n_rows:
            rows = np.arange(n_rows)
        R_rows = _used_columns(R[rows])[0]
        X = R_rows if O is None else sp.hstack([sp.csr_matrix(O[rows]), R_rows], format="csr")
        kk = min(k, min(X.shape) - 1)
        U, s, Vt = svd(X, kk, solver=solver, n_iter=n_iter, random_state=random_state)
        residual = svd_error(X, U, s, Vt, n_iter=10, random_state=random_state)
        left_out = bound[np.setdiff1d(np.unique(row_label), np.unique(row_label[rows]))]
        if rows.shape[0] == n_rows or left_out.size == 0 or s[-1] >= left_out.max() or kk < k:
            break
        tau = min(float(s[-1]), tau / 2)
    # the rows left out: their relation columns are not among cols_rel (other components), so
    # their projection x V_k is their orthography part only (zero without orthography)
    P = np.zeros((n_rows, kk), dtype=np.float32)
    U *= s
    P[rows] = U
    others = np.setdiff1d(np.arange(n_rows), rows)
    if O is not None and others.size:
        P[others] = O[others] @ Vt[:, :n_o].T.astype(np.float32)
    if sketch and others.size:
        # the components left out: a sparse sign sketch of their relation rows (every relation
        # column goes to _SKETCH_NNZ random coordinates with random signs, scaled by its inverse
        # square root: inner products kept in expectation, Johnson-Lindenstrauss, Kane & Nelson
        # 2014), at O(nnz) cost where a dense Gaussian sketch needs n_columns x k normals
        R_others, used = _used_columns(R[others])
        rng = check_random_state(random_state)
        n_used, m = used.shape[0], _SKETCH_NNZ
        cols = rng.randint(0, kk, (n_used, m))  # with replacement: a repeat adds up (as in a count sketch)
        signs = np.where(rng.randint(0, 2, (n_used, m)) == 1, 1.0, -1.0) / np.sqrt(m)
        omega = sp.csr_matrix((signs.ravel().astype(np.float32), cols.ravel(), np.arange(0, n_used * m + 1, m)),
                              shape=(n_used, kk))
        part = (R_others.astype(np.float32) @ omega).tocoo()  # canonical: every (row, column) once
        P[others[part.row], part.col] += part.data
    if kk < k:
        P = np.hstack([P, np.zeros((n_rows, k - kk), np.float32)])
        s = np.concatenate([s, np.zeros(k - kk, s.dtype)])
    return P, s, residual


def _used_columns(X):
    """(X restricted to its non-empty columns, their indices): indices remapped in one pass, no copy of the data."""
    used = np.unique(X.indices)
    new = np.empty(X.shape[1], dtype=X.indices.dtype)
    new[used] = np.arange(used.shape[0], dtype=X.indices.dtype)
    return sp.csr_matrix((X.data, new[X.indices], X.indptr), shape=(X.shape[0], used.shape[0])), used


class DictionaryEmbedder(BaseEstimator):
    r"""Word vectors from dictionary entries: spelling + synonyms + antonyms, by SVD.

    Each word is a row of three weighted slices: its orthography vector
    (an :class:`OrthographyEmbedder` of the words), one-hots of its
    synonyms (the word itself included) and one-hots of its antonyms. The
    sparse matrix is embedded on its top singular vectors.

    ``preset="paper"`` is the paper's section 6.4: headwords as rows, the
    synonym and antonym slices as listed, the orthography slice divided by
    the norm of its singular values, vectors :math:`U S`. The defaults are
    the best settings on our held-out similarity proxy (docs/text.md): the
    synonym graph made symmetric over all words (headwords and synonyms),
    antonyms as negative entries in the same word columns (pushing
    antonyms apart, as counter-fitting does), no orthography (spelling is
    not meaning: any weight lowered the proxy) and a Gaussian sketch for
    the small synonym groups that the top singular vectors miss.

    Parameters
    ----------
    n_components : int, default=300
        Embedding dimension.
    ortho_components : int, default=30
        Dimension of the orthography slice (0: no orthography).
    preset : {None, "paper"}, default=None
        "paper" overrides the settings below with the paper's.
    rows : {"all", "headwords"}, default="all"
        Words embedded: the headwords only, or also the synonyms and
        antonyms that are not headwords.
    symmetric : bool, default=True
        Make the synonym (and antonym) relation symmetric.
    normalization : {"none", "symmetric"}, default="none"
        "symmetric" scales entry (i, j) of the synonym/antonym slices by
        :math:`1 / \sqrt{d_i d_j}` with :math:`d` the number of relations
        (plus one for the word itself); its top singular vectors then
        single out connected components, which scored far worse.
    antonyms : {"shared", "separate"}, default="shared"
        "separate": an antonym block of its own columns (the paper);
        "shared": antonyms go in the synonym columns with weight
        ``antonym_weight`` (negative pushes them apart).
    antonym_weight : float, default=-0.5
        Weight (and sign) of the antonym entries.
    synonym_weight : float, default=1.0
        Weight of the synonym slice.
    ortho_weight : float or "paper", default=0.0
        Weight of the orthography slice (rows scaled to unit norm first);
        "paper" divides the slice by the norm of its singular values; 0
        leaves it out.
    eig_power : float, default=1.0
        Vectors are :math:`U_k S_k^p`.
    small_components : {"sketch", "project"}, default="sketch"
        Words of synonym groups whose singular values are below the k-th
        (the SVD misses them): "project" keeps their projection on the
        top singular vectors (zero on the relation columns, as a full
        truncated SVD does), "sketch" adds a sparse random projection of
        their relation rows (8 random signed coordinates per relation
        column), so words of one small group stay alike.
    n_points, n_freqs : int, default=15, 6
        Basis of the orthography slice.
    solver, random_state
        SVD settings (see :func:`veob.svd`).
    n_iter : int or "auto", default=2
        Power iterations of the randomized SVD. The residual of the result
        is measured (``svd_residual_``): on the full dictionary it is
        1.21 times the 300th singular value with 2 iterations (1.10 with 4,
        1.36 with 1), and the similarity proxies do not change between 2
        and 4 (docs/text.md).

    Attributes
    ----------
    word_vectors_ : WordVectors
    singular_values_ : ndarray of shape (n_components,)
    orthography_ : OrthographyEmbedder or None
        The fitted orthography slice.
    n_synonym_slots_, n_antonym_slots_ : int
        Widths of the one-hot slices.
    svd_residual_ : float
        :math:`\|X - U_k S_k V_k^T\|_2` of the decomposed matrix, estimated
        by :func:`veob.svd_error` (10 power iterations): the accuracy
        certificate of the truncated SVD (the optimal rank-k value is
        :math:`s_{k+1} \le` ``singular_values_[-1]``).

    See Also
    --------
    veob.datasets.load_dictionary : The entries.
    OrthographyEmbedder : The spelling slice.

    Notes
    -----
    Only the connected components of the word graph whose Frobenius norm
    can reach the k-th singular value enter the SVD (a block-diagonal
    matrix has the singular values of its blocks), about 40 % of the
    rows; the others are projected (exact without orthography). With
    :math:`O` the orthography vectors, :math:`S` the synonym
    incidence (word i, word j) and :math:`N` the antonyms, the matrix is
    :math:`X = [\,w_o O \;|\; w_s S + w_a N\,]` ("shared") or
    :math:`[\,w_o O \;|\; w_s S \;|\; w_a N\,]` ("separate"), optionally
    normalised; :math:`X \approx U_k S_k V_k^T` and the word vectors are
    :math:`U_k S_k^p`. For a symmetric normalised :math:`S` this is the
    spectral embedding of the synonym graph (its leading eigenvectors).

    References
    ----------
    .. [1] L. Y. Lu, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform", 2023, section 6.4.
    .. [2] N. Mrksic et al., "Counter-fitting word vectors to linguistic
       constraints", NAACL 2016.
    .. [3] M. Belkin, P. Niyogi, "Laplacian eigenmaps for dimensionality
       reduction and data representation", Neural Computation 15, 2003.

    Examples
    --------
    >>> from veob.text import DictionaryEmbedder
    >>> entries = [("big", ["large", "huge"], ["small"]), ("large", ["big", "huge"], ["small"]),
    ...            ("small", ["little", "tiny"], ["big", "large"]), ("tiny", ["small", "little"], []),
    ...            ("huge", ["big", "large"], ["tiny"]), ("little", ["small", "tiny"], [])]
    >>> emb = DictionaryEmbedder(n_components=2, ortho_components=0, random_state=0).fit(entries)
    >>> [w for w, _ in emb.word_vectors_.most_similar("big", topn=2)]
    ['large', 'huge']
    """

    def __init__(self, n_components=300, *, ortho_components=30, preset=None, rows="all", symmetric=True,
                 normalization="none", antonyms="shared", antonym_weight=-0.5, synonym_weight=1.0,
                 ortho_weight=0.0, eig_power=1.0, small_components="sketch", n_points=15, n_freqs=6,
                 solver="auto", n_iter=2, random_state=None):
        self.n_components = n_components
        self.ortho_components = ortho_components
        self.preset = preset
        self.rows = rows
        self.symmetric = symmetric
        self.normalization = normalization
        self.antonyms = antonyms
        self.antonym_weight = antonym_weight
        self.synonym_weight = synonym_weight
        self.ortho_weight = ortho_weight
        self.eig_power = eig_power
        self.small_components = small_components
        self.n_points = n_points
        self.n_freqs = n_freqs
        self.solver = solver
        self.n_iter = n_iter
        self.random_state = random_state

    def _check_params(self):
        """Validate the parameters as ``fit`` does (``veob.load`` calls this too); the resolved settings."""
        return self._settings()

    def _settings(self):
        if self.preset not in PRESETS:
            raise ValueError(f"preset={self.preset!r} is not supported; choose one of {PRESETS}")
        cfg = dict(rows=self.rows, symmetric=self.symmetric, normalization=self.normalization,
                   antonyms=self.antonyms, antonym_weight=self.antonym_weight, ortho_weight=self.ortho_weight,
                   eig_power=self.eig_power, small_components=self.small_components)
        if self.preset == "paper":
            cfg.update(_PAPER)
        if cfg["rows"] not in ("all", "headwords"):
            raise ValueError(f"rows={cfg['rows']!r} is not supported; choose 'all' or 'headwords'")
        if cfg["normalization"] not in NORMALIZATIONS:
            raise ValueError(f"normalization={cfg['normalization']!r} is not supported; choose one of "
                             f"{NORMALIZATIONS}")
        if cfg["antonyms"] not in ANTONYM_MODES:
            raise ValueError(f"antonyms={cfg['antonyms']!r} is not supported; choose one of {ANTONYM_MODES}")
        if cfg["small_components"] not in ("sketch", "project"):
            raise ValueError(f"small_components={cfg['small_components']!r} is not supported; "
                             "choose 'sketch' or 'project'")
        if not isinstance(cfg["symmetric"], (bool, np.bool_)):
            raise TypeError(f"symmetric={cfg['symmetric']!r} must be True or False")
        cfg["antonym_weight"] = check_real(cfg["antonym_weight"], "antonym_weight")
        cfg["synonym_weight"] = check_real(self.synonym_weight, "synonym_weight")
        cfg["ortho_weight"] = check_real(cfg["ortho_weight"], "ortho_weight", allow=("paper",))
        cfg["eig_power"] = check_real(cfg["eig_power"], "eig_power")
        cfg["ortho_components"] = check_int(self.ortho_components, "ortho_components", low=0)
        cfg["n_components"] = check_int(self.n_components, "n_components", low=1)
        return cfg

    def _matrix(self, entries, cfg):
        """The sparse matrix X, the row words and the slot counts."""
        heads, syns, ants = zip(*entries)
        syn_flat = list(chain.from_iterable(syns))
        ant_flat = list(chain.from_iterable(ants))
        # word ids: the headwords, then the other words in order of appearance (synonyms, then antonyms, per entry)
        index = dict.fromkeys(chain(heads, chain.from_iterable(map(chain, syns, ants))))
        index = dict(zip(index, range(len(index))))
        n_all = len(index)
        n_heads = len(heads)
        n_syn_of = np.fromiter(map(len, syns), dtype=np.int64, count=n_heads)
        n_ant_of = np.fromiter(map(len, ants), dtype=np.int64, count=n_heads)
        heads_ids = np.arange(n_heads)
        r_s = np.concatenate([heads_ids, np.repeat(heads_ids, n_syn_of)])  # the word itself, then its synonyms
        c_s = np.concatenate([heads_ids, np.fromiter(map(index.__getitem__, syn_flat), dtype=np.int64,
                                                     count=len(syn_flat))])
        r_a = np.repeat(heads_ids, n_ant_of)
        c_a = np.fromiter(map(index.__getitem__, ant_flat), dtype=np.int64, count=len(ant_flat))
        S = sp.csr_matrix((np.ones(r_s.shape[0]), (r_s, c_s)), shape=(n_all, n_all))
        A = sp.csr_matrix((np.ones(r_a.shape[0]), (r_a, c_a)), shape=(n_all, n_all))
        S.data[:] = 1.0  # duplicates count once
        A.data[:] = 1.0
        if cfg["symmetric"]:
            S = S.maximum(S.T).tocsr()
            A = A.maximum(A.T).tocsr()
        S = S + sp.identity(n_all, format="csr")  # words without entries still have themselves
        S.data[:] = 1.0
        if cfg["normalization"] == "symmetric":
            deg = np.asarray(S.sum(axis=1)).ravel() + np.asarray(A.sum(axis=1)).ravel()
            inv = 1.0 / np.sqrt(deg)
            D = sp.diags(inv)
            S = (D @ S @ D).tocsr()
            A = (D @ A @ D).tocsr()
        n_rows = n_all if cfg["rows"] == "all" else n_heads
        S, A = S[:n_rows], A[:n_rows]
        words = np.asarray(list(index)[:n_rows], dtype=str)
        S = cfg["synonym_weight"] * S
        if cfg["antonyms"] == "shared":
            blocks = [S + cfg["antonym_weight"] * A]
            col_words = np.arange(n_all)
            n_ant = 0
        else:
            used = np.unique(A.indices)
            blocks = [S, cfg["antonym_weight"] * A[:, used]]
            col_words = np.concatenate([np.arange(n_all), used])
            n_ant = int(used.shape[0])
        n_syn = len(set(heads).union(syn_flat))
        return words, sp.hstack(blocks, format="csr"), col_words, n_syn, n_ant

    def fit(self, entries, y=None):
        """Fit on dictionary entries (``veob.datasets.load_dictionary()``); returns self.

        An entry is a DictionaryEntry, a dict with ``word``, ``synonyms`` and
        ``antonyms`` keys, or a ``(word, synonyms, antonyms)`` tuple.
        """
        cfg = self._settings()
        with gc_paused():  # hundreds of thousands of small lists: collections would walk the entries each time
            entries = _check_entries(entries)
            words, R, col_words, n_syn, n_ant = self._matrix(entries, cfg)
        self.orthography_ = None
        O = None
        if cfg["ortho_components"] > 0 and cfg["ortho_weight"] != 0:
            ortho = OrthographyEmbedder(n_points=self.n_points, n_freqs=self.n_freqs, kind="paper",
                                        n_components=min(cfg["ortho_components"], len(words)),
                                        random_state=self.random_state).fit(words.tolist())
            O = ortho.word_vectors_.vectors.astype(np.float64)
            if cfg["ortho_weight"] == "paper":
                weight = 1.0 / np.linalg.norm(ortho.singular_values_.astype(np.float64))
            else:  # unit rows, times the weight
                norms = np.linalg.norm(O, axis=1, keepdims=True)
                O = O / np.where(norms > 0, norms, 1.0)
                weight = cfg["ortho_weight"]
            O = (weight * O).astype(np.float32)
            self.orthography_ = ortho
        R = R.astype(np.float32)
        R.eliminate_zeros()
        n_cols = R.shape[1] + (O.shape[1] if O is not None else 0)
        k = check_int(cfg["n_components"], "n_components", low=1, high=min(R.shape[0], n_cols) - 1,
                      high_name="min(n_words, n_slots) - 1")
        P, s, self.svd_residual_ = _component_svd(R, O, col_words, k, self.solver, self.n_iter,
                                                  self.random_state, sketch=cfg["small_components"] == "sketch")
        if cfg["eig_power"] != 1.0:
            P *= np.power(np.where(s > 0, s, 1.0).astype(np.float64), cfg["eig_power"] - 1.0).astype(np.float32)
        self.word_vectors_ = WordVectors(words, P)
        self.singular_values_ = s
        self.n_synonym_slots_ = n_syn
        self.n_antonym_slots_ = n_ant
        self.settings_ = {k_: v for k_, v in cfg.items()}
        return self

    def transform(self, words):
        """Vectors of fitted words (KeyError for unknown ones)."""
        check_is_fitted(self, "word_vectors_")
        return self.word_vectors_[list(words)]
