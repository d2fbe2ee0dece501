"""The argparse glue of ``veob words|context|dictionary|sentences``: shared options and one run's state.

The protocols themselves (corpus, fits, neighbour tables, figure, store) are
in :mod:`veob.experiments` (``_text_pipelines``).
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from ..experiments._text_pipelines import _MAX_TOKENS, PAPER_QUERIES, find_imdb, load_unsup_corpus, save_singular_values
from ._common import (
    UsageError,
    add_store_option,
    flag_message,
    machine_info,
    out_dir,
    say,
    show_progress,
    timer,
    write_json_atomic,
)

__all__ = ["COLLECTIONS", "TextRun", "add_text_options", "elapsed_bar", "scheduler_solver"]

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

CONNECT_TIMEOUT = "10s"  # how long distributed.Client retries an unreachable scheduler


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
