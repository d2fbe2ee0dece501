"""``veob imdb``: the seed notebook's IMDB experiments with the backprop-free SentimentClassifier."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .._progress import stage
from ._common import (
    UsageError,
    data_root,
    machine_info,
    out_dir,
    say,
    show_progress,
    write_json_atomic,
    write_text_atomic,
)

HELP = ("IMDB sentiment: the BiLSTM seed's experiments (vocabulary, tokens, samples, learning curve) "
        "with SentimentClassifier, beside the seed's numbers")

_ALL = ("a", "b", "c", "d", "e", "default")


def add_arguments(parser):
    parser.add_argument("--experiments", default=",".join(_ALL), metavar="LIST",
                        help="comma-separated subset of a,b,c,d,e,default (default: all)")
    parser.add_argument("--sizes", default="100,500,1000,5000,all", metavar="LIST",
                        help="learning-curve sizes, 'all' for every training review "
                             "(default: 100,500,1000,5000,all)")
    parser.add_argument("--batch-size", type=int, default=None, metavar="N",
                        help="count sizes in batches of N reviews, as the seed's code did (take(100) "
                             "of batches of 32 is 3,200 reviews); default: reviews")
    parser.add_argument("--no-unlabeled", action="store_true",
                        help="do not feed the unlabelled reviews (rest of train, train/unsup) to the embedding")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="smoke test: N random reviews of train, of test and of unsup")


def _parse_list(text, option):
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise UsageError(f"{option} {text!r} is empty")
    return items


def _parse_args(args):
    experiments = _parse_list(args.experiments, "--experiments")
    for e in experiments:
        if e not in _ALL:
            raise UsageError(f"--experiments: {e!r} is not one of {','.join(_ALL)}")
    sizes = []
    for s in _parse_list(args.sizes, "--sizes"):
        if s == "all":
            sizes.append(None)
            continue
        try:
            value = int(s)
        except ValueError:
            raise UsageError(f"--sizes: {s!r} is not an integer or 'all'") from None
        if value < 2:
            raise UsageError(f"--sizes: {value} must be >= 2")
        sizes.append(value)
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError(f"--batch-size {args.batch_size} must be >= 1")
    if args.limit is not None and args.limit < 10:
        raise UsageError(f"--limit {args.limit} must be >= 10")
    return experiments, sizes


def _imdb_path(root):
    for candidate in (root / "imdb" / "aclImdb.tar.gz", root / "imdb" / "aclImdb", root / "aclImdb.tar.gz",
                      root / "aclImdb"):
        if candidate.exists():
            return candidate
    raise UsageError(f"no IMDB data under {str(root)!r}: expected imdb/aclImdb.tar.gz "
                     "(the aclImdb v1 archive) in the data folder")


def _limit(data, n, seed):
    """A random subset of n reviews of each subset, balanced over classes."""
    from sklearn.utils import Bunch

    rng = np.random.RandomState(seed)
    keep = []
    subsets, labels = np.asarray(data.subsets), np.asarray(data.labels)
    for subset in np.unique(subsets):
        groups = [np.flatnonzero((subsets == subset) & (labels == c)) for c in np.unique(labels[subsets == subset])]
        per_group = max(1, n // len(groups))
        for g in groups:
            keep.append(np.sort(rng.choice(g, min(per_group, len(g)), replace=False)))
    keep = np.sort(np.concatenate(keep))
    return Bunch(texts=[data.texts[i] for i in keep],
                 **{f: np.asarray(getattr(data, f))[keep] for f in ("labels", "ratings", "ids", "subsets", "files")})


def run(args):
    from ..datasets import load_imdb
    from ..experiments import format_imdb_table, run_imdb_protocol

    experiments, sizes = _parse_args(args)
    root = data_root(args)
    out = out_dir(args, "veob-imdb")
    timings = {}
    start = time.perf_counter()
    path = _imdb_path(root)
    try:
        with stage(show_progress(args), f"reading {path}"):
            data = load_imdb(path, subsets=("train", "test", "unsup"))
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    if args.limit is not None:
        data = _limit(data, args.limit, args.seed)
    timings["load"] = round(time.perf_counter() - start, 2)
    say(args, f"veob imdb: {len(data.texts):,} reviews from {path} (load {timings['load']:.1f} s); "
              f"experiments {','.join(experiments)}")

    def show(row):
        say(args, f"  [{row['experiment']}] {row['setting']}: test {row['accuracy']:.4f} "
                  f"(seed {row['seed_accuracy'] if row['seed_accuracy'] is not None else '-'}), "
                  f"fit {row['fit_seconds']:.1f} s, predict {row['predict_seconds']:.1f} s")

    start = time.perf_counter()
    with stage(show_progress(args), f"experiments {','.join(experiments)} (one line per setting as it ends)"):
        report = run_imdb_protocol(data, experiments=experiments, sizes=sizes,
                                   use_unlabeled=not args.no_unlabeled, batch_size=args.batch_size,
                                   random_state=args.seed, callback=show)
    timings["protocol"] = round(time.perf_counter() - start, 2)
    table = format_imdb_table(report)
    say(args, "")
    say(args, table)
    write_text_atomic(out / "imdb_table.md", table + "\n")
    figure = None
    curve = [r for r in report["rows"] if r["experiment"] == "e"]
    if curve:
        figure = _learning_curve_figure(curve, out / "learning_curve.png", args)
    report.update({
        "command": "imdb",
        "parameters": {"experiments": experiments, "sizes": sizes, "batch_size": args.batch_size,
                       "use_unlabeled": not args.no_unlabeled, "limit": args.limit, "seed": args.seed,
                       "data": str(path)},
        "timings": timings,
        "machine": machine_info(),
        "figure": str(figure) if figure else None,
    })
    write_json_atomic(out / "report.json", report)
    say(args, f"  report: {out / 'report.json'}" + (f", figure: {figure}" if figure else ""))
    return 0


def _learning_curve_figure(rows, path, args):
    from ..plotting._figures import headless_pyplot

    try:
        headless_pyplot()
    except ImportError:
        say(args, "  (no learning-curve figure: it needs matplotlib: pip install 'veob[plot]')")
        return None
    from ..experiments import SEED_IMDB_RESULTS
    from ..plotting import plot_learning_curve, save_figure

    sizes = [r["n_train"] for r in rows]
    seed_curve = {k: v for k, v in SEED_IMDB_RESULTS["learning curve"].items() if k != "all"}
    for r in rows:  # the seed's "all" point sits at our number of training reviews
        if r["setting"].endswith(": all"):
            seed_curve[r["n_train"]] = SEED_IMDB_RESULTS["learning curve"]["all"]
    ax = plot_learning_curve(
        sizes, {"veob SentimentClassifier (test)": [r["accuracy"] for r in rows]},
        reference={"seed BiLSTM + frozen GloVe": seed_curve,
                   "seed best (GloVe, 20,000)": SEED_IMDB_RESULTS["frozen GloVe"]},
        xlabel="labelled training reviews", ylabel="test accuracy",
        title="IMDB: accuracy against labelled training reviews")
    return save_figure(ax, Path(path))
