"""The text protocols behind ``veob words|context|dictionary|sentences`` (paper sections 6.2-6.5).

Experiment protocols, not part of the stable API (see :mod:`veob.experiments`).
Plain functions, importable by examples and benchmarks: find the data, prepare
(and optionally cache) the IMDB corpus, fit an embedder in the paper's or the
best setting, list the paper's queries with their nearest neighbours, draw
the singular values and fill a Chroma collection. The argparse glue of the
four subcommands is in ``veob.cli._text_common``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from pathlib import Path

import numpy as np

__all__ = [
    "PAPER_QUERIES",
    "PRESETS",
    "find_dictionary",
    "find_imdb",
    "fit_context",
    "fit_dictionary",
    "fit_orthography",
    "first_known",
    "fit_sentences",
    "format_sentence_tables",
    "format_word_tables",
    "load_unsup_corpus",
    "save_singular_values",
    "sentence_neighbours",
    "store_sentences",
    "store_words",
    "tokenize_queries",
    "word_neighbours",
]

PRESETS = ("paper", "best")

# the queries of the paper's tables (sections 6.2-6.5); the sentences as they
# stand in train/unsup/0_0.txt and train/unsup/10001_0.txt
PAPER_QUERIES = {
    "words": ("twighlight", "frowning"),
    "context": ("physicist", "twists"),
    "dictionary": ("bus", "happiness"),
    "sentences": ("I did like the lead actors, but thought little of the film.",
                  "Everybody has seen 'Back To The Future,' right?"),
}

_MAX_TOKENS = 32
_CACHE_FORMAT = 1


# ----------------------------------------------------------------- data

def find_imdb(root):
    """The IMDB archive (or extracted folder) under a data folder.

    Looks for ``imdb/aclImdb.tar.gz``, ``imdb/aclImdb``, ``aclImdb.tar.gz``
    and ``aclImdb`` in this order; FileNotFoundError naming the folder and
    the expected layout otherwise.
    """
    root = Path(root)
    for candidate in (root / "imdb" / "aclImdb.tar.gz", root / "imdb" / "aclImdb",
                      root / "aclImdb.tar.gz", root / "aclImdb"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no IMDB data under {str(root)!r}: expected imdb/aclImdb.tar.gz (the aclImdb v1 "
                            "archive) or an extracted imdb/aclImdb/ folder there")


def find_dictionary(root):
    """The simple English dictionary (``merged.json.gz``) under a data folder."""
    root = Path(root)
    for candidate in (root / "simple_english_dictionary" / "merged.json.gz",
                      root / "simple_english_dictionary" / "merged.json",
                      root / "merged.json.gz", root / "merged.json"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no dictionary under {str(root)!r}: expected "
                            "simple_english_dictionary/merged.json.gz there")


def _cache_key(path, limit, subsets, max_tokens):
    from .._version import __version__

    stamp = path / "train" / "unsup" if (path / "train" / "unsup").is_dir() else path
    st = stamp.stat()
    return json.dumps({"format": _CACHE_FORMAT, "source": str(path.resolve()), "size": st.st_size,
                       "mtime_ns": st.st_mtime_ns, "limit": limit, "max_tokens": max_tokens,
                       "subsets": list(subsets), "veob": __version__}, sort_keys=True)


def _read_cache(file, key):
    """(corpus, review_files) from a cache file, or None if absent, stale or unreadable."""
    from ..text import Corpus

    if not file.is_file():
        return None
    try:
        with np.load(file, allow_pickle=False) as z:
            if str(z["key"]) != key:
                return None
            corpus = Corpus(z["words"], z["counts"], z["token_ids"], z["offsets"], z["sources"])
            return corpus, z["review_files"]
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):  # corrupt or another layout: rebuild
        return None


def _write_cache(file, key, corpus, review_files):
    """Write the cache atomically (temporary file + rename); OSError leaves nothing behind."""
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, key=np.array(key), words=corpus.words, counts=corpus.counts, token_ids=corpus.token_ids,
                     offsets=corpus.offsets, sources=corpus.sources,
                     review_files=np.asarray(review_files, dtype=str))
        os.replace(tmp, file)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def load_unsup_corpus(path, *, limit=None, cache_dir=None, progress=True, timings=None, subsets="unsup",
                      max_tokens=_MAX_TOKENS):
    """IMDB reviews as a prepared corpus.

    By default the paper's 50,000 ``train/unsup`` reviews (sections 6.2-6.5)
    in sentences of at most 32 tokens.

    Parameters
    ----------
    path : path-like
        ``aclImdb.tar.gz`` or the extracted folder (see :func:`find_imdb`).
    subsets : str or tuple of str, default="unsup"
        The reviews read (``load_imdb``'s subsets): ``("train", "test",
        "unsup")`` is all 100,000.
    max_tokens : int or None, default=32
        ``prepare_corpus``'s sentence length limit (None: no limit).
    limit : int, optional
        Only the first ``limit`` reviews (in file-id order), for smoke runs.
    cache_dir : path-like, optional
        Folder for a cache of the prepared corpus (``imdb-<subsets>-<key>.npz``,
        about 70 MB for the unsup reviews, keyed by the source's path, size
        and modification time, ``limit``, ``subsets``, ``max_tokens`` and the
        veob version). A stale or unreadable cache file is rebuilt.
    progress : bool, default=True
        Progress bar while tokenizing.
    timings : dict, optional
        Receives the seconds of ``load_reviews`` and ``prepare_corpus`` (or
        ``load_cache``).

    Returns
    -------
    corpus : veob.text.Corpus
        Sentences of 1..max_tokens tokens, repeats dropped (``prepare_corpus``).
    review_files : ndarray of str
        File of each review, e.g. ``"train/unsup/0_0.txt"``; sentence ``i``
        comes from ``review_files[corpus.sources[i]]``.
    info : dict
        Corpus statistics: source, reviews, sentences, tokens, words, and the
        cache file, whether it was used, and why it could not be written.
    """
    from ..datasets import load_imdb
    from ..text import prepare_corpus

    path = Path(path)
    subsets = (subsets,) if isinstance(subsets, str) else tuple(subsets)
    timings = {} if timings is None else timings
    cache_file = key = cache_error = None
    cached = None
    if cache_dir is not None:
        key = _cache_key(path, limit, subsets, max_tokens)
        name = "-".join(subsets)
        cache_file = Path(cache_dir) / f"imdb-{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
        start = time.perf_counter()
        cached = _read_cache(cache_file, key)
        if cached is not None:
            timings["load_cache"] = round(time.perf_counter() - start, 4)
    if cached is not None:
        corpus, review_files = cached
        n_reviews = len(review_files)
    else:
        start = time.perf_counter()
        data = load_imdb(path, subsets=subsets)
        timings["load_reviews"] = round(time.perf_counter() - start, 4)
        texts, review_files = data.texts, np.asarray(data.files, dtype=str)
        if limit is not None:
            texts, review_files = texts[:limit], review_files[:limit]
        n_reviews = len(texts)
        start = time.perf_counter()
        corpus = prepare_corpus(texts, max_tokens=max_tokens, progress=progress)
        timings["prepare_corpus"] = round(time.perf_counter() - start, 4)
        if cache_file is not None:
            try:
                _write_cache(cache_file, key, corpus, review_files)
            except OSError as exc:  # the corpus is ready: report, do not fail
                cache_error = f"cannot write {str(cache_file)!r}: {exc.strerror or exc}"
    info = {"source": str(path), "n_reviews": int(n_reviews), "n_sentences": corpus.n_sentences,
            "n_tokens": corpus.n_tokens, "n_words": int(len(corpus.words)), "max_tokens": max_tokens,
            "subsets": list(subsets),
            "limit": limit, "cache": str(cache_file) if cache_file is not None else None,
            "cache_hit": cached is not None, "cache_error": cache_error}
    return corpus, review_files, info


# ----------------------------------------------------------------- fitting

def _check_preset(preset):
    if preset not in PRESETS:
        raise ValueError(f"preset={preset!r} is not supported; choose one of {PRESETS}")


def fit_orthography(words, *, n_components=40, n_points=15, n_freqs=6, random_state=0):
    """Section 6.2: ``OrthographyEmbedder`` (letter spectra N=15, M=6 concatenated, SVD 40)."""
    from ..text import OrthographyEmbedder

    return OrthographyEmbedder(n_points=n_points, n_freqs=n_freqs, n_components=n_components, kind="paper",
                               random_state=random_state).fit(words)


def fit_context(corpus, preset, *, n_components=None, solver="auto", random_state=0, progress=False):
    """Section 6.3: context word vectors in the paper's or the tuned setting.

    ``"paper"`` is ``ContextEmbedder(preset="paper")`` (two bags, SVD 50); ``"best"``
    is ``ContextEmbedder()``, the defaults chosen on the development sets (PPMI-SVD 300, W + C).
    """
    from ..text import ContextEmbedder

    _check_preset(preset)
    return ContextEmbedder(n_components=n_components, preset="paper" if preset == "paper" else None, solver=solver,
                           progress=progress, random_state=random_state).fit(corpus)


def word_similarity_scores(word_vectors, root):
    """Spearman correlations on the development sets found under ``root/dev_eval`` (name -> dict)."""
    from ..datasets import SIMILARITY_SETS, load_word_similarity

    folder = Path(root) / "dev_eval"
    scores = {}
    for name, (file, kind) in SIMILARITY_SETS.items():
        if not (folder / file).is_file():
            continue
        pairs = load_word_similarity(name, folder)
        rho, _, n_oov = word_vectors.evaluate_word_pairs(pairs)
        scores[name] = {"spearman": None if np.isnan(rho) else round(rho, 4), "pairs": len(pairs),
                        "covered": len(pairs) - n_oov, "measures": kind}
    return scores


def format_similarity_scores(scores):
    """The scores of :func:`word_similarity_scores` as one line per set."""
    lines = []
    for name, r in scores.items():
        rho = "n/a" if r["spearman"] is None else f"{r['spearman']:.3f}"
        lines.append(f"    {name:<14} {rho:>6}   ({r['covered']:,} of {r['pairs']:,} pairs; {r['measures']})")
    return "\n".join(lines)


def fit_dictionary(entries, preset, *, n_components=None, random_state=0):
    """Section 6.4: ``DictionaryEmbedder(preset="paper")`` or the defaults (best), SVD 300."""
    from ..text import DictionaryEmbedder

    _check_preset(preset)
    return DictionaryEmbedder(n_components=n_components or 300, preset="paper" if preset == "paper" else None,
                              random_state=random_state).fit(entries)


def fit_sentences(corpus, word_vectors, preset, *, n_components=None):
    """Section 6.5: sentence vectors in the paper's or the tuned setting.

    ``"paper"``: high-pass ST (N=32, M=6) of the word vectors, SVD 200; ``"best"``:
    SIF weights, two low DCT blocks, common direction removed, 400 dimensions.
    """
    from ..text import SentenceEmbedder

    _check_preset(preset)
    if preset == "paper":
        return SentenceEmbedder(word_vectors, preset="paper", n_components=n_components or 200).fit(corpus)
    return SentenceEmbedder(word_vectors, n_components=n_components).fit(corpus)


# ----------------------------------------------------------------- queries

def first_known(tables):
    """The first query of :func:`word_neighbours` tables that is in the vocabulary, or None."""
    return next((t["query"] for t in tables if t["in_vocabulary"]), None)


def word_neighbours(word_vectors, queries, topn=10, *, embed=None):
    """The nearest words (cosine distance) of each query, the query itself first.

    Returns a list of ``{"query": word, "in_vocabulary": bool, "neighbours":
    [[word, distance], ...]}``. A word outside the vocabulary is embedded by
    ``embed([word])`` when given (spelling vectors exist for any word), else
    its ``neighbours`` are None.
    """
    tables = []
    for query in queries:
        known = query in word_vectors
        if known:
            hits = [[w, float(d)] for w, d in word_vectors.most_similar(query, topn=topn, include_query=True)]
        elif embed is not None:
            vector = np.asarray(embed([query])[0], dtype=np.float64)
            hits = [[w, float(d)] for w, d in word_vectors.most_similar(vector, topn=topn)]
        else:
            hits = None
        tables.append({"query": query, "in_vocabulary": known, "neighbours": hits})
    return tables


def _distance(d):
    return "0" if d == 0 else f"{d:.4g}"


def format_word_tables(tables, *, title=None):
    """The tables of :func:`word_neighbours` side by side, as text."""
    columns = []
    for t in tables:
        rows = [(w, _distance(d)) for w, d in t["neighbours"]] if t["neighbours"] is not None \
            else [("(not in the vocabulary)", "")]
        head = t["query"] if t.get("in_vocabulary", True) or t["neighbours"] is None \
            else f"{t['query']} (not in the vocabulary)"
        width_w = max(len(head), *(len(w) for w, _ in rows))
        width_d = max(len(d) for _, d in rows)
        lines = [head.ljust(width_w + 2 + width_d)] + [f"{w.ljust(width_w)}  {d.rjust(width_d)}" for w, d in rows]
        columns.append(lines)
    height = max(len(c) for c in columns)
    widths = [len(c[0]) for c in columns]
    out = [title] if title else []
    for i in range(height):
        cells = [(c[i] if i < len(c) else "").ljust(w) for c, w in zip(columns, widths)]
        out.append(("  " + "    ".join(cells)).rstrip())
    return "\n".join(out)


def tokenize_queries(texts):
    """Each text as one token list, with the corpus preprocessing (a text may span sentences)."""
    from ..text import prepare_corpus

    corpus = prepare_corpus(list(texts), max_tokens=10**6, deduplicate=False, progress=False)
    tokens = [[] for _ in texts]
    for i, source in enumerate(corpus.sources.tolist()):
        tokens[source].extend(corpus.sentence(i))
    return tokens


def sentence_neighbours(embedder, corpus, review_files, queries, topn=6):
    """The nearest fitted sentences of each query text (cosine distance).

    Returns a list of ``{"query", "tokens", "neighbours": [{"index", "sentence",
    "file", "distance"}, ...]}``; a query none of whose words has a vector
    gets ``neighbours`` None.
    """
    vocabulary = embedder.word_vectors
    tables = []
    for text, tokens in zip(queries, tokenize_queries(queries)):
        if not any(t in vocabulary for t in tokens):
            tables.append({"query": text, "tokens": tokens, "neighbours": None})
            continue
        hits = []
        for index, dist in embedder.most_similar(tokens, topn=topn):
            hits.append({"index": index, "sentence": " ".join(corpus.sentence(index)),
                         "file": str(review_files[corpus.sources[index]]), "distance": dist})
        tables.append({"query": text, "tokens": tokens, "neighbours": hits})
    return tables


def format_sentence_tables(tables, *, title=None):
    """The tables of :func:`sentence_neighbours`, one block per query, as text."""
    out = [title] if title else []
    for t in tables:
        out.append(f"  query: {' '.join(t['tokens'])}")
        if t["neighbours"] is None:
            out.append("    (no word of the query has a vector)")
            continue
        for h in t["neighbours"]:
            out.append(f"    {h['distance']:.4f}  {h['sentence']}  ({Path(h['file']).name})")
    return "\n".join(out)


# ----------------------------------------------------------------- figure and store

def save_singular_values(curves, path, *, title=None):
    """One panel per ``(label, singular_values, n_kept)`` curve, written atomically to ``path``."""
    from ..plotting._figures import headless_pyplot

    plt = headless_pyplot()

    from ..plotting import plot_singular_values, save_figure

    fig, axes = plt.subplots(1, len(curves), figsize=(5.0 * len(curves), 3.6), squeeze=False)
    for ax, (label, s, k) in zip(axes[0], curves):
        plot_singular_values(np.asarray(s, dtype=np.float64), ax=ax, n_components=k, title=label)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)


def _selection(n, max_store, priority):
    """Rows to store: the first ``max_store`` (all if None) plus the ``priority`` rows."""
    if max_store is None or max_store >= n:
        return np.arange(n)
    rows = np.arange(max_store)
    extra = np.asarray(sorted(set(int(i) for i in priority if max_store <= int(i) < n)), dtype=np.int64)
    return np.concatenate([rows, extra])


def store_words(store, collection, word_vectors, *, metadata=None, max_store=None, priority_words=(),
                progress=True):
    """Upsert word vectors into ``collection``: id and document are the word.

    ``metadata(word_index) -> dict`` adds per-word metadata; ``max_store``
    keeps the first rows (the most frequent corpus words) plus
    ``priority_words``. Returns the number of vectors written.
    """
    priority = [word_vectors.index(w) for w in priority_words if w in word_vectors]
    rows = _selection(len(word_vectors), max_store, priority)
    words = word_vectors.words[rows].tolist()
    metadatas = [metadata(int(i)) for i in rows] if metadata is not None else None
    return store.upsert(collection, np.asarray(word_vectors.vectors[rows], dtype=np.float32), ids=words,
                        documents=words, metadatas=metadatas, progress=progress)


def store_sentences(store, collection, embedding, corpus, review_files, *, max_store=None, priority=(),
                    progress=True):
    """Upsert sentence vectors into ``collection``.

    Ids are the sentence's index in the corpus (``str(i)``), documents the
    sentence (tokens joined by spaces), metadata ``file`` (the review,
    ``train/unsup/<id>_0.txt``), ``review`` and ``n_tokens``. ``max_store``
    keeps the first sentences plus the ``priority`` indices. Returns the
    number written.
    """
    rows = _selection(embedding.shape[0], max_store, priority)
    lengths = np.diff(corpus.offsets)
    documents = [" ".join(corpus.sentence(int(i))) for i in rows]
    metadatas = [{"file": str(review_files[corpus.sources[i]]), "review": int(corpus.sources[i]),
                  "n_tokens": int(lengths[i])} for i in rows]
    return store.upsert(collection, np.asarray(embedding[rows], dtype=np.float32), ids=[str(int(i)) for i in rows],
                        documents=documents, metadatas=metadatas, progress=progress)
