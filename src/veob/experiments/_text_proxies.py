"""Proxy evaluation sets built from the dictionary (no human judgments needed).

Used by docs/text.md to choose settings on a validation part and report
them on a held-out part. Experiment protocols, not part of the stable API
(see :mod:`veob.experiments`).
"""

from __future__ import annotations

import zlib

import numpy as np

from ..text._evaluation import entry_fields

__all__ = ["hold_out_pairs", "relatedness_pairs", "sentence_pairs", "similarity_pairs", "split_by_word"]


def _stop_words():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS


def split_by_word(pairs, fraction=0.5, salt="veob"):
    """Deterministic split of pairs by a hash of their sorted words: (part_a, part_b)."""
    a, b = [], []
    for p in pairs:
        key = "|".join(sorted(p[:2])) + salt
        (a if zlib.crc32(key.encode()) % 1000 < fraction * 1000 else b).append(p)
    return a, b


def _single(word, common):
    return word.isalpha() and (common is None or word in common)


def _distinct(a, b):
    """Not two forms of one word (``border``/``borders``): the proxies skip those."""
    return a != b and a[:4] != b[:4]


def hold_out_pairs(entries, *, fraction=0.1, common=None, random_state=0):
    """Remove a random share of the synonym and antonym pairs from the entries.

    Parameters
    ----------
    entries : list of DictionaryEntry
    fraction : float
        Share of the eligible pairs held out (both directions removed).
    common : set of str, optional
        Only pairs of two words from this set are eligible.
    random_state : int

    Returns
    -------
    fit_entries : list of (word, synonyms, antonyms)
    held_synonyms, held_antonyms : list of (str, str)
    """
    rng = np.random.RandomState(random_state)
    fields = [entry_fields(e) for e in entries]
    held = {}
    for kind, col in (("syn", 1), ("ant", 2)):
        pairs = set()
        for f in fields:
            w = f[0]
            if not _single(w, common):
                continue
            for s in f[col]:
                if _distinct(s, w) and _single(s, common):
                    pairs.add(tuple(sorted((w, s))))
        pairs = sorted(pairs)
        n = int(round(fraction * len(pairs)))
        pick = rng.choice(len(pairs), n, replace=False) if n else np.zeros(0, int)
        held[kind] = [pairs[i] for i in sorted(pick.tolist())]
    drop_syn = set(held["syn"])
    drop_ant = set(held["ant"])
    fit_entries = []
    for w, syn, ant, _ in fields:
        syn = [s for s in syn if tuple(sorted((w, s))) not in drop_syn]
        ant = [a for a in ant if tuple(sorted((w, a))) not in drop_ant]
        fit_entries.append((w, syn, ant))
    return fit_entries, held["syn"], held["ant"]


def _random_pairs(pool, n, rng, exclude):
    pool = sorted(pool)
    out = set()
    while len(out) < n:
        i, j = rng.randint(0, len(pool), 2)
        if i == j:
            continue
        p = tuple(sorted((pool[i], pool[j])))
        if p not in exclude:
            out.add(p)
    return sorted(out)


def _related(fields, common):
    """(headword, hypernym) pairs from the meanings' related words."""
    pairs = set()
    for w, _, _, meanings in fields:
        if not _single(w, common):
            continue
        for m in meanings:
            for r in getattr(m, "related_words", None) or (m[2] if isinstance(m, (tuple, list)) else []):
                if _distinct(r, w) and _single(r, common):
                    pairs.add(tuple(sorted((w, r))))
    return pairs


def _definition_pairs(fields, common, stop):
    """(headword, content word of one of its definitions) pairs ("tiger" - "stripes")."""
    pairs = set()
    for w, _, _, meanings in fields:
        if not _single(w, common):
            continue
        for m in meanings:
            text = getattr(m, "definition", None) or (m[1] if isinstance(m, (tuple, list)) else "")
            for tok in text.lower().replace(";", " ").replace(",", " ").split():
                if _distinct(tok, w) and tok not in stop and len(tok) > 2 and _single(tok, common):
                    pairs.add(tuple(sorted((w, tok))))
    return pairs


