"""``veob words|context|dictionary|sentences``: errors, end-to-end runs on a tiny synthetic data folder,
the Chroma collections they fill (and ``veob query`` on them), the corpus cache and ``--scheduler``."""

import gzip
import io
import json
import runpy
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("spacy")
pytest.importorskip("chromadb")
pytest.importorskip("matplotlib")

from veob.cli import _text_common, main  # noqa: E402
from veob.experiments import _text_pipelines as tp  # noqa: E402
from veob.store import ChromaStore  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUERY_WORDS = ["twighlight", "frowning", "physicist", "twists", "bus", "happiness"]
SENT0 = "I did like the lead actors, but thought little of the film."
SENT1 = "Everybody has seen 'Back To The Future,' right?"
TOKENS0 = "i did like the lead actors , but thought little of the film ."
TOKENS1 = "everybody has seen ' back to the future , ' right ?"
N_REVIEWS = 60


def _pseudo_words(n, rng):
    letters = np.array(list("abcdefghiklmnoprstuvwy"))
    out, seen = [], set(QUERY_WORDS)
    while len(out) < n:
        w = "".join(rng.choice(letters, rng.integers(3, 9)))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def make_data(root, seed=0):
    """A tiny data folder: imdb/aclImdb.tar.gz (train/unsup only) and the dictionary's merged.json.gz.

    The reviews hold every query word of the paper's tables, review 0_0.txt
    the paper's first query sentence and 10001_0.txt (the last one) the second.
    """
    rng = np.random.default_rng(seed)
    # the words of the query sentences recur like the others (the default word vectors drop rare words)
    extra = sorted({w for t in (TOKENS0, TOKENS1) for w in t.split() if w.isalpha()} - set(QUERY_WORDS))
    vocab = _pseudo_words(300, rng) + QUERY_WORDS + extra
    order = np.concatenate([rng.permutation(len(vocab)) for _ in range(20)])
    pos, reviews = 0, {}
    for rid in list(range(N_REVIEWS - 1)) + [10001]:
        sentences = []
        for _ in range(rng.integers(4, 9)):
            n = int(rng.integers(4, 13))
            sentences.append(" ".join(vocab[i] for i in order[pos:pos + n]).capitalize() + str(rng.choice([".", "!"])))
            pos = (pos + n) % (len(order) - 20)
        if rid == 0:
            sentences.insert(1, SENT0)
        if rid == 10001:
            sentences.insert(0, SENT1)
        reviews[f"aclImdb/train/unsup/{rid}_0.txt"] = "<br /><br />".join(sentences)
    # a few labelled reviews, so that all 100k-style subsets exist (veob context's best preset reads them)
    for split in ("train", "test"):
        for label, rating in (("pos", 8), ("neg", 2)):
            for rid in range(5):
                n = int(rng.integers(6, 13))
                text = " ".join(vocab[i] for i in order[pos:pos + n]).capitalize() + "."
                pos = (pos + n) % (len(order) - 20)
                reviews[f"aclImdb/{split}/{label}/{rid}_{rating}.txt"] = text
    (root / "imdb").mkdir(parents=True)
    with tarfile.open(root / "imdb" / "aclImdb.tar.gz", "w:gz") as tar:
        for name, text in reviews.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    words = vocab[:200]
    entries = {}
    for i, w in enumerate(words[:100]):
        entries[w.upper()] = {"MEANINGS": [], "SYNONYMS": [words[(7 * i + j) % 200].capitalize() for j in range(1, 4)],
                              "ANTONYMS": [words[(11 * i + 3) % 200]] if i % 5 == 0 else []}
    entries["BUS"] = {"MEANINGS": [["Noun", "a vehicle carrying many passengers", ["public transport"], []]],
                      "SYNONYMS": ["Buses", "Omnibus", "Coach", "Motorbus", "Charabanc"], "ANTONYMS": []}
    entries["OMNIBUS"] = {"MEANINGS": [], "SYNONYMS": ["Bus", "Coach"], "ANTONYMS": []}
    entries["HAPPINESS"] = {"MEANINGS": [], "SYNONYMS": ["Felicity", "Gladness"], "ANTONYMS": ["Unhappiness"]}
    entries["FELICITY"] = {"MEANINGS": [], "SYNONYMS": ["Happiness", "Felicitousness"], "ANTONYMS": []}
    (root / "simple_english_dictionary").mkdir()
    with gzip.open(root / "simple_english_dictionary" / "merged.json.gz", "wt") as fh:
        json.dump(dict(sorted(entries.items())), fh)
    return root


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_data(tmp_path_factory.mktemp("text-data"))


