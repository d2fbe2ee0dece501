"""Spelling vectors of the IMDB words (paper section 6.2): ``veob words`` as a short script.

Every word of the 50,000 ``aclImdb/train/unsup`` reviews becomes the sequence
of its letters (one-hot ASCII codes), transformed with the paper's cosine
basis (N = 15, the M = 6 highest frequencies, concatenated) and embedded on
the top 40 singular vectors. The script prints the paper's table (twighlight,
frowning) with cosine distances, writes OUT/singular_values.png and fills the
Chroma collection ``imdb-orthography`` in OUT/chroma (id and document: the
word; metadata: its count in the corpus).

Usage::

    python examples/word_orthography.py --data /path/to/data --out runs/words
    veob query --chroma runs/words/chroma --collection imdb-orthography --text twighlight

A word outside the corpus still has a spelling vector (``transform``), so
any query works.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from veob.datasets import load_imdb
from veob.plotting import plot_singular_values, save_figure
from veob.store import ChromaStore
from veob.text import OrthographyEmbedder, prepare_corpus


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("VEOB_DATA"), help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--out", default="veob-words", help="output folder (default: ./veob-words)")
    parser.add_argument("--components", type=int, default=40, help="embedding dimension (default: 40)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N reviews")
    parser.add_argument("--query", action="append", help="query words (default: twighlight, frowning)")
    args = parser.parse_args()
    if not args.data:
        parser.error("no data folder: pass --data PATH or set VEOB_DATA")
    return args


def main():
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    reviews = load_imdb(Path(args.data) / "imdb" / "aclImdb.tar.gz", subsets="unsup")
    corpus = prepare_corpus(reviews.texts[:args.limit], max_tokens=32)  # sentences of 1..32 tokens, as in the paper
    print(f"{len(corpus.words):,} words in {corpus.n_sentences:,} sentences")

    embedder = OrthographyEmbedder(n_components=args.components, preset="paper").fit(corpus.words)
    vectors = embedder.word_vectors_

    for query in args.query or ["twighlight", "frowning"]:
        # a known word is looked up; an unknown one is embedded from its spelling
        key = query if query in vectors else embedder.transform([query])[0]
        print(f"\n{query}" + ("" if query in vectors else " (not in the corpus)"))
        for word, distance in vectors.most_similar(key, topn=10):
            print(f"  {word:<16} {distance:.4f}")

    ax = plot_singular_values(embedder.singular_values_, n_components=args.components,
                              title=f"IMDB words: letter spectra -> SVD {args.components}")
    save_figure(ax, out / "singular_values.png")

    store = ChromaStore(out / "chroma", distance="cosine")
    words = vectors.words.tolist()
    store.upsert("imdb-orthography", vectors.vectors, ids=words, documents=words,
                 metadatas=[{"count": int(c)} for c in corpus.counts])  # corpus.words is the fitted word order
    print(f"\n{store.count('imdb-orthography'):,} vectors in {out / 'chroma'} (collection 'imdb-orthography')")


if __name__ == "__main__":
    main()
