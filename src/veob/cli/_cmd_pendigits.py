"""``veob pendigits``: pen trajectories (UCI pen digits) with the spectral transform, against k-NN."""

from __future__ import annotations

import time

import numpy as np

from ._common import (
    UsageError,
    add_store_option,
    data_root,
    fill_store,
    machine_info,
    out_dir,
    say,
    timer,
    write_json_atomic,
    write_text_atomic,
)

HELP = ("UCI pen digits: raw k-NN, spectral transform + 1-NN and TrajectoryClassifier side by side, "
        "with a random-length robustness test, figures and a Chroma collection")

COLLECTION = "pendigits-trajectories"


def add_arguments(parser):
    parser.add_argument("--min-length", type=int, default=8, metavar="N",
                        help="shortest random length of the resampled test trajectories (default: 8)")
    parser.add_argument("--max-length", type=int, default=64, metavar="N",
                        help="longest random length of the resampled test trajectories (default: 64)")
    parser.add_argument("--n-figure", type=int, default=10, metavar="N",
                        help="test trajectories in the nearest-neighbour figure (default: 10)")
    add_store_option(parser, "the Chroma collection")


def resample_lengths(trajectories, low, high, seed):
    """Every trajectory linearly interpolated (in its point index) to a random length in [low, high].

    The lengths are drawn by ``numpy.random.default_rng(seed).integers(low, high + 1)``, one per
    trajectory in order; the new points sit at ``linspace(0, len - 1, length)`` of the old index.
    """
    rng = np.random.default_rng(seed)
    out = []
    for points in trajectories:
        points = np.asarray(points, dtype=np.float64)
        length = int(rng.integers(low, high + 1))
        where = np.linspace(0.0, len(points) - 1.0, length)
        index = np.arange(len(points), dtype=np.float64)
        out.append(np.column_stack([np.interp(where, index, points[:, j]) for j in range(2)]))
    return out


def _check_args(args):
    if args.min_length < 2:
        raise UsageError(f"--min-length {args.min_length} must be >= 2")
    if args.max_length < args.min_length:
        raise UsageError(f"--max-length {args.max_length} must be >= --min-length {args.min_length}")
    if args.n_figure < 0:
        raise UsageError(f"--n-figure {args.n_figure} must be >= 0")


def _pendigits_path(root):
    for candidate in (root / "pendigits" / "pendigits.tar.gz", root / "pendigits", root / "pendigits.tar.gz"):
        if candidate.exists():
            return candidate
    raise UsageError(f"no pendigits data under {str(root)!r}: expected pendigits/pendigits.tar.gz "
                     "(pendigits.tra and pendigits.tes) in the data folder")


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run_methods(X_train, y_train, X_test, y_test, X_test_resampled, seed):
    """Fit and score the three methods; returns (rows, fitted classifier, its test predictions)."""
    from sklearn.neighbors import KNeighborsClassifier

    from ..baselines import TrajectoryClassifier
    from ..partition import CellIndex
    from ..spectral import TrajectoryTransformer

    rows = []
    flat_train, flat_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    knn = KNeighborsClassifier(n_neighbors=1, algorithm="brute")
    _, fit_s = _timed(lambda: knn.fit(flat_train, y_train))
    pred, pred_s = _timed(lambda: knn.predict(flat_test))
    rows.append({"method": "1-NN on the raw 16 coordinates (scikit-learn)", "accuracy": float(np.mean(pred == y_test)),
                 "resampled_accuracy": None, "fit_seconds": fit_s, "predict_seconds": pred_s})

    clf = TrajectoryClassifier(random_state=seed)
    transformer = TrajectoryTransformer(clf.n_freqs, features=clf.features, resample=clf.resample)

    def fit_st():
        F = transformer.fit_transform(X_train)
        return CellIndex(exact=True, random_state=seed).fit(F)

    def predict_st(X):
        return y_train[index.kneighbors(transformer.transform(X), n_neighbors=1, return_distance=False)[:, 0]]

    index, fit_s = _timed(fit_st)
    pred, pred_s = _timed(lambda: predict_st(X_test))
    resampled = predict_st(X_test_resampled)
    rows.append({"method": f"spectral transform ({transformer.n_freqs} freqs) + 1-NN, CellIndex(exact=True)",
                 "accuracy": float(np.mean(pred == y_test)), "resampled_accuracy": float(np.mean(resampled == y_test)),
                 "fit_seconds": fit_s, "predict_seconds": pred_s})

    _, fit_s = _timed(lambda: clf.fit(X_train, y_train))
    pred, pred_s = _timed(lambda: clf.predict(X_test))
    resampled = clf.predict(X_test_resampled)
    rows.append({"method": f"TrajectoryClassifier(random_state={seed})", "accuracy": float(np.mean(pred == y_test)),
                 "resampled_accuracy": float(np.mean(resampled == y_test)), "fit_seconds": fit_s,
                 "predict_seconds": pred_s})
    for row in rows:
        row["drop_points"] = None if row["resampled_accuracy"] is None \
            else 100.0 * (row["accuracy"] - row["resampled_accuracy"])
    return rows, clf, pred


