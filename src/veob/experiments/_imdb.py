"""The IMDB experiments of the BiLSTM/GloVe seed notebook, run with SentimentClassifier.

Experiment protocols, not part of the stable API (see :mod:`veob.experiments`).
"""

from __future__ import annotations

import random
import time

import numpy as np

from .._validation import check_int

__all__ = [
    "IMDB_EXPERIMENTS",
    "SEED_IMDB_RESULTS",
    "format_imdb_table",
    "run_imdb_protocol",
    "seed_validation_split",
]

#: Test accuracies reported by the seed notebook (Keras BiLSTM, aclImdb).
SEED_IMDB_RESULTS = {
    "learned embedding (base)": 0.801,
    "learned embedding (rerun)": 0.862,
    "frozen GloVe": 0.878,
    "150 tokens": 0.825,
    "100 training samples": 0.764,
    "vocabulary 10k": 0.873,
    "learning curve": {100: 0.634, 500: 0.772, 1000: 0.778, 5000: 0.786, "all": 0.790},
}

#: The experiments: id -> (description, SentimentClassifier settings, labelled reviews: a number,
#: None for the 20,000 of the seed's split, "curve" for the learning-curve sizes, "all" for all 25,000).
IMDB_EXPERIMENTS = {
    "a": ("vocabulary 20k, 600 tokens", {"max_features": 20000, "max_tokens": 600}, None),
    "b": ("vocabulary 20k, 150 tokens", {"max_features": 20000, "max_tokens": 150}, None),
    "c": ("100 training samples (20k, 600)", {"max_features": 20000, "max_tokens": 600}, 100),
    "d": ("vocabulary 10k, 600 tokens", {"max_features": 10000, "max_tokens": 600}, None),
    "e": ("learning curve (20k, 600)", {"max_features": 20000, "max_tokens": 600}, "curve"),
    "default": ("SentimentClassifier(), all training reviews", {}, "all"),
}

_SEED_OF = {
    "a": ("frozen GloVe", "learned 0.801 / rerun 0.862 / frozen GloVe 0.878"),
    "b": ("150 tokens", "learned embedding, 150 tokens"),
    "c": ("100 training samples", "take(100) of a batched dataset: 100 batches of 32 = 3,200 reviews"),
    "d": ("vocabulary 10k", "learned embedding, vocabulary 10k"),
    "default": ("frozen GloVe", "the seed's best model, trained on 20,000"),
}
_CURVE = (100, 500, 1000, 5000, None)


def seed_validation_split(files, *, fraction=0.2, seed=1337):
    """The seed's validation split: per class, shuffle the file names, move the last 20 %.

    For each class folder (``neg``, then ``pos``) the seed lists the files,
    shuffles the list with ``random.Random(1337).shuffle`` and moves the last
    ``int(0.2 * n)`` names to the validation folder. ``os.listdir`` returns
    names in an order the file system chooses; sorted names are used here
    so the split is the same on every machine.

    Parameters
    ----------
    files : sequence of str
        Review paths such as ``"train/pos/0_9.txt"`` (the class is the parent
        folder; as in :func:`veob.datasets.load_imdb`'s ``files``).
    fraction : float, default=0.2
        Fraction of each class moved to validation (rounded down).
    seed : int, default=1337
        Seed of the per-class ``random.Random`` shuffle.

    Returns
    -------
    is_validation : ndarray of bool of shape (n_files,)

    Notes
    -----
    The seed slices ``files[-int(0.2 * n):]``, which for a class of fewer
    than 5 files (``int(...) == 0``) would move every file; here such a
    class keeps all its files.

    Examples
    --------
    >>> from veob.experiments import seed_validation_split
    >>> files = [f"train/{c}/{i}_{r}.txt" for c, r in (("pos", 8), ("neg", 2)) for i in range(5)]
    >>> seed_validation_split(files).nonzero()[0].tolist()
    [4, 9]
    """
    if isinstance(files, str):
        raise TypeError("files must be a sequence of file names, not a single string")
    files = [str(f) for f in files]
    if not 0 <= fraction < 1:
        raise ValueError(f"fraction={fraction!r} must lie in [0, 1)")
    seed = check_int(seed, "seed")
    by_class = {}
    for i, f in enumerate(files):
        parts = f.replace("\\", "/").split("/")
        if len(parts) < 2:
            raise ValueError(f"files[{i}]={f!r} has no class folder (expected e.g. 'train/pos/0_9.txt')")
        by_class.setdefault(parts[-2], {})[parts[-1]] = i
    is_val = np.zeros(len(files), dtype=bool)
    for label in sorted(by_class):  # "neg" before "pos", as the seed's loop
        names = sorted(by_class[label])
        random.Random(seed).shuffle(names)
        n_val = int(fraction * len(names))
        for name in names[len(names) - n_val:]:
            is_val[by_class[label][name]] = True
    return is_val


