"""``veob context``: word vectors from the words around them in the IMDB reviews (paper section 6.3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..experiments._text_pipelines import (
    first_known,
    fit_context,
    format_similarity_scores,
    format_word_tables,
    store_words,
    word_neighbours,
    word_similarity_scores,
)
from ._common import data_root
from ._text_common import COLLECTIONS, TextRun, add_text_options, scheduler_solver

HELP = ("section 6.3: context word vectors of the IMDB reviews (the paper's two bags, SVD 50, on the "
        "unsup sentences, and PPMI-SVD 300 with the defaults chosen on the development sets, on all 100k "
        "reviews), the paper's query tables, dev-set scores, word2vec export, Chroma")

TITLES = {"paper": "paper: two bags of 2 words before / 2 after, each bag row-normalised, SVD {k}",
          "best": "best (ContextEmbedder() defaults): PPMI-SVD {k}, window 3 linear, W + C"}

# the corpus of each preset: the paper's 50,000 unsup reviews cut at 32 tokens; all 100,000 reviews whole
CORPORA = {"paper": ("unsup", 32), "best": (("train", "test", "unsup"), None)}


def add_arguments(parser):
    add_text_options(parser, "context", components_help="50 for paper, 300 for best", scheduler=True)
    parser.add_argument("--no-export", action="store_true",
                        help="do not write OUT/vectors-<preset>.txt (the word2vec text format)")


def run(args):
    r = TextRun(args, "context")
    root = data_root(args)
    metrics, curves, example = {}, [], None
    corpus_info = {}
    with scheduler_solver(getattr(args, "scheduler", None)) as solver:
        if solver != "auto":
            r.say(f"  SVD on the Dask cluster at {args.scheduler} (solver {solver!r})")
        for preset in r.presets:
            subsets, max_tokens = CORPORA[preset]
            corpus, files, info = r.imdb_corpus(root, subsets=subsets, max_tokens=max_tokens)
            corpus_info[preset] = info
            counts = dict(zip(corpus.words.tolist(), corpus.counts.tolist()))
            emb = r.fit(f"context_{preset}", fit_context, corpus, preset, n_components=args.components,
                        solver=solver, random_state=args.seed, progress=r.progress)
            del corpus
            wv = emb.word_vectors_
            k = wv.vector_size
            with r.stage(f"queries_{preset}"):
                tables = word_neighbours(wv, r.queries, args.topn)
            r.say(format_word_tables(tables, title="\n" + TITLES[preset].format(k=k) + " (cosine distance):"))
            scores = word_similarity_scores(wv, root)
            if scores:
                r.say(f"\n  development sets ({Path(root) / 'dev_eval'}), Spearman of cosine similarity:")
                r.say(format_similarity_scores(scores))
            r.say()
            example = example or first_known(tables)
            curves.append((TITLES[preset].split(":")[0] + f": {len(wv):,} words, SVD {k}", emb.singular_values_, k))
            exported = None
            if not args.no_export:
                with r.stage(f"export_{preset}"):
                    exported = wv.save_word2vec_format(r.out / f"vectors-{preset}.txt")
                r.say(f"  word2vec text file: {exported}")
            word_list = wv.words.tolist()
            r.fill(COLLECTIONS["context", preset], store_words, wv, max_store=r.max_store, priority_words=r.queries,
                   metadata=lambda i, w=word_list, c=counts: {"count": int(c.get(w[i], 0))})
            metrics[preset] = {"n_vectors": len(wv), "dimension": int(k), "settings": emb.settings_,
                               "n_tokens_windowed": emb.n_tokens_,
                               "singular_values": np.asarray(emb.singular_values_, dtype=float),
                               "queries": tables, "dev_sets": scores, "word2vec_file": exported}
    r.figure(curves, "IMDB words: context counts -> SVD (section 6.3)")
    r.finish({"preset": args.preset, "components": args.components, "max_store": r.max_store,
              "scheduler": getattr(args, "scheduler", None)}, metrics, corpus=corpus_info,
             example_query=example)
    return 0