def format_table(rows, low, high):
    """The results as a Markdown table (accuracy in %, times in seconds)."""
    lines = [f"| method | test accuracy | random length {low}-{high} | drop (points) | fit + predict (s) |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        res = "n/a (fixed 16 inputs)" if r["resampled_accuracy"] is None else f"{100 * r['resampled_accuracy']:.2f} %"
        drop = "-" if r["drop_points"] is None else f"{r['drop_points']:.2f}"
        lines.append(f"| {r['method']} | {100 * r['accuracy']:.2f} % | {res} | {drop} | "
                     f"{r['fit_seconds']:.2f} + {r['predict_seconds']:.2f} |")
    return "\n".join(lines)


def run(args):
    from ..datasets import load_pendigits

    _check_args(args)
    root = data_root(args)
    out = out_dir(args, "veob-pendigits")
    path = _pendigits_path(root)
    timings = {}
    with timer(timings, "load"):
        try:
            X_train, y_train, X_test, y_test = load_pendigits(path)
        except (FileNotFoundError, ValueError) as exc:
            raise UsageError(str(exc).splitlines()[0]) from None
    say(args, f"veob pendigits: {len(X_train):,} training / {len(X_test):,} test trajectories from {path}")
    X_test_resampled = resample_lengths(X_test, args.min_length, args.max_length, seed=0)
    with timer(timings, "methods"):
        rows, clf, pred = run_methods(X_train, y_train, X_test, y_test, X_test_resampled, args.seed)
    table = format_table(rows, args.min_length, args.max_length)
    say(args, "")
    say(args, table)
    say(args, "")
    write_text_atomic(out / "pendigits_table.md", table + "\n")
    figures = {}
    with timer(timings, "figures"):
        try:
            figures["confusion"] = str(confusion_figure(y_test, pred, clf.classes_, out / "pendigits_confusion.png"))
            if args.n_figure:
                figures["neighbours"] = str(neighbours_figure(clf, X_train, y_train, X_test, y_test, args.n_figure,
                                                              out / "pendigits_neighbours.png"))
        except ImportError as exc:
            say(args, f"  figures skipped: {exc}")
    store_report = None
    if not args.no_store:
        store_report = _fill_store(args, out, clf, X_train, y_train, X_test, y_test, timings)
    say(args, "  timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    for name, file in figures.items():
        say(args, f"  figure ({name}): {file}")
    if store_report:
        hits = store_report["hits"]
        say(args, f"  Chroma: {store_report['count']:,} vectors in {store_report['path']} "
                  f"(collection {COLLECTION!r}); test #0 (a {store_report['query_label']}) -> nearest training: "
                  + ", ".join(f"{h['document']} ({h['distance']:.3f})" for h in hits))
    report = {
        "command": "pendigits",
        "parameters": {"seed": args.seed, "min_length": args.min_length, "max_length": args.max_length,
                       "resample_seed": 0, "classifier": clf.get_params(), "data": str(path)},
        "rows": rows,
        "table": table,
        "figures": figures,
        "chroma": store_report,
        "timings": timings,
        "machine": machine_info(),
    }
    write_json_atomic(out / "report.json", report)
    say(args, f"  report: {out / 'report.json'}")
    return 0


def confusion_figure(y_true, y_pred, classes, path):
    """Save the confusion matrix of the classifier's test predictions."""
    from sklearn.metrics import confusion_matrix

    from ..plotting import plot_confusion_matrix, save_figure
    from ..plotting._figures import headless_pyplot

    headless_pyplot()

    cm = confusion_matrix(y_true, y_pred, labels=classes)
    ax = plot_confusion_matrix(cm, class_names=[str(c) for c in classes],
                               title=f"pendigits test, TrajectoryClassifier: accuracy {np.trace(cm) / cm.sum():.4f}")
    ax.title.set_fontsize(8)
    return save_figure(ax, path, dpi=70)


def _draw(ax, points, color, title, title_color="black"):
    points = np.asarray(points)
    ax.plot(points[:, 0], points[:, 1], "-", color=color, lw=1.5)
    ax.plot(points[0, 0], points[0, 1], "o", color=color, ms=3)  # pen down
    ax.set_title(title, fontsize=7, color=title_color)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])


