"""Spelling development set: the orthography sweep, the score's weights and Norvig's corrector.

Everything here is tuned and measured on ``dev_eval/spelling-dev.txt`` only
(53,565 real misspellings, ``wrong right`` a line), split in two halves by a
CRC-32 hash of the right word: the weights are chosen on the *tune* half and
reported on both (the *check* half was never used to choose anything).
The vocabulary is every token of the 100,000 IMDB reviews (train, test and
unsup) counted at least 3 times by ``prepare_corpus`` (all sentences, no
de-duplication). A misspelling whose right word is not in the vocabulary
cannot be corrected: it counts as a miss in the "all" columns; the
"covered" columns leave those out.

Usage::

    python -m benchmarks.spelling_dev sweep   [--data DIR] [--cache DIR]   # docs/text.md, table 2a
    python -m benchmarks.spelling_dev weights [--data DIR] [--cache DIR]   # tables 2b and 2c
"""

from __future__ import annotations

import argparse
import os
import time
import zlib
from pathlib import Path

import numpy as np

LETTERS = "abcdefghijklmnopqrstuvwxyz"


# -- data ---------------------------------------------------------------------

def read_pairs(path):
    """(wrong, right) pairs of a ``wrong right`` file."""
    pairs = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 2:
                pairs.append((parts[0], parts[1]))
    return pairs


def half(word):
    """0 (tune) or 1 (check): CRC-32 of the right word, so a word's misspellings stay together."""
    return zlib.crc32(word.encode("utf-8")) % 2


def imdb_vocabulary(root, *, min_count=3, limit=None, cache=None, progress=False):
    """(words, counts) of the IMDB tokens seen ``>= min_count`` times in all 100,000 reviews.

    ``prepare_corpus`` with every sentence kept (``max_tokens`` unbounded,
    no de-duplication), so a count is the number of times the token occurs
    in the reviews. ``limit`` reads only the first reviews (smoke runs);
    ``cache`` is a folder for an ``.npz`` of the result.
    """
    from veob.datasets import load_imdb
    from veob.text import prepare_corpus

    archive = Path(root) / "imdb" / "aclImdb.tar.gz"
    file = None
    if cache is not None:
        st = archive.stat()
        file = Path(cache) / f"imdb-vocab-{st.st_size}-{st.st_mtime_ns}-{limit}.npz"
        if file.is_file():
            with np.load(file) as z:
                words, counts = z["words"], z["counts"]
            keep = counts >= min_count
            return words[keep].tolist(), counts[keep]
    # a smoke run reads the first reviews of the train subset only
    texts = load_imdb(archive, subsets="train" if limit is not None and limit <= 25000 else
                      ("train", "test", "unsup")).texts
    if limit is not None:
        texts = texts[:limit]
    corpus = prepare_corpus(texts, max_tokens=10**9, deduplicate=False, progress=progress)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        np.savez(file, words=corpus.words, counts=corpus.counts)
    keep = corpus.counts >= min_count
    return corpus.words[keep].tolist(), corpus.counts[keep]


# -- Norvig's corrector ---------------------------------------------------------

class NorvigCorrector:
    """P. Norvig's corrector (2007): the known word, else the most frequent known edit 1, else edit 2."""

    def __init__(self, words, counts):
        self.counts = dict(zip(words, np.asarray(counts).tolist()))

    @staticmethod
    def edits1(word):
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        deletes = [a + b[1:] for a, b in splits if b]
        transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
        replaces = [a + c + b[1:] for a, b in splits if b for c in LETTERS]
        inserts = [a + c + b for a, b in splits for c in LETTERS]
        return set(deletes + transposes + replaces + inserts)

    def known(self, words):
        return {w for w in words if w in self.counts}

    def candidates(self, word):
        return (self.known([word]) or self.known(self.edits1(word))
                or self.known(e2 for e1 in self.edits1(word) for e2 in self.edits1(e1)) or [word])

    def correct(self, word):
        return max(self.candidates(word), key=lambda w: (self.counts.get(w, 0), w))


# -- measures -------------------------------------------------------------------

