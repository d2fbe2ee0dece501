"""``veob cats-dogs``: the Keras CNN seed's Dogs vs Cats protocol with the backprop-free ImageClassifier."""

from __future__ import annotations

import csv
import io
import re
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

HELP = ("Dogs vs Cats: the CNN seed's 80/20 split with ImageClassifier (accuracy, log loss, confusion "
        "matrix, classification report, timings) and a dog-probability CSV for any folder of images")

# the seed notebook (Keras CNN, 15 epochs of ~125 s, 25,000 Kaggle images, 20 % held out)
SEED_CATS_DOGS = {
    "val_accuracy": 0.8184,
    "val_log_loss": 0.5144,
    "train_accuracy": 0.9978,
    "train_log_loss": 0.0225,
    "kaggle_log_loss": 0.91794,
    "fit_seconds": 15 * 125,
}
_CLASS_NAMES = ("cat", "dog")


def add_arguments(parser):
    parser.add_argument("--images", default=None, metavar="PATH",
                        help="labelled images (folder or .tar.gz of cat.N.jpg / dog.N.jpg); "
                             "default: <data>/cats_vs_dogs/train_128.tar.gz")
    parser.add_argument("--predict", default=None, metavar="FOLDER",
                        help="also write the dog probability of every image of FOLDER (folder or archive) "
                             "to <out>/predictions.csv (id,label)")
    parser.add_argument("--predict-out", default=None, metavar="CSV",
                        help="where to write the --predict CSV (default: <out>/predictions.csv)")
    parser.add_argument("--no-refit", action="store_true",
                        help="do not refit on every labelled image (then --predict uses the 80 %% model)")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="smoke test: a seeded stratified subset of N labelled images")
    parser.add_argument("--n-jobs", type=int, default=None, metavar="N",
                        help="threads for the kernels and BLAS (default: leave as is)")


