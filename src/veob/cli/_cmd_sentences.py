"""``veob sentences``: sentence vectors of the IMDB sentences (paper section 6.5)."""

from __future__ import annotations

import numpy as np

from ..experiments._text_pipelines import (
    fit_context,
    fit_sentences,
    format_sentence_tables,
    sentence_neighbours,
    store_sentences,
)
from ._common import UsageError, data_root
from ._text_common import COLLECTIONS, TextRun, add_text_options, scheduler_solver

HELP = ("section 6.5: sentence vectors (spectral transform of word vectors -> SVD) in the paper's setting "
        "and the best one, the paper's two queries, singular values, Chroma")

MAX_STORE = 100_000

TITLES = {"paper": "paper: paper word vectors ({kw}-d) -> high-pass ST (N=32, M=6) -> SVD {k}",
          "best": "best: PPMI word vectors ({kw}-d) -> SIF weights, 2 low DCT blocks, common direction removed, "
                  "SVD {k}, U S^0.5"}


def add_arguments(parser):
    add_text_options(parser, "sentences", topn=6, scheduler=True, max_store=MAX_STORE,
                     components_help="200 for paper, 400 for best")
    parser.add_argument("--word-components", type=int, default=None, metavar="K",
                        help="dimension of the context word vectors (default: 50 for paper, 300 for best)")


def run(args):
    if args.word_components is not None and args.word_components < 1:
        raise UsageError(f"--word-components {args.word_components} must be >= 1")
    r = TextRun(args, "sentences")
    corpus, files, info = r.imdb_corpus(data_root(args))
    metrics, curves = {}, []
    example = None
    with scheduler_solver(getattr(args, "scheduler", None)) as solver:
        if solver != "auto":
            r.say(f"  word-vector SVD on the Dask cluster at {args.scheduler} (solver {solver!r}); "
                  "the sentence Gram matrix is accumulated locally")
        for preset in r.presets:
            words = r.fit(f"context_{preset}", fit_context, corpus, preset, n_components=args.word_components,
                          solver=solver, random_state=args.seed)
            emb = r.fit(f"sentences_{preset}", fit_sentences, corpus, words.word_vectors_, preset,
                        n_components=args.components)
            del words
            k, kw = emb.embedding_.shape[1], emb.word_vectors.vector_size
            with r.stage(f"queries_{preset}"):
                tables = sentence_neighbours(emb, corpus, files, r.queries, args.topn)
            title = "\n" + TITLES[preset].format(k=k, kw=kw) + " (cosine distance):"
            r.say(format_sentence_tables(tables, title=title))
            r.say()
            curves.append((TITLES[preset].split(":")[0] + f": {len(emb.embedding_):,} sentences, SVD {k}",
                           emb.singular_values_, k))
            hits = [h["index"] for t in tables if t["neighbours"] for h in t["neighbours"]]
            for t in tables:  # a query that is a corpus sentence: veob query --text finds its document
                if example is None and t["neighbours"] and t["neighbours"][0]["sentence"] == " ".join(t["tokens"]):
                    example = t["neighbours"][0]["sentence"]
            r.fill(COLLECTIONS["sentences", preset], store_sentences, emb.embedding_, corpus, files,
                   max_store=r.max_store, priority=hits)
            metrics[preset] = {"n_vectors": int(emb.embedding_.shape[0]), "dimension": int(k),
                               "settings": emb.settings_,
                               "singular_values": np.asarray(emb.singular_values_, dtype=float),
                               "removed_singular_values": np.asarray(emb.removed_singular_values_, dtype=float),
                               "queries": tables}
            del emb
    r.figure(curves, "IMDB sentences: spectral transform of word vectors -> SVD (section 6.5)")
    r.finish({"preset": args.preset, "components": args.components, "word_components": args.word_components,
              "max_store": r.max_store,
              "scheduler": getattr(args, "scheduler", None)}, metrics, corpus=info, example_query=example)
    return 0
