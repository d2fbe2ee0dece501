"""Shared options and fixtures of the benchmark suites.

``pytest benchmarks/`` runs the full benchmarks (by hand, on a quiet machine);
``pytest benchmarks/ --quick`` runs every benchmark once on small inputs as a
smoke test (CI). Threads are pinned for the whole session (BLAS and numba,
``--threads``, default: all cores) and recorded in every result's
``extra_info``. Peers run in the same session on the same input; a benchmark
records ``peer_median`` and ``ratio = peer_median / veob_median`` (> 1 means
veob is faster) with :func:`record_ratio`.

Every benchmark times veob's body in a child process through the ``run``
fixture, so its peak memory is measured beside its time: the child is a fresh
interpreter (spawned, not forked: nothing of the pytest process is counted),
and ``extra_info`` gets ``peak_rss_gb`` (the child's ``VmHWM`` during the
timed rounds, its inputs included) and ``input_rss_gb`` (its RSS once the
inputs were built). A new suite adopts it by writing its measured body as a
module-level function and calling ``run(func, *args, setup=..., summary=...)``
instead of ``benchmark(...)``. In ``--quick`` mode one child serves the whole
session (its peak is reset before each benchmark) to keep the smoke test fast.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# spawned children get this process's sys.path: the benchmark modules must be importable there
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


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


@pytest.fixture(scope="session")
def child_pool(quick):
    """Where measured bodies run: a fresh child per call, or (``--quick``) one reused child.

    A fresh process per benchmark makes its peak RSS its own; in quick mode the
    imports are paid once per session instead (the peak is then reset per call,
    see :func:`call_in_child`).
    """
    pool = ChildPool(reuse=quick)
    yield pool
    pool.close()


@pytest.fixture
def run(benchmark, quick, pinned_threads, child_pool):
    """``run(func, *args, rounds=5, warmup_rounds=None, setup=None, summary=None, **kwargs)``: time ``func`` in a child.

    ``func`` (and ``setup`` / ``summary``) must be picklable: module-level
    functions, bound methods of picklable objects. In the child, threads are
    pinned as in the session; ``setup(*args, **kwargs)``, when given, runs once
    and returns the ``(args, kwargs)`` of ``func`` (inputs built in the child are
    not pickled); then ``warmup_rounds`` untimed calls (default 1, none in
    --quick mode) and ``rounds`` timed calls of ``func``. The durations become the benchmark's statistics,
    ``extra_info`` gets ``peak_rss_gb`` (the child's VmHWM over the rounds, inputs
    included) and ``input_rss_gb`` (its RSS once the inputs were ready), and the
    last result comes back (``summary(result)`` when given, computed in the child
    and untimed: use it to return a few numbers instead of large objects).
    """
    benchmark.extra_info["threads"] = pinned_threads
    benchmark.extra_info["quick"] = quick

    def _run(func, *args, rounds=5, warmup_rounds=None, setup=None, summary=None, **kwargs):
        if quick:
            rounds, warmup_rounds = 1, 0
        elif warmup_rounds is None:
            warmup_rounds = 1
        out = child_pool.call(func, args, kwargs, threads=pinned_threads, rounds=rounds,
                              warmup_rounds=warmup_rounds, setup=setup, summary=summary)
        record_child(benchmark, out)
        return out["result"]

    return _run


def record_child(benchmark, out):
    """Feed the durations measured in a child into ``benchmark`` and store its memory figures."""
    benchmark.extra_info.update(child=True, peak_rss_gb=out["peak_rss_gb"], input_rss_gb=out["input_rss_gb"])
    if benchmark.disabled:
        return
    # pytest-benchmark has no public way to add durations measured elsewhere:
    # this is what its pedantic mode does with the durations it measures itself
    stats = benchmark._make_stats(1)
    benchmark._mode = "run in a child process"
    for duration in out["durations"]:
        stats.update(duration)


def _status_kb(field):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))


def _reset_peak():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _child_main(func, args, kwargs, threads, rounds, warmup_rounds, setup, summary):
    """Body of the child process (see :func:`run`); returns durations, memory and the result."""
    import gc

    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    with threadpool_limits(limits=threads, user_api="blas"):
        if setup is not None:
            args, kwargs = setup(*args, **kwargs)
        gc.collect()
        input_kb = _status_kb("VmRSS")
        reset = _reset_peak()
        durations, result = [], None
        for i in range(warmup_rounds + rounds):
            result = None  # the previous round's result does not count in this round's peak
            start = time.perf_counter()
            result = func(*args, **kwargs)
            if i >= warmup_rounds:
                durations.append(time.perf_counter() - start)
        peak_kb = _status_kb("VmHWM")
        if summary is not None:
            result = summary(result)
    return {"durations": durations, "result": result, "input_rss_gb": input_kb / 1024**2,
            "peak_rss_gb": peak_kb / 1024**2, "peak_reset": reset}


class ChildPool:
    """Run functions in spawned child processes (fresh interpreters: no inherited memory).

    ``reuse=False`` starts one child per call, so VmHWM is that call's own
    peak; ``reuse=True`` keeps one child for all calls (imports paid once) and
    resets VmHWM at the start of each measurement.
    """

    def __init__(self, reuse=False):
        self.reuse = reuse
        self._executor = None

    def _new_executor(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))

    def call(self, func, args=(), kwargs=None, *, threads=1, rounds=1, warmup_rounds=0, setup=None, summary=None):
        """``func(*args, **kwargs)`` timed ``rounds`` times in a child; a dict (see :func:`run`)."""
        from concurrent.futures.process import BrokenProcessPool

        executor = self._executor if self.reuse and self._executor is not None else self._new_executor()
        if self.reuse:
            self._executor = executor
        try:
            return executor.submit(_child_main, func, tuple(args), dict(kwargs or {}), int(threads), int(rounds),
                                   int(warmup_rounds), setup, summary).result()
        except BrokenProcessPool as exc:
            self._executor = None
            raise RuntimeError(f"the child process running {getattr(func, '__qualname__', func)!r} died "
                               "(killed for memory?)") from exc
        finally:
            if not self.reuse:
                executor.shutdown()

    def close(self):
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None


def in_child(func, *args, threads=None, **kwargs):
    """``func(*args, **kwargs)`` once in a fresh child process: ``(result, peak RSS in GB)``.

    For memory figures outside a benchmark's timed body (a peer, a one-off run).
    """
    threads = threads or os.cpu_count() or 1
    out = ChildPool().call(func, args, kwargs, threads=threads)
    return out["result"], out["peak_rss_gb"]


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
            f"{lib.get('internal_api')} {lib.get('version')} "
            f"({lib.get('architecture')}, {lib.get('num_threads')} threads)"
            for lib in threadpool_info() if lib.get("user_api") == "blas"
        ]
    except ImportError:  # pragma: no cover
        pass
