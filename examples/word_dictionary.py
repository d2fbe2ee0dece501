"""Word vectors from a dictionary's synonyms and antonyms (paper section 6.4): ``veob dictionary`` as a script.

The paper's setting: each headword is a row of three slices -- its spelling
vector (30 dimensions, scaled down by the norm of its singular values), a
one-hot of its synonyms (the word itself included) and a one-hot of its
antonyms -- embedded on the top 300 singular vectors. The best setting on our
held-out proxy (docs/text.md) makes the synonym graph symmetric over all
words, puts antonyms in as negative entries and drops the spelling. Prints the
paper's table (bus, happiness) for both, writes OUT/singular_values.png and
fills the Chroma collections ``dictionary-paper`` and ``dictionary-best``
(metadata: whether the word is a headword, its numbers of synonyms and antonyms).

Usage::

    python examples/word_dictionary.py --data /path/to/data --out runs/dictionary
    veob query --chroma runs/dictionary/chroma --collection dictionary-best --text happiness
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from veob.datasets import load_dictionary  # noqa: E402
from veob.plotting import plot_singular_values, save_figure  # noqa: E402
from veob.store import ChromaStore  # noqa: E402
from veob.text import DictionaryEmbedder  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("VEOB_DATA"), help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--out", default="veob-dictionary", help="output folder (default: ./veob-dictionary)")
    parser.add_argument("--components", type=int, default=300, help="embedding dimension (default: 300)")
    parser.add_argument("--query", action="append", help="query words (default: bus, happiness)")
    args = parser.parse_args()
    if not args.data:
        parser.error("no data folder: pass --data PATH or set VEOB_DATA")
    return args


def main():
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    entries = load_dictionary(Path(args.data) / "simple_english_dictionary" / "merged.json.gz")
    relations = {e.word: (len(e.synonyms), len(e.antonyms)) for e in entries}
    print(f"{len(entries):,} headwords")

    settings = {"paper": DictionaryEmbedder(n_components=args.components, preset="paper", random_state=0),
                "best": DictionaryEmbedder(n_components=args.components, random_state=0)}
    store = ChromaStore(out / "chroma", distance="cosine")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, (name, embedder) in zip(axes, settings.items()):
        vectors = embedder.fit(entries).word_vectors_
        for query in args.query or ["bus", "happiness"]:
            print(f"\n{name}: {query}")
            if query not in vectors:
                print("  (not in the dictionary)")
                continue
            for word, distance in vectors.most_similar(query, topn=10):
                print(f"  {word:<20} {distance:.4f}")
        plot_singular_values(embedder.singular_values_, ax=ax, n_components=args.components, title=name)

        words = vectors.words.tolist()
        metadatas = [{"headword": w in relations, "n_synonyms": relations.get(w, (0, 0))[0],
                      "n_antonyms": relations.get(w, (0, 0))[1]} for w in words]
        store.upsert(f"dictionary-{name}", vectors.vectors, ids=words, documents=words, metadatas=metadatas)
        print(f"{store.count(f'dictionary-{name}'):,} vectors in collection 'dictionary-{name}'")
    save_figure(fig, out / "singular_values.png")


if __name__ == "__main__":
    main()
