"""Thread-count control for BLAS and numba, restored on exit."""

from __future__ import annotations

import contextlib
import os

__all__ = ["thread_limits", "effective_n_jobs", "jobs_for_work"]

# below this many scalar operations a parallel kernel launch costs more than it saves
# (the threads must all be scheduled at a barrier; on a loaded machine that is ms)
SMALL_WORK = 1 << 18


def _n_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _context_n_jobs():
    """The n_jobs set by an enclosing ``joblib.parallel_config`` / ``parallel_backend``, else None."""
    from joblib.parallel import get_active_backend

    return get_active_backend()[1]


def effective_n_jobs(n_jobs, *, numba_threads: bool = True) -> int:
    """Number of threads for ``n_jobs``, read as scikit-learn and joblib read it.

    - None: the ``n_jobs`` of the enclosing ``joblib.parallel_config`` (or
      ``parallel_backend``) context when it sets one; otherwise the current
      default -- numba's thread count (every core unless changed), as
      scikit-learn's OpenMP code uses every core by default.
    - a negative value counts from the number of CPUs (joblib's rule):
      -1 is all of them, -2 all but one, never fewer than 1.
    - 0 is an error; a positive value is taken as is.

    With ``numba_threads`` the count is capped at ``NUMBA_NUM_THREADS``
    (numba cannot start more); without it (plain Python thread pools) None
    outside a context means every CPU.

    Examples
    --------
    >>> import joblib
    >>> from veob._threads import effective_n_jobs
    >>> effective_n_jobs(1)
    1
    >>> with joblib.parallel_config(n_jobs=1):
    ...     effective_n_jobs(None)
    1
    """
    from ._validation import check_n_jobs

    n_jobs = check_n_jobs(n_jobs)
    if n_jobs is None:
        n_jobs = check_n_jobs(_context_n_jobs(), "the joblib context's n_jobs")
    if n_jobs is None:
        if not numba_threads:
            return _n_cpus()
        import numba

        return numba.get_num_threads()
    if n_jobs < 0:
        n_jobs = _n_cpus() + 1 + n_jobs
    if numba_threads:
        import numba

        n_jobs = min(n_jobs, numba.config.NUMBA_NUM_THREADS)
    return max(1, n_jobs)


@contextlib.contextmanager
def thread_limits(n_jobs=None, *, blas: bool = True):
    """Limit numba (and optionally BLAS) threads inside the block.

    ``n_jobs`` is read by :func:`effective_n_jobs`; ``None`` outside a
    joblib context leaves every setting untouched. The previous values are
    restored in ``finally`` even when the block raises.
    """
    if n_jobs is None and _context_n_jobs() is None:
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
