"""Thread-count control for BLAS and numba, restored on exit."""

from __future__ import annotations

import contextlib
import os

__all__ = ["thread_limits", "effective_n_jobs", "jobs_for_work"]

# below this many scalar operations a parallel kernel launch costs more than it saves
# (the threads must all be scheduled at a barrier; on a loaded machine that is ms)
SMALL_WORK = 1 << 18


def effective_n_jobs(n_jobs) -> int:
    """Number of threads for ``n_jobs`` (None -> all numba threads, -1 -> all CPUs)."""
    import numba

    available = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return numba.get_num_threads()
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs=0 is not allowed; use None, -1 or a positive integer")
    if n_jobs < 0:
        n_jobs = max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return max(1, min(n_jobs, available))


@contextlib.contextmanager
def thread_limits(n_jobs=None, *, blas: bool = True):
    """Limit numba (and optionally BLAS) threads inside the block.

    ``n_jobs=None`` leaves every setting untouched. The previous values are
    restored in ``finally`` even when the block raises.
    """
    if n_jobs is None:
        yield
        return
    import numba

    n = effective_n_jobs(n_jobs)
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        if blas:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=n, user_api="blas"):
                yield
        else:
            yield
    finally:
        numba.set_num_threads(previous)


def jobs_for_work(n_jobs, work):
    """``n_jobs``, or 1 thread when ``n_jobs`` is None and ``work`` is small.

    ``work`` is a rough count of scalar operations of the kernels that follow.
    """
    if n_jobs is None and work < SMALL_WORK:
        return 1
    return n_jobs
