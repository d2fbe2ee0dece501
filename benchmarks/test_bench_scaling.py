"""Beyond one machine: out-of-core SVD of a file larger than half the memory, and a
LocalCluster against the in-memory single-process solver (issue: Dask backend)."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import veob

from ._data import mnist_pixels, planted_dense
from .conftest import record_ratio, time_peer

pytest.importorskip("dask.array")


def _write_planted(path, n_rows, n_cols, *, seed=0, chunk=200_000):
    """Write an (n_rows, n_cols) float32 C-order matrix with a decaying spectrum to ``path``."""
    rng = np.random.default_rng(seed)
    scale = (1.0 / np.arange(1, n_cols + 1) ** 0.5).astype(np.float32)
    Q = np.linalg.qr(rng.standard_normal((n_cols, n_cols)))[0].astype(np.float32)
    with open(path, "wb") as fh:
        for start in range(0, n_rows, chunk):
            rows = min(chunk, n_rows - start)
            block = rng.standard_normal((rows, n_cols), dtype=np.float32)
            block *= scale
            (block @ Q).tofile(fh)


def test_out_of_core_10m_x_300(benchmark, quick, tmp_path_factory, pinned_threads):
    """10,000,000 x 300 float32 on disk (12 GB), k = 50: peak RSS < 4 GB, certified."""
    n_rows = 200_000 if quick else 10_000_000
    folder = tmp_path_factory.mktemp("ooc")
    path = folder / "X.f32"
    start = time.perf_counter()
    _write_planted(path, n_rows, 300)
    benchmark.extra_info["write_seconds"] = time.perf_counter() - start
    code = f"""
import time, json, numpy as np, veob
X = np.memmap({str(path)!r}, dtype=np.float32, mode="r", shape=({n_rows}, 300))
mark()
t0 = time.perf_counter()
U, s, Vt = veob.svd(X, 50, solver="dask")
t1 = time.perf_counter()
err = veob.svd_error(X, U, s, Vt, n_iter=4, random_state=0)
t2 = time.perf_counter()
print("RESULT", json.dumps(dict(svd_seconds=t1 - t0, error_seconds=t2 - t1, error=err,
      s50=float(s[-1]), s1=float(s[0]))))
"""
    import json
    import subprocess
    import sys

    # VmHWM of the child's own address space (ru_maxrss survives execve: it would start at pytest's RSS)
    script = ("def _hwm():\n    with open('/proc/self/status') as fh:\n"
              "        return next(int(line.split()[1]) for line in fh if line.startswith('VmHWM'))\n"
              "def mark():\n    print('mark', _hwm(), flush=True)\n"
              + code + "\nprint('peak', _hwm())\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if line.split(" ", 1)[0] in ("mark", "peak", "RESULT"))
    result = json.loads(lines["RESULT"])
    peak = int(lines["peak"]) / 1024**2
    benchmark.extra_info.update(result, shape=[n_rows, 300], k=50, peak_rss_gb=peak,
                                file_gb=os.path.getsize(path) / 1024**3)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)  # timings are in extra_info
    os.remove(path)
    # certificate: the residual norm must be close to the first dropped singular value
    assert result["error"] <= result["s50"] * 1.05
    assert peak < 4.0


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.mark.parametrize("shape_name", ["mnist", "sentence"])
def test_local_cluster_vs_in_memory(benchmark, run, quick, cluster, shape_name):
    """LocalCluster of 2 workers within 1.5x of the in-memory single-process solver."""
    import dask.array as da

    if shape_name == "mnist":
        X, k = mnist_pixels(quick), 30
    else:
        X, k = planted_dense(20000 if quick else 528000, 300, decay=0.5, seed=1), 200
    arr = cluster.persist(da.from_array(X, chunks=(X.shape[0] // 2 + 1, X.shape[1])))
    from distributed import wait

    wait(arr)
    U, s, Vt = run(veob.svd, arr, k, solver="dask", rounds=3)
    s_mem = veob.svd(X, k)[1]
    benchmark.extra_info.update(shape=list(X.shape), k=k,
                                rel_diff=float(np.max(np.abs(s - s_mem) / s_mem)))
    peer, _ = time_peer(veob.svd, X, k, rounds=3)  # numpy input: no dask involved
    ratio = record_ratio(benchmark, "veob.svd in memory, one process", peer)
    benchmark.extra_info["slowdown"] = 1.0 / ratio