def osa_distance(a, b):
    """Plain (unit-cost) optimal string alignment distance: the strata of the tables."""
    n, m = len(a), len(b)
    d = np.zeros((n + 1, m + 1), dtype=np.int64)
    d[:, 0] = np.arange(n + 1)
    d[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i, j] = min(d[i, j], d[i - 2, j - 2] + 1)
    return int(d[n, m])


def embedding_ranks(P, Pq, targets, block=512):
    """Rank of each target's cosine among all vocabulary rows (0 = nearest), brute force."""
    import scipy.sparse as sp

    def unit(X):
        if sp.issparse(X):
            n = np.sqrt(np.asarray(X.multiply(X).sum(axis=1))).ravel()
            return sp.diags(1.0 / np.where(n > 0, n, 1)) @ X
        n = np.linalg.norm(X, axis=1, keepdims=True)
        return X / np.where(n > 0, n, 1)

    P, Pq = unit(P), unit(Pq)
    if sp.issparse(P):  # sparse x sparse products are slow: dense float32 (69k x 768 is 0.2 GB)
        P, Pq = P.toarray().astype(np.float32), Pq.toarray().astype(np.float32)
    ranks = np.empty(len(targets), dtype=np.int64)
    for a in range(0, len(targets), block):
        S = Pq[a:a + block] @ P.T
        S = S.toarray() if hasattr(S, "toarray") else np.asarray(S)
        own = S[np.arange(S.shape[0]), targets[a:a + block]]
        ranks[a:a + block] = (S > own[:, None]).sum(axis=1)
    return ranks


# -- table 2a: the orthography sweep ----------------------------------------------

SWEEP = [
    ("paper: N=15, M=6 high-pass, SVD 40 (`preset=\"paper\"`)", dict(preset="paper")),
    ("paper basis, no SVD (sparse 768)", dict(preset="paper", svd=False)),
    ("DCT-II N=15, M=6, SVD 40", dict(n_points=15, n_freqs=6, n_components=40)),
    ("DCT-II N=10, M=6, SVD 40", dict(n_points=10, n_freqs=6, n_components=40)),
    ("DCT-II N=20, M=4, SVD 40", dict(n_points=20, n_freqs=4, n_components=40)),
    ("DCT-II N=20, M=8, SVD 40", dict(n_points=20, n_freqs=8, n_components=40)),
    ("DCT-II N=30, M=4, SVD 40", dict(n_points=30, n_freqs=4, n_components=40)),
    ("DCT-II N=30, M=6, SVD 40", dict(n_points=30, n_freqs=6, n_components=40)),
    ("DCT-II N=40, M=8, SVD 40", dict(n_points=40, n_freqs=8, n_components=40)),
    ("DCT-II N=30, M=6, SVD 24", dict(n_points=30, n_freqs=6, n_components=24)),
    ("DCT-II N=30, M=6, SVD 48", dict(n_points=30, n_freqs=6, n_components=48)),
    ("**DCT-II N=30, M=6, SVD 64 (defaults)**", dict()),
    ("DCT-II N=30, M=6, SVD 96", dict(n_points=30, n_freqs=6, n_components=96)),
    ("DCT-II N=30, M=6, no SVD (sparse 768)", dict(svd=False)),
    ("DCT-II N=30, M=6, SVD 64, vowels weighted 0.7", dict(vowel_weight=0.7)),
    ("DCT-II N=30, M=6, SVD 64, first letter weighted 1.5", dict(first_weight=1.5)),
    ("DCT-II N=30, M=6, SVD 64, rows L2-normalised before the SVD", dict(normalize_rows=True)),
]


def _features(words, emb, *, vowel_weight=1.0, first_weight=1.0, normalize_rows=False):
    """Spectra of the embedder's setting, with the sweep's letter weights."""
    import scipy.sparse as sp

    from veob.text._orthography import N_SYMBOLS, _spectra

    cfg = emb._settings()
    X = _spectra(words, cfg["n_points"], cfg["n_freqs"], cfg["kind"]).astype(np.float64)
    if first_weight != 1.0:  # the first letter's one-hot again, at position 0
        X = X + (first_weight - 1.0) * _spectra([w[:1] for w in words], cfg["n_points"], cfg["n_freqs"],
                                                cfg["kind"])
    if vowel_weight != 1.0:
        scale = np.ones(N_SYMBOLS)
        scale[[ord(v) for v in "aeiouy"]] = vowel_weight
        X = X @ sp.diags(np.tile(scale, cfg["n_freqs"]))
    if normalize_rows:
        n = np.sqrt(np.asarray(X.multiply(X).sum(axis=1))).ravel()
        X = sp.diags(1.0 / np.where(n > 0, n, 1)) @ X
    return sp.csr_matrix(X)