def similarity_pairs(entries, held_synonyms, held_antonyms, *, common=None, n_per_kind=1500, random_state=0):
    """Graded similarity proxy: synonyms 3 > hypernyms 2 > associated 1 > antonyms 0.

    Like SimLex-999, every pair is associated and the grades separate
    similarity from mere association: held-out synonyms (not seen in the
    fit) 3, hypernyms (the ``related_words`` of the meanings) 2, a content
    word of the headword's definition ("tiger" - "stripes") 1, held-out
    antonyms 0.
    """
    rng = np.random.RandomState(random_state)
    fields = [entry_fields(e) for e in entries]
    syn_all = {tuple(sorted((f[0], s))) for f in fields for s in f[1]}
    ant_all = {tuple(sorted((f[0], a))) for f in fields for a in f[2]}
    related = _related(fields, common) - syn_all - ant_all
    associated = _definition_pairs(fields, common, _stop_words()) - syn_all - ant_all - related

    def take(pairs):
        pairs = sorted(pairs)
        if len(pairs) <= n_per_kind:
            return pairs
        return [pairs[i] for i in sorted(rng.choice(len(pairs), n_per_kind, replace=False).tolist())]

    out = [(a, b, 3.0) for a, b in take(held_synonyms)]
    out += [(a, b, 2.0) for a, b in take(related)]
    out += [(a, b, 1.0) for a, b in take(associated)]
    out += [(a, b, 0.0) for a, b in take(held_antonyms)]
    return out


def relatedness_pairs(entries, *, common=None, n_per_kind=1500, random_state=0):
    """Graded relatedness proxy: synonyms 3 > hypernyms 2 > definition words 1 > random 0.

    A definition word is a content word (not a stop word) of one of the
    headword's definitions ("tiger" - "stripes").
    """
    rng = np.random.RandomState(random_state)
    stop = _stop_words()
    fields = [entry_fields(e) for e in entries]
    syn = set()
    for w, s_list, _, _ in fields:
        if _single(w, common):
            syn.update(tuple(sorted((w, s))) for s in s_list if _distinct(s, w) and _single(s, common))
    related = _related(fields, common) - syn
    defined = _definition_pairs(fields, common, stop)
    defined -= syn | related

    def take(pairs):
        pairs = sorted(pairs)
        if len(pairs) <= n_per_kind:
            return pairs
        return [pairs[i] for i in sorted(rng.choice(len(pairs), n_per_kind, replace=False).tolist())]

    pool = set(common) if common is not None else {f[0] for f in fields if f[0].isalpha()}
    pool &= {f[0] for f in fields}
    rand = _random_pairs(pool, n_per_kind, rng, syn | related | defined)
    out = [(a, b, 3.0) for a, b in take(syn)]
    out += [(a, b, 2.0) for a, b in take(related)]
    out += [(a, b, 1.0) for a, b in take(defined)]
    out += [(a, b, 0.0) for a, b in rand]
    return out


def _examples(meaning):
    return list(getattr(meaning, "examples", None) or (meaning[3] if isinstance(meaning, (tuple, list)) else []))


def sentence_pairs(entries, *, n_per_kind=1500, random_state=0):
    """Graded sentence-similarity proxy from the dictionary's example sentences.

    2: two example sentences of the same meaning of a word ("His head was
    severed from his body" - "The soul discerped from the body"); 1: an
    example of a word and one of its hypernym (a related topic); 0: two
    random examples. Identical texts are skipped.
    """
    rng = np.random.RandomState(random_state)
    fields = [entry_fields(e) for e in entries]
    first_example = {}
    for w, _, _, meanings in fields:
        for m in meanings:
            ex = _examples(m)
            if ex:
                first_example.setdefault(w, ex[0])
    same, hyp, examples = set(), set(), []
    for w, _, _, meanings in fields:
        for m in meanings:
            ex = _examples(m)
            examples.extend(ex)
            for a, b in zip(ex, ex[1:]):
                if a != b:
                    same.add(tuple(sorted((a, b))))
            if not ex:
                continue
            for r in getattr(m, "related_words", None) or (m[2] if isinstance(m, (tuple, list)) else []):
                if r in first_example and _distinct(r, w) and first_example[r] != ex[0]:
                    hyp.add(tuple(sorted((ex[0], first_example[r]))))

    def take(pairs):
        pairs = sorted(pairs)
        if len(pairs) <= n_per_kind:
            return pairs
        return [pairs[i] for i in sorted(rng.choice(len(pairs), n_per_kind, replace=False).tolist())]

    rand = set()
    while examples and len(rand) < n_per_kind:
        i, j = rng.randint(0, len(examples), 2)
        if examples[i] != examples[j]:
            rand.add(tuple(sorted((examples[i], examples[j]))))
    out = [(a, b, 2.0) for a, b in take(same)]
    out += [(a, b, 1.0) for a, b in take(hyp)]
    out += [(a, b, 0.0) for a, b in sorted(rand)]
    return out