def _one_line_error(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err, err
    assert "\n" not in err and "Traceback" not in err
    return err


def _report(out):
    report = json.loads((out / "report.json").read_text())
    assert (out / "singular_values.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report["machine"]["cpu_count"] >= 1 and len(report["load_average"]) == 3
    return report


def _table(out):
    """(rank, id, distance) rows printed by veob query."""
    return [(int(p[0]), p[1], float(p[2])) for p in (line.split() for line in out.splitlines()[2:])]


def _check_word_table(table, query, vocabulary=None, topn=10):
    hits = table["neighbours"]
    assert table["query"] == query and table["in_vocabulary"]
    assert hits[0] == [query, 0.0] and len(hits) == topn
    distances = [d for _, d in hits]
    assert distances == sorted(distances) and all(0 <= d <= 2 for d in distances)
    assert len({w for w, _ in hits}) == topn
    if vocabulary is not None:
        assert all(w in vocabulary for w, _ in hits)


# -- errors -----------------------------------------------------------------------

@pytest.mark.parametrize("command", ["words", "context", "dictionary", "sentences"])
def test_missing_data_folder_exits_2_naming_the_path(command, tmp_path, capsys):
    missing = tmp_path / "no-such-folder"
    err = _one_line_error(capsys, [command, "--data", str(missing), "--out", str(tmp_path / "o")], str(missing))
    assert "--data" in err and "VEOB_DATA" in err
    assert not (tmp_path / "o").exists()  # nothing written


def test_no_data_folder_given(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("VEOB_DATA", raising=False)
    _one_line_error(capsys, ["words", "--out", str(tmp_path)], "no data folder: pass --data PATH or set VEOB_DATA")


@pytest.mark.parametrize("command, message", [
    ("words", "no IMDB data under"), ("sentences", "imdb/aclImdb.tar.gz"),
    ("dictionary", "simple_english_dictionary/merged.json.gz"),
])
def test_data_folder_without_the_dataset(command, message, tmp_path, capsys):
    (tmp_path / "data").mkdir()
    err = _one_line_error(capsys, [command, "--data", str(tmp_path / "data"), "--out", str(tmp_path / "o")], message)
    assert str(tmp_path / "data") in err


def test_corrupt_archive_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "data" / "imdb").mkdir(parents=True)
    (tmp_path / "data" / "imdb" / "aclImdb.tar.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    _one_line_error(capsys, ["words", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "o")], "aclImdb.tar.gz")


@pytest.mark.parametrize("argv, message", [
    (["words", "--components", "0"], "--components 0 must be >= 1"),
    (["sentences", "--topn", "0"], "--topn 0 must be >= 1"),
    (["context", "--limit", "0"], "--limit 0 must be >= 1"),
    (["dictionary", "--max-store", "-1"], "--max-store -1 must be >= 0"),
    (["sentences", "--word-components", "0"], "--word-components 0 must be >= 1"),
    (["context", "--preset", "fancy"], "invalid choice: 'fancy'"),
    (["words", "--preset", "paper"], "unrecognized arguments: --preset"),
    (["words", "--freqs", "20"], "n_freqs=20 must be <= n_points=15"),
    (["dictionary", "--components", "5000"], "n_components=5000 must be <="),
])
def test_bad_options_exit_2_with_one_line(argv, message, data, tmp_path, capsys):
    _one_line_error(capsys, argv + ["--data", str(data), "--out", str(tmp_path), "--no-store"], message)


def test_cache_inside_the_data_folder_is_refused(data, tmp_path, capsys):
    _one_line_error(capsys, ["words", "--data", str(data), "--out", str(tmp_path), "--cache", str(data / "cache")],
                    "lies inside the data folder")
    assert not (data / "cache").exists()


def test_store_errors_are_one_line(data, tmp_path, capsys):
    argv = ["words", "--data", str(data), "--out", str(tmp_path), "--quiet"]
    assert main(argv + ["--components", "8"]) == 0
    _one_line_error(capsys, argv + ["--components", "9"], "Chroma collection 'imdb-orthography'")
    (tmp_path / "afile").write_text("x")
    err = _one_line_error(capsys, argv + ["--chroma", str(tmp_path / "afile")],
                          f"--chroma {str(tmp_path / 'afile')!r} is a file")
    assert "path=" not in err  # the CLI names its own flag (issue 19)


def test_unreachable_scheduler(data, tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(_text_common, "CONNECT_TIMEOUT", "0.5s")
    _one_line_error(capsys, ["context", "--data", str(data), "--out", str(tmp_path), "--no-store",
                             "--scheduler", "tcp://127.0.0.1:9"],
                    "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'")


# -- end to end on the synthetic folder ---------------------------------------------

def test_words_end_to_end_with_cache_and_query(data, tmp_path, capsys):
    out, cache = tmp_path / "out", tmp_path / "cache"
    argv = ["words", "--data", str(data), "--out", str(out), "--cache", str(cache), "--query", "twighlight",
            "--query", "frowning", "--query", "twighlights"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "twighlight" in printed and "frowning" in printed and "twighlights (not in the vocabulary)" in printed
    report = _report(out)
    corpus = report["corpus"]
    assert corpus["n_reviews"] == N_REVIEWS and not corpus["cache_hit"] and corpus["n_words"] > 200
    paper = report["metrics"]["paper"]
    assert paper["dimension"] == 40 and paper["n_vectors"] == corpus["n_words"] and len(paper["singular_values"]) == 40
    store = ChromaStore(out / "chroma", distance="cosine")
    assert store.count("imdb-orthography") == corpus["n_words"] == report["chroma"]["collections"]["imdb-orthography"]
    records = store.get("imdb-orthography", include_embeddings=False)
    vocabulary = {r.id for r in records}
    assert all(r.document == r.id and r.metadata["count"] >= 1 for r in records)
    for table, query in zip(paper["queries"][:2], ["twighlight", "frowning"]):
        _check_word_table(table, query, vocabulary)
    unseen = paper["queries"][2]
    assert not unseen["in_vocabulary"] and unseen["neighbours"][0][0] == "twighlight"  # embedded by its spelling
    assert {"prepare_corpus", "orthography", "queries", "figure", "chroma_imdb-orthography"} <= set(report["timings"])

    # the collection answers veob query with the same neighbours as the printed table
    assert main(["query", "--chroma", str(out / "chroma"), "--collection", "imdb-orthography",
                 "--text", "twighlight", "-k", "3"]) == 0
    rows = _table(capsys.readouterr().out)
    assert [r[1] for r in rows] == [w for w, _ in paper["queries"][0]["neighbours"][1:4]]
    assert np.allclose([r[2] for r in rows], [d for _, d in paper["queries"][0]["neighbours"][1:4]], atol=1e-4)

    # second run: the corpus comes from the cache, same result; the store is filled again in place
    assert main(argv + ["--quiet"]) == 0
    assert capsys.readouterr().out == ""
    again = _report(out)
    assert again["corpus"]["cache_hit"] and again["corpus"]["n_words"] == corpus["n_words"]
    assert "load_cache" in again["timings"] and "prepare_corpus" not in again["timings"]
    assert again["metrics"]["paper"]["queries"] == paper["queries"]
    assert store.count("imdb-orthography") == corpus["n_words"]
    assert len(list(cache.glob("imdb-unsup-*.npz"))) == 1


def test_context_end_to_end_both_presets(data, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["context", "--data", str(data), "--out", str(out), "--max-store", "100",
                 "--components", "50"]) == 0
    printed = capsys.readouterr().out
    assert "paper: two bags" in printed and "best (ContextEmbedder() defaults)" in printed
    report = _report(out)
    assert report["corpus"]["paper"]["subsets"] == ["unsup"] and report["corpus"]["paper"]["max_tokens"] == 32
    assert report["corpus"]["best"]["subsets"] == ["train", "test", "unsup"]
    assert report["corpus"]["best"]["max_tokens"] is None
    assert report["corpus"]["best"]["n_reviews"] == report["corpus"]["paper"]["n_reviews"] + 20
    store = ChromaStore(out / "chroma", distance="cosine")
    for preset in ("paper", "best"):
        n_words = report["corpus"][preset]["n_words"]
        metrics = report["metrics"][preset]
        assert metrics["dimension"] == 50
        # the paper keeps every word; the defaults drop words seen fewer than 5 times before windowing
        assert (metrics["n_vectors"] == n_words) if preset == "paper" else (100 < metrics["n_vectors"] < n_words)
        exported = Path(metrics["word2vec_file"])
        assert exported == out / f"vectors-{preset}.txt"
        assert exported.read_text().split("\n", 1)[0] == f"{metrics['n_vectors']} 50"
        for table, query in zip(metrics["queries"], ["physicist", "twists"]):
            _check_word_table(table, query)
        # --max-store 100: the 100 most frequent words plus the query words
        records = store.get(f"imdb-context-{preset}", include_embeddings=False)
        ids = {r.id for r in records}
        assert 100 < len(ids) <= 102 and len(ids) == report["chroma"]["collections"][f"imdb-context-{preset}"]
        assert {"physicist", "twists"} <= ids
    assert report["metrics"]["paper"]["settings"]["window"] == 2
    assert report["metrics"]["best"]["settings"]["window"] == 3
    assert {"context_paper", "context_best", "chroma_imdb-context-paper", "chroma_imdb-context-best"} <= set(
        report["timings"])


def test_dictionary_end_to_end(data, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["dictionary", "--data", str(data), "--out", str(out), "--components", "20"]) == 0
    assert "bus" in capsys.readouterr().out
    report = _report(out)
    assert report["corpus"]["n_entries"] == 104
    store = ChromaStore(out / "chroma", distance="cosine")
    for preset in ("paper", "best"):
        metrics = report["metrics"][preset]
        assert metrics["dimension"] == 20
        bus, happiness = metrics["queries"]
        assert bus["neighbours"][0] == ["bus", 0.0] and happiness["neighbours"][0] == ["happiness", 0.0]
        assert "felicity" in {w for w, _ in happiness["neighbours"][:3]}
        assert store.count(f"dictionary-{preset}") == metrics["n_vectors"]
    paper, best = (report["metrics"][p]["queries"][0]["neighbours"] for p in ("paper", "best"))
    assert paper[1][0] == "omnibus"  # the paper's rows are headwords only
    assert {w for w, _ in best[1:6]} == {"buses", "omnibus", "coach", "motorbus", "charabanc"}
    assert report["metrics"]["paper"]["n_vectors"] == 104  # headwords
    assert report["metrics"]["best"]["n_vectors"] > 104  # headwords, synonyms and antonyms
    (bus,) = store.get("dictionary-best", ids=["bus"], include_embeddings=False)
    assert bus.metadata == {"headword": True, "n_synonyms": 5, "n_antonyms": 0}
    (buses,) = store.get("dictionary-best", ids=["buses"], include_embeddings=False)
    assert buses.metadata["headword"] is False


def test_sentences_end_to_end_both_settings(data, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sentences", "--data", str(data), "--out", str(out), "--word-components", "20",
                 "--components", "30", "--max-store", "40"]) == 0
    printed = capsys.readouterr().out
    assert printed.count(f"query: {TOKENS0}") == 2 and printed.count(f"query: {TOKENS1}") == 2
    report = _report(out)
    n_sentences = report["corpus"]["n_sentences"]
    store = ChromaStore(out / "chroma", distance="cosine")
    for preset in ("paper", "best"):
        metrics = report["metrics"][preset]
        assert metrics["dimension"] == 30 and metrics["n_vectors"] == n_sentences
        first, second = metrics["queries"]
        assert first["tokens"] == TOKENS0.split() and second["tokens"] == TOKENS1.split()
        for table, text, file in ((first, TOKENS0, "train/unsup/0_0.txt"),
                                  (second, TOKENS1, "train/unsup/10001_0.txt")):
            top = table["neighbours"][0]
            assert top["sentence"] == text and top["file"] == file and top["distance"] < 1e-5
            assert len(table["neighbours"]) == 6
        # --max-store 40: the first 40 sentences plus the sentences of the tables
        shown = {h["index"] for t in metrics["queries"] for h in t["neighbours"]}
        records = store.get(f"imdb-sentences-{preset}", include_embeddings=False)
        assert {int(r.id) for r in records} == set(range(40)) | shown
        assert all(r.metadata["file"].startswith("train/unsup/") and r.metadata["n_tokens"] == len(r.document.split())
                   for r in records)
    assert report["metrics"]["paper"]["settings"]["kind"] == "paper"
    assert report["metrics"]["best"]["settings"]["weighting"] == "sif"
    # veob query finds the paper's second sentence by its text and lists the table's neighbours
    assert main(["query", "--chroma", str(out / "chroma"), "--collection", "imdb-sentences-best",
                 "--text", TOKENS1, "-k", "2"]) == 0
    printed = capsys.readouterr().out
    assert "10001_0.txt" not in printed.splitlines()[2]  # the query itself is left out
    assert len(_table(printed)) == 2


def test_scheduler_runs_the_word_vector_svd_on_a_cluster(data, tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    ref = tmp_path / "ref"
    assert main(["context", "--data", str(data), "--out", str(ref), "--preset", "paper", "--components", "10",
                 "--no-store", "--quiet"]) == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        out = tmp_path / "out"
        assert main(["context", "--data", str(data), "--out", str(out), "--preset", "paper", "--components", "10",
                     "--no-store", "--scheduler", cluster.scheduler_address]) == 0
        assert {"gram_block", "normal_block"} & set(cluster.scheduler.task_prefixes)  # ran on the cluster
    assert "on the Dask cluster" in capsys.readouterr().out
    report, expected = _report(out), _report(ref)
    assert report["parameters"]["scheduler"] == cluster.scheduler_address
    s, s_ref = np.array(report["metrics"]["paper"]["singular_values"]), np.array(
        expected["metrics"]["paper"]["singular_values"])
    assert np.allclose(s[:5], s_ref[:5], rtol=1e-3)
    assert not report["chroma"]


# -- the pipeline functions and the examples --------------------------------------------

def test_corpus_cache_is_keyed_and_rebuilt_when_corrupt(data, tmp_path):
    archive = data / "imdb" / "aclImdb.tar.gz"
    timings = {}
    corpus, files, info = tp.load_unsup_corpus(archive, cache_dir=tmp_path, progress=False, timings=timings)
    assert not info["cache_hit"] and "prepare_corpus" in timings and Path(info["cache"]).is_file()
    assert files[corpus.sources[0]] == "train/unsup/0_0.txt" and files[-1] == "train/unsup/10001_0.txt"
    again, files2, info2 = tp.load_unsup_corpus(archive, cache_dir=tmp_path, progress=False)
    assert info2["cache_hit"] and info2["cache"] == info["cache"]
    for name in ("words", "counts", "token_ids", "offsets", "sources"):
        assert np.array_equal(getattr(again, name), getattr(corpus, name))
    assert files2.tolist() == files.tolist()
    # another --limit is another cache file; a corrupt file is rebuilt
    small, _, info3 = tp.load_unsup_corpus(archive, limit=5, cache_dir=tmp_path, progress=False)
    assert not info3["cache_hit"] and info3["cache"] != info["cache"] and info3["n_reviews"] == 5
    Path(info["cache"]).write_bytes(b"PK\x03\x04 not a zip")
    _, _, info4 = tp.load_unsup_corpus(archive, cache_dir=tmp_path, progress=False)
    assert not info4["cache_hit"] and info4["n_sentences"] == info["n_sentences"]
    assert tp.load_unsup_corpus(archive, cache_dir=tmp_path, progress=False)[2]["cache_hit"]
    # a cache folder that cannot be written: the corpus is still returned, the reason reported
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    _, _, info5 = tp.load_unsup_corpus(archive, cache_dir=blocked / "sub", progress=False)
    assert info5["cache_error"] and not info5["cache_hit"] and info5["n_sentences"] == info["n_sentences"]


def test_word_tables_format_side_by_side():
    tables = [{"query": "ab", "in_vocabulary": True, "neighbours": [["ab", 0.0], ["abc", 0.1234567]]},
              {"query": "zz", "in_vocabulary": False, "neighbours": None}]
    text = tp.format_word_tables(tables, title="T")
    lines = text.splitlines()
    assert lines[0] == "T" and "ab" in lines[1] and "zz" in lines[1]
    assert "(not in the vocabulary)" in lines[2] and "0.1235" in lines[3]


def test_selection_keeps_first_rows_and_priority():
    assert tp._selection(10, None, [3]).tolist() == list(range(10))
    assert tp._selection(10, 3, [7, 1, 7, 12]).tolist() == [0, 1, 2, 7]


@pytest.mark.parametrize("script, collection", [
    ("word_orthography.py", "imdb-orthography"),
    ("word_context.py", "imdb-context-best"),
    ("word_dictionary.py", "dictionary-best"),
    ("sentence_embedding.py", "imdb-sentences-best"),
])
def test_examples_run_on_the_synthetic_folder(script, collection, data, tmp_path, capsys, monkeypatch):
    argv = [script, "--data", str(data), "--out", str(tmp_path)]
    if script == "sentence_embedding.py":
        argv += ["--word-components", "40"]
    if script == "word_dictionary.py":
        argv += ["--components", "20"]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    printed = capsys.readouterr().out
    assert (tmp_path / "singular_values.png").is_file()
    assert ChromaStore(tmp_path / "chroma", distance="cosine").count(collection) > 0
    queries = {"word_orthography.py": "twighlight", "word_context.py": "physicist", "word_dictionary.py": "bus",
               "sentence_embedding.py": TOKENS0}
    assert queries[script] in printed


def test_real_vocabulary_smoke(data_root, tmp_path, capsys):
    """veob words on the first 300 real reviews: the spelling table of the paper's queries."""
    out = tmp_path / "out"
    assert main(["words", "--data", str(data_root), "--out", str(out), "--limit", "300", "--query", "twilight",
                 "--query", "frowning", "--no-store"]) == 0
    report = _report(out)
    assert report["corpus"]["n_reviews"] == 300 and report["corpus"]["n_words"] > 5000
    twilight, frowning = report["metrics"]["paper"]["queries"]
    assert twilight["neighbours"][0] == ["twilight", 0.0]
    assert sum(w.startswith("tw") for w, _ in twilight["neighbours"]) >= 3
    assert frowning["neighbours"][0][0] == "frowning" or not frowning["in_vocabulary"]


def test_semantic_search_example_on_the_synthetic_folder(data, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["semantic_search.py", "--data", str(data), "--out", str(tmp_path),
                                      "--word-dim", "20", "--query", "physicist twists"])
    runpy.run_path(str(EXAMPLES / "semantic_search.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "10 test reviews in collection 'imdb-test-reviews'" in printed
    assert "query: physicist twists" in printed and printed.count("test/") >= 3
    assert (tmp_path / "model" / "config.json").is_file()
