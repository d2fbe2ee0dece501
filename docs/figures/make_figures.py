"""Regenerate the example figures of docs/store.md from scikit-learn's 8x8 digits.

    python docs/figures/make_figures.py [OUTPUT_FOLDER]

DCT -> SVD embeddings of the digits go into an in-memory ChromaStore; each
test digit is answered by a store query. Needs veob[chroma,plot].
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402

from veob import SVDEmbedder, dct2  # noqa: E402
from veob.plotting import (  # noqa: E402
    plot_confusion_matrix,
    plot_learning_curve,
    plot_match_grid,
    plot_singular_values,
    save_figure,
)
from veob.store import ChromaStore  # noqa: E402


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0
    X_tr, X_te, y_tr, y_te = train_test_split(images, digits.target, test_size=0.25,
                                              stratify=digits.target, random_state=0)
    F_tr, F_te = dct2(X_tr).reshape(len(X_tr), -1), dct2(X_te).reshape(len(X_te), -1)

    full = SVDEmbedder(n_components=64).fit(F_tr)
    ax = plot_singular_values(full.singular_values_, n_components=20, log=True,
                              title="8x8 digits: singular values of the DCT features")
    print(save_figure(ax, out / "singular_values.png", dpi=80))

    emb = SVDEmbedder(n_components=20).fit(F_tr)
    store = ChromaStore()
    store.upsert("digits", emb.transform(F_tr), metadatas=[{"label": int(y)} for y in y_tr], progress=False)
    hits = store.query("digits", emb.transform(F_te), n_results=5)
    match_idx = np.array([[int(h.id) for h in row] for row in hits])
    match_dist = np.array([[h.distance for h in row] for row in hits])
    match_lab = y_tr[match_idx]

    wrong = np.flatnonzero((match_lab != y_te[:, None]).any(axis=1))
    queries = np.concatenate([np.arange(3), wrong[:3]])
    fig = plot_match_grid(X_te[queries], X_tr[match_idx[queries]], query_labels=y_te[queries],
                          match_labels=match_lab[queries], distances=match_dist[queries],
                          title="digits: top-5 Chroma matches (DCT -> SVD 20); red = other digit")
    print(save_figure(fig, out / "match_grid.png", dpi=80))

    cm = confusion_matrix(y_te, match_lab[:, 0])
    accuracy = np.trace(cm) / cm.sum()
    ax = plot_confusion_matrix(cm, title=f"digits, nearest match: accuracy {accuracy:.3f}")
    print(save_figure(ax, out / "confusion_matrix.png", dpi=80))

    rng = np.random.default_rng(0)
    sizes = [30, 60, 120, 250, 500, 1000, len(X_tr)]
    ours, pixels = [], []
    for n in sizes:
        rows = rng.choice(len(X_tr), size=n, replace=False) if n < len(X_tr) else np.arange(len(X_tr))
        k = min(20, n)
        e = SVDEmbedder(n_components=k).fit(F_tr[rows])
        knn = KNeighborsClassifier(1).fit(e.transform(F_tr[rows]), y_tr[rows])
        ours.append(knn.score(e.transform(F_te), y_te))
        raw = KNeighborsClassifier(1).fit(X_tr[rows].reshape(n, -1), y_tr[rows])
        pixels.append(raw.score(X_te.reshape(len(X_te), -1), y_te))
    ax = plot_learning_curve(sizes, {"veob: DCT -> SVD 20 -> 1-NN": ours},
                             reference={"1-NN on raw pixels": pixels},
                             title="digits: test accuracy vs training size")
    print(save_figure(ax, out / "learning_curve.png", dpi=80))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
