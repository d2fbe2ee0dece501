"""``veob search``: the nearest documents of a text in a collection filled by ``veob index``."""

from __future__ import annotations

from ._common import UsageError, open_chroma

HELP = "search a collection filled by veob index (or ChromaStore.add_texts) with a text"


def add_arguments(parser):
    parser.add_argument("--collection", required=True, metavar="NAME", help="the Chroma collection")
    parser.add_argument("--text", required=True, action="append", metavar="TEXT",
                        help="query text (repeatable)")
    parser.add_argument("--k", type=int, default=10, help="hits per query (default: 10)")


def _snippet(text, width=100):
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 3] + "..."


def run(args):
    if args.chroma is None:
        raise UsageError("--chroma DIR is required: the store folder veob index filled")
    if args.k < 1:
        raise UsageError(f"--k {args.k} must be >= 1")
    try:
        store = open_chroma(args.chroma, distance="cosine")
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    try:
        results = store.query_texts(args.collection, args.text, n_results=args.k)
    except ValueError as exc:
        raise UsageError(f"--collection {args.collection!r}: {str(exc).splitlines()[0]}") from None
    for text, hits in zip(args.text, results):
        print(f"query: {text}")
        print(f"{'rank':>4}  {'distance':>8}  {'id':<28}  document")
        for rank, hit in enumerate(hits, 1):
            print(f"{rank:>4}  {hit.distance:8.4f}  {hit.id:<28}  {_snippet(hit.document)}")
    return 0
