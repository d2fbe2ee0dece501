"""ChromaStore against a real Chroma client (persistent in tmp_path, or in memory); no mocks."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

pytest.importorskip("chromadb")

from veob.store import ChromaStore, CollectionInfo, Hit, Record  # noqa: E402


def _vectors(n, dim, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _run_python(code, *args, timeout=120):
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


# -- ingest -------------------------------------------------------------------

def test_ingest_20000_vectors_in_batches_twice_leaves_20000(tmp_path):
    n, dim = 20_000, 8
    X = _vectors(n, dim)
    store = ChromaStore(tmp_path / "store")
    calls = []
    t0 = time.perf_counter()
    assert store.upsert("vecs", X, progress=lambda done, total: calls.append((done, total))) == n
    first = time.perf_counter() - t0
    batch = store.max_batch_size
    assert batch >= 1000  # 5461 with chromadb 1.5
    expected = [(min(hi, n), n) for hi in range(batch, n + batch, batch)]
    assert calls == expected  # batched at the client's maximum
    assert store.count("vecs") == n
    t0 = time.perf_counter()
    assert store.upsert("vecs", X, progress=False) == n
    second = time.perf_counter() - t0
    assert store.count("vecs") == n
    ids = [r.id for r in store.get("vecs", include_embeddings=False)]
    assert len(ids) == n and set(ids) == {str(i) for i in range(n)}
    print(f"\ningest of {n} x {dim}: first {first:.2f} s, repeated {second:.2f} s")


def test_rerun_replaces_changed_rows_and_keeps_the_rest(tmp_path):
    X = _vectors(300, 5)
    docs = [f"doc {i}" for i in range(300)]
    store = ChromaStore(tmp_path)
    store.upsert("vecs", X, documents=docs, metadatas=[{"i": i} for i in range(300)], batch_size=64, progress=False)
    Y = X.copy()
    Y[5] += 1.0
    docs2 = list(docs)
    docs2[100] = "changed"
    store.upsert("vecs", Y, documents=docs2, batch_size=64, progress=False)
    assert store.count("vecs") == 300
    r5, r100, r7 = store.get("vecs", ids=["5", "100", "7"])
    np.testing.assert_array_equal(r5.embedding, Y[5])
    assert r100.document == "changed" and r100.metadata == {"i": 100}  # metadata not passed: kept
    np.testing.assert_array_equal(r7.embedding, X[7])
    # metadata change alone is written too
    store.upsert("vecs", Y[:1], metadatas=[{"i": -1}], progress=False)
    assert store.get("vecs", ids=["0"])[0].metadata == {"i": -1}


def test_start_offset_ids_for_ingests_fed_in_parts(tmp_path):
    X = _vectors(100, 4)
    store = ChromaStore(tmp_path)
    store.upsert("vecs", X[:60], progress=False)
    store.upsert("vecs", X[60:], start=60, progress=False)
    store.upsert("vecs", X, progress=False)  # the whole ingest again: nothing added
    assert store.count("vecs") == 100
    np.testing.assert_array_equal(store.get("vecs", ids=["99"])[0].embedding, X[99])


_INGEST = textwrap.dedent("""
    import sys
    import numpy as np
    from veob.store import ChromaStore

    path, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    X = np.random.default_rng(1).standard_normal((n, 6)).astype(np.float32)
    store = ChromaStore(path)
    before = store.count("vecs") if "vecs" in store.collections() else 0
    print("before", before, flush=True)

    def tick(done, total):
        print("batch", done, flush=True)

    store.upsert("vecs", X, documents=[f"doc {i}" for i in range(n)], batch_size=batch, progress=tick)
    print("done", store.count("vecs"), flush=True)
