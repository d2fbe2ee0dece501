"""Sentence vectors from word vectors (paper section 6.5): ``veob sentences`` as a short script.

Each IMDB sentence is the sequence of its words' context vectors (section 6.3);
a spectral transform over the positions sums them into a fixed number of
blocks, and the sentences are embedded on the top singular vectors.

- paper: the paper's word vectors (50-d), the high-pass basis N = 32, M = 6,
  200 dimensions (the words summed, not overwritten as in the reference code);
- best (validation proxy, docs/text.md): PPMI word vectors (300-d), SIF word
  weights, the two lowest DCT blocks, the common direction removed, 400
  dimensions, ``U S^0.5``.

Prints the paper's two queries with both settings (the sentences of
``train/unsup/0_0.txt`` and ``10001_0.txt``), writes OUT/singular_values.png
and fills the Chroma collections ``imdb-sentences-paper`` and
``imdb-sentences-best`` with the first ``--max-store`` sentences and those in
the tables (id: index in the corpus, document: the sentence, metadata: the
review file). Takes a few minutes on 2 cores.

Usage::

    python examples/sentence_embedding.py --data /path/to/data --out runs/sentences
    veob query --chroma runs/sentences/chroma --collection imdb-sentences-best \\
        --text "i did like the lead actors , but thought little of the film ."
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from veob.datasets import load_imdb  # noqa: E402
from veob.plotting import plot_singular_values, save_figure  # noqa: E402
from veob.store import ChromaStore  # noqa: E402
from veob.text import ContextEmbedder, SentenceEmbedder, prepare_corpus  # noqa: E402

QUERIES = ["I did like the lead actors, but thought little of the film.",
           "Everybody has seen 'Back To The Future,' right?"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("VEOB_DATA"), help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--out", default="veob-sentences", help="output folder (default: ./veob-sentences)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N reviews")
    parser.add_argument("--word-components", type=int, default=None,
                        help="dimension of the word vectors (default: 50 for paper, 300 for best)")
    parser.add_argument("--max-store", type=int, default=100_000, help="sentences stored per collection")
    args = parser.parse_args()
    if not args.data:
        parser.error("no data folder: pass --data PATH or set VEOB_DATA")
    return args


def main():
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    reviews = load_imdb(Path(args.data) / "imdb" / "aclImdb.tar.gz", subsets="unsup")
    corpus = prepare_corpus(reviews.texts[:args.limit], max_tokens=32)  # the paper's sentences
    files = reviews.files[corpus.sources]  # the review file of each sentence
    print(f"{corpus.n_sentences:,} sentences of {len(corpus.words):,} words")
    # the queries with the corpus' preprocessing: each text becomes one token list
    queries = [sum(prepare_corpus([q], progress=False).sentences, []) for q in QUERIES]

    settings = {
        "paper": (ContextEmbedder(preset="paper", n_components=args.word_components or 50, random_state=0),
                  dict(preset="paper", n_components=200)),
        "best": (ContextEmbedder(n_components=args.word_components or 300, random_state=0),
                 dict()),
    }
    store = ChromaStore(out / "chroma", distance="cosine")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, (name, (words, options)) in zip(axes, settings.items()):
        word_vectors = words.fit(corpus).word_vectors_
        embedder = SentenceEmbedder(word_vectors, **options).fit(corpus)
        shown = set()
        for tokens in queries:
            print(f"\n{name}: {' '.join(tokens)}")
            for index, distance in embedder.most_similar(tokens, topn=6):
                print(f"  {distance:.4f}  {' '.join(corpus.sentence(index))}  ({Path(files[index]).name})")
                shown.add(index)
        k = embedder.embedding_.shape[1]
        plot_singular_values(embedder.singular_values_, ax=ax, n_components=k, title=f"{name}: SVD {k}")

        rows = np.union1d(np.arange(min(args.max_store, corpus.n_sentences)), sorted(shown))
        store.upsert(f"imdb-sentences-{name}", embedder.embedding_[rows], ids=[str(i) for i in rows],
                     documents=[" ".join(corpus.sentence(i)) for i in rows],
                     metadatas=[{"file": str(files[i]), "review": int(corpus.sources[i])} for i in rows])
        print(f"{store.count(f'imdb-sentences-{name}'):,} vectors in collection 'imdb-sentences-{name}'")
    save_figure(fig, out / "singular_values.png")


if __name__ == "__main__":
    main()
