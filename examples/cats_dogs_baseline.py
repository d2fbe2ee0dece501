"""Dogs vs Cats without backpropagation: the Keras CNN seed notebook's protocol, redone with veob.

The seed trains a two-block CNN for 15 epochs (~31 minutes) on 80 % of the
labelled Kaggle images (``train_test_split(test_size=0.2, stratify=labels,
random_state=42)``) and reaches 0.8184 accuracy (log loss 0.5144) on the
other 20 %. This script

1. loads ``$VEOB_DATA/cats_vs_dogs/train_128.tar.gz`` (20,000 images at
   128 x 128, read in place) and makes the seed's split;
2. fits ``ImageClassifier(random_state=0)`` -- PatchEmbedder features of the
   colour images at two scales and a ridge head, all closed form -- on the
   80 %, and prints accuracy, log loss, the confusion matrix and the
   classification report on the 20 %, with timings, beside the seed's;
3. refits on every labelled image (unless ``--no-refit``) and writes the dog
   probability of every image of ``--predict FOLDER`` as ``id,label`` (the
   Kaggle submission format).

Usage::

    python examples/cats_dogs_baseline.py                      # needs VEOB_DATA (or --data)
    python examples/cats_dogs_baseline.py --predict test1/ --out results/

No gradient descent anywhere: SVDs, sign codes, histograms and one Cholesky solve.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, log_loss
from sklearn.model_selection import train_test_split

from veob.baselines import ImageClassifier
from veob.datasets import load_image_folder

SEED = {"accuracy": 0.8184, "log loss": 0.5144, "fit": "~31 min (15 epochs x ~125 s)"}


def write_csv(path, names, dog):
    """``id,label`` rows, written to a temporary file and renamed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    ids = [n.rsplit("/", 1)[-1].rsplit(".", 1)[0] for n in names]
    order = sorted(range(len(ids)), key=lambda i: (not ids[i].isdigit(), int(ids[i]) if ids[i].isdigit() else 0,
                                                   ids[i]))
    with open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "label"])
        writer.writerows([ids[i], f"{dog[i]:.6f}"] for i in order)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--images", default=None,
                        help="labelled images (default: <data>/cats_vs_dogs/train_128.tar.gz)")
    parser.add_argument("--predict", default=None, help="folder or archive of images to score")
    parser.add_argument("--out", default="cats_dogs_out", help="folder for predictions.csv")
    parser.add_argument("--no-refit", action="store_true", help="score --predict with the 80 %% model")
    args = parser.parse_args()

    path = args.images
    if path is None:
        root = args.data or os.environ.get("VEOB_DATA")
        if not root:
            parser.error("no data: pass --images PATH, --data DIR or set VEOB_DATA")
        path = Path(root) / "cats_vs_dogs" / "train_128.tar.gz"
    start = time.perf_counter()
    X, y, _ = load_image_folder(path, size=(128, 128))
    print(f"loaded {len(y):,} images ({int((y == 1).sum()):,} dogs) in {time.perf_counter() - start:.1f} s")

    train, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=42)
    clf = ImageClassifier(random_state=0)
    start = time.perf_counter()
    clf.fit(X[train], y[train])
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    proba = clf.predict_proba(X[test])
    predict_seconds = time.perf_counter() - start
    pred = proba.argmax(axis=1)
    print(f"\n{clf}\nfit on {len(train):,} images: {fit_seconds:.1f} s; predict {len(test):,}: {predict_seconds:.1f} s")
    print(f"held-out accuracy {accuracy_score(y[test], pred):.4f} (seed CNN {SEED['accuracy']}), "
          f"log loss {log_loss(y[test], proba, labels=[0, 1]):.4f} (seed {SEED['log loss']}); "
          f"seed fit {SEED['fit']}")
    print("confusion matrix (rows true cat/dog, columns predicted):")
    print(confusion_matrix(y[test], pred, labels=[0, 1]))
    print(classification_report(y[test], pred, labels=[0, 1], target_names=["cat", "dog"], digits=4))

    if args.predict:
        model = clf
        if not args.no_refit:
            model = ImageClassifier(random_state=0)
            start = time.perf_counter()
            model.fit(X, y)
            print(f"refit on all {len(y):,} images: {time.perf_counter() - start:.1f} s")
        Xp, _, names = load_image_folder(args.predict, size=(128, 128))
        dog = model.predict_proba(Xp)[:, 1]  # column 1 = classes_[1] = dog
        write_csv(Path(args.out) / "predictions.csv", names, dog)
        print(f"wrote the dog probability of {len(names):,} images to {Path(args.out) / 'predictions.csv'}")


if __name__ == "__main__":
    main()
