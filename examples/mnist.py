"""MNIST and Fashion-MNIST (paper section 6.6): ``veob mnist`` as a short script.

The paper's pipeline: the 2-D DCT of every 28x28 image, the SVD of the
60,000 x 784 coefficient matrix, the 30-d embeddings of train and test, and
:class:`veob.models.JointEmbeddingClassifier`, which ranks the classes of a
test image by the distance of each class's best match found by its cell
search. Then the patch pipeline: :class:`veob.images.PatchEmbedder`
(SVD-learned filter banks, PCANet recipe) and
:class:`veob.models.LeastSquaresClassifier`. Prints top-1 and the paper's
top-3 with timings, writes OUT/singular_values.png and a correct and a wrong
match grid, and fills the Chroma collection ``mnist-<kind>`` with the 30-d
vectors (label and split as metadata).

Usage::

    python examples/mnist.py --data /path/to/data --kind fashion --out runs/fashion
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from veob.datasets import load_mnist  # noqa: E402
from veob.experiments import evaluate_paper_pipeline, evaluate_patch_pipeline  # noqa: E402
from veob.partition import CellIndex  # noqa: E402
from veob.plotting import plot_match_grid, plot_singular_values, save_figure  # noqa: E402
from veob.store import ChromaStore  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("VEOB_DATA"), help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--kind", choices=("digits", "fashion"), default="digits")
    parser.add_argument("--out", default="veob-mnist", help="output folder (default: ./veob-mnist)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N training images")
    parser.add_argument("--skip-patch", action="store_true", help="only the paper pipeline")
    args = parser.parse_args()
    if not args.data:
        parser.error("no data folder: pass --data PATH or set VEOB_DATA")
    return args


def main():
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(args.data) / ("mnist" if args.kind == "digits" else "fashion_mnist")
    X_train, y_train, X_test, y_test = load_mnist(folder, kind=args.kind)
    if args.limit:
        X_train, y_train = X_train[:args.limit], y_train[:args.limit]
    print(f"{args.kind}: {len(X_train):,} training and {len(X_test):,} test images")

    # -- the paper's pipeline: DCT -> SVD 30 -> joint embedding and cell search
    paper = evaluate_paper_pipeline(X_train, y_train, X_test, y_test, n_components=30, random_state=0)
    print(f"paper pipeline   train top-1 {paper['train_top1']:.4f} top-3 {paper['train_top3']:.4f}   "
          f"test top-1 {paper['test_top1']:.4f} top-3 {paper['test_top3']:.4f}")
    print("  seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in paper["seconds"].items()))

    ax = plot_singular_values(paper["singular_values"], title=f"{args.kind}: singular values of the 2-D DCT")
    save_figure(ax.figure, out / "singular_values.png")
    plt.close(ax.figure)
    index = CellIndex(exact=True, random_state=0).fit(paper["train_embedding"])
    top1 = paper["test_ranking"][:, 0]
    for name, rows in (("correct", np.flatnonzero(top1 == y_test)[:6]), ("wrong", np.flatnonzero(top1 != y_test)[:6])):
        dist, idx = index.kneighbors(paper["test_embedding"][rows], n_neighbors=5)
        fig = plot_match_grid(X_test[rows], X_train[idx], query_labels=y_test[rows], match_labels=y_train[idx],
                              distances=dist, title=f"{args.kind}: {name} matches")
        save_figure(fig, out / f"match_grid_{name}.png")
        plt.close(fig)

    store = ChromaStore(out / "chroma")
    start = time.perf_counter()
    vectors = np.vstack([paper["train_embedding"], paper["test_embedding"]]).astype(np.float32)
    labels = np.concatenate([y_train, y_test])
    splits = ["train"] * len(y_train) + ["test"] * len(y_test)
    store.upsert(f"mnist-{args.kind}", vectors, ids=[f"{s}-{i}" for i, s in enumerate(splits)],
                 metadatas=[{"label": int(y), "split": s} for y, s in zip(labels, splits)])
    print(f"Chroma: {store.count(f'mnist-{args.kind}'):,} vectors in {time.perf_counter() - start:.1f} s")

    # -- the patch pipeline: SVD-learned filter banks -> ridge least squares
    if not args.skip_patch:
        patch = evaluate_patch_pipeline(X_train, y_train, X_test, y_test)
        print(f"patch pipeline   test top-1 {patch['test_top1']:.4f} top-3 {patch['test_top3']:.4f}")
        print("  seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in patch["seconds"].items()))


if __name__ == "__main__":
    main()
