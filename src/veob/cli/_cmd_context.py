"""``veob context``: word vectors from the words around them in the IMDB sentences (paper section 6.3)."""

from __future__ import annotations

import numpy as np

from ._common import data_root
from ._text_pipelines import (COLLECTIONS, TextRun, add_text_options, fit_context, first_known, format_word_tables,
                              scheduler_solver, store_words, word_neighbours)

HELP = ("section 6.3: context word vectors of the IMDB sentences (the paper's two bags, SVD 50, "
        "and PPMI 300), the paper's query tables, singular values, Chroma")

TITLES = {"paper": "paper: two bags of 2 words before / 2 after, each bag row-normalised, SVD {k}",
          "best": "best: PPMI (cds 0.75), window 3 with linear weights, two bags, U S^0.5, SVD {k}"}


def add_arguments(parser):
    add_text_options(parser, "context", components_help="50 for paper, 300 for best", scheduler=True)


def run(args):
    r = TextRun(args, "context")
    corpus, files, info = r.imdb_corpus(data_root(args))
    counts = dict(zip(corpus.words.tolist(), corpus.counts.tolist()))
    metrics, curves, example = {}, [], None
    with scheduler_solver(getattr(args, "scheduler", None)) as solver:
        if solver != "auto":
            r.say(f"  SVD on the Dask cluster at {args.scheduler} (solver {solver!r})")
        for preset in r.presets:
            emb = r.fit(f"context_{preset}", fit_context, corpus, preset, n_components=args.components,
                        solver=solver, random_state=args.seed)
            wv = emb.word_vectors_
            k = wv.vector_size
            with r.stage(f"queries_{preset}"):
                tables = word_neighbours(wv, r.queries, args.topn)
            r.say(format_word_tables(tables, title="\n" + TITLES[preset].format(k=k) + " (cosine distance):"))
            r.say()
            example = example or first_known(tables)
            curves.append((TITLES[preset].split(":")[0] + f": {len(wv):,} words, SVD {k}", emb.singular_values_, k))
            word_list = wv.words.tolist()
            r.fill(COLLECTIONS["context", preset], store_words, wv, max_store=r.max_store, priority_words=r.queries,
                   metadata=lambda i, w=word_list: {"count": int(counts.get(w[i], 0))})
            metrics[preset] = {"n_vectors": len(wv), "dimension": int(k), "window": emb.window_,
                               "eig_power": emb.eig_power_, "weighting": emb.weighting,
                               "singular_values": np.asarray(emb.singular_values_, dtype=float), "queries": tables}
    r.figure(curves, "IMDB words: context counts -> SVD (section 6.3)")
    r.finish({"preset": args.preset, "components": args.components, "max_store": r.max_store,
              "scheduler": getattr(args, "scheduler", None)}, metrics, corpus=info,
             example_query=example)
    return 0
