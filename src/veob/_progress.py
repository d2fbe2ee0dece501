"""Progress bars for long steps: tqdm on stderr when asked, nothing otherwise (tqdm imported lazily)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

__all__ = ["check_progress", "progress_bar", "stage"]


def check_progress(progress, name="progress"):
    """Validate an estimator's ``progress`` parameter (a bool)."""
    if not isinstance(progress, bool):
        try:
            import numpy as np

            if isinstance(progress, np.bool_):
                return bool(progress)
        except ImportError:  # pragma: no cover
            pass
        raise TypeError(f"{name}={progress!r} must be True or False")
    return progress


class _NullBar:
    """Stands in for a tqdm bar when progress is off (or tqdm is missing)."""

    def update(self, n=1):
        pass

    def set_postfix_str(self, s="", refresh=True):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def progress_bar(enabled, *, total=None, desc=None, unit="it"):
    """A tqdm bar on stderr when ``enabled`` (and tqdm is installed), else a no-op bar.

    Use as a context manager or call ``update(n)`` / ``close()``.
    """
    if not enabled:
        return _NullBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NullBar()
    return tqdm(total=total, desc=desc, unit=unit, leave=False, disable=False, dynamic_ncols=True)


@contextmanager
def stage(enabled, desc):
    """Show ``desc`` and the elapsed time of a step that has no inner progress hooks.

    The line is refreshed twice a second from a daemon thread and removed
    when the step ends; nothing is shown when ``enabled`` is False.
    """
    if not enabled:
        yield
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:
        yield
        return
    bar = tqdm(total=None, desc=desc, bar_format="{desc}: {elapsed}", leave=False, disable=False)
    stop = threading.Event()

    def tick():
        while not stop.wait(0.5):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        bar.close()
