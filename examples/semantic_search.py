"""Semantic search over movie reviews with a TextEncoder fitted on them, through Chroma.

Fits ``TextEncoder(dictionary=load_dictionary())`` on the IMDB reviews (all 100,000 by default: train,
test and unsup texts, no labels), saves it, indexes the 25,000 test reviews in a persistent Chroma
collection whose embedding function is ``VeobEmbeddingFunction(model folder)`` -- Chroma embeds the
documents and the query texts itself -- and prints the nearest reviews of a few queries.

Usage::

    python examples/semantic_search.py --data ../shared/data --out runs/search
    python examples/semantic_search.py --data ../shared/data --out runs/search --query "a haunted house"
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import chromadb
from chromadb.config import Settings

from veob.datasets import load_dictionary, load_imdb
from veob.store import VeobEmbeddingFunction
from veob.text import TextEncoder

QUERIES = ["a scary movie with a haunted house", "the acting was wooden and the plot made no sense",
           "a moving story about a father and his son", "great special effects but a weak script"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("VEOB_DATA"), help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--out", default="veob-search", help="output folder (default: ./veob-search)")
    parser.add_argument("--limit", type=int, default=None, help="fit on the first N reviews, index the first N "
                                                                 "test reviews (smoke runs)")
    parser.add_argument("--word-dim", type=int, default=1000, help="word vector dimension (default: 1000)")
    parser.add_argument("--query", action="append", help="query text (repeatable)")
    args = parser.parse_args()
    if not args.data:
        parser.error("no data folder: pass --data PATH or set VEOB_DATA")
    return args


def main():
    args = parse_args()
    data, out = Path(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    reviews = load_imdb(data / "imdb" / "aclImdb.tar.gz", subsets=("train", "test", "unsup"))
    texts = reviews.texts[:args.limit]
    start = time.perf_counter()
    encoder = TextEncoder(dictionary=load_dictionary(data / "simple_english_dictionary" / "merged.json.gz"),
                          word_dim=args.word_dim, random_state=0).fit(texts)
    print(f"fitted on {len(texts):,} reviews in {time.perf_counter() - start:.1f} s "
          f"({encoder.fit_info_['n_words']:,} words, dimension {encoder.table_.shape[2]})")
    folder = encoder.save(out / "model")

    test = load_imdb(data / "imdb" / "aclImdb.tar.gz", subsets="test")
    docs, files = test.texts[:args.limit], [str(f) for f in test.files[:args.limit]]
    labels = test.labels[:args.limit]
    client = chromadb.PersistentClient(path=str(out / "chroma"), settings=Settings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("imdb-test-reviews",
                                                 embedding_function=VeobEmbeddingFunction(folder))
    start = time.perf_counter()
    batch = client.get_max_batch_size()
    for a in range(0, len(docs), batch):  # Chroma calls the encoder on each batch of documents
        collection.upsert(ids=files[a:a + batch], documents=docs[a:a + batch],
                          metadatas=[{"label": int(y)} for y in labels[a:a + batch]])
    print(f"{collection.count():,} test reviews in collection 'imdb-test-reviews' "
          f"({time.perf_counter() - start:.1f} s)")

    for query in args.query or QUERIES:
        res = collection.query(query_texts=[query], n_results=3)
        print(f"\nquery: {query}")
        for rid, dist, doc in zip(res["ids"][0], res["distances"][0], res["documents"][0]):
            snippet = " ".join(doc.replace("<br />", " ").split())[:110]
            print(f"  {dist:.3f}  {rid:<24} {snippet}...")


if __name__ == "__main__":
    main()