def run_imdb_protocol(data=None, *, experiments=("a", "b", "c", "d", "e", "default"),
                      sizes=_CURVE, use_unlabeled=True, batch_size=None, estimator_params=None,
                      random_state=0, callback=None):
    """Reproduce the seed notebook's IMDB experiments with :class:`SentimentClassifier`.

    The protocol of the seed: 20 % of each class of ``aclImdb/train`` moved
    to a validation split (:func:`seed_validation_split`), the model trained
    on the other 20,000 reviews and tested on the 25,000 test reviews.
    Every model also sees, without labels, the 20,000 training reviews and
    the 50,000 ``train/unsup`` reviews (for its embedding and vocabulary);
    nothing is ever fitted on validation or test reviews. The ``default``
    experiment trains :class:`SentimentClassifier` with its default settings
    on all 25,000 training reviews.

    Parameters
    ----------
    data : Bunch, str, path-like or None, default=None
        The output of ``load_imdb(subsets=("train", "test", "unsup"))``
        (``unsup`` may be absent), or a path for :func:`veob.datasets.load_imdb`;
        None reads ``$VEOB_DATA``.
    experiments : sequence of {"a", "b", "c", "d", "e", "default"}
        Which of :data:`IMDB_EXPERIMENTS` to run: (a) vocabulary 20k and 600
        tokens, (b) 150 tokens, (c) 100 training samples, (d) vocabulary 10k,
        (e) learning curve over ``sizes``.
    sizes : sequence of int or None, default=(100, 500, 1000, 5000, None)
        Learning-curve sizes (None: all training reviews). The labelled
        reviews of a size are the first of one seeded permutation, so the
        sets are nested.
    use_unlabeled : bool, default=True
        Whether the unlabelled reviews (the rest of train, ``unsup``) feed the
        embedding.
    batch_size : int or None, default=None
        Count sizes in batches of this many reviews, as the seed's code does
        (``dataset.take(100)`` on batches of 32 is 3,200 reviews).
    estimator_params : dict or None
        Extra :class:`SentimentClassifier` parameters for every experiment.
    random_state : int, default=0
        Seed of the subsets and of the classifiers.
    callback : callable or None
        Called with each finished row (e.g. to print progress).

    Returns
    -------
    report : dict
        ``rows``: one dict per run with ``experiment``, ``setting``,
        ``n_train`` (labelled reviews), ``n_unlabeled``, ``seed_accuracy``,
        ``seed_note``, ``accuracy`` (test), ``val_accuracy``, ``fit_seconds``,
        ``predict_seconds`` (the test reviews), ``selection``; ``split``:
        sizes of the splits; ``seed_results``: :data:`SEED_IMDB_RESULTS`.

    See Also
    --------
    format_imdb_table : the rows as a Markdown table.
    veob.baselines.SentimentClassifier : the classifier.

    Examples
    --------
    A corpus shaped like ``load_imdb``'s (40 labelled training reviews, 20
    test reviews), learning-curve experiment only:

    >>> import numpy as np
    >>> from sklearn.utils import Bunch
    >>> from veob.experiments import run_imdb_protocol
    >>> words = {0: "an awful boring film", 1: "a great superb film"}
    >>> rows = [(s, i % 2, f"{s}/{'pos' if i % 2 else 'neg'}/{i}_{8 if i % 2 else 2}.txt")
    ...         for s, n in (("train", 40), ("test", 20)) for i in range(n)]
    >>> data = Bunch(texts=[words[y] + f" number {i}" for i, (_, y, _) in enumerate(rows)],
    ...              labels=np.array([y for _, y, _ in rows]), subsets=np.array([s for s, _, _ in rows]),
    ...              files=np.array([f for _, _, f in rows]))
    >>> report = run_imdb_protocol(data, experiments=["e"], sizes=[10, None],
    ...                            estimator_params={"n_components": 0})
    >>> [(r["n_train"], r["accuracy"]) for r in report["rows"]], report["split"]["validation"]
    ([(10, 1.0), (32, 1.0)], 8)
    """
    from ..baselines import SentimentClassifier

    experiments = _check_experiments(experiments)
    sizes = _check_sizes(sizes)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", low=1)
    if estimator_params is not None and not isinstance(estimator_params, dict):
        raise TypeError(f"estimator_params={estimator_params!r} must be a dict or None")
    random_state = check_int(random_state, "random_state", low=0)
    data = _load(data)
    subsets = np.asarray(data.subsets)
    labels = np.asarray(data.labels)
    texts = data.texts
    train = np.flatnonzero(subsets == "train")
    test = np.flatnonzero(subsets == "test")
    unsup = np.flatnonzero(subsets == "unsup") if use_unlabeled else np.zeros(0, dtype=np.int64)
    if len(train) == 0 or len(test) == 0:
        raise ValueError("data must hold the 'train' and 'test' subsets of load_imdb")
    is_val = seed_validation_split(np.asarray(data.files)[train])
    val, trn = train[is_val], train[~is_val]
    order = trn[np.random.RandomState(random_state).permutation(len(trn))]

    runs = []  # (experiment, setting, params, labelled rows, seed accuracy, seed note)
    for exp in experiments:
        setting, params, n = IMDB_EXPERIMENTS[exp]
        if exp == "e":
            for size in sizes:
                n_lab = _n_labeled(size, batch_size, len(trn))
                seed = SEED_IMDB_RESULTS["learning curve"].get("all" if size is None else size)
                runs.append((exp, f"learning curve: {_size_name(size, batch_size)}", params,
                             order[:n_lab], seed, "frozen GloVe"))
        elif exp == "default":
            seed, note = SEED_IMDB_RESULTS[_SEED_OF[exp][0]], _SEED_OF[exp][1]
            runs.append((exp, setting, params, train, seed, note))
        else:
            n_lab = len(trn) if n is None else _n_labeled(n, batch_size, len(trn))
            seed, note = SEED_IMDB_RESULTS[_SEED_OF[exp][0]], _SEED_OF[exp][1]
            runs.append((exp, setting, params, order[:n_lab], seed, note))

    rows, done = [], {}
    for exp, setting, params, labeled, seed, note in runs:
        unlabeled = np.concatenate([np.setdiff1d(trn, labeled), unsup]) if exp != "default" else unsup
        key = (tuple(sorted(params.items())), len(labeled), exp == "default")
        if key in done:  # (c) is the first point of (e), (a) its last
            row = dict(done[key], experiment=exp, setting=setting, seed_accuracy=seed, seed_note=note)
        else:
            clf = SentimentClassifier(random_state=random_state, **{**params, **(estimator_params or {})})
            fit_idx = np.concatenate([labeled, unlabeled])
            y = np.concatenate([labels[labeled], np.full(len(unlabeled), -1)])
            start = time.perf_counter()
            clf.fit([texts[i] for i in fit_idx], y)
            fit_seconds = time.perf_counter() - start
            start = time.perf_counter()
            pred = clf.predict([texts[i] for i in test])
            predict_seconds = time.perf_counter() - start
            accuracy = float(np.mean(pred == labels[test]))
            val_accuracy = (float(np.mean(clf.predict([texts[i] for i in val]) == labels[val]))
                            if exp != "default" else None)
            row = {"experiment": exp, "setting": setting, "n_train": int(len(labeled)),
                   "n_unlabeled": int(len(unlabeled)), "seed_accuracy": seed, "seed_note": note,
                   "accuracy": accuracy, "val_accuracy": val_accuracy,
                   "fit_seconds": round(fit_seconds, 2), "predict_seconds": round(predict_seconds, 2),
                   "selection": {k: v for k, v in clf.selection_.items() if k != "nb_score_std"},
                   "params": {k: v for k, v in clf.get_params().items()
                              if k in params or k in (estimator_params or {})}}
            done[key] = row
        rows.append(row)
        if callback is not None:
            callback(row)
    return {"rows": rows,
            "split": {"train": int(len(trn)), "validation": int(len(val)), "test": int(len(test)),
                      "unlabeled": int(len(unsup))},
            "seed_results": {k: ({str(n): a for n, a in v.items()} if isinstance(v, dict) else v)
                             for k, v in SEED_IMDB_RESULTS.items()},
            "random_state": random_state, "batch_size": batch_size}