def run(args):
    from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, log_loss
    from sklearn.model_selection import train_test_split

    from ..baselines import ImageClassifier
    from ..datasets import load_image_folder

    if args.limit is not None and args.limit < 8:
        raise UsageError(f"--limit {args.limit} must be >= 8")
    if args.n_jobs is not None and args.n_jobs == 0:
        raise UsageError("--n-jobs 0 must be a positive count or negative (-1: all cores)")
    images_path = _images_path(args)
    predict_path = None
    if args.predict is not None:
        predict_path = Path(args.predict).expanduser()
        if not predict_path.exists():
            raise UsageError(f"--predict {str(predict_path)!r} does not exist: expected a folder or archive of images")
    out = out_dir(args, "veob-cats-dogs")
    timings = {}

    start = time.perf_counter()
    try:
        with stage(show_progress(args), f"reading the images of {images_path}"):
            X, y, filenames = load_image_folder(images_path, size=(128, 128))
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    timings["load"] = round(time.perf_counter() - start, 2)
    if (y < 0).any() or set(np.unique(y)) != {0, 1}:
        raise UsageError(f"{str(images_path)!r}: expected labelled cat.N / dog.N images of both classes; "
                         f"found labels {sorted(set(np.unique(y).tolist()))}")
    if args.limit is not None and args.limit < len(y):
        keep, _ = train_test_split(np.arange(len(y)), train_size=args.limit, stratify=y, random_state=args.seed)
        keep = np.sort(keep)
        X, y, filenames = X[keep], y[keep], [filenames[i] for i in keep]
    say(args, f"veob cats-dogs: {len(y):,} images ({int((y == 0).sum()):,} cats, {int((y == 1).sum()):,} dogs) "
              f"from {images_path} (load {timings['load']:.1f} s)")

    # the seed's split: train_test_split(test_size=0.2, stratify=labels, random_state=42)
    train, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=42)
    clf = ImageClassifier(random_state=args.seed, n_jobs=args.n_jobs)
    start = time.perf_counter()
    with stage(show_progress(args), f"ImageClassifier.fit on {len(train):,} images"):
        clf.fit(X[train], y[train])
    timings["fit_80"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    with stage(show_progress(args), f"predicting {len(test):,} held-out images"):
        proba = clf.predict_proba(X[test])
    timings["predict_20"] = round(time.perf_counter() - start, 2)
    pred = clf.classes_[proba.argmax(axis=1)]
    metrics = {
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "val_accuracy": float(accuracy_score(y[test], pred)),
        "val_log_loss": float(log_loss(y[test], proba, labels=[0, 1])),
        "confusion_matrix": confusion_matrix(y[test], pred, labels=[0, 1]).tolist(),
        "classification_report": classification_report(y[test], pred, labels=[0, 1],
                                                        target_names=list(_CLASS_NAMES), digits=4,
                                                        output_dict=True),
    }
    say(args, f"  ImageClassifier on the seed's 80 % ({len(train):,} images): fit {timings['fit_80']:.1f} s, "
              f"predict {len(test):,} in {timings['predict_20']:.1f} s")
    say(args, f"  held-out accuracy {metrics['val_accuracy']:.4f} (seed CNN {SEED_CATS_DOGS['val_accuracy']}), "
              f"log loss {metrics['val_log_loss']:.4f} (seed {SEED_CATS_DOGS['val_log_loss']})")
    say(args, "  confusion matrix (rows true cat/dog, columns predicted cat/dog):")
    for name, row in zip(_CLASS_NAMES, metrics["confusion_matrix"]):
        say(args, f"    {name:>4}  {row[0]:6d} {row[1]:6d}")
    say(args, classification_report(y[test], pred, labels=[0, 1], target_names=list(_CLASS_NAMES), digits=4))

    model = clf
    if not args.no_refit:
        model = ImageClassifier(random_state=args.seed, n_jobs=args.n_jobs)
        start = time.perf_counter()
        with stage(show_progress(args), f"ImageClassifier.fit on all {len(y):,} images"):
            model.fit(X, y)
        timings["fit_all"] = round(time.perf_counter() - start, 2)
        say(args, f"  refit on all {len(y):,} images: {timings['fit_all']:.1f} s")

    predictions = None
    if predict_path is not None:
        start = time.perf_counter()
        try:
            with stage(show_progress(args), f"reading the images of {predict_path}"):
                Xp, _, names = load_image_folder(predict_path, size=(128, 128))
        except (FileNotFoundError, ValueError) as exc:
            raise UsageError(str(exc).splitlines()[0]) from None
        with stage(show_progress(args), f"predicting {len(names):,} images"):
            dog = model.predict_proba(Xp)[:, list(model.classes_).index(1)]
        csv_path = Path(args.predict_out).expanduser() if args.predict_out else out / "predictions.csv"
        write_probabilities_csv(csv_path, names, dog)
        timings["predict_folder"] = round(time.perf_counter() - start, 2)
        predictions = {"folder": str(predict_path), "n_images": len(names), "csv": str(csv_path)}
        say(args, f"  dog probabilities of {len(names):,} images of {predict_path}: {csv_path} "
                  f"({timings['predict_folder']:.1f} s)")

    table = format_cats_dogs_table(metrics, timings)
    say(args, "")
    say(args, table)
    write_text_atomic(out / "cats_dogs_table.md", table + "\n")
    figure = _confusion_figure(metrics["confusion_matrix"], out / "cats_dogs_confusion.png", args)
    report = {
        "command": "cats-dogs",
        "parameters": {"images": str(images_path), "limit": args.limit, "seed": args.seed,
                       "refit": not args.no_refit, "estimator": repr(clf)},
        "metrics": metrics,
        "seed_notebook": SEED_CATS_DOGS,
        "timings": timings,
        "predictions": predictions,
        "machine": machine_info(),
        "figure": str(figure) if figure else None,
    }
    write_json_atomic(out / "report.json", report)
    say(args, f"  report: {out / 'report.json'}" + (f", figure: {figure}" if figure else ""))
    return 0


def _images_path(args):
    if args.images is not None:
        path = Path(args.images).expanduser()
        if not path.exists():
            raise UsageError(f"--images {str(path)!r} does not exist: expected a folder or archive of "
                             "cat.N.jpg / dog.N.jpg images")
        return path
    root = data_root(args)
    for candidate in (root / "cats_vs_dogs" / "train_128.tar.gz", root / "cats_vs_dogs" / "train"):
        if candidate.exists():
            return candidate
    raise UsageError(f"no Dogs vs Cats images under {str(root)!r}: expected cats_vs_dogs/train_128.tar.gz "
                     "in the data folder (or pass --images PATH)")


def _image_id(name):
    """The id of an image file: its stem without folders (``test1/12.jpg`` -> ``12``)."""
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem


def _id_key(image_id):
    return [(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", image_id) if t]


def write_probabilities_csv(path, filenames, probabilities):
    """Write ``id,label`` rows (Kaggle's submission format) atomically, in natural id order.

    Parameters
    ----------
    path : str or Path
        Output CSV; its folder is created. Written to a temporary file in the
        same folder, then renamed.
    filenames : sequence of str
        Image names; the id is the file name without folders and extension.
    probabilities : array-like of shape (n_images,)
        Dog probability of each image.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 1 or probabilities.shape[0] != len(filenames):
        raise ValueError(f"probabilities has shape {probabilities.shape}; expected ({len(filenames)},), "
                         "one per file name")
    ids = [_image_id(str(f)) for f in filenames]
    order = sorted(range(len(ids)), key=lambda i: _id_key(ids[i]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "label"])
    for i in order:
        writer.writerow([ids[i], f"{probabilities[i]:.6f}"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, buffer.getvalue())
    return path


def format_cats_dogs_table(metrics, timings):
    """Markdown table of the held-out metrics and timings beside the seed notebook's."""
    cm = metrics["confusion_matrix"]
    report = metrics["classification_report"]
    rows = [
        ("held-out images", f"{metrics['n_test']:,} (20 % of {metrics['n_train'] + metrics['n_test']:,})",
         "5,000 (20 % of 25,000)"),
        ("accuracy", f"{metrics['val_accuracy']:.4f}", f"{SEED_CATS_DOGS['val_accuracy']:.4f}"),
        ("log loss", f"{metrics['val_log_loss']:.4f}", f"{SEED_CATS_DOGS['val_log_loss']:.4f}"),
        ("confusion [[cat->cat, cat->dog], [dog->cat, dog->dog]]", f"{cm}", "not printed in the seed"),
        ("cat precision / recall", f"{report['cat']['precision']:.4f} / {report['cat']['recall']:.4f}", "-"),
        ("dog precision / recall", f"{report['dog']['precision']:.4f} / {report['dog']['recall']:.4f}", "-"),
        ("fit on the 80 %", f"{timings['fit_80']:.0f} s", f"~{SEED_CATS_DOGS['fit_seconds']:,} s (15 epochs)"),
        ("predict the 20 %", f"{timings['predict_20']:.0f} s", "-"),
    ]
    if "fit_all" in timings:
        rows.append(("fit on every labelled image", f"{timings['fit_all']:.0f} s", "-"))
    lines = ["| | veob ImageClassifier | seed Keras CNN |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def _confusion_figure(cm, path, args):
    from ..plotting._figures import headless_pyplot

    try:
        headless_pyplot()
    except ImportError:
        say(args, "  (no confusion-matrix figure: it needs matplotlib: pip install 'veob[plot]')")
        return None
    from ..plotting import plot_confusion_matrix, save_figure

    ax = plot_confusion_matrix(np.asarray(cm), class_names=list(_CLASS_NAMES),
                               title="Dogs vs Cats, held-out 20 %")
    return save_figure(ax, Path(path))
