"""``veob index``: encode documents with a saved TextEncoder into a Chroma collection (resumable)."""

from __future__ import annotations

import time
from pathlib import Path

from ._common import UsageError, open_chroma, say, show_progress
from ._sources import check_sources, iter_documents

HELP = ("encode documents (one per file or per line) with a TextEncoder model folder into a Chroma "
        "collection that remembers the model; re-running it resumes and rewrites nothing unchanged")

_BATCH = 2048


def add_arguments(parser):
    parser.add_argument("--model", required=True, metavar="DIR", help="a TextEncoder folder (veob encoder fit)")
    parser.add_argument("--docs", nargs="+", required=True, metavar="PATH",
                        help="text files, folders of .txt files, a .tar.gz of them, or the IMDB archive")
    parser.add_argument("--collection", required=True, metavar="NAME", help="the Chroma collection")
    parser.add_argument("--per-line", action="store_true",
                        help="one document per non-empty line (default: one per file / review)")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N documents")


def check_model(path):
    folder = Path(path).expanduser()
    if not folder.exists():
        raise UsageError(f"--model {str(folder)!r} does not exist: fit one with veob encoder fit --corpus PATH... "
                         "--out MODEL_DIR")
    if not folder.is_dir():
        raise UsageError(f"--model {str(folder)!r} is a file, expected a TextEncoder folder")
    from ..text import TextEncoder

    try:
        TextEncoder.load(folder)
    except ValueError as exc:
        raise UsageError(f"--model {str(folder)!r}: {str(exc).splitlines()[0]}") from None
    return folder


def run(args):
    if args.chroma is None:
        raise UsageError("--chroma DIR is required: the Chroma store folder to fill")
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit {args.limit} must be >= 1")
    model = check_model(args.model)
    sources = check_sources(args.docs, "--docs")
    from ..store._chroma import check_collection_name

    try:
        check_collection_name(args.collection)
    except ValueError as exc:
        raise UsageError(f"--collection: {exc}") from None
    try:
        store = open_chroma(args.chroma, distance="cosine")
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    def log(*a):
        say(args, *a)

    bar = None
    if show_progress(args):
        try:
            from tqdm.auto import tqdm

            bar = tqdm(desc=f"index {args.collection}", unit="doc", leave=False)
        except ImportError:
            bar = None
    n, start = 0, time.perf_counter()
    ids, texts, metas = [], [], []

    def flush():
        try:
            store.add_texts(args.collection, texts, ids=ids, metadatas=metas, encoder=model, progress=False)
        except ValueError as exc:
            raise UsageError(f"--collection {args.collection!r}: {str(exc).splitlines()[0]}") from None
        if bar is not None:
            bar.update(len(texts))
        ids.clear(), texts.clear(), metas.clear()

    seen = set()
    for doc_id, text in iter_documents(sources, flag="--docs", per_line=args.per_line, log=log):
        if args.limit is not None and n >= args.limit:
            break
        if doc_id in seen:  # the same file given twice
            continue
        seen.add(doc_id)
        ids.append(doc_id)
        texts.append(text)
        metas.append({"source": doc_id.rsplit(":", 1)[0] if args.per_line else doc_id})
        n += 1
        if len(texts) == _BATCH:
            flush()
    if texts:
        flush()
    if bar is not None:
        bar.close()
    if n == 0:
        raise UsageError("--docs hold no document (empty files or lines)")
    seconds = time.perf_counter() - start
    log(f"{n:,} documents in collection {args.collection!r} of {store.path} ({store.count(args.collection):,} "
        f"stored) in {seconds:.1f} s ({n / max(seconds, 1e-9):,.0f} documents/s)")
    log(f"try: veob search --chroma {store.path} --collection {args.collection} --text \"...\"")
    return 0
