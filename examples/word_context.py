"""Word vectors from the words around them (paper section 6.3): ``veob context`` as a short script.

For every word of the IMDB ``train/unsup`` sentences, count the 2 words before
it and the 2 after it as two bags, divide each bag by its total and embed the
rows on the top 50 singular vectors (the paper); then the best setting on our
validation proxies: positive PMI with context smoothing, window 3 with linear
weights, 300 dimensions, ``U S^0.5`` (docs/text.md). Prints the paper's table
(physicist, twists) for both, writes OUT/singular_values.png and fills the
Chroma collections ``imdb-context-paper`` and ``imdb-context-best``.

Usage::

    python examples/word_context.py --data /path/to/data --out runs/context
    veob query --chroma runs/context/chroma --collection imdb-context-best --text twists
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from veob.datasets import load_imdb  # noqa: E402
from veob.plotting import plot_singular_values, save_figure  # noqa: E402
from veob.store import ChromaStore  # noqa: E402
from veob.text import ContextEmbedder, prepare_corpus  # noqa: E402

SETTINGS = {
    "paper": ContextEmbedder(n_components=50, random_state=0),
    "best": ContextEmbedder(weighting="ppmi", n_components=300, random_state=0),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("VEOB_DATA"), help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--out", default="veob-context", help="output folder (default: ./veob-context)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N reviews")
    parser.add_argument("--query", action="append", help="query words (default: physicist, twists)")
    args = parser.parse_args()
    if not args.data:
        parser.error("no data folder: pass --data PATH or set VEOB_DATA")
    return args


def main():
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    reviews = load_imdb(Path(args.data) / "imdb" / "aclImdb.tar.gz", subsets="unsup")
    corpus = prepare_corpus(reviews.texts[:args.limit])
    print(f"{len(corpus.words):,} words in {corpus.n_sentences:,} sentences")

    store = ChromaStore(out / "chroma", distance="cosine")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, (name, embedder) in zip(axes, SETTINGS.items()):
        embedder.fit(corpus)
        vectors = embedder.word_vectors_
        for query in args.query or ["physicist", "twists"]:
            print(f"\n{name}: {query}")
            if query not in vectors:
                print("  (not in the vocabulary)")
                continue
            for word, distance in vectors.most_similar(query, topn=10):
                print(f"  {word:<16} {distance:.4f}")
        plot_singular_values(embedder.singular_values_, ax=ax, n_components=embedder.n_components, title=name)

        counts = dict(zip(corpus.words.tolist(), corpus.counts.tolist()))
        words = vectors.words.tolist()
        store.upsert(f"imdb-context-{name}", vectors.vectors, ids=words, documents=words,
                     metadatas=[{"count": counts[w]} for w in words])
        print(f"{store.count(f'imdb-context-{name}'):,} vectors in collection 'imdb-context-{name}'")
    save_figure(fig, out / "singular_values.png")


if __name__ == "__main__":
    main()
