"""VoronoiPartition build and CellIndex search against their peers.

* build: 528,000 x 200 float32 (max_level 9, min_samples 100) against
  sklearn.cluster.BisectingKMeans with the same number of leaves, on 4 sizes,
  with a least-squares fit of t = a n log2 n;
* MNIST (60,000 train / 10,000 test in the 30-d SVD space of pixels / 255,
  k = 10): exact search and n_probe = 1, 2, 4, 8 against
  sklearn.neighbors.NearestNeighbors(algorithm="brute") and a Chroma HNSW
  collection of the same vectors;
* the paper's setting (n_probe = 1): the share of true nearest neighbours it
  misses on MNIST and on the word-orthography vectors.

``--quick`` runs everything once on small inputs (synthetic when VEOB_DATA is
unset) as a smoke test.
"""

from __future__ import annotations

import gzip
import tarfile
import time

import numpy as np
import pytest

import veob
from veob.partition import CellIndex, VoronoiPartition

from ._data import planted_dense
from .conftest import record_ratio, time_peer

K = 10


# ----------------------------------------------------------------- inputs

def _idx_images(path):
    with gzip.open(path) as fh:
        raw = fh.read()
    return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255.0


@pytest.fixture(scope="module")
def mnist30(quick):
    """(train, test) MNIST rows in the 30-d SVD space of the training pixels."""
    import os
    from pathlib import Path

    root = os.environ.get("VEOB_DATA")
    folder = Path(root) / "mnist" if root else None
    if folder is not None and (folder / "train-images-idx3-ubyte.gz").exists():
        train = _idx_images(folder / "train-images-idx3-ubyte.gz")
        test = _idx_images(folder / "t10k-images-idx3-ubyte.gz")
        source = "mnist"
        if quick:
            train, test = train[:6000], test[:500]
    else:
        X = planted_dense(6500 if quick else 70000, 784, decay=1.0, seed=0)
        train, test = X[:-500 if quick else -10000], X[-500 if quick else -10000:]
        source = "synthetic"
    _, _, Vt = veob.svd(train, 30, random_state=0)
    P = np.ascontiguousarray(train @ Vt.T)
    Q = np.ascontiguousarray(test @ Vt.T)
    return P, Q, source


def _brute_truth(P, Q, k):
    """Exact neighbours: float64 brute force ordered by (distance, index), in chunks."""
    P64 = P.astype(np.float64)
    Q64 = Q.astype(np.float64)
    pn = np.einsum("ij,ij->i", P64, P64)
    ind = np.empty((len(Q), k), dtype=np.int64)
    dist = np.empty((len(Q), k))
    for lo in range(0, len(Q), 500):
        q = Q64[lo:lo + 500]
        D = pn[None, :] - 2 * q @ P64.T + np.einsum("ij,ij->i", q, q)[:, None]
        # shortlist by the expansion, then re-measure exactly and order by (distance, index)
        cand = np.argpartition(D, k + 20, axis=1)[:, :k + 20]
        exact = ((q[:, None, :] - P64[cand]) ** 2).sum(-1)
        for r in range(len(q)):
            order = np.lexsort((cand[r], exact[r]))[:k]
            ind[lo + r] = cand[r][order]
            dist[lo + r] = np.sqrt(exact[r][order])
    return dist, ind


def _fit_partition(X, params):
    return VoronoiPartition(**params).fit(X)


def _n_cells(partition):
    return partition.n_cells_


def _planted_setup(n, d, params):
    """Setup in the child: the planted matrix (regenerated from its seed, not pickled)."""
    return (planted_dense(n, d, decay=0.5, seed=1), params), {}


def _recall(found, truth, k):
    return float(np.mean([len(set(a[:k]) & set(b[:k])) for a, b in zip(found, truth)]) / k)


@pytest.fixture(scope="module")
def mnist_truth(mnist30):
    P, Q, _ = mnist30
    return _brute_truth(P, Q, K)


# ----------------------------------------------------------------- build

