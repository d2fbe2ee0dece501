"""Shared options and fixtures of the benchmark suites.

``pytest benchmarks/`` runs the full benchmarks (by hand, on a quiet machine);
``pytest benchmarks/ --quick`` runs every benchmark once on small inputs as a
smoke test (CI). Threads are pinned for the whole session (BLAS and numba,
``--threads``, default: all cores) and recorded in every result's
``extra_info``. Peers run in the same session on the same input; a benchmark
records ``peer_median`` and ``ratio = peer_median / veob_median`` (> 1 means
veob is faster) with :func:`record_ratio`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--quick", action="store_true", default=False,
                     help="small inputs, one round each: a smoke test of every benchmark")
    parser.addoption("--threads", type=int, default=None,
                     help="BLAS and numba threads (default: all cores)")


def pytest_configure(config):
    config.addinivalue_line("markers", "real_data: needs VEOB_DATA")


@pytest.fixture(scope="session")
def quick(request):
    """True in --quick mode: use small inputs."""
    return bool(request.config.getoption("--quick"))


@pytest.fixture(scope="session", autouse=True)
def pinned_threads(request):
    """Pin BLAS and numba threads for the session; yields the count."""
    import numba
    from threadpoolctl import threadpool_limits

    n = request.config.getoption("--threads") or os.cpu_count() or 1
    n = min(n, numba.config.NUMBA_NUM_THREADS)
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    with threadpool_limits(limits=n, user_api="blas"):
        yield n
    numba.set_num_threads(previous)


@pytest.fixture(scope="session")
def data_root():
    """The shared data folder from VEOB_DATA, or skip."""
    root = os.environ.get("VEOB_DATA")
    if not root or not Path(root).is_dir():
        pytest.skip("VEOB_DATA is not set: real-data benchmarks need the shared data folder")
    return Path(root)


@pytest.fixture
def run(benchmark, quick, pinned_threads):
    """``run(func, *args)``: benchmark ``func`` (one round in --quick mode).

    Records the thread count in ``extra_info`` and returns func's result.
    """
    benchmark.extra_info["threads"] = pinned_threads
    benchmark.extra_info["quick"] = quick

    def _run(func, *args, rounds=5, **kwargs):
        if quick:
            rounds = 1
        return benchmark.pedantic(func, args=args, kwargs=kwargs, rounds=rounds, iterations=1, warmup_rounds=0 if quick else 1)

    return _run


def time_peer(func, *args, rounds=3, **kwargs):
    """Median wall time of a peer over ``rounds`` runs, and its last result."""
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = func(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def record_ratio(benchmark, peer_name, peer_median):
    """Store the peer's median and the speed ratio (peer / veob) in extra_info."""
    own = benchmark.stats.stats.median
    benchmark.extra_info["peer"] = peer_name
    benchmark.extra_info["peer_median"] = peer_median
    benchmark.extra_info["ratio"] = peer_median / own if own > 0 else float("inf")
    return benchmark.extra_info["ratio"]


def child_peak_rss_gb(code):
    """Run ``code`` in a child Python process; return (RSS at ``mark()``, peak RSS) in GB.

    ``code`` may call ``mark()`` once its inputs are loaded, so the report can
    separate the input's own memory from the peak of the computation.
    """
    # VmHWM (kB) of the child's own address space: ru_maxrss is not reset by execve on
    # Linux, so a child forked from a large pytest process would report the parent's RSS
    script = (
        "def _hwm():\n"
        "    with open('/proc/self/status') as fh:\n"
        "        return next(int(line.split()[1]) for line in fh if line.startswith('VmHWM'))\n"
        "def mark():\n"
        "    print('mark', _hwm(), flush=True)\n"
        + code
        + "\nprint('peak', _hwm())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(f"child process failed:\n{proc.stderr[-2000:]}")
    values = dict(line.split() for line in proc.stdout.splitlines() if line.startswith(("mark", "peak")))
    mark = int(values.get("mark", 0)) / 1024**2
    return mark, int(values["peak"]) / 1024**2


def pytest_benchmark_update_machine_info(config, machine_info):
    """Record BLAS, thread counts and library versions in the saved JSON."""
    import numba
    import numpy
    import scipy
    import sklearn

    import veob

    machine_info["veob"] = veob.__version__
    machine_info["numpy"] = numpy.__version__
    machine_info["scipy"] = scipy.__version__
    machine_info["sklearn"] = sklearn.__version__
    machine_info["numba"] = numba.__version__
    machine_info["cpu_count"] = os.cpu_count()
    try:
        from threadpoolctl import threadpool_info

        machine_info["blas"] = [
            f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('architecture')}, {lib.get('num_threads')} threads)"
            for lib in threadpool_info() if lib.get("user_api") == "blas"
        ]
    except ImportError:  # pragma: no cover
        pass
