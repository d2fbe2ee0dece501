"""``veob query``: nearest neighbours in a Chroma collection or a saved model."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np

from ._common import UsageError, say

HELP = "nearest neighbours of an id, a word/sentence or a vector in a Chroma collection or saved model"

_DOC_WIDTH = 60


def add_arguments(parser):
    parser.add_argument("--collection", metavar="NAME", help="Chroma collection to search (with --chroma)")
    parser.add_argument("--model", metavar="FILE",
                        help="a model saved with veob.save: --text uses its most_similar, "
                             "--vector its kneighbors")
    what = parser.add_mutually_exclusive_group(required=True)
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
        from ..store import ChromaStore

        return ChromaStore(path)
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
        return _run_model(args)
    return _run_chroma(args)


def _run_chroma(args):
    if not args.collection:
        raise UsageError("--collection NAME is required with --chroma (see veob info --chroma PATH for the names)")
    store = open_store(args)
    try:
        info = store.describe(args.collection)
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
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
            raise UsageError(f"no vector with {kind} {key!r} in collection {args.collection!r}: "
                             "check the spelling, or pass --vector")
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
        raise UsageError(f"no model file at {path!r}: pass --model with a file written by veob.save") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None


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


def _run_model(args):
    model = _load_model(args.model)
    cls = type(model).__name__
    if args.id is not None:
        raise UsageError("--id works with --chroma; with --model pass --text WORD or --vector")
    if args.text is not None:
        if not hasattr(model, "most_similar"):
            raise UsageError(f"the model in {args.model!r} is a {cls}, which has no most_similar: "
                             "--text needs word vectors (or use --vector)")
        try:
            result = _call_with_k(model.most_similar, args.text, args.k, ("topn", "n", "k", "n_results"))
        except (KeyError, ValueError) as exc:
            message = exc.args[0] if exc.args else str(exc)
            raise UsageError(f"{cls}.most_similar({args.text!r}) failed: {message}") from None
        say(args, f"veob query: {len(result)} most similar to {args.text!r} in {args.model} ({cls})")
        _print_table(args, ["rank", "word", "score"],
                     [[str(i), _short(w), f"{float(s):.4g}"] for i, (w, s) in enumerate(result, 1)])
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
