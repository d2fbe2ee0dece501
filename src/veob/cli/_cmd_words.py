"""``veob words``: spelling vectors of the IMDB vocabulary (paper section 6.2)."""

from __future__ import annotations

import numpy as np

from ..experiments._text_pipelines import first_known, fit_orthography, format_word_tables, store_words, word_neighbours
from ._common import data_root
from ._text_common import COLLECTIONS, TextRun, add_text_options

HELP = ("section 6.2: spelling vectors of the IMDB words (letter spectra N=15, M=6 -> SVD 40), "
        "the paper's query table, singular values, Chroma")


def add_arguments(parser):
    add_text_options(parser, "words", presets=False, components_help="40")
    parser.add_argument("--points", type=int, default=15, metavar="N",
                        help="basis length N of the letter spectra (default: 15)")
    parser.add_argument("--freqs", type=int, default=6, metavar="M",
                        help="frequencies M kept, concatenated (default: 6)")


def run(args):
    r = TextRun(args, "words")
    corpus, files, info = r.imdb_corpus(data_root(args))
    k = args.components or 40
    emb = r.fit("orthography", fit_orthography, corpus.words, n_components=k, n_points=args.points,
                n_freqs=args.freqs, random_state=args.seed)
    wv = emb.word_vectors_
    with r.stage("queries"):
        tables = word_neighbours(wv, r.queries, args.topn, embed=emb.transform)
    r.say(format_word_tables(tables, title=f"\nspelling neighbours (cosine distance), {len(wv):,} words, "
                                           f"N={args.points}, M={args.freqs}, SVD {k}:"))
    r.say()
    # the curve that guides k: up to 200 singular values (the exact Gram solver makes this cheap)
    n_show = min(200, len(wv), args.freqs * 128)
    with r.stage("spectrum"):
        s = emb.singular_values_ if n_show <= k else fit_orthography(
            corpus.words, n_components=n_show, n_points=args.points, n_freqs=args.freqs,
            random_state=args.seed).singular_values_
    r.figure([(f"orthography: {len(wv):,} words, first {len(s)} singular values", s, k)],
             "IMDB words: letter spectra -> SVD (section 6.2)")
    counts = dict(zip(corpus.words.tolist(), corpus.counts.tolist()))
    word_list = wv.words.tolist()
    r.fill(COLLECTIONS["words", "paper"], store_words, wv, max_store=r.max_store, priority_words=r.queries,
           metadata=lambda i: {"count": int(counts.get(word_list[i], 0))})
    metrics = {"paper": {"n_vectors": len(wv), "dimension": int(wv.vector_size),
                         "singular_values": np.asarray(emb.singular_values_, dtype=float), "queries": tables}}
    r.finish({"preset": "paper", "components": k, "points": args.points, "freqs": args.freqs,
              "max_store": r.max_store}, metrics, corpus=info, example_query=first_known(tables))
    return 0
