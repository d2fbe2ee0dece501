"""Word vectors from the words around them (paper section 6.3): ``veob context`` as a short script.

Two settings. The paper's: in the 50,000 IMDB ``train/unsup`` reviews (sentences of at most 32
tokens), count the 2 words before and the 2 after each word as two bags, divide each bag by its
total and embed the rows on the top 50 singular vectors (``ContextEmbedder(preset="paper")``).
The defaults, chosen on the development sets of human judgments (docs/text.md): all 100,000
reviews, rare words dropped and frequent words subsampled, PPMI of a window of 3 with linear
weights, SVD 300, unit word plus unit context vectors (``ContextEmbedder()``). Prints the paper's
table (physicist, twists) for both and the dev-set scores, writes the word2vec text file
OUT/vectors-<setting>.txt and OUT/singular_values.png, and fills the Chroma collections
``imdb-context-paper`` and ``imdb-context-best``.

Usage::

    python examples/word_context.py --data ../shared/data --out runs/context
    veob query --chroma runs/context/chroma --collection imdb-context-best --text twists
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from veob.datasets import SIMILARITY_SETS, load_imdb, load_word_similarity  # noqa: E402
from veob.plotting import plot_singular_values, save_figure  # noqa: E402
from veob.store import ChromaStore  # noqa: E402
from veob.text import ContextEmbedder, prepare_corpus  # noqa: E402

# setting -> (embedder, IMDB subsets, sentence length limit)
SETTINGS = {
    "paper": (ContextEmbedder(preset="paper", random_state=0), "unsup", 32),
    "best": (ContextEmbedder(random_state=0), ("train", "test", "unsup"), None),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("VEOB_DATA"), help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--out", default="veob-context", help="output folder (default: ./veob-context)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N reviews")
    parser.add_argument("--components", type=int, default=None, help="dimension (default: 50 paper, 300 best)")
    parser.add_argument("--query", action="append", help="query words (default: physicist, twists)")
    args = parser.parse_args()
    if not args.data:
        parser.error("no data folder: pass --data PATH or set VEOB_DATA")
    return args


def main():
    args = parse_args()
    data = Path(args.data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    store = ChromaStore(out / "chroma", distance="cosine")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, (name, (embedder, subsets, max_tokens)) in zip(axes, SETTINGS.items()):
        reviews = load_imdb(data / "imdb" / "aclImdb.tar.gz", subsets=subsets)
        corpus = prepare_corpus(reviews.texts[:args.limit], max_tokens=max_tokens)
        print(f"\n{name}: {len(reviews.texts[:args.limit]):,} reviews, {len(corpus.words):,} words in "
              f"{corpus.n_sentences:,} sentences")
        embedder.set_params(n_components=args.components).fit(corpus)
        vectors = embedder.word_vectors_
        for query in args.query or ["physicist", "twists"]:
            print(f"\n{name}: {query}")
            if query not in vectors:
                print("  (not in the vocabulary)")
                continue
            for word, distance in vectors.most_similar(query, topn=10):
                print(f"  {word:<16} {distance:.4f}")

        if (data / "dev_eval").is_dir():
            print(f"\n{name}: development sets (Spearman of cosine similarity, pairs covered)")
            for set_name in SIMILARITY_SETS:
                pairs = load_word_similarity(set_name, data / "dev_eval")
                rho, _, n_oov = vectors.evaluate_word_pairs(pairs)
                print(f"  {set_name:<14} {rho:6.3f}  {len(pairs) - n_oov:,}/{len(pairs):,}")

        path = vectors.save_word2vec_format(out / f"vectors-{name}.txt")
        print(f"\nword2vec text file: {path} (gensim: KeyedVectors.load_word2vec_format(path))")
        plot_singular_values(embedder.singular_values_, ax=ax, n_components=vectors.vector_size, title=name)

        counts = dict(zip(corpus.words.tolist(), corpus.counts.tolist()))
        words = vectors.words.tolist()
        store.upsert(f"imdb-context-{name}", vectors.vectors, ids=words, documents=words,
                     metadatas=[{"count": counts[w]} for w in words])
        print(f"{store.count(f'imdb-context-{name}'):,} vectors in collection 'imdb-context-{name}'")
    save_figure(fig, out / "singular_values.png")


if __name__ == "__main__":
    main()
