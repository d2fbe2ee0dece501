"""VeobEmbeddingFunction with real Chroma clients, and ChromaStore.add_texts / query_texts."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

chromadb = pytest.importorskip("chromadb")

from chromadb.config import Settings  # noqa: E402

from veob.store import ChromaStore, VeobEmbeddingFunction  # noqa: E402
from veob.text import TextEncoder  # noqa: E402

DOCS = ["the cat sat on the mat", "a dog slept in the barn", "the red car stopped on the road",
        "a bus drove on the bridge", "the fox ran in the field", "a van parked on the street"]


def _corpus(n=300, seed=0):
    rng = np.random.default_rng(seed)
    animals, vehicles = ["cat", "dog", "fox", "cow"], ["car", "bus", "van", "truck"]
    return [f"The {rng.choice(animals)} sat in the field." if rng.random() < 0.5
            else f"A red {rng.choice(vehicles)} stopped on the road!" for _ in range(n)]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("encoder") / "model"
    TextEncoder(word_dim=5, progress=False, random_state=0).fit(_corpus()).save(folder)
    return folder


def test_embedding_function_protocol(model):
    fn = VeobEmbeddingFunction(model)
    assert VeobEmbeddingFunction.name() == "veob" and fn.default_space() == "cosine"
    assert set(fn.supported_spaces()) == {"cosine", "l2", "ip"}
    config = fn.get_config()
    assert config["folder"] == str(Path(model).resolve()) and len(config["fingerprint"]) == 64
    again = VeobEmbeddingFunction.build_from_config(config)
    out = fn(["the cat", "", "zzz"])
    assert len(out) == 3 and np.allclose(np.linalg.norm(out[0]), 1.0) and np.all(out[1] == 0)
    np.testing.assert_array_equal(np.asarray(again(["the cat"])), np.asarray(fn(["the cat"])))
    from chromadb.utils.embedding_functions import known_embedding_functions

    assert known_embedding_functions["veob"] is VeobEmbeddingFunction
    with pytest.raises(TypeError, match="fitted TextEncoder or the folder"):
        VeobEmbeddingFunction(3)
    with pytest.raises(ValueError, match="does not exist"):
        VeobEmbeddingFunction.build_from_config({**config, "folder": str(model) + "-gone"})
    with pytest.raises(ValueError, match="in-memory"):
        VeobEmbeddingFunction.build_from_config({"folder": None, "fingerprint": "x"})


def test_plain_chroma_round_trip_in_a_new_process(model, tmp_path):
    db = tmp_path / "db"
    client = chromadb.PersistentClient(path=str(db), settings=Settings(anonymized_telemetry=False))
    col = client.create_collection("docs", embedding_function=VeobEmbeddingFunction(model))
    col.add(ids=[str(i) for i in range(len(DOCS))], documents=DOCS)
    here = col.query(query_texts=["a cat on a mat", "a truck on the road"], n_results=2)["ids"]
    del col, client
    script = textwrap.dedent(f"""
        import chromadb, json
        from chromadb.config import Settings
        from veob.store import VeobEmbeddingFunction  # registers veob's embedding function with Chroma
        client = chromadb.PersistentClient(path={str(db)!r}, settings=Settings(anonymized_telemetry=False))
        col = client.get_collection("docs")  # no embedding function passed: found from the saved config
        print(json.dumps(col.query(query_texts=["a cat on a mat", "a truck on the road"], n_results=2)["ids"]))
    """)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    assert json.loads(proc.stdout.strip().splitlines()[-1]) == here
    assert here[0][0] == "0" and here[1][0] in {"2", "3", "5"}  # the cat; a vehicle


def test_a_changed_or_missing_model_is_an_error(tmp_path):
    folder = tmp_path / "model"
    TextEncoder(word_dim=5, progress=False, random_state=0).fit(_corpus()).save(folder)
    store = ChromaStore(tmp_path / "db", distance="cosine")
    store.add_texts("docs", DOCS, encoder=folder, progress=False)
    # another model saved over the folder: the collection refuses it instead of mixing vectors
    TextEncoder(word_dim=5, progress=False, random_state=1).fit(_corpus(seed=1)).save(folder)
    from veob.store import _embedding

    _embedding._CACHE.clear()
    with pytest.raises(ValueError, match="changed since the collection was made"):
        ChromaStore(tmp_path / "db", distance="cosine").query_texts("docs", ["a cat"])
    other = tmp_path / "moved"
    folder.rename(other)
    with pytest.raises(ValueError, match="does not exist"):
        ChromaStore(tmp_path / "db", distance="cosine").query_texts("docs", ["a cat"])
    with pytest.raises(ValueError, match="made with another TextEncoder"):
        ChromaStore(tmp_path / "db", distance="cosine").add_texts("docs", ["x"], encoder=other, progress=False)


def test_add_texts_is_resumable_and_query_texts_finds_them(model, tmp_path):
    store = ChromaStore(tmp_path / "db", distance="cosine")
    n = store.add_texts("docs", DOCS, metadatas=[{"i": i} for i in range(len(DOCS))], encoder=model,
                        progress=False)
    assert n == len(DOCS) == store.count("docs")
    assert store.add_texts("docs", DOCS, progress=False) == len(DOCS)  # the collection's own encoder
    assert store.count("docs") == len(DOCS)
    hits = store.query_texts("docs", ["a cat on a mat", "a red truck on the road"], n_results=2)
    assert hits[0][0].document == DOCS[0] and hits[0][0].metadata == {"i": 0}
    assert hits[1][0].document in (DOCS[2], DOCS[3], DOCS[5])
    again = ChromaStore(tmp_path / "db", distance="cosine").query_texts("docs", "a cat on a mat", n_results=1)
    assert again[0][0].id == hits[0][0].id
    with pytest.raises(ValueError, match="does not exist yet: pass encoder="):
        store.add_texts("fresh", DOCS, progress=False)
    store.upsert("vectors", np.ones((2, 3)), progress=False)
    with pytest.raises(ValueError, match="has no veob TextEncoder"):
        store.add_texts("vectors", DOCS[:2], progress=False)
    with pytest.raises(ValueError, match="texts is empty"):
        store.add_texts("docs", [], progress=False)
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        store.add_texts("docs", ["a", 2], progress=False)
    in_memory = TextEncoder.load(model)
    with pytest.raises(ValueError, match="saved folder"):
        store.add_texts("other", DOCS, encoder=in_memory, progress=False)
    memory = ChromaStore(distance="cosine")
    assert memory.add_texts("docs", DOCS, encoder=in_memory, progress=False) == len(DOCS)
    assert memory.query_texts("docs", ["a cat on a mat"], n_results=1, encoder=in_memory)[0][0].document == DOCS[0]
