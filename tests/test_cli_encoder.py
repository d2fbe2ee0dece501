"""``veob encoder fit``, ``veob index`` and ``veob search``: end to end on small corpora, and their errors."""

import io
import tarfile

import numpy as np
import pytest

pytest.importorskip("chromadb")

from veob.cli import main  # noqa: E402
from veob.store import ChromaStore  # noqa: E402
from veob.text import TextEncoder  # noqa: E402


def _write_corpus(folder, n=40, seed=0):
    rng = np.random.default_rng(seed)
    animals, vehicles = ["cat", "dog", "fox", "cow"], ["car", "bus", "van", "truck"]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text = " ".join(f"The {rng.choice(animals)} sat in the field. A red {rng.choice(vehicles)} stopped on "
                        f"the road!" for _ in range(5))
        (folder / f"doc{i:02d}.txt").write_text(text)
    return folder


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-encoder")
    docs = _write_corpus(root / "docs")
    model = root / "model"
    assert main(["encoder", "fit", "--corpus", str(docs), "--out", str(model), "--word-dim", "8", "--quiet"]) == 0
    return root, docs, model


def _one_line_error(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and "Traceback" not in err, err


def test_fit_writes_a_loadable_model(fitted):
    root, docs, model = fitted
    assert sorted(p.name for p in model.iterdir()) == ["README.md", "config.json", "model.safetensors", "vocab.json"]
    enc = TextEncoder.load(model)
    assert enc.fit_info_["n_texts"] == 40 and enc.table_.shape[2] == 8
    assert str(docs) in (model / "README.md").read_text()


def test_fit_reads_a_tar_archive_of_text_files(fitted, tmp_path):
    root, docs, _ = fitted
    archive = tmp_path / "texts.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for file in sorted(docs.iterdir()):
            data = file.read_bytes()
            info = tarfile.TarInfo(f"corpus/{file.name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert main(["encoder", "fit", "--corpus", str(archive), "--out", str(tmp_path / "m"), "--word-dim", "8",
                 "--quiet"]) == 0
    np.testing.assert_array_equal(TextEncoder.load(tmp_path / "m").encode(["the cat"]),
                                  TextEncoder.load(fitted[2]).encode(["the cat"]))  # same documents, same model


def test_index_search_and_resume(fitted, tmp_path, capsys):
    root, docs, model = fitted
    lines = tmp_path / "notes.txt"
    lines.write_text("the cat sat in the field\n\na red bus stopped on the road\nthe dog sat\n")
    db = tmp_path / "db"
    argv = ["index", "--model", str(model), "--docs", str(lines), str(docs), "--chroma", str(db),
            "--collection", "notes", "--per-line", "--quiet"]
    assert main(argv) == 0
    store = ChromaStore(db, distance="cosine")
    assert store.count("notes") == 3 + 40
    assert main(argv) == 0  # resumed: nothing duplicated
    assert ChromaStore(db, distance="cosine").count("notes") == 43
    capsys.readouterr()
    assert main(["search", "--chroma", str(db), "--collection", "notes", "--text", "a cat in a field",
                 "--text", "a bus on a road", "--k", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "query: a cat in a field" and "notes.txt:1" in out[2]
    assert out[4] == "query: a bus on a road" and "notes.txt:3" in out[6]
    hits = ChromaStore(db, distance="cosine").query_texts("notes", ["the dog sat"], n_results=1)
    assert hits[0][0].id == "notes.txt:4" and hits[0][0].metadata == {"source": "notes.txt"}


def test_errors_are_one_line_and_leave_nothing(fitted, tmp_path, capsys):
    root, docs, model = fitted
    out = tmp_path / "new-model"
    _one_line_error(capsys, ["encoder", "fit", "--corpus", str(tmp_path / "missing"), "--out", str(out)],
                    "does not exist")
    (tmp_path / "empty").mkdir()
    _one_line_error(capsys, ["encoder", "fit", "--corpus", str(tmp_path / "empty"), "--out", str(out)],
                    "holds no text file")
    blank = tmp_path / "blank.txt"
    blank.write_text("   \n")
    _one_line_error(capsys, ["encoder", "fit", "--corpus", str(blank), "--out", str(out)], "hold no token")
    unreadable = tmp_path / "secret.txt"
    unreadable.write_text("text")
    unreadable.chmod(0)
    import os

    if os.geteuid() != 0:  # root reads any file
        _one_line_error(capsys, ["encoder", "fit", "--corpus", str(unreadable), "--out", str(out)], "cannot read")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b not a tar")
    _one_line_error(capsys, ["encoder", "fit", "--corpus", str(broken), "--out", str(out)], "is not a readable tar")
    _one_line_error(capsys, ["encoder", "fit", "--corpus", str(docs), "--out", str(blank)], "is a file")
    _one_line_error(capsys, ["encoder", "fit", "--corpus", str(docs)], "--out MODEL_DIR is required")
    _one_line_error(capsys, ["encoder", "fit", "--corpus", str(docs), "--out", str(out), "--word-dim", "0"],
                    "--word-dim 0 must be >= 1")
    _one_line_error(capsys, ["encoder"], "veob encoder fit --corpus")
    _one_line_error(capsys, ["encoder", "fit", "--out", str(out)], "required: --corpus")
    assert not out.exists()
    db = tmp_path / "db"
    _one_line_error(capsys, ["index", "--model", str(tmp_path / "nope"), "--docs", str(docs), "--chroma", str(db),
                             "--collection", "col1"], "--model")
    _one_line_error(capsys, ["index", "--model", str(blank), "--docs", str(docs), "--chroma", str(db),
                             "--collection", "col1"], "is a file, expected a TextEncoder folder")
    _one_line_error(capsys, ["index", "--model", str(docs), "--docs", str(docs), "--chroma", str(db),
                             "--collection", "col1"], "no config.json")
    _one_line_error(capsys, ["index", "--model", str(model), "--docs", str(docs), "--chroma", str(db),
                             "--collection", "x"], "--collection")
    _one_line_error(capsys, ["index", "--model", str(model), "--docs", str(blank), "--chroma", str(db),
                             "--collection", "col1", "--per-line"], "hold no document")
    _one_line_error(capsys, ["search", "--chroma", str(db), "--collection", "absent", "--text", "hi"],
                    "does not exist")
    _one_line_error(capsys, ["search", "--chroma", str(db), "--collection", "absent", "--text", "hi", "--k", "0"],
                    "--k 0 must be >= 1")
