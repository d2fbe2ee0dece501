"""``veob demo``: the whole method on scikit-learn's bundled 8x8 digits."""

from __future__ import annotations

import numpy as np

from ._common import machine_info, out_dir, say, timer, write_json_atomic

HELP = "DCT -> SVD -> nearest-neighbour matching on scikit-learn's 8x8 digits (no download)"


def add_arguments(parser):
    parser.add_argument("--components", type=int, default=20, help="SVD components (default: 20)")
    parser.add_argument("--keep", type=int, default=8, help="low-pass DCT block size (default: 8, all)")


def rank_labels_by_nearest(distances, train_labels, classes):
    """Rank classes per query by the distance of each class's best match.

    The paper's measure: a query's classes are ordered by their closest
    training sample; returns (n_queries, n_classes) class labels, best first.
    """
    best = np.full((distances.shape[0], len(classes)), np.inf)
    for j, c in enumerate(classes):
        best[:, j] = distances[:, train_labels == c].min(axis=1)
    return np.asarray(classes)[np.argsort(best, axis=1, kind="stable")]


def run(args):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from .. import SVDEmbedder, dct2, plot_singular_values

    if not 1 <= args.keep <= 8:
        from ._common import UsageError

        raise UsageError(f"--keep {args.keep} must lie in [1, 8] (the digits are 8x8)")
    out = out_dir(args, "veob-demo")
    timings = {}
    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.25, stratify=digits.target, random_state=args.seed
    )
    with timer(timings, "dct2"):
        F_train = dct2(X_train, keep=args.keep).reshape(len(X_train), -1)
        F_test = dct2(X_test, keep=args.keep).reshape(len(X_test), -1)
    k = min(args.components, F_train.shape[1])
    if k < 1:
        from ._common import UsageError

        raise UsageError(f"--components {args.components} must be >= 1")
    with timer(timings, "svd"):
        emb = SVDEmbedder(n_components=k, random_state=args.seed).fit(F_train)
        P_train, P_test = emb.transform(F_train), emb.transform(F_test)
    with timer(timings, "match"):
        d2 = (P_test**2).sum(1)[:, None] - 2 * P_test @ P_train.T + (P_train**2).sum(1)[None, :]
        ranking = rank_labels_by_nearest(np.maximum(d2, 0), y_train, np.unique(y_train))
    top1 = float(np.mean(ranking[:, 0] == y_test))
    top3 = float(np.mean((ranking[:, :3] == y_test[:, None]).any(axis=1)))
    figure = out / "singular_values.png"
    with timer(timings, "figure"):
        _save_singular_values(emb.singular_values_, k, figure)
    say(args, f"veob demo: {len(X_train)} train / {len(X_test)} test digits, "
              f"DCT {args.keep}x{args.keep} -> SVD {k}")
    say(args, f"  top-1 accuracy {top1:.4f}   top-3 (paper measure) {top3:.4f}")
    say(args, "  timings: " + ", ".join(f"{name} {sec * 1000:.1f} ms" for name, sec in timings.items()))
    say(args, f"  figure: {figure}")
    report = {
        "command": "demo",
        "parameters": {"components": k, "keep": args.keep, "seed": args.seed},
        "metrics": {"top1": top1, "top3": top3, "n_train": len(X_train), "n_test": len(X_test)},
        "timings": timings,
        "machine": machine_info(),
    }
    write_json_atomic(out / "report.json", report)
    return 0


def _save_singular_values(s, k, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plot_singular_values

    ax = plot_singular_values(s, n_components=k, title="8x8 digits: DCT -> SVD")
    ax.figure.savefig(path, dpi=100)
    plt.close(ax.figure)
