"""veob.text.SpellingCorrector and its kernels."""

import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import veob
from veob.partition import CellIndex
from veob.text import OrthographyEmbedder, SpellingCorrector, as_corpus
from veob.text import _spelling_kernels as K
from veob.text._spelling import DEFAULT_EDIT_COSTS, _codes
from veob.text._spelling_reference import edit_cost_reference, rank_candidates_reference, shortlist_reference

COSTS = SpellingCorrector()._cost_array(DEFAULT_EDIT_COSTS)
UNIT = np.ones(K.N_COSTS)

WORDS = ["the", "there", "their", "then", "than", "that", "this", "spelling", "spell", "spelled", "speaking",
         "corrector", "correct", "correction", "collection", "vector", "vectors", "victor", "letter", "letters",
         "better", "bitter", "embedding", "wedding", "word", "words", "world", "access", "accept", "happened",
         "happen", "opened", "separate", "desperate", "definitely", "defiantly", "receive", "recipe", "believe",
         "relieve", "occasion", "occasional", "necessary", "accommodate", "tomorrow", "beginning", "begging"]
COUNTS = [9000, 900, 800, 700, 600, 3000, 2500, 30, 25, 10, 300, 4, 200, 50, 120, 40, 30, 60, 250, 90, 700, 80,
          8, 70, 400, 300, 500, 200, 150, 600, 300, 200, 100, 90, 250, 20, 150, 60, 400, 50, 70, 20, 90, 15, 130,
          110, 5]
# misspellings with the answer a careful reader gives
KNOWN_ANSWERS = {"speling": "spelling", "vectrs": "vectors", "teh": "the", "embeding": "embedding",
                 "acess": "access", "hapened": "happened", "seperate": "separate", "definately": "definitely",
                 "recieve": "receive", "beleive": "believe", "ocasion": "occasion", "neccessary": "necessary",
                 "acommodate": "accommodate", "tommorow": "tomorrow", "begining": "beginning", "wrod": "word",
                 "corection": "correction", "leter": "letter"}


@pytest.fixture(scope="module")
def speller():
    return SpellingCorrector(random_state=0).fit(WORDS, COUNTS)


def _osa(a, b):
    """Unit-cost optimal string alignment distance (the textbook recursion)."""
    d = np.zeros((len(a) + 1, len(b) + 1))
    d[:, 0], d[0, :] = np.arange(len(a) + 1), np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i, j] = min(d[i, j], d[i - 2, j - 2] + 1)
    return d[-1, -1]


def _kernel_costs(a_words, b_words, costs, cap):
    ac, ao = _codes(a_words)
    bc, bo = _codes(b_words)
    out = np.empty(len(a_words))
    K.edit_costs(ac, ao, bc, bo, costs, cap, out)
    return out


def _random_words(rng, n, alphabet="abcdeiou"):
    return ["".join(rng.choice(list(alphabet), size=rng.integers(1, 9))) for _ in range(n)]


# ------------------------------------------------------------ edit cost

def test_edit_cost_operations():
    costs = SpellingCorrector()._cost_array({"substituted": 1.1, "vowel": 0.6, "omitted": 0.7, "inserted": 1.3,
                                             "doubled": 0.4, "transposed": 0.9, "first": 1.5})
    cases = {("teh", "the"): 0.9, ("speling", "spelling"): 0.4, ("acess", "access"): 0.4,
             ("hapend", "happened"): 0.4 + 0.7, ("recieve", "receive"): 0.9, ("seperate", "separate"): 0.6,
             ("wrod", "word"): 0.9, ("vectrs", "vectors"): 0.7, ("spellling", "spelling"): 0.4,
             ("xword", "word"): 1.5, ("ord", "word"): 1.5, ("bord", "word"): 1.5, ("word", "word"): 0.0,
             ("wodr", "word"): 0.9, ("wxrd", "word"): 1.1, ("wrd", "word"): 0.7}
    got = _kernel_costs([a for a, _ in cases], [b for _, b in cases], costs, 10.0)
    np.testing.assert_allclose(got, list(cases.values()))
    # bounded: the cap, also when the early stop fires
    assert _kernel_costs(["abcdefgh"], ["zyxwvuts"], COSTS, 2.0)[0] == 2.0
    assert _kernel_costs(["a"], ["abcdefghij"], COSTS, 3.0)[0] == 3.0


def test_edit_cost_unit_costs_is_osa_distance():
    rng = np.random.default_rng(0)
    a, b = _random_words(rng, 300), _random_words(rng, 300)
    got = _kernel_costs(a, b, UNIT, 100.0)
    np.testing.assert_array_equal(got, [_osa(x, y) for x, y in zip(a, b)])


