"""``veob query``: nearest neighbours in a Chroma collection or a saved model."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np

from ._common import UsageError, flag_message, open_chroma, say

HELP = "nearest neighbours of an id, a word/sentence or a vector in a Chroma collection or saved model"

_DOC_WIDTH = 60


def add_arguments(parser):
    parser.add_argument("--collection", metavar="NAME", help="Chroma collection to search (with --chroma)")
    parser.add_argument("--model", metavar="FILE",
                        help="a model saved with veob.save: --text embeds the text with it (word vectors, "
                             "orthography/context/dictionary/sentence embedders), --vector uses its kneighbors")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--list", action="store_true",
                      help="list the collections (with --chroma) or the first ids of --collection, "
                           "its size and metadata keys")
    what.add_argument("--id", metavar="ID", help="the stored vector with this id")
    what.add_argument("--text", metavar="TEXT",
                      help="a word or sentence: the stored vector with this id or document text")
    what.add_argument("--vector", metavar="X1,X2,...",
                      help="a query vector, comma-separated (write --vector=-0.5,1 for a leading minus)")
    parser.add_argument("-k", type=int, default=10, help="number of neighbours (default: 10)")


def open_store(args, *, required=True):
    """The ChromaStore of ``--chroma`` (or ``<out>/chroma``); UsageError when absent.

    Never creates a store: the folder must hold a Chroma database already.
    With ``required=False``, no ``--chroma`` and no ``<out>/chroma`` folder
    give None.
    """
    path = args.chroma
    if path is None and getattr(args, "out", None):
        path = str(Path(args.out).expanduser() / "chroma")
        if not required and not Path(path).is_dir():
            path = None  # the default location is optional; an explicit --chroma is not
    if path is None:
        if required:
            raise UsageError("no Chroma store given: pass --chroma PATH (a folder filled by a veob "
                             "pipeline, e.g. DIR/chroma after veob demo --out DIR)")
        return None
    path = Path(path).expanduser()
    if not path.is_dir():
        raise UsageError(f"no Chroma store at {str(path)!r}: pass --chroma with a folder filled by a "
                         "veob pipeline (veob demo --out DIR fills DIR/chroma)")
    if not (path / "chroma.sqlite3").is_file():
        raise UsageError(f"{str(path)!r} is not a Chroma store (no chroma.sqlite3 in it): pass --chroma "
                         "with a folder filled by a veob pipeline")
    try:
        return open_chroma(path)
    except ImportError:
        raise UsageError("--chroma needs chromadb: pip install 'veob[chroma]'") from None


def _parse_vector(text):
    try:
        values = [float(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError:
        raise UsageError(f"--vector {text!r}: expected comma-separated numbers such as 0.1,-2,3e-4") from None
    if not values:
        raise UsageError("--vector is empty: pass comma-separated numbers such as 0.1,-2,3e-4")
    vec = np.asarray(values, dtype=np.float64)
    if not np.isfinite(vec).all():
        raise UsageError(f"--vector {text!r} holds NaN or infinity: pass finite numbers")
    return vec


def _short(text, width=_DOC_WIDTH):
    if text is None:
        return "-"
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _print_table(args, header, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    for r in [header] + rows:
        say(args, ("  " + "  ".join(c.rjust(w) if i == 0 else c.ljust(w)
                                    for i, (c, w) in enumerate(zip(r, widths)))).rstrip())


def run(args):
    if args.k < 1:
        raise UsageError(f"-k {args.k} must be >= 1")
    if args.model:
        if args.chroma or args.collection:
            raise UsageError("pass either --model FILE or --chroma PATH --collection NAME, not both")
        if args.list:
            raise UsageError("--list works with --chroma; with --model pass --text or --vector")
        return _run_model(args)
    if args.list:
        return _run_list(args)
    return _run_chroma(args)


def _describe(store, collection):
    try:
        return store.describe(collection)
    except (ValueError, TypeError) as exc:
        raise UsageError(flag_message(exc, "--chroma").replace("collection=", "--collection ")) from None


def _id_hint(store, collection, n=3):
    """'ids look like train-0, train-1, test-0' from the first stored ids (and the last split's first)."""
    first = [r.id for r in store.get(collection, include_embeddings=False, limit=n)]
    return ", ".join(first)


def _run_list(args):
    """--list: the collections of a store, or the size, first ids and metadata keys of one."""
    store = open_store(args)
    if not args.collection:
        names = store.collections()
        say(args, f"veob query: {len(names)} collection{'s' if len(names) != 1 else ''} in {store.path}")
        rows = []
        for name in names:
            info = store.describe(name)
            rows.append([name, f"{info.count:,}", str(info.dimension), info.distance])
        _print_table(args, ["collection", "vectors", "dimension", "distance"], rows)
        if names:
            say(args, f"  next: veob query --chroma {store.path} --collection {names[0]} --list")
        return 0
    info = _describe(store, args.collection)
    records = store.get(args.collection, include_embeddings=False, limit=max(args.k, 1))
    keys = sorted({k for r in records for k in (r.metadata or {})})
    say(args, f"veob query: collection {args.collection!r}: {info.count:,} vectors of dimension {info.dimension} "
              f"({info.distance}); metadata keys: {', '.join(keys) if keys else 'none'}")
    rows = [[str(i), _short(r.id, 24), _short(r.document),
             _short(json.dumps(r.metadata, sort_keys=True) if r.metadata else None, 40)]
            for i, r in enumerate(records, 1)]
    _print_table(args, ["#", "id", "document", "metadata"], rows)
    if records:
        say(args, f"  query one: veob query --chroma {store.path} --collection {args.collection} --id {records[0].id}")
    return 0


def _run_chroma(args):
    if not args.collection:
        raise UsageError("--collection NAME is required with --chroma (veob query --chroma PATH --list "
                         "lists the collections)")
    store = open_store(args)
    info = _describe(store, args.collection)
    if info.distance != store.distance:
        from ..store import ChromaStore

        store = ChromaStore(store.path, distance=info.distance)
    if info.count == 0:
        raise UsageError(f"collection {args.collection!r} is empty: fill it first")
    exclude = set()
    if args.vector is not None:
        query = _parse_vector(args.vector)
        if query.size != info.dimension:
            raise UsageError(f"--vector has {query.size} values; collection {args.collection!r} holds "
                             f"vectors of dimension {info.dimension}")
        what = "the given vector"
    else:
        key = args.id if args.id is not None else args.text
        records = store.get(args.collection, ids=[key])
        if not records and args.text is not None:
            records = store.get(args.collection, document=args.text)
        if not records:
            kind = "id" if args.id is not None else "id or document"
            raise UsageError(f"no vector with {kind} {key!r} in collection {args.collection!r}, whose ids look "
                             f"like {_id_hint(store, args.collection)}: see veob query --chroma {store.path} "
                             f"--collection {args.collection} --list, or pass --vector")
        query = records[0].embedding
        exclude.add(records[0].id)
        what = f"{'id' if args.id is not None else 'text'} {key!r}"
    hits = store.query(args.collection, query[None, :], n_results=args.k + len(exclude))[0]
    hits = [h for h in hits if h.id not in exclude][:args.k]
    metric = {"l2": "Euclidean", "cosine": "cosine", "ip": "1 - inner product"}[info.distance]
    say(args, f"veob query: {len(hits)} nearest of {what} in collection {args.collection!r} "
              f"({info.count} vectors, {metric} distance)")
    rows = []
    with_meta = any(h.metadata for h in hits)
    for rank, h in enumerate(hits, 1):
        row = [str(rank), _short(h.id, 24), f"{h.distance:.4g}", _short(h.document)]
        if with_meta:
            row.append(_short(json.dumps(h.metadata, sort_keys=True) if h.metadata else None, 40))
        rows.append(row)
    header = ["rank", "id", "distance", "document"] + (["metadata"] if with_meta else [])
    _print_table(args, header, rows)
    return 0


def _load_model(path):
    from .._io import load

    try:
        return load(path)
    except FileNotFoundError:
        raise UsageError(f"--model {path!r} does not exist: pass a file written by veob.save") from None
    except (ValueError, TypeError) as exc:
        raise UsageError(flag_message(exc, "--model")) from None


def _call_with_k(method, first, k, names):
    """Call ``method(first, <k under its own keyword>)``."""
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        params = {}
    for name in names:
        if name in params:
            return method(first, **{name: k})
    return method(first, k)


def _text_search(model, text, k):
    """Embed ``text`` with a saved text model and search it; (what, header, rows) or a UsageError.

    Word models search their word vectors (a new word is embedded by its
    spelling when the model can, as OrthographyEmbedder does); a
    SentenceEmbedder tokenizes the text as ``veob sentences`` prepared its
    corpus and searches the fitted sentences.
    """
    from ..experiments._text_pipelines import tokenize_queries
    from ..text import WordVectors

    cls = type(model).__name__
    if hasattr(model, "most_similar") and hasattr(model, "embedding_") and hasattr(model, "word_vectors"):
        tokens = tokenize_queries([text])[0]  # SentenceEmbedder: the corpus tokenizer
        known = [t for t in tokens if t in model.word_vectors]
        if not known:
            raise UsageError(f"none of the words of --text {text!r} (tokens: {' '.join(tokens) or 'none'}) has a "
                             f"vector in this {cls} ({len(model.word_vectors):,} words)")
        hits = model.most_similar(tokens, topn=k)
        return ("fitted sentences", ["rank", "sentence", "distance"],
                [[str(i), str(j), f"{d:.4g}"] for i, (j, d) in enumerate(hits, 1)])
    wv = model if isinstance(model, WordVectors) else getattr(model, "word_vectors_", None)
    if not isinstance(wv, WordVectors):
        raise UsageError(f"--model holds a {cls}, which cannot embed text: --text needs word vectors or an "
                         "Orthography/Context/Dictionary/SentenceEmbedder (use --vector with this model)")
    words = tokenize_queries([text])[0]
    if len(words) != 1:
        raise UsageError(f"--text {text!r} is {len(words)} words; this {cls} embeds single words: pass one word "
                         "(or use a SentenceEmbedder model for sentences)")
    word = words[0]
    if word in wv:
        query = word
    elif hasattr(model, "transform") and cls == "OrthographyEmbedder":  # a new word, embedded by its spelling
        query = np.asarray(model.transform([word]))[0]
    else:
        raise UsageError(f"the word {word!r} is not in the vocabulary of this {cls} ({len(wv):,} words), which "
                         "cannot embed new words: try another word")
    hits = wv.most_similar(query, topn=k)
    return ("words", ["rank", "word", "cosine distance"],
            [[str(i), _short(w), f"{float(d):.4g}"] for i, (w, d) in enumerate(hits, 1)])


def _run_model(args):
    model = _load_model(args.model)
    cls = type(model).__name__
    if args.id is not None:
        raise UsageError("--id works with --chroma; with --model pass --text WORD or --vector")
    if args.text is not None:
        try:
            what, header, rows = _text_search(model, args.text, args.k)
        except (KeyError, ValueError, TypeError) as exc:
            message = exc.args[0] if exc.args else str(exc)
            raise UsageError(f"{cls}: --text {args.text!r}: {message}") from None
        say(args, f"veob query: {len(rows)} nearest {what} of {args.text!r} in {args.model} ({cls})")
        _print_table(args, header, rows)
        return 0
    if not hasattr(model, "kneighbors"):
        raise UsageError(f"the model in {args.model!r} is a {cls}, which has no kneighbors: "
                         "--vector needs a searchable model (e.g. a CellIndex)")
    query = _parse_vector(args.vector)
    n_features = getattr(model, "n_features_in_", None)
    if n_features is not None and query.size != n_features:
        raise UsageError(f"--vector has {query.size} values; the {cls} in {args.model!r} expects {n_features}")
    try:
        dist, ind = _call_with_k(model.kneighbors, query[None, :], args.k, ("n_neighbors", "k"))
    except ValueError as exc:
        raise UsageError(f"{cls}.kneighbors failed: {exc}") from None
    dist, ind = np.asarray(dist)[0], np.asarray(ind)[0]
    say(args, f"veob query: {len(ind)} nearest of the given vector in {args.model} ({cls})")
    _print_table(args, ["rank", "index", "distance"],
                 [[str(i), str(int(j)), f"{float(d):.4g}"] for i, (j, d) in enumerate(zip(ind, dist), 1)])
    return 0
