"""``veob info`` and ``veob query``: output on real stores and models, one-line exit-2 errors."""

import json
import sys

import numpy as np
import pytest

pytest.importorskip("chromadb")

from veob import CellIndex, SVDEmbedder  # noqa: E402
from veob._io import save  # noqa: E402
from veob.cli import main  # noqa: E402
from veob.store import ChromaStore  # noqa: E402

X = np.random.default_rng(0).standard_normal((300, 6)).astype(np.float32)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "chroma"
    store = ChromaStore(path)
    store.upsert("points", X, documents=[f"point number {i}" for i in range(300)],
                 metadatas=[{"label": i % 3} for i in range(300)], progress=False)
    ChromaStore(path, distance="cosine").upsert("cos-points", X[:50], progress=False)
    return path


def _one_line_error(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert message in err, err
    assert "\n" not in err and "Traceback" not in err
    return err


def _table(out):
    """(rank, id, distance) rows of a query table."""
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        rows.append((int(parts[0]), parts[1], float(parts[2])))
    return rows


# -- veob info ------------------------------------------------------------------

def test_info_reports_versions_data_and_collections(tmp_path, store_path, capsys):
    data = tmp_path / "data"
    (data / "mnist").mkdir(parents=True)
    for name in ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"):
        (data / "mnist" / f"{name}-ubyte.gz").write_bytes(b"x" * 1000)
    (data / "imdb").mkdir()
    (data / "pendigits").mkdir()
    (data / "pendigits" / "pendigits.tra").write_text("1")
    assert main(["info", "--data", str(data), "--chroma", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("veob ") and "numpy" in out and "BLAS" in out and "cores" in out
    assert "chromadb" in out and "matplotlib" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "found" in lines["mnist"] and "0.0 MB" in lines["mnist"]
    assert "missing" in lines["imdb"] and "imdb/aclImdb.tar.gz" in lines["imdb"]
    assert "partial" in lines["pendigits"] and "pendigits.tes" in lines["pendigits"]
    assert "1 of 7 known datasets" in out
    assert "300 vectors" in lines["points"] and "dimension 6" in lines["points"] and "distance l2" in lines["points"]
    assert "50 vectors" in lines["cos-points"] and "distance cosine" in lines["cos-points"]


def test_info_json_env_data_and_out_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VEOB_DATA", str(tmp_path))
    assert main(["info", "--json", "--out", str(tmp_path / "report")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["data"]["root"] == str(tmp_path) and info["data"]["from"] == "VEOB_DATA"
    assert set(info["data"]["datasets"]) >= {"mnist", "imdb", "cats_vs_dogs"}
    assert info["chroma"] is None and info["versions"]["numpy"] == np.__version__
    assert json.loads((tmp_path / "report" / "info.json").read_text()) == info
    monkeypatch.delenv("VEOB_DATA")
    assert main(["info"]) == 0
    assert "data: none (pass --data PATH or set VEOB_DATA)" in capsys.readouterr().out


def test_info_lists_the_store_under_out(store_path, capsys):
    assert main(["info", "--out", str(store_path.parent)]) == 0  # DIR/chroma, as veob demo --out DIR fills it
    out = capsys.readouterr().out
    assert f"chroma: {store_path}: 2 collections" in out


def test_info_user_errors(tmp_path, monkeypatch, capsys):
    _one_line_error(capsys, ["info", "--data", str(tmp_path / "nope")], "does not exist")
    _one_line_error(capsys, ["info", "--chroma", str(tmp_path / "nope")], "no Chroma store at")
    _one_line_error(capsys, ["info", "--chroma", str(tmp_path)], "is not a Chroma store")
    assert not (tmp_path / "chroma.sqlite3").exists()  # never creates a store
    (tmp_path / "chroma.sqlite3").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "chromadb", None)
    _one_line_error(capsys, ["info", "--chroma", str(tmp_path)], "pip install 'veob[chroma]'")


# -- veob query on a Chroma collection --------------------------------------------

def test_query_by_id_excludes_itself_and_is_nearest_first(store_path, capsys):
    assert main(["query", "--chroma", str(store_path), "--collection", "points", "--id", "17", "-k", "5"]) == 0
    out = capsys.readouterr().out
    assert "5 nearest of id '17' in collection 'points' (300 vectors, Euclidean distance)" in out
    rows = _table(out)
    d = np.linalg.norm(X.astype(np.float64) - X[17], axis=1)
    order = [i for i in np.argsort(d) if i != 17][:5]
    assert [r[1] for r in rows] == [str(i) for i in order]
    np.testing.assert_allclose([r[2] for r in rows], d[order], rtol=1e-3)
    assert "point number" in out and '{"label":' in out


def test_query_by_text_id_or_document_and_by_vector(store_path, capsys):
    assert main(["query", "--chroma", str(store_path), "--collection", "points", "--text", "point number 5",
                 "-k", "3"]) == 0
    rows = _table(capsys.readouterr().out)
    assert len(rows) == 3 and "5" not in [r[1] for r in rows]
    assert main(["query", "--chroma", str(store_path), "--collection", "points", "--text", "8", "-k", "1"]) == 0
    assert "text '8'" in capsys.readouterr().out
    vec = ",".join(f"{v:.6f}" for v in X[3])
    assert main(["query", "--chroma", str(store_path), "--collection", "points", f"--vector={vec}", "-k", "2"]) == 0
    rows = _table(capsys.readouterr().out)
    assert rows[0][1] == "3" and rows[0][2] < 1e-3
    assert main(["query", "--chroma", str(store_path), "--collection", "cos-points", "--id", "0", "-k", "2"]) == 0
    assert "cosine distance" in capsys.readouterr().out


def test_query_finds_the_store_under_out(store_path, capsys):
    assert main(["query", "--out", str(store_path.parent), "--collection", "points", "--id", "0", "-k", "1"]) == 0
    assert len(_table(capsys.readouterr().out)) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--collection", "nope", "--id", "1"], "--collection 'nope' does not exist"),
        (["--collection", "points", "--id", "999999"], "no vector with id '999999'"),
        (["--collection", "points", "--text", "no such words"], "no vector with id or document 'no such words'"),
        (["--collection", "points", "--vector", "1,2,3"],
         "--vector has 3 values; collection 'points' holds vectors of dimension 6"),
        (["--collection", "points", "--vector", "1,x"], "expected comma-separated numbers"),
        (["--collection", "points", "--vector", ","], "--vector is empty"),
        (["--collection", "points", "--vector", "1,2,3,4,5,nan"], "NaN or infinity"),
        (["--collection", "points", "--id", "1", "-k", "0"], "-k 0 must be >= 1"),
        (["--collection", "points"], "one of the arguments --list --id --text --vector is required"),
        (["--collection", "points", "--id", "1", "--text", "a"], "not allowed with argument"),
        (["--id", "1"], "--collection NAME is required"),
        (["--collection", "a", "--id", "1"], "is not a valid collection name"),
    ],
)
def test_query_user_errors(argv, message, store_path, capsys):
    _one_line_error(capsys, ["query", "--chroma", str(store_path)] + argv, message)


def test_query_store_errors(tmp_path, monkeypatch, capsys):
    _one_line_error(capsys, ["query", "--collection", "points", "--id", "1"], "no Chroma store given: pass --chroma")
    _one_line_error(capsys, ["query", "--chroma", str(tmp_path / "x"), "--collection", "points", "--id", "1"],
                    "no Chroma store at")
    _one_line_error(capsys, ["query", "--chroma", str(tmp_path), "--collection", "points", "--id", "1"],
                    "is not a Chroma store")
    (tmp_path / "chroma.sqlite3").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "chromadb", None)
    _one_line_error(capsys, ["query", "--chroma", str(tmp_path), "--collection", "points", "--id", "1"],
                    "--chroma needs chromadb: pip install 'veob[chroma]'")


# -- veob query on a saved model ----------------------------------------------------

def test_query_model_errors(tmp_path, store_path, capsys):
    path = save(SVDEmbedder(n_components=2).fit(X), tmp_path / "embedder")
    _one_line_error(capsys, ["query", "--model", str(path), "--text", "word"],
                    "--model holds a SVDEmbedder, which cannot embed text")
    _one_line_error(capsys, ["query", "--model", str(path), "--vector", "1,2"], "has no kneighbors")
    _one_line_error(capsys, ["query", "--model", str(path), "--id", "3"], "--id works with --chroma")
    _one_line_error(capsys, ["query", "--model", str(tmp_path / "none"), "--text", "w"], "--model '")
    _one_line_error(capsys, ["query", "--model", str(tmp_path), "--text", "w"],
                    f"--model {str(tmp_path)!r} is a folder")
    (tmp_path / "junk").write_text("junk")
    _one_line_error(capsys, ["query", "--model", str(tmp_path / "junk"), "--text", "w"], "not a veob model file")
    _one_line_error(capsys, ["query", "--model", str(path), "--chroma", str(store_path), "--text", "w"],
                    "not both")


def _searchable_model():
    """A fitted veob model with kneighbors (the partition's CellIndex)."""
    return CellIndex(max_level=3, min_samples=20, random_state=0).fit(X)


def test_query_model_kneighbors(tmp_path, capsys):
    model = _searchable_model()
    path = save(model, tmp_path / "index")
    vec = ",".join(f"{v:.7f}" for v in X[10])
    assert main(["query", "--model", str(path), f"--vector={vec}", "-k", "4"]) == 0
    rows = _table(capsys.readouterr().out)
    dist, ind = model.kneighbors(X[10:11].astype(np.float64), n_neighbors=4)
    assert [r[1] for r in rows] == [str(i) for i in ind[0]] and rows[0][1] == "10"
    _one_line_error(capsys, ["query", "--model", str(path), "--vector", "1,2"], "--vector has 2 values")
