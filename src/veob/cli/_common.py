"""Options, errors, progress and reports shared by the ``veob`` subcommands."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .._progress import _NullBar

__all__ = [
    "UsageError",
    "add_common_options",
    "add_store_option",
    "data_root",
    "fill_store",
    "out_dir",
    "progress",
    "say",
    "show_progress",
    "timer",
    "write_json_atomic",
]


class UsageError(Exception):
    """A user error: printed as one line, exit code 2, no traceback."""


def add_common_options(parser):
    """The options every subcommand accepts."""
    parser.add_argument("--data", default=None, metavar="PATH",
                        help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="report folder: report.json and PNG figures")
    parser.add_argument("--chroma", default=None, metavar="PATH",
                        help="Chroma store folder (default: <out>/chroma)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--quiet", action="store_true", help="print only errors (no progress bars)")
    parser.add_argument("--progress", action="store_true",
                        help="progress bars on stderr even when it is not a terminal (they are shown on a "
                             "terminal anyway; --quiet turns them off)")


class _DeprecatedAlias(argparse.Action):
    """A hidden old spelling of a flag: sets the new flag's value and says so once on stderr."""

    def __init__(self, option_strings, dest, *, new, value, **kwargs):
        self.new, self.value = new, value
        super().__init__(option_strings, dest, nargs=0, help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        if self.value is not None:
            setattr(namespace, self.dest, self.value)
            print(f"veob: {option_string} is deprecated and will be removed in the next release; "
                  f"use {self.new}", file=sys.stderr)
        else:
            print(f"veob: {option_string} is deprecated and will be removed in the next release; storing "
                  f"is the default now (turn it off with {self.new})", file=sys.stderr)


def add_store_option(parser, what="the Chroma store"):
    """``--no-store``: the one spelling, in every command that fills a Chroma store.

    ``--no-chroma`` (``veob mnist``) and ``--store`` (``veob compose``, where
    storing was opt-in) remain for one release as hidden aliases that print a
    deprecation note.
    """
    parser.add_argument("--no-store", action="store_true", help=f"do not fill {what}")
    parser.add_argument("--no-chroma", dest="no_store", action=_DeprecatedAlias, new="--no-store", value=True)
    parser.add_argument("--store", dest="no_store", action=_DeprecatedAlias, new="--no-store", value=None)


def flag_message(exc, flag):
    """The message of a library error, with the library's ``path=`` replaced by the CLI flag."""
    message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return re.sub(r"\bpath=", f"{flag} ", message.splitlines()[0] if message else message)


def open_chroma(path, *, distance="l2", flag="--chroma"):
    """A ChromaStore at ``path``; its errors become one-line usage errors naming ``flag``.

    ImportError (no chromadb) is passed on, for the caller to skip the store.
    """
    from ..store import ChromaStore

    try:
        return ChromaStore(path, distance=distance)
    except (ValueError, TypeError, TimeoutError) as exc:
        raise UsageError(flag_message(exc, flag)) from None


def fill_store(args, out, collection, vectors, query, *, timings, ids=None, documents=None, metadatas=None,
               where=None):
    """Upsert ``vectors`` into ``collection`` of ``--chroma`` (default ``<out>/chroma``), then query it.

    The upsert and the query of ``query`` (one vector, 5 results, optional
    ``where`` filter) are timed as ``chroma_upsert`` and ``chroma_query`` in
    ``timings``. Returns ``{"path", "collection", "count", "hits"}`` (hits:
    the store's result list), or None when chromadb is missing (says so).
    """
    path = args.chroma or str(out / "chroma")
    try:
        with timer(timings, "chroma_upsert"):
            store = open_chroma(path)
            store.upsert(collection, vectors, ids=ids, documents=documents, metadatas=metadatas,
                         progress=show_progress(args))
        with timer(timings, "chroma_query"):
            hits = store.query(collection, query, n_results=5, where=where)[0]
    except ImportError as exc:
        say(args, f"  Chroma skipped: {exc}")
        return None
    return {"path": path, "collection": collection, "count": store.count(collection), "hits": hits}


def data_root(args, *, required=True):
    """The data folder from ``--data`` or ``$VEOB_DATA``; UsageError if missing."""
    root = args.data or os.environ.get("VEOB_DATA")
    flag = "--data" if args.data else "VEOB_DATA"
    if not root:
        if required:
            raise UsageError("no data folder: pass --data PATH or set VEOB_DATA")
        return None
    path = Path(root).expanduser()
    if path.is_file():
        raise UsageError(f"{flag} {str(path)!r} is a file, expected a folder (the one holding mnist/, imdb/, ...): "
                         "pass --data PATH or set VEOB_DATA")
    if not path.is_dir():
        raise UsageError(f"{flag} {str(path)!r} does not exist: pass --data PATH or set VEOB_DATA")
    return path


# report folders this run created, so that a failed run can remove them again when still empty
_CREATED = []


def out_dir(args, default):
    """Create and return the report folder (``--out`` or ``default``).

    Call it once the inputs are validated; a run that fails afterwards
    removes the folder again if it created it and left it empty
    (:func:`remove_empty_outputs`).
    """
    path = Path(args.out or default).expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {str(path)!r} is a file, expected a folder")
    missing = []
    parent = path
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out: cannot create the report folder {str(path)!r}: {exc.strerror}") from None
    _CREATED.extend(missing)
    return path


def remove_empty_outputs():
    """Remove the report folders this run created that are still empty (after a failure)."""
    while _CREATED:
        folder = _CREATED.pop(0)
        try:
            folder.rmdir()  # only when empty
        except OSError:
            pass


# the numba kernel modules, in data-flow order; `veob warmup` compiles them all
KERNEL_MODULES = (
    "veob.spectral._kernels", "veob.decomposition._kernels", "veob.partition._build_kernels",
    "veob.partition._search_kernels", "veob.models._kernels", "veob.images._kernels", "veob.text._kernels",
    "veob.text._composer_kernels", "veob.baselines._kernels",
)


def _dispatchers(modules):
    """The cached numba dispatchers (``@njit(cache=True)``) of the importable ``modules``."""
    import importlib

    found = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - an optional part is missing
            continue
        found += [obj for obj in vars(module).values() if getattr(obj, "_cache", None) is not None
                  and hasattr(obj, "stats")]
    return found


def compiled_count(dispatchers):
    """Kernel signatures compiled in this process because no on-disk cache had them (numba's cache misses)."""
    return sum(sum(d.stats.cache_misses.values()) for d in dispatchers)


_COMPILING = "  compiling kernels, first run only (`veob warmup` does it ahead) ..."
_announced = []  # set once this process said it is compiling


def _announce(args):
    if not _announced:
        _announced.append(True)
        say(args, _COMPILING, file=sys.stderr)  # a diagnostic: stdout stays the command's output


@contextmanager
def compile_notice(args):
    """For a whole command: say once when numba starts compiling a kernel that had no on-disk cache.

    Watches the kernel modules the command has imported (checked five times
    a second from a daemon thread), so commands that never touch numba pay
    nothing.
    """
    import threading

    def dispatchers():
        return _dispatchers([m for m in KERNEL_MODULES if m in sys.modules])

    _announced.clear()  # once per command
    base = compiled_count(dispatchers())
    stop = threading.Event()

    def watch():
        while not stop.wait(0.2):
            if _announced:
                return
            if compiled_count(dispatchers()) > base:
                _announce(args)
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


def warm_up(args, timings, modules, func):
    """Run ``func`` (the pipeline on a tiny input) before the timed run, so compiling stays out of the timings.

    numba compiles a kernel on its first call in a fresh install (minutes
    for all of them on 2 loaded cores) and caches it on disk. As soon as a
    kernel of ``modules`` starts compiling this says so, once; the warm-up
    time goes to ``timings["warmup"]``, reported apart from the stages.
    """
    import threading

    kernels = _dispatchers(modules)
    base = compiled_count(kernels)
    stop, announced = threading.Event(), threading.Event()

    def watch():
        while not stop.wait(0.2):
            if compiled_count(kernels) > base:
                _announce(args)
                announced.set()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    try:
        func()
    finally:
        stop.set()
        watcher.join()
    timings["warmup"] = round(time.perf_counter() - start, 4)
    compiled = compiled_count(kernels) - base
    if compiled:
        if not announced.is_set():
            _announce(args)
        say(args, f"  compiled {compiled} kernels in {timings['warmup']:.1f} s (kept out of the timings below)",
            file=sys.stderr)


def say(args, *parts, **kwargs):
    """print unless --quiet."""
    if not getattr(args, "quiet", False):
        print(*parts, **kwargs)
        kwargs.get("file", sys.stdout).flush()


def show_progress(args):
    """Progress bars for this run: never with --quiet; with --progress; else only on a terminal (stderr)."""
    if getattr(args, "quiet", False):
        return False
    if getattr(args, "progress", False):
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # pragma: no cover - closed or replaced stderr
        return False


def progress(iterable=None, *, args=None, total=None, desc=None, unit="it"):
    """A tqdm progress bar when tqdm is installed and output is not quiet."""
    disable = bool(args is not None and not show_progress(args))
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable if iterable is not None else _NullBar()
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, leave=False)


@contextmanager
def timer(timings, name):
    """Record the wall time of the block in ``timings[name]`` (seconds)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(time.perf_counter() - start, 4)


def machine_info():
    """Versions and machine facts for reports."""
    import numpy as np

    from .._version import __version__

    info = {
        "veob": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: v for k, v in lib.items() if k in ("internal_api", "version", "num_threads")}
            for lib in threadpool_info()
            if lib.get("user_api") == "blas"
        ]
    except ImportError:  # pragma: no cover
        pass
    return info


def write_text_atomic(path, text):
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path, payload):
    """Write JSON to ``path`` through a temporary file and a rename."""
    write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=True, default=_jsonable) + "\n")


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")