""")


def test_ingest_killed_midway_then_rerun_leaves_exactly_one_copy(tmp_path):
    n, batch = 4000, 100
    path = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, "-c", _INGEST, str(path), str(n), str(batch)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        while len(seen) < 2:
            line = proc.stdout.readline()
            assert line, f"ingest ended early: {proc.stderr.read()}"
            if line.startswith("batch"):
                seen.append(line)
        proc.send_signal(signal.SIGKILL)  # killed while writing the third batch
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    rerun = subprocess.run([sys.executable, "-c", _INGEST, str(path), str(n), str(batch)],
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    lines = rerun.stdout.split("\n")
    before = int(lines[0].split()[1])
    assert 2 * batch <= before < n  # the killed run had written part of the data
    assert f"done {n}" in rerun.stdout
    # read back in this process (first open of this path here: nothing cached)
    store = ChromaStore(path)
    assert store.count("vecs") == n
    records = store.get("vecs")
    ids = [r.id for r in records]
    assert len(ids) == n and set(ids) == {str(i) for i in range(n)}
    X = np.random.default_rng(1).standard_normal((n, 6)).astype(np.float32)
    by_id = {r.id: r for r in records}
    for i in (0, 150, 250, n - 1):
        np.testing.assert_array_equal(by_id[str(i)].embedding, X[i])
        assert by_id[str(i)].document == f"doc {i}"
    hits = store.query("vecs", X[[7, 3999]], n_results=1)
    assert [h[0].id for h in hits] == ["7", "3999"]


def test_persistence_across_clients_and_processes(tmp_path):
    X = _vectors(500, 12, seed=3)
    ChromaStore(tmp_path).upsert("persisted", X, documents=[f"row {i}" for i in range(500)], progress=False)
    again = ChromaStore(tmp_path)  # a second client object
    assert again.collections() == ["persisted"] and again.count("persisted") == 500
    code = textwrap.dedent("""
        import sys, json
        import numpy as np
        from veob.store import ChromaStore
        store = ChromaStore(sys.argv[1])
        q = np.array(json.loads(sys.argv[2]), dtype=np.float32)
        hit = store.query("persisted", q, n_results=1)[0][0]
        print(json.dumps([store.count("persisted"), hit.id, hit.document, hit.distance]))
    """)
    count, hit_id, doc, dist = json.loads(_run_python(code, tmp_path, json.dumps(X[42].tolist())))
    assert (count, hit_id, doc) == (500, "42", "row 42") and dist == pytest.approx(0.0, abs=1e-5)


# -- search -------------------------------------------------------------------

@pytest.mark.parametrize("distance", ["l2", "cosine", "ip"])
def test_query_agrees_with_brute_force_nearest_first(distance):
    X = _vectors(2000, 16, seed=4)
    if distance == "ip":
        X /= np.linalg.norm(X, axis=1, keepdims=True)
    Q = _vectors(20, 16, seed=5)
    store = ChromaStore(distance=distance)
    store.upsert("vecs", X, progress=False)
    hits = store.query("vecs", Q, n_results=10)
    assert len(hits) == 20 and all(len(h) == 10 for h in hits)
    X64, Q64 = X.astype(np.float64), Q.astype(np.float64)
    if distance == "l2":
        exact = np.sqrt(((Q64[:, None, :] - X64[None]) ** 2).sum(-1))
    elif distance == "cosine":
        exact = 1 - (Q64 / np.linalg.norm(Q64, axis=1, keepdims=True)) @ (
            X64 / np.linalg.norm(X64, axis=1, keepdims=True)).T
    else:
        exact = 1 - Q64 @ X64.T
    recall = []
    for q, row in enumerate(hits):
        got = np.array([h.distance for h in row])
        ids = np.array([int(h.id) for h in row])
        assert np.all(np.diff(got) >= 0)  # nearest first
        np.testing.assert_allclose(got, exact[q, ids], rtol=1e-4, atol=1e-4)  # the distance we document
        truth = set(np.argsort(exact[q], kind="stable")[:10])
        recall.append(len(truth & set(ids)) / 10)
    assert np.mean(recall) >= 0.95  # HNSW is approximate; on 2000 points it is ~exact


def test_query_where_filter_and_single_vector():
    X = _vectors(400, 6, seed=6)
    labels = np.arange(400) % 4
    store = ChromaStore()
    store.upsert("vecs", X, metadatas=[{"label": int(v)} for v in labels], documents=[str(i) for i in range(400)],
                 progress=False)
    q = X[0] + 0.01
    hits = store.query("vecs", q, n_results=5, where={"label": 3})
    assert len(hits) == 1 and all(h.metadata == {"label": 3} for h in hits[0])
    d = np.linalg.norm(X[labels == 3].astype(np.float64) - q, axis=1)
    np.testing.assert_allclose([h.distance for h in hits[0]], np.sort(d)[:5], rtol=1e-4)
    assert isinstance(hits[0][0], Hit) and hits[0][0].document == hits[0][0].id
    with pytest.raises(ValueError, match="where="):
        store.query("vecs", q, where={"label": {"$bogus": 1}})


def test_n_results_larger_than_collection_and_empty_collection():
    store = ChromaStore()
    store.upsert("vecs", [[0.0, 0.0], [1.0, 0.0]], progress=False)
    hits = store.query("vecs", [[0.0, 0.0]], n_results=10)[0]
    assert [h.id for h in hits] == ["0", "1"]
    store.client.create_collection("empty", embedding_function=None)
    assert store.query("empty", [[0.0, 0.0]]) == [[]]
    assert store.describe("empty") == CollectionInfo("empty", 0, None, "l2")


def test_get_by_ids_and_document():
    store = ChromaStore()
    store.upsert("words", [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], ids=["a1", "b2", "c3"],
                 documents=["cat", "dog", "cat dog"], progress=False)
    recs = store.get("words", ids=["c3", "zz", "a1"])
    assert [r.id for r in recs] == ["c3", "a1"] and isinstance(recs[0], Record)
    assert [r.id for r in store.get("words", document="cat")] == ["a1"]  # exact match, not substring
    assert store.get("words", document="bird") == []
    assert store.get("words", ids=["b2"], include_embeddings=False)[0].embedding is None
    assert len(store.get("words", limit=2)) == 2
    with pytest.raises(ValueError, match="not both"):
        store.get("words", ids=["a1"], document="cat")


def test_collections_describe_delete():
    store = ChromaStore(distance="cosine")
    store.upsert("zeta", _vectors(3, 4), progress=False)
    store.upsert("alpha", _vectors(2, 7), progress=False)
    assert store.collections() == ["alpha", "zeta"]
    assert store.describe("alpha") == CollectionInfo("alpha", 2, 7, "cosine")
    store.delete_collection("zeta")
    assert store.collections() == ["alpha"]
    with pytest.raises(ValueError, match="does not exist"):
        store.delete_collection("zeta")
    assert "memory" in repr(store)


def test_in_memory_stores_are_private():
    a, b = ChromaStore(), ChromaStore()
    a.upsert("vecs", [[1.0]], progress=False)
    assert b.collections() == [] and a.collections() == ["vecs"]


def test_tqdm_progress_bar_over_several_batches(capsys):
    pytest.importorskip("tqdm")
    store = ChromaStore()
    assert store.upsert("vecs", _vectors(50, 3), batch_size=10, progress=True) == 50
    assert store.count("vecs") == 50


# -- offline ------------------------------------------------------------------

class _NetworkBlocked(OSError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise _NetworkBlocked("network blocked by test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_never_reaches_the_network_even_with_documents(tmp_path, no_network):
    store = ChromaStore(tmp_path)
    X = _vectors(20, 4)
    store.upsert("docs", X, documents=[f"some text {i}" for i in range(20)], progress=False)
    assert store.query("docs", X[:2], n_results=3)[0][0].id == "0"
    col = store.client.get_collection("docs", embedding_function=None)
    assert col._embedding_function is None
    # the guard is real: Chroma itself, given documents without embeddings, goes for a model download
    with pytest.raises(Exception, match="network blocked by test"):
        col.upsert(ids=["x"], documents=["text without a vector"])


# -- errors -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ab", "-abc", "abc-", "a..b", "192.168.1.1", "has space", "é-accent", "a" * 513])
def test_invalid_collection_names_are_refused_before_chroma(name):
    store = ChromaStore()
    with pytest.raises(ValueError, match="is not a valid collection name"):
        store.upsert(name, [[1.0]], progress=False)
    with pytest.raises(ValueError, match="is not a valid collection name"):
        store.query(name, [[1.0]])
    assert store.collections() == []


def test_valid_edge_names():
    store = ChromaStore()
    for name in ("abc", "a.b_c-d", "x" * 512, "1.2.3"):
        store.upsert(name, [[1.0]], progress=False)
    assert len(store.collections()) == 4
    with pytest.raises(TypeError, match="must be a str"):
        store.count(123)


def test_dimension_mismatch_is_reported_clearly():
    store = ChromaStore()
    store.upsert("vecs", _vectors(5, 8), progress=False)
    with pytest.raises(ValueError, match=r"dimension 4 .*dimension 8"):
        store.upsert("vecs", _vectors(5, 4), progress=False)
    with pytest.raises(ValueError, match=r"dimension 3 .*dimension 8"):
        store.query("vecs", _vectors(1, 3))
    assert store.count("vecs") == 5


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"embeddings": np.empty((0, 4))}, ValueError, "empty"),
        ({"embeddings": np.empty((3, 0))}, ValueError, "empty"),
        ({"embeddings": [1.0, 2.0]}, ValueError, "2-D"),
        ({"embeddings": [[1.0, np.nan]]}, ValueError, "NaN"),
        ({"embeddings": [["a"]]}, TypeError, "dtype"),
        ({"ids": ["a"]}, ValueError, "ids has 1 entries"),
        ({"ids": ["a", "a"]}, ValueError, "unique"),
        ({"ids": ["a", 2]}, TypeError, r"ids\[1\]"),
        ({"ids": "ab"}, TypeError, "single string"),
        ({"ids": ["a", ""]}, ValueError, "non-empty"),
        ({"documents": ["x"]}, ValueError, "documents has 1"),
        ({"documents": ["x", None]}, TypeError, r"documents\[1\]"),
        ({"metadatas": [{"a": [1]}, None]}, TypeError, "must be a str, int, float or bool"),
        ({"metadatas": [{"a": np.inf}, None]}, ValueError, "finite"),
        ({"metadatas": [{1: 1}, None]}, TypeError, "must be a str"),
        ({"metadatas": {"a": 1}}, TypeError, "not a single dict"),
        ({"batch_size": 0}, ValueError, "batch_size=0 must be >= 1"),
        ({"batch_size": 10**6}, ValueError, "max batch size"),
        ({"start": -1}, ValueError, "start=-1"),
        ({"progress": "yes"}, TypeError, "progress="),
    ],
)
def test_upsert_input_errors(kwargs, error, message):
    store = ChromaStore()
    args = {"embeddings": [[1.0, 2.0], [3.0, 4.0]], **kwargs}
    with pytest.raises(error, match=message):
        store.upsert("vecs", args.pop("embeddings"), **args)


def test_missing_collection_and_bad_query_arguments():
    store = ChromaStore()
    store.upsert("present", [[1.0, 2.0]], progress=False)
    for call in (lambda: store.query("absent", [[1.0, 2.0]]), lambda: store.count("absent"),
                 lambda: store.describe("absent"), lambda: store.get("absent")):
        with pytest.raises(ValueError, match=r"collection='absent' does not exist in memory \(collections: present\)"):
            call()
    with pytest.raises(ValueError, match="n_results=0 must be >= 1"):
        store.query("present", [[1.0, 2.0]], n_results=0)
    with pytest.raises(ValueError, match="empty"):
        store.query("present", np.empty((0, 2)))
    with pytest.raises(TypeError, match="where="):
        store.query("present", [[1.0, 2.0]], where="label=1")


def test_distance_option_and_mismatch(tmp_path):
    with pytest.raises(ValueError, match="distance='manhattan' must be one of"):
        ChromaStore(distance="manhattan")
    ChromaStore(tmp_path, distance="cosine").upsert("cos", [[1.0, 0.0]], progress=False)
    l2 = ChromaStore(tmp_path)
    with pytest.raises(ValueError, match=r"uses distance='cosine' but this store uses distance='l2'"):
        l2.upsert("cos", [[0.0, 1.0]], progress=False)
    with pytest.raises(ValueError, match="distance='cosine'"):
        l2.query("cos", [[0.0, 1.0]])
    assert l2.describe("cos").distance == "cosine"


def test_path_errors(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        ChromaStore(f)
    with pytest.raises(TypeError, match="path=1"):
        ChromaStore(1)


def test_missing_chromadb_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "chromadb", None)
    with pytest.raises(ImportError, match=r"pip install 'veob\[chroma\]'"):
        ChromaStore()


def test_import_of_veob_store_does_not_import_chromadb():
    code = "import sys, veob.store; print('chromadb' in sys.modules)"
    assert _run_python(code).strip() == "False"


def test_upsert_returns_after_every_row_is_written_with_default_ids(tmp_path):
    # the ids are positional: the documented contract the resumable ingest relies on
    store = ChromaStore(tmp_path)
    store.upsert("vecs", _vectors(3, 2), progress=False)
    assert sorted(r.id for r in store.get("vecs")) == ["0", "1", "2"]
    assert os.path.isfile(tmp_path / "chroma.sqlite3")


def test_get_all_of_40000_records_pages_through_them(tmp_path):
    # one Chroma get of more than ~32,000 ids fails with "too many SQL variables"
    n = 40_000
    X = np.zeros((n, 2), dtype=np.float32)
    X[:, 0] = np.arange(n)
    store = ChromaStore(tmp_path)
    store.upsert("many", X, metadatas=[{"i": i} for i in range(n)], progress=False)
    records = store.get("many")
    assert len(records) == n and len({r.id for r in records}) == n
    assert all(r.metadata == {"i": int(r.id)} and r.embedding[0] == int(r.id) for r in records)
    assert len(store.get("many", include_embeddings=False, limit=33_000)) == 33_000
    by_ids = store.get("many", ids=[str(i) for i in range(n - 1, -1, -1)], include_embeddings=False)
    assert [r.id for r in by_ids] == [str(i) for i in range(n - 1, -1, -1)]  # the order of ids


@pytest.mark.parametrize("persistent", [True, False])
def test_query_fetches_exactly_the_fields_ever_written(tmp_path, persistent):
    # query skips documents / metadata only for veob collections that never stored them
    store = ChromaStore(tmp_path / "s" if persistent else None)
    X = _vectors(20, 3, seed=7)
    store.upsert("bare", X, progress=False)
    assert all(h.document is None and h.metadata is None for h in store.query("bare", X[:2], n_results=3)[0])
    store.upsert("bare", X[:5], ids=[f"d{i}" for i in range(5)], documents=[f"doc {i}" for i in range(5)],
                 progress=False)
    hit = store.query("bare", X[3], n_results=2)[0]
    assert {h.id for h in hit} == {"3", "d3"} and {h.document for h in hit} == {None, "doc 3"}
    store.upsert("bare", X[:1], ids=["m0"], metadatas=[{"k": 1}], progress=False)
    assert store.query("bare", X[0], n_results=3)[0][0].metadata in ({"k": 1}, None)
    assert {"k": 1} in [h.metadata for h in store.query("bare", X[0], n_results=3)[0]]
    # a collection veob did not create: every field is fetched
    raw = store.client.create_collection("raw-made", embedding_function=None)
    raw.add(ids=["a"], embeddings=[[1.0, 2.0, 3.0]], documents=["raw doc"], metadatas=[{"r": 2}])
    hit = store.query("raw-made", [1.0, 2.0, 3.0], n_results=1)[0][0]
    assert (hit.document, hit.metadata) == ("raw doc", {"r": 2})
    store.delete_collection("bare")
    store.upsert("bare", X, documents=[str(i) for i in range(20)], progress=False)  # recreated: fresh flags
    assert store.query("bare", X[4], n_results=1)[0][0].document == "4"
