"""``veob compose``: write positive or negative movie reviews with the closed-form ReviewComposer."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ._common import (
    UsageError,
    add_store_option,
    data_root,
    flag_message,
    out_dir,
    say,
    show_progress,
    write_json_atomic,
)

HELP = ("write IMDB-style reviews of a sentiment with veob.text.ReviewComposer (closed form, no gradient "
        "descent); fits on the 25,000 training reviews or loads a saved model; optional Chroma store")

LABELS = {"pos": 1, "neg": 0}
COLLECTION = "composed_reviews"


def add_arguments(parser):
    parser.add_argument("--label", required=True, choices=sorted(LABELS), help="sentiment of the reviews")
    parser.add_argument("-n", "--n", type=int, default=10, help="number of reviews (default: 10)")
    parser.add_argument("--model", default=None, metavar="FILE",
                        help="fitted model: loaded if the file exists, else fitted and saved there "
                             "(default: <out>/composer.veob)")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="fit on a random subset of N training reviews (default: all 25,000)")
    parser.add_argument("--max-tokens", type=int, default=600, help="cut a review after this many tokens")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-p", type=float, default=0.9, help="nucleus mass in (0, 1] (default: 0.9)")
    add_store_option(parser, f"the Chroma collection {COLLECTION!r} with the reviews (at --chroma)")


def store_reviews(path, reviews, labels, seed, word_vectors, *, collection=COLLECTION, progress=False):
    """Sentence vectors of generated reviews into a Chroma collection.

    Each review is embedded with :class:`veob.text.SentenceEmbedder` over
    ``word_vectors`` (fitted on the reviews themselves); metadata holds the
    label, the seed and the review's number. Returns the number written.
    """
    from ..store import ChromaStore
    from ..text import SentenceEmbedder
    from ..text._lm import tokenize

    tokens = [tokenize(r) or ["."] for r in reviews]
    k = max(1, min(32, len(tokens) - 1, word_vectors.vector_size))
    emb = SentenceEmbedder(word_vectors, n_components=k).fit(tokens)
    X = np.asarray(emb.transform(tokens), dtype=np.float32)
    store = ChromaStore(path)
    ids = [f"{label}-{seed}-{i}" for i, label in enumerate(labels)]
    metadatas = [{"label": str(label), "seed": int(seed), "index": i} for i, label in enumerate(labels)]
    return store.upsert(collection, X, ids=ids, documents=list(reviews), metadatas=metadatas, progress=progress)


def fit_composer(root, *, limit=None, seed=0, log=print, progress=False):
    """A ReviewComposer fitted on the IMDB training reviews (or a random subset of them)."""
    from .._progress import stage
    from ..datasets import load_imdb
    from ..text import ReviewComposer

    root = Path(root)
    for path in (root / "imdb" / "aclImdb.tar.gz", root / "imdb", root):
        if path.exists():
            break
    try:
        with stage(progress, f"reading the IMDB training reviews from {path}"):
            train = load_imdb(path, subsets="train")
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    rows = np.arange(len(train.texts))
    if limit is not None:
        rows = np.sort(np.random.default_rng(seed).permutation(rows.shape[0])[:limit])
    start = time.perf_counter()
    model = ReviewComposer(random_state=seed, progress=progress).fit([train.texts[i] for i in rows],
                                                                     train.labels[rows])
    log(f"fitted on {rows.shape[0]:,} training reviews in {time.perf_counter() - start:.1f} s "
        f"({model.partition_.n_cells_} cells)")
    return model


def run(args):
    from .. import load, save

    if args.n < 1:
        raise UsageError(f"-n {args.n} must be >= 1")
    if args.limit is not None and args.limit < 2:
        raise UsageError(f"--limit {args.limit} must be >= 2")
    if args.max_tokens < 1:
        raise UsageError(f"--max-tokens {args.max_tokens} must be >= 1")
    if not 0 < args.top_p <= 1:
        raise UsageError(f"--top-p {args.top_p} must lie in (0, 1]")
    if not args.temperature > 0:
        raise UsageError(f"--temperature {args.temperature} must be > 0")
    out = out_dir(args, "veob-out/compose")
    model_path = Path(args.model).expanduser() if args.model else out / "composer.veob"
    def log(*a):
        say(args, *a)

    if model_path.is_file():
        try:
            model = load(model_path)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        log(f"loaded {model_path}")
    else:
        model = fit_composer(data_root(args), limit=args.limit, seed=args.seed, log=log,
                             progress=show_progress(args))
        save(model, model_path)
        log(f"saved {model_path}")
    label = LABELS[args.label]
    from .._progress import stage

    start = time.perf_counter()
    with stage(show_progress(args), f"writing {args.n} {args.label} reviews"):
        reviews = model.generate(label, n=args.n, max_tokens=args.max_tokens, temperature=args.temperature,
                                 top_p=args.top_p, random_state=args.seed)
    seconds = time.perf_counter() - start
    for i, text in enumerate(reviews, 1):
        say(args, f"{i}. {text}\n")
    log(f"{args.n} {args.label} reviews in {seconds:.2f} s")
    stored = 0
    if not args.no_store:
        chroma = Path(args.chroma).expanduser() if args.chroma else out / "chroma"
        try:
            stored = store_reviews(chroma, reviews, [args.label] * len(reviews), args.seed, model.word_vectors_)
        except ImportError as exc:
            log(f"Chroma skipped: {exc}")
        except (ValueError, TimeoutError) as exc:
            raise UsageError(flag_message(exc, "--chroma")) from None
        else:
            log(f"stored {stored} reviews in {chroma} (collection {COLLECTION!r})")
    write_json_atomic(out / "report.json", {"label": args.label, "n": args.n, "seed": args.seed,
                                            "model": str(model_path), "seconds": seconds,
                                            "reviews": reviews, "stored": stored})
    return 0