def neighbours_figure(clf, X_train, y_train, X_test, y_test, n_queries, path, n_neighbors=4):
    """Test trajectories (first column) and their nearest training trajectories in the embedding.

    The queries are the first test trajectory of each class, then the first
    misclassified ones, up to ``n_queries``; a dot marks where the pen
    starts, red titles mark neighbours of another class.
    """
    from ..plotting import save_figure
    from ..plotting._figures import headless_pyplot

    plt = headless_pyplot()

    pred = clf.predict(X_test)
    firsts = [int(np.flatnonzero(y_test == c)[0]) for c in np.unique(y_test)]
    wrong = [int(i) for i in np.flatnonzero(pred != y_test) if i not in firsts]
    queries = (firsts[: max(1, n_queries - min(len(wrong), n_queries // 3))] + wrong)[:n_queries]
    dist, ind = clf.kneighbors(X_test[queries], n_neighbors=n_neighbors)
    fig, axes = plt.subplots(len(queries), n_neighbors + 1, figsize=(0.95 * (n_neighbors + 1), 0.95 * len(queries)),
                             squeeze=False, layout="constrained")
    for r, q in enumerate(queries):
        ok = pred[q] == y_test[q]
        _draw(axes[r, 0], X_test[q], "#1f77b4", f"test {y_test[q]}->{pred[q]}", "black" if ok else "#d62728")
        for j in range(n_neighbors):
            t = ind[r, j]
            same = y_train[t] == y_test[q]
            _draw(axes[r, j + 1], X_train[t], "#444444" if same else "#d62728",
                  f"{y_train[t]}  d={dist[r, j]:.2f}", "black" if same else "#d62728")
    fig.suptitle("pendigits: test trajectory | nearest training trajectories", fontsize=8)
    return save_figure(fig, path, dpi=70)


def _fill_store(args, out, clf, X_train, y_train, X_test, y_test, timings):
    """Upsert the embedded train and test trajectories (label, split) and query the first test one."""
    P = np.vstack([clf.transform(X_train), clf.transform(X_test)]).astype(np.float32)
    splits = ["train"] * len(X_train) + ["test"] * len(X_test)
    labels = np.concatenate([y_train, y_test])
    local = np.concatenate([np.arange(len(X_train)), np.arange(len(X_test))])
    report = fill_store(args, out, COLLECTION, P, P[len(X_train)], timings=timings,
                        ids=[f"{s}-{i}" for s, i in zip(splits, local)],
                        documents=[f"digit {int(y)} ({s} #{i})" for y, s, i in zip(labels, splits, local)],
                        metadatas=[{"label": int(y), "split": s, "index": int(i)}
                                   for y, s, i in zip(labels, splits, local)],
                        where={"split": "train"})
    if report is None:
        return None
    hits = report.pop("hits")
    return {**report, "query_label": int(y_test[0]),
            "hits": [{"id": h.id, "document": h.document, "distance": float(h.distance),
                      "label": int(h.metadata["label"])} for h in hits]}
