"""The text pipelines behind ``veob words|context|dictionary|sentences`` (paper sections 6.2-6.5).

Plain functions, importable by examples and benchmarks: find the data, prepare
(and optionally cache) the IMDB corpus, fit an embedder in the paper's or the
best setting, list the paper's queries with their nearest neighbours, draw
the singular values and fill a Chroma collection. The argparse glue shared by
the four subcommands is at the end (``add_text_options``, ``TextRun``).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ._common import (UsageError, add_store_option, flag_message, machine_info, out_dir, say, show_progress, timer,
                      write_json_atomic)

__all__ = [
    "COLLECTIONS",
    "PAPER_QUERIES",
    "PRESETS",
    "TextRun",
    "add_text_options",
    "elapsed_bar",
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
    "scheduler_solver",
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

# Chroma collections filled by each command and preset (documented in docs/text.md)
COLLECTIONS = {
    ("words", "paper"): "imdb-orthography",
    ("context", "paper"): "imdb-context-paper",
    ("context", "best"): "imdb-context-best",
    ("dictionary", "paper"): "dictionary-paper",
    ("dictionary", "best"): "dictionary-best",
    ("sentences", "paper"): "imdb-sentences-paper",
    ("sentences", "best"): "imdb-sentences-best",
}

_MAX_TOKENS = 32
_CACHE_FORMAT = 1
CONNECT_TIMEOUT = "10s"  # how long distributed.Client retries an unreachable scheduler


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
    """IMDB reviews as a prepared corpus: by default the paper's 50,000 ``train/unsup`` reviews
    (sections 6.2-6.5) in sentences of at most 32 tokens.

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
        with timer(timings, "load_cache"):
            cached = _read_cache(cache_file, key)
        if cached is None:
            del timings["load_cache"]
    if cached is not None:
        corpus, review_files = cached
        n_reviews = len(review_files)
    else:
        with timer(timings, "load_reviews"):
            data = load_imdb(path, subsets=subsets)
        texts, review_files = data.texts, np.asarray(data.files, dtype=str)
        if limit is not None:
            texts, review_files = texts[:limit], review_files[:limit]
        n_reviews = len(texts)
        with timer(timings, "prepare_corpus"):
            corpus = prepare_corpus(texts, max_tokens=max_tokens, progress=progress)
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
    """Section 6.3: ``"paper"`` is ``ContextEmbedder(preset="paper")`` (two bags, SVD 50); ``"best"``
    is ``ContextEmbedder()``, the defaults chosen on the development sets (PPMI-SVD 300, W + C)."""
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
    """Section 6.5: ``"paper"``: high-pass ST (N=32, M=6) of the word vectors, SVD 200; ``"best"``:
    SIF weights, two low DCT blocks, common direction removed, 400 dimensions."""
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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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


# ----------------------------------------------------------------- CLI glue

@contextmanager
def scheduler_solver(address):
    """Connect a ``distributed.Client(address)``; yields the solver name for the embedders.

    Without an address yields ``"auto"``. The client is closed on exit; a
    scheduler that cannot be reached is a UsageError.
    """
    if not address:
        yield "auto"
        return
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs distributed: pip install 'veob[dask]'") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None
    try:
        yield "dask"  # veob's blockwise solvers run on the connected client (sparse matrices too)
    finally:
        client.close()


def add_text_options(parser, command, *, presets=True, default_preset="both", topn=10, imdb=True,
                     scheduler=False, max_store=None, components_help=""):
    """The options the four text subcommands share."""
    if presets:
        parser.add_argument("--preset", choices=("paper", "best", "both"), default=default_preset,
                            help="the paper's setting, the best one on the validation proxies "
                                 f"(docs/text.md), or both (default: {default_preset})")
    parser.add_argument("--components", type=int, default=None, metavar="K",
                        help=f"embedding dimension (default: {components_help})")
    queries = PAPER_QUERIES[command]
    parser.add_argument("--query", action="append", default=None, metavar="TEXT",
                        help="query (repeatable); default: the paper's " + " and ".join(repr(q) for q in queries))
    parser.add_argument("--topn", type=int, default=topn,
                        help=f"neighbours listed per query, the query itself included (default: {topn})")
    if imdb:
        parser.add_argument("--limit", type=int, default=None, metavar="N",
                            help="only the first N reviews of train/unsup (smoke runs; default: all 50,000)")
        parser.add_argument("--cache", default=None, metavar="DIR",
                            help="cache the prepared corpus in DIR (about 70 MB; never inside the data folder)")
    default = "all" if max_store is None else f"{max_store:,}"
    parser.add_argument("--max-store", type=int, default=max_store, metavar="N",
                        help=f"store at most N vectors per collection, plus the queries' results "
                             f"(0: all; default: {default})")
    add_store_option(parser, "a Chroma store")
    if scheduler:
        parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                            help="Dask scheduler address (e.g. tcp://host:8786): run the word-vector SVD "
                                 "on the cluster")


def elapsed_bar(desc, enabled=True):
    """A line showing the elapsed time of a step without progress hooks (a fit): :func:`veob._progress.stage`."""
    from .._progress import stage

    return stage(enabled, desc)