def test_build_vs_bisecting_kmeans(run, benchmark, quick):
    """Build time on 4 sizes vs BisectingKMeans with the same number of leaves; n log n fit."""
    from sklearn.cluster import BisectingKMeans

    d = 20 if quick else 200
    sizes = [1000, 2000, 4000, 8000] if quick else [66000, 132000, 264000, 528000]
    X_all = planted_dense(sizes[-1], d, decay=0.5, seed=1)
    params = dict(max_level=4 if quick else 9, min_samples=100, random_state=0)
    VoronoiPartition(**params).fit(X_all[:2000])           # compile outside the timings
    table = []
    for n in sizes[:-1]:
        X = X_all[:n]
        own, vp = time_peer(lambda: VoronoiPartition(**params).fit(X), rounds=1 if quick else 3)
        peer, _ = time_peer(lambda: BisectingKMeans(vp.n_cells_, random_state=0).fit(X), rounds=1)
        table.append({"n": n, "n_cells": vp.n_cells_, "veob_s": own, "bisecting_kmeans_s": peer,
                      "ratio": peer / own})
    n_cells = run(_fit_partition, sizes[-1], d, params, setup=_planted_setup, summary=_n_cells, rounds=3)
    own = benchmark.stats.stats.median
    peer, _ = time_peer(lambda: BisectingKMeans(n_cells, random_state=0).fit(X_all), rounds=1)
    table.append({"n": sizes[-1], "n_cells": n_cells, "veob_s": own, "bisecting_kmeans_s": peer,
                  "ratio": peer / own})
    record_ratio(benchmark, f"sklearn.cluster.BisectingKMeans(n_clusters={n_cells})", peer)
    n = np.array([row["n"] for row in table], dtype=float)
    t = np.array([row["veob_s"] for row in table])
    # t ~ c0 + a n log2 n (least squares): with max_level fixed, each level is
    # O(n) and a fixed per-level cost shows up as the intercept
    A = np.column_stack([np.ones_like(n), n * np.log2(n)])
    (c0, a), *_ = np.linalg.lstsq(A, t, rcond=None)
    fit = A @ np.array([c0, a])
    benchmark.extra_info.update(
        shape=[sizes[-1], d], dtype="float32", table=table,
        nlogn_intercept_s=float(c0), nlogn_coef=float(a), nlogn_max_rel_residual=float(np.max(np.abs(t - fit) / t)),
        loglog_slope=float(np.polyfit(np.log(n), np.log(t), 1)[0]),
    )
    if not quick:
        for row in table:
            print(f"\nn={row['n']:>7} cells={row['n_cells']} veob {row['veob_s']:.2f} s  "
                  f"BisectingKMeans {row['bisecting_kmeans_s']:.2f} s  ratio {row['ratio']:.1f}")


# ----------------------------------------------------------------- MNIST search

@pytest.mark.parametrize("max_level", [9, 7])
def test_mnist_exact_vs_brute(run, benchmark, mnist30, mnist_truth, quick, max_level):
    """exact=True returns the brute-force neighbours, >= 2x faster than sklearn brute.

    max_level=9 is the default (512 cells); exact search pays a fixed cost
    per visited cell, so coarser cells (max_level=7, 128 cells) are faster.
    """
    from sklearn.neighbors import NearestNeighbors

    P, Q, source = mnist30
    truth_d, truth_i = mnist_truth
    index = CellIndex(max_level=max_level, exact=True, random_state=0).fit(P)
    index.kneighbors(Q[:10], K)                             # compile outside the timing
    dist, ind = run(index.kneighbors, Q, K)
    nn = NearestNeighbors(n_neighbors=K, algorithm="brute").fit(P)
    peer, (_, peer_i) = time_peer(nn.kneighbors, Q, rounds=1 if quick else 5)
    ratio = record_ratio(benchmark, "sklearn NearestNeighbors(algorithm='brute')", peer)
    _, _, stats = index._search(index._validate_queries(Q), K, 1, True)
    benchmark.extra_info.update(
        source=source, n_train=len(P), n_queries=len(Q), n_cells=index.n_cells_,
        equal_to_exact_brute=float(np.mean(ind == truth_i)),
        equal_to_sklearn_brute=float(np.mean(ind == peer_i)),
        queries_per_s=len(Q) / benchmark.stats.stats.median,
        mean_cells_visited=float(stats["cells"].mean()),
        mean_distances=float(stats["distances"].mean()), max_level=max_level,
    )
    np.testing.assert_array_equal(ind, truth_i)
    np.testing.assert_allclose(dist, truth_d, rtol=1e-5, atol=1e-5)
    if not quick:
        print(f"\nexact (max_level={max_level}) vs brute: ratio {ratio:.2f}")


