"""IMDB sentiment without backpropagation: the BiLSTM seed notebook's experiments, redone with veob.

The seed (a Keras BiLSTM with learned or frozen GloVe embeddings) moves 20 %
of each class of ``aclImdb/train`` to a validation split with a
``random.Random(1337)`` shuffle, trains on the other 20,000 reviews and
tests on the 25,000 test reviews. This script

1. fits ``SentimentClassifier()`` on the 20,000 reviews (and, without their
   labels, the 50,000 ``train/unsup`` reviews), reports validation accuracy,
   what leave-one-out chose and the words with the strongest weights;
2. runs the seed's experiments -- (a) vocabulary 20k and 600 tokens,
   (b) 150 tokens, (c) 100 training samples, (d) vocabulary 10k,
   (e) the learning curve 100 / 500 / 1000 / 5000 / all, and the default
   model on all 25,000 training reviews -- and prints them beside the
   seed's numbers, with fit and predict times.

Usage::

    python examples/imdb_baseline.py                 # needs VEOB_DATA (or --data)
    python examples/imdb_baseline.py --quick         # 3,000 reviews per split, ~1 minute
    python examples/imdb_baseline.py --out results/  # also writes imdb_table.md and report.json
    python examples/imdb_baseline.py --limit 100     # small-data mode: 100 reviews per split (CI)

No gradient descent anywhere: counts, an SVD and closed-form ridge solutions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from veob.baselines import SentimentClassifier
from veob.datasets import load_imdb
from veob.experiments import format_imdb_table, run_imdb_protocol, seed_validation_split


def subsample(data, n, seed=0):
    """n random reviews of each subset (train, test, unsup), balanced over classes."""
    from sklearn.utils import Bunch

    rng = np.random.RandomState(seed)
    keep = []
    for subset in ("train", "test", "unsup"):
        for label in (1, 0, -1):
            idx = np.flatnonzero((data.subsets == subset) & (data.labels == label))
            if len(idx):
                share = n if label == -1 else n // 2
                keep.append(rng.choice(idx, min(share, len(idx)), replace=False))
    keep = np.sort(np.concatenate(keep))
    return Bunch(texts=[data.texts[i] for i in keep], labels=data.labels[keep], subsets=data.subsets[keep],
                 files=data.files[keep], ratings=data.ratings[keep], ids=data.ids[keep])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--out", default=None, help="folder for imdb_table.md and report.json")
    parser.add_argument("--quick", action="store_true", help="3,000 reviews per split, short curve")
    parser.add_argument("--limit", type=int, default=None,
                        help="small-data mode: this many reviews per split, curve 10 / all (implies --quick)")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 20:
        parser.error(f"--limit {args.limit} is too small: pass at least 20 (or use --quick for 3,000)")
    args.quick = args.quick or args.limit is not None

    root = args.data or os.environ.get("VEOB_DATA")
    if not root:
        parser.error("no data folder: pass --data DIR or set VEOB_DATA")
    start = time.perf_counter()
    archive = Path(root) / "imdb" / "aclImdb.tar.gz"  # or an extracted imdb/aclImdb/ folder
    data = load_imdb(archive if archive.exists() else archive.parent, subsets=("train", "test", "unsup"))
    if args.quick:
        data = subsample(data, args.limit or 3000)
    print(f"loaded {len(data.texts):,} reviews in {time.perf_counter() - start:.1f} s")

    # 1. the default classifier on the seed's split, scored on its validation reviews
    train = np.flatnonzero(data.subsets == "train")
    is_val = seed_validation_split(data.files[train])
    fit_rows = np.concatenate([train[~is_val], np.flatnonzero(data.subsets == "unsup")])
    y = np.where(data.subsets[fit_rows] == "train", data.labels[fit_rows], -1)  # -1: unlabelled
    clf = SentimentClassifier(random_state=0, **({"embedding_min_df": 3} if args.quick else {}))
    start = time.perf_counter()
    clf.fit([data.texts[i] for i in fit_rows], y)
    fit_seconds = time.perf_counter() - start
    val = train[is_val]
    accuracy = clf.score([data.texts[i] for i in val], data.labels[val])
    print(f"\nSentimentClassifier(): {clf.n_labeled_:,} labelled + {clf.n_unlabeled_:,} unlabelled reviews, "
          f"fit {fit_seconds:.1f} s, validation accuracy {accuracy:.4f}")
    print("  leave-one-out chose:", {k: v for k, v in clf.selection_.items() if k != "nb_score_std"})

    # the words with the strongest weights, among the 3,000 most frequent training words
    counts = Counter(w for i in train[~is_val][:5000]
                     for w in re.findall(r"[a-z]+(?:'[a-z]+)*", data.texts[i].lower().replace("<br />", " ")))
    words = [w for w, _ in counts.most_common(3000)]
    weights = np.nan_to_num(clf.ngram_weights(words))
    order = np.argsort(weights)
    print("  most negative words:", ", ".join(words[i] for i in order[:12]))
    print("  most positive words:", ", ".join(words[i] for i in order[::-1][:12]))
    phrases = ["good", "not good", "bad", "not bad", "worst", "the worst", "waste of time", "must see"]
    print("  phrase weights:", ", ".join(f"{p!r} {w:+.4f}" for p, w in zip(phrases, clf.ngram_weights(phrases))))

    # 2. the seed's experiments
    sizes = (10, None) if args.limit else (100, 500, None) if args.quick else (100, 500, 1000, 5000, None)
    params = {"embedding_min_df": 3} if args.quick else None
    print("\nthe seed's experiments (test accuracy on the", f"{int((data.subsets == 'test').sum()):,} test reviews):")
    report = run_imdb_protocol(data, sizes=sizes, estimator_params=params, random_state=0,
                               callback=lambda r: print(f"  done: [{r['experiment']}] {r['setting']}: "
                                                        f"{r['accuracy']:.4f}"))
    table = format_imdb_table(report)
    print()
    print(table)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, text in (("imdb_table.md", table + "\n"), ("report.json", json.dumps(report, indent=2))):
            tmp = out / f".{name}.tmp"
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, out / name)
        print(f"\nwrote {out / 'imdb_table.md'} and {out / 'report.json'}")


if __name__ == "__main__":
    main()