def sweep_row(words, queries, targets, settings):
    """recall@1/5/20/100 of one orthography setting (brute-force cosine)."""
    from veob.decomposition import svd as truncated_svd
    from veob.text import OrthographyEmbedder

    settings = dict(settings)
    svd = settings.pop("svd", True)
    extra = {k: settings.pop(k) for k in ("vowel_weight", "first_weight", "normalize_rows") if k in settings}
    emb = OrthographyEmbedder(random_state=0, **settings)
    X = _features(words, emb, **extra)
    Xq = _features(queries, emb, **extra)
    if svd:
        k = emb._settings()["n_components"]
        _, _, Vt = truncated_svd(X.astype(np.float32), k, random_state=0)
        P, Pq = np.asarray(X @ Vt.T), np.asarray(Xq @ Vt.T)
    else:
        P, Pq = X, Xq
    ranks = embedding_ranks(P, Pq, targets)
    return {k: float((ranks < k).mean()) for k in (1, 5, 20, 100)}


def run_sweep(words, pairs, *, n_per_half=None, seed=0):
    index = {w: i for i, w in enumerate(words)}
    rows = []
    for label, settings in SWEEP:
        row = [label]
        for part in (0, 1):
            sel = [p for p in pairs if half(p[1]) == part]
            covered = [p for p in sel if p[1] in index]
            if n_per_half:
                rng = np.random.default_rng(seed)
                covered = [covered[i] for i in np.sort(rng.choice(len(covered), min(n_per_half, len(covered)),
                                                                  replace=False))]
            rec = sweep_row(words, [a for a, _ in covered], np.array([index[b] for _, b in covered]), settings)
            row.append(rec)
        rows.append(row)
        print(_sweep_line(row), flush=True)
    return rows


def _sweep_line(row):
    label, tune, check = row
    cells = [f"{tune[k]:.3f} / {check[k]:.3f}" for k in (1, 5, 20, 100)]
    return "| " + " | ".join([label] + cells) + " |"


# -- tables 2b/2c: the score's weights --------------------------------------------

WEIGHT_GRID = {
    "distance_weight": [4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0],
    "prior_weight": [0.1, 0.125, 0.15, 0.175, 0.2, 0.25],
    "substituted": [0.9, 1.0, 1.1, 1.2, 1.3, 1.4],
    "vowel": [0.4, 0.5, 0.6, 0.7, 0.8, 1.0],
    "omitted": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
    "inserted": [0.9, 1.0, 1.1, 1.2, 1.3, 1.4],
    "doubled": [0.3, 0.4, 0.5, 0.6, 0.7],
    "transposed": [0.8, 1.0, 1.1, 1.2, 1.4],
    "first": [1.0, 1.2, 1.4, 1.6, 2.0],
    "n_candidates": [16, 24, 32, 48, 64],
}


def _params(point):
    from veob.text._spelling import DEFAULT_EDIT_COSTS

    costs = {k: point[k] for k in DEFAULT_EDIT_COSTS}
    return dict(distance_weight=point["distance_weight"], prior_weight=point["prior_weight"],
                n_candidates=int(point["n_candidates"]), edit_costs=costs)


def top_k(corrector, pairs, k=5):
    """(top-1, top-5) of ``correct`` / ``candidates`` over (wrong, right) pairs."""
    queries = [a for a, _ in pairs]
    first = corrector.correct(queries, progress=False)
    lists = corrector.candidates(queries, k=k)
    top1 = np.mean([f == b for f, (_, b) in zip(first, pairs)])
    topk = np.mean([b in [w for w, _ in cand] for cand, (_, b) in zip(lists, pairs)])
    return float(top1), float(topk)