@pytest.mark.parametrize("n_probe", [1, 2, 4, 8])
def test_mnist_probe(run, benchmark, mnist30, mnist_truth, quick, n_probe):
    """recall@1 / @10 and queries/s of n_probe cells, vs sklearn brute force."""
    from sklearn.neighbors import NearestNeighbors

    P, Q, source = mnist30
    _, truth_i = mnist_truth
    index = CellIndex(n_probe=n_probe, random_state=0).fit(P)
    index.kneighbors(Q[:10], K)
    ind = run(index.kneighbors, Q, K, return_distance=False)
    nn = NearestNeighbors(n_neighbors=K, algorithm="brute").fit(P)
    peer, _ = time_peer(nn.kneighbors, Q, rounds=1 if quick else 3)
    record_ratio(benchmark, "sklearn NearestNeighbors(algorithm='brute')", peer)
    benchmark.extra_info.update(
        source=source, n_probe=n_probe, recall_at_1=_recall(ind, truth_i, 1),
        recall_at_10=_recall(ind, truth_i, K), miss_rate_at_10=1 - _recall(ind, truth_i, K),
        queries_per_s=len(Q) / benchmark.stats.stats.median,
    )


def test_mnist_smallest_n_probe_for_recall_95(run, benchmark, mnist30, mnist_truth, quick):
    """The smallest n_probe with recall@10 >= 0.95 runs >= 5x faster than brute force."""
    from sklearn.neighbors import NearestNeighbors

    P, Q, source = mnist30
    _, truth_i = mnist_truth
    index = CellIndex(random_state=0).fit(P)
    index.kneighbors(Q[:10], K)
    chosen = None
    for n_probe in range(1, index.n_cells_ + 1):
        index.set_params(n_probe=n_probe)
        recall = _recall(index.kneighbors(Q, K, return_distance=False), truth_i, K)
        if recall >= 0.95:
            chosen = n_probe
            break
    run(index.kneighbors, Q, K, rounds=5)
    nn = NearestNeighbors(n_neighbors=K, algorithm="brute").fit(P)
    peer, _ = time_peer(nn.kneighbors, Q, rounds=1 if quick else 5)
    ratio = record_ratio(benchmark, "sklearn NearestNeighbors(algorithm='brute')", peer)
    benchmark.extra_info.update(source=source, n_probe=chosen, recall_at_10=recall,
                                queries_per_s=len(Q) / benchmark.stats.stats.median)
    if not quick:
        print(f"\nn_probe={chosen} recall@10={recall:.4f} ratio vs brute {ratio:.2f}")