class TextRun:
    """State of one text subcommand run: options checked, timings, report and store."""

    def __init__(self, args, command):
        self.args = args
        self.command = command
        self.timings = {}
        self.progress = show_progress(args)
        for name, low in (("components", 1), ("topn", 1), ("limit", 1), ("max_store", 0)):
            value = getattr(args, name, None)
            if value is not None and value < low:
                raise UsageError(f"--{name.replace('_', '-')} {value} must be >= {low}")
        self.max_store = getattr(args, "max_store", None) or None
        self.presets = (["paper", "best"] if args.preset == "both" else [args.preset]) \
            if hasattr(args, "preset") else ["paper"]
        self.queries = list(args.query) if args.query else list(PAPER_QUERIES[command])
        self._out = None
        self.chroma = None
        self.collections = {}

    @property
    def out(self):
        """The report folder (created on first use, so a usage error leaves nothing behind)."""
        if self._out is None:
            self._out = out_dir(self.args, f"veob-{self.command}")
        return self._out

    def stage(self, name):
        return timer(self.timings, name)

    def say(self, *parts):
        say(self.args, *parts)

    def imdb_corpus(self, root, *, subsets="unsup", max_tokens=_MAX_TOKENS):
        """Find, load and prepare (or read from --cache) the reviews; UsageError when missing."""
        try:
            path = find_imdb(root)
        except FileNotFoundError as exc:
            raise UsageError(f"{exc}: pass --data PATH or set VEOB_DATA to the shared data folder") from None
        cache = self.args.cache
        if cache is not None:
            cache = Path(cache).expanduser()
            try:
                cache.resolve().relative_to(Path(root).resolve())
            except ValueError:
                pass
            else:
                raise UsageError(f"--cache {str(cache)!r} lies inside the data folder {str(root)!r}: "
                                 "pick a folder outside it (the data folder is read-only)")
        which = "/".join((subsets,) if isinstance(subsets, str) else subsets)
        self.say(f"veob {self.command}: reading {path} ({which}" + (f", first {self.args.limit:,} reviews"
                                                                  if self.args.limit else "") + ")")
        try:
            corpus, files, info = load_unsup_corpus(path, limit=self.args.limit, cache_dir=cache,
                                                    progress=self.progress, timings=self.timings,
                                                    subsets=subsets, max_tokens=max_tokens)
        except (FileNotFoundError, ValueError) as exc:
            raise UsageError(str(exc).splitlines()[0]) from None
        except ImportError as exc:
            raise UsageError(str(exc)) from None
        if info["cache_error"]:
            self.say(f"  warning: corpus not cached: {info['cache_error']}")
        where = " (from the cache)" if info["cache_hit"] else ""
        self.say(f"  corpus{where}: {info['n_reviews']:,} reviews -> {info['n_sentences']:,} sentences, "
                 f"{info['n_words']:,} words, {info['n_tokens']:,} tokens")
        return corpus, files, info

    def fit(self, what, func, *args, **kwargs):
        """Run a fit as stage ``what``; the embedders' ValueErrors become one-line usage errors."""
        try:
            with self.stage(what), elapsed_bar(f"  fitting {what}", self.progress):
                model = func(*args, **kwargs)
        except ValueError as exc:
            raise UsageError(f"{what}: {exc}") from None
        self.say(f"  {what}: {self.timings[what]:.2f} s")
        return model

    def open_store(self):
        """The Chroma store (cosine collections) or None with --no-store / without chromadb."""
        if self.args.no_store:
            return None
        if self.chroma is None:
            from ..store import ChromaStore

            path = Path(self.args.chroma).expanduser() if self.args.chroma else self.out / "chroma"
            try:
                self.chroma = ChromaStore(path, distance="cosine")
            except ImportError as exc:
                self.say(f"  Chroma skipped: {exc}")
                self.args.no_store = True
                return None
            except (ValueError, TypeError, TimeoutError) as exc:  # e.g. --chroma names a file
                raise UsageError(flag_message(exc, "--chroma")) from None
        return self.chroma

    def fill(self, collection, func, *args, **kwargs):
        """Run a store function as stage ``chroma_<collection>``; records the collection's count."""
        store = self.open_store()
        if store is None:
            return
        self.say(f"  storing {collection} ...")
        try:
            with self.stage(f"chroma_{collection}"):
                func(store, collection, *args, progress=self.progress, **kwargs)
        except ValueError as exc:  # e.g. a collection of another dimension from an earlier run
            raise UsageError(f"Chroma collection {collection!r} in {str(store.path)!r}: {exc} "
                             "(or pass another --chroma folder)") from None
        count = store.count(collection)
        self.collections[collection] = count
        self.say(f"  Chroma: {count:,} vectors in {collection!r} ({self.timings[f'chroma_{collection}']:.1f} s)")

    def figure(self, curves, title):
        path = self.out / "singular_values.png"
        with self.stage("figure"):
            save_singular_values(curves, path, title=title)
        return path

    def finish(self, parameters, metrics, corpus=None, *, example_query=None):
        """Write report.json; print where everything went (and a ``veob query`` to try)."""
        report = {
            "command": self.command,
            "parameters": {**parameters, "seed": self.args.seed, "queries": self.queries, "topn": self.args.topn},
            "corpus": corpus,
            "metrics": metrics,
            "chroma": None if not self.collections else {
                "path": str(self.chroma.path), "distance": "cosine", "collections": self.collections},
            "timings": self.timings,
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "machine": machine_info(),
        }
        write_json_atomic(self.out / "report.json", report)
        self.say("  timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.timings.items()))
        self.say(f"  report: {self.out / 'report.json'}; figure: {self.out / 'singular_values.png'}")
        if self.collections and example_query:
            last = list(self.collections)[-1]
            self.say(f"  try: veob query --chroma {self.chroma.path} --collection {last} --text "
                     f"{json.dumps(example_query) if ' ' in example_query else example_query}")
        return report