def tune_weights(corrector, pairs, *, rounds=2, log=print):
    """Coordinate search of the score's weights maximising top-1 on ``pairs``; returns the best point."""
    from veob.text._spelling import DEFAULT_EDIT_COSTS

    point = dict(distance_weight=corrector.distance_weight, prior_weight=corrector.prior_weight,
                 n_candidates=corrector.n_candidates, **DEFAULT_EDIT_COSTS)
    queries = [a for a, _ in pairs]

    def score(p):
        corrector.set_params(**_params(p))
        out = corrector.correct(queries, progress=False)
        return float(np.mean([o == b for o, (_, b) in zip(out, pairs)]))

    best = score(point)
    log(f"start: top-1 {best:.4f}")
    for r in range(rounds):
        changed = False
        for name, grid in WEIGHT_GRID.items():
            for value in grid:
                if value == point[name]:
                    continue
                trial = dict(point, **{name: value})
                s = score(trial)
                if s > best + 1e-12:
                    best, point, changed = s, trial, True
            log(f"round {r}, {name}: top-1 {best:.4f} at {point[name]}")
        if not changed:
            break
    corrector.set_params(**_params(point))
    return point, best


def strata(pairs):
    d = np.array([osa_distance(a, b) for a, b in pairs])
    return {"1": d == 1, "2": d == 2, "3+": d >= 3}


def run_weights(words, counts, pairs, *, n_norvig=3000, seed=0, log=print):
    from veob.text import SpellingCorrector

    vocab = set(words)
    start = time.perf_counter()
    corrector = SpellingCorrector(random_state=0).fit(words, counts)
    log(f"fit {len(words):,} words: {time.perf_counter() - start:.2f} s, {corrector.index_.n_cells_} cells")
    halves = {part: [p for p in pairs if half(p[1]) == part] for part in (0, 1)}
    covered = {part: [p for p in halves[part] if p[1] in vocab] for part in (0, 1)}
    default = {part: top_k(corrector, covered[part]) for part in (0, 1)}
    point, _ = tune_weights(corrector, covered[0], log=log)
    tuned = {part: top_k(corrector, covered[part]) for part in (0, 1)}
    norvig = NorvigCorrector(words, counts)
    rng = np.random.default_rng(seed)
    results = {}
    for part in (0, 1):
        cov = covered[part]
        sample = [cov[i] for i in np.sort(rng.choice(len(cov), min(n_norvig, len(cov)), replace=False))]
        start = time.perf_counter()
        nv = np.array([norvig.correct(a) == b for a, b in sample])
        nv_rate = len(sample) / (time.perf_counter() - start)
        ours = np.array([o == b for o, (_, b) in zip(corrector.correct([a for a, _ in sample], progress=False),
                                                       sample)])
        masks = strata(sample)
        results[part] = dict(n=len(halves[part]), covered=len(cov), coverage=len(cov) / len(halves[part]),
                             default=default[part], tuned=tuned[part], sample=len(sample),
                             ours_sample=float(ours.mean()), norvig_sample=float(nv.mean()), norvig_rate=nv_rate,
                             strata={k: (int(m.sum()), float(ours[m].mean()), float(nv[m].mean()))
                                     for k, m in masks.items()})
    return point, results


# -- command line -------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("sweep", "weights"))
    parser.add_argument("--data", default=os.environ.get("VEOB_DATA", "../shared/data"))
    parser.add_argument("--cache", default=None, help="folder for the IMDB vocabulary (.npz)")
    parser.add_argument("--per-half", type=int, default=None, help="misspellings per half in the sweep")
    args = parser.parse_args(argv)
    root = Path(args.data)
    words, counts = imdb_vocabulary(root, cache=args.cache, progress=True)
    pairs = read_pairs(root / "dev_eval" / "spelling-dev.txt")
    print(f"vocabulary: {len(words):,} words; dev: {len(pairs):,} misspellings")
    if args.what == "sweep":
        print("| setting | recall@1 | recall@5 | recall@20 | recall@100 |  (tune / check, covered)")
        run_sweep(words, pairs, n_per_half=args.per_half)
    else:
        point, results = run_weights(words, counts, pairs)
        print("chosen on the tune half:", point)
        for part, r in results.items():
            print(f"half {part}: {r}")


if __name__ == "__main__":
    main()
