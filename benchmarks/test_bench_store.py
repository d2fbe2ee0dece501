"""Chroma ingest and query through ``veob.store.ChromaStore`` against plain chromadb calls.

Ingest: ``ChromaStore.upsert`` (batched at the client's maximum, float32 arrays
handed over without per-row Python lists, default ids ``str(i)``) against the
straightforward peer, ``collection.upsert`` in the same batches with
``tolist()`` embeddings. Re-ingesting the same vectors is measured separately
(``ChromaStore`` skips rows whose stored vector, document and metadata are
unchanged). Query: ``ChromaStore.query`` against ``collection.query`` for the
same 1,000 vectors. Everything runs offline (telemetry off,
``embedding_function=None``).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from .conftest import record_ratio, time_peer

chromadb = pytest.importorskip("chromadb")


def _vectors(quick):
    rng = np.random.default_rng(0)
    n = 5_000 if quick else 20_000
    return rng.standard_normal((n, 30)).astype(np.float32)


def _peer_client(path):
    from chromadb.config import Settings

    return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))


def _ingest(folder, X, metadatas):
    """The timed body: a new store in a fresh folder, one upsert; returns the folder."""
    import uuid
    from pathlib import Path

    from veob.store import ChromaStore

    path = Path(folder) / f"veob-{uuid.uuid4().hex}"
    ChromaStore(path).upsert("bench", X, metadatas=metadatas, progress=False)
    return str(path)


def _reingest_seconds(path, X, metadatas):
    from veob.store import ChromaStore

    store = ChromaStore(path)
    start = time.perf_counter()
    store.upsert("bench", X, metadatas=metadatas, progress=False)
    return time.perf_counter() - start, store.count("bench")


def test_chroma_ingest_vs_plain_upsert(run, benchmark, quick, tmp_path):
    X = _vectors(quick)
    metadatas = [{"label": int(i % 10)} for i in range(len(X))]
    path = run(_ingest, str(tmp_path), X, metadatas, rounds=1 if quick else 3, warmup_rounds=0)
    reingest, count = _reingest_seconds(path, X, metadatas)
    assert count == len(X)
    benchmark.extra_info["reingest_seconds"] = reingest

    peers = iter(range(1000))

    def plain():
        client = _peer_client(tmp_path / f"peer-{next(peers)}")
        collection = client.get_or_create_collection("bench", embedding_function=None)
        batch = client.get_max_batch_size()
        for lo in range(0, len(X), batch):
            hi = min(len(X), lo + batch)
            collection.upsert(ids=[str(i) for i in range(lo, hi)], embeddings=X[lo:hi].tolist(),
                              metadatas=metadatas[lo:hi])
        return collection

    peer_median, collection = time_peer(plain, rounds=1 if quick else 3)
    assert collection.count() == len(X)
    record_ratio(benchmark, "chromadb collection.upsert (tolist, same batches)", peer_median)
    benchmark.extra_info.update(n_vectors=len(X), dimension=X.shape[1])


def _query_setup(folder, X):
    """Setup in the child: the store of X (opened there), and the 1,000 query vectors."""
    from veob.store import ChromaStore

    store = ChromaStore(folder)
    return (store, "bench", X[:1000]), {"n_results": 10}


def _first_ids(hits):
    return len(hits), hits[0][0].id


def test_chroma_query_vs_plain_query(run, benchmark, quick, tmp_path):
    from veob.store import ChromaStore

    X = _vectors(quick)
    ChromaStore(tmp_path / "veob").upsert("bench", X, progress=False)
    queries = X[:1000]
    n_hits, first = run(_store_query, str(tmp_path / "veob"), X, setup=_query_setup, summary=_first_ids,
                        rounds=1 if quick else 5)
    assert n_hits == len(queries) and first == "0"
    client = _peer_client(tmp_path / "veob")
    collection = client.get_collection("bench", embedding_function=None)
    peer_median, result = time_peer(collection.query, query_embeddings=queries.tolist(), n_results=10,
                                    rounds=1 if quick else 5)
    assert result["ids"][0][0] == "0"
    record_ratio(benchmark, "chromadb collection.query", peer_median)
    benchmark.extra_info.update(n_vectors=len(X), n_queries=len(queries))


def _store_query(store, name, queries, **kwargs):
    return store.query(name, queries, **kwargs)
