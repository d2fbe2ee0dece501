"""SpellingCorrector against Norvig's corrector on the spelling development set, same vocabulary, one run.

Full mode: the vocabulary is every IMDB token seen >= 3 times in the 100,000
reviews (69,078 words, ~1 min to prepare); both correctors answer the same
2,000 dev misspellings whose right word is in the vocabulary (seeded
sample), and SpellingCorrector also answers all of them. ``--quick``: 2,000
reviews (words seen >= 2 times) and 200 misspellings.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from veob.text import SpellingCorrector

from .conftest import record_ratio, time_peer
from .spelling_dev import NorvigCorrector, imdb_vocabulary, read_pairs

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def vocabulary(data_root, quick):
    if quick:
        return imdb_vocabulary(data_root, min_count=2, limit=2000)
    return imdb_vocabulary(data_root, min_count=3)


@pytest.fixture(scope="module")
def dev(data_root, vocabulary, quick):
    words, _ = vocabulary
    vocab = set(words)
    pairs = read_pairs(data_root / "dev_eval" / "spelling-dev.txt")
    covered = [p for p in pairs if p[1] in vocab]
    rng = np.random.default_rng(0)
    sample = [covered[i] for i in np.sort(rng.choice(len(covered), min(200 if quick else 2000, len(covered)),
                                                     replace=False))]
    return pairs, covered, sample


def _top1(corrections, pairs):
    return float(np.mean([c == right for c, (_, right) in zip(corrections, pairs)]))


def test_spelling_vs_norvig(run, benchmark, vocabulary, dev):
    """Corrections/s and top-1 of SpellingCorrector and of Norvig's corrector on the same misspellings."""
    words, counts = vocabulary
    pairs, covered, sample = dev
    speller = SpellingCorrector(random_state=0).fit(words, counts)
    queries = [a for a, _ in sample]
    speller.correct(queries[:10], progress=False)  # load the compiled kernels
    ours = run(speller.correct, queries, progress=False, rounds=7)
    own = benchmark.stats.stats.median
    cpu = time.process_time()  # CPU seconds of one more call: robust to the other jobs on a shared machine
    speller.correct(queries, progress=False)
    cpu = time.process_time() - cpu
    norvig = NorvigCorrector(words, counts)
    peer, theirs = time_peer(lambda: [norvig.correct(a) for a in queries], rounds=1)
    record_ratio(benchmark, "Norvig's corrector (edits 1, then 2, most frequent known), same vocabulary", peer)
    everything = speller.correct([a for a, _ in covered], progress=False)
    top5 = speller.candidates(queries, k=5)
    benchmark.extra_info.update(
        n_words=len(words), n_dev=len(pairs), n_covered=len(covered), coverage=len(covered) / len(pairs),
        n_sample=len(sample), top1=_top1(ours, sample), norvig_top1=_top1(theirs, sample),
        top5=float(np.mean([right in [w for w, _ in c] for c, (_, right) in zip(top5, sample)])),
        top1_all_covered=_top1(everything, covered), top1_all=_top1(everything, covered) * len(covered) / len(pairs),
        corrections_per_s=len(queries) / own, corrections_per_s_by_cpu=2 * len(queries) / cpu if cpu > 0 else None,
        norvig_corrections_per_s=len(queries) / peer, n_probe=speller.n_probe, n_candidates=speller.n_candidates,
        n_cells=speller.index_.n_cells_, load_average=os.getloadavg()[0])
    # the same shortlist through CellIndex.kneighbors (float64, exact-search filters): its time for comparison
    from veob.text._spelling import _unit_rows

    Q = _unit_rows(speller.embedder_.transform([q.lower() for q in queries]))
    kn, _ = time_peer(speller.index_.set_params(n_probe=speller.n_probe).kneighbors, Q, speller.n_candidates,
                      rounds=3)
    benchmark.extra_info["cell_index_kneighbors_seconds"] = kn


def test_spelling_fit(run, benchmark, vocabulary):
    """Fit on the vocabulary: embedding, CellIndex, arrays (timed in a child: its peak memory is recorded)."""
    words, counts = vocabulary
    speller = run(SpellingCorrector(random_state=0).fit, words, counts, rounds=3)
    benchmark.extra_info.update(n_words=len(words), n_cells=speller.index_.n_cells_)