@pytest.mark.parametrize("cap", [1.0, 2.5, 100.0])
def test_edit_cost_kernel_matches_reference(cap):
    rng = np.random.default_rng(1)
    a, b = _random_words(rng, 400), _random_words(rng, 400)
    a += ["caf\u00e9", "aab", "abba", "yuo"]
    b += ["cafe", "ab", "baab", "you"]
    costs = rng.uniform(0.2, 2.0, size=K.N_COSTS)
    for c in (COSTS, costs):
        got = _kernel_costs(a, b, c, cap)
        want = [edit_cost_reference(x, y, c, cap) for x, y in zip(a, b)]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


# ------------------------------------------------------------ shortlist and ranking

def _cells(n=1500, d=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    index = CellIndex(max_level=5, min_samples=40, random_state=0).fit(X)
    part = index.partition_
    rows = part.cell_indices_.astype(np.int64)
    centers = part.cell_centers_.astype(np.float32)
    arrays = (np.ascontiguousarray(X[rows]), rows, part.cell_indptr_.astype(np.int64), centers,
              np.einsum("ij,ij->i", centers, centers).astype(np.float32))
    Q = rng.standard_normal((60, d)).astype(np.float32)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    return X, index, arrays, Q


@pytest.mark.parametrize("n_probe, k", [(1, 5), (3, 20), (1, 200), (100, 10)])
def test_shortlist_matches_reference_and_cell_index(n_probe, k):
    X, index, (vectors, rows, ptr, centers, csq), Q = _cells()
    sim = np.empty((len(Q), k), dtype=np.float32)
    ind = np.empty((len(Q), k), dtype=np.int64)
    K.shortlist(Q, vectors, rows, ptr, centers, csq, n_probe, sim, ind)
    ref_sim, ref_ind = shortlist_reference(Q, vectors, rows, ptr, centers, n_probe, k)
    np.testing.assert_array_equal(ind, ref_ind)
    np.testing.assert_allclose(sim, ref_sim, atol=1e-5)
    # the same cells and rows as CellIndex.kneighbors with this n_probe (unit vectors: distance ~ cosine)
    dist, cind = index.set_params(n_probe=n_probe).kneighbors(Q, k)
    np.testing.assert_array_equal(ind, cind)
    np.testing.assert_allclose(sim, 1 - dist.astype(np.float64) ** 2 / 2, atol=1e-5)


def test_rank_candidates_matches_reference():
    rng = np.random.default_rng(2)
    X, index, (vectors, rows, ptr, centers, csq), Q = _cells(n=800, d=10, seed=2)
    words = _random_words(rng, len(X), alphabet="abcdeghilmnorstu")
    queries = _random_words(rng, len(Q), alphabet="abcdeghilmnorstu")
    log_counts = np.log(rng.integers(1, 1000, size=len(X)).astype(np.float64))
    v_codes, v_offsets = _codes(words)
    q_codes, q_offsets = _codes(queries)
    for n_probe, n_cand, n_out in [(2, 16, 5), (50, 40, 40), (1, 8, 1)]:
        score = np.empty((len(Q), n_out))
        ind = np.empty((len(Q), n_out), dtype=np.int64)
        K.rank_candidates(Q, q_codes, q_offsets, vectors, rows, ptr, centers, csq, v_codes, v_offsets, log_counts,
                          COSTS, 4.0, 10.0, 0.15, n_probe, n_cand, max(map(len, words)), score, ind)
        ref_score, ref_ind = rank_candidates_reference(queries, Q, vectors, rows, ptr, centers, words, log_counts,
                                                       COSTS, 4.0, 10.0, 0.15, n_probe, n_cand, n_out)
        np.testing.assert_array_equal(ind, ref_ind)
        np.testing.assert_allclose(score, ref_score, atol=1e-4)
        assert np.all(np.diff(score, axis=1) <= 1e-12)


# ------------------------------------------------------------ the estimator

def test_corrects_known_misspellings(speller):
    wrong = list(KNOWN_ANSWERS)
    assert speller.correct(wrong) == [KNOWN_ANSWERS[w] for w in wrong]
    assert speller.predict(wrong).tolist() == [KNOWN_ANSWERS[w] for w in wrong]


def test_known_words_stay_and_case_is_kept(speller):
    assert speller.correct(["defiantly", "The", "THERE", "Teh", "TEH", "speling", "Speling"]) == \
        ["defiantly", "The", "THERE", "The", "THE", "spelling", "Spelling"]
    cased = SpellingCorrector(lowercase=False, random_state=0).fit(WORDS + ["Paris"], COUNTS + [50])
    assert cased.correct(["Paris", "Pariss", "wrod"]) == ["Paris", "Paris", "word"]
    assert "paris" not in cased.correct(["paris"])  # case-sensitive: "paris" is not the known "Paris"


def test_candidates(speller):
    cands = speller.candidates("leter", k=4)
    assert [w for w, _ in cands][:2] == ["letter", "letters"] and len(cands) == 4
    scores = [s for _, s in cands]
    assert scores == sorted(scores, reverse=True) and all(isinstance(s, float) for s in scores)
    # the score of the Notes: alpha (cos - 1) + beta log n - edit cost
    emb = speller.embedder_.transform(["leter", "letter"])
    cos = emb[0] @ emb[1] / np.linalg.norm(emb[0]) / np.linalg.norm(emb[1])
    expected = speller.distance_weight * (cos - 1) + speller.prior_weight * np.log(250) - DEFAULT_EDIT_COSTS["doubled"]
    assert abs(cands[0][1] - expected) < 1e-4
    # a known word is its own first candidate; a list gives a list; k larger than the vocabulary
    assert speller.candidates("defiantly", k=3)[0][0] == "defiantly"
    both = speller.candidates(["wrod", "Teh"], k=2)
    assert [c[0][0] for c in both] == ["word", "the"]
    assert len(speller.candidates("wrod", k=1000)) == len(WORDS)
    assert speller.candidates(["wrod"], k=3) == [speller.candidates("wrod", k=3)]


def test_deterministic_in_any_order_and_thread_count(speller):
    wrong = list(KNOWN_ANSWERS) + ["qqqq", "zzzz", "a", "thes", "wordz"]
    first = speller.correct(wrong)
    again = SpellingCorrector(random_state=0).fit(WORDS, COUNTS)
    assert again.correct(wrong[::-1]) == first[::-1]
    assert again.set_params(n_jobs=1).candidates(wrong, k=5) == speller.candidates(wrong, k=5)
    np.testing.assert_array_equal(again.words_, speller.words_)


def test_fit_from_corpus_counts_and_lowercase():
    sentences = [["the", "cat"], ["The", "cat", "sat"], ["cats", "sat", "the"], ["Sat"]]
    corpus = as_corpus(sentences)
    a = SpellingCorrector(random_state=0).fit(corpus)
    words = [w for s in sentences for w in s]
    b = SpellingCorrector(random_state=0).fit(words)
    assert a.words_.tolist() == b.words_.tolist() == ["sat", "the", "cat", "cats"]
    np.testing.assert_array_equal(a.counts_, [3, 3, 2, 1])
    assert a.correct(["teh", "caat"]) == ["the", "cat"]
    c = SpellingCorrector(min_count=2, random_state=0).fit(corpus)
    assert c.words_.tolist() == ["sat", "the", "cat"]
    d = SpellingCorrector(random_state=0, lowercase=False).fit(corpus)
    assert "The" in d.words_.tolist() and len(d.words_) == 6


def test_paper_embedding_and_parameters_read_at_query_time(speller):
    paper = SpellingCorrector(embedder=OrthographyEmbedder(preset="paper", n_components=20), random_state=0)
    paper.fit(WORDS, COUNTS)
    assert paper.embedder_.settings_["kind"] == "paper" and paper.embedder is not paper.embedder_
    wrong = list(KNOWN_ANSWERS)
    tuned = speller.correct(wrong)
    speller.set_params(prior_weight=3.0)  # the prior dominates: frequent words win
    try:
        assert speller.correct(["thes"]) == ["the"] and speller.correct(wrong) != tuned
    finally:
        speller.set_params(prior_weight=0.15)
    assert speller.correct(wrong) == tuned


def test_save_load_round_trip(speller, tmp_path):
    path = veob.save(speller, tmp_path / "speller")
    loaded = veob.load(path)
    wrong = list(KNOWN_ANSWERS) + ["Teh", "xyz"]
    assert loaded.correct(wrong) == speller.correct(wrong)
    assert loaded.candidates(wrong, k=4) == speller.candidates(wrong, k=4)
    assert loaded.get_params() == speller.get_params()


def test_errors(speller):
    with pytest.raises(NotFittedError):
        SpellingCorrector().correct(["word"])
    with pytest.raises(TypeError, match="single str; wrap it in a list"):
        speller.correct("word")
    with pytest.raises(TypeError, match=r"words\[1\] is a int"):
        speller.correct(["word", 3])
    with pytest.raises(ValueError, match=r"words\[2\] is an empty string"):
        speller.correct(["word", "teh", ""])
    with pytest.raises(ValueError, match="words is an empty string"):
        speller.candidates("")
    with pytest.raises(ValueError, match="k=0 must be >= 1"):
        speller.candidates("word", k=0)
    with pytest.raises(ValueError, match="words is empty"):
        SpellingCorrector().fit([])
    with pytest.raises(ValueError, match=r"words\[1\] is an empty string"):
        SpellingCorrector().fit(["a", ""])
    with pytest.raises(TypeError, match=r"words\[0\] is a bytes"):
        SpellingCorrector().fit([b"a"])
    with pytest.raises(ValueError, match=r"counts has shape \(1,\); expected \(2,\)"):
        SpellingCorrector().fit(["a", "b"], [1])
    with pytest.raises(ValueError, match=r"counts\[1\]=-1.0 must be a finite number >= 0"):
        SpellingCorrector().fit(["a", "b"], [1, -1])
    with pytest.raises(ValueError, match=r"counts\[0\]=nan"):
        SpellingCorrector().fit(["a", "b"], [np.nan, 1])
    with pytest.raises(TypeError, match="counts must be an array of numbers"):
        SpellingCorrector().fit(["a", "b"], ["x", "y"])
    with pytest.raises(ValueError, match="counts must be None when words is a Corpus"):
        SpellingCorrector().fit(as_corpus([["a"]]), [1])
    with pytest.raises(ValueError, match="no word is counted min_count=5 times or more"):
        SpellingCorrector(min_count=5).fit(["a", "b"], [1, 2])
    with pytest.raises(ValueError, match="n_candidates=0 must be >= 1"):
        SpellingCorrector(n_candidates=0).fit(WORDS)
    with pytest.raises(ValueError, match="prior_weight=-1 must be a finite number >= 0"):
        SpellingCorrector(prior_weight=-1).fit(WORDS)
    with pytest.raises(ValueError, match="max_edit_cost=0 must be a finite number > 0"):
        SpellingCorrector(max_edit_cost=0).fit(WORDS)
    with pytest.raises(ValueError, match="edit_costs has unknown key 'swap'"):
        SpellingCorrector(edit_costs={"swap": 1.0}).fit(WORDS)
    with pytest.raises(ValueError, match=r"edit_costs\['vowel'\]=inf must be a finite number"):
        SpellingCorrector(edit_costs={"vowel": float("inf")}).fit(WORDS)
    with pytest.raises(TypeError, match="embedder must be an OrthographyEmbedder"):
        SpellingCorrector(embedder="paper").fit(WORDS)
    with pytest.raises(TypeError, match="lowercase=1 must be True or False"):
        SpellingCorrector(lowercase=1).fit(WORDS)
    # a bad parameter set after fit is caught at query time
    bad = SpellingCorrector(random_state=0).fit(WORDS)
    bad.set_params(distance_weight=float("nan"))
    with pytest.raises(ValueError, match="distance_weight=nan"):
        bad.correct(["teh"])


# ------------------------------------------------------------ real data

def test_beats_norvig_on_dev_misspellings(monkeypatch):
    """A small real check: IMDB vocabulary of 2,500 reviews, 200 dev misspellings of the check half."""
    root = os.environ.get("VEOB_DATA")
    if not root or not (Path(root) / "dev_eval" / "spelling-dev.txt").is_file():
        pytest.skip("VEOB_DATA is not set (or has no dev_eval/spelling-dev.txt): real-data test skipped")
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))  # Norvig's corrector, the benchmarks' peer
    from benchmarks.spelling_dev import NorvigCorrector, half, imdb_vocabulary, read_pairs

    words, counts = imdb_vocabulary(Path(root), min_count=2, limit=2500)
    vocab = set(words)
    pairs = [p for p in read_pairs(Path(root) / "dev_eval" / "spelling-dev.txt")
             if half(p[1]) == 1 and p[1] in vocab and p[0] not in vocab and len(p[0]) <= 9]
    rng = np.random.default_rng(0)
    pairs = [pairs[i] for i in np.sort(rng.choice(len(pairs), 200, replace=False))]
    speller = SpellingCorrector(random_state=0).fit(words, counts)
    ours = np.mean([o == b for o, (_, b) in zip(speller.correct([a for a, _ in pairs]), pairs)])
    norvig = NorvigCorrector(words, counts)
    theirs = np.mean([norvig.correct(a) == b for a, b in pairs])
    assert ours > theirs, (ours, theirs)
