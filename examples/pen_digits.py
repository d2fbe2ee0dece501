"""Pen trajectories without backpropagation: UCI pen digits, the stand-in for the TAP seed's CROHME.

TAP (the seed) reads online handwritten maths as pen trajectories with a GRU.
At symbol level, the same input is a pen digit: 8 points (x, y) in writing
order, 7,494 training digits by 30 writers and 3,498 test digits by 14 other
writers. This script

1. fits three models and prints them side by side (accuracy, fit and predict
   time): 1-NN on the raw 16 coordinates, veob's spectral transform + exact
   1-NN through ``CellIndex(exact=True)``, and ``TrajectoryClassifier()``
   (spectral transform -> SVD embedding -> ridge on Nystroem features);
2. resamples every test trajectory by linear interpolation to a random
   length in [8, 64] (seed 0) and scores the fitted models again, without
   refitting: the spectral vectors do not depend on the number of points;
3. saves a confusion matrix and a figure of test trajectories with their
   nearest training trajectories, and fills a Chroma collection with the
   embedded trajectories (label and split as metadata).

Usage::

    python examples/pen_digits.py                 # needs VEOB_DATA (or --data)
    python examples/pen_digits.py --out results/  # figures and Chroma store there
    python examples/pen_digits.py --limit 300     # small-data mode: 300 train / 300 test (CI)

No gradient descent anywhere: cosine sums, an SVD and a Cholesky solve.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix
from sklearn.neighbors import KNeighborsClassifier

from veob.baselines import TrajectoryClassifier
from veob.datasets import load_pendigits
from veob.partition import CellIndex
from veob.spectral import TrajectoryTransformer


def random_lengths(trajectories, low=8, high=64, seed=0):
    """Each trajectory linearly interpolated (in its point index) to a random number of points."""
    rng = np.random.default_rng(seed)
    out = []
    for points in trajectories:
        where = np.linspace(0, len(points) - 1, int(rng.integers(low, high + 1)))
        out.append(np.column_stack([np.interp(where, np.arange(len(points)), points[:, j]) for j in range(2)]))
    return out


def timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def subsample(X, y, limit, seed=0):
    """At most ``limit`` trajectories, drawn without replacement (all of them when limit is None)."""
    if limit is None or limit >= len(X):
        return X, y
    keep = np.sort(np.random.default_rng(seed).choice(len(X), size=limit, replace=False))
    return X[keep], y[keep]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--out", default="pen_digits_out", help="folder for the figures and the Chroma store")
    parser.add_argument("--limit", type=int, default=None,
                        help="small-data mode: at most this many training and test trajectories (default: all)")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 20:
        parser.error(f"--limit {args.limit} is too small: pass at least 20 (or leave it out for all the data)")
    root = args.data or os.environ.get("VEOB_DATA")
    if not root:
        parser.error("no data folder: pass --data DIR or set VEOB_DATA")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X_train, y_train, X_test, y_test = load_pendigits(Path(root) / "pendigits" / "pendigits.tar.gz")
    X_train, y_train = subsample(X_train, y_train, args.limit, seed=0)
    X_test, y_test = subsample(X_test, y_test, args.limit, seed=1)
    X_random = random_lengths(X_test)
    print(f"{len(X_train):,} training / {len(X_test):,} test trajectories; random lengths "
          f"{min(map(len, X_random))}-{max(map(len, X_random))} points")
    rows = []

    # 1-NN on the raw coordinates: the 16 numbers, so no other length is possible
    knn, fit_s = timed(KNeighborsClassifier(1, algorithm="brute").fit, X_train.reshape(-1, 16), y_train)
    pred, pred_s = timed(knn.predict, X_test.reshape(-1, 16))
    rows.append(("1-NN, raw 16 coordinates", np.mean(pred == y_test), None, fit_s, pred_s))

    # spectral transform + exact 1-NN through the Voronoi cells
    clf = TrajectoryClassifier(random_state=0)
    st = TrajectoryTransformer(clf.n_freqs, features=clf.features, resample=clf.resample)
    index, fit_s = timed(lambda: CellIndex(exact=True, random_state=0).fit(st.fit_transform(X_train)))
    def nearest(X):
        return y_train[index.kneighbors(st.transform(X), n_neighbors=1, return_distance=False)[:, 0]]

    pred, pred_s = timed(nearest, X_test)
    rows.append(("spectral transform + 1-NN (CellIndex exact)", np.mean(pred == y_test),
                 np.mean(nearest(X_random) == y_test), fit_s, pred_s))

    # the default classifier
    _, fit_s = timed(clf.fit, X_train, y_train)
    pred, pred_s = timed(clf.predict, X_test)
    rows.append(("TrajectoryClassifier(random_state=0)", clf.score(X_test, y_test), clf.score(X_random, y_test),
                 fit_s, pred_s))

    print(f"\n{'method':<46} {'test':>7} {'random length':>13} {'drop':>6} {'fit s':>6} {'pred s':>6}")
    for name, acc, acc_random, fit_s, pred_s in rows:
        random_text = f"{100 * acc_random:12.2f}%" if acc_random is not None else f"{'n/a':>13}"
        drop = f"{100 * (acc - acc_random):6.2f}" if acc_random is not None else f"{'-':>6}"
        print(f"{name:<46} {100 * acc:6.2f}% {random_text} {drop} {fit_s:6.2f} {pred_s:6.2f}")

    # figures: confusion matrix, and test trajectories beside their nearest training ones
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from veob.plotting import plot_confusion_matrix, save_figure

    save_figure(plot_confusion_matrix(confusion_matrix(y_test, pred)), out / "pendigits_confusion.png", dpi=70)
    queries = [int(np.flatnonzero(y_test == c)[0]) for c in np.unique(y_test)]  # one test digit per class
    dist, ind = clf.kneighbors(X_test[queries], n_neighbors=4)
    fig, axes = plt.subplots(len(queries), 5, figsize=(5, len(queries)), layout="constrained", squeeze=False)
    for r, q in enumerate(queries):
        for c, (points, title) in enumerate([(X_test[q], f"test {y_test[q]}")]
                                             + [(X_train[t], f"{y_train[t]} d={d:.2f}")
                                                for t, d in zip(ind[r], dist[r])]):
            ax = axes[r, c]
            ax.plot(points[:, 0], points[:, 1], "-", color="#1f77b4" if c == 0 else "#444444")
            ax.plot(points[0, 0], points[0, 1], "o", ms=3)  # where the pen starts
            ax.set_title(title, fontsize=7)
            ax.set_aspect("equal", adjustable="datalim")
            ax.set_xticks([])
            ax.set_yticks([])
    save_figure(fig, out / "pendigits_neighbours.png", dpi=70)
    print(f"\nfigures: {out / 'pendigits_confusion.png'}, {out / 'pendigits_neighbours.png'}")

    # Chroma: the embedded trajectories, label and split as metadata
    try:
        from veob.store import ChromaStore
    except ImportError as exc:
        print(f"Chroma skipped: {exc}")
        return
    P = np.vstack([clf.transform(X_train), clf.transform(X_test)]).astype(np.float32)
    split = ["train"] * len(X_train) + ["test"] * len(X_test)
    labels = np.concatenate([y_train, y_test])
    number = np.concatenate([np.arange(len(X_train)), np.arange(len(X_test))])
    store = ChromaStore(out / "chroma")
    store.upsert("pendigits-trajectories", P, ids=[f"{s}-{i}" for s, i in zip(split, number)],
                 documents=[f"digit {y} ({s} #{i})" for y, s, i in zip(labels, split, number)],
                 metadatas=[{"label": int(y), "split": s, "index": int(i)} for y, s, i in zip(labels, split, number)])
    hits = store.query("pendigits-trajectories", P[len(X_train)], n_results=5, where={"split": "train"})[0]
    print(f"Chroma: {store.count('pendigits-trajectories'):,} vectors; test #0 (a {y_test[0]}) -> "
          + ", ".join(f"{h.document} ({h.distance:.3f})" for h in hits))


if __name__ == "__main__":
    main()
