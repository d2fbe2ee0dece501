"""DictionaryEmbedder: word vectors from a dictionary's synonyms and antonyms (paper section 6.4)."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, check_random_state
from ..datasets._dictionary import DictionaryEntry
from ._evaluation import entry_fields
from ._linalg import truncated_svd
from ._orthography import OrthographyEmbedder
from ._word_vectors import WordVectors

__all__ = ["DictionaryEmbedder"]

PRESETS = (None, "paper")
ANTONYM_MODES = ("separate", "shared")
NORMALIZATIONS = ("none", "symmetric")

# the paper's settings; the defaults (preset=None) are the best on our similarity proxy
_PAPER = dict(rows="headwords", symmetric=False, normalization="none", antonyms="separate",
              antonym_weight=1.0, ortho_weight="paper", eig_power=1.0, small_components="project")


_STR = {str}


def _check_entries(entries):
    if isinstance(entries, (str, bytes)):
        raise TypeError("entries must be a list of dictionary entries (veob.datasets.load_dictionary()); got a str")
    try:
        items = list(entries)
    except TypeError:
        raise TypeError(f"entries must be a list of dictionary entries; got {type(entries).__name__}") from None
    if not items:
        raise ValueError("entries is empty; at least one dictionary entry is required")
    out = []
    seen = set()
    for i, e in enumerate(items):
        if isinstance(e, DictionaryEntry):  # the loader's entries: no copy of the meanings
            word, syn, ant = e.word, list(e.synonyms or ()), list(e.antonyms or ())
        else:
            word, syn, ant, _ = entry_fields(e)
        if not isinstance(word, str) or not word:
            raise TypeError(f"entries[{i}] has word {word!r}; expected a non-empty str")
        for name, values in (("synonyms", syn), ("antonyms", ant)):
            # the set of types is built in C; the generator only runs for str subclasses or errors
            if values and set(map(type, values)) != _STR and not all(isinstance(v, str) for v in values):
                raise TypeError(f"entries[{i}] ({word!r}) has non-str {name}")
        if word in seen:
            continue
        seen.add(word)
        out.append((word, [s for s in syn if s], [a for a in ant if a]))
    return out


def _real(value, name, *, allow=()):
    if value in allow:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name}={value!r} must be a finite number" + (f" or one of {allow}" if allow else ""))
    return float(value)


def _component_svd(R, O, col_words, k, solver, n_iter, random_state, sketch=False):
    """Projections ``X V_k`` and singular values of ``X = [O | R]``, solving only the big components.

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

    n_rows, n_rel = R.shape
    n_words = max(int(col_words.max()) + 1 if col_words.size else 0, n_rows)
    coo = R.tocoo()
    graph = sp.csr_matrix((np.ones(coo.nnz), (coo.row, col_words[coo.col])), shape=(n_words, n_words))
    _, label = csgraph.connected_components(graph, directed=False)
    row_label = label[:n_rows]
    sq = np.asarray(R.multiply(R).sum(axis=1)).ravel()
    if O is not None:
        sq = sq + (O.astype(np.float64) ** 2).sum(axis=1)
    bound = np.sqrt(np.bincount(row_label, weights=sq, minlength=label.max() + 1))
    order = np.sort(bound)[::-1]
    tau = order[min(k, order.shape[0]) - 1]
    full = [O, R] if O is not None else [R]
    X_all = sp.hstack([sp.csr_matrix(b) for b in full], format="csr")
    while True:
        rows = np.flatnonzero(bound[row_label] >= tau)
        if rows.shape[0] <= k + 1 or rows.shape[0] == n_rows:
            rows = np.arange(n_rows)
        cols_rel = np.unique(R[rows].indices)
        n_o = O.shape[1] if O is not None else 0
        cols = np.concatenate([np.arange(n_o), n_o + cols_rel])
        X = X_all[rows][:, cols]
        kk = min(k, min(X.shape) - 1)
        U, s, Vt = truncated_svd(X, kk, solver=solver, n_iter=n_iter, random_state=random_state)
        left_out = bound[np.setdiff1d(np.unique(row_label), np.unique(row_label[rows]))]
        if rows.shape[0] == n_rows or left_out.size == 0 or s[-1] >= left_out.max() or kk < k:
            break
        tau = min(float(s[-1]), tau / 2)
    V = np.zeros((X_all.shape[1], kk), dtype=np.float32)
    V[cols] = Vt.T
    P = np.asarray(X_all @ V, dtype=np.float32)
    P[rows] = U * s
    if sketch:
        # the components left out: a Gaussian sketch of their relation rows
        # (inner products kept in expectation, Johnson-Lindenstrauss)
        others = np.setdiff1d(np.arange(n_rows), rows)
        if others.size:
            rng = check_random_state(random_state)
            used = np.unique(R[others].indices)
            omega = np.zeros((n_rel, kk), dtype=np.float32)
            omega[used] = (rng.standard_normal((used.shape[0], kk)) / np.sqrt(kk)).astype(np.float32)
            P[others] += np.asarray(R[others] @ omega, dtype=np.float32)
    if kk < k:
        P = np.hstack([P, np.zeros((n_rows, k - kk), np.float32)])
        s = np.concatenate([s, np.zeros(k - kk, s.dtype)])
    return P, s


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
        truncated SVD does), "sketch" adds a Gaussian random projection
        of their relation rows, so words of one small group stay alike.
    n_points, n_freqs : int, default=15, 6
        Basis of the orthography slice.
    solver, n_iter, random_state
        SVD settings (see :func:`veob.svd`).

    Attributes
    ----------
    word_vectors_ : WordVectors
    singular_values_ : ndarray of shape (n_components,)
    orthography_ : OrthographyEmbedder or None
        The fitted orthography slice.
    n_synonym_slots_, n_antonym_slots_ : int
        Widths of the one-hot slices.

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
    >>> [w for w, _ in emb.word_vectors_.most_similar("big", topn=3)]
    ['big', 'large', 'huge']
    """

    def __init__(self, n_components=300, *, ortho_components=30, preset=None, rows="all", symmetric=True,
                 normalization="none", antonyms="shared", antonym_weight=-0.5, synonym_weight=1.0,
                 ortho_weight=0.0, eig_power=1.0, small_components="sketch", n_points=15, n_freqs=6,
                 solver="auto", n_iter=4, random_state=None):
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
        cfg["antonym_weight"] = _real(cfg["antonym_weight"], "antonym_weight")
        cfg["synonym_weight"] = _real(self.synonym_weight, "synonym_weight")
        cfg["ortho_weight"] = _real(cfg["ortho_weight"], "ortho_weight", allow=("paper",))
        cfg["eig_power"] = _real(cfg["eig_power"], "eig_power")
        cfg["ortho_components"] = check_int(self.ortho_components, "ortho_components", low=0)
        cfg["n_components"] = check_int(self.n_components, "n_components", low=1)
        return cfg

    def _matrix(self, entries, cfg):
        """The sparse matrix X, the row words and the slot counts."""
        heads = [w for w, _, _ in entries]
        index = {w: i for i, w in enumerate(heads)}
        for _, syn, ant in entries:
            for v in syn + ant:
                if v not in index:
                    index[v] = len(index)
        n_all = len(index)
        n_heads = len(heads)
        r_s, c_s, r_a, c_a = [], [], [], []
        for i, (w, syn, ant) in enumerate(entries):
            r_s.append(i)
            c_s.append(i)  # the word itself
            for v in syn:
                r_s.append(i)
                c_s.append(index[v])
            for v in ant:
                r_a.append(i)
                c_a.append(index[v])
        S = sp.csr_matrix((np.ones(len(r_s)), (r_s, c_s)), shape=(n_all, n_all))
        A = sp.csr_matrix((np.ones(len(r_a)), (r_a, c_a)), shape=(n_all, n_all))
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
        n_syn = len({w for w, syn, _ in entries for w in [w] + syn})
        return words, sp.hstack(blocks, format="csr"), col_words, n_syn, n_ant

    def fit(self, entries, y=None):
        """Fit on dictionary entries (``veob.datasets.load_dictionary()``); returns self.

        An entry is a DictionaryEntry, a dict with ``word``, ``synonyms`` and
        ``antonyms`` keys, or a ``(word, synonyms, antonyms)`` tuple.
        """
        cfg = self._settings()
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
        P, s = _component_svd(R, O, col_words, k, self.solver, self.n_iter, self.random_state,
                              sketch=cfg["small_components"] == "sketch")
        scale = np.power(np.where(s > 0, s, 1.0).astype(np.float64), cfg["eig_power"] - 1.0).astype(np.float32)
        self.word_vectors_ = WordVectors(words, P * scale)
        self.singular_values_ = s
        self.n_synonym_slots_ = n_syn
        self.n_antonym_slots_ = n_ant
        self.settings_ = {k_: v for k_, v in cfg.items()}
        return self

    def transform(self, words):
        """Vectors of fitted words (KeyError for unknown ones)."""
        check_is_fitted(self, "word_vectors_")
        return self.word_vectors_[list(words)]
