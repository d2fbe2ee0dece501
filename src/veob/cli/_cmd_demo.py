"""``veob demo``: the whole method on scikit-learn's bundled 8x8 digits."""

from __future__ import annotations

import numpy as np

from ._common import add_store_option, fill_store, machine_info, out_dir, say, timer, warm_up, write_json_atomic

HELP = "DCT -> SVD -> nearest-neighbour matching on scikit-learn's 8x8 digits (no download)"


def add_arguments(parser):
    parser.add_argument("--components", type=int, default=20, help="SVD components (default: 20)")
    parser.add_argument("--keep", type=int, default=8, help="low-pass DCT block size (default: 8, all)")
    add_store_option(parser, "the Chroma collection 'digits-demo'")


def rank_labels_by_cell_search(P_train, y_train, P_test, random_state=0):
    """Rank classes per query by the distance of each class's best match.

    The paper's measure: a query's classes are ordered by their closest
    training sample, found by an exact cell search (one CellIndex per class);
    returns (n_queries, n_classes) class labels, best first.
    """
    from ..partition import CellIndex

    classes = np.unique(y_train)
    best = np.empty((len(P_test), len(classes)))
    for j, c in enumerate(classes):
        index = CellIndex(max_level=4, min_samples=16, exact=True, random_state=random_state)
        index.fit(P_train[y_train == c])
        best[:, j] = index.kneighbors(P_test, n_neighbors=1)[0][:, 0]
    return classes[np.argsort(best, axis=1, kind="stable")]


def run(args):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from .. import SVDEmbedder, dct2

    if not 1 <= args.keep <= 8:
        from ._common import UsageError

        raise UsageError(f"--keep {args.keep} must lie in [1, 8] (the digits are 8x8)")
    timings = {}
    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.25, stratify=digits.target, random_state=args.seed
    )
    k = min(args.components, args.keep * args.keep)
    if k < 1:
        from ._common import UsageError

        raise UsageError(f"--components {args.components} must be >= 1")
    out = out_dir(args, "veob-demo")
    warmup = {}
    warm_up(args, warmup, ("veob.spectral._kernels", "veob.decomposition._kernels", "veob.partition._build_kernels",
                           "veob.partition._search_kernels"),
            lambda: _pipeline(X_train[:120], y_train[:120], X_test[:20], args.keep, k, args.seed))
    with timer(timings, "dct2"):
        F_train = dct2(X_train, keep=args.keep).reshape(len(X_train), -1)
        F_test = dct2(X_test, keep=args.keep).reshape(len(X_test), -1)
    with timer(timings, "svd"):
        emb = SVDEmbedder(n_components=k, random_state=args.seed).fit(F_train)
        P_train, P_test = emb.transform(F_train), emb.transform(F_test)
    with timer(timings, "match"):
        ranking = rank_labels_by_cell_search(P_train, y_train, P_test, random_state=args.seed)
    top1 = float(np.mean(ranking[:, 0] == y_test))
    top3 = float(np.mean((ranking[:, :3] == y_test[:, None]).any(axis=1)))
    store_report = None if args.no_store else _fill_store(args, out, P_train, y_train, P_test[:1], y_test[:1],
                                                          timings)
    figure = out / "singular_values.png"
    with timer(timings, "figure"):
        _save_singular_values(emb.singular_values_, k, figure)
    say(args, f"veob demo: {len(X_train)} train / {len(X_test)} test digits, "
              f"DCT {args.keep}x{args.keep} -> SVD {k}")
    say(args, f"  top-1 accuracy {top1:.4f}   top-3 (paper measure) {top3:.4f}")
    say(args, "  timings: " + ", ".join(f"{name} {sec * 1000:.1f} ms" for name, sec in timings.items()))
    if store_report:
        say(args, f"  Chroma: {store_report['count']} vectors in {store_report['path']} "
                  f"(collection {store_report['collection']!r}); first test digit "
                  f"(a {int(y_test[0])}) -> nearest stored: "
                  + ", ".join(f"{h['document']} ({h['distance']:.3f})" for h in store_report["hits"]))
    say(args, f"  figure: {figure}")
    report = {
        "command": "demo",
        "parameters": {"components": k, "keep": args.keep, "seed": args.seed},
        "metrics": {"top1": top1, "top3": top3, "n_train": len(X_train), "n_test": len(X_test)},
        "chroma": store_report,
        "timings": timings,
        "warmup_seconds": warmup["warmup"],
        "machine": machine_info(),
    }
    write_json_atomic(out / "report.json", report)
    return 0


def _pipeline(X_train, y_train, X_test, keep, k, seed):
    """The timed steps on a few images: compiles (or loads) the kernels they use, untimed."""
    from .. import SVDEmbedder, dct2

    F_train = dct2(X_train, keep=keep).reshape(len(X_train), -1)
    F_test = dct2(X_test, keep=keep).reshape(len(X_test), -1)
    emb = SVDEmbedder(n_components=min(k, F_train.shape[1]), random_state=seed).fit(F_train)
    return rank_labels_by_cell_search(emb.transform(F_train), y_train, emb.transform(F_test), random_state=seed)


def _save_singular_values(s, k, path):
    from .. import plot_singular_values
    from ..plotting._figures import headless_pyplot

    plt = headless_pyplot()

    ax = plot_singular_values(s, n_components=k, title="8x8 digits: DCT -> SVD")
    ax.figure.savefig(path, dpi=100)
    plt.close(ax.figure)


def _fill_store(args, out, P_train, y_train, queries, query_labels, timings):
    """Upsert the training vectors into a Chroma collection and query it."""
    report = fill_store(args, out, "digits-demo", P_train.astype(np.float32), queries.astype(np.float32),
                        timings=timings, documents=[f"digit {int(y)}" for y in y_train],
                        metadatas=[{"label": int(y), "split": "train"} for y in y_train])
    if report is None:
        return None
    hits = report.pop("hits")
    return {**report, "query_label": int(query_labels[0]),
            "hits": [{"id": h.id, "document": h.document, "distance": float(h.distance)} for h in hits]}
