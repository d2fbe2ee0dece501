"""``veob mnist``: the paper's MNIST pipeline (section 6.6) and the patch pipeline, with figures."""

from __future__ import annotations

import numpy as np

from ._common import (
    UsageError,
    add_store_option,
    data_root,
    fill_store,
    machine_info,
    out_dir,
    say,
    show_progress,
    timer,
    warm_up,
    write_json_atomic,
)

HELP = ("MNIST / Fashion-MNIST: the paper's DCT -> SVD 30 -> joint-embedding pipeline and the "
        "PatchEmbedder + least-squares pipeline (top-1, top-3, timings, figures, Chroma)")

_CLASS_NAMES = {
    "digits": [str(i) for i in range(10)],
    "fashion": ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"],
}


def add_arguments(parser):
    parser.add_argument("--kind", choices=("digits", "fashion"), default="digits",
                        help="MNIST digits or Fashion-MNIST (default: digits)")
    parser.add_argument("--pipelines", default="paper,patch", metavar="LIST",
                        help="comma-separated subset of paper,patch (default: both). Measured on 2 quiet cores "
                             "(docs/images.md): paper ~2 s; patch 210 s digits, 229 s fashion; 2-3x that "
                             "when the cores are shared")
    parser.add_argument("--components", type=int, default=30, help="SVD components of the paper pipeline "
                                                                    "(default: 30, the paper's)")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="smoke test: the first N training and N // 6 test images")
    add_store_option(parser, "the Chroma store with the 70,000 paper-pipeline vectors")


def _parse(args):
    pipelines = [p.strip() for p in args.pipelines.split(",") if p.strip()]
    if not pipelines:
        raise UsageError(f"--pipelines {args.pipelines!r} is empty; use paper, patch or paper,patch")
    for p in pipelines:
        if p not in ("paper", "patch"):
            raise UsageError(f"--pipelines: {p!r} is not one of paper, patch")
    if args.components < 1:
        raise UsageError(f"--components {args.components} must be >= 1")
    if args.limit is not None and args.limit < 200:
        raise UsageError(f"--limit {args.limit} must be >= 200")
    return pipelines