def _chroma_setup(P, Q):
    """Setup in the child: an ephemeral Chroma HNSW (l2) collection of P; the queries as lists."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
    collection = client.create_collection(f"bench-mnist30-{int(time.time() * 1000)}", embedding_function=None,
                                          metadata={"hnsw:space": "l2"})
    batch = client.get_max_batch_size()
    start = time.perf_counter()
    for lo in range(0, len(P), batch):
        hi = min(len(P), lo + batch)
        collection.add(ids=[str(i) for i in range(lo, hi)], embeddings=P[lo:hi].tolist())
    return (collection, Q.tolist(), time.perf_counter() - start), {}


def _chroma_query(collection, queries, build_s):
    out = []
    for lo in range(0, len(queries), 1000):
        res = collection.query(query_embeddings=queries[lo:lo + 1000], n_results=K, include=[])
        out.extend([[int(i) for i in ids] for ids in res["ids"]])
    return np.array(out), build_s


def test_mnist_chroma_hnsw(run, benchmark, mnist30, mnist_truth, quick):
    """The same vectors in a Chroma HNSW collection (l2): recall@1 / @10 and queries/s."""
    pytest.importorskip("chromadb")
    P, Q, source = mnist30
    _, truth_i = mnist_truth
    ind, build = run(_chroma_query, P, Q, setup=_chroma_setup, rounds=3)
    benchmark.extra_info.update(
        source=source, build_s=build, recall_at_1=_recall(ind, truth_i, 1), recall_at_10=_recall(ind, truth_i, K),
        queries_per_s=len(Q) / benchmark.stats.stats.median,
    )


# ----------------------------------------------------------------- the paper's n_probe = 1

def test_mnist_paper_setting_miss_rate(run, benchmark, mnist30, mnist_truth):
    """n_probe = 1 (the paper): share of the true 1-NN and 10-NN it misses on MNIST."""
    P, Q, source = mnist30
    _, truth_i = mnist_truth
    index = CellIndex(n_probe=1, random_state=0).fit(P)
    ind = run(index.kneighbors, Q, K, return_distance=False, rounds=1)
    benchmark.extra_info.update(source=source, miss_rate_at_1=1 - _recall(ind, truth_i, 1),
                                miss_rate_at_10=1 - _recall(ind, truth_i, K))


def _orthography_vectors(root, quick):
    """Word-orthography vectors: symbol_spectra of the IMDB vocabulary -> SVD 40 -> U * s."""
    with tarfile.open(root / "imdb" / "aclImdb.tar.gz") as tar:
        member = tar.getmember("aclImdb/imdb.vocab")
        text = tar.extractfile(member).read().decode("utf-8", errors="replace")
    words = sorted({w.lower() for w in text.split() if w.isascii() and w.isalpha()})
    if quick:
        words = words[::20]
    spectra = veob.symbol_spectra(words, 128, n_points=15, n_freqs=6)
    U, s, _ = veob.svd(spectra, 40, random_state=0)
    return np.ascontiguousarray(U * s), words


def test_orthography_paper_setting_miss_rate(run, benchmark, data_root, quick):
    """n_probe = 1 on the orthography vectors: share of the true neighbours (self excluded) missed."""
    X, words = _orthography_vectors(data_root, quick)
    rng = np.random.default_rng(0)
    queries = np.sort(rng.choice(len(X), min(len(X), 500 if quick else 5000), replace=False))
    exact = CellIndex(exact=True, random_state=0).fit(X)
    truth = _without_self(exact.kneighbors(X[queries], K + 1, return_distance=False), queries)
    index = CellIndex(n_probe=1, random_state=0).fit(X)
    found = run(index.kneighbors, X[queries], K + 1, return_distance=False, rounds=1)
    found = _without_self(found, queries)
    recall = {}
    for n_probe in (2, 4, 8):
        more = _without_self(index.set_params(n_probe=n_probe).kneighbors(X[queries], K + 1, return_distance=False),
                             queries)
        recall[n_probe] = _recall(more, truth, K)
    benchmark.extra_info.update(
        n_words=len(words), n_queries=len(queries), n_cells=index.n_cells_,
        miss_rate_at_1=1 - _recall(found, truth, 1), miss_rate_at_10=1 - _recall(found, truth, K),
        recall_at_10_by_n_probe={1: _recall(found, truth, K), **recall},
    )


def _without_self(ind, rows):
    """Drop each query's own row from its K + 1 neighbours (else the last one)."""
    out = np.empty((len(ind), ind.shape[1] - 1), dtype=ind.dtype)
    for t, (row, own) in enumerate(zip(ind, rows)):
        keep = row[row != own]
        out[t] = keep[:ind.shape[1] - 1]
    return out

