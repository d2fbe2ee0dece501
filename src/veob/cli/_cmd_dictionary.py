"""``veob dictionary``: word vectors from the simple English dictionary (paper section 6.4)."""

from __future__ import annotations

import numpy as np

from ..experiments._text_pipelines import (
    find_dictionary,
    first_known,
    fit_dictionary,
    format_word_tables,
    store_words,
    word_neighbours,
)
from ._common import UsageError, data_root
from ._text_common import COLLECTIONS, TextRun, add_text_options

HELP = ("section 6.4: word vectors from the dictionary's synonyms and antonyms (the paper's slices, and "
        "the best setting), SVD 300, the paper's query tables, singular values, Chroma")

TITLES = {"paper": "paper: orthography (30, scaled) + synonym and antonym one-hots of the headwords, SVD {k}",
          "best": "best: symmetric synonym graph over all words, antonyms -0.5, no orthography, SVD {k}"}


def add_arguments(parser):
    add_text_options(parser, "dictionary", imdb=False, components_help="300")


def run(args):
    from ..datasets import load_dictionary

    r = TextRun(args, "dictionary")
    root = data_root(args)
    try:
        path = find_dictionary(root)
    except FileNotFoundError as exc:
        raise UsageError(f"{exc}: pass --data PATH or set VEOB_DATA to the shared data folder") from None
    r.say(f"veob dictionary: reading {path}")
    try:
        with r.stage("load_dictionary"):
            entries = load_dictionary(path)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    relations = {e.word: (len(e.synonyms), len(e.antonyms)) for e in entries}
    info = {"source": str(path), "n_entries": len(entries),
            "n_synonyms": sum(n for n, _ in relations.values()), "n_antonyms": sum(n for _, n in relations.values())}
    r.say(f"  {len(entries):,} headwords, {info['n_synonyms']:,} synonyms, {info['n_antonyms']:,} antonyms")
    metrics, curves, example = {}, [], None
    for preset in r.presets:
        emb = r.fit(f"dictionary_{preset}", fit_dictionary, entries, preset, n_components=args.components,
                    random_state=args.seed)
        wv = emb.word_vectors_
        k = wv.vector_size
        with r.stage(f"queries_{preset}"):
            tables = word_neighbours(wv, r.queries, args.topn)
        r.say(format_word_tables(tables, title="\n" + TITLES[preset].format(k=k) + " (cosine distance):"))
        r.say()
        example = example or first_known(tables)
        curves.append((TITLES[preset].split(":")[0] + f": {len(wv):,} words, SVD {k}", emb.singular_values_, k))
        word_list = wv.words.tolist()

        def metadata(i, words=word_list):
            n_syn, n_ant = relations.get(words[i], (0, 0))
            return {"headword": words[i] in relations, "n_synonyms": n_syn, "n_antonyms": n_ant}

        r.fill(COLLECTIONS["dictionary", preset], store_words, wv, max_store=r.max_store, priority_words=r.queries,
               metadata=metadata)
        metrics[preset] = {"n_vectors": len(wv), "dimension": int(k),
                           "singular_values": np.asarray(emb.singular_values_, dtype=float), "queries": tables}
    r.figure(curves, "Simple English dictionary: synonyms + antonyms -> SVD (section 6.4)")
    r.finish({"preset": args.preset, "components": args.components, "max_store": r.max_store}, metrics, corpus=info,
             example_query=example)
    return 0