def run(args):
    from ..datasets import load_mnist

    pipelines = _parse(args)
    root = data_root(args)
    out = out_dir(args, f"veob-mnist-{args.kind}")
    timings = {}
    folder = root / ("mnist" if args.kind == "digits" else "fashion_mnist")
    with timer(timings, "load"):
        try:
            X_train, y_train, X_test, y_test = load_mnist(folder, kind=args.kind)
        except (FileNotFoundError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    if args.limit is not None:
        X_train, y_train = X_train[:args.limit], y_train[:args.limit]
        X_test, y_test = X_test[:max(args.limit // 6, 50)], y_test[:max(args.limit // 6, 50)]
    say(args, f"veob mnist --kind {args.kind}: {len(X_train)} train / {len(X_test)} test images "
              f"(loaded in {timings['load']:.2f} s)")
    report = {"command": "mnist", "parameters": {"kind": args.kind, "pipelines": pipelines,
                                                 "components": args.components, "seed": args.seed,
                                                 "limit": args.limit},
              "metrics": {}, "timings": timings, "figures": []}
    warmup = {}
    warm_up(args, warmup, _KERNELS, lambda: _warm_pipelines(pipelines, X_train, y_train, X_test, y_test))
    report["warmup_seconds"] = warmup["warmup"]
    if "paper" in pipelines:
        report["metrics"]["paper"] = _paper(args, out, report, X_train, y_train, X_test, y_test)
    if "patch" in pipelines:
        report["metrics"]["patch"] = _patch(args, X_train, y_train, X_test, y_test)
    report["machine"] = machine_info()
    write_json_atomic(out / "report.json", report)
    say(args, f"  report: {out / 'report.json'}")
    return 0


_KERNELS = ("veob.spectral._kernels", "veob.decomposition._kernels", "veob.partition._build_kernels",
            "veob.partition._search_kernels", "veob.models._kernels", "veob.images._kernels")


def _warm_pipelines(pipelines, X_train, y_train, X_test, y_test):
    """Both pipelines on a few hundred images, untimed: compiles (or loads) their numba kernels."""
    from ..experiments import evaluate_paper_pipeline, evaluate_patch_pipeline
    from ..models import LeastSquaresClassifier

    n, m = min(len(X_train), 400), min(len(X_test), 50)
    if "paper" in pipelines:
        evaluate_paper_pipeline(X_train[:n], y_train[:n], X_test[:m], y_test[:m], n_components=10, min_samples=20,
                                random_state=0)
    if "patch" in pipelines:
        evaluate_patch_pipeline(X_train[:n // 2], y_train[:n // 2], X_test[:m], y_test[:m],
                                classifier=LeastSquaresClassifier(n_components=32, random_state=0))


def _paper(args, out, report, X_train, y_train, X_test, y_test):
    from .._progress import stage
    from ..experiments import evaluate_paper_pipeline

    min_samples = 200 if len(X_train) >= 20000 else 20
    with stage(show_progress(args), "paper pipeline: DCT, SVD, joint embedding, ranking"):
        result = evaluate_paper_pipeline(X_train, y_train, X_test, y_test, n_components=args.components,
                                         min_samples=min_samples, random_state=args.seed)
    sec = result["seconds"]
    metrics = {key: float(result[key]) for key in ("train_top1", "train_top3", "test_top1", "test_top3")}
    metrics["seconds"] = {k: float(v) for k, v in sec.items()}
    say(args, f"  paper pipeline (2-D DCT -> SVD {args.components} -> JointEmbeddingClassifier):")
    say(args, f"    train top-1 {metrics['train_top1']:.4f}  top-3 {metrics['train_top3']:.4f}")
    say(args, f"    test  top-1 {metrics['test_top1']:.4f}  top-3 {metrics['test_top3']:.4f}"
              f"   (paper top-3: {'99.4' if args.kind == 'digits' else '97.7'} %)")
    say(args, "    seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in sec.items())
              + "   (paper: 216 s digits, 228 s fashion on an M1)")
    report["figures"] += _figures(args, out, result, X_train, y_train, X_test, y_test)
    if not args.no_store:
        metrics["chroma"] = _fill_store(args, out, result["train_embedding"], y_train,
                                        result["test_embedding"], y_test, report["timings"])
    return metrics


def _patch(args, X_train, y_train, X_test, y_test):
    from ..experiments import evaluate_patch_pipeline

    result = evaluate_patch_pipeline(X_train, y_train, X_test, y_test, progress=show_progress(args))
    sec = result["seconds"]
    metrics = {"test_top1": float(result["test_top1"]), "test_top3": float(result["test_top3"]),
               "n_features": result["n_features"], "seconds": {k: float(v) for k, v in sec.items()}}
    say(args, "  patch pipeline (PatchEmbedder(random_state=0) -> LeastSquaresClassifier()):")
    say(args, f"    test  top-1 {metrics['test_top1']:.4f}  top-3 {metrics['test_top3']:.4f}"
              f"   ({metrics['n_features']} features)")
    say(args, "    seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in sec.items()))
    return metrics


def _figures(args, out, result, X_train, y_train, X_test, y_test, n_rows=6, n_matches=5):
    """Singular values, and a correct and a wrong match grid (test images and their nearest training images)."""
    from ..plotting._figures import headless_pyplot

    try:
        plt = headless_pyplot()
    except ImportError as exc:
        say(args, f"  figures skipped: {exc}")
        return []

    from ..decomposition import plot_singular_values
    from ..partition import CellIndex
    from ..plotting import plot_match_grid, save_figure

    paths = []
    ax = plot_singular_values(result["singular_values"], title=f"{args.kind}: singular values of the 2-D DCT")
    path = out / "singular_values.png"
    save_figure(ax.figure, path)
    plt.close(ax.figure)
    paths.append(str(path))
    ranking = result["test_ranking"]
    correct = np.flatnonzero(ranking[:, 0] == y_test)[:n_rows]
    wrong = np.flatnonzero(ranking[:, 0] != y_test)[:n_rows]
    index = CellIndex(exact=True, random_state=args.seed).fit(result["train_embedding"])
    names = _CLASS_NAMES[args.kind]
    for name, rows in (("correct", correct), ("wrong", wrong)):
        if rows.size == 0:
            continue
        dist, idx = index.kneighbors(result["test_embedding"][rows], n_neighbors=n_matches)
        fig = plot_match_grid(X_test[rows], X_train[idx], query_labels=y_test[rows], match_labels=y_train[idx],
                              distances=dist, class_names=names, predicted_labels=ranking[rows, 0],
                              title=f"{args.kind}: {name}ly classified test images (true and predicted label) "
                                    "and their nearest training images")
        path = out / f"match_grid_{name}.png"
        save_figure(fig, path)
        plt.close(fig)
        paths.append(str(path))
    say(args, "  figures: " + ", ".join(paths))
    return paths


def _fill_store(args, out, P_train, y_train, P_test, y_test, timings):
    collection = f"mnist-{args.kind}-svd{P_train.shape[1]}"
    labels = np.concatenate([y_train, y_test])
    splits = ["train"] * len(P_train) + ["test"] * len(P_test)
    ids = [f"{s}-{i}" for s, n in (("train", len(P_train)), ("test", len(P_test))) for i in range(n)]
    report = fill_store(args, out, collection, np.vstack([P_train, P_test]).astype(np.float32),
                        P_test[:1].astype(np.float32), timings=timings, ids=ids,
                        metadatas=[{"label": int(y), "split": s} for y, s in zip(labels, splits)])
    if report is None:
        return None
    hits = report.pop("hits")
    say(args, f"  Chroma: {report['count']} vectors in {report['path']} (collection {collection!r}) in "
              f"{timings['chroma_upsert']:.1f} s; first test image (a {int(y_test[0])}) -> "
              + ", ".join(f"{h.id} ({h.distance:.3g})" for h in hits))
    return {**report, "hits": [{"id": h.id, "distance": float(h.distance)} for h in hits]}
