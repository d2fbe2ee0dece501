"""Sentiment-conditioned movie reviews without gradient descent (issue 11, against the LaTextGAN seed).

Fits :class:`veob.text.ReviewComposer` (closed-form spectral next-word model)
and the Kneser-Ney trigram baseline on the 25,000 IMDB training reviews,
prints generated reviews of each sentiment and the metrics table beside the
seed's result, writes the table to ``docs/composer.md`` and fills a Chroma
collection with the generated reviews (sentence vectors; label and seed as
metadata).

Run::

    VEOB_DATA=../shared/data python examples/review_composer.py [--n-test 2500] [--chroma DIR]

The metrics are those of ``benchmarks/composer_metrics.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks/ holds the metrics

from benchmarks.composer_metrics import format_markdown, format_table, run  # noqa: E402
from veob.cli._cmd_compose import store_reviews  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=None, help="IMDB archive or folder (default: $VEOB_DATA/imdb)")
    parser.add_argument("--n-train", type=int, default=None, help="subsample of training reviews (default: all)")
    parser.add_argument("--n-test", type=int, default=None, help="subsample of test reviews (default: all 25,000)")
    parser.add_argument("--n-generate", type=int, default=200, help="reviews per sentiment (default: 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--docs", default=str(ROOT / "docs" / "composer.md"), help="markdown report to write")
    parser.add_argument("--chroma", default="veob-out/review_composer/chroma", help="Chroma store folder")
    args = parser.parse_args(argv)

    result, composer = run(args.data, n_train=args.n_train, n_test=args.n_test, n_generate=args.n_generate,
                           seed=args.seed, log=lambda *a: print(*a, flush=True), return_model=True)
    for label, texts in result["examples"].items():
        print(f"\n{label} reviews:")
        for t in texts:
            print(" -", t)
    print()
    print(format_table(result))

    docs = Path(args.docs)
    tmp = docs.with_name(f".{docs.name}.tmp")
    tmp.write_text(format_markdown(result))
    os.replace(tmp, docs)
    print(f"\nwrote {docs}")

    reviews, labels = [], []
    for label, texts in result["reviews"].items():
        reviews += texts
        labels += [label] * len(texts)
    n = store_reviews(args.chroma, reviews, labels, args.seed, composer.word_vectors_, progress=False)
    print(f"stored {n} generated reviews in {args.chroma} (collection 'composed_reviews')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