def format_imdb_table(report):
    """The rows of :func:`run_imdb_protocol` as a Markdown table (seed beside veob).

    Parameters
    ----------
    report : dict or list of dict
        The report of :func:`run_imdb_protocol`, or its ``rows``.

    Returns
    -------
    table : str
        One line per row: experiment, setting, labelled reviews, the seed's
        accuracy, veob's test and validation accuracy, fit and predict seconds.

    Examples
    --------
    >>> from veob.experiments import format_imdb_table
    >>> row = {"experiment": "a", "setting": "vocabulary 20k, 600 tokens", "n_train": 20000,
    ...        "seed_accuracy": 0.878, "accuracy": 0.9012, "val_accuracy": 0.9, "fit_seconds": 12.3,
    ...        "predict_seconds": 4.5}
    >>> print(format_imdb_table([row]))
    | exp | setting | labelled | seed BiLSTM | veob test | veob val | fit s | predict s |
    |---|---|---:|---:|---:|---:|---:|---:|
    | a | vocabulary 20k, 600 tokens | 20,000 | 0.878 | 0.9012 | 0.9000 | 12.3 | 4.5 |
    """
    rows = report["rows"] if isinstance(report, dict) else report
    head = ("| exp | setting | labelled | seed BiLSTM | veob test | veob val | fit s | predict s |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in rows:
        seed = "-" if r["seed_accuracy"] is None else f"{r['seed_accuracy']:.3f}"
        val = "-" if r["val_accuracy"] is None else f"{r['val_accuracy']:.4f}"
        lines.append(f"| {r['experiment']} | {r['setting']} | {r['n_train']:,} | {seed} | "
                     f"{r['accuracy']:.4f} | {val} | {r['fit_seconds']:.1f} | {r['predict_seconds']:.1f} |")
    return "\n".join(lines)


# --------------------------------------------------------------- helpers

def _check_experiments(experiments):
    if isinstance(experiments, str):
        experiments = (experiments,)
    experiments = tuple(experiments)
    if not experiments:
        raise ValueError("experiments is empty; choose from " + ", ".join(IMDB_EXPERIMENTS))
    for e in experiments:
        if e not in IMDB_EXPERIMENTS:
            raise ValueError(f"experiments: {e!r} is not one of {tuple(IMDB_EXPERIMENTS)}")
    return experiments


def _check_sizes(sizes):
    sizes = tuple(sizes)
    if not sizes:
        raise ValueError("sizes is empty; give learning-curve sizes such as (100, 500, None)")
    for s in sizes:
        if s is not None:
            check_int(s, "sizes[...]", low=2)
    return sizes


def _n_labeled(size, batch_size, n_train):
    if size is None:
        return n_train
    n = size * batch_size if batch_size else size
    return min(n, n_train)


def _size_name(size, batch_size):
    if size is None:
        return "all"
    return f"{size} batches" if batch_size else str(size)


def _load(data):
    from sklearn.utils import Bunch

    if isinstance(data, Bunch) or (hasattr(data, "texts") and hasattr(data, "files")):
        for field in ("texts", "labels", "subsets", "files"):
            if not hasattr(data, field):
                raise TypeError(f"data has no field {field!r}; pass the Bunch of veob.datasets.load_imdb")
        return data
    from ..datasets import load_imdb

    return load_imdb(data, subsets=("train", "test", "unsup"))
